//! Redaction of text before it leaves the machine: IPs, emails, keys and
//! tokens, and passwords in `key=value` pairs (mode `default`); also host
//! names, user names, UUIDs, MAC addresses and long hex or base64 runs (mode
//! `strict`). Each distinct value gets a stable placeholder (`<IP_3>`) for the
//! life of a [`Redactor`], and [`Redactor::restore`] maps the placeholders in
//! the model's reply back to the real values, so a generated query or a quoted
//! evidence line holds what the logs hold.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::config::RedactionMode;

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Ip,
    Email,
    Key,
    Secret,
    Host,
    User,
    Id,
    Mac,
}

impl Category {
    const ALL: [Category; 8] =
        [Self::Ip, Self::Email, Self::Key, Self::Secret, Self::Host, Self::User, Self::Id, Self::Mac];

    /// The placeholder prefix: `IP` in `<IP_3>`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Ip => "IP",
            Self::Email => "EMAIL",
            Self::Key => "KEY",
            Self::Secret => "SECRET",
            Self::Host => "HOST",
            Self::User => "USER",
            Self::Id => "ID",
            Self::Mac => "MAC",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Ip => "IPs",
            Self::Email => "emails",
            Self::Key => "keys/tokens",
            Self::Secret => "passwords",
            Self::Host => "host names",
            Self::User => "user names",
            Self::Id => "ids",
            Self::Mac => "MAC addresses",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Values replaced, by category (occurrences, not distinct values).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionCounts(pub [u64; 8]);

impl RedactionCounts {
    pub fn get(&self, c: Category) -> u64 {
        self.0.get(c.index()).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    pub fn add(&mut self, o: &RedactionCounts) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a += b;
        }
    }
}

impl fmt::Display for RedactionCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.total() == 0 {
            return f.write_str("nothing redacted");
        }
        let parts: Vec<String> = Category::ALL
            .iter()
            .filter(|c| self.get(**c) > 0)
            .map(|c| format!("{} {}", self.get(*c), c.label()))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// One detector: a regex, the capture group that holds the secret (0 = all).
struct Rule {
    cat: Category,
    re: Regex,
    group: usize,
}

fn rule(cat: Category, pattern: &str, group: usize) -> Option<Rule> {
    // The patterns are constants, checked by the unit tests; a bad one is dropped, never a panic.
    Regex::new(pattern).ok().map(|re| Rule { cat, re, group })
}

const KV_SECRET_KEYS: &str = r"pass(?:word|wd|phrase)?|pwd|secret|client[_-]?secret|token|access[_-]?token|refresh[_-]?token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|auth(?:orization)?|credentials?|session[_-]?id|cookie";

