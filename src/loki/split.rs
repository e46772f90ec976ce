//! Long metric range queries: cutting `[start, end]` into pieces Loki accepts
//! (at most 11,000 points per series, or a chosen interval) on the step grid,
//! and joining the pieces' matrices back into one.
//!
//! Piece `k` evaluates the points `start + j*step` for `j` in
//! `[k*n, (k+1)*n - 1]`, so the pieces never share a point and together hold
//! exactly the points of the whole range; the merge still drops a repeated
//! timestamp, in case a server aligns piece borders differently.

use std::collections::HashMap;
use std::time::Duration;

use crate::backend::MAX_POINTS;
use crate::logql::value::{Labels, QueryResult, Series, Stream};

/// One piece: `[start_ns, end_ns]`, both on the step grid of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub start_ns: i64,
    pub end_ns: i64,
}

/// The most pieces one query is split into; more means the step is far too
/// small for the range.
pub const MAX_PIECES: i64 = 1000;

/// How a metric range query is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// As one request: it fits, or cannot be split (a non-positive step or an
    /// empty range, left for validation to refuse with Loki's words).
    Whole,
    Pieces(Vec<Piece>),
    /// It would take this many requests (over [`MAX_PIECES`]).
    TooMany(i64),
}

/// The pieces of a metric range query.
pub fn plan(start_ns: i64, end_ns: i64, step_ns: i64, interval: Option<Duration>) -> Plan {
    let span = match end_ns.checked_sub(start_ns) {
        Some(span) if step_ns > 0 && span > 0 => span,
        _ => return Plan::Whole,
    };
    let steps = span / step_ns; // points - 1
    // Points per piece: Loki allows MAX_POINTS steps, i.e. MAX_POINTS + 1 points;
    // keep one in reserve for a merged single-point tail.
    let mut per_piece = MAX_POINTS;
    if let Some(iv) = interval {
        let iv_ns = i64::try_from(iv.as_nanos()).unwrap_or(i64::MAX);
        per_piece = per_piece.min(iv_ns / step_ns).max(2);
    }
    let fits_interval = interval
        .is_none_or(|iv| u128::try_from(end_ns - start_ns).is_ok_and(|span| span <= iv.as_nanos()));
    if steps <= MAX_POINTS && fits_interval {
        return Plan::Whole;
    }
    let points = steps + 1;
    let count = (points + per_piece - 1) / per_piece;
    if count > MAX_PIECES {
        return Plan::TooMany(count);
    }
    let mut pieces = Vec::new();
    let mut first = 0i64;
    while first < points {
        let mut last = (first + per_piece - 1).min(points - 1);
        // A lone last point would make a piece with start == end, which Loki
        // refuses: give it to this piece instead.
        if last == points - 2 {
            last = points - 1;
        }
        let piece_start = start_ns + first * step_ns;
        let piece_end = if last == points - 1 {
            end_ns
        } else {
            start_ns + last * step_ns
        };
        pieces.push(Piece {
            start_ns: piece_start,
            end_ns: piece_end,
        });
        first = last + 1;
    }
    Plan::Pieces(pieces)
}

/// Joins the results of consecutive pieces: series by label set (in order of
/// first appearance), points in time order without repeated timestamps.
/// Streams are joined by label set too. Other result types cannot be split
/// and are an error.
pub fn merge(parts: Vec<QueryResult>) -> Result<QueryResult, String> {
    let mut parts = parts.into_iter();
    let Some(first) = parts.next() else {
        return Ok(QueryResult::Matrix(Vec::new()));
    };
    match first {
        QueryResult::Matrix(series) => {
            let mut out = MatrixJoin::default();
            out.add(series);
            for p in parts {
                match p {
                    QueryResult::Matrix(s) => out.add(s),
                    other => {
                        return Err(format!(
                            "a piece answered {} after matrix",
                            other.result_type()
                        ));
                    }
                }
            }
            Ok(QueryResult::Matrix(out.finish()))
        }
        QueryResult::Streams(streams) => {
            let mut out: Vec<Stream> = Vec::new();
            let mut index: HashMap<Labels, usize> = HashMap::new();
            for p in std::iter::once(QueryResult::Streams(streams)).chain(parts) {
                let QueryResult::Streams(streams) = p else {
                    return Err(format!(
                        "a piece answered {} after streams",
                        p.result_type()
                    ));
                };
                for s in streams {
                    match index.get(&s.labels) {
                        Some(&i) => {
                            if let Some(t) = out.get_mut(i) {
                                t.entries.extend(s.entries);
                            }
                        }
                        None => {
                            index.insert(s.labels.clone(), out.len());
                            out.push(s);
                        }
                    }
                }
            }
            Ok(QueryResult::Streams(out))
        }
        other => {
            if parts.len() == 0 {
                Ok(other)
            } else {
                Err(format!(
                    "cannot join {} results of a split query",
                    other.result_type()
                ))
            }
        }
    }
}

#[derive(Default)]
struct MatrixJoin {
    series: Vec<Series>,
    index: HashMap<Labels, usize>,
}

impl MatrixJoin {
    fn add(&mut self, series: Vec<Series>) {
        for s in series {
            match self.index.get(&s.metric) {
                Some(&i) => {
                    if let Some(t) = self.series.get_mut(i) {
                        t.points.extend(s.points);
                    }
                }
                None => {
                    self.index.insert(s.metric.clone(), self.series.len());
                    self.series.push(s);
                }
            }
        }
    }

