//! Incremental indexing: a file indexed, grown, indexed again gives the
//! knowledge of indexing it whole at once (within the documented
//! approximations: Misra–Gries top counts past 64 values and the last bits of
//! a mean); a truncated or replaced file is detected and read from the start;
//! summary cache keys change only for templates whose data changed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use logcopilot::config::Config;
use logcopilot::dataset::Dataset;
use logcopilot::index::incremental::Continued;
use logcopilot::index::job::{Plan, RunMode};
use logcopilot::index::templates;
use logcopilot::knowledge::Knowledge;

use crate::common::{assert_same_knowledge, datasets};

fn config(storage: &Path) -> Config {
    let mut c = Config::default();
    c.paths.storage = Some(storage.to_path_buf());
    c.paths.datasets = Some(datasets());
    c.index.threads = 2;
    c
}

/// Runs the shared index job on `input`; the knowledge and how it read.
fn index(app: &str, input: &Path, storage: &Path) -> (Knowledge, RunMode) {
    let cfg = config(storage);
    let ds = Dataset::load(&datasets(), app).unwrap();
    let known = ds.templates_path.as_ref().map(|p| templates::load(p).unwrap()).unwrap_or_default();
    let mut plan = Plan::new(&cfg, ds, known, Some(input), true).unwrap();
    let (out, _) = plan.run(&|_| {}, &AtomicBool::new(false)).unwrap();
    (out.knowledge, plan.last.unwrap().mode)
}

fn lines_of(app: &str) -> Vec<String> {
    let ds = Dataset::load(&datasets(), app).unwrap();
    let text = std::fs::read_to_string(ds.log_path.unwrap()).unwrap();
    text.lines().map(|l| format!("{l}\n")).collect()
}

fn append(path: &Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    for l in lines {
        f.write_all(l.as_bytes()).unwrap();
    }
}

fn whole(app: &str, lines: &[String], dir: &Path) -> Knowledge {
    let input = dir.join(format!("{app}-whole.log"));
    append(&input, lines);
    index(app, &input, &dir.join("whole")).0
}

#[test]
fn appending_equals_indexing_the_whole_at_once() {
    // hdfs: known templates plus mined ones, block sessions; jsonsvc: JSON,
    // all mined, fields, request and job sessions.
    for (app, cuts) in [("hdfs", vec![1000, 2000]), ("jsonsvc", vec![1500, 2900, 3000])] {
        let d = tempfile::tempdir().unwrap();
        let lines = lines_of(app);
        let input = d.path().join(format!("{app}.log"));
        let storage = d.path().join("parts");
        let mut from = 0;
        let mut modes = Vec::new();
        let mut k = Knowledge::default();
        for &cut in &cuts {
            append(&input, &lines[from..cut]);
            let (kk, mode) = index(app, &input, &storage);
            k = kk;
            modes.push(mode);
            from = cut;
        }
        assert!(matches!(modes[0], RunMode::Full { why: None }), "{app}: {modes:?}");
        for m in &modes[1..] {
            assert!(matches!(m, RunMode::Appended { .. }), "{app}: {modes:?}");
        }
        if app == "jsonsvc" {
            // The last 100 lines change no mined template: pass 2 read only them.
            assert!(
                matches!(modes[2], RunMode::Appended { continued: Continued::Appended | Continued::NewTemplates, .. }),
                "{modes:?}"
            );
        }
        assert_same_knowledge(&k, &whole(app, &lines, d.path()), app);
    }
}

#[test]
fn a_truncated_or_replaced_file_is_read_from_the_start() {
    let d = tempfile::tempdir().unwrap();
    let lines = lines_of("hdfs");
    let input = d.path().join("h.log");
    let storage = d.path().join("st");
    append(&input, &lines[..1500]);
    index("hdfs", &input, &storage);

    // Truncated (copytruncate), then a little written again.
    std::fs::write(&input, "").unwrap();
    append(&input, &lines[1500..1600]);
    let (k, mode) = index("hdfs", &input, &storage);
    let RunMode::Full { why: Some(why) } = &mode else { panic!("{mode:?}") };
    assert!(why.contains("truncated"), "{why}");
    assert_eq!(k.templates.iter().map(|t| t.count).sum::<u64>(), 100);

    // Replaced by another file that is longer than what was read.
    let other: PathBuf = d.path().join("other.log");
    append(&other, &lines[..300]);
    std::fs::rename(&other, &input).unwrap();
    let (k, mode) = index("hdfs", &input, &storage);
    let RunMode::Full { why: Some(why) } = &mode else { panic!("{mode:?}") };
    assert!(why.contains("replaced or rotated"), "{why}");
    assert_eq!(k.templates.iter().map(|t| t.count).sum::<u64>(), 300);

    // Unchanged: nothing read, the same knowledge.
    let (k2, mode) = index("hdfs", &input, &storage);
    assert!(matches!(mode, RunMode::Appended { bytes: 0, .. }), "{mode:?}");
    assert_same_knowledge(&k, &k2, "unchanged");
}

#[test]
fn only_templates_whose_data_changed_get_new_summary_keys() {
    use logcopilot::index::summarize::{Prompts, tasks};
    let d = tempfile::tempdir().unwrap();
    let lines = lines_of("hdfs");
    let input = d.path().join("h.log");
    let storage = d.path().join("st");
    append(&input, &lines[..1800]);
    let (before, _) = index("hdfs", &input, &storage);
    append(&input, &lines[1800..]);
    let (after, _) = index("hdfs", &input, &storage);
    let prompts = Prompts::load().unwrap();
    let keys = |k: &Knowledge| -> std::collections::HashMap<String, String> {
        tasks("hdfs", k, &prompts, "m").unwrap().into_iter().map(|t| (format!("{:?}{}", t.kind, t.id), t.key)).collect()
    };
    let (kb, ka) = (keys(&before), keys(&after));
    let (mut same, mut changed) = (0, 0);
    for t in &after.templates {
        let Some(old) = before.templates.iter().find(|o| o.id == t.id) else { continue };
        let id = format!("Template{}", t.id);
        if old == t {
            assert_eq!(kb[&id], ka[&id], "{} did not change: same key", t.id);
            same += 1;
        } else {
            assert_ne!(kb[&id], ka[&id], "{} changed: a new key", t.id);
            changed += 1;
        }
    }
    assert!(same > 0 && changed > 0, "same {same}, changed {changed}");
}
