//! The Loghub header pattern: `<Date> <Time> <Level> <Component>: <Content>`.
//!
//! Semantics follow the Loghub benchmark's own loader: every `<Field>` matches
//! lazily (`.*?`), a run of spaces matches `\s+`, everything else is a regular
//! expression (so `\[`, `\|` and `(\[<PID>\])?` work), and the whole pattern is
//! anchored at both ends and applied to the line with surrounding whitespace
//! stripped.
//!
//! Most real formats are plain literals between fields; those are compiled to a
//! byte-level matcher (memchr/memmem) that gives the same answer as the regex
//! and is an order of magnitude faster. Formats with regex constructs use the
//! regex.

use memchr::memmem;
use regex::Regex;

use super::structured::{Shape, StructuredFormat};

/// An error in a header pattern.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    #[error("header pattern {pattern:?} has no fields (fields are written <Name>)")]
    NoFields { pattern: String },
    #[error("header pattern {pattern:?} names the field <{field}> twice")]
    DuplicateField { pattern: String, field: String },
    #[error("header pattern {pattern:?} is not a valid regular expression: {source}")]
    Regex {
        pattern: String,
        #[source]
        source: Box<regex::Error>,
    },
    #[error("header field name <{field}> in {pattern:?} must be letters, digits or _")]
    BadFieldName { pattern: String, field: String },
}

#[derive(Debug, Clone)]
enum Seg {
    Field,
    Lit(Vec<u8>),
    Spaces,
}

/// A compiled header pattern, or a structured format (JSON, logfmt) whose
/// fields are the values of named keys (see [`super::structured`]).
#[derive(Debug, Clone)]
pub struct HeaderFormat {
    pattern: String,
    fields: Vec<String>,
    content_idx: Option<usize>,
    regex: Regex,
    fast: Option<Vec<Seg>>,
    structured: Option<StructuredFormat>,
}

/// Byte ranges of the fields of one line, in the order of [`HeaderFormat::fields`].
pub type FieldSpans = smallvec_like::Spans;

mod smallvec_like {
    /// Up to 16 `(start, end)` byte ranges kept inline.
    #[derive(Debug, Clone, Default)]
    pub struct Spans {
        len: usize,
        data: [(u32, u32); 16],
    }
    impl Spans {
        pub fn push(&mut self, s: (u32, u32)) {
            if self.len < 16 {
                self.data[self.len] = s;
                self.len += 1;
            }
        }
        pub fn clear(&mut self) {
            self.len = 0;
        }
        pub fn truncate(&mut self, len: usize) {
            self.len = self.len.min(len);
        }
        pub fn as_slice(&self) -> &[(u32, u32)] {
            &self.data[..self.len]
        }
        pub fn len(&self) -> usize {
            self.len
        }
        pub fn is_empty(&self) -> bool {
            self.len == 0
        }
    }
}

fn is_regex_meta(b: u8) -> bool {
    matches!(
        b,
        b'.' | b'^' | b'$' | b'*' | b'+' | b'?' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'|' | b'\\'
    )
}

