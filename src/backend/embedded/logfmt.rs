//! The logfmt decoder of Loki's `logfmt` parser (adapted go-logfmt):
//! `key=value key2="quoted \" value" flag`, with its error positions and
//! words.

/// Scans key/value pairs of one line.
pub struct Decoder<'a> {
    line: &'a [u8],
    pos: usize,
    key: &'a [u8],
    value: Option<std::borrow::Cow<'a, [u8]>>,
    err: Option<String>,
}

impl<'a> Decoder<'a> {
    pub fn new(line: &'a [u8]) -> Self {
        Self { line, pos: 0, key: b"", value: None, err: None }
    }

    pub fn eol(&self) -> bool {
        self.pos >= self.line.len()
    }

    pub fn key(&self) -> &[u8] {
        self.key
    }

    /// The value ("" when absent).
    pub fn value(&self) -> &[u8] {
        self.value.as_deref().unwrap_or(b"")
    }

    pub fn err(&self) -> Option<&str> {
        self.err.as_deref()
    }

    fn syntax_error(&mut self, msg: &str) {
        self.err = Some(format!("logfmt syntax error at pos {} : {}", self.pos + 1, msg));
    }

    fn unexpected(&mut self, c: u8) {
        let shown = if c.is_ascii_graphic() || c == b' ' {
            format!("'{}'", c as char)
        } else {
            format!("'\\x{c:02x}'")
        };
        self.syntax_error(&format!("unexpected {shown}"));
    }

    /// Advances to the next pair; false at the end or on an error.
    pub fn scan(&mut self) -> bool {
        self.key = b"";
        self.value = None;
        let line = self.line;
        // Skip garbage (bytes <= ' ').
        match line[self.pos.min(line.len())..].iter().position(|&c| c > b' ') {
            Some(p) => self.pos += p,
            None => {
                self.pos = line.len();
                return false;
            }
        }
        // Key.
        let start = self.pos;
        let mut multibyte = false;
        let mut i = self.pos;
        while i < line.len() {
            let c = line[i];
            if c == b'=' {
                self.pos = i;
                if self.pos > start {
                    self.key = &line[start..self.pos];
                    if multibyte && std::str::from_utf8(self.key).is_err() {
                        self.syntax_error("invalid key");
                        return self.skip_value();
                    }
                }
                if self.key.is_empty() {
                    self.unexpected(c);
                    return self.skip_value();
                }
                return self.equal();
            } else if c == b'"' {
                self.pos = i;
                self.unexpected(c);
                return self.skip_value();
            } else if c <= b' ' {
                self.pos = i;
                if self.pos > start {
                    self.key = &line[start..self.pos];
                    if multibyte && std::str::from_utf8(self.key).is_err() {
                        self.syntax_error("invalid key");
                        return false;
                    }
                }
                return true;
            } else if c >= 0x80 {
                multibyte = true;
            }
            i += 1;
        }
        self.pos = line.len();
        if self.pos > start {
            self.key = &line[start..self.pos];
            if multibyte && std::str::from_utf8(self.key).is_err() {
                self.syntax_error("invalid key");
                return false;
            }
        }
        true
    }

    fn equal(&mut self) -> bool {
        let line = self.line;
        self.pos += 1;
        if self.pos >= line.len() {
            return true;
        }
        let c = line[self.pos];
        if c <= b' ' {
            return true;
        }
        if c == b'"' {
            return self.qvalue();
        }
        let start = self.pos;
        let mut i = self.pos;
        while i < line.len() {
            let c = line[i];
            if c == b'=' || c == b'"' {
                self.pos = i;
                self.unexpected(c);
                return self.skip_value();
            }
            if c <= b' ' {
                self.pos = i;
                if self.pos > start {
                    self.value = Some(std::borrow::Cow::Borrowed(&line[start..self.pos]));
                }
                return true;
            }
            i += 1;
        }
        self.pos = line.len();
        if self.pos > start {
            self.value = Some(std::borrow::Cow::Borrowed(&line[start..self.pos]));
        }
        true
    }

    fn skip_value(&mut self) -> bool {
        let line = self.line;
        match line[self.pos.min(line.len())..].iter().position(|&c| c <= b' ') {
            Some(p) => self.pos += p,
            None => self.pos = line.len(),
        }
        false
    }

    fn qvalue(&mut self) -> bool {
        let line = self.line;
        let start = self.pos;
        let mut has_esc = false;
        let mut esc = false;
        let mut i = self.pos + 1;
        while i < line.len() {
            let c = line[i];
            if esc {
                esc = false;
            } else if c == b'\\' {
                has_esc = true;
                esc = true;
            } else if c == b'"' {
                self.pos = i + 1;
                if has_esc {
                    match unquote(&line[start + 1..self.pos - 1]) {
                        Some(v) => self.value = Some(std::borrow::Cow::Owned(v)),
                        None => {
                            self.syntax_error("invalid quoted value");
                            return false;
                        }
                    }
                } else if self.pos - 1 > start + 1 {
                    self.value = Some(std::borrow::Cow::Borrowed(&line[start + 1..self.pos - 1]));
                }
                return true;
            }
            i += 1;
        }
        self.pos = line.len();
        self.syntax_error("unterminated quoted value");
        false
    }
}

/// Unquotes the inside of a logfmt quoted value (JSON-style escapes).
fn unquote(inner: &[u8]) -> Option<Vec<u8>> {
    super::json::unescape(inner).map(String::into_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(line: &str) -> (Vec<(String, String)>, Option<String>) {
        let mut d = Decoder::new(line.as_bytes());
        let mut out = Vec::new();
        while !d.eol() {
            if d.scan() {
                out.push((String::from_utf8_lossy(d.key()).into_owned(), String::from_utf8_lossy(d.value()).into_owned()));
            }
        }
        (out, d.err().map(String::from))
    }

    #[test]
    fn decodes_pairs() {
        let (p, e) = pairs(r#"level=info msg="hello \"you\"" took=10ms flag"#);
        assert_eq!(p[0], ("level".into(), "info".into()));
        assert_eq!(p[1], ("msg".into(), "hello \"you\"".into()));
        assert_eq!(p[3], ("flag".into(), "".into()));
        assert!(e.is_none());
    }

    #[test]
    fn errors_and_recovery() {
        let (p, e) = pairs(r#"a=1 b="unterminated"#);
        assert_eq!(p, vec![("a".into(), "1".into())]);
        assert!(e.unwrap().contains("unterminated quoted value"));
        let (p, e) = pairs("=x a=1");
        assert_eq!(p, vec![("a".into(), "1".into())]);
        assert!(e.unwrap().contains("unexpected '='"));
        let (p, _) = pairs("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user");
        assert_eq!(p[0].0, "Dec");
    }
}
