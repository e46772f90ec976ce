//! The synthetic HDFS-like log shared by the benches: N lines from the hdfs
//! dataset's templates (random block ids, IPs, ports, sizes; blocks live a
//! while, so sessions and workflows are real), cached in target/bench-data.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use logcopilot::index::templates;

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

pub fn generate(path: &Path, lines: u64, gzip: bool) -> std::io::Result<()> {
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

pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_string()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// The cached log of `lines` lines (written on first use).
pub fn cached(lines: u64, gzip: bool) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join(format!("hdfs_synth_{lines}.log{}", if gzip { ".gz" } else { "" }));
    if !path.exists() {
        eprintln!("writing {} ...", path.display());
        let tmp = path.with_extension("partial");
        generate(&tmp, lines, gzip).expect("generate");
        std::fs::rename(&tmp, &path).expect("rename");
    }
    path
}

/// Reads a file once so it sits in the page cache.
pub fn warm(path: &Path) {
    if let Ok(mut f) = std::fs::File::open(path) {
        let mut buf = vec![0u8; 1 << 20];
        while matches!(std::io::Read::read(&mut f, &mut buf), Ok(n) if n > 0) {}
    }
}
