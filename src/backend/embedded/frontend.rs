//! How Loki's query frontend shapes a log query's answer, emulated exactly.
//!
//! The frontend splits `[start, end)` into 1 h intervals aligned to the hour.
//! With one interval the querier's answer stands: the `limit` entries nearest
//! the starting edge, streams in ascending label order. With several, each
//! interval is answered with its own `limit` entries; the frontend takes the
//! answers in direction order until it has `limit` entries, concatenates each
//! stream's pieces ("markers"), orders streams by label (descending for
//! `backward`), and when it holds more than `limit` entries picks them with a
//! priority queue whose `Pop` re-pushes the popped stream's rest without
//! sifting it up (`pq.Push`, not `heap.Push`). So right after an entry from
//! one stream, the next pick skips that stream's next entry: Loki can return
//! an older line of another stream instead of a newer one of the same stream.
//! The same quirk is reproduced here, with Go's `container/heap` algorithms.

use std::collections::HashMap;

use crate::backend::Direction;
use crate::logql::value::{Entry, Labels, Stream};

use super::logs::{LogEntry, SPLIT_INTERVAL_NS, labels_string, split_count};

/// How many entries the scan must keep so the frontend's answer can be
/// rebuilt: the newest intervals hold fewer than `limit` together, and the
/// interval that reaches `limit` adds at most `limit` more.
pub fn keep_for(limit: usize, start: i64, end: i64) -> usize {
    if split_count(start, end) > 1 { limit.saturating_mul(2) } else { limit }
}

struct Group {
    labels: Labels,
    markers: Vec<Vec<Entry>>,
}

/// Builds the answer from the kept entries (best first).
pub fn assemble(entries: Vec<LogEntry>, limit: usize, direction: Direction, start: i64, end: i64) -> Vec<Stream> {
    let backward = direction == Direction::Backward;
    let splits = split_count(start, end);
    if splits <= 1 {
        let mut groups: HashMap<String, Group> = HashMap::new();
        for e in entries.into_iter().take(limit) {
            push(&mut groups, e, 0);
        }
        return finish_all(groups, false);
    }
    // Answers per interval, in the order the frontend consumes them.
    let aligned = start - start.rem_euclid(SPLIT_INTERVAL_NS);
    let mut by_interval: Vec<(i64, Vec<LogEntry>)> = Vec::new();
    for e in entries {
        let idx = (e.ts - aligned).div_euclid(SPLIT_INTERVAL_NS);
        match by_interval.iter_mut().find(|(i, _)| *i == idx) {
            Some((_, v)) => v.push(e),
            None => by_interval.push((idx, vec![e])),
        }
    }
    by_interval.sort_by_key(|(i, _)| if backward { -*i } else { *i });
    let mut groups: HashMap<String, Group> = HashMap::new();
    let mut total = 0usize;
    for (n, (_, mut es)) in by_interval.into_iter().enumerate() {
        es.truncate(limit);
        total += es.len();
        for e in es {
            push(&mut groups, e, n);
        }
        if total >= limit {
            break;
        }
    }
    if total <= limit {
        return finish_all(groups, backward);
    }
    heap_merge(groups, limit, backward)
}

/// Adds an entry to its stream's marker for answer `n`.
fn push(groups: &mut HashMap<String, Group>, e: LogEntry, n: usize) {
    let key = labels_string(&e.labels);
    let g = groups.entry(key).or_insert_with(|| Group { labels: (*e.labels).clone(), markers: Vec::new() });
    while g.markers.len() <= n {
        g.markers.push(Vec::new());
    }
    g.markers[n].push(Entry { ts: e.ts, line: e.line });
}

/// `byDir.merge`: the markers ordered by their first entry, concatenated.
fn merged(mut markers: Vec<Vec<Entry>>, backward: bool) -> Vec<Entry> {
    markers.retain(|m| !m.is_empty());
    markers.sort_by(|a, b| {
        let (x, y) = (a[0].ts, b[0].ts);
        if backward { y.cmp(&x) } else { x.cmp(&y) }
    });
    markers.into_iter().flatten().collect()
}

fn sorted_keys(groups: &HashMap<String, Group>, descending: bool) -> Vec<String> {
    let mut keys: Vec<String> = groups.keys().cloned().collect();
    keys.sort();
    if descending {
        keys.reverse();
    }
    keys
}

fn finish_all(mut groups: HashMap<String, Group>, descending: bool) -> Vec<Stream> {
    let keys = sorted_keys(&groups, descending);
    let backward = descending;
    keys.into_iter()
        .filter_map(|k| groups.remove(&k))
        .map(|g| Stream { labels: g.labels, entries: merged_in_order(g.markers, backward) })
        .filter(|s| !s.entries.is_empty())
        .collect()
}

fn merged_in_order(markers: Vec<Vec<Entry>>, backward: bool) -> Vec<Entry> {
    if markers.len() <= 1 {
        return markers.into_iter().flatten().collect();
    }
    merged(markers, backward)
}