    fn finish(mut self) -> Vec<Series> {
        for s in &mut self.series {
            s.points.sort_by_key(|p| p.ts_ms);
            s.points.dedup_by_key(|p| p.ts_ms);
        }
        self.series
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::value::Point;

    const S: i64 = 1_000_000_000;

    fn check_cover(start: i64, end: i64, step: i64, pieces: &[Piece]) {
        let grid: Vec<i64> = (0..)
            .map(|j| start + j * step)
            .take_while(|t| *t <= end)
            .collect();
        let mut covered = Vec::new();
        for p in pieces {
            assert!(p.end_ns > p.start_ns, "{p:?}");
            assert_eq!(
                (p.start_ns - start) % step,
                0,
                "piece start off the grid: {p:?}"
            );
            assert!(
                (p.end_ns - p.start_ns) / step <= MAX_POINTS,
                "piece too long: {p:?}"
            );
            covered.extend(
                (0..)
                    .map(|j| p.start_ns + j * step)
                    .take_while(|t| *t <= p.end_ns),
            );
        }
        assert_eq!(
            covered, grid,
            "pieces must hold each grid point exactly once"
        );
    }

    #[test]
    fn short_ranges_are_not_split() {
        assert_eq!(plan(0, 11_000 * S, S, None), Plan::Whole);
        assert_eq!(plan(0, 10 * S, 0, None), Plan::Whole);
        assert_eq!(plan(10 * S, 10 * S, S, None), Plan::Whole);
        assert_eq!(
            plan(i64::MIN, i64::MAX, S, None),
            Plan::Whole,
            "no overflow"
        );
    }

    fn split_of(p: Plan) -> Vec<Piece> {
        match p {
            Plan::Pieces(p) => p,
            other => panic!("expected pieces, got {other:?}"),
        }
    }

    #[test]
    fn absurd_splits_are_refused() {
        // 100 years at a 1 ms step.
        let p = plan(0, 3_155_760_000 * S, 1_000_000, None);
        assert!(matches!(p, Plan::TooMany(n) if n > MAX_PIECES), "{p:?}");
    }

    #[test]
    fn long_ranges_split_on_the_grid() {
        let pieces = split_of(plan(7, 7 + 30_000 * S, S, None));
        assert_eq!(pieces.len(), 3);
        assert_eq!(
            pieces[0],
            Piece {
                start_ns: 7,
                end_ns: 7 + 10_999 * S
            }
        );
        assert_eq!(pieces[1].start_ns, 7 + 11_000 * S);
        check_cover(7, 7 + 30_000 * S, S, &pieces);
        // An end off the grid stays the last piece's end.
        let end = 25_000 * S + 123;
        let pieces = split_of(plan(0, end, S, None));
        assert_eq!(pieces.last().unwrap().end_ns, end);
        check_cover(0, end, S, &pieces);
    }

    #[test]
    fn lone_tail_point_joins_the_last_piece() {
        // 22,001 points: 11,000 + 11,000 + 1 -> the 1 joins the second piece.
        let pieces = split_of(plan(0, 22_000 * S, S, None));
        assert_eq!(pieces.len(), 2);
        check_cover(0, 22_000 * S, S, &pieces);
    }

    #[test]
    fn interval_splits_shorter_ranges() {
        let h = 3600 * S;
        let pieces = split_of(plan(0, 48 * h, h, Some(Duration::from_secs(24 * 3600))));
        // 49 points, 24 per piece, the lone last one joins the second piece.
        assert_eq!(pieces.len(), 2, "{pieces:?}");
        assert!(pieces.iter().all(|p| p.end_ns - p.start_ns <= 24 * h));
        check_cover(0, 48 * h, h, &pieces);
        // A range within the interval is sent whole.
        assert_eq!(
            plan(0, 24 * h, h, Some(Duration::from_secs(24 * 3600))),
            Plan::Whole
        );
        // An interval under two steps still makes pieces Loki accepts.
        let small = split_of(plan(0, 10 * h, h, Some(Duration::from_secs(1))));
        check_cover(0, 10 * h, h, &small);
    }

    #[test]
    fn merge_joins_series_and_drops_border_duplicates() {
        let l = |v: &str| -> Labels { [("a".to_string(), v.to_string())].into() };
        let p = |t: i64, v: f64| Point { ts_ms: t, value: v };
        let a = QueryResult::Matrix(vec![
            Series {
                metric: l("x"),
                points: vec![p(1, 1.0), p(2, 2.0)],
            },
            Series {
                metric: l("y"),
                points: vec![p(2, 5.0)],
            },
        ]);
        let b = QueryResult::Matrix(vec![
            Series {
                metric: l("z"),
                points: vec![p(3, 9.0)],
            },
            Series {
                metric: l("x"),
                points: vec![p(2, 2.0), p(3, 3.0)],
            },
        ]);
        let QueryResult::Matrix(m) = merge(vec![a, b]).unwrap() else {
            panic!()
        };
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].metric, l("x"));
        assert_eq!(m[0].points, vec![p(1, 1.0), p(2, 2.0), p(3, 3.0)]);
        assert_eq!(m[1].metric, l("y"));
        assert_eq!(m[2].metric, l("z"));
        assert!(
            merge(vec![
                QueryResult::Matrix(vec![]),
                QueryResult::Scalar(p(1, 1.0))
            ])
            .is_err()
        );
    }
}
