//! A source's lines in file order as `(labels, entry)` pairs, with the labels
//! and timestamps the engine gives them: what `logcopilot load` pushes into a
//! real Loki, so both backends hold the same data.
//!
//! Rules (the same as the engine's scan): empty lines are skipped; a line that
//! fits the header gets `app` plus the dataset's label fields (empty values
//! left out); one that does not fit gets only `app`; a line without a stamp
//! takes the stamp of the nearest stamped line before it, or before the first
//! stamped line the first stamp after it, or with no stamp at all the file's
//! modification time. Year-less stamps roll over years as the indexer does.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::source::{Blocks, Input, Source, lines};
use super::streams::stream_labels;
use crate::backend::BackendError;
use crate::dataset::YearTracker;
use crate::logql::value::{Entry, Labels};
use crate::logs::{LineParser, Parsed};

/// The first error met while reading, kept for the caller after the iterator
/// has ended (an iterator of pairs cannot return it).
#[derive(Debug, Clone, Default)]
pub struct ErrorSlot(Arc<Mutex<Option<BackendError>>>);

impl ErrorSlot {
    pub fn take(&self) -> Option<BackendError> {
        self.0.lock().ok().and_then(|mut e| e.take())
    }

    fn set(&self, e: BackendError) {
        if let Ok(mut slot) = self.0.lock()
            && slot.is_none()
        {
            *slot = Some(e);
        }
    }
}

/// Iterator over a source's `(labels, entry)` pairs, block by block.
pub struct Records {
    source: Source,
    blocks: Blocks,
    years: YearTracker,
    /// Stamp of the last stamped line.
    last_ts: Option<i64>,
    /// Lines before the first stamp, waiting for it.
    waiting: Vec<(Labels, String)>,
    ready: VecDeque<(Labels, Entry)>,
    done: bool,
    total: u64,
    errors: ErrorSlot,
    cancel: Arc<AtomicBool>,
}

impl Records {
    /// Opens the source; counts its non-empty lines first (for progress).
    pub fn open(source: &Source, cancel: Arc<AtomicBool>) -> Result<Records, BackendError> {
        let mut total = 0u64;
        let mut counting = Blocks::open(&source.input)?;
        while let Some(b) = counting.next_block()? {
            total += lines(b.data()).filter(|(_, l)| !l.is_empty()).count() as u64;
        }
        Ok(Records {
            source: source.clone(),
            blocks: Blocks::open(&source.input)?,
            years: YearTracker::default(),
            last_ts: None,
            waiting: Vec::new(),
            ready: VecDeque::new(),
            done: false,
            total,
            errors: ErrorSlot::default(),
            cancel,
        })
    }

    /// Non-empty lines in the source.
    pub fn total_hint(&self) -> u64 {
        self.total
    }

    /// Where a read error lands; check it after the iteration.
    pub fn errors(&self) -> ErrorSlot {
        self.errors.clone()
    }

    fn fill(&mut self) {
        if self.cancel.load(Ordering::Relaxed) {
            self.done = true;
            return;
        }
        let block = match self.blocks.next_block() {
            Ok(Some(b)) => b,
            Ok(None) => {
                self.done = true;
                // No stamp anywhere: the file's time for the waiting lines.
                let ts = self.last_ts.unwrap_or_else(|| file_time(&self.source.input));
                for (labels, line) in self.waiting.drain(..) {
                    self.ready.push_back((labels, Entry { ts, line }));
                }
                return;
            }
            Err(e) => {
                self.errors.set(e);
                self.done = true;
                return;
            }
        };
        let ds = &self.source.dataset;
        let mut parser = LineParser::new(ds);
        let mut parsed = Parsed::default();
        for (_, raw) in lines(block.data()) {
            if raw.is_empty() {
                continue;
            }
            let text = String::from_utf8_lossy(raw);
            parser.parse(&text, &mut parsed);
            let consts = ds.const_labels.iter().map(|(n, v)| (n.as_str(), v.as_str()));
            let labels: Labels = if parsed.fit {
                let pairs: Vec<(&str, &str)> =
                    ds.labels.iter().map(|(n, i)| (n.as_str(), parsed.field(&text, *i))).chain(consts).collect();
                stream_labels(&ds.name, &pairs).into_iter().collect()
            } else {
                stream_labels(&ds.name, &consts.collect::<Vec<_>>()).into_iter().collect()
            };
            let stamp = if ds.timestamp.is_some() { parsed.ts.map(|t| self.years.adjust(t)) } else { None };
            match (stamp, self.last_ts) {
                (Some(ts), _) => {
                    self.last_ts = Some(ts);
                    for (l, line) in self.waiting.drain(..) {
                        self.ready.push_back((l, Entry { ts, line }));
                    }
                    self.ready.push_back((labels, Entry { ts, line: text.into_owned() }));
                }
                (None, Some(ts)) => self.ready.push_back((labels, Entry { ts, line: text.into_owned() })),
                (None, None) => self.waiting.push((labels, text.into_owned())),
            }
        }
    }
}