static DEFAULT_RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    [
        rule(Category::Key, r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----", 0),
        rule(Category::Key, r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", 0),
        rule(Category::Key, r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}", 0),
        rule(Category::Key, r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", 0),
        rule(Category::Key, r"\bgh[pousr]_[A-Za-z0-9]{30,}\b", 0),
        rule(Category::Key, r"\bxox[abprs]-[A-Za-z0-9-]{10,}", 0),
        rule(Category::Key, r"\bAIza[0-9A-Za-z_-]{35}\b", 0),
        rule(Category::Key, r"(?i)\bbearer\s+([A-Za-z0-9._~+/-]{8,}=*)", 1),
        rule(Category::Secret, r"(?i)[a-z][a-z0-9+.-]*://[^\s:/@]+:([^\s@/]+)@", 1),
        rule(
            Category::Secret,
            &format!(r#"(?i)\b(?:{KV_SECRET_KEYS})\b["']?\s*[=:]\s*(?:(?:bearer|basic)\s+)?("[^"\n]*"|'[^'\n]*'|[^\s,;&"']+)"#),
            1,
        ),
        rule(Category::Email, r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b", 0),
        rule(Category::Ip, r"\b(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\b", 0),
        rule(Category::Ip, r"(?i)\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b", 0),
        rule(Category::Ip, r"(?i)\b(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,5})?\b", 0),
        rule(Category::Ip, r"(?i)(?:^|[\s/\[(=])(::(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4})\b", 1),
    ]
    .into_iter()
    .flatten()
    .collect()
});

static STRICT_RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    [
        rule(Category::User, r#"(?i)\b(?:user(?:name)?|uid|login|owner|account)\b["']?\s*[=:]\s*("[^"\n]*"|'[^'\n]*'|[^\s,;&"']+)"#, 1),
        rule(Category::User, r"(?:/home/|/Users/|\\Users\\)([^\s/\\]+)", 1),
        rule(Category::Mac, r"(?i)\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b", 0),
        rule(Category::Id, r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", 0),
        rule(Category::Id, r"(?i)\b[0-9a-f]{24,}\b", 0),
        rule(Category::Id, r"\b[A-Za-z0-9+/_-]*(?:[A-Z][A-Za-z0-9+/_-]*[0-9]|[0-9][A-Za-z0-9+/_-]*[A-Z])[A-Za-z0-9+/_-]*={0,2}", 0),
        rule(
            Category::Host,
            r"(?i)\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|net|org|io|dev|local|localdomain|internal|intranet|lan|corp|home|cloud|edu|gov)\b",
            0,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
});

/// A long mixed base64 run is an `Id` only from 32 characters on.
const MIN_OPAQUE_RUN: usize = 32;

static PLACEHOLDER: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"<([A-Z]+)_([0-9]+)>").ok());

/// Replaces secrets by placeholders and maps them back. One per conversation:
/// the same value always gets the same placeholder.
#[derive(Debug, Clone)]
pub struct Redactor {
    mode: RedactionMode,
    to_placeholder: HashMap<(Category, String), String>,
    to_value: HashMap<String, String>,
    next: [u32; 8],
    counts: RedactionCounts,
}

impl Redactor {
    pub fn new(mode: RedactionMode) -> Self {
        Self { mode, to_placeholder: HashMap::new(), to_value: HashMap::new(), next: [0; 8], counts: RedactionCounts::default() }
    }

    pub fn mode(&self) -> RedactionMode {
        self.mode
    }

    /// What was replaced so far.
    pub fn counts(&self) -> RedactionCounts {
        self.counts
    }

    /// `text` with every secret replaced by its placeholder.
    pub fn redact(&mut self, text: &str) -> String {
        let rules: Vec<&Rule> = match self.mode {
            RedactionMode::Off => return text.to_owned(),
            RedactionMode::Default => DEFAULT_RULES.iter().collect(),
            RedactionMode::Strict => DEFAULT_RULES.iter().chain(STRICT_RULES.iter()).collect(),
        };
        let mut spans: Vec<(usize, usize, Category)> = Vec::new();
        for r in rules {
            for caps in r.re.captures_iter(text) {
                let Some(m) = caps.get(r.group) else { continue };
                let v = m.as_str();
                if v.is_empty() || is_placeholder(v) {
                    continue;
                }
                if r.cat == Category::Id && !v.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') && v.len() < MIN_OPAQUE_RUN {
                    continue;
                }
                spans.push((m.start(), m.end(), r.cat));
            }
        }
        // Earliest first, longest first; drop overlaps.
        spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (s, e, cat) in spans {
            if s < at {
                continue;
            }
            out.push_str(text.get(at..s).unwrap_or(""));
            let value = text.get(s..e).unwrap_or("");
            out.push_str(&self.placeholder(cat, value));
            at = e;
        }
        out.push_str(text.get(at..).unwrap_or(""));
        out
    }

    fn placeholder(&mut self, cat: Category, value: &str) -> String {
        if let Some(c) = self.counts.0.get_mut(cat.index()) {
            *c += 1;
        }
        let key = (cat, value.to_owned());
        if let Some(p) = self.to_placeholder.get(&key) {
            return p.clone();
        }
        let n = match self.next.get_mut(cat.index()) {
            Some(n) => {
                *n += 1;
                *n
            }
            None => 0,
        };
        let p = format!("<{}_{n}>", cat.tag());
        self.to_placeholder.insert(key, p.clone());
        self.to_value.insert(p.clone(), value.to_owned());
        p
    }

    /// `text` with every known placeholder replaced by its value; unknown ones are left.
    pub fn restore(&self, text: &str) -> String {
        if self.to_value.is_empty() {
            return text.to_owned();
        }
        let Some(re) = PLACEHOLDER.as_ref() else { return text.to_owned() };
        re.replace_all(text, |c: &regex::Captures<'_>| {
            let whole = c.get(0).map_or("", |m| m.as_str());
            self.to_value.get(whole).cloned().unwrap_or_else(|| whole.to_owned())
        })
        .into_owned()
    }

    /// Restores every string (keys too) of a JSON value in place.
    pub fn restore_json(&self, v: &mut serde_json::Value) {
        use serde_json::Value;
        if self.to_value.is_empty() {
            return;
        }
        match v {
            Value::String(s) => *s = self.restore(s),
            Value::Array(a) => a.iter_mut().for_each(|x| self.restore_json(x)),
            Value::Object(o) => {
                let old = std::mem::take(o);
                for (k, mut x) in old {
                    self.restore_json(&mut x);
                    o.insert(self.restore(&k), x);
                }
            }
            _ => {}
        }
    }
}

/// Maps placeholders back in a reply that arrives in pieces: a piece that ends
/// inside a possible placeholder (`... <IP_`) is held back until it is complete.
#[derive(Debug)]
pub struct StreamRestorer<'a> {
    redactor: &'a Redactor,
    pending: String,
}

