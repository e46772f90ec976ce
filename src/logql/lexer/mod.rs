//! The LogQL lexer: turns a query into tokens with byte spans, the way Loki's
//! lexer does (keywords are case-insensitive, function names are keywords only
//! when a `(` or `by (`/`without (` follows, `[5m]` is one token, numbers
//! followed by a unit are durations or byte sizes). It never fails: junk
//! becomes [`TokenKind::Error`], so the same tokens serve syntax highlighting.

use std::ops::Range;

use super::ast::{RangeOp, VectorOp};
use super::duration::{parse_bytes, parse_duration};

#[cfg(test)]
mod tests;
mod words;

pub use words::is_reserved_word;
use words::{call_follows, function_kind, keyword_kind};

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

/// The longest run after a number that may still make a duration or size.
const MAX_UNIT_SUFFIX: usize = 64;

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
        if let Some(end) =
            self.unit_suffix(start, i, is_duration_char, |t| parse_duration(t).is_some())
        {
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
            .take(MAX_UNIT_SUFFIX + 1)
            .find(|(_, c)| !in_class(*c))
            .map_or(rest.len(), |(i, _)| i);
        // No real duration or size is this long; refusing longer runs keeps
        // lexing linear on inputs like `1.1.1.1.1...`.
        if len == 0 || len > MAX_UNIT_SUFFIX {
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
