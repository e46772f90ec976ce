//! Timestamps of log headers: which fields make the stamp, a strftime format,
//! the zone, and the year for year-less stamps (with roll-over at new year).
//!
//! Parsing is cached on the exact stamp text: consecutive lines of a log very
//! often share the second, so most lines cost one comparison.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Errors in a timestamp specification.
#[derive(Debug, thiserror::Error)]
pub enum TimestampSpecError {
    #[error("timestamp spec {0:?} must look like '<Date> <Time>=%y%m%d %H%M%S'")]
    Syntax(String),
    #[error("unknown time zone {0:?} (use UTC, an IANA name such as Europe/Berlin, or an offset such as +08:00)")]
    Zone(String),
    #[error("timestamp template {template:?} names <{field}>, which the header pattern does not have")]
    UnknownField { template: String, field: String },
}

/// A time zone: a fixed offset or an IANA zone.
#[derive(Debug, Clone, Copy)]
pub enum Zone {
    Fixed(chrono::FixedOffset),
    Iana(Tz),
}

impl Zone {
    /// UTC.
    pub fn utc() -> Zone {
        Zone::Fixed(chrono::FixedOffset::east_opt(0).expect("0 is a valid offset"))
    }

    pub fn parse(s: &str) -> Result<Self, TimestampSpecError> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") || t.is_empty() {
            return Ok(Zone::Fixed(chrono::FixedOffset::east_opt(0).expect("0 is valid")));
        }
        if let Some(sign) = t.chars().next().filter(|c| *c == '+' || *c == '-') {
            let body = &t[1..];
            let (h, m) = body.split_once(':').unwrap_or((body, "0"));
            let h: i32 = h.parse().map_err(|_| TimestampSpecError::Zone(s.into()))?;
            let m: i32 = m.parse().map_err(|_| TimestampSpecError::Zone(s.into()))?;
            let secs = (h * 3600 + m * 60) * if sign == '-' { -1 } else { 1 };
            return chrono::FixedOffset::east_opt(secs)
                .map(Zone::Fixed)
                .ok_or_else(|| TimestampSpecError::Zone(s.into()));
        }
        t.parse::<Tz>().map(Zone::Iana).map_err(|_| TimestampSpecError::Zone(s.into()))
    }

    /// Unix nanoseconds as RFC 3339 in this zone (`Z` for UTC), with as many
    /// sub-second digits as needed.
    pub fn format_ns(self, ts: i64) -> String {
        let dt = DateTime::<Utc>::from_timestamp_nanos(ts);
        let f = chrono::SecondsFormat::AutoSi;
        match self {
            Zone::Fixed(o) if o.local_minus_utc() == 0 => dt.to_rfc3339_opts(f, true),
            Zone::Fixed(o) => dt.with_timezone(&o).to_rfc3339_opts(f, false),
            Zone::Iana(z) => dt.with_timezone(&z).to_rfc3339_opts(f, false),
        }
    }

    fn to_utc(self, n: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Zone::Fixed(o) => o.from_local_datetime(&n).earliest().map(|d| d.with_timezone(&Utc)),
            Zone::Iana(z) => z.from_local_datetime(&n).earliest().map(|d| d.with_timezone(&Utc)),
        }
    }
}

/// How to read a timestamp out of a record's header fields.
#[derive(Debug, Clone)]
pub struct TimestampSpec {
    /// Pieces of the template: field indexes and literal separators.
    parts: Vec<Part>,
    format: String,
    kind: Kind,
    zone: Zone,
    /// For formats without a year: the year of the first record.
    year: Option<i32>,
    has_year: bool,
}

/// A named format instead of a strftime one (see [`Kind::named`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Strftime,
    Rfc3339,
    /// Unix time; the value is the number of units per second.
    Unix(i64),
    /// RFC 3339, or unix time whose unit the digit count tells.
    Auto,
}

impl Kind {
    /// `rfc3339`, `unix` (`unix_s`), `unix_ms`, `unix_us`, `unix_ns` or `auto`
    /// (any case); anything else is a strftime format.
    fn named(format: &str) -> Kind {
        match format.trim().to_ascii_lowercase().as_str() {
            "rfc3339" | "iso8601" => Kind::Rfc3339,
            "unix" | "unix_s" | "epoch" => Kind::Unix(1),
            "unix_ms" => Kind::Unix(1_000),
            "unix_us" => Kind::Unix(1_000_000),
            "unix_ns" => Kind::Unix(1_000_000_000),
            "auto" => Kind::Auto,
            _ => Kind::Strftime,
        }
    }
}

