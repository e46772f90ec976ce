//! A query ready to run: the LogQL text, how it runs (an instant query over
//! the whole window, a range query, or a log query with a limit) and the
//! request it becomes for a time window.
//!
//! `$__range` (Grafana's name) stands for the length of the window: a query
//! with it runs as an instant query at the window's end, so
//! `sum(count_over_time({app="hdfs"} |= "x" [$__range]))` is one number for
//! the whole window. Other metric queries run as range queries with Loki's
//! default step; log queries return up to `limit` lines, newest first.

use serde::{Deserialize, Serialize};

use crate::backend::{Direction, InstantRequest, RangeRequest};
use crate::logql::{Expr, ParseError, format_duration, parse};

/// The placeholder for the window's length.
pub const RANGE_VAR: &str = "$__range";

/// How a query runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryMode {
    /// One evaluation at the window's end, `$__range` = the window.
    Instant,
    /// A metric query over the window, Loki's default step.
    Range,
    /// Log lines, newest first.
    Log,
}

/// A query and how to run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryPlan {
    /// LogQL, possibly with `$__range`.
    pub logql: String,
    pub mode: QueryMode,
    /// Lines of a log query.
    pub limit: u32,
}

/// The request a plan becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Instant(InstantRequest),
    Range(RangeRequest),
}

impl Request {
    pub fn query(&self) -> &str {
        match self {
            Request::Instant(r) => &r.query,
            Request::Range(r) => &r.query,
        }
    }
}

/// `ns` as a LogQL range, whole seconds rounded up, at least `1s`.
pub fn range_literal(ns: i64) -> String {
    let secs = ns.max(1).saturating_add(999_999_999) / 1_000_000_000;
    format_duration(secs.max(1).saturating_mul(1_000_000_000))
}

impl QueryPlan {
    /// The plan of a query text: `$__range` -> instant, another metric query
    /// -> range, a log query -> log (checked by parsing it with a 1h range).
    pub fn of(logql: &str, limit: u32) -> Result<QueryPlan, ParseError> {
        let logql = logql.trim().to_owned();
        let mode = match parse(&logql.replace(RANGE_VAR, "1h"))? {
            Expr::Log(_) => QueryMode::Log,
            Expr::Sample(_) if logql.contains(RANGE_VAR) => QueryMode::Instant,
            Expr::Sample(_) => QueryMode::Range,
        };
        Ok(QueryPlan { logql, mode, limit })
    }

    /// [`QueryPlan::of`], or a log-query plan when the text does not parse
    /// (the check before running reports the error).
    pub fn guess(logql: &str, limit: u32) -> QueryPlan {
        QueryPlan::of(logql, limit).unwrap_or_else(|_| QueryPlan { logql: logql.trim().to_owned(), mode: QueryMode::Log, limit })
    }

    /// The text with `$__range` replaced by the window's length.
    pub fn render(&self, window_ns: i64) -> String {
        self.logql.replace(RANGE_VAR, &range_literal(window_ns))
    }

    /// Parses the rendered text: our own check before anything runs.
    pub fn check(&self, window_ns: i64) -> Result<Expr, ParseError> {
        parse(&self.render(window_ns))
    }

    /// The request over `[start_ns, end_ns]`.
    pub fn request(&self, start_ns: i64, end_ns: i64) -> Request {
        let query = self.render(end_ns.saturating_sub(start_ns));
        match self.mode {
            QueryMode::Instant => {
                Request::Instant(InstantRequest { query, time_ns: end_ns, limit: self.limit, direction: Direction::Backward })
            }
            QueryMode::Range | QueryMode::Log => Request::Range(RangeRequest {
                query,
                start_ns,
                end_ns,
                step_ns: None,
                limit: self.limit,
                direction: Direction::Backward,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_ranges_and_requests() {
        let p = QueryPlan::of(r#" sum(count_over_time({app="hdfs"} |= "x" [$__range])) "#, 100).unwrap();
        assert_eq!(p.mode, QueryMode::Instant);
        assert_eq!(p.render(90 * 60 * 1_000_000_000), r#"sum(count_over_time({app="hdfs"} |= "x" [1h30m]))"#);
        assert!(p.check(1).is_ok());
        match p.request(0, 1_500_000_000) {
            Request::Instant(r) => {
                assert_eq!(r.time_ns, 1_500_000_000);
                assert!(r.query.contains("[2s]"), "rounded up: {}", r.query);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(QueryPlan::of(r#"rate({app="hdfs"}[5m])"#, 1).unwrap().mode, QueryMode::Range);
        let p = QueryPlan::of(r#"{app="hdfs"} |= "x""#, 20).unwrap();
        assert_eq!(p.mode, QueryMode::Log);
        assert!(matches!(p.request(0, 10), Request::Range(r) if r.limit == 20 && r.start_ns == 0));
        assert!(QueryPlan::of("{app=", 1).is_err());
        assert_eq!(range_literal(0), "1s");
        assert_eq!(range_literal(86_400_000_000_000 * 400), "400d");
    }
}
