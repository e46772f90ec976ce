//! Where the engine reads from: one [`Source`] per app (a dataset and its
//! log, a file or bytes from stdin), read as blocks of whole lines (~1 MiB),
//! plain or gzip, never the whole input at once.
//!
//! Year-less timestamps (syslog `Dec 10 06:55:46`) need the year roll-over
//! seen in file order; a sequential pass records where the year offset
//! changes ([`YearIndex`]) so blocks can then be processed in parallel.

use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::BackendError;
use crate::dataset::{Dataset, YearTracker};
use crate::logs::BlockReader;

use super::header::Header;

/// One app: its dataset (header format, labels, timestamps) and its log.
#[derive(Debug, Clone)]
pub struct Source {
    pub dataset: Dataset,
    pub input: Input,
}

/// The log of a source.
#[derive(Debug, Clone)]
pub enum Input {
    /// A file, plain or gzip.
    Path(PathBuf),
    /// Bytes already in memory (`--input -`).
    Memory(Arc<[u8]>),
}

/// Target block size.
pub const BLOCK_SIZE: usize = 1 << 20;

/// A block of whole lines (each ending in `\n`, except perhaps the last).
pub struct Block {
    pub index: u64,
    bytes: BlockBytes,
}

enum BlockBytes {
    Owned(Vec<u8>),
    Shared(Arc<[u8]>, usize, usize),
}

impl Block {
    pub fn data(&self) -> &[u8] {
        match &self.bytes {
            BlockBytes::Owned(v) => v,
            BlockBytes::Shared(a, s, e) => a.get(*s..*e).unwrap_or(&[]),
        }
    }
}

/// A line longer than this is cut (the rest becomes its own line).
const MAX_LINE: usize = 64 << 20;

/// Blocks of one input, in order.
pub enum Blocks {
    /// gzip input, through the shared reader.
    File(Box<BlockReader>, u64),
    /// A plain file, read directly (no hashing, one copy).
    Plain { file: std::fs::File, path: PathBuf, carry: Vec<u8>, eof: bool, index: u64, read: u64 },
    Memory { data: Arc<[u8]>, pos: usize, index: u64 },
}

fn io_err(path: &std::path::Path, e: std::io::Error) -> BackendError {
    BackendError::Io(format!("cannot read {}: {e}", path.display()))
}

impl Blocks {
    pub fn open(input: &Input) -> Result<Self, BackendError> {
        match input {
            Input::Path(p) => {
                let mut f = std::fs::File::open(p).map_err(|e| io_err(p, e))?;
                let mut head = [0u8; 2];
                let n = std::io::Read::read(&mut f, &mut head).map_err(|e| io_err(p, e))?;
                if n == 2 && head == [0x1f, 0x8b] {
                    let r = BlockReader::open(p).map_err(|e| BackendError::Io(e.to_string()))?.block_size(BLOCK_SIZE);
                    return Ok(Blocks::File(Box::new(r), 0));
                }
                let file = std::fs::File::open(p).map_err(|e| io_err(p, e))?;
                Ok(Blocks::Plain { file, path: p.clone(), carry: Vec::new(), eof: false, index: 0, read: 0 })
            }
            Input::Memory(d) => Ok(Blocks::Memory { data: Arc::clone(d), pos: 0, index: 0 }),
        }
    }

    pub fn next_block(&mut self) -> Result<Option<Block>, BackendError> {
        match self {
            Blocks::Plain { file, path, carry, eof, index, read } => {
                loop {
                    let want = if carry.len() < BLOCK_SIZE { BLOCK_SIZE } else { carry.len() + BLOCK_SIZE };
                    while !*eof && carry.len() < want {
                        let at = carry.len();
                        carry.resize(want, 0);
                        match std::io::Read::read(file, &mut carry[at..]) {
                            Ok(0) => {
                                carry.truncate(at);
                                *eof = true;
                            }
                            Ok(n) => {
                                if *read < 8192 {
                                    let check = (8192 - *read as usize).min(n);
                                    if let Some(i) = memchr::memchr(0, &carry[at..at + check]) {
                                        return Err(BackendError::Io(format!(
                                            "{} looks binary (a NUL byte at offset {}), not a text log",
                                            path.display(),
                                            *read + i as u64
                                        )));
                                    }
                                }
                                *read += n as u64;
                                carry.truncate(at + n);
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => carry.truncate(at),
                            Err(e) => return Err(io_err(path, e)),
                        }
                    }
                    if carry.is_empty() {
                        return Ok(None);
                    }
                    let cut = match memchr::memrchr(b'\n', carry) {
                        Some(i) => i + 1,
                        None if *eof || carry.len() >= MAX_LINE => carry.len(),
                        // A long line: read on until it ends.
                        None => continue,
                    };
                    let rest = carry.split_off(cut);
                    let data = std::mem::replace(carry, rest);
                    let b = Block { index: *index, bytes: BlockBytes::Owned(data) };
                    *index += 1;
                    return Ok(Some(b));
                }
            }
            Blocks::File(r, n) => match r.next_block().map_err(|e| BackendError::Io(e.to_string()))? {
                Some(b) => {
                    let index = *n;
                    *n += 1;
                    Ok(Some(Block { index, bytes: BlockBytes::Owned(b.data) }))
                }
                None => Ok(None),
            },
            Blocks::Memory { data, pos, index } => {
                if *pos >= data.len() {
                    return Ok(None);
                }
                let want = (*pos + BLOCK_SIZE).min(data.len());
                let end = match memchr::memchr(b'\n', &data[want.saturating_sub(1)..]) {
                    Some(i) => want.saturating_sub(1) + i + 1,
                    None => data.len(),
                };
                let b = Block { index: *index, bytes: BlockBytes::Shared(Arc::clone(data), *pos, end) };
                *pos = end;
                *index += 1;
                Ok(Some(b))
            }
        }
    }
}

/// Iterates the lines of a block: (byte offset of the line, line without
/// `\n`/`\r\n`).
pub fn lines(data: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        if pos >= data.len() {
            return None;
        }
        let start = pos;
        let (line, adv) = match memchr::memchr(b'\n', &data[pos..]) {
            Some(i) => (&data[pos..pos + i], i + 1),
            None => (&data[pos..], data.len() - pos),
        };
        pos += adv;
        Some((start, line.strip_suffix(b"\r").unwrap_or(line)))
    })
}