/// Unix time text (`1700000000`, `1700000000.25`, `-5`) in `per_sec` units to ns.
fn unix_ns(text: &str, per_sec: i64) -> Option<i64> {
    let t = text.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let unit_ns = 1_000_000_000 / per_sec;
    let whole: i64 = int.parse().ok()?;
    let mut ns = whole.checked_mul(unit_ns)?;
    // The fraction of one unit, to the nanosecond.
    let mut scale = unit_ns;
    for d in frac.bytes().take(9) {
        scale /= 10;
        ns = ns.checked_add(i64::from(d - b'0') * scale)?;
    }
    Some(if neg { -ns } else { ns })
}

/// The unit of a unix time by its digits before the point: up to 10 seconds,
/// 13 milliseconds, 16 microseconds, more nanoseconds.
fn unix_auto(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.trim_start_matches('-').split('.').next().unwrap_or("").len();
    let per_sec = match digits {
        0 => return None,
        1..=10 => 1,
        11..=13 => 1_000,
        14..=16 => 1_000_000,
        _ => 1_000_000_000,
    };
    unix_ns(t, per_sec)
}

#[derive(Debug, Clone)]
enum Part {
    Field(usize),
    Lit(String),
}

fn format_has_year(fmt: &str) -> bool {
    ["%Y", "%y", "%G", "%g", "%s", "%C", "%+", "%c", "%D", "%F", "%x"]
        .iter()
        .any(|d| fmt.contains(d))
}

fn format_has_date(fmt: &str) -> bool {
    format_has_year(fmt) || ["%m", "%b", "%B", "%h", "%d", "%e", "%j"].iter().any(|d| fmt.contains(d))
}

impl TimestampSpec {
    /// Builds a spec from a template such as `<Date> <Time>`, the field names of
    /// the header pattern, a strftime format, a zone and an optional year.
    pub fn new(
        template: &str,
        fields: &[String],
        format: &str,
        zone: &str,
        year: Option<i32>,
    ) -> Result<Self, TimestampSpecError> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(s) = rest.find('<') {
            if s > 0 {
                parts.push(Part::Lit(rest[..s].to_string()));
            }
            let e = rest[s..].find('>').ok_or_else(|| TimestampSpecError::Syntax(template.into()))? + s;
            let name = &rest[s + 1..e];
            let idx = fields.iter().position(|f| f == name).ok_or_else(|| TimestampSpecError::UnknownField {
                template: template.into(),
                field: name.into(),
            })?;
            parts.push(Part::Field(idx));
            rest = &rest[e + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Lit(rest.to_string()));
        }
        if !parts.iter().any(|p| matches!(p, Part::Field(_))) {
            return Err(TimestampSpecError::Syntax(template.into()));
        }
        let kind = Kind::named(format);
        Ok(Self {
            parts,
            format: format.to_string(),
            kind,
            zone: Zone::parse(zone)?,
            year,
            has_year: kind != Kind::Strftime || format_has_year(format),
        })
    }

    /// Parses `'<Date> <Time>=%y%m%d %H%M%S'` (the `--timestamp` flag); a zone may follow
    /// after a second `=` (`...=%H:%M=Europe/Berlin`). UTC by default.
    pub fn from_flag(spec: &str, fields: &[String], year: Option<i32>) -> Result<Self, TimestampSpecError> {
        let (template, rest) = spec.split_once('=').ok_or_else(|| TimestampSpecError::Syntax(spec.into()))?;
        let (format, zone) = match rest.rsplit_once('=') {
            Some((f, z)) => (f, z),
            None => (rest, "UTC"),
        };
        Self::new(template, fields, format, zone, year)
    }

    /// Whether stamps lack a year (and so need [`YearTracker`]).
    pub fn is_yearless(&self) -> bool {
        !self.has_year
    }

    /// Whether a record has any stamp text (a field of the stamp is not empty).
    pub fn has_text<'a>(&self, field: impl Fn(usize) -> &'a str) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Field(i) if !field(*i).trim().is_empty()))
    }

    /// Writes the stamp text of a record into `buf`.
    pub fn stamp_text<'a>(&self, field: impl Fn(usize) -> &'a str, buf: &mut String) {
        buf.clear();
        for p in &self.parts {
            match p {
                Part::Field(i) => buf.push_str(field(*i)),
                Part::Lit(l) => buf.push_str(l),
            }
        }
    }

    /// Parses stamp text to nanoseconds since the epoch (UTC). Year-less stamps
    /// get `year` (the tracker adjusts for roll-over afterwards).
    pub fn parse_text(&self, text: &str) -> Option<i64> {
        match self.kind {
            Kind::Strftime => {}
            Kind::Unix(per_sec) => return unix_ns(text, per_sec),
            Kind::Rfc3339 => return self.rfc3339(text),
            Kind::Auto => return unix_auto(text).or_else(|| self.rfc3339(text)),
        }
        let naive = if self.format == "%s" {
            let secs: i64 = text.trim().parse().ok()?;
            return secs.checked_mul(1_000_000_000);
        } else if self.has_year {
            parse_naive(text, &self.format)?
        } else {
            let year = self.year.unwrap_or(1970);
            if format_has_date(&self.format) {
                let t = format!("{year} {text}");
                let f = format!("%Y {}", self.format);
                parse_naive(&t, &f)?
            } else {
                let time = chrono::NaiveTime::parse_from_str(text, &self.format).ok()?;
                NaiveDate::from_ymd_opt(year, 1, 1)?.and_time(time)
            }
        };
        self.zone.to_utc(naive)?.timestamp_nanos_opt()
    }
}

