//! Paging a log query past the server's per-request limit, as logcli does:
//! ask for at most a page, then continue from the last timestamp seen in the
//! query's direction (forward: `start = last`, backward: `end = last + 1ns`,
//! Loki's `end` being exclusive). The next page repeats the entries at that
//! border timestamp; those already kept are dropped, counted as a multiset of
//! `(labels, line)` so that equal lines in a stream are neither lost nor
//! doubled. It stops at `limit`, at a short page (no more data), or when a
//! page brings nothing new. When a page's worth of entries share one
//! timestamp (logcli's "increase your batch size" case), it steps past that
//! timestamp: entries of it beyond a page cannot be read this way.

use std::collections::{HashMap, HashSet};

use crate::backend::Direction;
use crate::logql::value::{Entry, Labels, Stream};

/// The next request to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub start_ns: i64,
    pub end_ns: i64,
    pub limit: u32,
}

/// The entries kept at the current border timestamp.
struct Border {
    ts: i64,
    seen: HashMap<(Labels, String), usize>,
    count: usize,
}

/// The state of a paged log query.
pub struct LogPager {
    direction: Direction,
    start_ns: i64,
    end_ns: i64,
    limit: usize,
    page_size: usize,
    total: usize,
    border: Option<Border>,
    out: Vec<Stream>,
    index: HashMap<Labels, usize>,
    done: bool,
}

impl LogPager {
    pub fn new(
        start_ns: i64,
        end_ns: i64,
        limit: u32,
        page_size: u32,
        direction: Direction,
    ) -> Self {
        LogPager {
            direction,
            start_ns,
            end_ns,
            limit: limit as usize,
            page_size: page_size.max(1) as usize,
            total: 0,
            border: None,
            out: Vec::new(),
            index: HashMap::new(),
            done: false,
        }
    }

    /// The next page to ask for, or `None` when done.
    pub fn next_request(&self) -> Option<PageRequest> {
        if self.done || self.total >= self.limit {
            return None;
        }
        let seen = self.border.as_ref().map_or(0, |b| b.count);
        let want = (self.limit.saturating_sub(self.total))
            .saturating_add(seen)
            .min(self.page_size);
        Some(PageRequest {
            start_ns: self.start_ns,
            end_ns: self.end_ns,
            limit: u32::try_from(want).unwrap_or(u32::MAX),
        })
    }

    /// Takes the streams answered to a request for `requested` entries.
    pub fn accept(&mut self, page: Vec<Stream>, requested: u32) {
        let received: usize = page.iter().map(|s| s.entries.len()).sum();
        let mut skip = self.border.as_ref().map(|b| (b.ts, b.seen.clone()));

        // Entries not seen before, as (stream, entry) positions.
        let mut fresh: Vec<(i64, usize, usize)> = Vec::new();
        for (si, s) in page.iter().enumerate() {
            for (ei, e) in s.entries.iter().enumerate() {
                if let Some((ts, seen)) = skip.as_mut()
                    && e.ts == *ts
                    && let Some(n) = seen.get_mut(&(s.labels.clone(), e.line.clone()))
                    && *n > 0
                {
                    *n -= 1;
                    continue;
                }
                fresh.push((e.ts, si, ei));
            }
        }
        let remaining = self.limit.saturating_sub(self.total);
        if fresh.len() > remaining {
            match self.direction {
                Direction::Forward => fresh.sort_by_key(|f| f.0),
                Direction::Backward => fresh.sort_by_key(|f| std::cmp::Reverse(f.0)),
            }
            fresh.truncate(remaining);
        }
        let keep: HashSet<(usize, usize)> = fresh.iter().map(|&(_, si, ei)| (si, ei)).collect();
        let kept = keep.len();

        let last_ts = page
            .iter()
            .flat_map(|s| s.entries.iter().map(|e| e.ts))
            .reduce(|a, b| match self.direction {
                Direction::Forward => a.max(b),
                Direction::Backward => a.min(b),
            });

        let mut at_border: Vec<(Labels, String)> = Vec::new();
        for (si, s) in page.into_iter().enumerate() {
            let mut entries: Vec<Entry> = Vec::new();
            for (ei, e) in s.entries.into_iter().enumerate() {
                if keep.contains(&(si, ei)) {
                    if Some(e.ts) == last_ts {
                        at_border.push((s.labels.clone(), e.line.clone()));
                    }
                    entries.push(e);
                }
            }
            if !entries.is_empty() {
                self.push_entries(s.labels, entries);
            }
        }
        self.total += kept;

        let Some(last_ts) = last_ts else {
            self.done = true;
            return;
        };
        if kept == 0 || self.total >= self.limit || received < requested as usize {
            self.done = true;
            return;
        }
        // Move the window; it may only shrink.
        match self.direction {
            Direction::Forward if last_ts >= self.start_ns => self.start_ns = last_ts,
            Direction::Backward if last_ts < self.end_ns => self.end_ns = last_ts.saturating_add(1),
            _ => {
                self.done = true;
                return;
            }
        }
        let border = match self.border.take() {
            Some(b) if b.ts == last_ts => b,
            _ => Border {
                ts: last_ts,
                seen: HashMap::new(),
                count: 0,
            },
        };
        let mut border = border;
        for key in at_border {
            *border.seen.entry(key).or_default() += 1;
            border.count += 1;
        }
        if border.count >= self.page_size {
            // A page cannot hold this timestamp's entries plus one more: step
            // past it, leaving any entries of it the pages could not show.
            match self.direction {
                Direction::Forward => self.start_ns = border.ts.saturating_add(1),
                Direction::Backward => self.end_ns = border.ts,
            }
            self.done = self.start_ns >= self.end_ns;
            self.border = None;
            return;
        }
        self.border = Some(border);
    }

