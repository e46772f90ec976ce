//! One streaming indexing pass: a reader thread cuts the input into blocks,
//! worker threads parse headers, match known templates, collect parameter
//! statistics and find session ids, and the calling thread merges blocks in
//! order: it mines templates for unmatched lines (Drain is sequential), keeps
//! template counts and examples, and tracks sessions for workflows.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rustc_hash::FxHashMap;

use super::drain::{Drain, DrainConfig, Tok, prepare};
use super::event::{IndexEvent, Phase};
use super::known::KnownMatcher;
use super::fields::{self, FieldStats};
use super::params::{SlotStats, guess_names};
use super::templates::KnownTemplate;
use super::tokens;
use super::workflows::{END, START, Tracker, WorkflowConfig};
use crate::dataset::level::LEVELS;
use crate::dataset::timestamp::{YearTracker, rfc3339};
use crate::dataset::Dataset;
use crate::dataset::structured::Shape;
use crate::knowledge::{
    Example, Knowledge, TemplateParams, TemplateRecord, TemplateSource, Transition, WorkflowRecord,
};
use crate::logs::record::decode;
use crate::logs::{Block, BlockReader, LineParser, Parsed, ReadError};

/// Marks a line that no known template matched (resolved by Drain).
const UNMATCHED: u32 = u32::MAX;
/// Marks a continuation line joined to the record before it.
const CONTINUATION: u32 = u32::MAX - 1;
const NO_TS: i64 = i64::MIN;
const EXAMPLE_MAX: usize = 2000;

/// What shapes an indexing run.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    pub use_known_templates: bool,
    pub threads: usize,
    pub block_size: usize,
    pub max_line_bytes: usize,
    pub drain: DrainConfig,
    pub examples_per_template: usize,
    pub workflow: WorkflowConfig,
    pub workflow_min_support: u64,
    pub distinct_exact_limit: usize,
    pub top_values: usize,
    /// Keep each line's template (for `parse`).
    pub keep_line_templates: bool,
}

impl Default for IndexOptions {
    fn default() -> Self {
        Self {
            use_known_templates: true,
            threads: 0,
            block_size: 1 << 20,
            max_line_bytes: 64 << 20,
            drain: DrainConfig::default(),
            examples_per_template: 3,
            workflow: WorkflowConfig {
                idle_ns: 3600 * 1_000_000_000,
                max_open: 200_000,
                max_workflows: 10_000,
                examples: 5,
            },
            workflow_min_support: 2,
            distinct_exact_limit: 4096,
            top_values: 10,
            keep_line_templates: false,
        }
    }
}

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{0}")]
    Templates(#[from] super::templates::TemplatesError),
    #[error("{path} is empty: nothing to index")]
    Empty { path: String },
    #[error("cancelled")]
    Cancelled,
}

/// Counters of a run.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RunStats {
    pub lines: u64,
    pub bytes: u64,
    /// Lines that did not fit the header format (kept as content-only).
    pub lines_not_fitting: u64,
    /// Lines decoded lossily because they were not valid UTF-8.
    pub lines_invalid_utf8: u64,
    /// Lines cut at the maximum line length.
    pub lines_truncated: u64,
    /// Lines joined to the record before them (multiline records).
    pub lines_joined: u64,
    /// Records whose timestamp was missing or did not parse.
    pub timestamps_missing: u64,
    /// Of those, records with stamp text that did not parse (another format).
    pub timestamps_bad: u64,
    /// JSON / logfmt datasets: lines that were structured.
    pub structured_lines: u64,
    /// JSON / logfmt datasets: lines that start like one but do not parse
    /// (kept whole as plain messages). The other lines not fitting are plain.
    pub lines_invalid_structured: u64,
    /// Structured lines without the message key (the whole line is the message).
    pub messages_missing: u64,
    /// Structured lines whose message is not a string (the whole line is the message).
    pub messages_not_string: u64,
    /// Structured field values not kept (a template past its field-name limit).
    pub field_values_dropped: u64,
    pub lines_known: u64,
    pub lines_mined: u64,
    pub templates_known: u64,
    pub templates_mined: u64,
    pub input_hash: String,
    pub gzip: bool,
    pub secs: f64,
}

