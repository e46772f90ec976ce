//! JSON for the `json` and `unpack` parsers, walking the line the way Loki's
//! jsonparser does: objects key by key, values as raw slices with their
//! type, errors with jsonparser's words (`__error_details__`).

use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JType {
    String,
    Number,
    Object,
    Array,
    Boolean,
    Null,
}

pub const MALFORMED_OBJECT: &str = "Value looks like object, but can't find closing '}' symbol";
pub const MALFORMED_JSON: &str = "Malformed JSON error";
pub const MALFORMED_ARRAY: &str = "Value is array, but can't find closing ']' symbol";
pub const MALFORMED_STRING: &str = "Value is string, but can't find closing '\"' symbol";
pub const MALFORMED_ESCAPE: &str = "Encountered an invalid escape sequence in a string";
pub const MALFORMED_VALUE: &str = "Value looks like Number/Boolean/None, but can't find its end: ',' or '}' symbol";
pub const UNKNOWN_TYPE: &str = "Unknown value type";

/// A callback's wish to stop early (not an error).
pub struct Stop;

/// What [`object_each`] calls per member: (key, value, type).
pub type MemberFn<'a> = dyn FnMut(&[u8], &[u8], JType) -> Result<(), Stop> + 'a;

fn next_token(data: &[u8]) -> Option<usize> {
    data.iter().position(|&c| !matches!(c, b' ' | b'\n' | b'\r' | b'\t'))
}

/// Index just past the closing quote of a string whose opening quote is
/// already consumed; and whether it holds escapes.
fn string_end(data: &[u8]) -> Option<(usize, bool)> {
    let mut escaped = false;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'"' => {
                // Count the backslashes before the quote.
                let mut j = i;
                let mut n = 0;
                while j > 0 && data[j - 1] == b'\\' {
                    n += 1;
                    j -= 1;
                }
                if n % 2 == 0 {
                    return Some((i + 1, escaped));
                }
                escaped = true;
            }
            b'\\' => escaped = true,
            _ => {}
        }
        i += 1;
    }
    None
}

/// End of a `{...}` or `[...]` block starting at `data[0]`, strings aware.
fn block_end(data: &[u8], open: u8, close: u8) -> Option<usize> {
    let mut level = 0usize;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'"' => {
                let (e, _) = string_end(&data[i + 1..])?;
                i += e;
            }
            c if c == open => level += 1,
            c if c == close => {
                level = level.checked_sub(1)?;
                if level == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn token_end(data: &[u8]) -> usize {
    data.iter().position(|&c| matches!(c, b' ' | b'\n' | b'\r' | b'\t' | b',' | b'}' | b']')).unwrap_or(data.len())
}

/// A value at `data[offset..]` (after whitespace): (value, type, end offset).
/// String values come without their quotes (still escaped).
pub fn get_value(data: &[u8]) -> Result<(&[u8], JType, usize), &'static str> {
    let off = next_token(data).ok_or(MALFORMED_JSON)?;
    let c = data[off];
    match c {
        b'"' => {
            let (e, _) = string_end(&data[off + 1..]).ok_or(MALFORMED_STRING)?;
            Ok((&data[off + 1..off + e], JType::String, off + 1 + e))
        }
        b'[' => {
            let e = block_end(&data[off..], b'[', b']').ok_or(MALFORMED_ARRAY)?;
            Ok((&data[off..off + e], JType::Array, off + e))
        }
        b'{' => {
            let e = block_end(&data[off..], b'{', b'}').ok_or(MALFORMED_OBJECT)?;
            Ok((&data[off..off + e], JType::Object, off + e))
        }
        _ => {
            let e = token_end(&data[off..]);
            let v = &data[off..off + e];
            let t = match c {
                b't' | b'f' if v == b"true" || v == b"false" => JType::Boolean,
                b'n' | b'u' if v == b"null" => JType::Null,
                b'0'..=b'9' | b'-' => JType::Number,
                _ => return Err(UNKNOWN_TYPE),
            };
            if e == 0 {
                return Err(MALFORMED_VALUE);
            }
            Ok((v, t, off + e))
        }
    }
}

/// Calls `cb(key, value, type)` for each member of the object in `data`.
/// `Ok(true)` when the callback stopped early.
pub fn object_each(
    data: &[u8],
    cb: &mut MemberFn<'_>,
) -> Result<bool, &'static str> {
    let mut off = next_token(data).ok_or(MALFORMED_OBJECT)?;
    if data[off] != b'{' {
        return Err(MALFORMED_OBJECT);
    }
    off += 1;
    off += next_token(&data[off..]).ok_or(MALFORMED_JSON)?;
    if data[off] == b'}' {
        return Ok(false);
    }
    while off < data.len() {
        match data[off] {
            b'"' => off += 1,
            b'}' => return Ok(false),
            _ => return Err(MALFORMED_OBJECT),
        }
        let (e, esc) = string_end(&data[off..]).ok_or(MALFORMED_JSON)?;
        let raw_key = &data[off..off + e - 1];
        off += e;
        let key: Cow<[u8]> = if esc {
            match unescape(raw_key) {
                Some(k) => Cow::Owned(k.into_bytes()),
                None => return Err(MALFORMED_ESCAPE),
            }
        } else {
            Cow::Borrowed(raw_key)
        };
        off += next_token(&data[off..]).ok_or(MALFORMED_JSON)?;
        if data[off] != b':' {
            return Err(MALFORMED_JSON);
        }
        off += 1;
        let (value, t, end) = get_value(&data[off..])?;
        if cb(&key, value, t).is_err() {
            return Ok(true);
        }
        off += end;
        off += next_token(&data[off..]).ok_or(MALFORMED_ARRAY)?;
        match data[off] {
            b'}' => return Ok(false),
            b',' => off += 1,
            _ => return Err(MALFORMED_OBJECT),
        }
        off += next_token(&data[off..]).ok_or(MALFORMED_ARRAY)?;
    }
    Err(MALFORMED_OBJECT)
}