    fn push_entries(&mut self, labels: Labels, entries: Vec<Entry>) {
        match self.index.get(&labels) {
            Some(&i) => {
                if let Some(s) = self.out.get_mut(i) {
                    s.entries.extend(entries);
                }
            }
            None => {
                self.index.insert(labels.clone(), self.out.len());
                self.out.push(Stream { labels, entries });
            }
        }
    }

    /// Entries kept so far.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The streams, in order of first appearance, entries in query order.
    pub fn finish(self) -> Vec<Stream> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny Loki: answers a page over `data` (labels, ts, line) like Loki does.
    fn serve(data: &[(&str, i64, &str)], req: PageRequest, dir: Direction) -> Vec<Stream> {
        let mut hits: Vec<&(&str, i64, &str)> = data
            .iter()
            .filter(|(_, ts, _)| *ts >= req.start_ns && *ts < req.end_ns)
            .collect();
        match dir {
            Direction::Forward => hits.sort_by_key(|h| h.1),
            Direction::Backward => hits.sort_by_key(|h| std::cmp::Reverse(h.1)),
        }
        hits.truncate(req.limit as usize);
        let mut out: Vec<Stream> = Vec::new();
        for (app, ts, line) in hits {
            let labels: Labels = [("app".to_string(), app.to_string())].into();
            match out.iter_mut().find(|s| s.labels == labels) {
                Some(s) => s.entries.push(Entry {
                    ts: *ts,
                    line: line.to_string(),
                }),
                None => out.push(Stream {
                    labels,
                    entries: vec![Entry {
                        ts: *ts,
                        line: line.to_string(),
                    }],
                }),
            }
        }
        out
    }

    fn run(
        data: &[(&str, i64, &str)],
        limit: u32,
        page: u32,
        dir: Direction,
    ) -> (Vec<(String, i64, String)>, usize) {
        let mut p = LogPager::new(0, 1000, limit, page, dir);
        let mut requests = 0;
        while let Some(req) = p.next_request() {
            requests += 1;
            assert!(requests < 100, "pager does not stop");
            assert!(req.limit as usize <= page as usize);
            let answer = serve(data, req, dir);
            p.accept(answer, req.limit);
        }
        let flat = p
            .finish()
            .into_iter()
            .flat_map(|s| {
                let app = s.labels["app"].clone();
                s.entries
                    .into_iter()
                    .map(move |e| (app.clone(), e.ts, e.line))
            })
            .collect();
        (flat, requests)
    }

