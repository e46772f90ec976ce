//! One pass over an input, resumable: [`PassState`] holds everything the
//! pass has gathered (template counts, parameters, fields, the Drain miner,
//! open sessions, the year of year-less stamps, the counters), so a pass can
//! read the start of a file, be saved, and go on with what was appended.
//!
//! [`PassState::feed`] reads a byte range of the input: a reader thread cuts it
//! into blocks, worker threads parse headers, match known templates, collect
//! parameter statistics and find session ids ([`super::block`]), and the
//! calling thread merges blocks in order: it mines templates for unmatched
//! lines (Drain is sequential), keeps template counts and examples, and tracks
//! sessions for workflows. [`PassState::conclude`] turns the totals into
//! knowledge without consuming them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::block::{BlockOut, CONTINUATION, NO_TS, Shared, UNMATCHED, process_block};
use super::drain::{Drain, Tok, prepare};
use super::event::{IndexEvent, Phase};
use super::fields::{self, FieldStats};
use super::finish::{MinedSlots, TplAcc, finish};
use super::known::KnownMatcher;
use super::params::SlotStats;
use super::run::{IndexError, IndexOptions, IndexOutput, RunStats, slot_count};
use super::templates::KnownTemplate;
use super::workflows::Tracker;
use crate::dataset::Dataset;
use crate::dataset::timestamp::YearTracker;
use crate::knowledge::Example;
use crate::logs::{Block, BlockReader, LineParser, ReadError};

/// Longest raw line kept as an example.
const EXAMPLE_MAX: usize = 2000;

/// The totals of one pass, everything needed to read on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PassState {
    accs: Vec<TplAcc>,
    known_params: Vec<Vec<SlotStats>>,
    fields_acc: Vec<FieldStats>,
    drain: Drain,
    mined_slots: Vec<MinedSlots>,
    tracker: Tracker,
    years: YearTracker,
    stats: RunStats,
    /// Per line read, its template (for `parse`; never saved).
    #[serde(skip)]
    line_templates: Option<Vec<u32>>,
}

/// What one [`PassState::feed`] read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Feed {
    /// Bytes of the input read (from the start offset).
    pub bytes: u64,
    pub lines: u64,
    /// xxh3 of those bytes.
    pub hash: u64,
    pub gzip: bool,
}

/// The templates a pass matches: the known ones (the dataset's, then, in a
/// second pass, the mined ones) and how many of them are the dataset's.
pub struct Known<'a> {
    pub templates: &'a [KnownTemplate],
    pub real: usize,
}

impl Known<'_> {
    fn slot_counts(&self) -> Vec<usize> {
        self.templates
            .iter()
            .enumerate()
            .map(|(i, t)| if i < self.real { slot_count(&t.text) } else { t.text.matches("<*>").count() })
            .collect()
    }
}

