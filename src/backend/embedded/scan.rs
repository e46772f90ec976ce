//! The parallel scan: every source's blocks go to rayon workers, each line is
//! matched against the query's leaves (a log query, the range aggregations
//! of a metric query, or a metadata request), and the workers' small partial
//! results are merged at the end.
//!
//! Per line, in order of cost: the leaves' leading line filters on the raw
//! bytes (with a grep-style search of the whole block for a literal), then the
//! header and timestamp, the time range, the stream (its selector decided
//! once per label set), and only then the pipeline.
//!
//! A line without a timestamp of its own (it does not fit the header, or its
//! stamp does not parse) takes the timestamp of the nearest line before it
//! that has one; before the first stamped line of a file, the first stamp
//! after it; with no stamp anywhere, the file's modification time. A line
//! that does not fit the header belongs to the stream with only the `app`
//! label. Empty lines are skipped.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::backend::{BackendError, Direction};
use crate::logql::value::Labels;
use crate::logql::{RangeOp, UnwrapConv};

use super::header::Header;
use super::labels::{Bufs, ERROR_LABEL, Grouping, Hints, LabelsBuilder, PRESERVE_ERROR_LABEL};
use super::logs::{LogEntry, LogHeap};
use super::matcher::LabelMatcher;
use super::pipeline::{Line, Pipeline, Scratch};
use super::range::{self, Budget, RangeAcc, Steps, Window};
use super::feed::{MultiBlocks, SourceReader, adjust, first_stamp, last_stamp, previous_line};
use super::source::{Block, Blocks, Source, YearIndex, line_around, lines};
use super::label_filter::LabelFilterC;
use super::stages::SAMPLE_EXTRACTION_ERR;
use super::streams::{NO_SERIES, StreamInfo, StreamTable, stream_labels};
use super::units::{parse_go_duration, parse_go_float, parse_humanize_bytes};

/// One thing a scan computes.
pub struct Leaf {
    pub matchers: Vec<LabelMatcher>,
    pub pipeline: Pipeline,
    pub hints: Hints,
    pub kind: LeafKind,
}

pub enum LeafKind {
    /// Log lines in `[start, end)`.
    Log { start: i64, end: i64, limit: usize, direction: Direction },
    /// A range aggregation.
    Sample(SampleLeaf),
    /// Streams with a line in `[start, end]`.
    Meta { start: i64, end: i64 },
}

pub struct SampleLeaf {
    pub op: RangeOp,
    pub unwrap: Option<UnwrapC>,
    pub grouping: Grouping,
    pub steps: Steps,
    pub window: Window,
}

pub struct UnwrapC {
    pub label: String,
    pub conv: UnwrapConv,
    pub post: Vec<LabelFilterC>,
}

/// What a leaf produced.
pub enum LeafOut {
    Log(LogHeap),
    Sample(RangeAcc),
    Meta(BTreeSet<Labels>),
}

/// A source as a scan sees it.
pub struct ScanSource<'a> {
    pub source: &'a Source,
    pub years: Option<Arc<YearIndex>>,
    /// Stamp of lines with no stamp before or after them.
    pub default_ts: i64,
}

impl Leaf {
    fn window(&self) -> (i64, i64) {
        match &self.kind {
            LeafKind::Log { start, end, .. } => (*start, end.saturating_sub(1)),
            LeafKind::Sample(s) => {
                let (lo, hi) = range::read_range(&s.steps, &s.window);
                (lo.saturating_add(1), hi)
            }
            LeafKind::Meta { start, end } => (*start, *end),
        }
    }

    /// Whether the selector can match a source with this app and labels.
    pub fn may_match(&self, app: &str, label_names: &[&str]) -> bool {
        self.matchers.iter().all(|m| {
            if m.name == "app" {
                m.matches(app)
            } else if label_names.contains(&m.name.as_str()) {
                true
            } else {
                m.matches_empty()
            }
        })
    }
}

