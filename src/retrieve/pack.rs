//! Context packing: the retrieved items written out for a prompt, best first,
//! as long as they fit a token budget (counted with tiktoken-rs through
//! [`TokenCounter`]). A template comes with its counts, levels, time span,
//! summary, its parameters (the label names a `pattern` stage gives them,
//! their types and example values) and one example line; a retrieved
//! parameter brings its template; a workflow lists its steps. An entry that
//! does not fit is left out whole (and named in [`Packed::dropped`]), never cut.

use std::collections::HashSet;
use std::fmt::Write;

use serde::Serialize;

use super::base::KnowledgeBase;
use super::hybrid::RetrievedItem;
use crate::knowledge::DocKind;
use crate::llm::tokens::TokenCounter;

/// An example line is cut to this many characters.
const EXAMPLE_CHARS: usize = 240;
/// Example values per parameter.
const VALUES: usize = 4;

/// The packed context.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Packed {
    pub text: String,
    /// Template and workflow ids written, in order.
    pub included: Vec<String>,
    /// Ids left out for the budget.
    pub dropped: Vec<String>,
    pub tokens: usize,
}

/// Packs `items` (best first) into at most `budget` tokens.
pub fn pack(kb: &KnowledgeBase, items: &[RetrievedItem], budget: usize, counter: &TokenCounter) -> Packed {
    let mut out = Packed::default();
    let mut seen = HashSet::new();
    for item in items {
        let (key, entry) = match item.kind {
            DocKind::Workflow => (item.id.clone(), workflow_entry(kb, &item.id)),
            _ => match kb.template_of(&item.id, item.kind) {
                Some(t) => (t.id.clone(), template_entry(kb, &t.id)),
                None => continue,
            },
        };
        if !seen.insert(key.clone()) {
            continue;
        }
        let Some(entry) = entry else { continue };
        let n = counter.count(&entry) + 1;
        if out.tokens + n > budget {
            out.dropped.push(key);
            continue;
        }
        out.tokens += n;
        out.text.push_str(&entry);
        out.text.push('\n');
        out.included.push(key);
    }
    out
}