impl PassState {
    pub fn new(known: &Known<'_>, opts: &IndexOptions) -> Self {
        let nk = known.templates.len();
        Self {
            accs: (0..nk).map(|_| TplAcc::new()).collect(),
            known_params: known
                .slot_counts()
                .iter()
                .map(|&n| (0..n).map(|_| SlotStats::new(opts.distinct_exact_limit)).collect())
                .collect(),
            fields_acc: (0..nk).map(|_| FieldStats::default()).collect(),
            drain: Drain::new(opts.drain),
            mined_slots: Vec::new(),
            tracker: Tracker::new(opts.workflow),
            years: YearTracker::default(),
            stats: RunStats::default(),
            line_templates: opts.keep_line_templates.then(Vec::new),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    /// Whether the pass was made for `n` known templates (a saved state must
    /// be resumed with the templates it was made with).
    pub fn known_len(&self) -> usize {
        self.known_params.len()
    }

    /// Whether the parts of a (saved) state fit together: one entry per
    /// known template and mined cluster in each table.
    pub fn consistent(&self) -> bool {
        let clusters = self.drain.clusters().len();
        self.accs.len() == self.known_params.len() + clusters
            && self.fields_acc.len() == self.accs.len()
            && self.mined_slots.len() == clusters
    }

    /// Adds known templates after the current ones (a second pass given
    /// templates newly mined from appended lines). Refused (false) when this
    /// pass mined clusters of its own, whose ids follow the known ones.
    pub fn extend_known(&mut self, known: &Known<'_>, opts: &IndexOptions) -> bool {
        let (old, new) = (self.known_params.len(), known.templates.len());
        if !self.drain.clusters().is_empty() || new < old || self.accs.len() != old {
            return false;
        }
        for n in known.slot_counts().into_iter().skip(old) {
            self.accs.push(TplAcc::new());
            self.known_params.push((0..n).map(|_| SlotStats::new(opts.distinct_exact_limit)).collect());
            self.fields_acc.push(FieldStats::default());
        }
        true
    }

    /// Reads `input` from byte `from` (`len` bytes at most, else to its end)
    /// and adds what it finds. Line numbers go on from the lines read before.
    #[allow(clippy::too_many_arguments)]
    pub fn feed(
        &mut self,
        ds: &Dataset,
        input: &Path,
        from: u64,
        len: Option<u64>,
        known: &Known<'_>,
        opts: &IndexOptions,
        on_event: &(dyn Fn(IndexEvent) + Sync),
        cancel: &AtomicBool,
    ) -> Result<Feed, IndexError> {
        let started = Instant::now();
        let size = std::fs::metadata(input).ok().map(|m| m.len());
        let total_bytes = match (len, size) {
            (Some(n), _) => Some(n),
            (None, Some(s)) => Some(s.saturating_sub(from)),
            _ => None,
        };
        on_event(IndexEvent::Started { phase: Phase::Read, total_bytes });
        let mut reader = BlockReader::open_range(input, from, len, self.stats.lines + 1)?
            .block_size(opts.block_size)
            .max_line(opts.max_line_bytes);
        if ds.join_continuations {
            let fmt = ds.header.clone();
            reader = reader.cut_before(move |l| {
                let s = String::from_utf8_lossy(l);
                let mut spans = crate::dataset::FieldSpans::default();
                fmt.match_line(s.trim(), &mut spans)
            });
        }
        let gzip = reader.is_gzip();
        let known_used = known.templates;
        let n_real_known = known.real;
        let matcher = (!known_used.is_empty()).then(|| {
            KnownMatcher::with_token_slots(&known_used.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(), n_real_known)
        });
        let shared = Shared { ds, matcher, slot_counts: known.slot_counts(), opts };
        let threads = if opts.threads == 0 { std::thread::available_parallelism().map_or(2, |n| n.get()) } else { opts.threads };
        let nk = known_used.len();
        let structured = ds.header.structured_format().is_some();
        let yearless = ds.timestamp.as_ref().is_some_and(|t| t.is_yearless());
        let lines_before = self.stats.lines;
        let bytes_before = self.stats.bytes;
        let PassState { accs, known_params, fields_acc, drain, mined_slots, tracker, years, stats, line_templates } = self;
        stats.gzip = gzip;

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
                        on_event(IndexEvent::Progress { phase: Phase::Read, bytes: stats.bytes - bytes_before, lines: stats.lines - lines_before });
                    }
                }
            }
            Ok(())
        })?;

        if cancel.load(Ordering::Relaxed) {
            return Err(IndexError::Cancelled);
        }
        let reader = reader.into_inner().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = read_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e.into());
        }
        stats.lines_truncated += reader.stats().truncated_lines;
        let feed = Feed { bytes: reader.bytes_read(), lines: stats.lines - lines_before, hash: reader.content_hash(), gzip };
        on_event(IndexEvent::Progress { phase: Phase::Read, bytes: stats.bytes - bytes_before, lines: feed.lines });
        on_event(IndexEvent::Finished { phase: Phase::Read, lines: feed.lines, secs: started.elapsed().as_secs_f64() });
        Ok(feed)
    }

    /// The knowledge of everything read so far (the state is left as it is:
    /// open sessions are closed in a copy).
    pub fn conclude(&self, ds: &Dataset, known: &Known<'_>, opts: &IndexOptions) -> IndexOutput {
        let mut tracker = self.tracker.clone();
        tracker.finish();
        let mut stats = self.stats.clone();
        stats.field_values_dropped = self.fields_acc.iter().map(|f| f.dropped).sum();
        let mut out = finish(
            ds,
            known.templates,
            known.real,
            opts,
            &self.accs,
            &self.known_params,
            &self.fields_acc,
            &self.drain,
            &self.mined_slots,
            &tracker,
            &mut stats,
            self.line_templates.clone(),
        );
        out.stats = stats;
        out
    }
}
