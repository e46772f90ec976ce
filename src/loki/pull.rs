//! Pulling every line of a stream selector out of a Loki, oldest first, in
//! time slices: each request asks for `[cursor, slice end)` (Loki's end is
//! exclusive) with at most a page of entries. A full page means more in the
//! slice: the next request starts at the page's last timestamp, and the
//! entries already taken at that timestamp (a multiset of hashes of labels
//! and line, the [`Cursor::border`]) are skipped. A short page ends the slice;
//! a slice that comes back nearly empty doubles the next one.
//!
//! A page Loki refuses for its size (400 or 413 saying too many / too large /
//! exceeds / limit) halves the slice and is asked again, counted; a refusal
//! naming its entry limit (`(asked > max)`) lowers the page size to that.
//! More entries at one timestamp than a page holds cannot be read this way
//! (logcli has the same limit): the cursor steps past it, counted.
//!
//! The [`Cursor`] is all there is to resume: the caller saves it with the
//! lines of each page.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::LokiClient;
use crate::backend::{BackendError, Direction, MAX_LIMIT, RangeRequest};
use crate::logql::value::{Labels, QueryResult};

/// How to slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullOptions {
    /// Entries asked for per request (at most [`MAX_LIMIT`]).
    pub page: u32,
    /// The first slice's length.
    pub slice_ns: i64,
    /// The longest slice.
    pub max_slice_ns: i64,
    /// Below this a refused slice is not halved again: the pull fails.
    pub min_slice_ns: i64,
}

impl Default for PullOptions {
    fn default() -> Self {
        // Loki refuses ranges past `max_query_length` (721h by default): at most 30 days.
        Self { page: 1000, slice_ns: 3_600_000_000_000, max_slice_ns: 30 * 86_400_000_000_000, min_slice_ns: 1_000_000 }
    }
}

/// Where a pull stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The next request starts here (unix ns).
    pub next_ns: i64,
    /// The timestamp of the last entries taken, and the hashes (16 hex
    /// digits of xxh3 over labels and line) of every entry taken at it, with
    /// repeats: the next page starts at this timestamp and skips them.
    pub border_ts: Option<i64>,
    pub border: Vec<String>,
}

/// What a pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullStats {
    pub requests: u64,
    pub pages: u64,
    pub entries: u64,
    /// Pages Loki refused for their size (each halved the slice, or lowered the page).
    pub rejected: u64,
    /// Timestamps with more entries than a page holds, stepped past.
    pub crowded: u64,
}

/// One entry taken, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    pub ts: i64,
    pub labels: Labels,
    pub line: String,
}

/// Why a pull stopped.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Loki(#[from] BackendError),
    #[error("Loki refused a page even for a slice of {slice_ns} ns: {message}")]
    Refused { slice_ns: i64, message: String },
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Sink(String),
}

fn entry_hash(labels: &Labels, line: &str) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for (k, v) in labels {
        h.update(k.as_bytes());
        h.update(&[0]);
        h.update(v.as_bytes());
        h.update(&[1]);
    }
    h.update(line.as_bytes());
    format!("{:016x}", h.digest())
}

/// How a refusal should be met: a smaller page (Loki named its limit), a smaller slice, or not at all.
fn refusal(e: &BackendError) -> Option<Option<u32>> {
    let BackendError::Server { status, message } = e else { return None };
    let m = message.to_ascii_lowercase();
    let sized = ["too many", "too large", "exceed", "limit", "too big", "max"].iter().any(|w| m.contains(w));
    if !(matches!(status, 400 | 413 | 422) && sized || *status == 413) {
        return None;
    }
    // "... max_entries_limit_per_query (5001 > 5000)": the page is too big.
    let named = m.contains("entries").then(|| {
        let open = m.rfind('(')?;
        let close = m[open..].find(')')? + open;
        let (_, max) = m[open + 1..close].split_once('>')?;
        max.trim().parse::<u32>().ok().filter(|n| *n > 0)
    });
    Some(named.flatten())
}

