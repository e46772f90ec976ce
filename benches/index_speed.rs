//! Indexing speed: writes a synthetic HDFS-like log of N lines from the hdfs
//! dataset's templates (random block ids, IPs, ports, sizes; blocks live a
//! while, so sessions and workflows are real), then times the index pass
//! (read + match + parameters + workflows) and reports lines/s and peak RSS.
//!
//! `cargo bench --bench index_speed -- [LINES] [--gzip] [--cold]`
//! (default 11,000,000 lines, the size of the full HDFS log). Not run in CI.

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
