//! Streams a log file of any size in blocks that end at line boundaries.
//!
//! Plain or gzip (detected by its magic bytes). No whole-file load: a block is
//! about `block_size` bytes; a line longer than `max_line` is cut there and
//! counted. The last line may lack its newline. A binary file (a NUL byte in
//! the first 8 KiB, as ripgrep and grep judge it) is refused.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

/// Errors reading a log.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("reading {path} failed after {offset} bytes: {source}{}", gzip_hint(.gzip))]
    Read {
        path: PathBuf,
        offset: u64,
        gzip: bool,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} looks binary (a NUL byte at offset {offset}), not a text log")]
    Binary { path: PathBuf, offset: u64 },
}

fn gzip_hint(gzip: &bool) -> &'static str {
    if *gzip { " (the gzip stream is truncated or corrupt)" } else { "" }
}

/// One block of whole lines.
#[derive(Debug)]
pub struct Block {
    /// 0-based block number.
    pub index: u64,
    /// 1-based number of the first line in the block.
    pub first_line: u64,
    /// Bytes: whole lines, each ending in `\n` except perhaps the file's last.
    pub data: Vec<u8>,
}

impl Block {
    /// The lines of the block without their endings (`\n` or `\r\n`).
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> {
        LineIter { data: &self.data, pos: 0 }
    }
}

struct LineIter<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for LineIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.data.len() {
            return None;
        }
        let rest = &self.data[self.pos..];
        let (line, adv) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        self.pos += adv;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
}

/// Counters the reader keeps.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReadStats {
    pub bytes: u64,
    pub lines: u64,
    pub truncated_lines: u64,
}

/// Says whether a line may start a block.
type CutFn = Box<dyn Fn(&[u8]) -> bool + Send>;

/// Reads blocks from a file.
pub struct BlockReader {
    path: PathBuf,
    src: Box<dyn Read + Send>,
    gzip: bool,
    carry: Vec<u8>,
    block_size: usize,
    max_line: usize,
    next_index: u64,
    next_line: u64,
    eof: bool,
    /// Set while discarding the tail of an over-long line.
    skipping: bool,
    hasher: Xxh3,
    raw_bytes: u64,
    stats: ReadStats,
    /// Where a block may be cut: `cut_ok(line)` says a line may start a block.
    cut_ok: Option<CutFn>,
}

