//! The functions Loki gives `line_format` and `label_format` templates: its
//! own (`ToUpper`, `regexReplaceAll`, `bytes`, `duration`, `__line__`,
//! `__timestamp__`...), the sprig subset it enables (`trunc`, `default`,
//! `add`, `date`...) and text/template's builtins (`printf`, `eq`, `and`...).

use super::super::units::{parse_go_duration, parse_humanize_bytes};
use super::convert::{b64dec, b64enc, decimal_op, query_escape, query_unescape};
use super::gotime;
use super::printf::sprintf;
use super::value::Value;

const FUNCTIONS: &[&str] = &[
    // Loki
    "ToLower", "ToUpper", "Replace", "Trim", "TrimLeft", "TrimRight", "TrimPrefix", "TrimSuffix", "TrimSpace",
    "regexReplaceAll", "regexReplaceAllLiteral", "count", "urldecode", "urlencode", "bytes", "duration",
    "duration_seconds", "unixEpochMillis", "unixEpochNanos", "toDateInZone", "__line__", "__timestamp__",
    // sprig
    "b64enc", "b64dec", "lower", "upper", "title", "trunc", "substr", "contains", "hasPrefix", "hasSuffix",
    "indent", "nindent", "replace", "repeat", "trim", "trimAll", "trimSuffix", "trimPrefix", "int", "float64",
    "add", "sub", "mul", "div", "mod", "addf", "subf", "mulf", "divf", "max", "min", "maxf", "minf", "ceil",
    "floor", "round", "date", "toDate", "now", "unixEpoch", "default",
    // text/template builtins
    "and", "or", "not", "len", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge", "urlquery",
];

pub fn is_function(name: &str) -> bool {
    FUNCTIONS.contains(&name)
}

/// What a function needs from the line being formatted.
pub struct LineCtx<'a> {
    pub line: &'a str,
    pub ts: i64,
}

type R = Result<Value, String>;

fn want_str<'v>(name: &str, v: &'v Value) -> Result<&'v str, String> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(format!("error calling {name}: wrong type for value; expected string; got {}", other.type_name())),
    }
}

fn want_int(name: &str, v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(format!("error calling {name}: wrong type for value; expected int; got {}", other.type_name())),
    }
}

fn want_time(name: &str, v: &Value) -> Result<i64, String> {
    match v {
        Value::Time(t) => Ok(*t),
        other => Err(format!("error calling {name}: wrong type for value; expected time.Time; got {}", other.type_name())),
    }
}

fn arity(name: &str, args: &[Value], n: usize) -> Result<(), String> {
    if args.len() != n {
        return Err(format!("wrong number of args for {name}: want {n} got {}", args.len()));
    }
    Ok(())
}

fn s(x: impl Into<String>) -> R {
    Ok(Value::Str(x.into()))
}