impl TimestampSpec {
    /// RFC 3339 (`T` or a space between date and time); without an offset,
    /// the time is local to the spec's zone.
    fn rfc3339(&self, text: &str) -> Option<i64> {
        let t = text.trim();
        if let Ok(d) = DateTime::parse_from_rfc3339(t) {
            return d.timestamp_nanos_opt();
        }
        let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())?;
        self.zone.to_utc(naive)?.timestamp_nanos_opt()
    }
}

fn parse_naive(text: &str, fmt: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, fmt)
        .ok()
        .or_else(|| NaiveDate::parse_from_str(text, fmt).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
}

/// A parser with a one-entry cache on the stamp text.
#[derive(Debug, Clone)]
pub struct CachedParser {
    spec: TimestampSpec,
    last_text: String,
    last: Option<i64>,
    buf: String,
}

impl CachedParser {
    pub fn new(spec: TimestampSpec) -> Self {
        Self { spec, last_text: String::from("\u{0}"), last: None, buf: String::new() }
    }

    pub fn spec(&self) -> &TimestampSpec {
        &self.spec
    }

    /// Parses the stamp of a record whose fields are given by `field`.
    pub fn parse<'a>(&mut self, field: impl Fn(usize) -> &'a str) -> Option<i64> {
        let mut buf = std::mem::take(&mut self.buf);
        self.spec.stamp_text(field, &mut buf);
        if buf != self.last_text {
            self.last = self.spec.parse_text(&buf);
            std::mem::swap(&mut self.last_text, &mut buf);
        }
        self.buf = buf;
        self.last
    }
}

/// Adjusts year-less stamps in file order: a stamp more than half a year
/// before the previous one means the log crossed a new year.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct YearTracker {
    offset_years: i32,
    last: Option<i64>,
}

const HALF_YEAR_NS: i64 = 182 * 24 * 3600 * 1_000_000_000;

impl YearTracker {
    pub fn adjust(&mut self, ts: i64) -> i64 {
        let mut t = add_years(ts, self.offset_years);
        if let Some(last) = self.last {
            if t < last - HALF_YEAR_NS {
                self.offset_years += 1;
                t = add_years(ts, self.offset_years);
            }
        }
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
        t
    }
}

fn add_years(ts: i64, years: i32) -> i64 {
    if years == 0 {
        return ts;
    }
    let dt = DateTime::<Utc>::from_timestamp_nanos(ts);
    let y = dt.year() + years;
    dt.with_year(y)
        .or_else(|| dt.with_day(28).and_then(|d| d.with_year(y)))
        .and_then(|d| d.timestamp_nanos_opt())
        .unwrap_or(ts)
}