impl BlockReader {
    /// Opens a file, plain or gzip.
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let mut f = File::open(path).map_err(|source| ReadError::Open { path: path.into(), source })?;
        let mut head = [0u8; 2];
        let n = read_full(&mut f, &mut head).map_err(|source| ReadError::Open { path: path.into(), source })?;
        let gzip = n == 2 && head == [0x1f, 0x8b];
        let f = File::open(path).map_err(|source| ReadError::Open { path: path.into(), source })?;
        let src: Box<dyn Read + Send> = if gzip {
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, RawCounter::new(f))))
        } else {
            Box::new(RawCounter::new(f))
        };
        Ok(Self {
            path: path.into(),
            src,
            gzip,
            carry: Vec::new(),
            block_size: 1 << 20,
            max_line: 64 << 20,
            next_index: 0,
            next_line: 1,
            eof: false,
            skipping: false,
            hasher: Xxh3::new(),
            raw_bytes: 0,
            stats: ReadStats::default(),
            cut_ok: None,
        })
    }

    /// Opens a plain file at byte `from` (a line start), reading `len` bytes
    /// at most (all the rest when `None`); blocks number their lines from
    /// `first_line`. A gzip file can only be read whole (`from` 0; `len` is
    /// ignored).
    pub fn open_range(path: &Path, from: u64, len: Option<u64>, first_line: u64) -> Result<Self, ReadError> {
        let mut r = Self::open(path)?;
        r.next_line = first_line.max(1);
        if r.gzip {
            if from > 0 {
                return Err(ReadError::Open {
                    path: path.into(),
                    source: std::io::Error::other("a gzip file cannot be read from an offset"),
                });
            }
            return Ok(r);
        }
        if from == 0 && len.is_none() {
            return Ok(r);
        }
        let mut f = File::open(path).map_err(|source| ReadError::Open { path: path.into(), source })?;
        f.seek(SeekFrom::Start(from)).map_err(|source| ReadError::Open { path: path.into(), source })?;
        r.src = match len {
            Some(n) => Box::new(RawCounter::new(f).take(n)),
            None => Box::new(RawCounter::new(f)),
        };
        Ok(r)
    }

    /// Sets the target block size in bytes.
    pub fn block_size(mut self, n: usize) -> Self {
        self.block_size = n.max(4096);
        self
    }

    /// Sets the longest line kept whole; longer lines are cut there and counted.
    pub fn max_line(mut self, n: usize) -> Self {
        self.max_line = n.max(1024);
        self
    }

    /// Blocks will only be cut before a line for which `f` is true (when one exists
    /// in the block), so that continuation lines stay with their record.
    pub fn cut_before(mut self, f: impl Fn(&[u8]) -> bool + Send + 'static) -> Self {
        self.cut_ok = Some(Box::new(f));
        self
    }

    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// The hash of the decoded bytes read so far (the whole input once `next_block` returned None).
    pub fn content_hash(&self) -> u64 {
        self.hasher.digest()
    }

    /// Decoded bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.raw_bytes
    }

    fn fill(&mut self, want: usize) -> Result<usize, ReadError> {
        let start = self.carry.len();
        self.carry.resize(start + want, 0);
        let mut got = 0;
        while got < want {
            match self.src.read(&mut self.carry[start + got..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    self.carry.truncate(start + got);
                    return Err(ReadError::Read {
                        path: self.path.clone(),
                        offset: self.raw_bytes + got as u64,
                        gzip: self.gzip,
                        source,
                    });
                }
            }
        }
        self.carry.truncate(start + got);
        let fresh = &self.carry[start..];
        if self.raw_bytes < 8192 {
            let check = (8192 - self.raw_bytes as usize).min(fresh.len());
            if let Some(i) = memchr::memchr(0, &fresh[..check]) {
                return Err(ReadError::Binary { path: self.path.clone(), offset: self.raw_bytes + i as u64 });
            }
        }
        self.hasher.update(fresh);
        self.raw_bytes += got as u64;
        Ok(got)
    }

    /// The next block, or None at the end of the input.
    pub fn next_block(&mut self) -> Result<Option<Block>, ReadError> {
        loop {
            if !self.eof && self.carry.len() < self.block_size {
                let want = self.block_size - self.carry.len();
                self.fill(want)?;
            }
            if self.skipping {
                // Discard the rest of an over-long line.
                match memchr::memchr(b'\n', &self.carry) {
                    Some(i) => {
                        self.carry.drain(..=i);
                        self.skipping = false;
                    }
                    None => {
                        self.carry.clear();
                        if self.eof {
                            self.skipping = false;
                            return Ok(None);
                        }
                        continue;
                    }
                }
            }
            if self.carry.is_empty() {
                return Ok(None);
            }
            let cut = match memchr::memrchr(b'\n', &self.carry) {
                Some(i) => i + 1,
                None if self.eof => self.carry.len(),
                None => {
                    if self.carry.len() > self.max_line {
                        // Keep the head of the line, drop the rest up to its newline.
                        self.carry.truncate(self.max_line);
                        self.carry.push(b'\n');
                        self.skipping = true;
                        self.stats.truncated_lines += 1;
                        self.carry.len()
                    } else {
                        // A long line: read more until it ends.
                        let more = self.carry.len().max(self.block_size);
                        self.fill(more)?;
                        continue;
                    }
                }
            };
            let cut = self.adjust_cut(cut);
            let rest = self.carry.split_off(cut);
            let data = std::mem::replace(&mut self.carry, rest);
            let mut lines = memchr::memchr_iter(b'\n', &data).count() as u64;
            if data.last() != Some(&b'\n') {
                lines += 1;
            }
            let block = Block { index: self.next_index, first_line: self.next_line, data };
            self.next_index += 1;
            self.next_line += lines;
            self.stats.lines += lines;
            self.stats.bytes += block.data.len() as u64;
            return Ok(Some(block));
        }
    }

    /// Moves a cut back so that the next block starts with a line `cut_ok` accepts.
    fn adjust_cut(&self, cut: usize) -> usize {
        let Some(ok) = &self.cut_ok else { return cut };
        if self.eof && cut == self.carry.len() {
            return cut;
        }
        // The line that would start the next block begins at `cut`; if the next
        // block is not yet read we cannot know, so look backwards within this one.
        let next_line_start = &self.carry[cut..];
        if !next_line_start.is_empty() {
            let end = memchr::memchr(b'\n', next_line_start).unwrap_or(next_line_start.len());
            if ok(&next_line_start[..end]) {
                return cut;
            }
        }
        let mut end = cut.saturating_sub(1);
        while end > 0 {
            let start = memchr::memrchr(b'\n', &self.carry[..end]).map_or(0, |i| i + 1);
            let line = &self.carry[start..end];
            if start > 0 && ok(line.strip_suffix(b"\r").unwrap_or(line)) {
                return start;
            }
            if start == 0 {
                break;
            }
            end = start - 1;
        }
        cut
    }
}

/// Counts bytes of the underlying file (for progress on compressed input).
struct RawCounter {
    f: File,
}

impl RawCounter {
    fn new(f: File) -> Self {
        Self { f }
    }
}

impl Read for RawCounter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.f.read(buf)
    }
}

