//! Structured lines: one JSON object or one logfmt line per record. The
//! dataset names which keys play a role (the message, the timestamp, the
//! level, the labels, session ids); each role is a header field whose span is
//! the value's text in the line, so everything that reads Loghub headers
//! (the indexer, the embedded engine, `parse`) reads these lines too. The
//! other keys are the line's structured fields ([`StructuredFormat::each_field`]).
//!
//! A line that is not structured (a plain line in a mixed file) does not fit
//! and goes through whole as a plain message; a line that starts like JSON
//! but does not parse is told apart ([`Shape::Invalid`]) so it can be counted.

pub mod json;
pub mod logfmt;

use std::borrow::Cow;

use super::FieldSpans;

/// JSON or logfmt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructKind {
    Json,
    Logfmt,
}

impl StructKind {
    /// `json` or `logfmt` (as `format` is written in dataset.toml), else None.
    pub fn from_format(format: &str) -> Option<Self> {
        match format.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Self::Json),
            "logfmt" => Some(Self::Logfmt),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Logfmt => "logfmt",
        }
    }
}

/// Keys tried for the message when `message_field` is not set, in order:
/// Bunyan, Pino, zap, logrus, slog (`msg`), ECS (`message`), Docker
/// json-file (`log`), GELF (`short_message`), journald (`MESSAGE`),
/// OpenTelemetry (`body`).
pub const MESSAGE_KEYS: [&str; 6] = ["msg", "message", "log", "short_message", "MESSAGE", "body"];
/// Keys tried for the timestamp when `timestamp_field` is not set (journald's
/// `__REALTIME_TIMESTAMP` is in microseconds, read by `auto`).
pub const TIMESTAMP_KEYS: [&str; 7] = ["ts", "time", "timestamp", "@timestamp", "t", "__REALTIME_TIMESTAMP", "observedTimestamp"];
/// Keys tried for the level when `level_field` is not set.
pub const LEVEL_KEYS: [&str; 6] = ["level", "lvl", "severity", "loglevel", "severityText", "PRIORITY"];

/// What a line turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shape {
    /// Not structured (a plain line).
    #[default]
    Plain,
    /// It starts like a structured line but does not parse.
    Invalid,
    /// Structured, with its message.
    Message { escaped: bool },
    /// Structured, but the message key is absent.
    NoMessage,
    /// Structured, but the message is not a string (a number, an object...).
    MessageNotString,
}

impl Shape {
    pub fn is_structured(self) -> bool {
        matches!(self, Shape::Message { .. } | Shape::NoMessage | Shape::MessageNotString)
    }
}

/// One role: a field name (as [`super::HeaderFormat::fields`] lists it) and the
/// keys that may hold it, in order of preference.
#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub keys: Vec<String>,
}

/// A compiled structured format. Field 0 is always the message (`Content`).
#[derive(Debug, Clone)]
pub struct StructuredFormat {
    kind: StructKind,
    roles: Vec<Role>,
    /// Keys that are not structured fields: the message, timestamp and level keys.
    not_fields: Vec<String>,
}

/// Most nested levels flattened into field names (`a_b_c`); deeper objects are one value.
const FLATTEN_DEPTH: usize = 4;

impl StructuredFormat {
    /// `roles[0]` must be the message role.
    pub fn new(kind: StructKind, roles: Vec<Role>, not_fields: Vec<String>) -> Self {
        Self { kind, roles, not_fields }
    }

