//! The deterministic query builder: a question, the retrieved items and the
//! stream labels that exist become one LogQL query, without a model. It is
//! the hint the model gets, and the whole answer when no model is configured.
//!
//! 1. [`intent::read`] says what is asked (lines, a count, a statistic, a
//!    grouping, the top few).
//! 2. Question words that name a stream label value (`WARN`, `errors` for a
//!    level `ERROR`/`E`) become selector matchers; a grouping word that names
//!    a stream label groups by it.
//! 3. If subject words are left, the best retrieved template becomes the log
//!    query ([`TemplateQuery`]); for a statistic or a grouping by a value,
//!    the template with a matching parameter is preferred.
//! 4. The query is composed (`sum(count_over_time(… [$__range]))`, `topk`,
//!    `sum_over_time(… | unwrap size …)` …) and checked by our parser.

use std::collections::BTreeMap;

use serde::Serialize;

use super::intent::{self, Intent, Measure, Stat, singular};
use super::plan::{QueryMode, QueryPlan};
use super::template_query::{ContentAnchor, TemplateQuery, selector};
use crate::knowledge::{DocKind, ParamType};
use crate::logql::{Expr, Stage};
use crate::retrieve::{KnowledgeBase, RetrievedItem};

/// What the builder knows besides the knowledge base.
#[derive(Debug, Clone, Default)]
pub struct BuildContext {
    pub app: String,
    /// Stream label names (without `app`) and values that exist.
    pub labels: BTreeMap<String, Vec<String>>,
    /// Where a line's content starts, from the dataset's header format.
    pub anchor: Option<ContentAnchor>,
    /// Lines shown by a log query.
    pub line_limit: u32,
}

/// The builder's query and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Built {
    pub plan: QueryPlan,
    pub intent: Intent,
    pub template: Option<TemplateQuery>,
    /// Selector matchers taken from the question's words.
    pub matched_labels: Vec<(String, String)>,
    /// One line on how the query was made.
    pub explanation: String,
}

/// Level words and the values they may take in logs.
const LEVELS: &[(&[&str], &[&str])] = &[
    (&["error", "errors", "err"], &["error", "err", "e", "severe"]),
    (&["warning", "warnings", "warn", "warns"], &["warn", "warning", "w"]),
    (&["info", "information", "informational"], &["info", "i", "information", "notice"]),
    (&["debug", "debugging"], &["debug", "d", "trace", "verbose", "v"]),
    (&["fatal", "critical"], &["fatal", "critical", "crit", "f", "emerg", "alert"]),
];

fn level_like(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    l.contains("level") || l.contains("severity") || l == "lvl"
}

/// Matchers for the question's words that name a label value (also a
/// value with dots or dashes, such as `dfs.FSNamesystem`, written whole).
fn match_labels(question: &str, intent: &Intent, ctx: &BuildContext) -> (Vec<(String, String)>, Vec<String>) {
    let mut matched = Vec::new();
    let mut used = Vec::new();
    let tokens: Vec<&str> = question
        .split_whitespace()
        .map(|t| t.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '(' || c == ')')))
        .map(|t| t.strip_suffix("'s").unwrap_or(t))
        .filter(|t| t.contains(|c: char| !(c.is_alphanumeric() || c == '_')))
        .collect();
    for (name, values) in &ctx.labels {
        for t in &tokens {
            if let Some(v) = values.iter().find(|v| v.eq_ignore_ascii_case(t)) {
                if !matched.iter().any(|(n, _): &(String, String)| n == name) {
                    matched.push((name.clone(), v.clone()));
                }
                used.extend(t.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).map(str::to_lowercase));
            }
        }
    }
    for (name, values) in &ctx.labels {
        for w in &intent.content {
            let hit = values.iter().find(|v| {
                let v = v.to_lowercase();
                v == *w
                    || v == singular(w)
                    || (level_like(name)
                        && LEVELS.iter().any(|(words, vals)| words.contains(&w.as_str()) && vals.contains(&v.as_str())))
            });
            if let Some(v) = hit {
                if !matched.iter().any(|(n, _): &(String, String)| n == name) {
                    matched.push((name.clone(), v.clone()));
                }
                used.push(w.clone());
            }
        }
    }
    (matched, used)
}