/// The priority-queue pick of `mergeOrderedNonOverlappingStreams`.
fn heap_merge(mut groups: HashMap<String, Group>, limit: usize, backward: bool) -> Vec<Stream> {
    let keys = sorted_keys(&groups, backward);
    let mut labels: Vec<Labels> = Vec::new();
    let mut streams: Vec<Vec<Entry>> = Vec::new();
    for k in &keys {
        if let Some(g) = groups.remove(k) {
            let es = merged(g.markers, backward);
            labels.push(g.labels);
            streams.push(es);
        }
    }
    // Items: (stream, position of its head).
    let mut pq = GoHeap { items: (0..streams.len()).filter(|&s| !streams[s].is_empty()).map(|s| (s, 0)).collect(), backward };
    pq.init(&streams);
    let mut picked: Vec<Vec<Entry>> = vec![Vec::new(); streams.len()];
    let mut n = 0;
    while n < limit && !pq.items.is_empty() {
        let (s, pos) = pq.pop(&streams);
        if let Some(e) = streams[s].get(pos) {
            picked[s].push(e.clone());
        }
        n += 1;
    }
    labels
        .into_iter()
        .zip(picked)
        .filter(|(_, es)| !es.is_empty())
        .map(|(labels, entries)| Stream { labels, entries })
        .collect()
}

/// Go's `container/heap` over Loki's `priorityqueue`.
struct GoHeap {
    items: Vec<(usize, usize)>,
    backward: bool,
}

impl GoHeap {
    fn head(&self, streams: &[Vec<Entry>], i: usize) -> i64 {
        let (s, p) = self.items[i];
        streams[s].get(p).map_or(0, |e| e.ts)
    }

    fn less(&self, streams: &[Vec<Entry>], i: usize, j: usize) -> bool {
        let (a, b) = (self.head(streams, i), self.head(streams, j));
        if self.backward { a > b } else { a < b }
    }

    fn down(&mut self, streams: &[Vec<Entry>], i0: usize, n: usize) {
        let mut i = i0;
        loop {
            let j1 = 2 * i + 1;
            if j1 >= n {
                break;
            }
            let mut j = j1;
            let j2 = j1 + 1;
            if j2 < n && self.less(streams, j2, j1) {
                j = j2;
            }
            if !self.less(streams, j, i) {
                break;
            }
            self.items.swap(i, j);
            i = j;
        }
    }

    fn init(&mut self, streams: &[Vec<Entry>]) {
        let n = self.items.len();
        for i in (0..n / 2).rev() {
            self.down(streams, i, n);
        }
    }

    /// `heap.Pop`, then Loki's `Pop`: the rest of the popped stream goes to
    /// the end without being sifted up.
    fn pop(&mut self, streams: &[Vec<Entry>]) -> (usize, usize) {
        let n = self.items.len() - 1;
        self.items.swap(0, n);
        self.down(streams, 0, n);
        let (s, p) = self.items.pop().unwrap_or((0, usize::MAX));
        if p + 1 < streams.get(s).map_or(0, Vec::len) {
            self.items.push((s, p + 1));
        }
        (s, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const H: i64 = SPLIT_INTERVAL_NS;

    fn e(ts: i64, seq: u64, stream: &str) -> LogEntry {
        let mut l = Labels::new();
        l.insert("s".into(), stream.into());
        LogEntry { ts, seq, labels: Arc::new(l), line: format!("{stream}{ts}") }
    }

    #[test]
    fn one_interval_is_the_plain_top() {
        let es = vec![e(5, 0, "a"), e(4, 1, "b"), e(3, 2, "a")];
        let s = assemble(es, 2, Direction::Backward, 0, H / 2);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].labels["s"], "a");
        assert_eq!(s[0].entries.len(), 1);
    }

    #[test]
    fn reproduces_the_frontend_quirk() {
        // Newest interval: a@2H+9, b@2H+8, a@2H+7; older: a@H+9..H+5, c@H+1.
        let mut es = vec![e(2 * H + 9, 0, "a"), e(2 * H + 8, 1, "b"), e(2 * H + 7, 2, "a")];
        for i in 0..5 {
            es.push(e(H + 9 - i, 10 + i as u64, "a"));
        }
        es.push(e(H + 1, 30, "c"));
        es.sort_by_key(|x| std::cmp::Reverse(x.ts));
        let s = assemble(es, 6, Direction::Backward, 0, 3 * H);
        let count = |n: &str| s.iter().find(|x| x.labels["s"] == n).map_or(0, |x| x.entries.len());
        // A correct merge would take a,b,a,a,a,a; Loki skips ahead to c.
        assert_eq!(count("b"), 1);
        assert_eq!(count("c"), 1);
        assert_eq!(count("a"), 4);
        // Streams come in descending label order.
        assert_eq!(s[0].labels["s"], "c");
    }
}
