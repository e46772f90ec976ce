//! The label-producing stages of a pipeline: the `json`, `logfmt`,
//! `regexp`, `pattern` and `unpack` parsers, and label filters. Each follows
//! Loki's parser: label names sanitised, `_extracted` on a clash with a stream
//! label, `__error__` on malformed input, and the metric-query hints.

use regex::Regex;

use crate::backend::BackendError;

use super::json::{self, JType, PathStep, Stop};
use super::labels::LabelsBuilder;
use super::logfmt::Decoder;

pub const JSON_ERR: &str = "JSONParserErr";
pub const LOGFMT_ERR: &str = "LogfmtParserErr";
pub const LABEL_FILTER_ERR: &str = "LabelFilterErr";
pub const SAMPLE_EXTRACTION_ERR: &str = "SampleExtractionErr";
pub const TEMPLATE_ERR: &str = "TemplateFormatErr";

/// Loki's `sanitizeLabelKey(key, true)`: trimmed, a leading digit prefixed
/// with `_`, every other character outside `[a-zA-Z0-9_]` made `_`.
pub fn sanitize_label_key(key: &str, out: &mut String) {
    let k = key.trim();
    if k.starts_with(|c: char| c.is_ascii_digit()) {
        out.push('_');
    }
    out.extend(k.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }));
}

fn with_suffix(lbs: &LabelsBuilder<'_>, name: &mut String) {
    if lbs.base_has(name) {
        name.push_str("_extracted");
    }
}

/// `| json` without parameters: every scalar, nested keys joined with `_`.
pub fn json_all(line: &[u8], lbs: &mut LabelsBuilder<'_>) {
    if lbs.no_labels() {
        return;
    }
    let mut prefix = String::new();
    if let Err(e) = json_walk(line, &mut prefix, lbs) {
        lbs.add_err(JSON_ERR, Some(e));
    }
}

