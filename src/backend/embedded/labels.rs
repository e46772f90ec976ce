//! The labels of one line as it moves through a pipeline: the stream's labels
//! (the base), labels added by parsers and formatters, deleted labels, and the
//! `__error__` / `__error_details__` pair. Mirrors Loki's `LabelsBuilder`,
//! including its parser hints (which labels a metric query needs at all).

use crate::logql::value::Labels;

pub const ERROR_LABEL: &str = "__error__";
pub const ERROR_DETAILS_LABEL: &str = "__error_details__";
pub const PRESERVE_ERROR_LABEL: &str = "__preserve_error__";

/// Which labels a metric query needs from parsers (Loki's `ParserHint`).
#[derive(Debug, Clone, Default)]
pub struct Hints {
    /// Parsers extract nothing (e.g. `sum(count_over_time({..} | json [5m]))`).
    pub no_labels: bool,
    /// When set, parsers extract only these names.
    pub required: Option<Vec<String>>,
    /// `__error__` is grouped on: errors are kept as labels, not refused.
    pub preserve_error: bool,
}

impl Hints {
    /// Log queries and ungrouped metrics: everything.
    pub fn all() -> Self {
        Self::default()
    }

    /// Loki's `NewParserHint`.
    pub fn new(required_by_stages: &[String], groups: &[String], without: bool, no_labels: bool, unwrap: Option<&str>) -> Self {
        let mut hints: Vec<String> = Vec::new();
        let mut push = |l: &str| {
            if !hints.iter().any(|h| h == l) {
                hints.push(l.to_string());
            }
            if let Some(t) = l.strip_suffix("_extracted") {
                if !t.is_empty() && !hints.iter().any(|h| h == t) {
                    hints.push(t.to_string());
                }
            }
        };
        for l in required_by_stages.iter().chain(groups.iter()) {
            push(l);
        }
        if let Some(u) = unwrap {
            push(u);
        }
        hints.retain(|h| !h.is_empty());
        let preserve_error = hints.iter().any(|h| h == ERROR_LABEL);
        if no_labels {
            if !hints.is_empty() {
                return Self { no_labels: false, required: Some(hints), preserve_error };
            }
            return Self { no_labels: true, required: None, preserve_error: false };
        }
        if without || groups.is_empty() {
            return Self::all();
        }
        Self { no_labels: false, required: Some(hints), preserve_error }
    }

    #[inline]
    pub fn should_extract(&self, key: &str) -> bool {
        match &self.required {
            None => true,
            Some(r) => r.is_empty() || r.iter().any(|l| l == key),
        }
    }

    pub fn should_extract_prefix(&self, prefix: &str) -> bool {
        match &self.required {
            None => true,
            Some(r) => r.is_empty() || r.iter().any(|l| l.starts_with(prefix)),
        }
    }
}

/// The labels of the line being processed.
#[derive(Debug)]
pub struct LabelsBuilder<'a> {
    base: &'a [(String, String)],
    hints: &'a Hints,
    add: Vec<(String, String)>,
    /// Number of live entries in `add` (the rest are reusable buffers).
    n_add: usize,
    del: Vec<String>,
    err: String,
    err_details: String,
    /// Bit i: required label i was extracted on this line.
    extracted: u64,
}

/// Reusable buffers of a [`LabelsBuilder`] (kept by a worker between lines).
#[derive(Debug, Default)]
pub struct Bufs {
    add: Vec<(String, String)>,
    del: Vec<String>,
    err: String,
    err_details: String,
}

impl<'a> LabelsBuilder<'a> {
    pub fn new(base: &'a [(String, String)], hints: &'a Hints) -> Self {
        Self::with_bufs(base, hints, Bufs::default())
    }

    /// A builder for a new line reusing earlier allocations.
    pub fn with_bufs(base: &'a [(String, String)], hints: &'a Hints, mut bufs: Bufs) -> Self {
        bufs.del.clear();
        bufs.err.clear();
        bufs.err_details.clear();
        Self { base, hints, add: bufs.add, n_add: 0, del: bufs.del, err: bufs.err, err_details: bufs.err_details, extracted: 0 }
    }

    /// Gives the buffers back for the next line.
    pub fn into_bufs(self) -> Bufs {
        Bufs { add: self.add, del: self.del, err: self.err, err_details: self.err_details }
    }

