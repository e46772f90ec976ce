//! The deterministic query builder's core: a template becomes a LogQL log
//! query, with no model involved.
//!
//! `Received block blk_<*> of size <*> from /<*>` on app `hdfs` becomes
//!
//! ```text
//! {app="hdfs"} |= "Received block blk_" |> "<_>Received block blk_<_> of size <_> from /<_>"
//!   | pattern "<_>Received block blk_<blk> of size <size> from /<src>"
//! ```
//!
//! - a `|=` filter with the longest constant piece (found with memmem, fast);
//! - a `|>` pattern filter with every constant piece in order, so only lines
//!   of this template pass (kept only when every example line of the
//!   template passes it, as Loki's matcher tests it: a template whose slots
//!   can be empty, or whose spacing differs from the lines, goes without);
//! - a `pattern` stage naming the slots with the parameters' label names
//!   ([`KnowledgeBase::param_label`]). A template that starts with a slot
//!   anchors it after the dataset's content separator (`": "` in
//!   `<Component>: <Content>`); adjacent slots merge into one capture; a
//!   piece that would read as a capture (`<id>`) ends the pattern there.
//!
//! Everything is printed through the LogQL syntax tree, so quoting is right,
//! and the result is checked by [`crate::logql::parse`].

use serde::Serialize;

use crate::dataset::header::HeaderFormat;
use crate::logql::pattern::{PatternNode, split_pattern};
use crate::logql::{Expr, FilterOp, LineFilter, LogExpr, MatchOp, Matcher, ParserStage, Stage};
use crate::retrieve::KnowledgeBase;

/// Constant pieces shorter than this (trimmed) make no `|=` filter.
const MIN_FILTER: usize = 3;

/// A template's log query and what it is made of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateQuery {
    pub template_id: String,
    pub template: String,
    /// The stream selector's matchers, `app` first.
    #[serde(skip)]
    pub matchers: Vec<Matcher>,
    /// The `|=` filter.
    pub filter: Option<String>,
    /// The `|>` filter, when every example passes it.
    pub pattern_filter: Option<String>,
    /// The `pattern` stage, when the template has a slot.
    pub pattern: Option<String>,
    /// Label names of the `pattern` captures, in order, with their slot numbers.
    pub labels: Vec<(usize, String)>,
}

impl TemplateQuery {
    /// The query for template `id` of `kb` on the streams of `matchers`
    /// (`{app="hdfs"}`, maybe with a level). `content_sep` is the text right
    /// before the content in the dataset's header format, if known.
    /// `reserved` are label names the captures must not take (stream labels).
    pub fn build(kb: &KnowledgeBase, id: &str, matchers: Vec<Matcher>, anchor: Option<&ContentAnchor>, reserved: &[String]) -> Option<Self> {
        let t = kb.template(id)?;
        let pieces: Vec<&str> = t.text.split("<*>").collect();
        let filter = pieces
            .iter()
            .map(|p| p.trim())
            .filter(|p| p.chars().count() >= MIN_FILTER)
            .max_by_key(|p| p.len())
            .map(str::to_owned);
        let examples: Vec<&str> = t.examples.iter().map(|e| e.raw.as_str()).collect();
        let pattern_filter = filter_pattern(&pieces).filter(|f| !examples.is_empty() && examples.iter().all(|l| filter_test(f, l)));
        let mut labels = Vec::new();
        let sep = anchor.filter(|a| !examples.is_empty() && examples.iter().all(|l| a.fits(l))).map(|a| a.sep.as_str());
        let pattern = named_pattern(kb, id, &pieces, sep, reserved, &mut labels);
        Some(Self { template_id: id.to_owned(), template: t.text.clone(), matchers, filter, pattern_filter, pattern, labels })
    }

    /// The label of slot `slot`, if the `pattern` stage captures it.
    pub fn label_of(&self, slot: usize) -> Option<&str> {
        self.labels.iter().find(|(s, _)| *s == slot).map(|(_, l)| l.as_str())
    }