/// Runs the leaves over the sources.
pub fn scan(srcs: &[ScanSource<'_>], leaves: &[Leaf], cancel: &AtomicBool) -> Result<Vec<LeafOut>, BackendError> {
    if leaves.len() > 64 {
        return Err(BackendError::Execution("a query may hold at most 64 log selections".into()));
    }
    let applicable: Vec<u64> = srcs
        .iter()
        .map(|s| {
            let ds = &s.source.dataset;
            let names: Vec<&str> = ds.labels.iter().map(|(n, _)| n.as_str()).chain(ds.const_labels.iter().map(|(n, _)| n.as_str())).collect();
            leaves.iter().enumerate().fold(0u64, |m, (i, l)| if l.may_match(&ds.name, &names) { m | 1 << i } else { m })
        })
        .collect();
    let mut readers = Vec::new();
    for (i, s) in srcs.iter().enumerate() {
        if applicable[i] != 0 {
            readers.push(SourceReader { src: i, blocks: Blocks::open(&s.source.input)?, parser: Header::new(&s.source.dataset), carry: None, last_line: Vec::new() });
        }
    }
    let shared = Shared { srcs, leaves, applicable: &applicable, budget: Budget::default(), abort: AtomicBool::new(false), cancel };
    let reader = Mutex::new(MultiBlocks { readers, cur: 0 });
    let threads = rayon::current_num_threads().max(1);
    let results: Vec<Result<Vec<LeafOut>, BackendError>> = (0..threads)
        .into_par_iter()
        .map(|_| {
            let mut w = Worker::new(&shared);
            let r = w.run(&reader);
            if r.is_err() {
                shared.abort.store(true, Ordering::Relaxed);
            }
            r.map(|()| w.outs)
        })
        .collect();
    let mut merged: Option<Vec<LeafOut>> = None;
    let mut first_err = None;
    for r in results {
        match r {
            Err(e) => {
                if first_err.is_none() || matches!(first_err, Some(BackendError::Cancelled)) {
                    first_err = Some(e);
                }
            }
            Ok(outs) => match &mut merged {
                None => merged = Some(outs),
                Some(m) => {
                    for (a, b) in m.iter_mut().zip(outs) {
                        merge_out(a, b);
                    }
                }
            },
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    if cancel.load(Ordering::Relaxed) {
        return Err(BackendError::Cancelled);
    }
    Ok(merged.unwrap_or_default())
}

fn merge_out(a: &mut LeafOut, b: LeafOut) {
    match (a, b) {
        (LeafOut::Log(x), LeafOut::Log(y)) => x.merge(y),
        (LeafOut::Sample(x), LeafOut::Sample(y)) => x.merge(y),
        (LeafOut::Meta(x), LeafOut::Meta(y)) => x.extend(y),
        _ => {}
    }
}

struct Shared<'a> {
    srcs: &'a [ScanSource<'a>],
    leaves: &'a [Leaf],
    applicable: &'a [u64],
    budget: Budget,
    abort: AtomicBool,
    cancel: &'a AtomicBool,
}


/// Nearest known stamp before a position of the current block.
#[derive(Default)]
struct PrevCache {
    key: Option<(usize, u64)>,
    upto: usize,
    ts: Option<i64>,
    /// First stamp of the block (for lines before it when nothing came earlier).
    first: Option<Option<i64>>,
}

struct Worker<'a> {
    sh: &'a Shared<'a>,
    headers: Vec<Header<'a>>,
    /// For stamps of other lines (the current line's header stays intact).
    scratch: Vec<Header<'a>>,
    tables: Vec<StreamTable>,
    outs: Vec<LeafOut>,
    prev: PrevCache,
    bufs: Bufs,
    scratch_pipe: Vec<Scratch>,
    key: String,
}

