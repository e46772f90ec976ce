//! Log queries: a bounded heap of the entries nearest the query's starting
//! edge (newest first for `backward`), and the label strings and hour splits
//! [`super::frontend`] uses to shape the answer as Loki does.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::backend::Direction;
use crate::logql::value::Labels;

use super::template::printf::go_quote;

/// One kept line.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub ts: i64,
    pub seq: u64,
    pub labels: Arc<Labels>,
    pub line: String,
}

/// Rank of an entry: bigger is kept first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank(i64, i64);

fn rank(backward: bool, ts: i64, seq: u64) -> Rank {
    let s = seq.min(i64::MAX as u64) as i64;
    if backward { Rank(ts, s) } else { Rank(ts.saturating_neg(), -s) }
}

struct Item(Rank, LogEntry);

impl PartialEq for Item {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Item {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.cmp(&o.0)
    }
}

/// The best `limit` entries seen so far, each identical (labels, timestamp,
/// line) once: a real Loki returns one of the entries a pipeline made equal
/// (`| line_format "{{.level}}"`), while metric queries count them all.
pub struct LogHeap {
    limit: usize,
    backward: bool,
    heap: BinaryHeap<Reverse<Item>>,
    /// How many kept entries have each key hash (an entry is compared whole on a hit).
    keys: HashMap<u64, u32>,
}

fn key_of(e: &LogEntry) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    e.ts.hash(&mut h);
    e.line.hash(&mut h);
    e.labels.hash(&mut h);
    h.finish()
}

impl LogHeap {
    pub fn new(limit: usize, direction: Direction) -> Self {
        Self { limit, backward: direction == Direction::Backward, heap: BinaryHeap::new(), keys: HashMap::new() }
    }

    /// Whether an entry cannot enter (checked before the pipeline runs).
    #[inline]
    pub fn rejects(&self, ts: i64, seq: u64) -> bool {
        if self.heap.len() < self.limit {
            return false;
        }
        match self.heap.peek() {
            Some(Reverse(worst)) => rank(self.backward, ts, seq) <= worst.0,
            None => false,
        }
    }

    pub fn push(&mut self, e: LogEntry) {
        if self.limit == 0 {
            return;
        }
        let r = rank(self.backward, e.ts, e.seq);
        let full = self.heap.len() >= self.limit;
        if full && self.heap.peek().is_some_and(|Reverse(worst)| r <= worst.0) {
            return;
        }
        let k = key_of(&e);
        if self.keys.get(&k).is_some_and(|n| *n > 0)
            && self.heap.iter().any(|Reverse(Item(_, x))| x.ts == e.ts && x.line == e.line && x.labels == e.labels)
        {
            return;
        }
        *self.keys.entry(k).or_insert(0) += 1;
        if !full {
            self.heap.push(Reverse(Item(r, e)));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            // One sift instead of a pop and a push.
            let old = std::mem::replace(&mut *worst, Reverse(Item(r, e)));
            drop(worst);
            let ok = key_of(&old.0.1);
            if let Some(n) = self.keys.get_mut(&ok) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.keys.remove(&ok);
                }
            }
        }
    }

    pub fn merge(&mut self, other: LogHeap) {
        for Reverse(Item(_, e)) in other.heap {
            self.push(e);
        }
    }

    /// Entries best first.
    pub fn into_sorted(self) -> Vec<LogEntry> {
        let mut v: Vec<Item> = self.heap.into_iter().map(|Reverse(i)| i).collect();
        v.sort_by_key(|i| std::cmp::Reverse(i.0));
        v.into_iter().map(|i| i.1).collect()
    }
}

/// Prometheus' `labels.String()`: `{a="1", b="x"}`.
pub fn labels_string(l: &Labels) -> String {
    let mut s = String::from("{");
    for (i, (k, v)) in l.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(k);
        s.push('=');
        s.push_str(&go_quote(v));
    }
    s.push('}');
    s
}

/// Loki's query frontend splits a log query into 1 h intervals aligned to
/// the hour; with more than one, the merged answer orders streams by their
/// label string (descending for backward), with one the querier's ascending
/// order stands.
pub const SPLIT_INTERVAL_NS: i64 = 3_600_000_000_000;

pub fn split_count(start: i64, end: i64) -> i64 {
    let aligned = start - start.rem_euclid(SPLIT_INTERVAL_NS);
    if end <= aligned {
        return 1;
    }
    end.saturating_sub(aligned).saturating_add(SPLIT_INTERVAL_NS - 1) / SPLIT_INTERVAL_NS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(ts: i64, seq: u64, app: &str) -> LogEntry {
        let mut l = Labels::new();
        l.insert("app".into(), app.into());
        LogEntry { ts, seq, labels: Arc::new(l), line: format!("{app} {ts}") }
    }

    #[test]
    fn keeps_newest_for_backward() {
        let mut h = LogHeap::new(2, Direction::Backward);
        for (i, ts) in [5, 1, 9, 3, 7].into_iter().enumerate() {
            h.push(e(ts, i as u64, "a"));
        }
        assert!(h.rejects(6, 99));
        assert!(!h.rejects(8, 0));
        let v = h.into_sorted();
        assert_eq!(v.iter().map(|x| x.ts).collect::<Vec<_>>(), vec![9, 7]);
        let mut f = LogHeap::new(2, Direction::Forward);
        for (i, ts) in [5, 1, 9, 3].into_iter().enumerate() {
            f.push(e(ts, i as u64, "a"));
        }
        assert_eq!(f.into_sorted().iter().map(|x| x.ts).collect::<Vec<_>>(), vec![1, 3]);
    }

    #[test]
    fn identical_entries_are_kept_once() {
        let same = |seq: u64, line: &str| {
            let mut x = e(5, seq, "a");
            x.line = line.into();
            x
        };
        let mut h = LogHeap::new(3, Direction::Backward);
        for (i, line) in ["INFO", "INFO", "WARN", "INFO"].into_iter().enumerate() {
            h.push(same(i as u64, line));
        }
        h.push(e(4, 9, "a"));
        let v = h.into_sorted();
        let lines: Vec<&str> = v.iter().map(|x| x.line.as_str()).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines.iter().filter(|l| **l == "INFO").count(), 1, "{lines:?}");
        assert!(lines.contains(&"a 4"), "the room a duplicate would take goes to the next entry: {lines:?}");
        // Another stream, or another time, is not a duplicate.
        let mut h = LogHeap::new(10, Direction::Forward);
        h.push(same(1, "x"));
        h.push(e(5, 2, "b"));
        let mut other = same(3, "x");
        other.ts = 6;
        h.push(other);
        assert_eq!(h.into_sorted().len(), 3);
    }

    #[test]
    fn stream_order_follows_splits() {
        let h = SPLIT_INTERVAL_NS;
        assert_eq!(split_count(0, h / 3), 1);
        assert_eq!(split_count(0, h), 1);
        assert_eq!(split_count(0, 6 * h), 6);
        assert_eq!(split_count(h / 2, h + 1), 2);
        let mut l = Labels::new();
        l.insert("a".into(), "x\"y".into());
        l.insert("b".into(), "1".into());
        assert_eq!(labels_string(&l), r#"{a="x\"y", b="1"}"#);
    }
}