    /// The log query as a syntax tree: selector, filters, and the `pattern` stage when `with_pattern`.
    pub fn log_expr(&self, with_pattern: bool) -> LogExpr {
        let mut pipeline = Vec::new();
        if let Some(f) = &self.filter {
            pipeline.push(Stage::LineFilter(LineFilter { op: FilterOp::Contains, values: vec![f.clone()] }));
        }
        if let Some(f) = &self.pattern_filter {
            pipeline.push(Stage::LineFilter(LineFilter { op: FilterOp::Pattern, values: vec![f.clone()] }));
        }
        if with_pattern && let Some(p) = &self.pattern {
            pipeline.push(Stage::Parser(ParserStage::Pattern(p.clone())));
        }
        LogExpr { matchers: self.matchers.clone(), pipeline }
    }

    /// The log query as text.
    pub fn log_query(&self, with_pattern: bool) -> String {
        Expr::Log(self.log_expr(with_pattern)).to_string()
    }
}

/// Where a line's content starts: the literal text right before `<Content>`
/// in the dataset's header format (`": "` in `<Component>: <Content>`), used
/// to anchor a template that starts with a slot. Kept for a template only
/// when its first occurrence in every example line is where the content starts.
#[derive(Debug, Clone)]
pub struct ContentAnchor {
    pub sep: String,
    header: HeaderFormat,
}

impl ContentAnchor {
    /// The anchor of a header format; `None` when the text before the
    /// content is missing or only whitespace (`\s+` in the pattern).
    pub fn of(header: &HeaderFormat) -> Option<Self> {
        let pat = header.pattern();
        let at = pat.find("<Content>")?;
        let before = pat.get(..at)?;
        let from = before.rfind('>').map_or(0, |i| i + 1);
        let mut sep = String::new();
        let mut chars = before.get(from..)?.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => sep.extend(chars.next()),
                '(' | ')' | '?' | '*' | '+' | '|' | '[' | ']' | '{' | '}' | '^' | '$' | '.' => sep.clear(),
                c => sep.push(c),
            }
        }
        (!sep.trim().is_empty()).then(|| Self { sep, header: header.clone() })
    }

    /// Whether the first occurrence of the separator in `line` ends where its content starts.
    pub fn fits(&self, line: &str) -> bool {
        let lead = line.len() - line.trim_start().len();
        let mut spans = Default::default();
        if !self.header.match_line(line.trim(), &mut spans) {
            return false;
        }
        let Some(&(start, _)) = self.header.content_index().and_then(|i| spans.as_slice().get(i)) else { return false };
        line.find(&self.sep).is_some_and(|i| i + self.sep.len() == lead + start as usize)
    }
}

/// `{app="<app>"}` plus `extra` equality matchers.
pub fn selector(app: &str, extra: &[(String, String)]) -> Vec<Matcher> {
    let mut m = vec![Matcher { name: "app".into(), op: MatchOp::Eq, value: app.into() }];
    m.extend(extra.iter().map(|(n, v)| Matcher { name: n.clone(), op: MatchOp::Eq, value: v.clone() }));
    m
}

/// `<_>piece<_>piece...`: every constant piece in order, slots as `<_>`;
/// `None` when a piece would read as a capture or there are no pieces.
fn filter_pattern(pieces: &[&str]) -> Option<String> {
    let mut out = String::from("<_>");
    let mut any = false;
    for (i, p) in pieces.iter().enumerate() {
        if p.is_empty() {
            continue;
        }
        if reads_as_capture(p) {
            return None;
        }
        out.push_str(p);
        any = true;
        if i + 1 < pieces.len() {
            out.push_str("<_>");
        }
    }
    // A template that starts with a slot is covered by the leading `<_>`
    // (header and slot together).
    any.then_some(out)
}

