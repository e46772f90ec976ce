//! The documents retrieval works on: one per template, per parameter and per
//! workflow, as text. The same text is embedded (dense search) and indexed by
//! BM25 (lexical search), with the LLM's summary when there is one, so both
//! kinds of search agree on what a document is.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::summaries::{Summaries, parameter_id};
use super::Knowledge;

/// The kind of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Template,
    Parameter,
    Workflow,
}

impl DocKind {
    pub const ALL: [DocKind; 3] = [Self::Template, Self::Parameter, Self::Workflow];

    /// `template`, `parameter`, `workflow`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Template => "template",
            Self::Parameter => "parameter",
            Self::Workflow => "workflow",
        }
    }

    /// The plural used in file names: `templates_<model>.json`.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Template => "templates",
            Self::Parameter => "parameters",
            Self::Workflow => "workflows",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s || k.plural() == s)
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One retrievable document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// `E5`, `E5#0`, `W3`.
    pub id: String,
    pub kind: DocKind,
    pub text: String,
}

/// An example line is cut to this many bytes in a document.
const EXAMPLE_CHARS: usize = 300;
/// Example values listed per parameter.
const VALUES: usize = 5;

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut n = max;
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    s.get(..n).unwrap_or(s)
}

/// The documents of `k`, in a stable order (templates, parameters, workflows),
/// with the summaries in `s` where there are some.
pub fn documents(k: &Knowledge, s: &Summaries) -> Vec<Document> {
    let mut out = Vec::with_capacity(k.templates.len() + k.workflows.len() * 2);
    for t in &k.templates {
        let mut text = format!("template {}: {}", t.id, t.text);
        if let Some(e) = t.examples.first() {
            text.push_str("\nexample: ");
            text.push_str(cut(&e.raw, EXAMPLE_CHARS));
        }
        if let Some(sum) = s.templates.get(&t.id) {
            text.push('\n');
            text.push_str(&sum.summary);
            if !sum.keywords.is_empty() {
                text.push_str("\nkeywords: ");
                text.push_str(&sum.keywords.join(", "));
            }
        }
        out.push(Document { id: t.id.clone(), kind: DocKind::Template, text });
    }
    for tp in &k.params {
        for p in &tp.params {
            let id = parameter_id(&tp.template_id, p.index);
            let sum = s.parameters.get(&id);
            let name = match sum.and_then(|x| x.name.as_deref()) {
                Some(n) if n != p.name => format!("{n} ({}, {})", p.name, p.r#type.as_str()),
                _ => format!("{} ({})", p.name, p.r#type.as_str()),
            };
            let values: Vec<&str> = p.top_values.iter().take(VALUES).map(|v| v.value.as_str()).collect();
            let place = if p.field { "structured field".to_owned() } else { format!("slot {}", p.index) };
            let mut text = format!("parameter {name}, {place} of template {}: {}", tp.template_id, tp.template);
            if !values.is_empty() {
                text.push_str("\nexample values: ");
                text.push_str(&values.join(", "));
            }
            if let Some(sum) = sum {
                text.push('\n');
                text.push_str(&sum.summary);
            }
            out.push(Document { id, kind: DocKind::Parameter, text });
        }
    }
    let texts: HashMap<&str, &str> = k.templates.iter().map(|t| (t.id.as_str(), t.text.as_str())).collect();
    for w in &k.workflows {
        let steps: Vec<String> =
            w.templates.iter().map(|id| format!("{id} {}", texts.get(id.as_str()).copied().unwrap_or(""))).collect();
        let mut text = format!("workflow {} ({} sessions, {} of them): {}", w.id, w.session_kind, w.support, steps.join(" -> "));
        if let Some(sum) = s.workflows.get(&w.id) {
            text.push('\n');
            if let Some(n) = &sum.name {
                text.push_str(n);
                text.push_str(": ");
            }
            text.push_str(&sum.summary);
        }
        out.push(Document { id: w.id.clone(), kind: DocKind::Workflow, text });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::{Example, ParamSummary, ParamType, TemplateParams, TemplateRecord, TemplateSource, TopValue, WorkflowRecord};
    use crate::knowledge::summaries::Summary;

    fn knowledge() -> Knowledge {
        let t = |id: &str, text: &str| TemplateRecord {
            id: id.into(),
            text: text.into(),
            source: TemplateSource::Known,
            count: 1,
            first_seen: None,
            last_seen: None,
            levels: Default::default(),
            examples: vec![Example { line: 1, raw: format!("081109 INFO {text}") }],
        };
        Knowledge {
            templates: vec![t("E1", "Receiving block blk_<*>"), t("E2", "Deleting block blk_<*>")],
            params: vec![TemplateParams {
                template_id: "E1".into(),
                template: "Receiving block blk_<*>".into(),
                params: vec![ParamSummary {
                    index: 0,
                    name: "blk".into(),
                    r#type: ParamType::Int,
                    count: 2,
                    distinct: 2,
                    distinct_exact: true,
                    top_values: vec![TopValue { value: "-42".into(), count: 1 }],
                    top_counts_exact: true,
                    numeric: None,
                    field: false,
                }],
            }],
            workflows: vec![WorkflowRecord {
                id: "W1".into(),
                session_kind: "block".into(),
                templates: vec!["E1".into(), "E2".into()],
                support: 7,
                example_sessions: vec![],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn documents_with_and_without_summaries() {
        let k = knowledge();
        let d = documents(&k, &Summaries::default());
        let ids: Vec<_> = d.iter().map(|d| (d.id.as_str(), d.kind)).collect();
        assert_eq!(ids, vec![("E1", DocKind::Template), ("E2", DocKind::Template), ("E1#0", DocKind::Parameter), ("W1", DocKind::Workflow)]);
        assert_eq!(d[0].text, "template E1: Receiving block blk_<*>\nexample: 081109 INFO Receiving block blk_<*>");
        assert_eq!(d[2].text, "parameter blk (int), slot 0 of template E1: Receiving block blk_<*>\nexample values: -42");
        assert_eq!(d[3].text, "workflow W1 (block sessions, 7 of them): E1 Receiving block blk_<*> -> E2 Deleting block blk_<*>");

        let mut s = Summaries::default();
        let sum = |id: &str, text: &str, name: Option<&str>, kw: &[&str]| Summary {
            id: id.into(),
            source_hash: "h".into(),
            summary: text.into(),
            name: name.map(str::to_owned),
            keywords: kw.iter().map(|k| k.to_string()).collect(),
        };
        s.templates.insert("E1".into(), sum("E1", "A block arrives.", None, &["receive", "block"]));
        s.parameters.insert("E1#0".into(), sum("E1#0", "The block id.", Some("block_id"), &[]));
        s.workflows.insert("W1".into(), sum("W1", "Write then delete.", Some("block life"), &[]));
        let d = documents(&k, &s);
        assert!(d[0].text.ends_with("\nA block arrives.\nkeywords: receive, block"), "{}", d[0].text);
        assert!(d[2].text.starts_with("parameter block_id (blk, int), slot 0"), "{}", d[2].text);
        assert!(d[3].text.ends_with("\nblock life: Write then delete."), "{}", d[3].text);
        assert_eq!(DocKind::parse("workflows"), Some(DocKind::Workflow));
    }
}
