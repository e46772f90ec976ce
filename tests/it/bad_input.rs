//! Bad input through the real binary: a clear message, a non-zero exit code,
//! no panic, and no torn file left in storage.

use std::io::Write;
use std::path::Path;

use crate::common::{datasets, run, text};

fn index(dir: &Path, extra: &[&str]) -> std::process::Output {
    let ds = datasets();
    let storage = dir.join("storage");
    let mut args = vec!["index", "--datasets", ds.to_str().unwrap(), "--storage", storage.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args, dir)
}

fn assert_clean_failure(o: &std::process::Output, needle: &str, storage: &Path) {
    let t = text(o);
    assert!(!o.status.success(), "expected failure: {t}");
    assert!(!t.contains("panicked"), "panic: {t}");
    assert!(t.contains(needle), "message {t:?} lacks {needle:?}");
    // No temp files and no half-written knowledge.
    if let Ok(rd) = std::fs::read_dir(storage.join("hdfs")) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            assert!(!name.starts_with(".tmp"), "temp file left: {name}");
            assert_ne!(name, "manifest.json", "a failed run wrote a manifest");
        }
    }
}

#[test]
fn empty_file() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("empty.log");
    std::fs::write(&f, "").unwrap();
    let o = index(d.path(), &["--app", "hdfs", "--input", f.to_str().unwrap()]);
    assert_clean_failure(&o, "is empty", &d.path().join("storage"));
}

#[test]
fn binary_garbage() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("garbage.bin");
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&f, bytes).unwrap();
    let o = index(d.path(), &["--app", "hdfs", "--input", f.to_str().unwrap()]);
    assert_clean_failure(&o, "looks binary", &d.path().join("storage"));
}

#[test]
fn truncated_gzip() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("cut.log.gz");
    let sample = std::fs::read(datasets().join("hdfs/HDFS_2k.log")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&sample).unwrap();
    let gz = enc.finish().unwrap();
    std::fs::write(&f, &gz[..gz.len() * 2 / 3]).unwrap();
    let o = index(d.path(), &["--app", "hdfs", "--input", f.to_str().unwrap()]);
    assert_clean_failure(&o, "truncated or corrupt", &d.path().join("storage"));
}

#[test]
fn ten_megabyte_line_is_indexed() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("big.log");
    let mut text = std::fs::read_to_string(datasets().join("hdfs/HDFS_2k.log")).unwrap();
    text.push_str("081109 203615 148 INFO dfs.DataNode: ");
    text.push_str(&"x".repeat(10 << 20));
    text.push_str("\r\n081109 203615 148 INFO dfs.DataNode: last line without newline");
    std::fs::write(&f, text).unwrap();
    let o = index(d.path(), &["--app", "hdfs", "--input", f.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", crate::common::text(&o));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("storage/hdfs/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["stats"]["lines"], 2002);
    assert_eq!(m["stats"]["lines_truncated"], 0);
}

#[test]
fn dataset_toml_with_a_typo() {
    let d = tempfile::tempdir().unwrap();
    let ds = d.path().join("ds/hdfs");
    std::fs::create_dir_all(&ds).unwrap();
    let good = std::fs::read_to_string(datasets().join("hdfs/dataset.toml")).unwrap();
    std::fs::write(ds.join("dataset.toml"), good.replacen("format =", "fromat =", 1)).unwrap();
    let storage = d.path().join("storage");
    let o = run(
        &["index", "--app", "hdfs", "--datasets", d.path().join("ds").to_str().unwrap(), "--storage", storage.to_str().unwrap()],
        d.path(),
    );
    assert_clean_failure(&o, "fromat", &storage);
    assert!(text(&o).contains("dataset.toml"));
}

#[test]
fn missing_dataset() {
    let d = tempfile::tempdir().unwrap();
    let o = index(d.path(), &["--app", "nosuchapp"]);
    assert_clean_failure(&o, "no dataset \"nosuchapp\"", &d.path().join("storage"));
    assert!(text(&o).contains("openssh"), "should list the available apps: {}", text(&o));
}

#[test]
fn unwritable_storage_dir() {
    let d = tempfile::tempdir().unwrap();
    let blocker = d.path().join("storage");
    std::fs::write(&blocker, "a file where a folder should be").unwrap();
    let o = index(d.path(), &["--app", "hdfs"]);
    assert_clean_failure(&o, "cannot create storage folder", &d.path().join("elsewhere"));
}

#[test]
fn config_with_unknown_key_names_key_and_file() {
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("config.toml");
    std::fs::write(&cfg, "[index]\nsimilarity_treshold = 0.5\n").unwrap();
    let o = index(d.path(), &["--app", "hdfs", "--config", cfg.to_str().unwrap()]);
    assert_clean_failure(&o, "similarity_treshold", &d.path().join("storage"));
    assert!(text(&o).contains("config.toml"), "{}", text(&o));
}