fn json_walk(obj: &[u8], prefix: &mut String, lbs: &mut LabelsBuilder<'_>) -> Result<(), &'static str> {
    let mut nested_err: Option<&'static str> = None;
    let mut name = String::new();
    json::object_each(obj, &mut |key, value, t| {
        let key = String::from_utf8_lossy(key);
        match t {
            JType::String | JType::Number | JType::Boolean => {
                name.clear();
                if !prefix.is_empty() {
                    name.push_str(prefix);
                    name.push('_');
                }
                sanitize_label_key(&key, &mut name);
                if name.is_empty() {
                    return Ok(());
                }
                with_suffix(lbs, &mut name);
                if lbs.hints().should_extract(&name) {
                    let v = json::read_value(value, t);
                    lbs.set(&name, &v);
                }
            }
            JType::Object => {
                let plen = prefix.len();
                if !prefix.is_empty() {
                    prefix.push('_');
                }
                sanitize_label_key(&key, prefix);
                let r = if lbs.hints().should_extract_prefix(prefix) { json_walk(value, prefix, lbs) } else { Ok(()) };
                prefix.truncate(plen);
                if let Err(e) = r {
                    nested_err = Some(e);
                    return Err(Stop);
                }
            }
            _ => {}
        }
        if lbs.all_required_extracted() {
            return Err(Stop);
        }
        Ok(())
    })?;
    match nested_err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// `| json a="b.c", d`: selected paths only.
pub fn json_params(line: &[u8], params: &[(String, Vec<PathStep>)], lbs: &mut LabelsBuilder<'_>) {
    if line.is_empty() || lbs.no_labels() {
        return;
    }
    if !matches!(line[0], b'"' | b'{' | b'[') {
        lbs.add_err(JSON_ERR, None);
        return;
    }
    let mut matches = 0;
    for (id, path) in params {
        match json::get_path(line, path) {
            Err(e) => lbs.add_err(JSON_ERR, Some(e)),
            Ok(None) => {}
            Ok(Some((v, t))) => {
                let mut key = id.clone();
                with_suffix(lbs, &mut key);
                let val = match t {
                    JType::Null => String::new(),
                    JType::Object => String::from_utf8_lossy(v).into_owned(),
                    _ => json::unescape(v).filter(|s| !s.contains('\u{FFFD}')).unwrap_or_default(),
                };
                lbs.set(&key, &val);
                matches += 1;
            }
        }
    }
    if matches < params.len() {
        for (id, _) in params {
            if lbs.get(id).is_none() {
                lbs.set(id, "");
            }
        }
    }
}

/// `| unpack`: string members become labels and `_entry` the line, but only
/// when the line was packed (has `_entry`). Returns the new line.
pub fn unpack(line: &[u8], lbs: &mut LabelsBuilder<'_>) -> Option<String> {
    if line.is_empty() || lbs.no_labels() {
        return None;
    }
    if line[0] != b'{' {
        lbs.add_err(JSON_ERR, Some("expecting json object(6), but it is not"));
        return None;
    }
    let mut entry: Option<String> = None;
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut bad_escape = false;
    let r = json::object_each(line, &mut |key, value, t| {
        if t != JType::String {
            return Ok(());
        }
        if key == b"_entry" {
            match json::unescape(value) {
                Some(e) => entry = Some(e),
                None => {
                    bad_escape = true;
                    return Err(Stop);
                }
            }
            return Ok(());
        }
        let mut field = String::from_utf8_lossy(key).into_owned();
        with_suffix(lbs, &mut field);
        if !lbs.hints().should_extract(&field) {
            return Ok(());
        }
        let mut name = String::new();
        sanitize_label_key(&field, &mut name);
        pairs.push((name, json::read_value(value, JType::String)));
        Ok(())
    });
    if bad_escape {
        lbs.add_err(JSON_ERR, Some(json::MALFORMED_ESCAPE));
        return None;
    }
    if let Err(e) = r {
        lbs.add_err(JSON_ERR, Some(e));
        return None;
    }
    if entry.is_some() {
        for (n, v) in &pairs {
            lbs.set(n, v);
        }
    }
    entry
}

/// `| logfmt [--strict] [--keep-empty] [a="b", ...]`.
#[derive(Debug, Clone)]
pub struct Logfmt {
    pub strict: bool,
    pub keep_empty: bool,
    /// (label, key) pairs; empty: every key.
    pub params: Vec<(String, String)>,
}

impl Logfmt {
    pub fn process(&self, line: &[u8], lbs: &mut LabelsBuilder<'_>) {
        if self.params.is_empty() && lbs.no_labels() {
            return;
        }
        if !self.params.is_empty() {
            for (id, _) in &self.params {
                if !lbs.base_has(id) {
                    lbs.set(id, "");
                }
            }
        }
        let mut d = Decoder::new(line);
        let mut key = String::new();
        while !d.eol() {
            if !d.scan() {
                if self.strict {
                    break;
                }
                continue;
            }
            key.clear();
            sanitize_label_key(&String::from_utf8_lossy(d.key()), &mut key);
            if key.is_empty() {
                continue;
            }
            let raw = d.value();
            let val = match std::str::from_utf8(raw) {
                Ok(v) if !v.contains('\u{FFFD}') => v,
                _ => "",
            };
            if self.params.is_empty() {
                with_suffix(lbs, &mut key);
                if !lbs.hints().should_extract(&key) {
                    continue;
                }
                if !self.keep_empty && val.is_empty() {
                    continue;
                }
                lbs.set(&key, val);
                if lbs.all_required_extracted() {
                    break;
                }
            } else {
                if let Some((id, _)) = self.params.iter().find(|(_, k)| *k == key) {
                    key = id.clone();
                }
                if self.params.iter().any(|(id, _)| *id == key) {
                    with_suffix(lbs, &mut key);
                    lbs.set(&key, val);
                }
            }
        }
        if self.strict {
            if let Some(e) = d.err() {
                let e = e.to_string();
                lbs.add_err(LOGFMT_ERR, Some(&e));
            }
        }
    }
}

/// `| regexp "..."`: named groups become labels.
#[derive(Debug, Clone)]
pub struct RegexpParser {
    re: Regex,
    names: Vec<(usize, String)>,
}

impl RegexpParser {
    pub fn new(pattern: &str) -> Result<Self, BackendError> {
        let re = super::matcher::build_regex(pattern)?;
        let mut names = Vec::new();
        for (i, n) in re.capture_names().enumerate() {
            if let Some(n) = n {
                if !valid_label_name(n) {
                    return Err(super::compile_error(format!("invalid extracted label name '{n}'")));
                }
                names.push((i, n.to_string()));
            }
        }
        if names.is_empty() {
            return Err(super::compile_error("at least one named capture must be supplied"));
        }
        Ok(Self { re, names })
    }

    /// Extracts the named groups; `locs` is reused between lines.
    pub fn process(&self, line: &str, lbs: &mut LabelsBuilder<'_>, locs: &mut Option<regex::CaptureLocations>) {
        let locs = locs.get_or_insert_with(|| self.re.capture_locations());
        if self.re.captures_read(locs, line).is_none() {
            return;
        }
        for (i, n) in &self.names {
            let v = locs.get(*i).and_then(|(a, b)| line.get(a..b)).unwrap_or("");
            if lbs.base_has(n) {
                let key = format!("{n}_extracted");
                if lbs.hints().should_extract(&key) {
                    lbs.set(&key, v);
                }
            } else if lbs.hints().should_extract(n) {
                lbs.set(n, v);
            }
        }
    }
}

pub fn valid_label_name(n: &str) -> bool {
    let mut c = n.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_') && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// `| pattern "..."`.
pub fn pattern(p: &super::pattern::Pattern, line: &[u8], lbs: &mut LabelsBuilder<'_>) {
    if lbs.no_labels() {
        return;
    }
    let mut caps = Vec::new();
    p.matches(line, &mut caps);
    for (name, v) in p.names().iter().zip(caps.iter()) {
        let mut key = name.clone();
        with_suffix(lbs, &mut key);
        if !lbs.hints().should_extract(&key) {
            continue;
        }
        let v = String::from_utf8_lossy(v);
        lbs.set(&key, &v);
    }
}

#[cfg(test)]
mod tests {
    use super::super::labels::Hints;
    use super::*;

    fn base() -> Vec<(String, String)> {
        vec![("app".into(), "x".into()), ("level".into(), "INFO".into())]
    }

    #[test]
    fn json_flattens_and_suffixes() {
        let b = base();
        let h = Hints::all();
        let mut l = LabelsBuilder::new(&b, &h);
        json_all(br#"{"level":"warn","req":{"status":200,"1st path":"/a"},"tags":[1,2],"n":null,"ok":true}"#, &mut l);
        assert_eq!(l.get("level_extracted"), Some("warn"));
        assert_eq!(l.get("req_status"), Some("200"));
        assert_eq!(l.get("req__1st_path"), Some("/a"));
        assert_eq!(l.get("ok"), Some("true"));
        assert_eq!(l.get("tags"), None);
        assert_eq!(l.get("n"), None);
        assert!(!l.has_err());
        let mut l = LabelsBuilder::new(&b, &h);
        json_all(b"not json", &mut l);
        assert_eq!(l.err(), JSON_ERR);
        assert!(!l.err_details().is_empty());
    }

    #[test]
    fn json_skipped_without_needed_labels() {
        let b = base();
        let h = Hints::new(&[], &[], false, true, None);
        let mut l = LabelsBuilder::new(&b, &h);
        json_all(b"not json", &mut l);
        assert!(!l.has_err());
    }

    #[test]
    fn json_params_paths() {
        let b = base();
        let h = Hints::all();
        let mut l = LabelsBuilder::new(&b, &h);
        let p = vec![("s".to_string(), json::parse_path("req.status").unwrap()), ("m".to_string(), json::parse_path("missing").unwrap())];
        json_params(br#"{"req":{"status":200}}"#, &p, &mut l);
        assert_eq!(l.get("s"), Some("200"));
        assert_eq!(l.get("m"), Some(""));
    }

    #[test]
    fn logfmt_modes() {
        let b = base();
        let h = Hints::all();
        let mut l = LabelsBuilder::new(&b, &h);
        let lf = Logfmt { strict: false, keep_empty: false, params: vec![] };
        lf.process(b"level=error msg=\"a b\" empty= x=\"bad", &mut l);
        assert_eq!(l.get("level_extracted"), Some("error"));
        assert_eq!(l.get("msg"), Some("a b"));
        assert_eq!(l.get("empty"), None);
        assert!(!l.has_err());
        let mut l = LabelsBuilder::new(&b, &h);
        let strict = Logfmt { strict: true, keep_empty: true, params: vec![] };
        strict.process(b"a= =b c=1", &mut l);
        assert_eq!(l.get("a"), Some(""));
        assert_eq!(l.get("c"), None);
        assert_eq!(l.err(), LOGFMT_ERR);
        let mut l = LabelsBuilder::new(&b, &h);
        let p = Logfmt { strict: false, keep_empty: false, params: vec![("lvl".into(), "level".into())] };
        p.process(b"level=debug other=1", &mut l);
        assert_eq!(l.get("lvl"), Some("debug"));
        assert_eq!(l.get("other"), None);
    }

    #[test]
    fn regexp_and_unpack() {
        let b = base();
        let h = Hints::all();
        let mut l = LabelsBuilder::new(&b, &h);
        let r = RegexpParser::new(r"status: (?P<status>\d+)(?: len: (?P<len>\d+))?").unwrap();
        r.process("x status: 404 y", &mut l, &mut None);
        assert_eq!(l.get("status"), Some("404"));
        assert_eq!(l.get("len"), Some(""));
        assert!(RegexpParser::new("(a)").is_err());
        let mut l = LabelsBuilder::new(&b, &h);
        let e = unpack(br#"{"_entry":"raw line","pod":"p1","n":3}"#, &mut l);
        assert_eq!(e.as_deref(), Some("raw line"));
        assert_eq!(l.get("pod"), Some("p1"));
        let mut l = LabelsBuilder::new(&b, &h);
        assert!(unpack(br#"{"pod":"p1"}"#, &mut l).is_none());
        assert_eq!(l.get("pod"), None);
    }

}