/// Pulls `selector` from the cursor up to `end_ns` (exclusive). Each page's
/// new entries go to `sink` in time order (with the cursor after them and the
/// stats so far), then the cursor moves; `on_page` sees both after each page.
pub async fn pull(
    client: &LokiClient,
    selector: &str,
    cursor: &mut Cursor,
    end_ns: i64,
    opts: PullOptions,
    sink: &mut dyn FnMut(&[Pulled], &Cursor, &PullStats) -> Result<(), String>,
    on_page: &mut dyn FnMut(&PullStats, &Cursor),
    cancel: &AtomicBool,
) -> Result<PullStats, PullError> {
    let mut stats = PullStats::default();
    let mut page = opts.page.clamp(1, MAX_LIMIT);
    let mut slice = opts.slice_ns.max(opts.min_slice_ns).max(1);
    while cursor.next_ns < end_ns {
        if cancel.load(Ordering::Relaxed) {
            return Err(PullError::Cancelled);
        }
        let slice_end = cursor.next_ns.saturating_add(slice).min(end_ns);
        let req = RangeRequest {
            query: selector.to_owned(),
            start_ns: cursor.next_ns,
            end_ns: slice_end,
            step_ns: None,
            limit: page,
            direction: Direction::Forward,
        };
        stats.requests += 1;
        let streams = match client.query_range(&req).await {
            Ok(QueryResult::Streams(s)) => s,
            Ok(other) => {
                return Err(PullError::Loki(BackendError::Execution(format!(
                    "{selector} is not a log query: Loki answered {}",
                    other.result_type()
                ))));
            }
            Err(e) => match refusal(&e) {
                Some(Some(max)) if max < page => {
                    stats.rejected += 1;
                    page = max;
                    continue;
                }
                Some(_) if slice_end - cursor.next_ns > opts.min_slice_ns => {
                    stats.rejected += 1;
                    slice = ((slice_end - cursor.next_ns) / 2).max(opts.min_slice_ns);
                    continue;
                }
                Some(_) => return Err(PullError::Refused { slice_ns: slice_end - cursor.next_ns, message: e.to_string() }),
                None => return Err(e.into()),
            },
        };
        // In time order; equal times keep the order Loki gave.
        let mut all: Vec<(i64, usize, usize)> = Vec::new();
        for (si, s) in streams.iter().enumerate() {
            for (ei, e) in s.entries.iter().enumerate() {
                all.push((e.ts, si, ei));
            }
        }
        all.sort_by_key(|x| *x);
        let received = all.len();
        // Only what was asked for is taken (a server may send more).
        all.retain(|x| x.0 >= cursor.next_ns && x.0 < slice_end);
        let mut seen: HashMap<String, usize> = HashMap::new();
        if cursor.border_ts.is_some() {
            for h in &cursor.border {
                *seen.entry(h.clone()).or_default() += 1;
            }
        }
        let mut fresh: Vec<Pulled> = Vec::new();
        let mut hashes_at_last: Vec<String> = Vec::new();
        let last_ts = all.last().map(|x| x.0);
        for &(ts, si, ei) in &all {
            let (labels, e) = (&streams[si].labels, &streams[si].entries[ei]);
            let h = entry_hash(labels, &e.line);
            if cursor.border_ts == Some(ts)
                && let Some(n) = seen.get_mut(&h)
                && *n > 0
            {
                *n -= 1;
                if Some(ts) == last_ts {
                    hashes_at_last.push(h);
                }
                continue;
            }
            if Some(ts) == last_ts {
                hashes_at_last.push(h);
            }
            fresh.push(Pulled { ts, labels: labels.clone(), line: e.line.clone() });
        }
        stats.pages += 1;
        stats.entries += fresh.len() as u64;
        let next = if received >= page as usize {
            // A full page: more in this slice, from the last timestamp on.
            let ts = last_ts.unwrap_or(cursor.next_ns).max(cursor.next_ns);
            if fresh.is_empty() {
                // A page's worth at one timestamp, all seen: step past it.
                stats.crowded += 1;
                Cursor { next_ns: ts.saturating_add(1), border_ts: None, border: Vec::new() }
            } else {
                Cursor { next_ns: ts, border_ts: Some(ts), border: hashes_at_last }
            }
        } else {
            if received < page as usize / 4 {
                slice = slice.saturating_mul(2).min(opts.max_slice_ns.max(slice));
            }
            Cursor { next_ns: slice_end, border_ts: None, border: Vec::new() }
        };
        sink(&fresh, &next, &stats).map_err(PullError::Sink)?;
        *cursor = next;
        on_page(&stats, cursor);
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(status: u16, message: &str) -> BackendError {
        BackendError::Server { status, message: message.into() }
    }

    #[test]
    fn refusals_are_told_apart() {
        let named = server(400, "max entries limit per query exceeded, limit > max_entries_limit_per_query (5000 > 2000)");
        assert_eq!(refusal(&named), Some(Some(2000)));
        assert_eq!(refusal(&server(400, "the query would read too many bytes (query: 2.1 GiB, limit: 1 GiB)")), Some(None));
        assert_eq!(refusal(&server(413, "Request Entity Too Large")), Some(None));
        assert_eq!(refusal(&server(400, "parse error at line 1, col 3: syntax error")), None);
        assert_eq!(refusal(&server(500, "too many outstanding requests")), None, "5xx is the retry policy's business");
        assert_eq!(refusal(&BackendError::Timeout(std::time::Duration::from_secs(1))), None);
    }

    #[test]
    fn hashes_see_labels_and_line() {
        let a: Labels = [("app".to_string(), "x".to_string())].into();
        let b: Labels = [("app".to_string(), "y".to_string())].into();
        assert_ne!(entry_hash(&a, "l"), entry_hash(&b, "l"));
        assert_ne!(entry_hash(&a, "l"), entry_hash(&a, "m"));
        assert_eq!(entry_hash(&a, "l"), entry_hash(&a.clone(), "l"));
    }
}