impl HeaderFormat {
    /// Compiles a Loghub header pattern.
    pub fn new(pattern: &str) -> Result<Self, HeaderError> {
        let mut fields = Vec::new();
        let mut re = String::from("^");
        let mut segs = Vec::new();
        let mut fast_ok = true;
        let mut rest = pattern;
        while !rest.is_empty() {
            // A field is <Name> where Name has no < or >.
            if let Some(start) = rest.find('<') {
                let literal = &rest[..start];
                if let Some(end_rel) = rest[start + 1..].find(['>', '<']) {
                    let end = start + 1 + end_rel;
                    if rest.as_bytes()[end] == b'>' && end > start + 1 {
                        push_literal(literal, &mut re, &mut segs, &mut fast_ok);
                        // `<Name:regex>`: the field matches the regex, not any text.
                        let (name, class) = match rest[start + 1..end].split_once(':') {
                            Some((n, c)) => (n, Some(c)),
                            None => (&rest[start + 1..end], None),
                        };
                        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                            return Err(HeaderError::BadFieldName {
                                pattern: pattern.into(),
                                field: name.into(),
                            });
                        }
                        if fields.iter().any(|f| f == name) {
                            return Err(HeaderError::DuplicateField {
                                pattern: pattern.into(),
                                field: name.into(),
                            });
                        }
                        match class {
                            Some(c) => {
                                re.push_str(&format!("(?P<{name}>{c})"));
                                fast_ok = false;
                            }
                            None => re.push_str(&format!("(?P<{name}>.*?)")),
                        }
                        fields.push(name.to_string());
                        segs.push(Seg::Field);
                        rest = &rest[end + 1..];
                        continue;
                    }
                }
                // Not a field: treat up to and including '<' as literal text.
                push_literal(&rest[..start + 1], &mut re, &mut segs, &mut fast_ok);
                rest = &rest[start + 1..];
            } else {
                push_literal(rest, &mut re, &mut segs, &mut fast_ok);
                rest = "";
            }
        }
        re.push('$');
        if fields.is_empty() {
            return Err(HeaderError::NoFields { pattern: pattern.into() });
        }
        // Two fields in a row cannot be split by a byte matcher the way a lazy regex does.
        if segs.windows(2).any(|w| matches!(w, [Seg::Field, Seg::Field])) {
            fast_ok = false;
        }
        let regex = Regex::new(&re).map_err(|e| HeaderError::Regex {
            pattern: pattern.into(),
            source: Box::new(e),
        })?;
        let content_idx = fields.iter().position(|f| f == "Content");
        Ok(Self {
            pattern: pattern.to_string(),
            fields,
            content_idx,
            regex,
            fast: fast_ok.then_some(segs),
            structured: None,
        })
    }

    /// A structured format; its fields are the roles' names (`Content` first).
    pub fn structured(format: StructuredFormat) -> Self {
        let fields: Vec<String> = format.roles().iter().map(|r| r.name.clone()).collect();
        Self {
            pattern: format.kind().as_str().to_string(),
            fields,
            content_idx: Some(0),
            regex: Regex::new("^$").expect("a valid regex"),
            fast: None,
            structured: Some(format),
        }
    }

    /// The structured format, when this is one.
    pub fn structured_format(&self) -> Option<&StructuredFormat> {
        self.structured.as_ref()
    }

    /// [`Self::match_line`] with what the line turned out to be (structured
    /// formats; a Loghub pattern says `Message` when it fits, else `Plain`).
    pub fn match_shape(&self, line: &str, out: &mut FieldSpans) -> Shape {
        match &self.structured {
            Some(s) => s.match_line(line, out),
            None if self.match_line(line, out) => Shape::Message { escaped: false },
            None => Shape::Plain,
        }
    }

    /// The pattern as written.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Field names in order of appearance.
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// Index of the `Content` field, if the pattern has one.
    pub fn content_index(&self) -> Option<usize> {
        self.content_idx
    }

    /// Index of a field by name.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name)
    }

    /// Whether the byte-level fast path is in use (for tests and diagnostics).
    pub fn is_fast(&self) -> bool {
        self.fast.is_some()
    }

    /// Matches a line (already stripped of surrounding whitespace). On success
    /// `out` holds one span per field, relative to `line`.
    pub fn match_line(&self, line: &str, out: &mut FieldSpans) -> bool {
        out.clear();
        if let Some(s) = &self.structured {
            return s.match_line(line, out).is_structured();
        }
        if let Some(segs) = &self.fast {
            match match_fast(segs, line.as_bytes(), out) {
                Some(m) => return m,
                // Too much backtracking (a long line of many spaces that
                // does not fit): the regex engine answers in linear time.
                None => out.clear(),
            }
        }
        let Some(caps) = self.regex.captures(line) else {
            return false;
        };
        for name in &self.fields {
            match caps.name(name) {
                Some(m) => out.push((m.start() as u32, m.end() as u32)),
                None => out.push((0, 0)),
            }
        }
        true
    }
}