/// Whether a word of `phrase` names `label` (`components` ~ `component`, `source ip` ~ `src_ip`).
fn names(phrase: &str, label: &str) -> bool {
    let l = label.to_lowercase();
    phrase.split_whitespace().any(|word| {
        let w = singular(&word.to_lowercase());
        w == l || (w.len() >= 2 && l.split('_').any(|part| part == w)) || (w.len() >= 4 && l.starts_with(&w))
    })
}

/// Builds the query for `question`.
pub fn build(question: &str, kb: &KnowledgeBase, items: &[RetrievedItem], ctx: &BuildContext) -> Built {
    let intent = intent::read(question);
    let (matched, used) = match_labels(question, &intent, ctx);
    let mut group_label = intent.group_by.as_ref().and_then(|g| ctx.labels.keys().find(|l| names(g, l)).cloned());
    let in_group = |w: &str| intent.group_by.as_deref().is_some_and(|g| g.split(' ').any(|x| x == singular(w)));
    let subject: Vec<&String> = intent
        .content
        .iter()
        .filter(|w| !used.contains(w) && !ctx.labels.keys().any(|l| names(w, l)) && !in_group(w))
        .collect();
    let reserved: Vec<String> = ctx.labels.keys().cloned().collect();
    // No subject words left (`how many lines in total`, `how many WARN lines`):
    // no template; what retrieval finds for cue words alone is noise.
    let candidates: Vec<TemplateQuery> = if subject.is_empty() {
        Vec::new()
    } else {
        let mut ids: Vec<String> = Vec::new();
        for it in items {
            if let Some(t) = kb.template_of(&it.id, it.kind).filter(|_| it.kind != DocKind::Workflow)
                && !ids.contains(&t.id)
            {
                ids.push(t.id.clone());
            }
        }
        ids.iter()
            .take(5)
            .filter_map(|id| TemplateQuery::build(kb, id, selector(&ctx.app, &matched), ctx.anchor.as_ref(), &reserved))
            .collect()
    };
    // The slot a statistic or a grouping needs, and the template that has it.
    let numeric = |t: &TemplateQuery, slot: usize| {
        kb.params(&t.template_id).iter().any(|p| p.index == slot && matches!(p.r#type, ParamType::Int | ParamType::Float | ParamType::Duration))
    };
    let wants_value = matches!(intent.measure, Measure::Stat(_));
    let mut chosen: Option<(TemplateQuery, Vec<usize>)> = None;
    if wants_value || (intent.group_by.is_some() && group_label.is_none()) {
        'find: for t in &candidates {
            for (slot, label) in &t.labels {
                let by_group = group_label.is_none() && intent.group_by.as_deref().is_some_and(|g| names(g, label));
                let by_value = wants_value && numeric(t, *slot) && subject.iter().any(|w| names(w, label));
                if by_group || by_value {
                    chosen = Some((t.clone(), vec![*slot]));
                    break 'find;
                }
            }
        }
        if chosen.is_none() && wants_value {
            chosen = candidates
                .iter()
                .find_map(|t| t.labels.iter().find(|(s, _)| numeric(t, *s)).map(|(s, _)| (t.clone(), vec![*s])));
        }
    }
    let template = chosen.as_ref().map(|c| c.0.clone()).or_else(|| candidates.first().cloned());
    let slots = chosen.map(|c| c.1).unwrap_or_default();
    let slot_label = slots.first().and_then(|s| template.as_ref().and_then(|t| t.label_of(*s)).map(str::to_owned));
    if group_label.is_none() && intent.group_by.is_some() && !wants_value {
        group_label = slot_label.clone();
    }
    compose(intent, template, matched, group_label, slot_label, &slots, ctx)
}

fn compose(
    intent: Intent,
    template: Option<TemplateQuery>,
    matched: Vec<(String, String)>,
    group: Option<String>,
    value: Option<String>,
    slots: &[usize],
    ctx: &BuildContext,
) -> Built {
    let mut log = match &template {
        Some(t) => t.log_expr(false),
        None => crate::logql::LogExpr { matchers: selector(&ctx.app, &matched), pipeline: Vec::new() },
    };
    let with_pattern = |log: &mut crate::logql::LogExpr| {
        if let Some(p) = template.as_ref().and_then(|t| t.pattern_keeping(slots)) {
            log.pipeline.push(Stage::Parser(crate::logql::ParserStage::Pattern(p)));
        }
    };
    let by = |g: &Option<String>| g.as_ref().map(|g| format!(" by ({g})")).unwrap_or_default();
    let topk = |q: String| match (intent.top, &group) {
        (Some(n), Some(_)) => format!("topk({n}, {q})"),
        _ => q,
    };
    let what = template.as_ref().map_or_else(
        || if matched.is_empty() { format!("every line of {}", ctx.app) } else { "the lines of these labels".to_owned() },
        |t| format!("template {} ({})", t.template_id, t.template),
    );
    let (logql, mode, explanation) = match (intent.measure, &value) {
        (Measure::Stat(stat), Some(v)) => {
            with_pattern(&mut log);
            let x = Expr::Log(log).to_string();
            let unwrapped = format!("{x} | unwrap {v} | __error__=\"\"");
            let g = by(&group);
            let q = match stat {
                Stat::Avg => format!("sum{g} (sum_over_time({unwrapped} [$__range])) / sum{g} (count_over_time({x} [$__range]))"),
                Stat::Max => format!("max{g} (max_over_time({unwrapped} [$__range]))"),
                Stat::Min => format!("min{g} (min_over_time({unwrapped} [$__range]))"),
                Stat::Sum => format!("sum{g} (sum_over_time({unwrapped} [$__range]))"),
            };
            (topk(q), QueryMode::Instant, format!("{stat:?} of {v} over {what}").to_lowercase())
        }
        (Measure::Count, _) if intent.distinct && group.is_some() => {
            if value.is_some() {
                with_pattern(&mut log);
            }
            let x = Expr::Log(log).to_string();
            let g = group.clone().unwrap_or_default();
            let q = format!("count (sum by ({g}) (count_over_time({x} [$__range])))");
            (q, QueryMode::Instant, format!("number of different {g} values in {what}"))
        }
        (Measure::Count | Measure::Stat(_), _) => {
            if group.is_some() && value.is_some() {
                with_pattern(&mut log);
            }
            let x = Expr::Log(log).to_string();
            let q = topk(format!("sum{} (count_over_time({x} [$__range]))", by(&group)));
            let grouped = group.as_ref().map(|g| format!(" by {g}")).unwrap_or_default();
            (q, QueryMode::Instant, format!("count of {what}{grouped}"))
        }
        (Measure::Lines, _) => {
            if let Some(p) = template.as_ref().and_then(|t| t.pattern.clone()) {
                log.pipeline.push(Stage::Parser(crate::logql::ParserStage::Pattern(p)));
            }
            (Expr::Log(log).to_string(), QueryMode::Log, format!("lines of {what}"))
        }
    };
    let plan = QueryPlan { logql, mode, limit: ctx.line_limit.max(1) };
    Built { plan, intent, template, matched_labels: matched, explanation }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::{Example, Knowledge, ParamSummary, Summaries, TemplateParams, TemplateRecord, TemplateSource};

    fn kb() -> KnowledgeBase {
        let t = |id: &str, text: &str, ex: &str| TemplateRecord {
            id: id.into(),
            text: text.into(),
            source: TemplateSource::Known,
            count: 1,
            first_seen: None,
            last_seen: None,
            levels: Default::default(),
            examples: vec![Example { line: 1, raw: ex.into() }],
        };
        let p = |index, name: &str, r#type| ParamSummary {
            index,
            name: name.into(),
            r#type,
            count: 1,
            distinct: 1,
            distinct_exact: true,
            top_values: vec![],
            top_counts_exact: true,
            numeric: None,
            field: false,
        };
        let k = Knowledge {
            templates: vec![
                t("E9", "Deleting block blk_<*> file /<*>", "081109 1 2 INFO dfs.FSDataset: Deleting block blk_1 file /a/blk_1"),
                t("E11", "Received block blk_<*> of size <*> from /<*>", "081109 1 2 INFO dfs.DataNode: Received block blk_1 of size 5 from /10.0.0.1"),
            ],
            params: vec![TemplateParams {
                template_id: "E11".into(),
                template: "Received block blk_<*> of size <*> from /<*>".into(),
                params: vec![p(0, "blk", ParamType::Id), p(1, "size", ParamType::Int), p(2, "src ip", ParamType::Ip)],
            }],
            ..Default::default()
        };
        KnowledgeBase::from_knowledge("hdfs", k, Summaries::default())
    }

    fn ctx() -> BuildContext {
        BuildContext {
            app: "hdfs".into(),
            labels: [("level".to_owned(), vec!["INFO".to_owned(), "WARN".to_owned()]), ("component".to_owned(), vec!["dfs.DataNode".to_owned()])]
                .into(),
            anchor: None,
            line_limit: 20,
        }
    }

    fn run(q: &str) -> Built {
        let kb = kb();
        let items = kb.retriever.retrieve(q, None, &Default::default());
        let b = build(q, &kb, &items, &ctx());
        let text = b.plan.render(3_600_000_000_000);
        assert!(crate::logql::parse(&text).is_ok(), "{text}");
        b
    }

    #[test]
    fn questions_become_queries() {
        let b = run("How many blocks were deleted?");
        assert_eq!(
            b.plan.logql,
            r#"sum (count_over_time({app="hdfs"} |= "Deleting block blk_" |> "<_>Deleting block blk_<_> file /<_>" [$__range]))"#
        );
        assert_eq!(b.plan.mode, QueryMode::Instant);

        let b = run("How many WARN lines are there?");
        assert_eq!(b.plan.logql, r#"sum (count_over_time({app="hdfs", level="WARN"} [$__range]))"#);
        assert_eq!(b.matched_labels, vec![("level".to_owned(), "WARN".to_owned())]);

        let b = run("How many warnings per component?");
        assert_eq!(b.plan.logql, r#"sum by (component) (count_over_time({app="hdfs", level="WARN"} [$__range]))"#);

        let b = run("What is the average size of received blocks?");
        assert!(b.plan.logql.starts_with(r#"sum (sum_over_time({app="hdfs"} |= "Received block blk_""#), "{}", b.plan.logql);
        assert!(b.plan.logql.contains(r#"| pattern "<_>Received block blk_<_> of size <size> from /<_>" | unwrap size | __error__="""#), "{}", b.plan.logql);
        assert!(b.plan.logql.contains("/ sum (count_over_time("), "{}", b.plan.logql);

        let b = run("Which source ip sent the most received blocks?");
        assert!(b.plan.logql.starts_with("topk(1, sum by (src_ip) (count_over_time("), "{}", b.plan.logql);
        assert!(b.plan.logql.contains("of size <_> from /<src_ip>"), "{}", b.plan.logql);

        let b = run("show the deleted blocks");
        assert_eq!(b.plan.mode, QueryMode::Log);
        assert!(b.plan.logql.ends_with(r#"| pattern "<_>Deleting block blk_<p0> file /<p1>""#), "{}", b.plan.logql);

        let b = run("How many different components wrote lines?");
        assert_eq!(b.plan.logql, r#"count (sum by (component) (count_over_time({app="hdfs"} [$__range])))"#);
        let b = run("How many distinct source ips sent received blocks?");
        assert!(b.plan.logql.starts_with("count (sum by (src_ip) (count_over_time("), "{}", b.plan.logql);
        assert!(b.plan.logql.contains("of size <_> from /<src_ip>"), "{}", b.plan.logql);

        let b = run("How many lines did dfs.DataNode write?");
        assert_eq!(b.plan.logql, r#"sum (count_over_time({app="hdfs", component="dfs.DataNode"} [$__range]))"#, "a dotted value, whole");
        let b = run("How many lines are there in total?");
        assert_eq!(b.plan.logql, r#"sum (count_over_time({app="hdfs"} [$__range]))"#, "no subject: every line, no template");

        let b = run("zzz qqq");
        assert_eq!(b.plan.logql, r#"{app="hdfs"}"#, "nothing found: every line");
        assert!(b.template.is_none());
    }
}