    pub fn hints(&self) -> &Hints {
        self.hints
    }

    /// Whether parsers should do nothing (no labels needed, or all needed
    /// labels already extracted).
    pub fn no_labels(&self) -> bool {
        self.hints.no_labels || self.all_required_extracted()
    }

    pub fn all_required_extracted(&self) -> bool {
        match &self.hints.required {
            Some(r) if !r.is_empty() && r.len() <= 64 => self.extracted.count_ones() as usize == r.len(),
            _ => false,
        }
    }

    pub fn base_has(&self, name: &str) -> bool {
        self.base.iter().any(|(n, _)| n == name)
    }

    pub fn is_unchanged(&self) -> bool {
        self.n_add == 0 && self.del.is_empty() && self.err.is_empty() && self.err_details.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        if let Some((_, v)) = self.add[..self.n_add].iter().find(|(n, _)| n == name) {
            return Some(v);
        }
        if self.del.iter().any(|d| d == name) {
            return None;
        }
        self.base.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A parsed label (overrides a stream label of the same name).
    pub fn set(&mut self, name: &str, value: &str) {
        if let Some(r) = &self.hints.required {
            if let Some(i) = r.iter().position(|l| l == name) {
                if i < 64 {
                    self.extracted |= 1 << i;
                }
            }
        }
        if let Some(e) = self.add[..self.n_add].iter_mut().find(|(n, _)| n == name) {
            e.1.clear();
            e.1.push_str(value);
            return;
        }
        if self.n_add < self.add.len() {
            let e = &mut self.add[self.n_add];
            e.0.clear();
            e.0.push_str(name);
            e.1.clear();
            e.1.push_str(value);
        } else {
            self.add.push((name.to_string(), value.to_string()));
        }
        self.n_add += 1;
    }

    pub fn del(&mut self, name: &str) {
        if let Some(i) = self.add[..self.n_add].iter().position(|(n, _)| n == name) {
            self.add[i..self.n_add].rotate_left(1);
            self.n_add -= 1;
        }
        if !self.del.iter().any(|d| d == name) {
            self.del.push(name.to_string());
        }
    }

    pub fn set_err(&mut self, e: &str) {
        self.err.clear();
        self.err.push_str(e);
    }

    pub fn set_err_details(&mut self, d: &str) {
        self.err_details.clear();
        self.err_details.push_str(d);
    }

    /// Sets the error (and its details) as a parser does; with preserved
    /// errors also the `__preserve_error__` marker.
    pub fn add_err(&mut self, e: &str, details: Option<&str>) {
        self.set_err(e);
        if let Some(d) = details {
            self.set_err_details(d);
        }
        if self.hints.preserve_error {
            self.set(PRESERVE_ERROR_LABEL, "true");
        }
    }

    pub fn err(&self) -> &str {
        &self.err
    }

    pub fn err_details(&self) -> &str {
        &self.err_details
    }

    pub fn has_err(&self) -> bool {
        !self.err.is_empty()
    }

    pub fn reset_err(&mut self) {
        self.err.clear();
    }

    pub fn reset_err_details(&mut self) {
        self.err_details.clear();
    }

    /// A label's value as label filters see it (`__error__` is the error).
    pub fn filter_value(&self, name: &str) -> &str {
        if name == ERROR_LABEL {
            return &self.err;
        }
        self.get(name).unwrap_or("")
    }

    /// A label as templates see it (the map includes the error pair).
    pub fn template_value(&self, name: &str) -> Option<&str> {
        if name == ERROR_LABEL && !self.err.is_empty() {
            return Some(&self.err);
        }
        if name == ERROR_DETAILS_LABEL && !self.err_details.is_empty() {
            return Some(&self.err_details);
        }
        self.get(name)
    }

    /// Every label (stream labels not deleted or overridden, parsed labels,
    /// then the error pair), unsorted.
    pub fn for_each<'s>(&'s self, mut f: impl FnMut(&'s str, &'s str)) {
        let add = &self.add[..self.n_add];
        for (n, v) in self.base {
            if self.del.iter().any(|d| d == n) || add.iter().any(|(a, _)| a == n) {
                continue;
            }
            f(n, v);
        }
        for (n, v) in add {
            f(n, v);
        }
        if !self.err.is_empty() {
            f(ERROR_LABEL, &self.err);
        }
        if !self.err_details.is_empty() {
            f(ERROR_DETAILS_LABEL, &self.err_details);
        }
    }

