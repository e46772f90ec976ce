//! Query speed of the embedded LogQL engine on the synthetic HDFS-like log
//! (the same cached file as the index bench): a `|=` count over all of it,
//! a `regexp` with `sum by`, a log query with limit 100 and a `sum by
//! (level)` rate. Prints wall time, lines/s and peak RSS per query.
//!
//! `cargo bench --bench query_speed -- [LINES] [--gzip] [--runs N] [--cold]`
//! (default 11,000,000 lines; each query runs N times, default 3, and the
//! fastest run is shown; `--cold` drops the page cache before each query and
//! runs it once, which needs root). Not run in CI.

mod synth;

use std::path::PathBuf;
use std::time::Instant;

use logcopilot::backend::embedded::{Engine, Input, Source};
use logcopilot::backend::{Direction, InstantRequest, RangeRequest};
use logcopilot::dataset::Dataset;

/// Resets the peak-RSS counter (VmHWM) so each query reports its own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// First and last stamps of the synthetic log (it starts 2008-11-09 20:00
/// and advances a second every 200 lines).
fn span(lines: u64) -> (i64, i64) {
    let start = 1_226_260_800i64 * 1_000_000_000;
    let end = start + ((lines / 200) as i64 + 2) * 1_000_000_000;
    (start, end)
}

/// Drops the page cache (needs root; says so when it cannot).
fn drop_caches() {
    if std::fs::write("/proc/sys/vm/drop_caches", "3").is_err() {
        eprintln!("cannot drop the page cache (not root): this run is not cold");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let lines: u64 = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || args[i - 1] != "--runs")
        .find_map(|(_, a)| a.replace('_', "").parse().ok())
        .unwrap_or(11_000_000);
    let gzip = args.iter().any(|a| a == "--gzip");
    let runs: usize = args.iter().position(|a| a == "--runs").and_then(|i| args.get(i + 1)).and_then(|n| n.parse().ok()).unwrap_or(3).max(1);
    let cold = args.iter().any(|a| a == "--cold");
    let path = synth::cached(lines, gzip);
    if !cold {
        synth::warm(&path);
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let ds_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets");
    let dataset = Dataset::load(&ds_dir, "hdfs").expect("dataset");
    let engine = Engine::new(vec![Source { dataset, input: Input::Path(path.clone()) }]);
    let (start, end) = span(lines);
    println!(
        "file {} ({} lines, {:.0} MiB{}), {} threads, {}",
        path.display(),
        lines,
        size as f64 / 1048576.0,
        if gzip { ", gzip" } else { "" },
        rayon::current_num_threads(),
        if cold { "page cache dropped before each query" } else { "page cache warm" }
    );
    let range = |q: &str, limit: u32| RangeRequest {
        query: q.to_string(),
        start_ns: start,
        end_ns: end,
        step_ns: None,
        limit,
        direction: Direction::Backward,
    };
    let cases: Vec<(&str, RangeRequest)> = vec![
        ("count |= (range)", range(r#"count_over_time({app="hdfs"} |= "Deleting block" [1h])"#, 100)),
        (
            "regexp + sum by",
            range(r#"sum by (op) (count_over_time({app="hdfs"} | regexp "(?P<op>Receiving|Received|Deleting|Verification) block" [1h]))"#, 100),
        ),
        (
            "regexp (no filter) + topk sum by",
            range(r#"topk(5, sum by (src) (count_over_time({app="hdfs"} | regexp "src: /(?P<src>[0-9.]+):" [1h])))"#, 100),
        ),
        ("logs limit 100", range(r#"{app="hdfs"} |= "blk_""#, 100)),
        ("sum by (level) rate", range(r#"sum by (level) (rate({app="hdfs"}[1m]))"#, 100)),
    ];
    for (name, req) in cases {
        reset_peak();
        let mut secs = f64::INFINITY;
        if cold {
            drop_caches();
        }
        let mut r = if cold { Err(logcopilot::backend::BackendError::Cancelled) } else { engine.query_range(&req) };
        for _ in 0..if cold { 1 } else { runs } {
            let t = Instant::now();
            r = engine.query_range(&req);
            secs = secs.min(t.elapsed().as_secs_f64());
        }
        let shape = match &r {
            Ok(r) => format!("{} {}", r.len(), r.result_type()),
            Err(e) => format!("error: {e}"),
        };
        println!(
            "{name:<22} {secs:>7.3} s  {:>12.0} lines/s  peak RSS {:>6.0} MiB  -> {shape}",
            lines as f64 / secs,
            synth::peak_rss_mib()
        );
    }
    // An instant query over everything.
    reset_peak();
    let req = InstantRequest {
        query: r#"sum(count_over_time({app="hdfs"} |= "Deleting block" [1d]))"#.into(),
        time_ns: end,
        limit: 100,
        direction: Direction::Backward,
    };
    let mut secs = f64::INFINITY;
    if cold {
        drop_caches();
    }
    let mut r = if cold { Err(logcopilot::backend::BackendError::Cancelled) } else { engine.query(&req) };
    for _ in 0..if cold { 1 } else { runs } {
        let t = Instant::now();
        r = engine.query(&req);
        secs = secs.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{:<22} {secs:>7.3} s  {:>12.0} lines/s  peak RSS {:>6.0} MiB  -> {}",
        "count |= (instant)",
        lines as f64 / secs,
        synth::peak_rss_mib(),
        r.map_or_else(|e| format!("error: {e}"), |r| format!("{} {}", r.len(), r.result_type()))
    );
}