/// Calls `name` with evaluated arguments. `and`/`or` are handled by the
/// executor (they short-circuit).
pub fn call(name: &str, args: &[Value], ctx: &LineCtx<'_>) -> R {
    let a = args;
    match name {
        "__line__" => s(ctx.line),
        "__timestamp__" => Ok(Value::Time(ctx.ts)),
        "now" => Ok(Value::Time(chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0))),
        "ToLower" | "lower" => {
            arity(name, a, 1)?;
            s(want_str(name, &a[0])?.to_lowercase())
        }
        "ToUpper" | "upper" => {
            arity(name, a, 1)?;
            s(want_str(name, &a[0])?.to_uppercase())
        }
        "TrimSpace" | "trim" => {
            arity(name, a, 1)?;
            s(want_str(name, &a[0])?.trim())
        }
        "title" => {
            arity(name, a, 1)?;
            s(title(want_str(name, &a[0])?))
        }
        "Replace" => {
            arity(name, a, 4)?;
            let (src, old, new) = (want_str(name, &a[0])?, want_str(name, &a[1])?, want_str(name, &a[2])?);
            let n = want_int(name, &a[3])?;
            s(if n < 0 { src.replace(old, new) } else { src.replacen(old, new, n as usize) })
        }
        "replace" => {
            arity(name, a, 3)?;
            s(want_str(name, &a[2])?.replace(want_str(name, &a[0])?, want_str(name, &a[1])?))
        }
        "Trim" | "trimAll" => {
            arity(name, a, 2)?;
            let (src, cut) = if name == "Trim" { (&a[0], &a[1]) } else { (&a[1], &a[0]) };
            let cut: Vec<char> = want_str(name, cut)?.chars().collect();
            s(want_str(name, src)?.trim_matches(|c| cut.contains(&c)))
        }
        "TrimLeft" | "TrimRight" => {
            arity(name, a, 2)?;
            let cut: Vec<char> = want_str(name, &a[1])?.chars().collect();
            let src = want_str(name, &a[0])?;
            s(if name == "TrimLeft" { src.trim_start_matches(|c| cut.contains(&c)) } else { src.trim_end_matches(|c| cut.contains(&c)) })
        }
        "TrimPrefix" | "TrimSuffix" | "trimPrefix" | "trimSuffix" => {
            arity(name, a, 2)?;
            let (src, aff) = if name.starts_with('T') { (&a[0], &a[1]) } else { (&a[1], &a[0]) };
            let (src, aff) = (want_str(name, src)?, want_str(name, aff)?);
            let out = if name.ends_with("refix") { src.strip_prefix(aff) } else { src.strip_suffix(aff) };
            s(out.unwrap_or(src))
        }
        "regexReplaceAll" | "regexReplaceAllLiteral" => {
            arity(name, a, 3)?;
            let re = super::super::matcher::build_regex(want_str(name, &a[0])?).map_err(|e| format!("error calling {name}: {e}"))?;
            let (src, rep) = (want_str(name, &a[1])?, want_str(name, &a[2])?);
            s(if name == "regexReplaceAll" { re.replace_all(src, rep).into_owned() } else { re.replace_all(src, regex::NoExpand(rep)).into_owned() })
        }
        "count" => {
            arity(name, a, 2)?;
            let re = super::super::matcher::build_regex(want_str(name, &a[0])?).map_err(|e| format!("error calling {name}: {e}"))?;
            Ok(Value::Int(re.find_iter(want_str(name, &a[1])?).count() as i64))
        }
        "urlencode" | "urlquery" => {
            arity(name, a, 1)?;
            s(query_escape(&a[0].print()))
        }
        "urldecode" => {
            arity(name, a, 1)?;
            query_unescape(want_str(name, &a[0])?).map(Value::Str).map_err(|e| format!("error calling urldecode: {e}"))
        }
        "bytes" => {
            arity(name, a, 1)?;
            parse_humanize_bytes(want_str(name, &a[0])?).map(|b| Value::Float(b as f64)).map_err(|e| format!("error calling bytes: {e}"))
        }
        "duration" | "duration_seconds" => {
            arity(name, a, 1)?;
            parse_go_duration(want_str(name, &a[0])?).map(|d| Value::Float(d as f64 / 1e9)).map_err(|e| format!("error calling {name}: {e}"))
        }
        "unixEpochMillis" => {
            arity(name, a, 1)?;
            s((want_time(name, &a[0])?.div_euclid(1_000_000)).to_string())
        }
        "unixEpochNanos" => {
            arity(name, a, 1)?;
            s(want_time(name, &a[0])?.to_string())
        }
        "unixEpoch" => {
            arity(name, a, 1)?;
            s(want_time(name, &a[0])?.div_euclid(1_000_000_000).to_string())
        }
        "toDateInZone" => {
            arity(name, a, 3)?;
            let t = gotime::parse(want_str(name, &a[0])?, want_str(name, &a[2])?, Some(want_str(name, &a[1])?));
            Ok(Value::Time(t.unwrap_or(GO_ZERO_TIME)))
        }
        "toDate" => {
            arity(name, a, 2)?;
            Ok(Value::Time(gotime::parse(want_str(name, &a[0])?, want_str(name, &a[1])?, None).unwrap_or(GO_ZERO_TIME)))
        }
        "date" => {
            arity(name, a, 2)?;
            let t = match &a[1] {
                Value::Time(t) => *t,
                Value::Int(secs) => secs.saturating_mul(1_000_000_000),
                _ => chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0),
            };
            s(gotime::format(want_str(name, &a[0])?, t))
        }
        "b64enc" => {
            arity(name, a, 1)?;
            s(b64enc(want_str(name, &a[0])?.as_bytes()))
        }
        "b64dec" => {
            arity(name, a, 1)?;
            s(b64dec(want_str(name, &a[0])?).unwrap_or_else(|e| e))
        }
        "trunc" => {
            arity(name, a, 2)?;
            let (c, src) = (want_int(name, &a[0])?, want_str(name, &a[1])?);
            let runes: Vec<char> = src.chars().collect();
            let l = runes.len() as i64;
            s(if c < 0 && l + c > 0 {
                runes[(l + c) as usize..].iter().collect::<String>()
            } else if c >= 0 && l > c {
                runes[..c as usize].iter().collect::<String>()
            } else {
                src.to_string()
            })
        }
        "substr" => {
            arity(name, a, 3)?;
            let (start, end, src) = (want_int(name, &a[0])?, want_int(name, &a[1])?, want_str(name, &a[2])?);
            s(substring(start, end, src))
        }
        "contains" | "hasPrefix" | "hasSuffix" => {
            arity(name, a, 2)?;
            let (needle, hay) = (want_str(name, &a[0])?, want_str(name, &a[1])?);
            Ok(Value::Bool(match name {
                "contains" => hay.contains(needle),
                "hasPrefix" => hay.starts_with(needle),
                _ => hay.ends_with(needle),
            }))
        }
        "indent" | "nindent" => {
            arity(name, a, 2)?;
            let pad = " ".repeat(want_int(name, &a[0])?.clamp(0, 1 << 12) as usize);
            let body = want_str(name, &a[1])?.replace('\n', &format!("\n{pad}"));
            s(if name == "nindent" { format!("\n{pad}{body}") } else { format!("{pad}{body}") })
        }
        "repeat" => {
            arity(name, a, 2)?;
            let n = want_int(name, &a[0])?;
            let src = want_str(name, &a[1])?;
            if n < 0 || (n as usize).saturating_mul(src.len()) > 1 << 20 {
                return Err("error calling repeat: count too large".into());
            }
            s(src.repeat(n as usize))
        }
        "int" => {
            arity(name, a, 1)?;
            Ok(Value::Int(a[0].to_i64()))
        }
        "float64" => {
            arity(name, a, 1)?;
            Ok(Value::Float(a[0].to_f64()))
        }
        "add" => Ok(Value::Int(a.iter().fold(0i64, |acc, v| acc.wrapping_add(v.to_i64())))),
        "mul" => {
            let first = a.first().map(Value::to_i64).unwrap_or(0);
            Ok(Value::Int(a.iter().skip(1).fold(first, |acc, v| acc.wrapping_mul(v.to_i64()))))
        }
        "sub" | "div" | "mod" => {
            arity(name, a, 2)?;
            let (x, y) = (a[0].to_i64(), a[1].to_i64());
            match name {
                "sub" => Ok(Value::Int(x.wrapping_sub(y))),
                _ if y == 0 => Err(format!("error calling {name}: runtime error: integer divide by zero")),
                "div" => Ok(Value::Int(x.wrapping_div(y))),
                _ => Ok(Value::Int(x.wrapping_rem(y))),
            }
        }
        "max" | "min" => {
            let mut it = a.iter().map(Value::to_i64);
            let first = it.next().ok_or(format!("wrong number of args for {name}: want at least 1 got 0"))?;
            Ok(Value::Int(it.fold(first, |m, v| if name == "max" { m.max(v) } else { m.min(v) })))
        }
        "addf" | "subf" | "mulf" | "divf" => decimal_op(name, a),
        "maxf" | "minf" => {
            let mut it = a.iter().map(Value::to_f64);
            let first = it.next().ok_or(format!("wrong number of args for {name}: want at least 1 got 0"))?;
            Ok(Value::Float(it.fold(first, |m, v| if name == "maxf" { m.max(v) } else { m.min(v) })))
        }
        "ceil" | "floor" => {
            arity(name, a, 1)?;
            let v = a[0].to_f64();
            Ok(Value::Float(if name == "ceil" { v.ceil() } else { v.floor() }))
        }
        "round" => {
            if a.len() < 2 || a.len() > 3 {
                return Err(format!("wrong number of args for round: want 2 got {}", a.len()));
            }
            let round_on = a.get(2).map(Value::to_f64).unwrap_or(0.5);
            let (val, places) = (a[0].to_f64(), a[1].to_f64());
            let pow = 10f64.powf(places);
            let digit = pow * val;
            let div = digit.fract();
            let r = if div >= round_on { digit.ceil() } else { digit.floor() };
            Ok(Value::Float(r / pow))
        }
        "default" => {
            if a.is_empty() {
                return Err("wrong number of args for default: want at least 1 got 0".into());
            }
            Ok(match a.get(1) {
                Some(g) if !g.is_empty() => g.clone(),
                _ => a[0].clone(),
            })
        }
        "not" => {
            arity(name, a, 1)?;
            Ok(Value::Bool(!a[0].truthy()))
        }
        "len" => {
            arity(name, a, 1)?;
            match &a[0] {
                Value::Str(x) => Ok(Value::Int(x.len() as i64)),
                Value::Map(m) => Ok(Value::Int(m.len() as i64)),
                o => Err(format!("error calling len: len of type {}", o.type_name())),
            }
        }
        "print" => s(go_sprint(a)),
        "println" => s(format!("{}\n", a.iter().map(Value::print).collect::<Vec<_>>().join(" "))),
        "printf" => {
            let fmt = a.first().ok_or("wrong number of args for printf: want at least 1 got 0")?;
            s(sprintf(want_str(name, fmt)?, &a[1..]))
        }
        "eq" | "ne" | "lt" | "le" | "gt" | "ge" => compare(name, a),
        _ => Err(format!("function {name:?} not defined")),
    }
}