fn push_literal(lit: &str, re: &mut String, segs: &mut Vec<Seg>, fast_ok: &mut bool) {
    if lit.is_empty() {
        return;
    }
    // Runs of spaces become \s+; the rest is copied as regex text.
    let mut chunk = String::new();
    let mut chars = lit.chars().peekable();
    let mut cur_lit: Vec<u8> = Vec::new();
    while let Some(c) = chars.next() {
        if c == ' ' {
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            chunk.push_str(r"\s+");
            if !cur_lit.is_empty() {
                segs.push(Seg::Lit(std::mem::take(&mut cur_lit)));
            }
            segs.push(Seg::Spaces);
        } else if c == '\\' {
            chunk.push(c);
            if let Some(n) = chars.next() {
                chunk.push(n);
                // An escaped punctuation character is a literal; \s, \d ... are classes.
                if n.is_ascii_punctuation() {
                    let mut buf = [0u8; 4];
                    cur_lit.extend_from_slice(n.encode_utf8(&mut buf).as_bytes());
                } else {
                    *fast_ok = false;
                }
            }
        } else {
            chunk.push(c);
            if c.is_ascii() && is_regex_meta(c as u8) {
                *fast_ok = false;
            } else {
                let mut buf = [0u8; 4];
                cur_lit.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    if !cur_lit.is_empty() {
        segs.push(Seg::Lit(cur_lit));
    }
    re.push_str(&chunk);
}

fn is_ws(b: u8) -> bool {
    // Python's and Rust's \s on the ASCII range.
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Steps the backtracking matcher may take before it hands the line to the
/// regex engine: a line of thousands of words that does not fit would
/// otherwise try every way of splitting it between the fields
/// (exponential in their number).
const MATCH_BUDGET: u32 = 20_000;

/// Greedy-on-separators, lazy-on-fields matcher with backtracking; equal to the
/// anchored lazy regex for patterns made only of fields, literals and spaces.
/// `None` when it gave up after [`MATCH_BUDGET`] steps.
fn match_fast(segs: &[Seg], line: &[u8], out: &mut FieldSpans) -> Option<bool> {
    let mut budget = MATCH_BUDGET;
    let m = go(segs, line, 0, out, &mut budget);
    (budget > 0).then_some(m)
}

fn go(segs: &[Seg], line: &[u8], pos: usize, out: &mut FieldSpans, budget: &mut u32) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Some(first) = segs.first() else {
        return pos == line.len();
    };
    match first {
        Seg::Lit(l) => {
            if line[pos..].starts_with(l) {
                go(&segs[1..], line, pos + l.len(), out, budget)
            } else {
                false
            }
        }
        Seg::Spaces => {
            let mut end = pos;
            while end < line.len() && is_ws(line[end]) {
                end += 1;
            }
            if end == pos {
                return false;
            }
            // \s+ is greedy: try the longest run first, then give back.
            let mut e = end;
            while e > pos {
                if go(&segs[1..], line, e, out, budget) {
                    return true;
                }
                e -= 1;
            }
            false
        }
        Seg::Field => {
            let mark = out.len();
            let next = segs.get(1);
            match next {
                None => {
                    // Last field: takes the rest (anchored by $). `.` does not match \n.
                    if memchr::memchr(b'\n', &line[pos..]).is_some() {
                        return false;
                    }
                    out.push((pos as u32, line.len() as u32));
                    true
                }
                Some(Seg::Lit(l)) => {
                    let finder = memmem::Finder::new(l);
                    let mut from = pos;
                    while let Some(i) = finder.find(&line[from..]) {
                        let at = from + i;
                        if memchr::memchr(b'\n', &line[pos..at]).is_some() {
                            return false;
                        }
                        out.push((pos as u32, at as u32));
                        if go(&segs[1..], line, at, out, budget) {
                            return true;
                        }
                        truncate(out, mark);
                        from = at + 1;
                    }
                    false
                }
                Some(Seg::Spaces) => {
                    let mut at = pos;
                    while at < line.len() {
                        if is_ws(line[at]) {
                            out.push((pos as u32, at as u32));
                            if go(&segs[1..], line, at, out, budget) {
                                return true;
                            }
                            truncate(out, mark);
                        } else if line[at] == b'\n' {
                            return false;
                        }
                        at += 1;
                    }
                    false
                }
                Some(Seg::Field) => false,
            }
        }
    }
}

fn truncate(out: &mut FieldSpans, len: usize) {
    out.truncate(len);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(fmt: &HeaderFormat, line: &str) -> Option<Vec<String>> {
        let mut spans = FieldSpans::default();
        fmt.match_line(line, &mut spans).then(|| {
            spans
                .as_slice()
                .iter()
                .map(|&(a, b)| line[a as usize..b as usize].to_string())
                .collect()
        })
    }

    fn both(pattern: &str, line: &str) -> Option<Vec<String>> {
        let fmt = HeaderFormat::new(pattern).unwrap();
        let mut slow = fmt.clone();
        slow.fast = None;
        let a = fields(&fmt, line);
        let b = fields(&slow, line);
        assert_eq!(a, b, "fast and regex paths disagree on {line:?}");
        a
    }

    #[test]
    fn hdfs_line() {
        let f = both(
            "<Date> <Time> <Pid> <Level> <Component>: <Content>",
            "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_3 terminating",
        )
        .unwrap();
        assert_eq!(f[4], "dfs.DataNode$PacketResponder");
        assert_eq!(f[5], "PacketResponder 1 for block blk_3 terminating");
    }

    #[test]
    fn escaped_brackets_and_pipes() {
        let f = both(
            r"<Time>\|<Component>\|<Pid>\|<Content>",
            "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
        )
        .unwrap();
        assert_eq!(f, ["20171223-22:15:29:606", "Step_LSC", "30002312", "onStandStepChanged 3579"]);
        let f = both(r"\[<Time>\] \[<Level>\] <Content>", "[Sun Dec 04 04:47:44 2005] [notice] ok x").unwrap();
        assert_eq!(f, ["Sun Dec 04 04:47:44 2005", "notice", "ok x"]);
    }

    #[test]
    fn optional_group_uses_regex() {
        let fmt = HeaderFormat::new(r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>").unwrap();
        assert!(!fmt.is_fast());
        let f = fields(&fmt, "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown").unwrap();
        assert_eq!(f[4], "sshd(pam_unix)");
        assert_eq!(f[5], "19939");
        let f = fields(&fmt, "Jun 14 15:16:01 combo kernel: hello").unwrap();
        assert_eq!(f[4], "kernel");
        assert_eq!(f[5], "");
    }

    #[test]
    fn lazy_fields_backtrack() {
        // Zookeeper: the first ':' belongs to the node, not the separator, when the rest fails.
        let f = both(
            r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>",
            "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200",
        )
        .unwrap();
        assert_eq!(f[3], "QuorumPeer[myid=1]/0");
        assert_eq!(f[4], "0:0:0:0:0:0:0:2181:FastLeaderElection");
    }

    #[test]
    fn a_long_line_of_words_that_does_not_fit_is_answered_at_once() {
        // 14,000 words and no ': ': every split between the four fields
        // before it would be tried; the budget hands the line to the regex.
        let pattern = "<Date> <Time> <Pid> <Level> <Component>: <Content>";
        let long = "deleting block ".repeat(14_000);
        let t = std::time::Instant::now();
        assert!(both(pattern, &long).is_none());
        let fits = format!("081109 203615 148 INFO dfs.DataNode: {long}");
        assert_eq!(both(pattern, &fits).unwrap()[4], "dfs.DataNode");
        let mut spaced = "1 2 3 4 ".repeat(3000);
        spaced.push_str("x: y");
        let f = both(pattern, &spaced).unwrap();
        assert_eq!((f[0].as_str(), f[1].as_str(), f[2].as_str(), f[3].as_str()), ("1", "2", "3", "4"));
        assert!(t.elapsed() < std::time::Duration::from_secs(20), "took {:?}", t.elapsed());
    }

    #[test]
    fn non_matching_line() {
        assert!(both("<Date> <Time> <Level>: <Content>", "garbage").is_none());
        assert!(both("<Date> <Time> <Level>: <Content>", "").is_none());
    }

    #[test]
    fn bad_patterns() {
        assert!(matches!(HeaderFormat::new("no fields"), Err(HeaderError::NoFields { .. })));
        assert!(matches!(HeaderFormat::new("<A> <A>"), Err(HeaderError::DuplicateField { .. })));
        assert!(matches!(HeaderFormat::new("<A> ([<B>"), Err(HeaderError::Regex { .. })));
    }
}