/// The longest placeholder prefix held back.
const MAX_PLACEHOLDER: usize = 24;

impl<'a> StreamRestorer<'a> {
    pub fn new(redactor: &'a Redactor) -> Self {
        Self { redactor, pending: String::new() }
    }

    /// Text safe to show after `piece`.
    pub fn push(&mut self, piece: &str) -> String {
        if self.redactor.to_value.is_empty() {
            return piece.to_owned();
        }
        self.pending.push_str(piece);
        let hold = match self.pending.rfind('<') {
            Some(i) => {
                let tail = self.pending.get(i..).unwrap_or("");
                let open = !tail.contains('>')
                    && tail.len() <= MAX_PLACEHOLDER
                    && tail.chars().skip(1).all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if open { i } else { self.pending.len() }
            }
            None => self.pending.len(),
        };
        let rest = self.pending.split_off(hold);
        let ready = std::mem::replace(&mut self.pending, rest);
        self.redactor.restore(&ready)
    }

    /// Whatever is still held back.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        self.redactor.restore(&rest)
    }
}

fn is_placeholder(s: &str) -> bool {
    PLACEHOLDER.as_ref().is_some_and(|re| re.find(s).is_some_and(|m| m.start() == 0 && m.end() == s.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_patterns_compile() {
        assert_eq!(DEFAULT_RULES.len(), 15);
        assert_eq!(STRICT_RULES.len(), 7);
        assert!(PLACEHOLDER.is_some());
    }

    #[test]
    fn default_mode_masks_ips_emails_keys_and_passwords_with_stable_placeholders() {
        let mut r = Redactor::new(RedactionMode::Default);
        let line = "081109 203615 148 INFO dfs.DataNode: Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.250.19.102:50010";
        let out = r.redact(line);
        assert_eq!(
            out,
            "081109 203615 148 INFO dfs.DataNode: Receiving block blk_-1608999687919862906 src: /<IP_1>:54106 dest: /<IP_1>:50010"
        );
        let out2 = r.redact("from 10.251.31.5 and 10.250.19.102 mail bob@example.com password=hunter2 key sk-abcdefghijklmnop1234 Authorization: Bearer abc.def-ghi12345");
        assert_eq!(
            out2,
            "from <IP_2> and <IP_1> mail <EMAIL_1> password=<SECRET_1> key <KEY_1> Authorization: Bearer <KEY_2>"
        );
        assert_eq!(r.counts().get(Category::Ip), 4);
        assert_eq!(r.counts().get(Category::Email), 1);
        assert_eq!(r.counts().get(Category::Secret), 1);
        assert_eq!(r.counts().get(Category::Key), 2);
        assert_eq!(r.counts().to_string(), "4 IPs, 1 emails, 2 keys/tokens, 1 passwords");
        // Model output with placeholders maps back to the real values.
        let reply = r.restore(r#"{app="hdfs"} |= "<IP_1>" and <EMAIL_1>, unknown <IP_9>"#);
        assert_eq!(reply, r#"{app="hdfs"} |= "10.250.19.102" and bob@example.com, unknown <IP_9>"#);
    }

    #[test]
    fn key_value_secrets_quoted_and_url_credentials() {
        let mut r = Redactor::new(RedactionMode::Default);
        let out = r.redact(r#"login ok api_key: "a b c" token='x1' db=postgres://app:s3cr3t@db:5432/x PWD=p@ss;"#);
        assert_eq!(out, r#"login ok api_key: <SECRET_1> token=<SECRET_2> db=postgres://app:<SECRET_3>@db:5432/x PWD=<SECRET_4>;"#);
        assert_eq!(r.restore(&out), r#"login ok api_key: "a b c" token='x1' db=postgres://app:s3cr3t@db:5432/x PWD=p@ss;"#);
    }

    #[test]
    fn not_redacted_in_default_mode() {
        let mut r = Redactor::new(RedactionMode::Default);
        for s in [
            "PacketResponder 1 for block blk_38865049064139660 terminating",
            "at 12:30:45 took 1.5s version 2.7",
            "std::string data::feed Class::add",
            "user=alice host=node1.example.com",
        ] {
            assert_eq!(r.redact(s), s);
        }
        assert_eq!(r.counts().total(), 0);
        assert_eq!(Redactor::new(RedactionMode::Off).redact("10.0.0.1 password=x"), "10.0.0.1 password=x");
    }

    #[test]
    fn strict_mode_adds_users_hosts_and_ids() {
        let mut r = Redactor::new(RedactionMode::Strict);
        let out = r.redact(
            "user=alice host=node1.example.com /home/bob/x 3f2504e0-4f89-11d3-9a0c-0305e82c3301 mac 00:1a:2b:3c:4d:5e 10.0.0.1 dfs.DataNode$PacketResponder",
        );
        assert_eq!(out, "user=<USER_1> host=<HOST_1> /home/<USER_2>/x <ID_1> mac <MAC_1> <IP_1> dfs.DataNode$PacketResponder");
    }

    #[test]
    fn streamed_pieces_are_restored_across_boundaries() {
        let mut r = Redactor::new(RedactionMode::Default);
        r.redact("10.0.0.1 and 10.0.0.2");
        let reply = "a <IP_1> b <IP_2>< c <d> <IP_9>";
        for step in 1..reply.len() {
            let mut s = StreamRestorer::new(&r);
            let mut out = String::new();
            let chars: Vec<char> = reply.chars().collect();
            for piece in chars.chunks(step) {
                out.push_str(&s.push(&piece.iter().collect::<String>()));
            }
            out.push_str(&s.finish());
            assert_eq!(out, "a 10.0.0.1 b 10.0.0.2< c <d> <IP_9>", "step {step}");
        }
    }

    #[test]
    fn ipv6_and_json_restore() {
        let mut r = Redactor::new(RedactionMode::Default);
        let out = r.redact("peer fe80::1ff:fe23:4567:890a and ::1 ok");
        assert_eq!(out, "peer <IP_1> and <IP_2> ok");
        let mut v = serde_json::json!({"summary": "talks to <IP_1>", "<IP_2>": ["<IP_1>", 3]});
        r.restore_json(&mut v);
        assert_eq!(v, serde_json::json!({"summary": "talks to fe80::1ff:fe23:4567:890a", "::1": ["fe80::1ff:fe23:4567:890a", 3]}));
    }
}
