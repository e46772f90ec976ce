//! Times as the TUI shows and reads them: in the configured zone (UTC by
//! default), compact, and typed times accepted in that zone.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::dataset::timestamp::Zone;

/// Unix nanoseconds formatted with a strftime `fmt` in `zone`.
pub fn format(zone: Zone, ns: i64, fmt: &str) -> String {
    let dt = DateTime::<Utc>::from_timestamp_nanos(ns);
    match zone {
        Zone::Fixed(o) => dt.with_timezone(&o).format(fmt).to_string(),
        Zone::Iana(z) => dt.with_timezone(&z).format(fmt).to_string(),
    }
}

/// `2008-11-09 20:36:15`, the time column of log lines.
pub fn datetime(zone: Zone, ns: i64) -> String {
    format(zone, ns, "%Y-%m-%d %H:%M:%S")
}

/// The zone's short name at `ns` (`UTC`, `CET`, `+08:00`).
pub fn zone_name(zone: Zone, ns: i64) -> String {
    match zone {
        Zone::Fixed(o) if o.local_minus_utc() == 0 => "UTC".to_owned(),
        _ => format(zone, ns, "%Z"),
    }
}

/// Reads a time typed by the user: RFC 3339 (any offset), `YYYY-MM-DD
/// HH:MM[:SS[.f]]` or `YYYY-MM-DD` in `zone`, or unix seconds (≤ 10 digits)
/// or nanoseconds.
pub fn parse(zone: Zone, s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty time".into());
    }
    let out_of_range = || format!("time {s:?} is out of range (1677..2262)");
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return dt.with_timezone(&Utc).timestamp_nanos_opt().ok_or_else(out_of_range);
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().map_err(|_| out_of_range())?;
        return if s.len() <= 10 { n.checked_mul(1_000_000_000).ok_or_else(out_of_range) } else { Ok(n) };
    }
    let local = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)));
    let Some(local) = local else {
        return Err(format!("cannot read time {s:?}: write 2008-11-10 12:00, an RFC 3339 time or unix seconds"));
    };
    let utc = match zone {
        Zone::Fixed(o) => o.from_local_datetime(&local).earliest().map(|d| d.with_timezone(&Utc)),
        Zone::Iana(z) => z.from_local_datetime(&local).earliest().map(|d| d.with_timezone(&Utc)),
    };
    utc.and_then(|d| d.timestamp_nanos_opt()).ok_or_else(out_of_range)
}

/// A duration for people: `38 ms`, `1.2 s`, `3 min 5 s`.
pub fn elapsed(d: std::time::Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{:.2} ms", ms)
    } else if ms < 1000.0 {
        format!("{:.0} ms", ms)
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        let s = d.as_secs();
        format!("{} min {} s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_reads_in_the_zone() {
        let utc = Zone::parse("UTC").unwrap();
        let paris = Zone::parse("Europe/Paris").unwrap();
        let t = 1_226_262_975_000_000_000; // 2008-11-09T20:36:15Z
        assert_eq!(datetime(utc, t), "2008-11-09 20:36:15");
        assert_eq!(datetime(paris, t), "2008-11-09 21:36:15");
        assert_eq!(zone_name(utc, t), "UTC");
        assert_eq!(zone_name(paris, t), "CET");
        assert_eq!(parse(utc, "2008-11-09 20:36:15").unwrap(), t);
        assert_eq!(parse(paris, "2008-11-09 21:36:15").unwrap(), t);
        assert_eq!(parse(paris, "2008-11-09T20:36:15Z").unwrap(), t);
        assert_eq!(parse(utc, "1226262975").unwrap(), t);
        assert_eq!(parse(utc, "1226262975000000000").unwrap(), t);
        assert_eq!(parse(utc, "2008-11-09").unwrap(), 1_226_188_800_000_000_000);
        assert_eq!(parse(utc, "2008-11-09 20:36").unwrap(), t - 15_000_000_000);
        assert!(parse(utc, "yesterday").unwrap_err().contains("cannot read time"));
        assert!(parse(utc, "").is_err());
        assert!(parse(utc, "99999999999999999999").is_err());
    }

    #[test]
    fn elapsed_reads_well() {
        use std::time::Duration;
        assert_eq!(elapsed(Duration::from_micros(250)), "0.25 ms");
        assert_eq!(elapsed(Duration::from_millis(38)), "38 ms");
        assert_eq!(elapsed(Duration::from_millis(1234)), "1.2 s");
        assert_eq!(elapsed(Duration::from_secs(185)), "3 min 5 s");
    }
}
