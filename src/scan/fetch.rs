//! Reading the scanned range forward, page by page, from either backend:
//! `{app="X"}` in forward direction, at most [`PAGE`] entries a request, the
//! next page from the last timestamp seen (Loki's `start` is inclusive), the
//! entries at that border timestamp already taken skipped (as a multiset of
//! stream and line, as logcli does). Unlike the Loki client's own pager, the
//! entries are handed on page by page, so a long range is never held whole.

use std::collections::HashMap;

use crate::backend::{Direction, MAX_LIMIT, RangeRequest};
use crate::logql::value::{Labels, Stream};

/// Entries per request (the most Loki and the engine accept).
pub const PAGE: u32 = MAX_LIMIT;

/// One log entry of the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub ts: i64,
    pub line: String,
}

/// The state of a forward read.
#[derive(Debug)]
pub struct Cursor {
    query: String,
    start_ns: i64,
    end_ns: i64,
    page: u32,
    border_ts: Option<i64>,
    border: HashMap<(Labels, String), usize>,
    border_count: usize,
    done: bool,
    /// Timestamps stepped past because a page could not hold their entries and
    /// one more: entries of them beyond a page may be unread.
    pub stepped_past: u64,
}

impl Cursor {
    pub fn new(query: String, start_ns: i64, end_ns: i64, page: u32) -> Self {
        Self {
            query,
            start_ns,
            end_ns,
            page: page.clamp(1, MAX_LIMIT),
            border_ts: None,
            border: HashMap::new(),
            border_count: 0,
            done: start_ns >= end_ns,
            stepped_past: 0,
        }
    }

    /// The next request, or `None` when the range is read.
    pub fn request(&self) -> Option<RangeRequest> {
        (!self.done).then(|| RangeRequest {
            query: self.query.clone(),
            start_ns: self.start_ns,
            end_ns: self.end_ns,
            step_ns: None,
            limit: self.page,
            direction: Direction::Forward,
        })
    }

    /// Takes a page's streams; the new entries, oldest first.
    pub fn accept(&mut self, page: Vec<Stream>) -> Vec<Fetched> {
        let received: usize = page.iter().map(|s| s.entries.len()).sum();
        let last_ts = page.iter().flat_map(|s| s.entries.iter().map(|e| e.ts)).max();
        let mut skip = self.border_ts.map(|ts| (ts, self.border.clone()));
        let mut fresh: Vec<(i64, usize, Fetched)> = Vec::new();
        let mut at_last: Vec<(Labels, String)> = Vec::new();
        for s in page {
            for e in s.entries {
                if let Some((ts, seen)) = skip.as_mut()
                    && e.ts == *ts
                    && let Some(n) = seen.get_mut(&(s.labels.clone(), e.line.clone()))
                    && *n > 0
                {
                    *n -= 1;
                    continue;
                }
                if Some(e.ts) == last_ts {
                    at_last.push((s.labels.clone(), e.line.clone()));
                }
                let order = fresh.len();
                fresh.push((e.ts, order, Fetched { ts: e.ts, line: e.line }));
            }
        }
        fresh.sort_by_key(|f| (f.0, f.1));
        let Some(last_ts) = last_ts else {
            self.done = true;
            return Vec::new();
        };
        if fresh.is_empty() || received < self.page as usize || last_ts < self.start_ns {
            self.done = true;
        } else {
            if self.border_ts != Some(last_ts) {
                self.border.clear();
                self.border_count = 0;
            }
            self.border_ts = Some(last_ts);
            for key in at_last {
                *self.border.entry(key).or_default() += 1;
                self.border_count += 1;
            }
            self.start_ns = last_ts;
            if self.border_count >= self.page as usize {
                // A page cannot hold this timestamp's entries and one more: step past it.
                self.stepped_past += 1;
                self.start_ns = last_ts.saturating_add(1);
                self.border_ts = None;
                self.border.clear();
                self.border_count = 0;
            }
            self.done = self.start_ns >= self.end_ns;
        }
        fresh.into_iter().map(|f| f.2).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::value::Entry;

    /// A tiny Loki: a forward page of `data` (stream, ts, line), `start` inclusive, `end` exclusive.
    fn serve(data: &[(&str, i64, &str)], r: &RangeRequest) -> Vec<Stream> {
        let mut hits: Vec<&(&str, i64, &str)> = data.iter().filter(|d| d.1 >= r.start_ns && d.1 < r.end_ns).collect();
        hits.sort_by_key(|h| h.1);
        hits.truncate(r.limit as usize);
        let mut out: Vec<Stream> = Vec::new();
        for (s, ts, line) in hits {
            let labels: Labels = [("c".to_string(), s.to_string())].into();
            let e = Entry { ts: *ts, line: line.to_string() };
            match out.iter_mut().find(|x| x.labels == labels) {
                Some(x) => x.entries.push(e),
                None => out.push(Stream { labels, entries: vec![e] }),
            }
        }
        out
    }

    fn read(data: &[(&str, i64, &str)], page: u32) -> (Vec<(i64, String)>, Cursor) {
        let mut c = Cursor::new("{app=\"x\"}".into(), 0, 1000, page);
        let mut out = Vec::new();
        let mut n = 0;
        while let Some(r) = c.request() {
            n += 1;
            assert!(n < 100, "the cursor stops");
            out.extend(c.accept(serve(data, &r)).into_iter().map(|f| (f.ts, f.line)));
        }
        (out, c)
    }

    #[test]
    fn pages_forward_without_losing_or_doubling_border_lines() {
        let data = [("a", 1, "x"), ("b", 2, "y"), ("a", 3, "same"), ("a", 3, "same"), ("b", 3, "z"), ("a", 4, "w"), ("b", 5, "v"), ("a", 5, "u")];
        for page in [1u32, 2, 3, 4, 100] {
            let (got, c) = read(&data, page);
            let mut want: Vec<(i64, String)> = data.iter().map(|d| (d.1, d.2.to_owned())).collect();
            let mut sorted = got.clone();
            sorted.sort();
            want.sort();
            if c.stepped_past == 0 {
                assert_eq!(sorted, want, "page {page}");
            }
            assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "oldest first: {got:?}");
        }
        // Page 2: timestamp 3 has three entries, more than a page: stepped past, said.
        let (got, c) = read(&data, 2);
        assert!(c.stepped_past >= 1);
        assert_eq!(got.iter().filter(|g| g.0 == 3).count(), 2, "{got:?}");
        assert!(Cursor::new(String::new(), 5, 5, 10).request().is_none());
    }
}
