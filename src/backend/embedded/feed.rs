//! Feeding blocks to the scan workers: every source's blocks in file order,
//! each with what the workers cannot see from the block alone (the stamp and
//! the text of the last line before it), and the stamp helpers for lines that
//! have none of their own.

use super::header::Header;
use super::scan::ScanSource;
use super::source::{Block, Blocks, YearIndex, add_years, lines};
use crate::backend::BackendError;

/// A source being read.
pub struct SourceReader<'a> {
    pub src: usize,
    pub blocks: Blocks,
    pub parser: Header<'a>,
    /// Stamp of the last stamped line read so far.
    pub carry: Option<i64>,
    /// The last non-empty line read so far.
    pub last_line: Vec<u8>,
}

/// A block and what came before it in its file.
pub struct Next {
    pub src: usize,
    pub block: Block,
    /// Stamp of the last stamped line before the block.
    pub carry: Option<i64>,
    /// The last non-empty line before the block.
    pub prev_line: Vec<u8>,
}

/// The nearest non-empty line ending before `before` (without its ending).
pub fn previous_line(data: &[u8], before: usize) -> Option<&[u8]> {
    let mut end = before;
    while end > 0 {
        let e = if data.get(end - 1) == Some(&b'\n') { end - 1 } else { end };
        let s = memchr::memrchr(b'\n', &data[..e]).map_or(0, |i| i + 1);
        let line = data[s..e].strip_suffix(b"\r").unwrap_or(&data[s..e]);
        if !line.is_empty() {
            return Some(line);
        }
        end = s;
    }
    None
}

/// The blocks of every source, in order, with the stamp of the last stamped
/// line before each block.
pub struct MultiBlocks<'a> {
    pub readers: Vec<SourceReader<'a>>,
    pub cur: usize,
}

impl MultiBlocks<'_> {
    pub fn next(&mut self, srcs: &[ScanSource<'_>]) -> Result<Option<Next>, BackendError> {
        while let Some(r) = self.readers.get_mut(self.cur) {
            match r.blocks.next_block()? {
                Some(b) => {
                    let carry = r.carry;
                    let years = srcs[r.src].years.as_deref();
                    if let Some(last) = last_stamp(&mut r.parser, years, b.index, b.data(), b.data().len(), 0) {
                        r.carry = Some(last);
                    }
                    let prev_line = match previous_line(b.data(), b.data().len()) {
                        Some(l) => std::mem::replace(&mut r.last_line, l.to_vec()),
                        None => r.last_line.clone(),
                    };
                    return Ok(Some(Next { src: r.src, block: b, carry, prev_line }));
                }
                None => self.cur += 1,
            }
        }
        Ok(None)
    }
}

/// The stamp of the nearest stamped line that starts before `before` and at
/// or after `floor`, scanning backwards.
pub fn last_stamp(
    parser: &mut Header<'_>,
    years: Option<&YearIndex>,
    block: u64,
    data: &[u8],
    before: usize,
    floor: usize,
) -> Option<i64> {
    let mut end = before;
    while end > floor {
        let e = if data.get(end - 1) == Some(&b'\n') { end - 1 } else { end };
        let s = memchr::memrchr(b'\n', &data[..e]).map_or(0, |i| i + 1);
        let line = data[s..e].strip_suffix(b"\r").unwrap_or(&data[s..e]);
        if !line.is_empty() {
            let text = String::from_utf8_lossy(line);
            parser.parse(&text);
            if let Some(ts) = parser.stamp {
                return Some(adjust(years, block, s, ts));
            }
        }
        if s < floor || s == 0 {
            break;
        }
        end = s;
    }
    None
}

#[inline]
pub fn adjust(years: Option<&YearIndex>, block: u64, off: usize, ts: i64) -> i64 {
    match years {
        Some(y) if !y.is_empty() => add_years(ts, y.offset_at(block, off as u32)),
        _ => ts,
    }
}

pub fn first_stamp(parser: &mut Header<'_>, years: Option<&YearIndex>, block: u64, data: &[u8]) -> Option<i64> {
    for (off, l) in lines(data) {
        if l.is_empty() {
            continue;
        }
        parser.parse(&String::from_utf8_lossy(l));
        if let Some(t) = parser.stamp {
            return Some(adjust(years, block, off, t));
        }
    }
    None
}

