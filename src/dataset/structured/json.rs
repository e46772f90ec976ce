//! One JSON object per line, scanned in place: each top-level member as its
//! key and the byte span of its value (inside the quotes for a string), with
//! the value's kind. The whole line is validated (RFC 8259 grammar, nesting at
//! most [`MAX_DEPTH`] deep), so a line that is not JSON is told apart from one
//! that is; nothing is allocated unless a string holds escapes.

use std::borrow::Cow;

/// Deepest nesting accepted (a deeper line is refused, never a stack overflow).
pub const MAX_DEPTH: usize = 64;

/// The kind of a member's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string; `escaped` when it holds backslash escapes (decode with [`unescape`]).
    String { escaped: bool },
    Number,
    Bool,
    Null,
    Object,
    Array,
}

/// One member of the object: the key (raw, as written between its quotes),
/// and the value's span in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
    pub key: &'a str,
    pub key_escaped: bool,
    pub kind: Kind,
    /// For strings: the text between the quotes; otherwise the literal.
    pub span: (usize, usize),
}

/// Why a line is not a JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// The line does not start with `{`.
    NotObject,
    /// It starts like an object but is not valid JSON (at this byte).
    Malformed(usize),
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Scans `line` (already trimmed) as one JSON object; calls `f` per member in
/// order. Returns an error (and may have called `f` for earlier members) when
/// the line is not a complete, valid object.
pub fn scan_object<'a>(line: &'a str, f: &mut dyn FnMut(Member<'a>)) -> Result<(), JsonError> {
    let mut p = Parser { s: line, b: line.as_bytes(), i: 0 };
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(JsonError::NotObject);
    }
    p.object(0, Some(f))?;
    p.ws();
    if p.i != p.b.len() {
        return Err(JsonError::Malformed(p.i));
    }
    Ok(())
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn bad<T>(&self) -> Result<T, JsonError> {
        Err(JsonError::Malformed(self.i))
    }

    fn expect(&mut self, c: u8) -> Result<(), JsonError> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            self.bad()
        }
    }

    /// An object starting at `{`; members go to `f` when given.
    fn object(&mut self, depth: usize, mut f: Option<&mut dyn FnMut(Member<'a>)>) -> Result<(), JsonError> {
        if depth >= MAX_DEPTH {
            return Err(JsonError::TooDeep);
        }
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return self.bad();
            }
            let (ka, kb, kesc) = self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            let (kind, span) = self.value(depth + 1)?;
            if let Some(f) = f.as_mut() {
                let key = self.s.get(ka..kb).unwrap_or("");
                f(Member { key, key_escaped: kesc, kind, span });
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.bad(),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), JsonError> {
        if depth >= MAX_DEPTH {
            return Err(JsonError::TooDeep);
        }
        self.expect(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.value(depth + 1)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.bad(),
            }
        }
    }

    /// A value; its kind and span (inside the quotes for strings).
    fn value(&mut self, depth: usize) -> Result<(Kind, (usize, usize)), JsonError> {
        let start = self.i;
        let kind = match self.peek() {
            Some(b'"') => {
                let (a, b, escaped) = self.string()?;
                return Ok((Kind::String { escaped }, (a, b)));
            }
            Some(b'{') => {
                self.object(depth, None)?;
                Kind::Object
            }
            Some(b'[') => {
                self.array(depth)?;
                Kind::Array
            }
            Some(b't') => {
                self.word(b"true")?;
                Kind::Bool
            }
            Some(b'f') => {
                self.word(b"false")?;
                Kind::Bool
            }
            Some(b'n') => {
                self.word(b"null")?;
                Kind::Null
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                Kind::Number
            }
            _ => return self.bad(),
        };
        Ok((kind, (start, self.i)))
    }

    fn word(&mut self, w: &[u8]) -> Result<(), JsonError> {
        if self.b.get(self.i..self.i + w.len()) == Some(w) {
            self.i += w.len();
            Ok(())
        } else {
            self.bad()
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - from
    }

    fn number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.bad(),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return self.bad();
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return self.bad();
            }
        }
        Ok(())
    }

    /// A string at its opening quote: the span between the quotes and
    /// whether it holds escapes. Control characters are refused, as JSON says.
    fn string(&mut self) -> Result<(usize, usize, bool), JsonError> {
        self.expect(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            let Some(rel) = memchr::memchr3(b'"', b'\\', b'\n', &self.b[self.i..]) else {
                self.i = self.b.len();
                return self.bad();
            };
            if self.b[self.i..self.i + rel].iter().any(|&c| c < 0x20) {
                self.i += self.b[self.i..self.i + rel].iter().position(|&c| c < 0x20).unwrap_or(0);
                return self.bad();
            }
            self.i += rel;
            match self.b[self.i] {
                b'"' => {
                    let end = self.i;
                    self.i += 1;
                    return Ok((start, end, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            let hex = self.b.get(self.i + 1..self.i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return self.bad();
                            }
                            self.i += 5;
                        }
                        _ => return self.bad(),
                    }
                }
                _ => return self.bad(),
            }
        }
    }
}

