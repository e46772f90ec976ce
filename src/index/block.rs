//! The worker side of a pass: one block of lines parsed (header, timestamp,
//! level, content), matched against the known templates, with parameter and
//! field statistics and session ids gathered, for the merging thread.

use rustc_hash::FxHashMap;

use super::fields::{self, FieldStats};
use super::known::KnownMatcher;
use super::params::SlotStats;
use super::run::IndexOptions;
use super::tokens;
use crate::dataset::Dataset;
use crate::dataset::structured::Shape;
use crate::logs::record::decode;
use crate::logs::{Block, LineParser, Parsed};

/// Marks a line that no known template matched (resolved by Drain).
pub(super) const UNMATCHED: u32 = u32::MAX;
/// Marks a continuation line joined to the record before it.
pub(super) const CONTINUATION: u32 = u32::MAX - 1;
pub(super) const NO_TS: i64 = i64::MIN;

/// Per-block output of a worker.
pub(super) struct BlockOut {
    pub(super) block: Block,
    pub(super) tid: Vec<u32>,
    pub(super) ts: Vec<i64>,
    pub(super) level: Vec<u8>,
    /// Raw line span in the block (without the line ending).
    pub(super) raw: Vec<(u32, u32)>,
    /// Content span relative to the raw line.
    pub(super) content: Vec<(u32, u32)>,
    pub(super) lossy: Vec<u32>,
    /// (line index, first session, end session)
    pub(super) events: Vec<(u32, u32, u32)>,
    /// (key hash, pattern index, whether the span is in the content (else in
    /// the raw line), id span)
    pub(super) sessions: Vec<(u64, u8, bool, u32, u32)>,
    pub(super) params: FxHashMap<u32, Vec<SlotStats>>,
    /// Structured fields of lines a known template matched.
    pub(super) fields: FxHashMap<u32, FieldStats>,
    /// Contents that are not spans of their line (decoded messages), by line.
    pub(super) owned: Vec<(u32, String)>,
    pub(super) shapes: ShapeCounts,
    pub(super) not_fit: u64,
    pub(super) joined: u64,
}

/// What the structured lines of a block were.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct ShapeCounts {
    pub(super) structured: u64,
    pub(super) invalid: u64,
    pub(super) no_message: u64,
    pub(super) not_string: u64,
    pub(super) ts_bad: u64,
}

pub(super) struct Shared<'a> {
    pub(super) ds: &'a Dataset,
    pub(super) matcher: Option<KnownMatcher>,
    pub(super) slot_counts: Vec<usize>,
    pub(super) opts: &'a IndexOptions,
}

pub(super) fn process_block(sh: &Shared<'_>, parser: &mut LineParser<'_>, block: Block) -> BlockOut {
    let cap = block.data.len() / 64 + 16;
    let mut out = BlockOut {
        tid: Vec::with_capacity(cap),
        ts: Vec::with_capacity(cap),
        level: Vec::with_capacity(cap),
        raw: Vec::with_capacity(cap),
        content: Vec::with_capacity(cap),
        lossy: Vec::new(),
        events: Vec::new(),
        sessions: Vec::new(),
        params: FxHashMap::default(),
        fields: FxHashMap::default(),
        owned: Vec::new(),
        shapes: ShapeCounts::default(),
        not_fit: 0,
        joined: 0,
        block: Block { index: 0, first_line: 0, data: Vec::new() },
    };
    let structured = sh.ds.header.structured_format().is_some();
    let mut parsed = Parsed::default();
    let mut toks = Vec::with_capacity(32);
    let mut caps = Vec::with_capacity(8);
    let base = block.data.as_ptr() as usize;
    let mut prev_fit = false;
    let mut joined_run = 0usize;
    for (i, line) in block.lines().enumerate() {
        let off = line.as_ptr() as usize - base;
        out.raw.push((off as u32, (off + line.len()) as u32));
        let (text, lossy) = decode(line);
        if lossy {
            out.lossy.push(i as u32);
        }
        parser.parse(&text, &mut parsed);
        if !parsed.fit {
            out.not_fit += 1;
            if sh.ds.join_continuations && prev_fit && joined_run < sh.ds.max_join_lines {
                joined_run += 1;
                out.joined += 1;
                out.tid.push(CONTINUATION);
                out.ts.push(NO_TS);
                out.level.push(0);
                out.content.push(parsed.content);
                continue;
            }
        }
        prev_fit = parsed.fit;
        joined_run = 0;
        if structured {
            let s = &mut out.shapes;
            match parsed.shape {
                Shape::Invalid => s.invalid += 1,
                Shape::NoMessage => s.no_message += 1,
                Shape::MessageNotString => s.not_string += 1,
                _ => {}
            }
            s.structured += u64::from(parsed.shape.is_structured());
        }
        out.shapes.ts_bad += u64::from(parsed.ts_bad);
        out.ts.push(parsed.ts.unwrap_or(NO_TS));
        out.level.push(parsed.level);
        out.content.push(parsed.content);
        if let Some(d) = &parsed.decoded {
            out.owned.push((i as u32, d.clone()));
        }
        let content = parsed.content(&text);
        let mut tid = UNMATCHED;
        if let Some(m) = &sh.matcher {
            tokens::split(content, &mut toks);
            if let Some(id) = m.find(content, &toks, &mut caps) {
                tid = id;
                let n = sh.slot_counts[id as usize];
                let limit = sh.opts.distinct_exact_limit;
                let slots = out.params.entry(id).or_insert_with(|| (0..n).map(|_| SlotStats::new(limit)).collect());
                for (s, &(a, b)) in slots.iter_mut().zip(caps.iter()) {
                    s.add(&content[a as usize..b as usize], 1);
                }
                if structured && parsed.shape.is_structured() {
                    fields::collect(sh.ds, &text, out.fields.entry(id).or_default(), limit);
                }
            }
        }
        out.tid.push(tid);
        if !sh.ds.sessions.is_empty() {
            let start = out.sessions.len() as u32;
            for (pi, p) in sh.ds.sessions.iter().enumerate() {
                let (hay, in_content, base) = match p.field {
                    None => (content, true, 0),
                    Some(f) => {
                        let h = parsed.field(&text, f);
                        (h, false, (h.as_ptr() as usize).saturating_sub(text.as_ptr() as usize))
                    }
                };
                for c in p.regex.captures_iter(hay) {
                    let Some(m) = c.get(1).or_else(|| c.get(0)) else { continue };
                    let id = m.as_str();
                    let mut key = xxhash_rust::xxh3::xxh3_64(id.as_bytes());
                    key ^= (pi as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    if out.sessions[start as usize..].iter().any(|s| s.0 == key) {
                        continue;
                    }
                    let (a, b) = (base + m.start(), base + m.end());
                    out.sessions.push((key, pi as u8, in_content, a as u32, b as u32));
                }
            }
            let end = out.sessions.len() as u32;
            if end > start {
                out.events.push((i as u32, start, end));
            }
        }
    }
    out.block = block;
    out
}