/// The line holding byte `at`: (start, end without the line ending).
pub fn line_around(data: &[u8], at: usize) -> (usize, usize) {
    let start = memchr::memrchr(b'\n', &data[..at]).map_or(0, |i| i + 1);
    let mut end = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i);
    if end > start && data[end - 1] == b'\r' {
        end -= 1;
    }
    (start, end)
}

/// Where the year offset of year-less stamps changes: (block, byte offset of
/// the line, offset in years from then on).
#[derive(Debug, Clone, Default)]
pub struct YearIndex {
    changes: Vec<(u64, u32, i32)>,
}

impl YearIndex {
    /// Reads the whole input once, in order, as the indexer's tracker does.
    pub fn build(ds: &Dataset, input: &Input, cancel: &std::sync::atomic::AtomicBool) -> Result<Self, BackendError> {
        let mut blocks = Blocks::open(input)?;
        let mut parser = Header::new(ds);
        let mut tracker = YearTracker::default();
        let mut changes = Vec::new();
        let mut last_offset = 0i32;
        while let Some(b) = blocks.next_block()? {
            if cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(BackendError::Cancelled);
            }
            for (off, line) in lines(b.data()) {
                if line.is_empty() {
                    continue;
                }
                let text = String::from_utf8_lossy(line);
                parser.parse(&text);
                let Some(raw) = parser.stamp else { continue };
                let adjusted = tracker.adjust(raw);
                let offset = years_between(raw, adjusted);
                if offset != last_offset {
                    changes.push((b.index, off as u32, offset));
                    last_offset = offset;
                }
            }
        }
        Ok(Self { changes })
    }

    /// The year offset at a line.
    pub fn offset_at(&self, block: u64, off: u32) -> i32 {
        let i = self.changes.partition_point(|&(b, o, _)| (b, o) <= (block, off));
        if i == 0 { 0 } else { self.changes[i - 1].2 }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

fn years_between(raw: i64, adjusted: i64) -> i32 {
    use chrono::{DateTime, Datelike, Utc};
    if raw == adjusted {
        return 0;
    }
    let a = DateTime::<Utc>::from_timestamp_nanos(raw).year();
    let b = DateTime::<Utc>::from_timestamp_nanos(adjusted).year();
    b - a
}

/// Adds whole years to a stamp (29 Feb falls back to 28 Feb), as the
/// indexer's tracker does.
pub fn add_years(ts: i64, years: i32) -> i64 {
    use chrono::{DateTime, Datelike, Utc};
    if years == 0 {
        return ts;
    }
    let dt = DateTime::<Utc>::from_timestamp_nanos(ts);
    let y = dt.year() + years;
    dt.with_year(y)
        .or_else(|| dt.with_day(28).and_then(|d| d.with_year(y)))
        .and_then(|d| d.timestamp_nanos_opt())
        .unwrap_or(ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_blocks_cut_at_newlines() {
        let mut text = String::new();
        for i in 0..200_000 {
            text.push_str(&format!("line {i}\r\n"));
        }
        let data: Arc<[u8]> = Arc::from(text.into_bytes().into_boxed_slice());
        let mut b = Blocks::open(&Input::Memory(data)).unwrap();
        let mut n = 0;
        let mut last = String::new();
        while let Some(block) = b.next_block().unwrap() {
            assert!(block.data().ends_with(b"\n"));
            for (_, l) in lines(block.data()) {
                n += 1;
                last = String::from_utf8_lossy(l).into_owned();
            }
        }
        assert_eq!(n, 200_000);
        assert_eq!(last, "line 199999");
    }

    #[test]
    fn line_around_finds_bounds() {
        let d = b"ab\r\ncd ef\r\ngh";
        assert_eq!(line_around(d, 6), (4, 9));
        assert_eq!(line_around(d, 12), (11, 13));
    }

    #[test]
    fn year_index_lookup() {
        let y = YearIndex { changes: vec![(2, 100, 1), (5, 0, 2)] };
        assert_eq!(y.offset_at(0, 0), 0);
        assert_eq!(y.offset_at(2, 99), 0);
        assert_eq!(y.offset_at(2, 100), 1);
        assert_eq!(y.offset_at(4, 9999), 1);
        assert_eq!(y.offset_at(7, 0), 2);
        assert_eq!(add_years(1_451_606_399_000_000_000, 1), 1_483_228_799_000_000_000);
    }
}