    /// The full label set, sorted.
    pub fn labels(&self) -> Labels {
        let mut out = Labels::new();
        self.for_each(|n, v| {
            out.insert(n.to_string(), v.to_string());
        });
        out
    }

    /// The names of all current labels (for `keep`).
    pub fn names(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each(|n, _| out.push(n.to_string()));
        out
    }

    /// The labels a sample is recorded under (Loki's `GroupedLabels`): with an
    /// error all labels (so the error is seen), else the grouping applied.
    /// Writes `name\u{1}value\u{2}` pairs, sorted by name, into `key`.
    pub fn grouped_key(&self, grouping: &Grouping, key: &mut String) {
        key.clear();
        let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(self.base.len() + self.n_add + 2);
        if self.has_err() || (!grouping.no_labels && grouping.groups.is_empty()) {
            self.for_each(|n, v| pairs.push((n, v)));
        } else if grouping.no_labels {
            // nothing
        } else if grouping.without {
            self.for_each(|n, v| {
                if !grouping.groups.iter().any(|g| g == n) {
                    pairs.push((n, v));
                }
            });
        } else {
            for g in &grouping.groups {
                if let Some(v) = self.get(g) {
                    pairs.push((g, v));
                }
            }
        }
        pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
        pairs.dedup_by(|a, b| a.0 == b.0);
        for (n, v) in pairs {
            key.push_str(n);
            key.push('\u{1}');
            key.push_str(v);
            key.push('\u{2}');
        }
    }
}

/// How a range aggregation's samples are grouped at the source.
#[derive(Debug, Clone, Default)]
pub struct Grouping {
    pub groups: Vec<String>,
    pub without: bool,
    pub no_labels: bool,
}

/// Decodes a key written by [`LabelsBuilder::grouped_key`].
pub fn labels_from_key(key: &str) -> Labels {
    let mut out = Labels::new();
    for pair in key.split('\u{2}') {
        if let Some((n, v)) = pair.split_once('\u{1}') {
            out.insert(n.to_string(), v.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(String, String)> {
        vec![("app".into(), "hdfs".into()), ("level".into(), "INFO".into())]
    }

    #[test]
    fn set_get_del_and_errors() {
        let b = base();
        let h = Hints::all();
        let mut l = LabelsBuilder::new(&b, &h);
        l.set("level", "WARN");
        assert_eq!(l.get("level"), Some("WARN"));
        l.del("app");
        assert_eq!(l.get("app"), None);
        l.add_err("JSONParserErr", Some("bad"));
        let all = l.labels();
        assert_eq!(all.get("level").map(String::as_str), Some("WARN"));
        assert!(!all.contains_key("app"));
        assert_eq!(all.get(ERROR_LABEL).map(String::as_str), Some("JSONParserErr"));
        let l = LabelsBuilder::new(&b, &h);
        assert!(l.is_unchanged());
        assert_eq!(l.get("app"), Some("hdfs"));
    }

    #[test]
    fn grouped_keys() {
        let b = base();
        let h = Hints::all();
        let mut l = LabelsBuilder::new(&b, &h);
        l.set("status", "200");
        let mut k = String::new();
        l.grouped_key(&Grouping { groups: vec!["status".into()], without: false, no_labels: false }, &mut k);
        assert_eq!(labels_from_key(&k).len(), 1);
        l.grouped_key(&Grouping { groups: vec!["status".into()], without: true, no_labels: false }, &mut k);
        assert_eq!(labels_from_key(&k).len(), 2);
        l.grouped_key(&Grouping { groups: vec![], without: false, no_labels: true }, &mut k);
        assert!(k.is_empty());
    }

    #[test]
    fn hints_like_loki() {
        let h = Hints::new(&[], &[], false, true, None);
        assert!(h.no_labels);
        let h = Hints::new(&["status".into()], &[], false, true, None);
        assert!(!h.no_labels && h.should_extract("status") && !h.should_extract("x"));
        let h = Hints::new(&[], &["level_extracted".into()], false, false, None);
        assert!(h.should_extract("level"));
        assert!(Hints::new(&[], &["a".into()], true, false, None).should_extract("zzz"));
    }
}
