//! Indexing speed: writes a synthetic HDFS-like log of N lines from the hdfs
//! dataset's templates (random block ids, IPs, ports, sizes; blocks live a
//! while, so sessions and workflows are real), then times the index pass
//! (read + match + parameters + workflows) and reports lines/s and peak RSS.
//!
//! `cargo bench --bench index_speed -- [LINES] [--gzip] [--cold]`
//! (default 11,000,000 lines, the size of the full HDFS log). Not run in CI.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use logcopilot::dataset::Dataset;
use logcopilot::index::{self, IndexOptions, templates};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn fill(tpl: &str, rng: &mut Rng, blocks: &[i64]) -> String {
    let mut out = String::with_capacity(tpl.len() + 64);
    let mut rest = tpl;
    while let Some(i) = rest.find("<*>") {
        let before = &rest[..i];
        out.push_str(before);
        let v = if before.ends_with("blk_") {
            blocks[rng.below(blocks.len() as u64) as usize].to_string()
        } else if before.ends_with(':') {
            "50010".to_string()
        } else if before.ends_with('/') || before.ends_with("src: ") || before.ends_with("to ") {
            format!("10.251.{}.{}", rng.below(256), rng.below(256))
        } else if before.ends_with("size ") {
            (67_108_864 - rng.below(4) * 1000).to_string()
        } else if before.ends_with("part-") {
            format!("{:05}", rng.below(1000))
        } else {
            rng.below(4096).to_string()
        };
        out.push_str(&v);
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

fn generate(path: &Path, lines: u64, gzip: bool) -> std::io::Result<()> {
    let ds_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets");
    let known = templates::load(&ds_dir.join("hdfs/templates.csv")).expect("templates");
    let file = std::fs::File::create(path)?;
    let mut w: Box<dyn Write> = if gzip {
        Box::new(BufWriter::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast())))
    } else {
        Box::new(BufWriter::with_capacity(1 << 20, file))
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut blocks: Vec<i64> = (0..2000).map(|_| rng.next() as i64).collect();
    let mut t = 1_226_260_800i64; // 2008-11-09 20:00:00 UTC
    for i in 0..lines {
        if i % 8 == 0 {
            let slot = rng.below(blocks.len() as u64) as usize;
            blocks[slot] = rng.next() as i64;
        }
        if i % 200 == 0 {
            t += 1;
        }
        let dt = chrono::DateTime::from_timestamp(t, 0).expect("time");
        let tpl = &known[rng.below(known.len() as u64) as usize].text;
        let content = fill(tpl, &mut rng, &blocks);
        writeln!(w, "{} {} INFO dfs.DataNode$PacketResponder: {content}\r", dt.format("%y%m%d %H%M%S"), 100 + rng.below(50))?;
    }
    w.flush()
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_string()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let lines: u64 = args.iter().find_map(|a| a.replace('_', "").parse().ok()).unwrap_or(11_000_000);
    let gzip = args.iter().any(|a| a == "--gzip");
    let cold = args.iter().any(|a| a == "--cold");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join(format!("hdfs_synth_{lines}.log{}", if gzip { ".gz" } else { "" }));
    if !path.exists() {
        eprintln!("writing {} ...", path.display());
        let tmp = path.with_extension("partial");
        generate(&tmp, lines, gzip).expect("generate");
        std::fs::rename(&tmp, &path).expect("rename");
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if cold {
        // Needs root; says so when it cannot drop the page cache.
        let ok = std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok();
        eprintln!("page cache dropped: {ok}");
    } else {
        // Warm the page cache (streaming, so the bench's RSS is the indexer's).
        if let Ok(mut f) = std::fs::File::open(&path) {
            let mut buf = vec![0u8; 1 << 20];
            while matches!(std::io::Read::read(&mut f, &mut buf), Ok(n) if n > 0) {}
        }
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
        peak_rss_mib(),
        out.stats.lines_known,
        out.stats.lines_mined,
        out.knowledge.sessions.sessions,
        out.knowledge.workflows.len(),
        if cold { "cold" } else { "warm" },
    );
}
