//! One log line parsed by a dataset's format: header fields, timestamp,
//! normalised level and content. A line that does not fit the format is kept
//! whole as content. For JSON and logfmt lines the content is the message,
//! decoded when it holds escapes, and [`Parsed::shape`] says what the line was.

use std::borrow::Cow;

use crate::dataset::structured::{Shape, decode as decode_value};
use crate::dataset::timestamp::CachedParser;
use crate::dataset::{Dataset, FieldSpans};

/// A parsed line. Spans are relative to `text`.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Whether the header pattern matched.
    pub fit: bool,
    /// Field spans (empty when `fit` is false).
    pub fields: FieldSpans,
    /// Offset of the stripped line inside the raw line.
    pub trim_start: u32,
    /// Span of the content inside the raw line.
    pub content: (u32, u32),
    /// Nanoseconds since the epoch, UTC (before year roll-over adjustment).
    pub ts: Option<i64>,
    /// Canonical level id (see [`crate::dataset::level::LEVELS`]).
    pub level: u8,
    /// What the line was (a structured format tells plain, invalid and
    /// message-less lines apart; a pattern says `Message` or `Plain`).
    pub shape: Shape,
    /// The line has stamp text that did not parse.
    pub ts_bad: bool,
    /// The content when it is not a span of the line (an escaped message).
    pub decoded: Option<String>,
}

impl Parsed {
    /// The text of field `i` of `raw`, or "" when the line did not fit.
    pub fn field<'a>(&self, raw: &'a str, i: usize) -> &'a str {
        match self.fields.as_slice().get(i) {
            Some(&(a, b)) if self.fit => {
                let o = self.trim_start as usize;
                &raw[o + a as usize..o + b as usize]
            }
            _ => "",
        }
    }

    /// The content of `raw` (the decoded message when there is one).
    pub fn content<'a>(&'a self, raw: &'a str) -> &'a str {
        match &self.decoded {
            Some(d) => d,
            None => raw.get(self.content.0 as usize..self.content.1 as usize).unwrap_or(""),
        }
    }
}

/// Parses lines for one dataset; holds per-thread caches.
#[derive(Debug, Clone)]
pub struct LineParser<'d> {
    ds: &'d Dataset,
    ts: Option<CachedParser>,
}

/// Bytes to text: borrowed when valid UTF-8, otherwise decoded lossily (the
/// second value says so, to be counted).
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), false),
        Err(_) => (String::from_utf8_lossy(bytes), true),
    }
}

fn trim_bounds(s: &str) -> (usize, usize) {
    let start = s.len() - s.trim_start().len();
    let end = s.trim_end().len();
    (start, end.max(start))
}

impl<'d> LineParser<'d> {
    pub fn new(ds: &'d Dataset) -> Self {
        Self { ds, ts: ds.timestamp.clone().map(CachedParser::new) }
    }

    pub fn dataset(&self) -> &'d Dataset {
        self.ds
    }

    /// Whether a raw line fits the header format (used to keep continuation lines with their record).
    pub fn fits(&self, raw: &str) -> bool {
        let (s, e) = trim_bounds(raw);
        let mut spans = FieldSpans::default();
        self.ds.header.match_line(&raw[s..e], &mut spans)
    }

    /// Parses one raw line (without its line ending) into `out`.
    pub fn parse(&mut self, raw: &str, out: &mut Parsed) {
        let (s, e) = trim_bounds(raw);
        let trimmed = &raw[s..e];
        out.trim_start = s as u32;
        out.shape = self.ds.header.match_shape(trimmed, &mut out.fields);
        out.fit = out.shape.is_structured();
        out.ts = None;
        out.ts_bad = false;
        out.level = 0;
        out.decoded = None;
        if !out.fit {
            out.fields.clear();
            out.content = (s as u32, e as u32);
            return;
        }
        out.content = match self.ds.header.content_index().and_then(|i| out.fields.as_slice().get(i)) {
            Some(&(a, b)) => ((s + a as usize) as u32, (s + b as usize) as u32),
            None => (e as u32, e as u32),
        };
        if let Shape::Message { escaped: true } = out.shape {
            out.decoded = Some(decode_value(raw.get(out.content.0 as usize..out.content.1 as usize).unwrap_or(""), true).into_owned());
        }
        if let Some(tp) = &mut self.ts {
            let spans = out.fields.as_slice();
            let field = |i: usize| spans.get(i).map_or("", |&(a, b)| trimmed.get(a as usize..b as usize).unwrap_or(""));
            out.ts = tp.parse(field);
            out.ts_bad = out.ts.is_none() && tp.spec().has_text(field);
        }
        if let Some(li) = self.ds.level_field {
            out.level = self.ds.levels.normalise(out.field(raw, li));
        }
    }
}