/// Decodes the escapes of a string's raw text (as between its quotes). An
/// unpaired surrogate becomes U+FFFD; text without escapes is borrowed.
pub fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next().map(|(_, e)| e) {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hi = hex4(raw.get(i + 2..i + 6));
                for _ in 0..4 {
                    chars.next();
                }
                match hi {
                    Some(h @ 0xD800..=0xDBFF) => {
                        let lo = raw.get(i + 6..i + 8).filter(|s| *s == "\\u").and_then(|_| hex4(raw.get(i + 8..i + 12)));
                        match lo {
                            Some(l @ 0xDC00..=0xDFFF) => {
                                for _ in 0..6 {
                                    chars.next();
                                }
                                let cp = 0x10000 + ((h - 0xD800) << 10) + (l - 0xDC00);
                                out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                            }
                            _ => out.push('\u{FFFD}'),
                        }
                    }
                    Some(h) => out.push(char::from_u32(h).unwrap_or('\u{FFFD}')),
                    None => out.push('\u{FFFD}'),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Cow::Owned(out)
}

fn hex4(s: Option<&str>) -> Option<u32> {
    let s = s?;
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(line: &str) -> Result<Vec<(String, Kind, String)>, JsonError> {
        let mut out = Vec::new();
        scan_object(line, &mut |m| out.push((m.key.to_string(), m.kind, line[m.span.0..m.span.1].to_string())))?;
        Ok(out)
    }

    #[test]
    fn members_and_spans() {
        let m = members(r#"{"ts":"2024-01-02T03:04:05Z", "n": -1.5e3, "ok":true, "x":null, "o":{"a":[1,{"b":2}]}, "s":"a\"b"}"#)
            .unwrap();
        assert_eq!(m[0], ("ts".into(), Kind::String { escaped: false }, "2024-01-02T03:04:05Z".into()));
        assert_eq!(m[1], ("n".into(), Kind::Number, "-1.5e3".into()));
        assert_eq!(m[2].1, Kind::Bool);
        assert_eq!(m[3].1, Kind::Null);
        assert_eq!(m[4], ("o".into(), Kind::Object, r#"{"a":[1,{"b":2}]}"#.into()));
        assert_eq!(m[5], ("s".into(), Kind::String { escaped: true }, r#"a\"b"#.into()));
        assert_eq!(unescape(r#"a\"b"#), "a\"b");
    }

    #[test]
    fn refuses_what_is_not_json() {
        assert_eq!(members("plain text"), Err(JsonError::NotObject));
        assert_eq!(members("[1,2]"), Err(JsonError::NotObject));
        for bad in [
            r#"{"a":1"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":"x\q"}"#,
            r#"{"a":"x\u12"}"#,
            r#"{"a":tru}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":1} trailing"#,
            r#"{"a":"unterminated}"#,
            "{",
        ] {
            assert!(matches!(members(bad), Err(JsonError::Malformed(_))), "{bad}");
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(members(&deep), Err(JsonError::TooDeep));
        assert!(members(&format!("{{\"a\":{}1{}}}", "[".repeat(10), "]".repeat(10))).is_ok());
    }

    #[test]
    fn unescapes_unicode() {
        assert_eq!(unescape(r"caf\u00e9 \ud83d\ude00 \n"), "café 😀 \n");
        assert_eq!(unescape(r"lone \ud83d x"), "lone \u{FFFD} x");
        assert_eq!(unescape(r"cut \u00"), "cut \u{FFFD}");
        assert!(matches!(unescape("plain"), Cow::Borrowed(_)));
    }
}
