//! Time flags shared by `query`, `labels` and `series`: `--start`, `--end`,
//! `--since`, with Loki's defaults and Loki's timestamp formats.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::Args;

use crate::logql::duration::parse_duration;

/// The time range of a request. Defaults are Loki's: end now, start an hour
/// before end; `--since` counts back from end.
#[derive(Debug, Clone, Default, Args)]
pub struct TimeArgs {
    /// Start of the range: RFC 3339 or unix seconds / nanoseconds (default: end − 1h).
    #[arg(long, value_name = "TIME", conflicts_with = "since")]
    pub start: Option<String>,
    /// End of the range: RFC 3339 or unix seconds / nanoseconds (default: now).
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,
    /// A duration counted back from the end, e.g. 15m, 6h, 30d.
    #[arg(long, value_name = "DUR")]
    pub since: Option<String>,
}

impl TimeArgs {
    /// `(start_ns, end_ns)` with Loki's query default: an hour back from end.
    pub fn resolve(&self, now_ns: i64) -> anyhow::Result<(i64, i64)> {
        self.resolve_with(now_ns, 3_600_000_000_000)
    }

    /// `(start_ns, end_ns)`, `default_since_ns` back from end when neither
    /// `--start` nor `--since` is given (Loki: 1h for queries, 6h for labels
    /// and series).
    pub fn resolve_with(&self, now_ns: i64, default_since_ns: i64) -> anyhow::Result<(i64, i64)> {
        let end = match &self.end {
            Some(t) => parse_time(t).context("--end")?,
            None => now_ns,
        };
        let start = match (&self.start, &self.since) {
            (Some(t), _) => parse_time(t).context("--start")?,
            (None, Some(d)) => end.saturating_sub(parse_positive_duration(d).context("--since")?),
            (None, None) => end.saturating_sub(default_since_ns),
        };
        Ok((start, end))
    }
}

/// Now, in unix nanoseconds.
pub fn now_ns() -> i64 {
    Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// A timestamp as Loki reads it: RFC 3339, unix seconds (up to 10 digits,
/// or with a fraction) or unix nanoseconds (more than 10 digits).
pub fn parse_time(s: &str) -> anyhow::Result<i64> {
    let s = s.trim();
    if s.is_empty() {
        bail!("empty time");
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return dt
            .with_timezone(&Utc)
            .timestamp_nanos_opt()
            .with_context(|| format!("time {s:?} is out of range (1677..2262)"));
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().with_context(|| format!("time {s:?} is out of range"))?;
        if digits.len() <= 10 {
            return n.checked_mul(1_000_000_000).with_context(|| format!("time {s:?} is out of range"));
        }
        return Ok(n);
    }
    if let Ok(f) = s.parse::<f64>()
        && f.is_finite()
        && f.abs() < 9.2e9
    {
        return Ok((f * 1e9).round() as i64);
    }
    bail!("cannot read time {s:?}: use RFC 3339 (2008-11-10T12:00:00Z) or unix seconds or nanoseconds")
}

/// A Loki duration (`5m`, `1h30m`) or a number of seconds, > 0.
pub fn parse_positive_duration(s: &str) -> anyhow::Result<i64> {
    let ns = match parse_duration(s.trim()) {
        Some(ns) => ns,
        None => match s.trim().parse::<f64>() {
            Ok(f) if f.is_finite() && f.abs() < 9.2e9 => (f * 1e9).round() as i64,
            _ => bail!("cannot read duration {s:?}: use e.g. 30s, 5m, 1h30m, 7d or seconds"),
        },
    };
    if ns <= 0 {
        bail!("duration {s:?} must be positive");
    }
    Ok(ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_loki_reads_them() {
        assert_eq!(parse_time("2008-11-09T20:00:00Z").unwrap(), 1_226_260_800_000_000_000);
        assert_eq!(parse_time("1226260800").unwrap(), 1_226_260_800_000_000_000);
        assert_eq!(parse_time("1226260800000000000").unwrap(), 1_226_260_800_000_000_000);
        assert_eq!(parse_time("1226260800.5").unwrap(), 1_226_260_800_500_000_000);
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("99999999999999999999999").is_err());
    }

    #[test]
    fn defaults_are_lokis() {
        let now = 10_000_000_000_000;
        let t = TimeArgs::default();
        assert_eq!(t.resolve(now).unwrap(), (now - 3_600_000_000_000, now));
        let t = TimeArgs { since: Some("5m".into()), end: Some("10000".into()), ..Default::default() };
        assert_eq!(t.resolve(now).unwrap(), (10_000_000_000_000 - 300_000_000_000, 10_000_000_000_000));
        let t = TimeArgs { since: Some("0s".into()), ..Default::default() };
        assert!(t.resolve(now).is_err());
    }
}