/// The `pattern` stage text, filling `labels` with the named captures.
fn named_pattern(
    kb: &KnowledgeBase,
    id: &str,
    pieces: &[&str],
    content_sep: Option<&str>,
    reserved: &[String],
    labels: &mut Vec<(usize, String)>,
) -> Option<String> {
    if pieces.len() < 2 {
        return None;
    }
    let mut out = String::from("<_>");
    let first = pieces.first().copied().unwrap_or("");
    if first.is_empty() {
        // The template starts with a slot: anchor it after the content
        // separator; without one it stays in the leading `<_>`, unnamed.
        if let Some(sep) = content_sep.filter(|s| !s.trim().is_empty() && !reads_as_capture(s)) {
            out.push_str(sep);
        }
    } else if reads_as_capture(first) {
        return None;
    } else {
        out.push_str(first);
    }
    let mut used: Vec<String> = reserved.to_vec();
    used.push("app".into());
    for (slot, piece) in pieces.iter().skip(1).enumerate() {
        let mut name = kb.param_label(id, slot);
        while used.contains(&name) {
            name.push('_');
        }
        // Adjacent slots (`<*><*>`) merge into the capture before them.
        if !out.ends_with('>') {
            out.push('<');
            out.push_str(&name);
            out.push('>');
            used.push(name.clone());
            labels.push((slot, name));
        }
        if reads_as_capture(piece) {
            break;
        }
        out.push_str(piece);
    }
    (!labels.is_empty()).then_some(out)
}

/// Whether `s` holds something the pattern language reads as a capture.
fn reads_as_capture(s: &str) -> bool {
    split_pattern(s).iter().any(|n| matches!(n, PatternNode::Capture(_)))
}

