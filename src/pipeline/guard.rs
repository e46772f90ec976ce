//! The guard before a query runs on a real Loki, so a generated query
//! cannot flood production: the time window, the streams it touches and the
//! bytes it reads (Loki's `index/volume`, else a `series` count) against
//! `[pipeline]` limits. Over a limit, the query is narrowed to a window that
//! fits, or the user is asked first (`pipeline.on_limit`). The embedded engine
//! is not guarded: it reads local files and bounds its own memory.

use crate::backend::Backend;
use crate::config::{GuardAction, PipelineConfig};
use crate::logql::value::QueryResult;
use crate::logql::{Expr, format_duration, parse_bytes, parse_duration};

/// The shortest window narrowing goes down to.
const MIN_WINDOW_NS: i64 = 60_000_000_000;

/// The limits of `[pipeline]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_range_ns: i64,
    pub max_series: usize,
    pub max_bytes: u64,
    pub action: GuardAction,
}

impl Limits {
    pub fn from_config(c: &PipelineConfig) -> Self {
        Self {
            max_range_ns: parse_duration(&c.max_range).filter(|d| *d > 0).unwrap_or(30 * 86_400_000_000_000),
            max_series: c.max_series.max(1),
            max_bytes: parse_bytes(&c.max_bytes).filter(|b| *b > 0).unwrap_or(10_000_000_000),
            action: c.on_limit,
        }
    }
}

/// What the guard found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardReport {
    /// One line per check, for the user and the record.
    pub checks: Vec<String>,
    /// `Some((reason, start, end))` when over a limit: why, and a window that fits.
    pub over: Option<(String, i64, i64)>,
}

fn human_bytes(b: u64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    format!("{v:.1} {}", units.get(i).copied().unwrap_or("B"))
}

/// Checks `expr` over `[start, end]` on `backend`.
pub async fn check(backend: &Backend, expr: &Expr, start: i64, end: i64, limits: &Limits) -> GuardReport {
    let Backend::Loki(client) = backend else {
        return GuardReport { checks: vec!["embedded engine: local files, not guarded".into()], over: None };
    };
    let mut checks = Vec::new();
    let mut reasons = Vec::new();
    let mut start = start;
    let len = end.saturating_sub(start);
    if len > limits.max_range_ns {
        reasons.push(format!("the window of {} is over pipeline.max_range ({})", format_duration(len), format_duration(limits.max_range_ns)));
        start = end - limits.max_range_ns;
    } else {
        checks.push(format!("window {} within {}", format_duration(len.max(1)), format_duration(limits.max_range_ns)));
    }
    let mut bytes: u64 = 0;
    let mut streams: usize = 0;
    let mut known = true;
    for sel in super::inspect::selectors(expr) {
        match client.volume(&sel, start, end).await {
            Ok(QueryResult::Vector(v)) => {
                streams += v.len();
                bytes = bytes.saturating_add(v.iter().map(|s| s.point.value.max(0.0) as u64).sum());
            }
            Ok(_) => known = false,
            Err(e) => {
                known = false;
                checks.push(format!("volume of {sel} unknown ({e})"));
                match backend.series(std::slice::from_ref(&sel), start, end).await {
                    Ok(s) => streams += s.len(),
                    Err(e) => checks.push(format!("streams of {sel} unknown ({e})")),
                }
            }
        }
    }
    let window = end.saturating_sub(start).max(1);
    let mut ratio: f64 = 1.0;
    if known && bytes > limits.max_bytes {
        reasons.push(format!("about {} to read, over pipeline.max_bytes ({})", human_bytes(bytes), human_bytes(limits.max_bytes)));
        ratio = ratio.min(limits.max_bytes as f64 / bytes as f64);
    } else if known {
        checks.push(format!("volume {} within {}", human_bytes(bytes), human_bytes(limits.max_bytes)));
    }
    if streams > limits.max_series {
        reasons.push(format!("{streams} streams, over pipeline.max_series ({})", limits.max_series));
        ratio = ratio.min(limits.max_series as f64 / streams as f64);
    } else {
        checks.push(format!("{streams} streams within {}", limits.max_series));
    }
    if reasons.is_empty() {
        return GuardReport { checks, over: None };
    }
    let narrowed = ((window as f64 * ratio) as i64).clamp(MIN_WINDOW_NS.min(window), window);
    GuardReport { checks, over: Some((reasons.join("; "), end - narrowed, end)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_sizes() {
        let l = Limits::from_config(&PipelineConfig::default());
        assert_eq!(l.max_range_ns, 30 * 86_400_000_000_000);
        assert_eq!(l.max_bytes, 10_000_000_000);
        assert_eq!(human_bytes(1_234_567), "1.2 MB");
        assert_eq!(human_bytes(12), "12.0 B");
    }

    #[tokio::test]
    async fn the_embedded_engine_is_not_guarded() {
        let b = Backend::Embedded(std::sync::Arc::new(crate::backend::embedded::Engine::new(vec![])));
        let e = crate::logql::parse(r#"{app="x"}"#).unwrap();
        let r = check(&b, &e, 0, i64::MAX, &Limits::from_config(&PipelineConfig::default())).await;
        assert!(r.over.is_none());
    }
}