impl<'a> Worker<'a> {
    fn new(sh: &'a Shared<'a>) -> Self {
        let outs = sh
            .leaves
            .iter()
            .map(|l| match &l.kind {
                LeafKind::Log { limit, direction, .. } => LeafOut::Log(LogHeap::new(*limit, *direction)),
                LeafKind::Sample(s) => {
                    LeafOut::Sample(RangeAcc::new(range::agg_kind(s.op), range::counts_only(s.op, s.unwrap.is_some()), s.steps, s.window))
                }
                LeafKind::Meta { .. } => LeafOut::Meta(BTreeSet::new()),
            })
            .collect();
        Self {
            sh,
            headers: sh.srcs.iter().map(|s| Header::new(&s.source.dataset)).collect(),
            scratch: sh.srcs.iter().map(|s| Header::new(&s.source.dataset)).collect(),
            tables: sh.srcs.iter().map(|_| StreamTable::default()).collect(),
            bufs: Bufs::default(),
            scratch_pipe: sh.leaves.iter().map(|_| Scratch::default()).collect(),
            outs,
            prev: PrevCache::default(),
            key: String::new(),
        }
    }

    fn run(&mut self, reader: &Mutex<MultiBlocks<'_>>) -> Result<(), BackendError> {
        loop {
            if self.sh.cancel.load(Ordering::Relaxed) {
                return Err(BackendError::Cancelled);
            }
            if self.sh.abort.load(Ordering::Relaxed) {
                return Ok(());
            }
            let next = {
                let mut r = reader.lock().map_err(|_| BackendError::Io("block reader poisoned".into()))?;
                r.next(self.sh.srcs)?
            };
            let Some(n) = next else { break };
            self.block(n.src, &n.block, n.carry, &n.prev_line)?;
        }
        self.collect_meta();
        Ok(())
    }

    fn block(&mut self, src: usize, block: &Block, carry: Option<i64>, prev_line: &[u8]) -> Result<(), BackendError> {
        let data = block.data();
        self.prev = PrevCache { key: Some((src, block.index)), upto: 0, ts: carry, first: None };
        let mask = self.sh.applicable[src];
        // One leaf with a searchable leading filter: grep the block.
        let search = if mask.count_ones() == 1 {
            let li = mask.trailing_zeros() as usize;
            self.sh.leaves[li].pipeline.leading_filters().first().and_then(|f| f.block_search())
        } else {
            None
        };
        match search {
            Some(s) => {
                let mut pos = 0;
                // A regex that matches the empty string hits at the very end
                // too, past the last line: that is no line, and looping on it
                // would never end.
                while pos < data.len()
                    && let Some(hit) = s.find(data, pos)
                    && hit < data.len()
                {
                    let (ls, le) = line_around(data, hit);
                    self.line(src, block.index, data, ls, le, prev_line)?;
                    pos = memchr::memchr(b'\n', &data[le..]).map_or(data.len(), |i| le + i + 1);
                }
            }
            None => {
                for (off, l) in lines(data) {
                    self.line(src, block.index, data, off, off + l.len(), prev_line)?;
                }
            }
        }
        Ok(())
    }

    fn line(&mut self, src: usize, block: u64, data: &[u8], start: usize, end: usize, prev_block_line: &[u8]) -> Result<(), BackendError> {
        let raw = &data[start..end];
        if raw.is_empty() {
            return Ok(());
        }
        let sh = self.sh;
        let leaves = sh.leaves;
        let mut pass = 0u64;
        let mut mask = sh.applicable[src];
        while mask != 0 {
            let i = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if leaves[i].pipeline.pass_leading(raw) {
                pass |= 1 << i;
            }
        }
        if pass == 0 {
            return Ok(());
        }
        // Loki drops an entry equal to the last one of its stream; a line equal
        // to the line before it is of the same stream and stamp.
        let before = previous_line(data, start).unwrap_or(prev_block_line);
        if before == raw {
            return Ok(());
        }
        let ssrc = &sh.srcs[src];
        let ds = &ssrc.source.dataset;
        let text = match std::str::from_utf8(raw) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(raw),
        };
        self.headers[src].parse(&text);
        let next_start = memchr::memchr(b'\n', &data[end..]).map_or(data.len(), |i| end + i + 1);
        let years = ssrc.years.as_deref();
        let ts = match self.headers[src].stamp {
            Some(t) if ds.timestamp.is_some() => adjust(years, block, start, t),
            _ if ds.timestamp.is_none() => ssrc.default_ts,
            _ => {
                let (floor, known) = if self.prev.key == Some((src, block)) && self.prev.upto <= start {
                    (self.prev.upto, self.prev.ts)
                } else {
                    (0, None)
                };
                let found = last_stamp(&mut self.scratch[src], years, block, data, start, floor).or(known);
                match found {
                    Some(t) => t,
                    None => {
                        let first = match self.prev.first {
                            Some(f) => f,
                            None => {
                                let f = first_stamp(&mut self.scratch[src], years, block, data);
                                self.prev.first = Some(f);
                                f
                            }
                        };
                        first.unwrap_or(ssrc.default_ts)
                    }
                }
            }
        };
        self.prev.upto = next_start;
        self.prev.ts = Some(ts);
        let seq = ((src as u64) << 56) | ((block & 0xFF_FFFF) << 32) | (start as u64 & 0xFFFF_FFFF);