impl Iterator for Records {
    type Item = (Labels, Entry);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.ready.pop_front() {
                return Some(r);
            }
            if self.done {
                return None;
            }
            self.fill();
        }
    }
}

fn file_time(input: &Input) -> i64 {
    let now = || chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    match input {
        Input::Path(p) => std::fs::metadata(p)
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_nanos()).ok())
            .unwrap_or_else(now),
        Input::Memory(_) => now(),
    }
}

/// The first and last stamps of a plain-file source, read from its first and
/// last 64 KiB (cheap at any size; gzip and stdin sources give `None`). Used
/// to tell a user whose time range holds nothing where the data is.
pub fn time_span(source: &Source) -> Option<(i64, i64)> {
    use std::io::{Read, Seek, SeekFrom};
    const EDGE: u64 = 64 << 10;
    let Input::Path(path) = &source.input else { return None };
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let mut head = vec![0u8; EDGE.min(len) as usize];
    f.read_exact(&mut head).ok()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        return None;
    }
    let tail_start = len.saturating_sub(EDGE);
    f.seek(SeekFrom::Start(tail_start)).ok()?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail).ok()?;
    let ds = &source.dataset;
    ds.timestamp.as_ref()?;
    let mut parser = LineParser::new(ds);
    let mut parsed = Parsed::default();
    let mut stamp = |raw: &[u8]| {
        parser.parse(&String::from_utf8_lossy(raw), &mut parsed);
        parsed.ts
    };
    let first = head.split(|b| *b == b'\n').find_map(|l| stamp(l.strip_suffix(b"\r").unwrap_or(l)))?;
    // Skip the tail's first piece when it may be a cut line.
    let tail_lines: Vec<&[u8]> = tail.split(|b| *b == b'\n').skip(usize::from(tail_start > 0)).collect();
    let last = tail_lines.iter().rev().find_map(|l| stamp(l.strip_suffix(b"\r").unwrap_or(l)))?;
    Some((first.min(last), first.max(last)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::embedded::Engine;
    use crate::backend::{Direction, RangeRequest};
    use crate::logql::value::QueryResult;

    fn datasets() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets")
    }

    /// Every record equals what the engine returns for the same source.
    #[test]
    fn records_equal_the_engines_view() {
        let ds = crate::dataset::Dataset::load(&datasets(), "openssh").unwrap();
        let path = ds.log_path.clone().unwrap();
        let source = Source { dataset: ds, input: Input::Path(path) };
        let recs: Vec<_> = Records::open(&source, Arc::default()).unwrap().collect();
        assert_eq!(recs.len(), 2000);
        let engine = Engine::new(vec![source]);
        let req = RangeRequest {
            query: r#"{app="openssh"}"#.into(),
            start_ns: 0,
            end_ns: 2_000_000_000_000_000_000,
            step_ns: None,
            limit: 5000,
            direction: Direction::Forward,
        };
        let QueryResult::Streams(streams) = engine.query_range(&req).unwrap() else { panic!("not streams") };
        let mut from_engine: Vec<(Labels, Entry)> =
            streams.into_iter().flat_map(|s| s.entries.into_iter().map(move |e| (s.labels.clone(), e))).collect();
        let mut ours = recs.clone();
        from_engine.sort_by(|a, b| (a.1.ts, &a.1.line).cmp(&(b.1.ts, &b.1.line)));
        ours.sort_by(|a, b| (a.1.ts, &a.1.line).cmp(&(b.1.ts, &b.1.line)));
        assert_eq!(ours, from_engine);
        assert_eq!(recs[0].1.line, "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!");
        assert_eq!(recs[0].0.get("component").map(String::as_str), Some("LabSZ"));
    }

    #[test]
    fn unstamped_lines_take_a_neighbour_stamp() {
        let ds = crate::dataset::Dataset::load(&datasets(), "hdfs").unwrap();
        let data = b"junk before\n081109 203518 143 INFO dfs.DataNode$DataXceiver: Receiving block blk_1\n\ncontinuation\n";
        let source = Source { dataset: ds, input: Input::Memory(Arc::from(&data[..])) };
        let recs: Vec<_> = Records::open(&source, Arc::default()).unwrap().collect();
        assert_eq!(recs.len(), 3);
        assert!(recs.iter().all(|(_, e)| e.ts == recs[1].1.ts));
        assert_eq!(recs[0].0.len(), 1, "an unfit line has only app");
        assert_eq!(recs[1].0.get("level").map(String::as_str), Some("INFO"));
    }
}