/// The bytes of `r`, gunzipped when they start with gzip's magic (the two
/// bytes looked at are kept); and whether there was any byte at all.
pub fn decoded<'a, R: Read + 'a>(mut r: R) -> std::io::Result<(Box<dyn Read + 'a>, bool)> {
    let mut head = [0u8; 2];
    let n = read_full(&mut r, &mut head)?;
    let rest = std::io::Cursor::new(head[..n].to_vec()).chain(r);
    let out: Box<dyn Read + 'a> = if n == 2 && head == [0x1f, 0x8b] { Box::new(flate2::read::MultiGzDecoder::new(rest)) } else { Box::new(rest) };
    Ok((out, n > 0))
}

fn read_full(f: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The xxh3 hash of a file's decoded content, as [`BlockReader::content_hash`] computes it.
pub fn hash_file(path: &Path) -> Result<u64, ReadError> {
    let mut r = BlockReader::open(path)?.block_size(4 << 20);
    while r.next_block()?.is_some() {}
    Ok(r.content_hash())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(path: &Path, block: usize) -> Result<(Vec<String>, Vec<u64>), ReadError> {
        let mut r = BlockReader::open(path)?.block_size(block).max_line(2048);
        let mut lines = Vec::new();
        let mut firsts = Vec::new();
        while let Some(b) = r.next_block()? {
            firsts.push(b.first_line);
            lines.extend(b.lines().map(|l| String::from_utf8_lossy(l).into_owned()));
        }
        Ok((lines, firsts))
    }

    #[test]
    fn crlf_and_missing_last_newline() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        std::fs::write(&p, "one\r\ntwo\n\nfour").unwrap();
        let (lines, _) = read_all(&p, 4096).unwrap();
        assert_eq!(lines, ["one", "two", "", "four"]);
    }

    #[test]
    fn blocks_keep_line_numbers() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        let text: String = (1..=5000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&p, &text).unwrap();
        let (lines, firsts) = read_all(&p, 4096).unwrap();
        assert_eq!(lines.len(), 5000);
        assert_eq!(lines[4999], "line 5000");
        assert!(firsts.len() > 5);
        assert_eq!(lines[(firsts[3] - 1) as usize], format!("line {}", firsts[3]));
    }

    #[test]
    fn long_line_is_cut_and_counted() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        let long = "x".repeat(10_000);
        std::fs::write(&p, format!("a\n{long}\nb\n")).unwrap();
        let mut r = BlockReader::open(&p).unwrap().block_size(4096).max_line(2048);
        let mut lines = Vec::new();
        while let Some(b) = r.next_block().unwrap() {
            lines.extend(b.lines().map(|l| l.len()));
        }
        assert_eq!(lines, [1, 2048, 1]);
        assert_eq!(r.stats().truncated_lines, 1);
    }

    #[test]
    fn gzip_and_truncated_gzip() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for i in 0..20_000 {
            writeln!(enc, "line {i} some text to compress").unwrap();
        }
        let gz = enc.finish().unwrap();
        std::fs::write(&p, &gz).unwrap();
        let (lines, _) = read_all(&p, 1 << 16).unwrap();
        assert_eq!(lines.len(), 20_000);
        std::fs::write(&p, &gz[..gz.len() / 2]).unwrap();
        let e = read_all(&p, 1 << 16).unwrap_err();
        assert!(e.to_string().contains("truncated or corrupt"), "{e}");
    }

    #[test]
    fn a_range_reads_whole_lines_from_an_offset() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        std::fs::write(&p, "one\ntwo\nthree\nfour\n").unwrap();
        let mut r = BlockReader::open_range(&p, 4, Some(10), 2).unwrap();
        let b = r.next_block().unwrap().unwrap();
        assert_eq!(b.first_line, 2);
        assert_eq!(b.lines().collect::<Vec<_>>(), [&b"two"[..], b"three"]);
        assert!(r.next_block().unwrap().is_none());
        assert_eq!(r.bytes_read(), 10);
        let mut r = BlockReader::open_range(&p, 14, None, 4).unwrap();
        assert_eq!(r.next_block().unwrap().unwrap().lines().collect::<Vec<_>>(), [&b"four"[..]]);
    }

    #[test]
    fn binary_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.bin");
        std::fs::write(&p, [0x7f, b'E', b'L', b'F', 0, 0, 1, 2]).unwrap();
        assert!(matches!(read_all(&p, 4096), Err(ReadError::Binary { offset: 4, .. })));
    }

    #[test]
    fn cut_before_keeps_continuations() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&format!("2024 record {i}\n  at frame one\n  at frame two\n"));
        }
        std::fs::write(&p, &text).unwrap();
        let mut r = BlockReader::open(&p).unwrap().block_size(4096).cut_before(|l| l.starts_with(b"2024"));
        while let Some(b) = r.next_block().unwrap() {
            assert!(b.data.starts_with(b"2024"), "block {} starts mid-record", b.index);
        }
    }
}