/// The result of a run.
#[derive(Debug, Clone, Default)]
pub struct IndexOutput {
    pub knowledge: Knowledge,
    pub stats: RunStats,
    /// Per input line, the index into `knowledge.templates` (when asked for).
    pub line_templates: Option<Vec<u32>>,
    /// Final mined templates (after splitting low-cardinality word slots), for the second pass.
    mined_final: Vec<String>,
}

/// Per-block output of a worker.
struct BlockOut {
    block: Block,
    tid: Vec<u32>,
    ts: Vec<i64>,
    level: Vec<u8>,
    /// Raw line span in the block (without the line ending).
    raw: Vec<(u32, u32)>,
    /// Content span relative to the raw line.
    content: Vec<(u32, u32)>,
    lossy: Vec<u32>,
    /// (line index, first session, end session)
    events: Vec<(u32, u32, u32)>,
    /// (key hash, pattern index, whether the span is in the content (else in
    /// the raw line), id span)
    sessions: Vec<(u64, u8, bool, u32, u32)>,
    params: FxHashMap<u32, Vec<SlotStats>>,
    /// Structured fields of lines a known template matched.
    fields: FxHashMap<u32, FieldStats>,
    /// Contents that are not spans of their line (decoded messages), by line.
    owned: Vec<(u32, String)>,
    shapes: ShapeCounts,
    not_fit: u64,
    joined: u64,
}

/// What the structured lines of a block were.
#[derive(Debug, Default, Clone, Copy)]
struct ShapeCounts {
    structured: u64,
    invalid: u64,
    no_message: u64,
    not_string: u64,
    ts_bad: u64,
}

struct Shared<'a> {
    ds: &'a Dataset,
    matcher: Option<KnownMatcher>,
    slot_counts: Vec<usize>,
    opts: &'a IndexOptions,
}

