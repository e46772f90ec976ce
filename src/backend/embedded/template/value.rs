//! Values inside Go templates (strings, integers, floats, booleans, times,
//! nil and the label map) with Go's printing and truth rules.

use chrono::{DateTime, Utc};

use super::super::units::format_go_float;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Unix nanoseconds (printed in UTC).
    Time(i64),
    Nil,
    /// `.` itself: the label map (printed as Go prints a map).
    Map(Vec<(String, String)>),
}

impl Value {
    /// Go's type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Bool(_) => "bool",
            Value::Time(_) => "time.Time",
            Value::Nil => "<nil>",
            Value::Map(_) => "map[string]string",
        }
    }

    /// `fmt.Sprint(v)`.
    pub fn print(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_go_float(*f),
            Value::Bool(b) => b.to_string(),
            Value::Time(t) => go_time_string(*t),
            Value::Nil => "<no value>".into(),
            Value::Map(m) => {
                let mut m: Vec<&(String, String)> = m.iter().collect();
                m.sort();
                let mut s = String::from("map[");
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        s.push(' ');
                    }
                    s.push_str(k);
                    s.push(':');
                    s.push_str(v);
                }
                s.push(']');
                s
            }
        }
    }

    /// Go template truth: false, 0, "", nil and empty maps are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Str(s) => !s.is_empty(),
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Bool(b) => *b,
            Value::Time(_) => true,
            Value::Nil => false,
            Value::Map(m) => !m.is_empty(),
        }
    }

    /// sprig's `empty` (for `default`).
    pub fn is_empty(&self) -> bool {
        !self.truthy()
    }

    /// spf13/cast `ToInt64` as sprig uses it: strings parsed (base prefix
    /// allowed, a trailing `.0` ignored), failures are 0.
    pub fn to_i64(&self) -> i64 {
        match self {
            Value::Str(s) => parse_int_lenient(s),
            Value::Int(i) => *i,
            Value::Float(f) => *f as i64,
            Value::Bool(b) => i64::from(*b),
            Value::Time(t) => *t,
            Value::Nil | Value::Map(_) => 0,
        }
    }

    /// spf13/cast `ToFloat64`: failures are 0.
    pub fn to_f64(&self) -> f64 {
        match self {
            Value::Str(s) => s.trim().parse::<f64>().unwrap_or(0.0),
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Time(t) => *t as f64,
            Value::Nil | Value::Map(_) => 0.0,
        }
    }
}

fn parse_int_lenient(s: &str) -> i64 {
    let mut t = s.trim();
    // cast trims a zero decimal part ("12.0" -> "12").
    if let Some((a, b)) = t.split_once('.') {
        if !b.is_empty() && b.bytes().all(|c| c == b'0') {
            t = a;
        }
    }
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let parsed = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(b) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
        i64::from_str_radix(b, 2).ok()
    } else if let Some(o) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
        i64::from_str_radix(o, 8).ok()
    } else if body.len() > 1 && body.starts_with('0') {
        i64::from_str_radix(&body[1..], 8).ok()
    } else {
        body.parse::<i64>().ok()
    };
    match parsed {
        Some(v) if neg => -v,
        Some(v) => v,
        None => 0,
    }
}

/// Go's `time.Time.String()` in UTC: `2008-11-11 10:13:16 +0000 UTC`, with
/// fractional seconds only when non-zero.
pub fn go_time_string(ns: i64) -> String {
    let dt: DateTime<Utc> = DateTime::from_timestamp_nanos(ns);
    let frac = ns.rem_euclid(1_000_000_000);
    let mut s = dt.format("%Y-%m-%d %H:%M:%S").to_string();
    if frac != 0 {
        let f = format!("{frac:09}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s.push_str(" +0000 UTC");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing_and_truth() {
        assert_eq!(Value::Float(2.5).print(), "2.5");
        assert_eq!(Value::Int(-3).print(), "-3");
        assert_eq!(Value::Nil.print(), "<no value>");
        assert_eq!(Value::Time(1_226_398_396_000_000_000).print(), "2008-11-11 10:13:16 +0000 UTC");
        assert!(!Value::Str(String::new()).truthy());
        assert!(Value::Str("0".into()).truthy());
        assert_eq!(Value::Str("12.0".into()).to_i64(), 12);
        assert_eq!(Value::Str("0x10".into()).to_i64(), 16);
        assert_eq!(Value::Str("abc".into()).to_i64(), 0);
        assert_eq!(Value::Str("2.5".into()).to_f64(), 2.5);
    }
}