        // The stream.
        let parsed = &self.headers[src];
        let table = &mut self.tables[src];
        let make = |vals: &[&str]| -> StreamInfo {
            let mut pairs: Vec<(&str, &str)> = ds.labels.iter().map(|(n, _)| n.as_str()).zip(vals.iter().copied()).collect();
            pairs.extend(ds.const_labels.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            new_stream(stream_labels(&ds.name, &pairs), leaves)
        };
        let sid = if parsed.fit {
            let mut vals: [&str; 16] = [""; 16];
            let n = ds.labels.len().min(16);
            for (slot, (_, idx)) in vals.iter_mut().zip(ds.labels.iter()) {
                *slot = parsed.field(&text, *idx);
            }
            table.lookup(&vals[..n], make)
        } else {
            table.unfit(|| {
                let pairs: Vec<(&str, &str)> = ds.const_labels.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                new_stream(stream_labels(&ds.name, &pairs), leaves)
            })
        };
        let stream = table.get_mut(sid);
        while pass != 0 {
            let i = pass.trailing_zeros() as usize;
            pass &= pass - 1;
            if !stream.leaf_ok[i] {
                continue;
            }
            let leaf = &leaves[i];
            let (lo, hi) = leaf.window();
            if ts < lo || ts > hi {
                continue;
            }
            match (&leaf.kind, &mut self.outs[i]) {
                (LeafKind::Meta { .. }, _) => stream.seen = true,
                (LeafKind::Log { .. }, LeafOut::Log(heap)) => {
                    if heap.rejects(ts, seq) {
                        continue;
                    }
                    if !leaf.pipeline.has_stages() {
                        heap.push(LogEntry { ts, seq, labels: Arc::clone(&stream.labels_map), line: text.to_string() });
                        continue;
                    }
                    let mut lbs = LabelsBuilder::with_bufs(&stream.labels, &leaf.hints, std::mem::take(&mut self.bufs));
                    let mut line = Line::new(&text);
                    if leaf.pipeline.process(ts, &mut line, &mut lbs, &mut self.scratch_pipe[i]) {
                        let labels = if lbs.is_unchanged() { Arc::clone(&stream.labels_map) } else { Arc::new(lbs.labels()) };
                        heap.push(LogEntry { ts, seq, labels, line: line.into_string() });
                    }
                    self.bufs = lbs.into_bufs();
                }
                (LeafKind::Sample(s), LeafOut::Sample(acc)) => {
                    if range::span(&s.steps, &s.window, ts).is_none() {
                        continue;
                    }
                    if !leaf.pipeline.has_stages() && s.unwrap.is_none() {
                        if stream.series[i] == NO_SERIES {
                            let lbs = LabelsBuilder::new(&stream.labels, &leaf.hints);
                            lbs.grouped_key(&s.grouping, &mut self.key);
                            stream.series[i] = acc.series_index(&self.key) as u32;
                        }
                        let v = if matches!(s.op, RangeOp::BytesOverTime | RangeOp::BytesRate) { raw.len() as f64 } else { 1.0 };
                        acc.add(stream.series[i] as usize, ts, seq, v, &sh.budget)?;
                        continue;
                    }
                    let mut lbs = LabelsBuilder::with_bufs(&stream.labels, &leaf.hints, std::mem::take(&mut self.bufs));
                    let mut line = Line::new(&text);
                    let v = if leaf.pipeline.process(ts, &mut line, &mut lbs, &mut self.scratch_pipe[i]) {
                        sample_value(s, &line, &mut lbs)
                    } else {
                        None
                    };
                    let r = match v {
                        Some(_) if lbs.has_err() && lbs.get(PRESERVE_ERROR_LABEL) != Some("true") => Err(pipeline_error(&lbs.labels())),
                        Some(v) => {
                            lbs.grouped_key(&s.grouping, &mut self.key);
                            let si = acc.series_index(&self.key);
                            acc.add(si, ts, seq, v, &sh.budget).map(|_| ())
                        }
                        None => Ok(()),
                    };
                    self.bufs = lbs.into_bufs();
                    r?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn collect_meta(&mut self) {
        for (i, leaf) in self.sh.leaves.iter().enumerate() {
            if !matches!(leaf.kind, LeafKind::Meta { .. }) {
                continue;
            }
            let LeafOut::Meta(out) = &mut self.outs[i] else { continue };
            for t in &self.tables {
                for s in &t.streams {
                    if s.seen && s.leaf_ok[i] {
                        out.insert((*s.labels_map).clone());
                    }
                }
            }
        }
    }
}

/// The sample a line gives a range aggregation after its pipeline ran:
/// 1 per line, its bytes, or the unwrapped label (None: no sample).
fn sample_value(s: &SampleLeaf, line: &Line<'_>, lbs: &mut LabelsBuilder<'_>) -> Option<f64> {
    match &s.unwrap {
        None if matches!(s.op, RangeOp::BytesOverTime | RangeOp::BytesRate) => Some(line.as_str().len() as f64),
        None => Some(1.0),
        Some(u) => {
            let val = lbs.get(&u.label).filter(|v| !v.is_empty())?;
            let conv = match u.conv {
                UnwrapConv::Number => parse_go_float(val),
                UnwrapConv::Duration => parse_go_duration(val).map(|d| d as f64 / 1e9),
                UnwrapConv::Bytes => parse_humanize_bytes(val).map(|b| b as f64),
            };
            let v = match conv {
                Ok(v) => v,
                Err(e) => {
                    lbs.set_err(SAMPLE_EXTRACTION_ERR);
                    lbs.set_err_details(&e);
                    0.0
                }
            };
            u.post.iter().all(|f| f.process(lbs)).then_some(v)
        }
    }
}

fn new_stream(labels: Vec<(String, String)>, leaves: &[Leaf]) -> StreamInfo {
    let map: Labels = labels.iter().cloned().collect();
    let leaf_ok = leaves
        .iter()
        .map(|l| l.matchers.iter().all(|m| m.matches(map.get(&m.name).map_or("", String::as_str))))
        .collect();
    StreamInfo { labels, labels_map: Arc::new(map), leaf_ok, series: vec![NO_SERIES; leaves.len()], seen: false }
}

/// Loki's error for a metric query meeting a line with `__error__`.
pub fn pipeline_error(labels: &Labels) -> BackendError {
    let et = labels.get(ERROR_LABEL).cloned().unwrap_or_default();
    BackendError::Execution(format!(
        "pipeline error: '{et}' for series: '{}'.\nUse a label filter to intentionally skip this error. (e.g | __error__!=\"{et}\").\nTo skip all potential errors you can match empty errors.(e.g __error__=\"\")\nThe label filter can also be specified after unwrap. (e.g | unwrap latency | __error__=\"\" )\n",
        super::logs::labels_string(labels)
    ))
}
