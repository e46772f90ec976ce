//! The LogQL lexer: turns a query into tokens with byte spans, the way Loki's
//! lexer does (keywords are case-insensitive, function names are keywords only
//! when a `(` or `by (`/`without (` follows, `[5m]` is one token, numbers
//! followed by a unit are durations or byte sizes). It never fails: junk
//! becomes [`TokenKind::Error`], so the same tokens serve syntax highlighting.

use std::ops::Range;

use super::ast::{RangeOp, VectorOp};
use super::duration::{parse_bytes, parse_duration};

/// One token and where it is in the query (byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Range<usize>,
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A label name or any other word that is not a keyword here.
    Ident,
    /// `"..."` (Go escapes) or `` `...` `` (raw).
    String,
    /// `42`, `1.5`, `.5`, `1e3`.
    Number,
    /// `5m`, `1h30m`, `1.5s`, `-2m`.
    Duration,
    /// `20KB`, `1MiB`, `5M`.
    Bytes,
    /// `[5m]`, the range of a range aggregation, brackets included.
    Range,
    /// `--strict`, `--keep-empty`.
    ParserFlag,
    /// `# ...` up to the end of the line.
    Comment,
    /// Anything the lexer does not understand: an unterminated string or
    /// range, a stray character.
    Error,

    // Keywords, wherever they appear.
    By,
    Without,
    Bool,
    On,
    Ignoring,
    GroupLeft,
    GroupRight,
    Offset,
    Unwrap,
    Or,
    And,
    Unless,
    Json,
    Logfmt,
    Regexp,
    Pattern,
    Unpack,
    LineFormat,
    LabelFormat,
    Decolorize,
    Drop,
    Keep,

    // Function names: keywords only when a call follows.
    RangeFn(RangeOp),
    VectorFn(VectorOp),
    /// `vector(...)`
    Vector,
    /// `label_replace(...)`
    LabelReplace,
    /// `ip(...)`
    Ip,
    /// `bytes(...)` in `| unwrap bytes(x)`
    BytesConv,
    /// `duration(...)`
    DurationConv,
    /// `duration_seconds(...)`
    DurationSecondsConv,

    // Punctuation and operators.
    LBrace,
    RBrace,
    LParen,
    RParen,
    /// A `]` on its own (a `[` always starts a [`TokenKind::Range`]).
    RBracket,
    Comma,
    Dot,
    /// `=`
    Eq,
    /// `!=`
    Neq,
    /// `=~`
    Re,
    /// `!~`
    Nre,
    /// `|=`
    PipeExact,
    /// `|~`
    PipeMatch,
    /// `|>`
    PipePattern,
    /// `!>`
    NotPattern,
    /// `|`
    Pipe,
    /// `==`
    CmpEq,
    Gt,
    Ge,
    Lt,
    Le,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

impl TokenKind {
    /// Whether the token is a keyword or a function name (for highlighting).
    pub fn is_keyword(self) -> bool {
        use TokenKind::*;
        matches!(
            self,
            By | Without
                | Bool
                | On
                | Ignoring
                | GroupLeft
                | GroupRight
                | Offset
                | Unwrap
                | Or
                | And
                | Unless
                | Json
                | Logfmt
                | Regexp
                | Pattern
                | Unpack
                | LineFormat
                | LabelFormat
                | Decolorize
                | Drop
                | Keep
        )
    }

    /// Whether the token names a function (`rate`, `sum`, `vector`, ...).
    pub fn is_function(self) -> bool {
        use TokenKind::*;
        matches!(
            self,
            RangeFn(_)
                | VectorFn(_)
                | Vector
                | LabelReplace
                | Ip
                | BytesConv
                | DurationConv
                | DurationSecondsConv
        )
    }
}

/// Splits `src` into tokens. Whitespace is skipped; comments are kept as
/// [`TokenKind::Comment`]. Never fails and never panics.
pub fn tokenize(src: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        out: Vec::new(),
    };
    lexer.run();
    lexer.out
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    out: Vec<Token>,
}