    fn data() -> Vec<(&'static str, i64, &'static str)> {
        vec![
            ("a", 1, "a1"),
            ("a", 2, "a2"),
            ("b", 2, "b2"),
            ("a", 3, "same"),
            ("a", 3, "same"),
            ("b", 3, "b3"),
            ("a", 4, "a4"),
            ("b", 5, "b5"),
            ("a", 6, "a6"),
            ("a", 6, "a6x"),
            ("b", 6, "b6"),
            ("a", 7, "a7"),
            ("b", 8, "b8"),
            ("a", 9, "a9"),
        ]
    }

    fn sorted(mut v: Vec<(String, i64, String)>) -> Vec<(String, i64, String)> {
        v.sort();
        v
    }

    #[test]
    fn pages_forward_without_losing_or_doubling_border_entries() {
        let all: Vec<_> = data()
            .iter()
            .map(|(a, t, l)| (a.to_string(), *t, l.to_string()))
            .collect();
        for page in 3..=6 {
            let (got, requests) = run(&data(), 100, page, Direction::Forward);
            assert_eq!(sorted(got), sorted(all.clone()), "page {page}");
            assert!(requests > 1);
        }
    }

    #[test]
    fn pages_backward_and_stops_at_limit() {
        let (got, _) = run(&data(), 6, 3, Direction::Backward);
        assert_eq!(got.len(), 6);
        let mut ts: Vec<i64> = got.iter().map(|g| g.1).collect();
        ts.sort();
        // The 6 newest: 9, 8, 7, 6, 6, 6.
        assert_eq!(ts, vec![6, 6, 6, 7, 8, 9]);
        let all: Vec<_> = data()
            .iter()
            .map(|(a, t, l)| (a.to_string(), *t, l.to_string()))
            .collect();
        let (got, _) = run(&data(), 1000, 4, Direction::Backward);
        assert_eq!(sorted(got), sorted(all));
    }

    #[test]
    fn short_page_ends_without_another_request() {
        let (got, requests) = run(&data(), 100, 50, Direction::Forward);
        assert_eq!(got.len(), data().len());
        assert_eq!(requests, 1);
    }

    #[test]
    fn steps_past_a_timestamp_holding_more_than_a_page() {
        let crowded: Vec<(&str, i64, &str)> = vec![
            ("a", 5, "x1"),
            ("a", 5, "x2"),
            ("a", 5, "x3"),
            ("a", 5, "x4"),
            ("a", 6, "y"),
            ("a", 7, "z"),
        ];
        let (got, requests) = run(&crowded, 100, 2, Direction::Forward);
        let lines: Vec<&str> = got.iter().map(|g| g.2.as_str()).collect();
        assert_eq!(
            lines,
            vec!["x1", "x2", "y", "z"],
            "x3 and x4 cannot be reached with pages of 2"
        );
        assert_eq!(requests, 3);
        let (got, _) = run(&crowded, 100, 2, Direction::Backward);
        let lines: Vec<&str> = got.iter().map(|g| g.2.as_str()).collect();
        assert_eq!(lines, vec!["z", "y", "x1", "x2"]);
    }

    #[test]
    fn request_limit_counts_the_border_entries_again() {
        let mut p = LogPager::new(0, 100, 5, 3, Direction::Forward);
        let r = p.next_request().unwrap();
        assert_eq!((r.start_ns, r.limit), (0, 3));
        let l: Labels = [("app".to_string(), "a".to_string())].into();
        let e = |ts, line: &str| Entry {
            ts,
            line: line.into(),
        };
        p.accept(
            vec![Stream {
                labels: l.clone(),
                entries: vec![e(1, "x"), e(4, "y"), e(4, "z")],
            }],
            3,
        );
        let r = p.next_request().unwrap();
        // 2 still wanted + 2 to be repeated at ts 4, capped at the page size.
        assert_eq!((r.start_ns, r.end_ns, r.limit), (4, 100, 3));
        p.accept(
            vec![Stream {
                labels: l,
                entries: vec![e(4, "z"), e(4, "y"), e(7, "w")],
            }],
            3,
        );
        assert_eq!(p.total(), 4);
        let r = p.next_request().unwrap();
        assert_eq!((r.start_ns, r.limit), (7, 2));
    }
}