fn process_block(sh: &Shared<'_>, parser: &mut LineParser<'_>, block: Block) -> BlockOut {
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

#[derive(Default)]
struct TplAcc {
    count: u64,
    first: i64,
    last: i64,
    levels: [u64; 7],
    examples: Vec<Example>,
}

impl TplAcc {
    fn new() -> Self {
        Self { first: i64::MAX, last: i64::MIN, ..Default::default() }
    }
}

/// Drain-side parameter statistics, by token position.
struct MinedSlots {
    by_pos: FxHashMap<usize, SlotStats>,
}

/// Most distinct values of a word slot (no digits) for the slot to be taken
/// as a set of constants: a mined template is split into one per value.
const SPLIT_MAX_DISTINCT: u64 = 4;

/// Indexes `input`. Lines no known template matches are mined (Drain); when
/// anything was mined, a second pass matches every line against the known and
/// the final mined templates, so that counts, parameters and workflows of
/// mined templates are exact and follow the final templates.
pub fn run(
    ds: &Dataset,
    input: &Path,
    known: &[KnownTemplate],
    opts: &IndexOptions,
    on_event: &(dyn Fn(IndexEvent) + Sync),
    cancel: &AtomicBool,
) -> Result<IndexOutput, IndexError> {
    let started = Instant::now();
    let known_used: Vec<KnownTemplate> = if opts.use_known_templates { known.to_vec() } else { Vec::new() };
    let first = run_once(ds, input, &known_used, known_used.len(), opts, on_event, cancel)?;
    if first.mined_final.is_empty() {
        return Ok(first);
    }
    let mut all = known_used.clone();
    for (i, t) in first.mined_final.iter().enumerate() {
        all.push(KnownTemplate { id: format!("M{}", i + 1), text: t.clone() });
    }
    let mut second = run_once(ds, input, &all, known_used.len(), opts, on_event, cancel)?;
    second.stats.secs = started.elapsed().as_secs_f64();
    Ok(second)
}

#[allow(clippy::too_many_arguments)]
fn run_once(
    ds: &Dataset,
    input: &Path,
    known_used: &[KnownTemplate],
    n_real_known: usize,
    opts: &IndexOptions,
    on_event: &(dyn Fn(IndexEvent) + Sync),
    cancel: &AtomicBool,
) -> Result<IndexOutput, IndexError> {
    let started = Instant::now();
    let total_bytes = std::fs::metadata(input).ok().map(|m| m.len());
    on_event(IndexEvent::Started { phase: Phase::Read, total_bytes });
    let mut reader = BlockReader::open(input)?.block_size(opts.block_size).max_line(opts.max_line_bytes);
    if ds.join_continuations {
        let fmt = ds.header.clone();
        reader = reader.cut_before(move |l| {
            let s = String::from_utf8_lossy(l);
            let mut spans = crate::dataset::FieldSpans::default();
            fmt.match_line(s.trim(), &mut spans)
        });
    }
    let gzip = reader.is_gzip();
    let matcher = (!known_used.is_empty()).then(|| {
        KnownMatcher::with_token_slots(&known_used.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(), n_real_known)
    });
    let slot_counts: Vec<usize> = known_used
        .iter()
        .enumerate()
        .map(|(i, t)| if i < n_real_known { slot_count(&t.text) } else { t.text.matches("<*>").count() })
        .collect();
    let shared = Shared { ds, matcher, slot_counts, opts };
    let threads = if opts.threads == 0 { std::thread::available_parallelism().map_or(2, |n| n.get()) } else { opts.threads };

    let nk = known_used.len();
    let mut accs: Vec<TplAcc> = (0..nk).map(|_| TplAcc::new()).collect();
    let mut known_params: Vec<Vec<SlotStats>> =
        shared.slot_counts.iter().map(|&n| (0..n).map(|_| SlotStats::new(opts.distinct_exact_limit)).collect()).collect();
    let mut fields_acc: Vec<FieldStats> = (0..nk).map(|_| FieldStats::default()).collect();
    let structured = ds.header.structured_format().is_some();
    let mut drain = Drain::new(opts.drain);
    let mut mined_slots: Vec<MinedSlots> = Vec::new();
    let mut tracker = Tracker::new(opts.workflow);
    let mut years = YearTracker::default();
    let yearless = ds.timestamp.as_ref().is_some_and(|t| t.is_yearless());
    let mut stats = RunStats { gzip, ..Default::default() };
    let mut line_templates = opts.keep_line_templates.then(Vec::new);

    let reader = Mutex::new(reader);
    let read_error: Mutex<Option<ReadError>> = Mutex::new(None);
    let (block_tx, block_rx) = sync_channel::<Block>(threads * 2);
    let block_rx = Arc::new(Mutex::new(block_rx));
    let (out_tx, out_rx) = sync_channel::<BlockOut>(threads * 2);

    std::thread::scope(|scope| -> Result<(), IndexError> {
        // Reader.
        let reader_ref = &reader;
        let read_error_ref = &read_error;
        scope.spawn(move || {
            let tx: SyncSender<Block> = block_tx;
            let mut r = reader_ref.lock().expect("reader lock");
            loop {
                if cancel.load(Ordering::Relaxed) {
                    break;
                }
                match r.next_block() {
                    Ok(Some(b)) => {
                        if tx.send(b).is_err() {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        *read_error_ref.lock().expect("error lock") = Some(e);
                        break;
                    }
                }
            }
        });
        // Workers.
        for _ in 0..threads {
            let rx: Arc<Mutex<Receiver<Block>>> = Arc::clone(&block_rx);
            let tx = out_tx.clone();
            let sh = &shared;
            scope.spawn(move || {
                let mut parser = LineParser::new(sh.ds);
                loop {
                    let next = rx.lock().expect("block queue").recv();
                    let Ok(block) = next else { break };
                    if tx.send(process_block(sh, &mut parser, block)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(out_tx);
        // Merge in order.
        let mut pending: BTreeMap<u64, BlockOut> = BTreeMap::new();
        let mut next = 0u64;
        let mut last_report = Instant::now();
        for out in out_rx.iter() {
            if cancel.load(Ordering::Relaxed) {
                return Err(IndexError::Cancelled);
            }
            pending.insert(out.block.index, out);
            while let Some(b) = pending.remove(&next) {
                next += 1;
                stats.lines += b.tid.len() as u64;
                stats.bytes += b.block.data.len() as u64;
                stats.lines_not_fitting += b.not_fit;
                stats.lines_invalid_utf8 += b.lossy.len() as u64;
                stats.lines_joined += b.joined;
                stats.structured_lines += b.shapes.structured;
                stats.lines_invalid_structured += b.shapes.invalid;
                stats.messages_missing += b.shapes.no_message;
                stats.messages_not_string += b.shapes.not_string;
                stats.timestamps_bad += b.shapes.ts_bad;
                for (tid, params) in &b.params {
                    for (g, p) in known_params[*tid as usize].iter_mut().zip(params.iter()) {
                        g.merge(p);
                    }
                }
                for (tid, f) in &b.fields {
                    if let Some(acc) = fields_acc.get_mut(*tid as usize) {
                        acc.merge(f, opts.distinct_exact_limit);
                    }
                }
                let mut ev = 0usize;
                let mut lossy_i = 0usize;
                let mut owned_i = 0usize;
                let mut last_tid = UNMATCHED;
                for i in 0..b.tid.len() {
                    let (ra, rb) = b.raw[i];
                    let bytes = &b.block.data[ra as usize..rb as usize];
                    let is_lossy = lossy_i < b.lossy.len() && b.lossy[lossy_i] as usize == i;
                    if is_lossy {
                        lossy_i += 1;
                    }
                    let mut tid = b.tid[i];
                    if tid == CONTINUATION {
                        if let Some(lt) = line_templates.as_mut() {
                            lt.push(last_tid);
                        }
                        continue;
                    }
                    let text = if is_lossy {
                        std::borrow::Cow::Owned(String::from_utf8_lossy(bytes).into_owned())
                    } else {
                        // Valid: the worker checked it (lossy lines are handled above).
                        std::borrow::Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or(""))
                    };
                    let (ca, cb) = b.content[i];
                    while owned_i < b.owned.len() && (b.owned[owned_i].0 as usize) < i {
                        owned_i += 1;
                    }
                    let content: &str = match b.owned.get(owned_i) {
                        Some((li, c)) if *li as usize == i => c,
                        _ => text.get(ca as usize..cb as usize).unwrap_or(""),
                    };
                    if tid == UNMATCHED {
                        let mut dtoks: Vec<&str> = Vec::with_capacity(32);
                        let mut dmask: Vec<bool> = Vec::with_capacity(32);
                        prepare(content, &mut dtoks, &mut dmask);
                        for (t, m) in dtoks.iter().zip(dmask.iter_mut()) {
                            if !*m && ds.masking.iter().any(|r| r.regex.is_match(t)) {
                                *m = true;
                            }
                        }
                        let added = drain.add(&dtoks, &dmask);
                        let cid = added.cluster as usize;
                        if added.created {
                            mined_slots.push(MinedSlots { by_pos: FxHashMap::default() });
                            accs.push(TplAcc::new());
                            fields_acc.push(FieldStats::default());
                        }
                        let ms = &mut mined_slots[cid];
                        for (pos, lit) in &added.generalized {
                            let s = ms.by_pos.entry(*pos).or_insert_with(|| SlotStats::new(opts.distinct_exact_limit));
                            s.add(lit, added.size_before);
                        }
                        for (pos, t) in drain.clusters()[cid].tokens.iter().enumerate() {
                            if matches!(t, Tok::Slot) {
                                let s = ms.by_pos.entry(pos).or_insert_with(|| SlotStats::new(opts.distinct_exact_limit));
                                s.add(dtoks[pos], 1);
                            }
                        }
                        tid = (nk + cid) as u32;
                        stats.lines_mined += 1;
                        if structured {
                            fields::collect(ds, &text, &mut fields_acc[tid as usize], opts.distinct_exact_limit);
                        }
                    } else if (tid as usize) < n_real_known {
                        stats.lines_known += 1;
                    } else {
                        stats.lines_mined += 1;
                    }
                    last_tid = tid;
                    let mut ts = b.ts[i];
                    if ts == NO_TS {
                        stats.timestamps_missing += 1;
                    } else if yearless {
                        ts = years.adjust(ts);
                    }
                    let acc = &mut accs[tid as usize];
                    acc.count += 1;
                    if ts != NO_TS {
                        acc.first = acc.first.min(ts);
                        acc.last = acc.last.max(ts);
                    }
                    acc.levels[b.level[i] as usize] += 1;
                    if acc.examples.len() < opts.examples_per_template {
                        let mut raw = text.to_string();
                        if raw.len() > EXAMPLE_MAX {
                            let mut cut = EXAMPLE_MAX;
                            while !raw.is_char_boundary(cut) {
                                cut -= 1;
                            }
                            raw.truncate(cut);
                        }
                        acc.examples.push(Example { line: b.block.first_line + i as u64, raw });
                    }
                    if let Some(lt) = line_templates.as_mut() {
                        lt.push(tid);
                    }
                    while ev < b.events.len() && (b.events[ev].0 as usize) < i {
                        ev += 1;
                    }
                    if ev < b.events.len() && b.events[ev].0 as usize == i {
                        let (_, s0, s1) = b.events[ev];
                        for &(key, kind, in_content, ia, ib) in &b.sessions[s0 as usize..s1 as usize] {
                            let hay: &str = if in_content { content } else { &text };
                            let id = hay.get(ia as usize..ib as usize).unwrap_or("");
                            tracker.event(key, kind, id, tid, (ts != NO_TS).then_some(ts));
                        }
                    }
                }
                if last_report.elapsed().as_millis() >= 100 {
                    last_report = Instant::now();
                    on_event(IndexEvent::Progress { phase: Phase::Read, bytes: stats.bytes, lines: stats.lines });
                }
            }
        }
        Ok(())
    })?;
    if cancel.load(Ordering::Relaxed) {
        return Err(IndexError::Cancelled);
    }
    let reader = reader.into_inner().expect("reader lock");
    if let Some(e) = read_error.into_inner().expect("error lock") {
        return Err(e.into());
    }
    stats.lines_truncated = reader.stats().truncated_lines;
    stats.input_hash = format!("{:016x}", reader.content_hash());
    if stats.lines == 0 || reader.bytes_read() == 0 {
        return Err(IndexError::Empty { path: input.display().to_string() });
    }
    on_event(IndexEvent::Progress { phase: Phase::Read, bytes: stats.bytes, lines: stats.lines });
    on_event(IndexEvent::Finished { phase: Phase::Read, lines: stats.lines, secs: started.elapsed().as_secs_f64() });

    // Finish: records, parameters, workflows.
    let fin = Instant::now();
    on_event(IndexEvent::Started { phase: Phase::Finish, total_bytes: None });
    tracker.finish();
    stats.field_values_dropped = fields_acc.iter().map(|f| f.dropped).sum();
    let out = finish(ds, known_used, n_real_known, opts, accs, known_params, fields_acc, &drain, mined_slots, &tracker, &mut stats, line_templates);
    on_event(IndexEvent::Finished { phase: Phase::Finish, lines: stats.lines, secs: fin.elapsed().as_secs_f64() });
    let mut out = out;
    stats.secs = started.elapsed().as_secs_f64();
    out.stats = stats;
    Ok(out)
}

/// Number of `<*>` slots in a template.
pub fn slot_count(t: &str) -> usize {
    let mut n = 0;
    let mut prev_star = false;
    for tok in t.split_ascii_whitespace() {
        let star = tok == "<*>";
        if star && prev_star {
            continue;
        }
        prev_star = star;
        n += tok.matches("<*>").count();
    }
    n
}

#[allow(clippy::too_many_arguments)]
fn finish(
    ds: &Dataset,
    known: &[KnownTemplate],
    n_real_known: usize,
    opts: &IndexOptions,
    accs: Vec<TplAcc>,
    known_params: Vec<Vec<SlotStats>>,
    fields_acc: Vec<FieldStats>,
    drain: &Drain,
    mined_slots: Vec<MinedSlots>,
    tracker: &Tracker,
    stats: &mut RunStats,
    line_templates: Option<Vec<u32>>,
) -> IndexOutput {
    let nk = known.len();
    // Mined clusters that ended with the same text are one template.
    let mut by_text: FxHashMap<String, usize> = FxHashMap::default();
    let mut canon: Vec<u32> = (0..nk as u32).collect();
    struct Final {
        id: String,
        text: String,
        source: TemplateSource,
        acc: TplAcc,
        slots: Vec<SlotStats>,
        fields: FieldStats,
    }
    let mut finals: Vec<Final> = Vec::new();
    let mut fields_acc = fields_acc.into_iter();
    for (i, ((t, acc), slots)) in known.iter().zip(accs.iter().take(nk)).zip(known_params).enumerate() {
        let source = if i < n_real_known { TemplateSource::Known } else { TemplateSource::Mined };
        by_text.entry(t.text.clone()).or_insert(finals.len());
        let fields = fields_acc.next().unwrap_or_default();
        finals.push(Final { id: t.id.clone(), text: t.text.clone(), source, acc: clone_acc(acc), slots, fields });
    }
    let mut mined_n = nk - n_real_known;
    let mut mined_final: Vec<String> = Vec::new();
    for (cid, (c, ms)) in drain.clusters().iter().zip(mined_slots).enumerate() {
        let text = c.text();
        let slots: Vec<SlotStats> = c
            .tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| matches!(t, Tok::Slot))
            .map(|(p, _)| ms.by_pos.get(&p).cloned().unwrap_or_else(|| SlotStats::new(opts.distinct_exact_limit)))
            .collect();
        let acc = &accs[nk + cid];
        let fields = fields_acc.next().unwrap_or_default();
        match by_text.get(&text) {
            Some(&fi) => {
                let f = &mut finals[fi];
                merge_acc(&mut f.acc, acc, opts.examples_per_template);
                for (a, b) in f.slots.iter_mut().zip(&slots) {
                    a.merge(b);
                }
                f.fields.merge(&fields, opts.distinct_exact_limit);
                canon.push(fi as u32);
            }
            None => {
                mined_n += 1;
                mined_final.extend(split_word_slots(&c.tokens, &slots));
                by_text.insert(text.clone(), finals.len());
                canon.push(finals.len() as u32);
                finals.push(Final { id: format!("M{mined_n}"), text, source: TemplateSource::Mined, acc: clone_acc(acc), slots, fields });
            }
        }
    }
    stats.templates_known = known.iter().zip(&accs).take(n_real_known).filter(|(_, a)| a.count > 0).count() as u64;
    stats.templates_mined = finals.iter().filter(|f| f.source == TemplateSource::Mined && f.acc.count > 0).count() as u64;
    // Templates that matched no line (known ones absent from this log, mined ones
    // superseded in the second pass) stay in the store only when known.
    let keep: Vec<bool> = finals.iter().map(|f| f.source == TemplateSource::Known || f.acc.count > 0).collect();
    let mut renumber: Vec<u32> = Vec::with_capacity(finals.len());
    let mut kept = 0u32;
    for &k in &keep {
        renumber.push(kept);
        if k {
            kept += 1;
        }
    }
    for c in canon.iter_mut() {
        *c = renumber[*c as usize];
    }
    let finals: Vec<Final> = finals.into_iter().zip(&keep).filter(|(_, k)| **k).map(|(f, _)| f).collect();
    let line_templates = line_templates.map(|v| v.into_iter().map(|t| if t == UNMATCHED { t } else { canon[t as usize] }).collect());

    let mut k = Knowledge::default();
    for f in &finals {
        let types: Vec<_> = f.slots.iter().map(|s| s.inferred_type()).collect();
        let names = guess_names(&f.text, &types);
        let mut levels = BTreeMap::new();
        for (i, &n) in f.acc.levels.iter().enumerate() {
            if n > 0 {
                levels.insert(LEVELS[i].to_string(), n);
            }
        }
        k.templates.push(TemplateRecord {
            id: f.id.clone(),
            text: f.text.clone(),
            source: f.source,
            count: f.acc.count,
            first_seen: (f.acc.first != i64::MAX).then(|| rfc3339(f.acc.first)),
            last_seen: (f.acc.last != i64::MIN).then(|| rfc3339(f.acc.last)),
            levels,
            examples: f.acc.examples.clone(),
        });
        k.params.push(TemplateParams {
            template_id: f.id.clone(),
            template: f.text.clone(),
            params: f
                .slots
                .iter()
                .enumerate()
                .map(|(i, s)| s.summary(names.get(i).cloned().unwrap_or_else(|| format!("p{i}")), i, opts.top_values))
                .chain(f.fields.summaries(f.slots.len(), opts.top_values))
                .collect(),
        });
    }
    // Workflows.
    let id_of = |t: u32| -> String {
        match t {
            START => "^".into(),
            END => "$".into(),
            t => finals[canon[t as usize] as usize].id.clone(),
        }
    };
    // (kind, template ids) -> (support, example sessions, first seen order)
    type Group = (u64, Vec<String>, u64);
    let mut merged: BTreeMap<(u8, Vec<String>), Group> = BTreeMap::new();
    for ((kind, seq), acc) in &tracker.seqs {
        // Collapse again after canonicalising mined ids.
        let mut ids: Vec<String> = Vec::with_capacity(seq.len());
        for &t in seq {
            let id = id_of(t);
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
        let e = merged.entry((*kind, ids)).or_insert((0, Vec::new(), acc.first_order));
        e.0 += acc.support;
        e.2 = e.2.min(acc.first_order);
        for ex in &acc.examples {
            if e.1.len() < opts.workflow.examples {
                e.1.push(ex.to_string());
            }
        }
    }
    let mut wf: Vec<_> = merged.into_iter().filter(|(_, v)| v.0 >= opts.workflow_min_support).collect();
    wf.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.1.2.cmp(&b.1.2)));
    wf.truncate(opts.workflow.max_workflows);
    for (i, ((kind, ids), (support, ex, _))) in wf.into_iter().enumerate() {
        k.workflows.push(WorkflowRecord {
            id: format!("W{}", i + 1),
            session_kind: ds.sessions.get(kind as usize).map_or_else(String::new, |s| s.name.clone()),
            templates: ids,
            support,
            example_sessions: ex,
        });
    }
    let mut trans: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (&(a, b), &n) in &tracker.transitions {
        let (x, y) = (id_of(a), id_of(b));
        if x != y {
            *trans.entry((x, y)).or_default() += n;
        }
    }
    let mut tv: Vec<Transition> = trans.into_iter().map(|((from, to), count)| Transition { from, to, count }).collect();
    tv.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to))));
    k.transitions = tv;
    k.sessions = tracker.stats.clone();
    IndexOutput { knowledge: k, stats: RunStats::default(), line_templates, mined_final }
}