impl Lexer<'_> {
    fn char_at(&self, at: usize) -> Option<char> {
        self.src.get(at..).and_then(|s| s.chars().next())
    }

    fn push(&mut self, kind: TokenKind, start: usize, end: usize) {
        self.out.push(Token {
            kind,
            span: start..end,
        });
        self.pos = end;
    }

    fn run(&mut self) {
        while let Some(c) = self.char_at(self.pos) {
            let start = self.pos;
            let next = self.char_at(start + c.len_utf8());
            match c {
                ' ' | '\t' | '\n' | '\r' => self.pos += 1,
                '#' => {
                    let end = self.src[start..]
                        .find('\n')
                        .map_or(self.src.len(), |i| start + i);
                    self.push(TokenKind::Comment, start, end);
                }
                '"' => self.string(start),
                '`' => {
                    match self.src[start + 1..].find('`') {
                        Some(i) => self.push(TokenKind::String, start, start + 1 + i + 1),
                        None => self.push(TokenKind::Error, start, self.src.len()),
                    };
                }
                '0'..='9' => self.number(start),
                '.' if next.is_some_and(|n| n.is_ascii_digit()) => self.number(start),
                '[' => {
                    match self.src[start..].find(']') {
                        Some(i) => self.push(TokenKind::Range, start, start + i + 1),
                        None => self.push(TokenKind::Error, start, self.src.len()),
                    };
                }
                '-' => self.minus(start),
                c if c == '_' || c.is_alphabetic() => self.word(start),
                _ => {
                    let (kind, len) = operator(c, next);
                    self.push(kind, start, start + len);
                }
            }
        }
    }

    /// A double-quoted string; it ends at the closing quote, and is an error
    /// if a newline or the end comes first.
    fn string(&mut self, start: usize) {
        let bytes = self.src.as_bytes();
        let mut i = start + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    self.push(TokenKind::String, start, i + 1);
                    return;
                }
                b'\n' => break,
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        let end = i.min(bytes.len());
        let mut end = end;
        while !self.src.is_char_boundary(end) {
            end -= 1;
        }
        self.push(TokenKind::Error, start, end.max(start + 1));
    }

    fn number(&mut self, start: usize) {
        let bytes = self.src.as_bytes();
        let mut i = start;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        }
        if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
            let mut j = i + 1;
            if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                j += 1;
            }
            if j < bytes.len() && bytes[j].is_ascii_digit() {
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                i = j;
            }
        }
        if let Some(end) = self.unit_suffix(start, i, is_duration_char, |t| {
            parse_duration(t).is_some()
        }) {
            self.push(TokenKind::Duration, start, end);
        } else if let Some(end) =
            self.unit_suffix(start, i, is_bytes_char, |t| parse_bytes(t).is_some())
        {
            self.push(TokenKind::Bytes, start, end);
        } else {
            self.push(TokenKind::Number, start, i);
        }
    }

    /// Loki's `tryScanDuration`/`tryScanBytes`: take the characters after
    /// `text_end` up to a space or a character outside the class; if there
    /// are some and the whole text parses, return its end.
    fn unit_suffix(
        &self,
        start: usize,
        text_end: usize,
        in_class: fn(char) -> bool,
        parses: impl Fn(&str) -> bool,
    ) -> Option<usize> {
        let rest = self.src.get(text_end..)?;
        let len = rest
            .char_indices()
            .find(|(_, c)| !in_class(*c))
            .map_or(rest.len(), |(i, _)| i);
        if len == 0 {
            return None;
        }
        let end = text_end + len;
        parses(self.src.get(start..end)?).then_some(end)
    }

    fn minus(&mut self, start: usize) {
        let rest = &self.src[start..];
        if rest.starts_with("--") {
            let len = rest[1..]
                .char_indices()
                .find(|(_, c)| !(c.is_alphabetic() || *c == '-'))
                .map_or(rest.len(), |(i, _)| i + 1);
            if matches!(&rest[..len], "--strict" | "--keep-empty") {
                self.push(TokenKind::ParserFlag, start, start + len);
                return;
            }
        }
        if let Some(end) = self.unit_suffix(start, start + 1, is_duration_char, |t| {
            parse_duration(t).is_some()
        }) {
            self.push(TokenKind::Duration, start, end);
            return;
        }
        self.push(TokenKind::Sub, start, start + 1);
    }

    fn word(&mut self, start: usize) {
        let rest = &self.src[start..];
        let len = rest
            .char_indices()
            .find(|(_, c)| !(*c == '_' || c.is_alphanumeric()))
            .map_or(rest.len(), |(i, _)| i);
        let end = start + len;
        let lower = rest[..len].to_ascii_lowercase();
        let kind = if let Some(f) = function_kind(&lower) {
            if call_follows(&self.src[end..]) {
                f
            } else {
                TokenKind::Ident
            }
        } else {
            keyword_kind(&lower).unwrap_or(TokenKind::Ident)
        };
        self.push(kind, start, end);
    }
}