    pub fn kind(&self) -> StructKind {
        self.kind
    }

    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// Matches a trimmed line: one span per role in `out` (empty when the key
    /// is absent); the message span is the whole line when the message is
    /// absent or not a string. Spans of strings are the text between the
    /// quotes, escapes not decoded.
    pub fn match_line(&self, line: &str, out: &mut FieldSpans) -> Shape {
        out.clear();
        let mut best: [(usize, (u32, u32)); 16] = [(usize::MAX, (0, 0)); 16];
        let mut msg_kind: Option<bool> = None; // Some(escaped) when the message is a string
        let mut msg_seen = false;
        let n = self.roles.len().min(16);
        let roles = &self.roles[..n];
        let mut visit = |key: &str, span: (usize, usize), string: Option<bool>| {
            for (ri, role) in roles.iter().enumerate() {
                let Some(pref) = role.keys.iter().position(|k| k == key) else { continue };
                if pref >= best[ri].0 {
                    continue;
                }
                if ri == 0 {
                    msg_seen = true;
                    msg_kind = string;
                }
                best[ri] = (pref, (span.0 as u32, span.1 as u32));
            }
        };
        let shape = match self.kind {
            StructKind::Json => {
                let r = json::scan_object(line, &mut |m| {
                    let key = if m.key_escaped { json::unescape(m.key) } else { Cow::Borrowed(m.key) };
                    let string = match m.kind {
                        json::Kind::String { escaped } => Some(escaped),
                        _ => None,
                    };
                    visit(&key, m.span, string);
                });
                match r {
                    Ok(()) => None,
                    Err(json::JsonError::NotObject) => Some(Shape::Plain),
                    Err(_) => Some(Shape::Invalid),
                }
            }
            StructKind::Logfmt => {
                let r = logfmt::scan(line, &mut |p| {
                    if p.has_value {
                        visit(p.key, p.span, Some(p.escaped));
                    }
                });
                match r {
                    Ok(()) => None,
                    Err(logfmt::LogfmtError::NotLogfmt) => Some(Shape::Plain),
                    Err(logfmt::LogfmtError::Malformed(_)) => Some(Shape::Invalid),
                }
            }
        };
        if let Some(s) = shape {
            out.clear();
            return s;
        }
        let shape = match (msg_seen, msg_kind) {
            (true, Some(escaped)) => Shape::Message { escaped },
            (true, None) => Shape::MessageNotString,
            (false, _) => Shape::NoMessage,
        };
        if !matches!(shape, Shape::Message { .. }) {
            best[0].1 = (0, line.len() as u32);
        }
        for b in best.iter().take(n) {
            out.push(b.1);
        }
        shape
    }

    /// Calls `f(name, value)` for each structured field of a line that
    /// matched: every key but the message, timestamp and level keys, values
    /// decoded (strings unescaped, other JSON values as written), nested JSON
    /// objects flattened into `parent_child` names as Loki's `json` parser
    /// does. Bare logfmt keys (no `=`) are left out.
    pub fn each_field(&self, line: &str, f: &mut dyn FnMut(&str, &str)) {
        // Only whole lines: a line that breaks off gives no fields at all.
        let valid = match self.kind {
            StructKind::Json => json::scan_object(line, &mut |_| {}).is_ok(),
            StructKind::Logfmt => logfmt::scan(line, &mut |_| {}).is_ok(),
        };
        if !valid {
            return;
        }
        match self.kind {
            StructKind::Json => self.json_fields(line, "", 0, f),
            StructKind::Logfmt => {
                let _ = logfmt::scan(line, &mut |p| {
                    if !p.has_value || self.not_fields.iter().any(|k| k == p.key) {
                        return;
                    }
                    let raw = line.get(p.span.0..p.span.1).unwrap_or("");
                    let v = if p.escaped { json::unescape(raw) } else { Cow::Borrowed(raw) };
                    f(p.key, &v);
                });
            }
        }
    }

    fn json_fields(&self, text: &str, prefix: &str, depth: usize, f: &mut dyn FnMut(&str, &str)) {
        let _ = json::scan_object(text, &mut |m| {
            let key = if m.key_escaped { json::unescape(m.key) } else { Cow::Borrowed(m.key) };
            if depth == 0 && self.not_fields.iter().any(|k| *k == *key) {
                return;
            }
            let name: Cow<'_, str> = if prefix.is_empty() { key } else { Cow::Owned(format!("{prefix}_{key}")) };
            let raw = text.get(m.span.0..m.span.1).unwrap_or("");
            match m.kind {
                json::Kind::Object if depth + 1 < FLATTEN_DEPTH => self.json_fields(raw, &name, depth + 1, f),
                json::Kind::String { escaped: true } => f(&name, &json::unescape(raw)),
                _ => f(&name, raw),
            }
        });
    }
}