/// Formats nanoseconds as RFC 3339 UTC.
pub fn rfc3339(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp_nanos(ts).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hdfs_two_digit_year() {
        let s = TimestampSpec::new("<Date> <Time>", &f(&["Date", "Time"]), "%y%m%d %H%M%S", "UTC", None).unwrap();
        let ts = s.parse_text("081111 101316").unwrap();
        assert_eq!(ts, 1_226_398_396_000_000_000); // as pushed to the golden Loki
    }

    #[test]
    fn yearless_with_rollover() {
        let s = TimestampSpec::new("<Date> <Day> <Time>", &f(&["Date", "Day", "Time"]), "%b %d %H:%M:%S", "UTC", Some(2015))
            .unwrap();
        assert!(s.is_yearless());
        let mut y = YearTracker::default();
        let dec = y.adjust(s.parse_text("Dec 31 23:59:59").unwrap());
        let jan = y.adjust(s.parse_text("Jan 1 00:00:01").unwrap());
        assert_eq!(rfc3339(dec), "2015-12-31T23:59:59Z");
        assert_eq!(rfc3339(jan), "2016-01-01T00:00:01Z");
    }

    #[test]
    fn zones_and_fractions() {
        let s = TimestampSpec::new("<Date> <Time>", &f(&["Date", "Time"]), "%Y-%m-%d %H:%M:%S%.3f", "+08:00", None).unwrap();
        assert_eq!(rfc3339(s.parse_text("2017-05-16 08:00:00.008").unwrap()), "2017-05-16T00:00:00.008Z");
        let s = TimestampSpec::new("<Time>", &f(&["Time"]), "%Y%m%d-%H:%M:%S:%3f", "Europe/Berlin", None).unwrap();
        assert_eq!(rfc3339(s.parse_text("20171223-22:15:29:606").unwrap()), "2017-12-23T21:15:29.606Z");
        let s = TimestampSpec::new("<Time>", &f(&["Time"]), "%s", "UTC", None).unwrap();
        assert_eq!(s.parse_text("1077804742"), Some(1_077_804_742_000_000_000));
        assert!(Zone::parse("Mars/Olympus").is_err());
    }

    #[test]
    fn named_formats() {
        let fields = f(&["ts"]);
        let spec = |fmt: &str| TimestampSpec::new("<ts>", &fields, fmt, "+02:00", None).unwrap();
        let ns = 1_704_164_645_000_000_000; // 2024-01-02T03:04:05Z
        assert_eq!(spec("RFC3339").parse_text("2024-01-02T03:04:05Z"), Some(ns));
        assert_eq!(spec("rfc3339").parse_text("2024-01-02T05:04:05.5+02:00"), Some(ns + 500_000_000));
        assert_eq!(spec("rfc3339").parse_text("2024-01-02 05:04:05"), Some(ns), "no offset: the zone");
        assert_eq!(spec("unix").parse_text("1704164645"), Some(ns));
        assert_eq!(spec("unix").parse_text("1704164645.25"), Some(ns + 250_000_000));
        assert_eq!(spec("unix_ms").parse_text("1704164645123"), Some(ns + 123_000_000));
        assert_eq!(spec("unix_us").parse_text("1704164645000001"), Some(ns + 1_000));
        assert_eq!(spec("unix_ns").parse_text("1704164645000000007"), Some(ns + 7));
        for t in ["1704164645", "1704164645000", "1704164645000000", "1704164645000000000", "2024-01-02T03:04:05Z"] {
            assert_eq!(spec("auto").parse_text(t), Some(ns), "{t}");
        }
        assert!(!spec("auto").is_yearless() && !spec("unix").is_yearless());
        for bad in ["", "soon", "17041646x5", "1.2.3", "2024-13-02T03:04:05Z"] {
            assert_eq!(spec("auto").parse_text(bad), None, "{bad}");
        }
        assert_eq!(spec("unix").parse_text("99999999999999999999"), None, "out of range");
    }

    #[test]
    fn flag_form_and_unparsable() {
        let s = TimestampSpec::from_flag("<Date> <Time>=%y%m%d %H%M%S", &f(&["Date", "Time"]), None).unwrap();
        assert_eq!(s.parse_text("not a time"), None);
        assert!(TimestampSpec::from_flag("<Nope>=%Y", &f(&["Date"]), None).is_err());
        assert!(TimestampSpec::from_flag("no equals", &f(&["Date"]), None).is_err());
    }
}