/// Loki's `|>` test: literals in order, each capture between them non-empty,
/// and text left after the last literal exactly when the pattern ends with a capture.
pub fn filter_test(pattern: &str, line: &str) -> bool {
    let nodes = split_pattern(pattern);
    if line.is_empty() || nodes.is_empty() {
        return line.is_empty() && nodes.is_empty();
    }
    let mut off = 0usize;
    for (i, n) in nodes.iter().enumerate() {
        let PatternNode::Literal(lit) = n else { continue };
        let Some(j) = line.get(off..).and_then(|rest| rest.find(lit.as_str())) else { return false };
        if i != 0 && j == 0 {
            return false;
        }
        off += j + lit.len();
    }
    let ends_with_capture = matches!(nodes.last(), Some(PatternNode::Capture(_)));
    ends_with_capture == (off != line.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::{Example, Knowledge, Summaries, TemplateRecord, TemplateSource};
    use crate::logql::parse;

    fn kb(templates: &[(&str, &str, &str)]) -> KnowledgeBase {
        let k = Knowledge {
            templates: templates
                .iter()
                .map(|(id, text, example)| TemplateRecord {
                    id: (*id).into(),
                    text: (*text).into(),
                    source: TemplateSource::Known,
                    count: 1,
                    first_seen: None,
                    last_seen: None,
                    levels: Default::default(),
                    examples: vec![Example { line: 1, raw: (*example).into() }],
                })
                .collect(),
            ..Default::default()
        };
        KnowledgeBase::from_knowledge("hdfs", k, Summaries::default())
    }

    #[test]
    fn hdfs_templates_become_checked_queries() {
        let kb = kb(&[
            ("E11", "Received block blk_<*> of size <*> from /<*>", "081109 203518 35 INFO dfs.DataNode: Received block blk_1 of size 67108864 from /10.0.0.1"),
            ("E1", "<*>:<*> Served block blk_<*> to /<*>", "081109 1 2 INFO dfs.DataNode$DataXceiver: 10.0.0.1:50010 Served block blk_-5 to /10.0.0.2"),
            ("E14", "Verification succeeded for blk_<*>", "081109 1 2 INFO dfs.DataBlockScanner: Verification succeeded for blk_9"),
            ("X", "quoted \"<*>\" and <id> here <*>", "a b: quoted \"v\" and <id> here w"),
        ]);
        let anchor = ContentAnchor::of(&HeaderFormat::new("<Date> <Time> <Pid> <Level> <Component>: <Content>").unwrap()).unwrap();
        assert_eq!(anchor.sep, ": ");
        let a = Some(&anchor);
        let q = TemplateQuery::build(&kb, "E11", selector("hdfs", &[]), a, &[]).unwrap();
        assert_eq!(
            q.log_query(true),
            r#"{app="hdfs"} |= "Received block blk_" |> "<_>Received block blk_<_> of size <_> from /<_>" | pattern "<_>Received block blk_<p0> of size <p1> from /<p2>""#
        );
        assert!(parse(&q.log_query(true)).is_ok());
        assert_eq!(q.label_of(1), Some("p1"));

        let q = TemplateQuery::build(&kb, "E1", selector("hdfs", &[("level".into(), "INFO".into())]), a, &["level".into()]).unwrap();
        assert_eq!(q.pattern.as_deref(), Some("<_>: <p0>:<p1> Served block blk_<p2> to /<p3>"));
        assert_eq!(q.pattern_filter.as_deref(), Some("<_>:<_> Served block blk_<_> to /<_>"));
        assert!(q.log_query(true).starts_with(r#"{app="hdfs", level="INFO"} |= "Served block blk_""#), "{}", q.log_query(true));
        assert!(parse(&q.log_query(true)).is_ok());
        // Without a separator, a leading slot stays unnamed in the leading `<_>`.
        let q = TemplateQuery::build(&kb, "E1", selector("hdfs", &[]), None, &[]).unwrap();
        assert_eq!(q.pattern.as_deref(), Some("<_>:<p1> Served block blk_<p2> to /<p3>"));

        let q = TemplateQuery::build(&kb, "E14", selector("hdfs", &[]), a, &["p0".into()]).unwrap();
        assert_eq!(q.labels, vec![(0, "p0_".to_owned())], "a stream label's name is not taken");
        assert!(parse(&q.log_query(true)).is_ok());

        // Quotes are escaped; a piece that reads as a capture stops the pattern and drops `|>`.
        let q = TemplateQuery::build(&kb, "X", selector("hdfs", &[]), None, &[]).unwrap();
        assert!(q.pattern_filter.is_none());
        assert_eq!(q.pattern.as_deref(), Some("<_>quoted \"<p0>"));
        assert!(parse(&q.log_query(true)).is_ok(), "{}", q.log_query(true));
        assert!(TemplateQuery::build(&kb, "NOPE", selector("hdfs", &[]), None, &[]).is_none());
    }

    #[test]
    fn pattern_filter_is_dropped_when_an_example_fails_it() {
        // An empty slot (`logname=` with nothing after) fails Loki's `|>` test.
        let kb = kb(&[("E1", "logname=<*> uid=<*>", "x: logname= uid=0")]);
        let q = TemplateQuery::build(&kb, "E1", selector("linux", &[]), None, &[]).unwrap();
        assert!(q.pattern_filter.is_none());
        assert_eq!(q.filter.as_deref(), Some("logname="));
        assert!(filter_test("<_> bar <_>", "foo bar baz"));
        assert!(!filter_test("<_> bar", "foo bar baz"));
        assert!(filter_test("<_> baz", "foo bar baz"));
        assert!(!filter_test("<_> bar <_>", " bar "));
    }

    #[test]
    fn content_anchors() {
        let h = |p: &str| HeaderFormat::new(p).unwrap();
        let a = ContentAnchor::of(&h(r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>")).unwrap();
        assert_eq!(a.sep, ": ");
        assert!(a.fits("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure;"));
        let z = ContentAnchor::of(&h(r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>")).unwrap();
        assert_eq!(z.sep, "] - ");
        assert!(ContentAnchor::of(&h("<Level> <Content>")).is_none(), "whitespace only");
        let d = ContentAnchor::of(&h(r"<Level> - <Component> - <Content>")).unwrap();
        assert!(!d.fits("INFO - comp - msg"), "the first ' - ' is not where the content starts");
        assert!(ContentAnchor::of(&h(r"<Date> - <Content>")).unwrap().fits("2015-07-29 - a - b"));
        assert!(!d.fits("no header here"));
    }
}
