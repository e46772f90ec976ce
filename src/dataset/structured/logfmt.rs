//! One logfmt line scanned in place: `key=value key2="quoted \" value" flag`,
//! each pair as its key and the span of its value (inside the quotes when
//! quoted). A line counts as logfmt when its first token is a `key=value`
//! pair and the whole line scans: "Starting server on port 8080" is a plain
//! line, `level=info msg="started"` is logfmt.

/// One pair: the key, the value span (inside the quotes when quoted) and
/// whether the value holds escapes; `has_value` is false for a bare key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair<'a> {
    pub key: &'a str,
    pub span: (usize, usize),
    pub quoted: bool,
    pub escaped: bool,
    pub has_value: bool,
}

/// Why a line is not logfmt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogfmtError {
    /// The first token is not `key=value` (a plain line).
    NotLogfmt,
    /// A quoted value without its closing quote, a key starting with `=` or a
    /// quote, an invalid escape (at this byte).
    Malformed(usize),
}

fn is_space(c: u8) -> bool {
    c <= b' '
}

/// Scans `line` (already trimmed); calls `f` per pair in order.
pub fn scan<'a>(line: &'a str, f: &mut dyn FnMut(Pair<'a>)) -> Result<(), LogfmtError> {
    let b = line.as_bytes();
    let mut i = 0;
    let mut first = true;
    loop {
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return if first { Err(LogfmtError::NotLogfmt) } else { Ok(()) };
        }
        let ks = i;
        while i < b.len() && !is_space(b[i]) && b[i] != b'=' && b[i] != b'"' {
            i += 1;
        }
        if i == ks {
            // `=` or `"` where a key should start.
            return Err(if first { LogfmtError::NotLogfmt } else { LogfmtError::Malformed(i) });
        }
        let key = line.get(ks..i).unwrap_or("");
        if i >= b.len() || b[i] != b'=' {
            if first || b.get(i) == Some(&b'"') {
                return Err(if first { LogfmtError::NotLogfmt } else { LogfmtError::Malformed(i) });
            }
            f(Pair { key, span: (i, i), quoted: false, escaped: false, has_value: false });
            continue;
        }
        i += 1; // '='
        if b.get(i) == Some(&b'"') {
            i += 1;
            let vs = i;
            let mut escaped = false;
            loop {
                match b.get(i) {
                    None => return Err(LogfmtError::Malformed(i)),
                    Some(b'"') => break,
                    Some(b'\\') => {
                        escaped = true;
                        match b.get(i + 1) {
                            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                            Some(b'u') if b.get(i + 2..i + 6).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) => i += 6,
                            _ => return Err(LogfmtError::Malformed(i)),
                        }
                    }
                    Some(_) => i += 1,
                }
            }
            f(Pair { key, span: (vs, i), quoted: true, escaped, has_value: true });
            i += 1; // closing quote
            if i < b.len() && !is_space(b[i]) {
                return Err(LogfmtError::Malformed(i));
            }
        } else {
            let vs = i;
            while i < b.len() && !is_space(b[i]) {
                i += 1;
            }
            f(Pair { key, span: (vs, i), quoted: false, escaped: false, has_value: true });
        }
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(line: &str) -> Result<Vec<(String, String, bool)>, LogfmtError> {
        let mut out = Vec::new();
        scan(line, &mut |p| out.push((p.key.to_string(), line[p.span.0..p.span.1].to_string(), p.has_value)))?;
        Ok(out)
    }

    #[test]
    fn pairs_and_quotes() {
        let p = pairs(r#"ts=2024-01-02T03:04:05Z level=info msg="user \"bob\" logged in" empty= flag dur=1.5s"#).unwrap();
        assert_eq!(p[0], ("ts".into(), "2024-01-02T03:04:05Z".into(), true));
        assert_eq!(p[2], ("msg".into(), r#"user \"bob\" logged in"#.into(), true));
        assert_eq!(p[3], ("empty".into(), "".into(), true));
        assert_eq!(p[4], ("flag".into(), "".into(), false));
        assert_eq!(p[5], ("dur".into(), "1.5s".into(), true));
    }

    #[test]
    fn plain_and_broken_lines() {
        assert_eq!(pairs("Starting server on port 8080"), Err(LogfmtError::NotLogfmt));
        assert_eq!(pairs("GET /a?b=c HTTP/1.1"), Err(LogfmtError::NotLogfmt));
        assert_eq!(pairs(""), Err(LogfmtError::NotLogfmt));
        assert_eq!(pairs("=x a=b"), Err(LogfmtError::NotLogfmt));
        assert!(matches!(pairs(r#"a=b msg="never closed"#), Err(LogfmtError::Malformed(_))));
        assert!(matches!(pairs(r#"a=b msg="x"y"#), Err(LogfmtError::Malformed(_))));
        assert!(matches!(pairs(r#"a=b msg="bad \q""#), Err(LogfmtError::Malformed(_))));
        assert!(matches!(pairs(r#"a=b "k"=v"#), Err(LogfmtError::Malformed(_))));
    }
}