fn operator(c: char, next: Option<char>) -> (TokenKind, usize) {
    use TokenKind::*;
    let two = |kind| (kind, 2);
    match (c, next) {
        ('=', Some('~')) => two(Re),
        ('=', Some('=')) => two(CmpEq),
        ('=', _) => (Eq, 1),
        ('!', Some('=')) => two(Neq),
        ('!', Some('~')) => two(Nre),
        ('!', Some('>')) => two(NotPattern),
        ('|', Some('=')) => two(PipeExact),
        ('|', Some('~')) => two(PipeMatch),
        ('|', Some('>')) => two(PipePattern),
        ('|', _) => (Pipe, 1),
        ('>', Some('=')) => two(Ge),
        ('>', _) => (Gt, 1),
        ('<', Some('=')) => two(Le),
        ('<', _) => (Lt, 1),
        ('{', _) => (LBrace, 1),
        ('}', _) => (RBrace, 1),
        ('(', _) => (LParen, 1),
        (')', _) => (RParen, 1),
        (']', _) => (RBracket, 1),
        (',', _) => (Comma, 1),
        ('.', _) => (Dot, 1),
        ('+', _) => (Add, 1),
        ('*', _) => (Mul, 1),
        ('/', _) => (Div, 1),
        ('%', _) => (Mod, 1),
        ('^', _) => (Pow, 1),
        (other, _) => (Error, other.len_utf8()),
    }
}

fn is_duration_char(c: char) -> bool {
    c.is_numeric() || c == '.' || matches!(c, 'n' | 'u' | 'µ' | 'm' | 's' | 'h' | 'd' | 'w' | 'y')
}

fn is_bytes_char(c: char) -> bool {
    c.is_numeric() || c == '.' || matches!(c, 'B' | 'i' | 'k' | 'K' | 'M' | 'G' | 'T' | 'P')
}

/// Loki's `isFunction`: after optional spaces, a `(`, or `by`/`without`
/// followed (after optional spaces) by a `(`.
fn call_follows(rest: &str) -> bool {
    let rest = rest.trim_start();
    if rest.starts_with('(') {
        return true;
    }
    for kw in ["by", "without"] {
        if let Some(head) = rest.get(..kw.len())
            && head.eq_ignore_ascii_case(kw)
        {
            return rest[kw.len()..].trim_start().starts_with('(');
        }
    }
    false
}

fn function_kind(word: &str) -> Option<TokenKind> {
    if let Some(op) = RangeOp::from_name(word) {
        return Some(TokenKind::RangeFn(op));
    }
    if let Some(op) = VectorOp::from_name(word) {
        return Some(TokenKind::VectorFn(op));
    }
    Some(match word {
        "vector" => TokenKind::Vector,
        "label_replace" => TokenKind::LabelReplace,
        "ip" => TokenKind::Ip,
        "bytes" => TokenKind::BytesConv,
        "duration" => TokenKind::DurationConv,
        "duration_seconds" => TokenKind::DurationSecondsConv,
        _ => return None,
    })
}

fn keyword_kind(word: &str) -> Option<TokenKind> {
    use TokenKind::*;
    Some(match word {
        "by" => By,
        "without" => Without,
        "bool" => Bool,
        "on" => On,
        "ignoring" => Ignoring,
        "group_left" => GroupLeft,
        "group_right" => GroupRight,
        "offset" => Offset,
        "unwrap" => Unwrap,
        "or" => Or,
        "and" => And,
        "unless" => Unless,
        "json" => Json,
        "logfmt" => Logfmt,
        "regexp" => Regexp,
        "pattern" => Pattern,
        "unpack" => Unpack,
        "line_format" => LineFormat,
        "label_format" => LabelFormat,
        "decolorize" => Decolorize,
        "drop" => Drop,
        "keep" => Keep,
        _ => return None,
    })
}

