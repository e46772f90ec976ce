//! String literals: Go's double-quoted strings with escapes and raw
//! backquoted strings, read as Loki's lexer reads them and written back so
//! they read the same.

/// The value of a string token (`"a\tb"`, `` `raw` ``), or Loki's message.
pub(crate) fn unquote(text: &str) -> Result<String, String> {
    if let Some(raw) = text.strip_prefix('`') {
        return raw
            .strip_suffix('`')
            .map(str::to_string)
            .ok_or_else(|| "literal not terminated".to_string());
    }
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or_else(|| "literal not terminated".to_string())?;
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    let bad = || "invalid char escape".to_string();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let e = chars.next().ok_or_else(bad)?;
        match e {
            'a' => out.push(7),
            'b' => out.push(8),
            'f' => out.push(12),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            'v' => out.push(11),
            '\\' => out.push(b'\\'),
            '"' => out.push(b'"'),
            'x' => out.push(hex(&mut chars, 2).ok_or_else(bad)? as u8),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    v = v * 8 + chars.next().and_then(|d| d.to_digit(8)).ok_or_else(bad)?;
                }
                out.push(u8::try_from(v).map_err(|_| bad())?);
            }
            'u' | 'U' => {
                let n = if e == 'u' { 4 } else { 8 };
                let c = hex(&mut chars, n)
                    .and_then(char::from_u32)
                    .ok_or_else(bad)?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            _ => return Err(bad()),
        }
    }
    String::from_utf8(out).map_err(|_| "invalid UTF-8 rune".to_string())
}

fn hex(chars: &mut std::str::Chars<'_>, n: usize) -> Option<u32> {
    let mut v: u32 = 0;
    for _ in 0..n {
        v = v
            .checked_mul(16)?
            .checked_add(chars.next()?.to_digit(16)?)?;
    }
    Some(v)
}

/// Quotes a string so that [`unquote`] gives it back: Go's `strconv.Quote`
/// style for the characters that need it, everything else as is.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\u{feff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_escapes() {
        assert_eq!(unquote(r#""a\"b\\c\n\t""#).unwrap(), "a\"b\\c\n\t");
        assert_eq!(unquote(r#""\x41\101\u00e9\U0001F600""#).unwrap(), "AAé😀");
        assert_eq!(unquote("`\\d+ \"x\"`").unwrap(), "\\d+ \"x\"");
        assert_eq!(unquote(r#""\q""#).unwrap_err(), "invalid char escape");
        assert_eq!(unquote(r#""\'""#).unwrap_err(), "invalid char escape");
        assert_eq!(unquote(r#""\xff""#).unwrap_err(), "invalid UTF-8 rune");
        assert_eq!(unquote(r#""\ud800""#).unwrap_err(), "invalid char escape");
        assert_eq!(unquote(r#""\400""#).unwrap_err(), "invalid char escape");
    }

    #[test]
    fn quote_round_trips() {
        for s in [
            "",
            "plain",
            "a\"b",
            "back\\slash",
            "nl\n\r\t",
            "\u{1}\u{7f}",
            "é😀",
            "\u{85}\u{2028}",
        ] {
            assert_eq!(unquote(&quote(s)).unwrap(), s);
        }
        assert_eq!(quote("a\"b"), r#""a\"b""#);
    }
}