/// The text of a role's value: strings unescaped when they hold escapes.
pub fn decode(raw: &str, escaped: bool) -> Cow<'_, str> {
    if escaped { json::unescape(raw) } else { Cow::Borrowed(raw) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(kind: StructKind) -> StructuredFormat {
        let role = |name: &str, keys: &[&str]| Role { name: name.into(), keys: keys.iter().map(|s| s.to_string()).collect() };
        StructuredFormat::new(
            kind,
            vec![role("Content", &MESSAGE_KEYS), role("ts", &["ts"]), role("level", &LEVEL_KEYS), role("service", &["service"])],
            ["msg", "message", "log", "ts", "level", "lvl", "severity", "loglevel"].map(String::from).to_vec(),
        )
    }

    fn spans(f: &StructuredFormat, line: &str) -> (Shape, Vec<String>) {
        let mut s = FieldSpans::default();
        let shape = f.match_line(line, &mut s);
        (shape, s.as_slice().iter().map(|&(a, b)| line[a as usize..b as usize].to_string()).collect())
    }

    #[test]
    fn json_roles() {
        let f = fmt(StructKind::Json);
        let (shape, v) = spans(&f, r#"{"ts":"2024-01-02T03:04:05Z","lvl":"warn","level":"error","msg":"disk \"sda\" full","service":"api"}"#);
        assert_eq!(shape, Shape::Message { escaped: true });
        assert_eq!(v, [r#"disk \"sda\" full"#, "2024-01-02T03:04:05Z", "error", "api"]);
        // `message` is used when `msg` is absent; `msg` wins when both are there.
        let (_, v) = spans(&f, r#"{"message":"b","log":"c"}"#);
        assert_eq!(v[0], "b");
        let (_, v) = spans(&f, r#"{"log":"c","msg":"a"}"#);
        assert_eq!(v[0], "a");
        let line = r#"{"msg":42,"ts":"x"}"#;
        assert_eq!(spans(&f, line), (Shape::MessageNotString, vec![line.to_string(), "x".into(), "".into(), "".into()]));
        assert_eq!(spans(&f, r#"{"ts":"x"}"#).0, Shape::NoMessage);
        assert_eq!(spans(&f, "plain words").0, Shape::Plain);
        assert_eq!(spans(&f, r#"{"msg":"cut"#), (Shape::Invalid, vec![]));
    }

    #[test]
    fn logfmt_roles() {
        let f = fmt(StructKind::Logfmt);
        let (shape, v) = spans(&f, r#"ts=1 level=info service=api msg="GET /x done""#);
        assert_eq!(shape, Shape::Message { escaped: false });
        assert_eq!(v, ["GET /x done", "1", "info", "api"]);
        assert_eq!(spans(&f, "Starting up").0, Shape::Plain);
        assert_eq!(spans(&f, r#"a=1 msg="open"#).0, Shape::Invalid);
    }

    proptest::proptest! {
        /// Any line: no panic, spans inside the line, on character boundaries.
        #[test]
        fn any_line_is_safe(line in "[{}\\[\\]\":,= a-z0-9\\\\é.-]{0,60}") {
            for kind in [StructKind::Json, StructKind::Logfmt] {
                let f = fmt(kind);
                let mut s = FieldSpans::default();
                f.match_line(&line, &mut s);
                for &(a, b) in s.as_slice() {
                    proptest::prop_assert!(line.get(a as usize..b as usize).is_some());
                }
                f.each_field(&line, &mut |_, _| {});
            }
        }
    }

    #[test]
    fn fields_flattened_and_decoded() {
        let f = fmt(StructKind::Json);
        let mut got = Vec::new();
        f.each_field(r#"{"msg":"m","ts":"1","dur_ms":12.5,"user":{"id":"u\"1","tags":["a"]},"ok":true}"#, &mut |k, v| {
            got.push(format!("{k}={v}"))
        });
        assert_eq!(got, ["dur_ms=12.5", "user_id=u\"1", "user_tags=[\"a\"]", "ok=true"]);
        let f = fmt(StructKind::Logfmt);
        let mut got = Vec::new();
        f.each_field(r#"level=info msg=x path="/a b" bare code=200"#, &mut |k, v| got.push(format!("{k}={v}")));
        assert_eq!(got, ["path=/a b", "code=200"]);
    }
}