/// Whether `word` always lexes as a keyword (so it cannot be a label name).
pub fn is_reserved_word(word: &str) -> bool {
    keyword_kind(&word.to_ascii_lowercase()).is_some()
}

#[cfg(test)]
mod tests {
    use super::TokenKind::*;
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        tokenize(src).into_iter().map(|t| t.kind).collect()
    }

    fn texts(src: &str) -> Vec<&str> {
        tokenize(src).into_iter().map(|t| &src[t.span]).collect()
    }

    #[test]
    fn selector_and_filters() {
        assert_eq!(
            kinds(r#"{app="hdfs", level!~"I.*"} |= "x" != `y` |~ "a" !~ "b" |> "<_>" !> "c""#),
            vec![
                LBrace, Ident, Eq, String, Comma, Ident, Nre, String, RBrace, PipeExact, String,
                Neq, String, PipeMatch, String, Nre, String, PipePattern, String, NotPattern,
                String
            ]
        );
    }

    #[test]
    fn numbers_durations_bytes() {
        assert_eq!(
            kinds("5 1.5 .5 1e3 5m 1h30m 500ms 1d 1w 1y 20KB 1MiB 5M 1.5s"),
            vec![
                Number, Number, Number, Number, Duration, Duration, Duration, Duration, Duration,
                Duration, Bytes, Bytes, Bytes, Duration
            ]
        );
        assert_eq!(texts("5m)"), vec!["5m", ")"]);
        assert_eq!(kinds("x > -5m"), vec![Ident, Gt, Duration]);
        assert_eq!(kinds("x > -5"), vec![Ident, Gt, Sub, Number]);
    }

    #[test]
    fn ranges_are_one_token() {
        assert_eq!(texts("{a=\"b\"}[5m]"), vec!["{", "a", "=", "\"b\"", "}", "[5m]"]);
        assert_eq!(kinds("[5m"), vec![Error]);
    }

    #[test]
    fn functions_only_before_a_call() {
        assert_eq!(kinds("rate("), vec![RangeFn(RangeOp::Rate), LParen]);
        assert_eq!(kinds("rate > 5"), vec![Ident, Gt, Number]);
        assert_eq!(kinds("sum by (a) ("), vec![VectorFn(VectorOp::Sum), By, LParen, Ident, RParen, LParen]);
        assert_eq!(kinds("sum without(a)"), vec![VectorFn(VectorOp::Sum), Without, LParen, Ident, RParen]);
        assert_eq!(kinds("bytes(x) bytes"), vec![BytesConv, LParen, Ident, RParen, Ident]);
        assert_eq!(kinds("SUM (x)"), vec![VectorFn(VectorOp::Sum), LParen, Ident, RParen]);
        assert_eq!(kinds("sum byx (x)"), vec![Ident, Ident, LParen, Ident, RParen]);
    }

    #[test]
    fn keywords_are_case_insensitive() {
        assert_eq!(kinds("BY json Or x"), vec![By, Json, Or, Ident]);
    }

    #[test]
    fn flags_comments_and_junk() {
        assert_eq!(kinds("| logfmt --strict --keep-empty"), vec![Pipe, Logfmt, ParserFlag, ParserFlag]);
        assert_eq!(kinds("--nope"), vec![Sub, Sub, Ident]);
        assert_eq!(kinds("a # comment\nb"), vec![Ident, Comment, Ident]);
        assert_eq!(kinds("@ !"), vec![Error, Error]);
        assert_eq!(kinds("\"abc"), vec![Error]);
        assert_eq!(kinds("\"a\nb\""), vec![Error, Ident, Error]);
    }

    #[test]
    fn operators() {
        assert_eq!(
            kinds("== != > >= < <= + - * / % ^ = =~ | ."),
            vec![CmpEq, Neq, Gt, Ge, Lt, Le, Add, Sub, Mul, Div, Mod, Pow, Eq, Re, Pipe, Dot]
        );
    }

    #[test]
    fn escaped_quote_does_not_end_a_string() {
        assert_eq!(texts(r#""a\"b" x"#), vec![r#""a\"b""#, "x"]);
        assert_eq!(kinds(r#""a\"#), vec![Error]);
    }
}
