//! Go time layouts (`2006-01-02T15:04:05Z07:00`, `Jan _2 15:04:05.000`) for
//! the `date`, `toDate` and `toDateInZone` template functions. Times are
//! unix nanoseconds; formatting is in UTC.

use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Timelike, Utc};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(String),
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    YearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM(bool),
    TZ,
    /// `-0700` (colon, seconds?) with `Z` when `iso`.
    NumTZ { colon: bool, short: bool, iso: bool },
    /// Fraction digits, trimmed when `nines`.
    Frac { n: usize, nines: bool, sep: char },
}

fn tokens(layout: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    let s = layout;
    let b = s.as_bytes();
    let starts = |i: usize, p: &str| s[i..].starts_with(p);
    while i < b.len() {
        let (tok, n): (Option<Tok>, usize) = match b[i] {
            b'J' if starts(i, "January") => (Some(Tok::LongMonth), 7),
            b'J' if starts(i, "Jan") => (Some(Tok::Month), 3),
            b'M' if starts(i, "Monday") => (Some(Tok::LongWeekDay), 6),
            b'M' if starts(i, "Mon") => (Some(Tok::WeekDay), 3),
            b'M' if starts(i, "MST") => (Some(Tok::TZ), 3),
            b'0' if starts(i, "002") => (Some(Tok::YearDay), 3),
            b'0' if i + 1 < b.len() && (b'1'..=b'6').contains(&b[i + 1]) => (
                Some(match b[i + 1] {
                    b'1' => Tok::ZeroMonth,
                    b'2' => Tok::ZeroDay,
                    b'3' => Tok::ZeroHour12,
                    b'4' => Tok::ZeroMinute,
                    b'5' => Tok::ZeroSecond,
                    _ => Tok::Year,
                }),
                2,
            ),
            b'1' if starts(i, "15") => (Some(Tok::Hour), 2),
            b'1' => (Some(Tok::NumMonth), 1),
            b'2' if starts(i, "2006") => (Some(Tok::LongYear), 4),
            b'2' => (Some(Tok::Day), 1),
            b'_' if starts(i, "_2") && !starts(i, "_2006") => (Some(Tok::UnderDay), 2),
            b'3' => (Some(Tok::Hour12), 1),
            b'4' => (Some(Tok::Minute), 1),
            b'5' => (Some(Tok::Second), 1),
            b'P' if starts(i, "PM") => (Some(Tok::PM(true)), 2),
            b'p' if starts(i, "pm") => (Some(Tok::PM(false)), 2),
            b'-' | b'Z' => {
                let iso = b[i] == b'Z';
                if starts(i + 1, "07:00") {
                    (Some(Tok::NumTZ { colon: true, short: false, iso }), 6)
                } else if starts(i + 1, "0700") {
                    (Some(Tok::NumTZ { colon: false, short: false, iso }), 5)
                } else if starts(i + 1, "07") {
                    (Some(Tok::NumTZ { colon: false, short: true, iso }), 3)
                } else {
                    (None, 1)
                }
            }
            c @ (b'.' | b',') if i + 1 < b.len() && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let d = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == d {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    (None, 1)
                } else {
                    (Some(Tok::Frac { n: j - i - 1, nines: d == b'9', sep: c as char }), j - i)
                }
            }
            _ => (None, s[i..].chars().next().map_or(1, char::len_utf8)),
        };
        match tok {
            Some(t) => {
                if !lit.is_empty() {
                    out.push(Tok::Lit(std::mem::take(&mut lit)));
                }
                out.push(t);
            }
            None => lit.push_str(&s[i..i + n]),
        }
        i += n;
    }
    if !lit.is_empty() {
        out.push(Tok::Lit(lit));
    }
    out
}