/// Calls `cb(value, type)` for each element of the array in `data`.
pub fn array_each(data: &[u8], cb: &mut dyn FnMut(&[u8], JType)) -> Result<(), &'static str> {
    let mut off = next_token(data).ok_or(MALFORMED_ARRAY)?;
    if data[off] != b'[' {
        return Err(MALFORMED_ARRAY);
    }
    off += 1;
    off += next_token(&data[off..]).ok_or(MALFORMED_ARRAY)?;
    if data[off] == b']' {
        return Ok(());
    }
    loop {
        let (v, t, end) = get_value(&data[off..])?;
        cb(v, t);
        off += end;
        off += next_token(&data[off..]).ok_or(MALFORMED_ARRAY)?;
        match data[off] {
            b']' => return Ok(()),
            b',' => off += 1,
            _ => return Err(MALFORMED_ARRAY),
        }
    }
}

/// JSON string unescaping (`\n`, `\"`, `\u00e9`, surrogate pairs). None on a
/// bad escape.
pub fn unescape(raw: &[u8]) -> Option<String> {
    if !raw.contains(&b'\\') {
        return Some(String::from_utf8_lossy(raw).into_owned());
    }
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = *raw.get(i + 1)?;
        i += 2;
        match e {
            b'"' => out.push(b'"'),
            b'\\' => out.push(b'\\'),
            b'/' => out.push(b'/'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'u' => {
                let hex = |s: &[u8]| -> Option<u32> { u32::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok() };
                let h = hex(raw.get(i..i + 4)?)?;
                i += 4;
                let ch = if (0xD800..0xDC00).contains(&h) {
                    // A high surrogate wants a low one.
                    if raw.get(i) == Some(&b'\\') && raw.get(i + 1) == Some(&b'u') {
                        let l = hex(raw.get(i + 2..i + 6)?)?;
                        if (0xDC00..0xE000).contains(&l) {
                            i += 6;
                            char::from_u32(0x10000 + ((h - 0xD800) << 10) + (l - 0xDC00)).unwrap_or('\u{FFFD}')
                        } else {
                            '\u{FFFD}'
                        }
                    } else {
                        '\u{FFFD}'
                    }
                } else {
                    char::from_u32(h).unwrap_or('\u{FFFD}')
                };
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// A label value from a JSON scalar, as Loki reads it: strings unescaped
/// ("" when the escape is bad or the text holds U+FFFD), numbers verbatim,
/// booleans as `true`/`false`, null as "".
pub fn read_value(v: &[u8], t: JType) -> String {
    match t {
        JType::String => match unescape(v) {
            Some(s) if !s.contains('\u{FFFD}') => s,
            _ => String::new(),
        },
        JType::Number => String::from_utf8_lossy(v).into_owned(),
        JType::Boolean => if v == b"true" { "true" } else { "false" }.to_string(),
        _ => String::new(),
    }
}

/// One step of a JSON path: a key or an array index.
#[derive(Debug, Clone, PartialEq)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

/// Parses a Loki JSON expression: `a.b`, `a[0].c`, `["key with space"]`.
pub fn parse_path(expr: &str) -> Result<Vec<PathStep>, String> {
    let b = expr.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let bad = || format!("cannot parse expression [{expr}]");
    if b.is_empty() {
        return Err(bad());
    }
    while i < b.len() {
        match b[i] {
            b'.' => {
                if out.is_empty() {
                    return Err(bad());
                }
                i += 1;
            }
            b'[' => {
                let close = expr[i..].find(']').ok_or_else(bad)? + i;
                let inner = expr[i + 1..close].trim();
                if let Some(q) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                    out.push(PathStep::Key(q.replace("\\\"", "\"")));
                } else {
                    out.push(PathStep::Index(inner.parse().map_err(|_| bad())?));
                }
                i = close + 1;
            }
            _ => {
                let start = i;
                while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                    i += 1;
                }
                let key = &expr[start..i];
                if !key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '$') {
                    return Err(bad());
                }
                out.push(PathStep::Key(key.to_string()));
            }
        }
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

/// The value at `path` in `data`, if present.
pub fn get_path<'d>(data: &'d [u8], path: &[PathStep]) -> Result<Option<(&'d [u8], JType)>, &'static str> {
    let (mut cur, mut t, _) = get_value(data)?;
    for step in path {
        match (step, t) {
            (PathStep::Key(k), JType::Object) => {
                let base = cur.as_ptr() as usize;
                let mut found = None;
                object_each(cur, &mut |key, v, vt| {
                    if key == k.as_bytes() {
                        found = Some((v.as_ptr() as usize - base, v.len(), vt));
                        return Err(Stop);
                    }
                    Ok(())
                })?;
                let Some((s, l, vt)) = found else { return Ok(None) };
                cur = &cur[s..s + l];
                t = vt;
            }
            (PathStep::Index(n), JType::Array) => {
                let mut idx = 0usize;
                let mut found = None;
                array_each(cur, &mut |v, vt| {
                    if idx == *n && found.is_none() {
                        found = Some((v.as_ptr() as usize - cur.as_ptr() as usize, v.len(), vt));
                    }
                    idx += 1;
                })?;
                let Some((s, l, vt)) = found else { return Ok(None) };
                cur = &cur[s..s + l];
                t = vt;
            }
            _ => return Ok(None),
        }
    }
    Ok(Some((cur, t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &str) -> Result<Vec<(String, String, JType)>, &'static str> {
        let mut out = Vec::new();
        object_each(s.as_bytes(), &mut |k, v, t| {
            out.push((String::from_utf8_lossy(k).into_owned(), String::from_utf8_lossy(v).into_owned(), t));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn walks_objects() {
        let m = members(r#"{"a": 1, "b":"x\"y", "c":{"d":[1,2]}, "e":null, "f":true}"#).unwrap();
        assert_eq!(m.len(), 5);
        assert_eq!(m[1].1, r#"x\"y"#);
        assert_eq!(m[2].2, JType::Object);
        assert_eq!(m[3].2, JType::Null);
        assert_eq!(read_value(m[1].1.as_bytes(), JType::String), "x\"y");
        assert_eq!(members("nova-compute.log 2017").unwrap_err(), MALFORMED_OBJECT);
        assert!(members(r#"{"a": 1"#).is_err());
        assert_eq!(members("{}").unwrap().len(), 0);
    }

    #[test]
    fn unescapes() {
        assert_eq!(unescape(br"caf\u00e9 \ud83d\ude00").unwrap(), "café 😀");
        assert!(unescape(br"bad \x").is_none());
    }

    #[test]
    fn paths() {
        let p = parse_path("a.b[1]").unwrap();
        assert_eq!(p, vec![PathStep::Key("a".into()), PathStep::Key("b".into()), PathStep::Index(1)]);
        let doc = br#"{"a":{"b":[10, {"c":"x"}]}, "k y": 3}"#;
        let (v, t) = get_path(doc, &p).unwrap().unwrap();
        assert_eq!((v, t), (&br#"{"c":"x"}"#[..], JType::Object));
        let (v, _) = get_path(doc, &parse_path(r#"["k y"]"#).unwrap()).unwrap().unwrap();
        assert_eq!(v, b"3");
        assert!(get_path(doc, &parse_path("nope").unwrap()).unwrap().is_none());
        assert!(parse_path("").is_err());
    }
}