/// One template with its parameters, as the prompt shows it.
pub fn template_entry(kb: &KnowledgeBase, id: &str) -> Option<String> {
    let t = kb.template(id)?;
    let mut s = format!("[{}] {}\n", t.id, t.text);
    let levels: Vec<String> = t.levels.iter().map(|(l, n)| format!("{l} {n}")).collect();
    let _ = write!(s, "  seen {} times", t.count);
    if !levels.is_empty() {
        let _ = write!(s, " ({})", levels.join(", "));
    }
    if let (Some(a), Some(b)) = (&t.first_seen, &t.last_seen) {
        let _ = write!(s, ", from {a} to {b}");
    }
    s.push('\n');
    if let Some(sum) = kb.summaries.templates.get(id) {
        let _ = writeln!(s, "  meaning: {}", one_line(&sum.summary));
    }
    for p in kb.params(id) {
        let label = kb.param_label(id, p.index);
        let values: Vec<&str> = p.top_values.iter().take(VALUES).map(|v| v.value.as_str()).collect();
        if p.field {
            let _ = write!(s, "  field {}: {}, {} distinct", p.name, p.r#type.as_str(), p.distinct);
        } else {
            let _ = write!(s, "  slot {} -> {label}: {}, {} distinct", p.index, p.r#type.as_str(), p.distinct);
        }
        if let Some(n) = &p.numeric {
            let _ = write!(s, ", min {} max {} mean {:.1}", n.min, n.max, n.mean);
        }
        if !values.is_empty() {
            let _ = write!(s, ", e.g. {}", values.iter().map(|v| cut(v, 60)).collect::<Vec<_>>().join(" | "));
        }
        s.push('\n');
        if let Some(sum) = kb.summaries.parameters.get(&crate::knowledge::parameter_id(id, p.index)) {
            let _ = writeln!(s, "    {}", one_line(&sum.summary));
        }
    }
    if let Some(e) = t.examples.first() {
        let _ = writeln!(s, "  example: {}", cut(&one_line(&e.raw), EXAMPLE_CHARS));
    }
    Some(s)
}

/// One workflow: its steps by id and text.
pub fn workflow_entry(kb: &KnowledgeBase, id: &str) -> Option<String> {
    let w = kb.knowledge.workflows.iter().find(|w| w.id == id)?;
    let mut s = format!("[{}] workflow of {} sessions, followed by {}:", w.id, w.session_kind, w.support);
    if let Some(sum) = kb.summaries.workflows.get(id) {
        let _ = write!(s, " {}", one_line(sum.name.as_deref().unwrap_or(&sum.summary)));
    }
    s.push('\n');
    let steps: Vec<String> = w.templates.iter().map(|t| format!("{t} {}", kb.template(t).map_or("", |r| r.text.as_str()))).collect();
    let _ = writeln!(s, "  {}", steps.join(" -> "));
    Some(s)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::{Example, Knowledge, ParamSummary, ParamType, Summaries, TemplateParams, TemplateRecord, TemplateSource, TopValue, WorkflowRecord};

    fn kb() -> KnowledgeBase {
        let t = |id: &str, text: &str, count| TemplateRecord {
            id: id.into(),
            text: text.into(),
            source: TemplateSource::Known,
            count,
            first_seen: Some("2008-11-09T20:35:18Z".into()),
            last_seen: Some("2008-11-11T11:01:50Z".into()),
            levels: [("info".to_owned(), count)].into(),
            examples: vec![Example { line: 3, raw: format!("081109 203518 35 INFO dfs.DataNode: {text}   with   spaces") }],
        };
        let k = Knowledge {
            templates: vec![t("E11", "Received block blk_<*> of size <*>", 292), t("E9", "Deleting block blk_<*>", 100)],
            params: vec![TemplateParams {
                template_id: "E11".into(),
                template: "Received block blk_<*> of size <*>".into(),
                params: vec![ParamSummary {
                    index: 1,
                    name: "size".into(),
                    r#type: ParamType::Int,
                    count: 292,
                    distinct: 37,
                    distinct_exact: true,
                    top_values: vec![TopValue { value: "67108864".into(), count: 211 }],
                    top_counts_exact: true,
                    numeric: None,
                    field: false,
                }],
            }],
            workflows: vec![WorkflowRecord {
                id: "W1".into(),
                session_kind: "block".into(),
                templates: vec!["E11".into(), "E9".into()],
                support: 7,
                example_sessions: vec![],
            }],
            ..Default::default()
        };
        KnowledgeBase::from_knowledge("hdfs", k, Summaries::default())
    }

    fn item(id: &str, kind: DocKind) -> RetrievedItem {
        RetrievedItem { id: id.into(), kind, score: 1.0, bm25: None, dense: None, text: String::new() }
    }

    #[test]
    fn entries_fit_the_budget_whole() {
        let kb = kb();
        let c = TokenCounter::for_model("gpt-4o-mini");
        let items = vec![item("E11#1", DocKind::Parameter), item("E11", DocKind::Template), item("W1", DocKind::Workflow), item("E9", DocKind::Template)];
        let p = pack(&kb, &items, 10_000, &c);
        assert_eq!(p.included, vec!["E11", "W1", "E9"], "a parameter brings its template once");
        assert!(p.text.contains("[E11] Received block blk_<*> of size <*>\n  seen 292 times (info 292), from 2008-11-09T20:35:18Z"), "{}", p.text);
        assert!(p.text.contains("slot 1 -> size: int, 37 distinct, e.g. 67108864"), "{}", p.text);
        assert!(p.text.contains("with spaces"), "example lines on one line");
        assert!(p.text.contains("[W1] workflow of block sessions, followed by 7:\n  E11 Received block"), "{}", p.text);
        assert!(c.count(&p.text) <= p.tokens, "the budget counts every entry");
        let first = c.count(&template_entry(&kb, "E11").unwrap()) + 1;
        let small = pack(&kb, &items, first + 5, &c);
        assert_eq!(small.included, vec!["E11"]);
        assert_eq!(small.dropped, vec!["W1", "E9"]);
        assert!(small.tokens <= first + 5);
        assert!(pack(&kb, &items, 0, &c).text.is_empty());
        assert!(pack(&kb, &[item("E404", DocKind::Template)], 100, &c).included.is_empty());
    }
}