/// The final texts of a mined template: itself, or, when one of its slots holds
/// at most [`SPLIT_MAX_DISTINCT`] words without digits (`VM <*>` over Started,
/// Paused, Resumed), one template per word.
fn split_word_slots(tokens: &[Tok], slots: &[SlotStats]) -> Vec<String> {
    let positions: Vec<usize> = tokens.iter().enumerate().filter(|(_, t)| matches!(t, Tok::Slot)).map(|(p, _)| p).collect();
    let mut best: Option<(usize, Vec<String>)> = None;
    for (si, s) in slots.iter().enumerate() {
        let (distinct, exact) = s.distinct();
        if !exact || !(2..=SPLIT_MAX_DISTINCT).contains(&distinct) || !s.top_exact() {
            continue;
        }
        let values: Vec<String> = s.top_values_all().into_iter().map(|(v, _)| v).collect();
        if values.len() as u64 != distinct || !values.iter().all(|v| !v.is_empty() && !super::mask::is_variable(v)) {
            continue;
        }
        if best.as_ref().is_none_or(|(_, b)| values.len() < b.len()) {
            best = Some((positions[si], values));
        }
    }
    let render = |fill: Option<(usize, &str)>| -> String {
        let mut out = String::new();
        for (i, t) in tokens.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            match (t, fill) {
                (_, Some((p, v))) if p == i => out.push_str(v),
                (Tok::Lit(l), _) => out.push_str(l),
                (Tok::Slot, _) => out.push_str("<*>"),
            }
        }
        out
    };
    match best {
        Some((p, values)) => values.iter().map(|v| render(Some((p, v)))).collect(),
        None => vec![render(None)],
    }
}

fn clone_acc(a: &TplAcc) -> TplAcc {
    TplAcc { count: a.count, first: a.first, last: a.last, levels: a.levels, examples: a.examples.clone() }
}

fn merge_acc(a: &mut TplAcc, b: &TplAcc, max_examples: usize) {
    a.count += b.count;
    a.first = a.first.min(b.first);
    a.last = a.last.max(b.last);
    for i in 0..a.levels.len() {
        a.levels[i] += b.levels[i];
    }
    a.examples.extend(b.examples.iter().cloned());
    a.examples.sort_by_key(|e| e.line);
    a.examples.truncate(max_examples);
}