/// `time.Time.Format(layout)` in UTC.
pub fn format(layout: &str, ns: i64) -> String {
    let t: DateTime<Utc> = DateTime::from_timestamp_nanos(ns);
    let mut out = String::new();
    for tok in tokens(layout) {
        match tok {
            Tok::Lit(l) => out.push_str(&l),
            Tok::LongMonth => out.push_str(&t.format("%B").to_string()),
            Tok::Month => out.push_str(&t.format("%b").to_string()),
            Tok::NumMonth => out.push_str(&t.month().to_string()),
            Tok::ZeroMonth => out.push_str(&format!("{:02}", t.month())),
            Tok::LongWeekDay => out.push_str(&t.format("%A").to_string()),
            Tok::WeekDay => out.push_str(&t.format("%a").to_string()),
            Tok::Day => out.push_str(&t.day().to_string()),
            Tok::UnderDay => out.push_str(&format!("{:>2}", t.day())),
            Tok::ZeroDay => out.push_str(&format!("{:02}", t.day())),
            Tok::YearDay => out.push_str(&format!("{:03}", t.ordinal())),
            Tok::Hour => out.push_str(&format!("{:02}", t.hour())),
            Tok::Hour12 => out.push_str(&(if t.hour12().1 == 0 { 12 } else { t.hour12().1 }).to_string()),
            Tok::ZeroHour12 => out.push_str(&format!("{:02}", t.hour12().1)),
            Tok::Minute => out.push_str(&t.minute().to_string()),
            Tok::ZeroMinute => out.push_str(&format!("{:02}", t.minute())),
            Tok::Second => out.push_str(&t.second().to_string()),
            Tok::ZeroSecond => out.push_str(&format!("{:02}", t.second())),
            Tok::LongYear => out.push_str(&format!("{:04}", t.year())),
            Tok::Year => out.push_str(&format!("{:02}", t.year().rem_euclid(100))),
            Tok::PM(upper) => {
                let pm = t.hour() >= 12;
                out.push_str(match (pm, upper) {
                    (true, true) => "PM",
                    (false, true) => "AM",
                    (true, false) => "pm",
                    (false, false) => "am",
                });
            }
            Tok::TZ => out.push_str("UTC"),
            Tok::NumTZ { colon, short, iso } => {
                if iso {
                    out.push('Z');
                } else if short {
                    out.push_str("+00");
                } else if colon {
                    out.push_str("+00:00");
                } else {
                    out.push_str("+0000");
                }
            }
            Tok::Frac { n, nines, sep } => {
                let digits = format!("{:09}", t.nanosecond() % 1_000_000_000);
                let mut d = digits[..n.min(9)].to_string();
                if nines {
                    d = d.trim_end_matches('0').to_string();
                    if !d.is_empty() {
                        out.push(sep);
                        out.push_str(&d);
                    }
                } else {
                    out.push(sep);
                    out.push_str(&d);
                }
            }
        }
    }
    out
}

/// `time.ParseInLocation(layout, value, zone)`; None when it does not parse.
pub fn parse(layout: &str, value: &str, zone: Option<&str>) -> Option<i64> {
    let mut f = String::new();
    let mut has_tz = false;
    for tok in tokens(layout) {
        match tok {
            Tok::Lit(l) => f.push_str(&l.replace('%', "%%")),
            Tok::LongMonth => f.push_str("%B"),
            Tok::Month => f.push_str("%b"),
            Tok::NumMonth | Tok::ZeroMonth => f.push_str("%m"),
            Tok::LongWeekDay => f.push_str("%A"),
            Tok::WeekDay => f.push_str("%a"),
            Tok::Day | Tok::ZeroDay | Tok::UnderDay => f.push_str("%e"),
            Tok::YearDay => f.push_str("%j"),
            Tok::Hour => f.push_str("%H"),
            Tok::Hour12 | Tok::ZeroHour12 => f.push_str("%I"),
            Tok::Minute | Tok::ZeroMinute => f.push_str("%M"),
            Tok::Second | Tok::ZeroSecond => f.push_str("%S"),
            Tok::LongYear => f.push_str("%Y"),
            Tok::Year => f.push_str("%y"),
            Tok::PM(_) => f.push_str("%p"),
            Tok::TZ => f.push_str("UTC"),
            Tok::NumTZ { colon, .. } => {
                has_tz = true;
                f.push_str(if colon { "%:z" } else { "%z" });
            }
            Tok::Frac { .. } => f.push_str("%.f"),
        }
    }
    let value = if has_tz { value.replace('Z', "+00:00") } else { value.to_string() };
    if has_tz {
        let dt = DateTime::parse_from_str(&value, &f).ok()?;
        return dt.timestamp_nanos_opt();
    }
    let naive = NaiveDateTime::parse_from_str(&value, &f)
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(&value, &f).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
    let tz = zone.and_then(|z| z.parse::<chrono_tz::Tz>().ok()).unwrap_or(chrono_tz::UTC);
    tz.from_local_datetime(&naive).earliest()?.with_timezone(&Utc).timestamp_nanos_opt()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_226_398_396_123_000_000; // 2008-11-11T10:13:16.123Z

    #[test]
    fn formats_go_layouts() {
        assert_eq!(format("2006-01-02T15:04:05Z07:00", T), "2008-11-11T10:13:16Z");
        assert_eq!(format("Jan _2 3:04PM .000", T), "Nov 11 10:13AM .123");
        assert_eq!(format("Monday 02/01/06 15h", T), "Tuesday 11/11/08 10h");
        assert_eq!(format("05.999", T), "16.123");
    }

    #[test]
    fn parses_go_layouts() {
        assert_eq!(parse("2006-01-02 15:04:05", "2008-11-11 10:13:16", None), Some(1_226_398_396_000_000_000));
        assert_eq!(parse("2006-01-02T15:04:05Z07:00", "2008-11-11T11:13:16+01:00", None), Some(1_226_398_396_000_000_000));
        assert_eq!(parse("2006-01-02", "nope", None), None);
    }
}