/// Go's zero time (`0001-01-01 00:00:00 UTC`) in unix nanoseconds, clamped.
const GO_ZERO_TIME: i64 = i64::MIN;

fn go_sprint(a: &[Value]) -> String {
    // fmt.Sprint adds spaces between operands when neither is a string.
    let mut out = String::new();
    for (i, v) in a.iter().enumerate() {
        if i > 0 && !matches!(v, Value::Str(_)) && !matches!(a[i - 1], Value::Str(_)) {
            out.push(' ');
        }
        out.push_str(&v.print());
    }
    out
}

fn compare(name: &str, a: &[Value]) -> R {
    if a.len() < 2 {
        return Err(format!("error calling {name}: missing argument for comparison"));
    }
    let ord = |x: &Value, y: &Value| -> Result<std::cmp::Ordering, String> {
        use std::cmp::Ordering;
        match (x, y) {
            (Value::Str(p), Value::Str(q)) => Ok(p.cmp(q)),
            (Value::Int(p), Value::Int(q)) => Ok(p.cmp(q)),
            (Value::Float(p), Value::Float(q)) => p.partial_cmp(q).ok_or_else(|| "incomparable".to_string()),
            (Value::Int(p), Value::Float(q)) => (*p as f64).partial_cmp(q).ok_or_else(|| "incomparable".to_string()),
            (Value::Float(p), Value::Int(q)) => p.partial_cmp(&(*q as f64)).ok_or_else(|| "incomparable".to_string()),
            (Value::Bool(p), Value::Bool(q)) if matches!(name, "eq" | "ne") => Ok(p.cmp(q)),
            (Value::Time(p), Value::Time(q)) => Ok(p.cmp(q)),
            (Value::Nil, Value::Nil) if matches!(name, "eq" | "ne") => Ok(Ordering::Equal),
            _ => Err(format!("error calling {name}: incompatible types for comparison")),
        }
    };
    if name == "eq" {
        // eq a b c: a equals any of the rest.
        for y in &a[1..] {
            if ord(&a[0], y)? == std::cmp::Ordering::Equal {
                return Ok(Value::Bool(true));
            }
        }
        return Ok(Value::Bool(false));
    }
    if a.len() != 2 {
        return Err(format!("wrong number of args for {name}: want 2 got {}", a.len()));
    }
    let o = ord(&a[0], &a[1])?;
    use std::cmp::Ordering::*;
    Ok(Value::Bool(match name {
        "ne" => o != Equal,
        "lt" => o == Less,
        "le" => o != Greater,
        "gt" => o == Greater,
        _ => o != Less,
    }))
}

