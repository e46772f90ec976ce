//! Indexing speed: writes a synthetic HDFS-like log of N lines from the hdfs
//! dataset's templates (random block ids, IPs, ports, sizes; blocks live a
//! while, so sessions and workflows are real), then times the index pass
//! (read + match + parameters + workflows) and reports lines/s and peak RSS.
//!
//! `cargo bench --bench index_speed -- [LINES] [--gzip] [--cold]`
//! (default 11,000,000 lines, the size of the full HDFS log). Not run in CI.
//!
//! `cargo bench --bench index_speed -- LINES --incremental`: the whole run
//! of `logcopilot index` (checkpoint and storage included) on the first 90 %
//! of the lines, then again after the other 10 % were appended (reading on
//! from the checkpoint), against a fresh run on the whole file.
//!
//! `cargo bench --bench index_speed -- LINES --detect`: the format is not
//! given; the log is opened as a user's file (`inputs::open`: a sample's
//! format, else the detector), then indexed; prints the detection's share of
//! the run against an index with the dataset given.

mod synth;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use logcopilot::dataset::Dataset;
use logcopilot::index::{self, IndexOptions, templates};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let lines: u64 = args.iter().find_map(|a| a.replace('_', "").parse().ok()).unwrap_or(11_000_000);
    let gzip = args.iter().any(|a| a == "--gzip");
    let cold = args.iter().any(|a| a == "--cold");
    let path = synth::cached(lines, gzip);
    if args.iter().any(|a| a == "--incremental") {
        synth::warm(&path);
        return incremental(&path);
    }
    if args.iter().any(|a| a == "--detect") {
        synth::warm(&path);
        return detect(&path);
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if cold {
        // Needs root; says so when it cannot drop the page cache.
        let ok = std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok();
        eprintln!("page cache dropped: {ok}");
    } else {
        // Warm the page cache (streaming, so the bench's RSS is the indexer's).
        synth::warm(&path);
    }
    let ds_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets");
    let ds = Dataset::load(&ds_dir, "hdfs").expect("dataset");
    let known = templates::load(&ds_dir.join("hdfs/templates.csv")).expect("templates");
    let opts = IndexOptions::default();
    let cancel = AtomicBool::new(false);
    let t = Instant::now();
    let out = index::run(&ds, &path, &known, &opts, &|_| {}, &cancel).expect("index");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "lines {} | file {:.0} MiB{} | {:.2} s | {:.0} lines/s | {:.0} MiB/s | peak RSS {:.0} MiB | known {} mined {} | sessions {} workflows {} | cache {}",
        out.stats.lines,
        size as f64 / 1048576.0,
        if gzip { " (gzip)" } else { "" },
        secs,
        out.stats.lines as f64 / secs,
        out.stats.bytes as f64 / 1048576.0 / secs,
        synth::peak_rss_mib(),
        out.stats.lines_known,
        out.stats.lines_mined,
        out.knowledge.sessions.sessions,
        out.knowledge.workflows.len(),
        if cold { "cold" } else { "warm" },
    );
}

/// Times a run on 90 % of `path`, the run after the last 10 % is appended,
/// and a fresh run on the whole, each through [`Plan`] as `index` does.
fn incremental(path: &std::path::Path) {
    use logcopilot::config::Config;
    use logcopilot::index::job::Plan;
    use std::io::Write;

    let data = std::fs::read(path).expect("synthetic log");
    let cut = data[..data.len() * 9 / 10].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("grown.log");
    std::fs::write(&input, &data[..cut]).expect("write 90 %");
    let ds_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets");
    let plan = |storage: &str, input: &std::path::Path| {
        let mut cfg = Config::default();
        cfg.paths.datasets = Some(ds_dir.clone());
        cfg.paths.storage = Some(dir.path().join(storage));
        let ds = Dataset::load(&ds_dir, "hdfs").expect("dataset");
        let known = templates::load(&ds_dir.join("hdfs/templates.csv")).expect("templates");
        Plan::new(&cfg, ds, known, Some(input), true).expect("plan")
    };
    let cancel = AtomicBool::new(false);
    let timed = |p: &mut Plan| {
        let t = Instant::now();
        let (out, _) = p.run(&|_| {}, &cancel).expect("index");
        let secs = t.elapsed().as_secs_f64();
        let how = p.last.as_ref().map(|r| r.describe()).unwrap_or_default();
        (secs, out.stats.lines, out.knowledge.templates.len(), out.knowledge.workflows.len(), how)
    };
    let mut grown = plan("grown", &input);
    let first = timed(&mut grown);
    std::fs::OpenOptions::new().append(true).open(&input).and_then(|mut f| f.write_all(&data[cut..])).expect("append 10 %");
    let mut grown = plan("grown", &input);
    let again = timed(&mut grown);
    let mut whole = plan("whole", &input);
    let fresh = timed(&mut whole);
    for (name, r) in [("first 90 %", &first), ("after a 10 % append", &again), ("whole file, fresh", &fresh)] {
        println!("{name:<22} {:>7.2} s | {} lines in all | {} templates | {} workflows | {}", r.0, r.1, r.2, r.3, r.4);
    }
    println!("speed-up of the append over a fresh run: {:.1}x", fresh.0 / again.0);
    let state = std::fs::metadata(dir.path().join("grown/hdfs/index_state.json.gz")).map(|m| m.len()).unwrap_or(0);
    println!("saved pass state: {:.1} MiB (gzip)", state as f64 / 1048576.0);
    assert_eq!((again.1, again.2, again.3), (fresh.1, fresh.2, fresh.3), "the append ends where a fresh run does");
}

/// The format found by `inputs::open`, timed, then the index run with it,
/// against the same run with the hdfs dataset given.
fn detect(path: &std::path::Path) {
    use logcopilot::inputs::{Folders, OpenRequest, open};
    let ds_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets");
    let storage = tempfile::tempdir().expect("temp dir");
    let opts = IndexOptions::default();
    let cancel = AtomicBool::new(false);
    let run = |ds: &Dataset| {
        let known = ds.templates_path.as_ref().map(|p| templates::load(p).expect("templates")).unwrap_or_default();
        let t = Instant::now();
        let out = index::run(ds, path, &known, &opts, &|_| {}, &cancel).expect("index");
        (t.elapsed().as_secs_f64(), out.stats)
    };
    let given = Dataset::load(&ds_dir, "hdfs").expect("dataset");
    let (given_secs, given_stats) = run(&given);
    let t = Instant::now();
    let req = OpenRequest { inputs: vec![path.to_path_buf()], max_files: 1000, zone: "UTC".into(), ..Default::default() };
    let opened = open(&Folders { datasets: &ds_dir, storage: storage.path() }, &req, &mut std::io::empty()).expect("open");
    let detect_secs = t.elapsed().as_secs_f64();
    let (secs, stats) = run(&opened.dataset);
    println!("detected: {}", opened.notes.join(" | "));
    println!(
        "given   {:.2} s | {} lines, {} without a timestamp\ndetected {:.3} s to detect + {:.2} s to index | {} lines, {} without a timestamp\ndetection: {:.2} % of the run; detected run vs given: {:+.1} %",
        given_secs,
        given_stats.lines,
        given_stats.timestamps_missing,
        detect_secs,
        secs,
        stats.lines,
        stats.timestamps_missing,
        detect_secs * 100.0 / (detect_secs + secs),
        (detect_secs + secs - given_secs) * 100.0 / given_secs,
    );
}