/// Loki's rune-based `substr`.
fn substring(start: i64, end: i64, src: &str) -> String {
    let runes: Vec<char> = src.chars().collect();
    let l = runes.len() as i64;
    let end = end.min(l);
    let start = start.min(l);
    if start < 0 {
        if end < 0 {
            return String::new();
        }
        return runes[..end as usize].iter().collect();
    }
    if end < 0 {
        return runes[start as usize..].iter().collect();
    }
    if start > end {
        return String::new();
    }
    runes[start as usize..end as usize].iter().collect()
}

fn title(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut prev_letter = false;
    for c in src.chars() {
        if !prev_letter && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, args: &[Value]) -> Value {
        call(name, args, &LineCtx { line: "the line", ts: 0 }).unwrap()
    }

    fn st(x: &str) -> Value {
        Value::Str(x.into())
    }

    #[test]
    fn strings() {
        assert_eq!(c("ToUpper", &[st("ab")]), st("AB"));
        assert_eq!(c("trunc", &[Value::Int(2), st("héllo")]), st("hé"));
        assert_eq!(c("trunc", &[Value::Int(-2), st("hello")]), st("lo"));
        assert_eq!(c("substr", &[Value::Int(1), Value::Int(3), st("hello")]), st("el"));
        assert_eq!(c("replace", &[st("a"), st("b"), st("aXa")]), st("bXb"));
        assert_eq!(c("regexReplaceAll", &[st("(\\d+)"), st("a1b22"), st("<$1>")]), st("a<1>b<22>"));
        assert_eq!(c("default", &[st("x"), st("")]), st("x"));
        assert_eq!(c("default", &[st("x"), st("y")]), st("y"));
        assert_eq!(c("title", &[st("hello world")]), st("Hello World"));
        assert_eq!(c("b64enc", &[st("hi!")]), st("aGkh"));
        assert_eq!(c("b64dec", &[st("aGkh")]), st("hi!"));
        assert_eq!(c("urlencode", &[st("a b&c")]), st("a+b%26c"));
        assert_eq!(c("__line__", &[]), st("the line"));
        assert!(call("ToUpper", &[Value::Int(1)], &LineCtx { line: "", ts: 0 }).is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(c("add", &[st("2"), Value::Int(3)]), Value::Int(5));
        assert_eq!(c("addf", &[Value::Float(0.1), Value::Float(0.2)]), Value::Float(0.3));
        assert_eq!(c("duration", &[st("1m30s")]), Value::Float(90.0));
        assert_eq!(c("bytes", &[st("2KB")]), Value::Float(2000.0));
        assert_eq!(c("round", &[Value::Float(1.23456), Value::Int(2)]), Value::Float(1.23));
        assert!(call("div", &[Value::Int(1), Value::Int(0)], &LineCtx { line: "", ts: 0 }).is_err());
        assert_eq!(c("eq", &[st("a"), st("b"), st("a")]), Value::Bool(true));
        assert_eq!(c("gt", &[Value::Int(3), Value::Int(2)]), Value::Bool(true));
    }
}
