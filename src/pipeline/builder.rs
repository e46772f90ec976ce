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
use super::phrasing::{asks_every_variant, exclusion, family_core, identifier, is_time_word, paren_word, per_unit, question_values, rate_unit, share_of, unquoted};
use super::slot::{self, Slot};
use super::subject;
use super::template_query::{ContentAnchor, TemplateQuery, selector};
use crate::dataset::header::HeaderFormat;
use crate::knowledge::DocKind;
use crate::logql::{Expr, FilterOp, LabelFilter, LineFilter, MatchOp, Matcher, Stage};
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
    /// The dataset's header format: its fields can be read with `regexp`.
    pub header: Option<HeaderFormat>,
    /// Templates a refinement ruled out.
    pub excluded: Vec<String>,
    /// Templates of an enclosing question ("what percent of X …"): where a
    /// part without words of its own finds its constraint values.
    pub within: Vec<String>,
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
    /// The lines counted or shown: selector and line filters (no parser stages).
    #[serde(skip)]
    pub log: Option<crate::logql::LogExpr>,
    /// The templates those lines come from (the subject's family).
    #[serde(skip)]
    pub family: Vec<String>,
}

/// Level words and the values they may take in logs.
const LEVELS: &[(&[&str], &[&str])] = &[
    (&["error", "errors", "err"], &["error", "err", "e", "severe"]),
    (&["warning", "warnings", "warn", "warns"], &["warn", "warning", "w"]),
    (&["info", "information", "informational"], &["info", "i", "information", "notice"]),
    (&["debug", "debugging"], &["debug", "d"]),
    (&["verbose"], &["verbose", "v"]),
    (&["trace", "tracing"], &["trace"]),
    (&["fatal", "critical"], &["fatal", "critical", "crit", "f", "emerg", "alert"]),
];

fn level_like(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    l.contains("level") || l.contains("severity") || l == "lvl"
}

/// Matchers for the question's words that name a label value (also a
/// value with dots or dashes, such as `dfs.FSNamesystem`, written whole).
/// `literal` words are text the question says lines mention: never a label.
fn match_labels(question: &str, intent: &Intent, ctx: &BuildContext, literal: &[String]) -> (Vec<(String, String)>, Vec<String>) {
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
            let suffix = |v: &&String| {
                let (v, t) = (v.to_lowercase(), t.to_lowercase());
                v.ends_with(&format!(".{t}")) || v.ends_with(&format!("${t}"))
            };
            let by_suffix = || {
                let hits: Vec<&String> = values.iter().filter(suffix).collect();
                (hits.len() == 1).then(|| hits[0])
            };
            if let Some(v) = values.iter().find(|v| v.eq_ignore_ascii_case(t)).or_else(by_suffix) {
                if !matched.iter().any(|(n, _): &(String, String)| n == name) {
                    matched.push((name.clone(), v.clone()));
                }
                used.extend(t.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).map(str::to_lowercase));
            }
        }
    }
    // Two words that are one value written apart ("switch module" for `switch_module`).
    for pair in intent.content.windows(2) {
        for (name, values) in &ctx.labels {
            let hit = values.iter().find(|v| {
                let v = v.to_lowercase();
                ["_", "-", "", ".", " "].iter().any(|sep| v == format!("{}{sep}{}", pair[0], pair[1]))
            });
            if let Some(v) = hit
                && !matched.iter().any(|(n, _): &(String, String)| n == name)
            {
                matched.push((name.clone(), v.clone()));
                used.extend(pair.iter().cloned());
            }
        }
    }
    for (name, values) in &ctx.labels {
        let group_words: Vec<String> = intent.group_by.iter().flat_map(|g| g.split(' ').map(str::to_owned)).collect();
        for w in intent.content.iter().filter(|w| !literal.contains(w) && !group_words.contains(&singular(w))) {
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

/// Why a query's shape contradicts what the question asks, if it plainly
/// does: one number where it asks "which"/"by X"/"top N", numbers where it
/// asks for lines, lines where it asks for a number.
pub fn contradiction(intent: &Intent, logql: &str) -> Option<String> {
    let expr = crate::logql::parse(&logql.replace("$__range", "1h")).ok()?;
    let metric = !matches!(expr, Expr::Log(_));
    let grouped = logql.contains(" by (") || logql.contains(" by(") || logql.contains("by (") || logql.contains("without");
    match intent.measure {
        Measure::Lines if metric => Some("the question asks for log lines, and the query returns numbers; write a log query".into()),
        Measure::Count | Measure::Stat(_) if !metric => Some("the question asks for a number, and the query returns log lines; write a metric query".into()),
        Measure::Count if !intent.distinct && !grouped && let Some(g) = &intent.group_by => Some(format!(
            "the question asks which {g} (a list of values with their counts), and the query returns one number; group by the label or captured field that holds the {g}"
        )),
        _ => None,
    }
}

/// The builder's reading of the question, for the model's prompt.
pub fn analysis(b: &Built) -> String {
    let i = &b.intent;
    let mut parts = vec![format!("operation: {}", match i.measure {
        Measure::Lines => "show lines".to_owned(),
        Measure::Count if i.distinct => "count distinct values".to_owned(),
        Measure::Count => "count lines".to_owned(),
        Measure::Stat(s) => format!("{s:?} of a value").to_lowercase(),
    })];
    if let Some(g) = &i.group_by {
        parts.push(format!("grouping: {g}"));
    }
    if let Some(n) = i.top {
        parts.push(format!("top {n}"));
    }
    if !b.family.is_empty() {
        parts.push(format!("templates: {}", b.family.iter().take(6).cloned().collect::<Vec<_>>().join(", ")));
    }
    if !b.matched_labels.is_empty() {
        parts.push(format!("labels: {}", b.matched_labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect::<Vec<_>>().join(", ")));
    }
    parts.join("; ")
}

/// Builds the query for `question`.
pub fn build(question: &str, kb: &KnowledgeBase, items: &[RetrievedItem], ctx: &BuildContext) -> Built {
    if let Some((whole, part, percent, apart)) = share_of(question)
        && let Some(b) = share(&whole, &part, percent, apart, kb, items, ctx)
    {
        return b;
    }
    build_one(question, kb, items, ctx)
}

/// The part's lines among the whole's: `sum(count(whole and part)) / sum(count(whole))`.
fn share(whole: &str, part: &str, percent: bool, apart: bool, kb: &KnowledgeBase, items: &[RetrievedItem], ctx: &BuildContext) -> Option<Built> {
    let den = build_one(&format!("How many {whole} lines?"), kb, items, ctx);
    let den_log = den.log.clone()?;
    let inner = BuildContext { within: den.family.clone(), ..ctx.clone() };
    let mut part_b = build_one(&format!("How many {part} lines?"), kb, items, &inner);
    let part_log = match part_b.log.clone() {
        Some(l) if !l.pipeline.is_empty() || l.matchers.len() > 1 => l,
        _ => {
            part_b = build_one(&format!("How many {whole} {part}?"), kb, items, ctx);
            part_b.log.clone()?
        }
    };
    let mut num = den_log.clone();
    if apart {
        num = crate::logql::LogExpr { matchers: vec![den_log.matchers[0].clone()], pipeline: Vec::new() };
    }
    for m in part_log.matchers {
        if !num.matchers.iter().any(|x| x.name == m.name) {
            num.matchers.push(m);
        }
    }
    for st in part_log.pipeline {
        if !num.pipeline.contains(&st) {
            num.pipeline.push(st);
        }
    }
    if num == den_log {
        return None;
    }
    let count = |l: &crate::logql::LogExpr| format!("sum (count_over_time({} [$__range]))", Expr::Log(l.clone()));
    let times = if percent { " * 100" } else { "" };
    let logql = format!("{} / {}{times}", count(&num), count(&den_log));
    let explanation = format!("share of ({}) in ({})", part_b.explanation, den.explanation);
    let plan = QueryPlan { logql, mode: QueryMode::Instant, limit: ctx.line_limit.max(1) };
    Some(Built { plan, intent: part_b.intent, template: part_b.template, matched_labels: num.matchers.iter().skip(1).map(|m| (m.name.clone(), m.value.clone())).collect(), explanation, log: Some(num), family: den.family })
}

fn build_one(question: &str, kb: &KnowledgeBase, items: &[RetrievedItem], ctx: &BuildContext) -> Built {
    let (question, excluded_text) = exclusion(question);
    let question = question.as_str();
    let mut intent = intent::read(&unquoted(question));
    intent.content = intent::read(question).content;
    // A family's variants listed: the subject is what they share.
    let core = family_core(question);
    let family_mode = core.is_some() || asks_every_variant(question);
    if let Some(core) = core {
        intent.content = intent::read(&core).content;
    }
    // "node gige7", "user uucp": the word before an identifier names its kind, not the subject.
    let raw: Vec<&str> = question.split_whitespace().collect();
    let kinds: Vec<String> = raw
        .windows(2)
        .filter(|p| identifier(p[1].trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || c == ':'))))
        .map(|p| p[0].trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .collect();
    intent.content.retain(|w| !kinds.contains(w));
    let literal_words = subject::literal_words(question);
    let (mut matched, mut used) = match_labels(question, &intent, ctx, &literal_words);
    let label_names: Vec<String> = ctx.labels.keys().cloned().collect();
    // "unique remote hosts (rhost)": the word in parentheses names the grouping.
    if intent.group_by.is_some()
        && let Some(named) = paren_word(question)
        && !ctx.labels.contains_key(&named)
    {
        intent.group_by = Some(named);
    }
    let time_unit = intent.group_by.as_deref().and_then(rate_unit).or_else(|| per_unit(question));
    let group_by = if time_unit.is_some() { None } else { intent.group_by.clone() };
    let mut group_label = group_by.as_ref().and_then(|g| ctx.labels.keys().find(|l| names(g, l)).cloned());
    let in_group = |w: &str| group_by.as_deref().is_some_and(|g| g.split(' ').any(|x| x == singular(w)));
    // A grouping by something that is not a stream label names text of the
    // lines ("which invalid user name", "distinct scoreboard slots"): its
    // words help find the template.
    let group_in_text = group_label.is_none();
    let subject_words: Vec<String> = intent
        .content
        .iter()
        .filter(|w| {
            !used.contains(w)
                && !ctx.labels.keys().any(|l| names(w, l))
                && (group_in_text || !in_group(w))
                && !time_unit.is_some_and(|_| is_time_word(w))
                && **w != ctx.app.to_lowercase()
        })
        .cloned()
        .collect();
    // Level words the label took, tried in the subject too ("error contacting the RM").
    let level_used: Vec<String> = used.iter().filter(|w| is_level_word(w)).cloned().collect();
    // Retrieval's first templates break near ties (summaries and embeddings live there).
    let mut boost: Vec<String> = Vec::new();
    for it in items {
        if let Some(t) = kb.template_of(&it.id, it.kind).filter(|_| it.kind != DocKind::Workflow)
            && !boost.contains(&t.id)
        {
            boost.push(t.id.clone());
        }
    }
    boost.truncate(5);
    // Templates with a slot value the question names ("node gige7").
    let values = question_values(question);
    let valued: Vec<String> = kb
        .knowledge
        .params
        .iter()
        .filter(|tp| {
            tp.params.iter().any(|p| {
                p.top_values.iter().any(|v| v.value.len() >= 3 && !v.value.chars().all(|c| c.is_ascii_digit()) && values.iter().any(|w| v.value.eq_ignore_ascii_case(w)))
            })
        })
        .map(|tp| tp.template_id.clone())
        .collect();
    // Templates whose lines carry a matched label's value ("klogind ... failures").
    let mut valued = valued;
    for t in &kb.knowledge.templates {
        if !matched.is_empty()
            && !matched.iter().any(|(n, _)| level_like(n))
            && matched.iter().all(|(_, v)| t.examples.iter().any(|e| e.raw.contains(v.as_str())))
            && !valued.contains(&t.id)
        {
            valued.push(t.id.clone());
        }
    }
    let live: Vec<crate::knowledge::TemplateRecord> =
        kb.knowledge.templates.iter().filter(|t| !ctx.excluded.contains(&t.id)).cloned().collect();
    let mut found = if subject_words.is_empty() && literal_words.is_empty() {
        None
    } else {
        // A level word inside the subject's text ("data TLB error interrupt",
        // "ERROR IN CONTACTING RM") is the subject's, not the level label's.
        let mut with_levels = subject_words.clone();
        with_levels.extend(level_used.iter().cloned());
        let first = if level_used.is_empty() { None } else { subject::find(question, &with_levels, &[], &live, &boost, &valued, family_mode) };
        let in_text = |s: &subject::Subject, w: &str| {
            let w = singular(w);
            // Part of a phrase ("error interrupt"), not a lone "error".
            s.filters.iter().any(|f| f.split_whitespace().count() >= 2 && f.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|x| singular(x) == w))
        };
        match first {
            Some(s) if level_used.iter().any(|w| in_text(&s, w)) => {
                matched.retain(|(n, _)| !level_like(n));
                used.retain(|w| !level_used.contains(w));
                Some(s)
            }
            _ => subject::find(question, &subject_words, &[], &live, &boost, &valued, family_mode),
        }
    };
    if found.is_none() && subject_words.len() == intent.content.len() && !subject_words.is_empty() && matched.is_empty() {
        // Nothing in the logs: keep what retrieval found first.
        found = boost.first().map(|b| subject::Subject {
            best: b.clone(),
            family: vec![b.clone()],
            filters: Vec::new(),
            insensitive: false,
            regex: false,
            used: Vec::new(),
            score: 0.0,
        });
    }
    // A level the logs never use is still asked for: 0 is the answer.
    if !matched.iter().any(|(n, _)| level_like(n))
        && let Some((name, value)) = absent_level(question, &intent, ctx, found.as_ref())
    {
        matched.push((name, value));
    }
    let reserved: Vec<String> = label_names.clone();
    let template = found.as_ref().and_then(|s| TemplateQuery::build(kb, &s.best, selector(&ctx.app, &matched), ctx.anchor.as_ref(), &reserved));
    let wants_value = matches!(intent.measure, Measure::Stat(_));
    let family: Vec<String> = found.as_ref().map(|s| s.family.clone()).unwrap_or_default();
    // The value to read: a grouping by a slot or a header field, or a statistic's number.
    let mut slot: Option<Slot> = None;
    if wants_value || (group_by.is_some() && group_label.is_none()) {
        let mut wanted: Vec<String> = group_by.iter().flat_map(|g| g.split(' ').map(str::to_owned)).collect();
        if wants_value {
            wanted.extend(intent.content.iter().filter(|w| !found.as_ref().is_some_and(|s| s.used.contains(w))).cloned());
            wanted.extend(intent.content.iter().cloned());
        }
        slot = slot::choose(kb, &family, &wanted, wants_value, &reserved);
        // A header field the grouping names ("nodes" and `<Node>`) wins over a
        // slot that does not carry that name.
        let header_named = ctx.header.as_ref().zip(group_by.as_deref()).and_then(|(h, g)| slot::header_field(h, g, &label_names)).is_some();
        let slot_named = slot.as_ref().is_some_and(|s| group_by.as_deref().is_some_and(|g| g.split(' ').any(|w| s.label.split('_').any(|p| slot::same_thing(p, w)))));
        if header_named && !slot_named && !wants_value {
            slot = None;
        }
        if slot.is_none()
            && !wants_value
            && let (Some(h), Some(g)) = (ctx.header.as_ref(), group_by.as_deref())
            && let Some(field) = slot::header_field(h, g, &label_names)
        {
            let label = crate::retrieve::label_name(field, 0);
            slot = slot::header_capture(h, field, &label).map(|regex| Slot { label, regex });
        }
    }
    if group_label.is_none() && group_by.is_some() && !wants_value {
        group_label = slot.as_ref().map(|s| s.label.clone());
    }
    // Values the question names that a slot holds ("for root", "status 404").
    let leftover: Vec<String> = question_values(question)
        .into_iter()
        .filter(|w| !used.contains(&w.to_lowercase()) && !found.as_ref().is_some_and(|s| s.used.contains(&w.to_lowercase())))
        .filter(|w| intent.top.is_none_or(|n| *w != n.to_string()))
        .collect();
    let where_values = if family.is_empty() { &ctx.within } else { &family };
    let constraints: Vec<String> = slot::constraints(kb, where_values, &leftover).into_iter().map(|(_, f)| f).collect();
    // What the question excludes becomes `!=` filters.
    let exclude: Vec<String> = excluded_text
        .map(|x| {
            let c = intent::read(&x).content;
            match subject::find(&x, &c, &[], &kb.knowledge.templates, &[], &[], false) {
                Some(s) if !s.filters.is_empty() && !s.insensitive => s.filters,
                _ => vec![x.trim_matches(|c: char| c == '\'' || c == '"').to_owned()],
            }
        })
        .unwrap_or_default();
    // An identifier the question names that nothing else took ("attempt_…_0",
    // "R30-M0-N9", "207.30.238.8", "LearnerHandler"): a filter as written.
    let mut constraints = constraints;
    let taken = |t: &str| {
        let l = t.to_lowercase();
        used.contains(&l)
            || matched.iter().any(|(_, v)| v.eq_ignore_ascii_case(t))
            || found.as_ref().is_some_and(|s| s.filters.iter().any(|f| f.to_lowercase().contains(&l)))
            || constraints.iter().any(|c| c.to_lowercase().contains(&l))
            || l == ctx.app.to_lowercase()
    };
    let named: Vec<String> = question_values(question).into_iter().filter(|t| identifier(t) && !taken(t) && !exclude.iter().any(|x| x.contains(t.as_str()))).collect();
    for t in named {
        {
            let as_logged = kb.knowledge.templates.iter().flat_map(|tp| tp.examples.iter()).find_map(|e| {
                let i = e.raw.to_lowercase().find(&t.to_lowercase())?;
                e.raw.get(i..i + t.len()).map(str::to_owned)
            });
            constraints.push(as_logged.unwrap_or(t));
        }
    }
    let mut extra: Vec<Matcher> = Vec::new();
    // "HiH_ components": a prefix of several values is a regex matcher.
    for raw in question.split_whitespace() {
        let t = raw.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'));
        if !(t.ends_with('_') || t.ends_with('-') || t.ends_with('.')) || t.len() < 3 {
            continue;
        }
        for (name, values) in &ctx.labels {
            if values.iter().filter(|v| v.starts_with(t)).count() >= 2 {
                matched.retain(|(n, _)| n != name);
                extra.push(Matcher { name: name.clone(), op: MatchOp::Re, value: format!("{}.*", regex::escape(t)) });
            }
        }
    }
    // A grouping by a label leaves out its placeholder value ("-").
    if let Some(g) = &group_label
        && ctx.labels.get(g).is_some_and(|v| v.iter().any(|x| x == "-"))
    {
        extra.push(Matcher { name: g.clone(), op: MatchOp::Neq, value: "-".into() });
    }
    let parts = Parts { subject: found, constraints, exclude, slot, matched, extra, group: group_label, unit: time_unit };
    let mut b = compose(intent, template, parts, ctx);
    b.family = family;
    b
}

/// What [`compose`] puts together.
struct Parts {
    subject: Option<subject::Subject>,
    constraints: Vec<String>,
    /// `!=` filters.
    exclude: Vec<String>,
    slot: Option<Slot>,
    matched: Vec<(String, String)>,
    /// Matchers other than equality (`component=~"HiH_.*"`, `alert!="-"`).
    extra: Vec<Matcher>,
    group: Option<String>,
    /// Seconds of a rate's unit ("per hour": 3600).
    unit: Option<u32>,
}

fn is_level_word(w: &str) -> bool {
    LEVELS.iter().any(|(words, _)| words.contains(&w))
}

/// A level word of the question ("FATAL lines", "how many critical errors")
/// whose value the level label never takes: the matcher in the case the
/// label's values use, so the count is 0 rather than every line.
fn absent_level(question: &str, intent: &Intent, ctx: &BuildContext, found: Option<&subject::Subject>) -> Option<(String, String)> {
    let (name, values) = ctx.labels.iter().find(|(n, _)| level_like(n))?;
    let lower = question.to_lowercase();
    let asks_lines = ["lines", "line", "messages", "entries", "events", "logs"].iter().any(|w| lower.split(|c: char| !c.is_alphanumeric()).any(|x| x == *w));
    let lower_q = question.to_lowercase();
    let named_level = lower_q.split_whitespace().find_map(|t| {
        let t = t.trim_matches(|c: char| !(c.is_alphanumeric() || c == '-'));
        t.strip_suffix("-level").filter(|x| x.chars().all(char::is_alphabetic) && !x.is_empty()).map(str::to_owned)
    });
    if let Some(x) = named_level {
        let known = values.iter().any(|v| v.eq_ignore_ascii_case(&x));
        let upper = values.iter().all(|v| v.chars().all(|c| !c.is_lowercase()));
        return (!known).then(|| (name.clone(), if upper { x.to_uppercase() } else { x }));
    }
    let word = intent.content.iter().find(|w| is_level_word(w))?;
    if found.is_some_and(|s| !s.filters.is_empty()) && !asks_lines {
        return None;
    }
    let (_, vals) = LEVELS.iter().find(|(words, _)| words.contains(&word.as_str()))?;
    if values.iter().any(|v| vals.contains(&v.to_lowercase().as_str())) {
        return None;
    }
    let canonical = vals[0];
    let upper = values.iter().all(|v| v.chars().all(|c| !c.is_lowercase()));
    Some((name.clone(), if upper { canonical.to_uppercase() } else { canonical.to_owned() }))
}

fn compose(intent: Intent, template: Option<TemplateQuery>, parts: Parts, ctx: &BuildContext) -> Built {
    let Parts { subject, constraints, exclude, slot, matched, extra, group, unit } = parts;
    let mut log = crate::logql::LogExpr { matchers: selector(&ctx.app, &matched), pipeline: Vec::new() };
    let filters = subject.as_ref().map(|s| s.filters.clone()).unwrap_or_default();
    let insensitive = subject.as_ref().is_some_and(|s| s.insensitive || s.regex);
    if filters.is_empty()
        && let Some(t) = &template
    {
        log = t.log_expr(false);
    }
    log.matchers.extend(extra.iter().cloned());
    for f in &filters {
        let op = if insensitive { FilterOp::Regex } else { FilterOp::Contains };
        log.pipeline.push(Stage::LineFilter(LineFilter { op, values: vec![f.clone()] }));
    }
    for c in &constraints {
        let op = if c.starts_with(r"\b") { FilterOp::Regex } else { FilterOp::Contains };
        log.pipeline.push(Stage::LineFilter(LineFilter { op, values: vec![c.clone()] }));
    }
    for x in &exclude {
        log.pipeline.push(Stage::LineFilter(LineFilter { op: FilterOp::NotContains, values: vec![x.clone()] }));
    }
    let base = log.clone();
    let with_slot = |log: &mut crate::logql::LogExpr, keep_empty: bool| {
        if let Some(s) = &slot {
            log.pipeline.push(Stage::Parser(crate::logql::ParserStage::Regexp(s.regex.clone())));
            if !keep_empty {
                log.pipeline.push(Stage::LabelFilter(LabelFilter::String(Matcher { name: s.label.clone(), op: MatchOp::Neq, value: String::new() })));
            }
        }
    };
    let by = |g: &Option<String>| g.as_ref().map(|g| format!(" by ({g})")).unwrap_or_default();
    let topk = |q: String| match (intent.top, &group) {
        (Some(n), Some(_)) => format!("topk({n}, {q})"),
        _ => q,
    };
    let what = match (&subject, &template) {
        (Some(s), _) if !s.filters.is_empty() => {
            let f: Vec<String> = s.filters.iter().map(|f| format!("{f:?}")).collect();
            let others = s.family.len().saturating_sub(1);
            let fam = if others > 0 { format!(", {} and {others} more template(s)", s.best) } else { format!(", template {}", s.best) };
            format!("lines with {}{fam}", f.join(" and "))
        }
        (_, Some(t)) => format!("template {} ({})", t.template_id, t.template),
        _ if matched.is_empty() => format!("every line of {}", ctx.app),
        _ => "the lines of these labels".to_owned(),
    };
    let value = slot.as_ref().map(|s| s.label.clone());
    let rate = unit.is_some() && matches!(intent.measure, Measure::Count | Measure::Stat(Stat::Avg)) && group.is_none();
    let (logql, mode, explanation) = match (intent.measure, &value) {
        _ if rate => {
            let x = Expr::Log(base.clone()).to_string();
            let u = unit.unwrap_or(1);
            let q = if u == 1 { format!("sum (rate({x} [$__range]))") } else { format!("sum (rate({x} [$__range])) * {u}") };
            (q, QueryMode::Instant, format!("rate of {what}, per {u} s"))
        }
        (Measure::Stat(stat), Some(v)) => {
            let mut x = base.clone();
            with_slot(&mut x, false);
            let x = Expr::Log(x).to_string();
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
            let mut x = base.clone();
            if value.is_some() {
                with_slot(&mut x, false);
            }
            let x = Expr::Log(x).to_string();
            let g = group.clone().unwrap_or_default();
            let q = format!("count (sum by ({g}) (count_over_time({x} [$__range])))");
            (q, QueryMode::Instant, format!("number of different {g} values in {what}"))
        }
        (Measure::Count | Measure::Stat(_), _) if unit.is_some() => {
            let x = Expr::Log(base.clone()).to_string();
            let u = unit.unwrap_or(1);
            let q = if u == 1 { format!("sum (rate({x} [$__range]))") } else { format!("sum (rate({x} [$__range])) * {u}") };
            (q, QueryMode::Instant, format!("rate of {what}, per {u} s"))
        }
        (Measure::Count | Measure::Stat(_), _) => {
            let mut x = base.clone();
            if group.is_some() && value.is_some() {
                with_slot(&mut x, false);
            }
            let x = Expr::Log(x).to_string();
            let q = topk(format!("sum{} (count_over_time({x} [$__range]))", by(&group)));
            let grouped = group.as_ref().map(|g| format!(" by {g}")).unwrap_or_default();
            (q, QueryMode::Instant, format!("count of {what}{grouped}"))
        }
        (Measure::Lines, _) => {
            let mut x = base.clone();
            if filters.is_empty()
                && let Some(p) = template.as_ref().and_then(|t| t.pattern.clone())
            {
                x.pipeline.push(Stage::Parser(crate::logql::ParserStage::Pattern(p)));
            }
            (Expr::Log(x).to_string(), QueryMode::Log, format!("lines of {what}"))
        }
    };
    let plan = QueryPlan { logql, mode, limit: ctx.line_limit.max(1) };
    Built { plan, intent, template, matched_labels: matched, explanation, log: Some(base), family: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::{Example, Knowledge, ParamSummary, ParamType, Summaries, TemplateParams, TemplateRecord, TemplateSource};

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
                params: vec![p(0, "blk", ParamType::Id), {
                    let mut size = p(1, "size", ParamType::Int);
                    size.top_values = vec![crate::knowledge::TopValue { value: "5".into(), count: 1 }];
                    size
                }, p(2, "src ip", ParamType::Ip)],
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
            header: None,
            excluded: Vec::new(),
            within: Vec::new(),
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
        assert_eq!(b.plan.logql, r#"sum (count_over_time({app="hdfs"} |= "Deleting block" [$__range]))"#, "the family's words, not one template");
        assert_eq!(b.plan.mode, QueryMode::Instant);

        let b = run("How many WARN lines are there?");
        assert_eq!(b.plan.logql, r#"sum (count_over_time({app="hdfs", level="WARN"} [$__range]))"#);
        assert_eq!(b.matched_labels, vec![("level".to_owned(), "WARN".to_owned())]);

        let b = run("How many warnings per component?");
        assert_eq!(b.plan.logql, r#"sum by (component) (count_over_time({app="hdfs", level="WARN"} [$__range]))"#);

        let b = run("What is the average size of received blocks?");
        assert!(b.plan.logql.starts_with(r#"sum (sum_over_time({app="hdfs"} |= "Received block""#), "{}", b.plan.logql);
        assert!(b.plan.logql.contains(r#"| regexp "of size (?P<size>-?[0-9]+(?:\\.[0-9]+)?)" | size!="" | unwrap size | __error__="""#), "{}", b.plan.logql);
        assert!(b.plan.logql.contains("/ sum (count_over_time("), "{}", b.plan.logql);

        let b = run("Which source ip sent the most received blocks?");
        assert!(b.plan.logql.starts_with("topk(1, sum by (src_ip) (count_over_time("), "{}", b.plan.logql);
        assert!(b.plan.logql.contains(r#"regexp "from /(?P<src_ip>\\S+)""#), "{}", b.plan.logql);

        let b = run("show the deleted blocks");
        assert_eq!(b.plan.mode, QueryMode::Log);
        assert_eq!(b.plan.logql, r#"{app="hdfs"} |= "Deleting block""#);

        let b = run("How many different components wrote lines?");
        assert_eq!(b.plan.logql, r#"count (sum by (component) (count_over_time({app="hdfs"} [$__range])))"#);
        let b = run("How many distinct source ips sent received blocks?");
        assert!(b.plan.logql.starts_with("count (sum by (src_ip) (count_over_time("), "{}", b.plan.logql);
        assert!(b.plan.logql.contains("(?P<src_ip>"), "{}", b.plan.logql);
        let b = run("How many blocks were received per hour?");
        assert_eq!(b.plan.logql, r#"sum (rate({app="hdfs"} |= "Received block" [$__range])) * 3600"#, "a rate");
        let b = run("How many FATAL lines are there?");
        assert_eq!(b.plan.logql, r#"sum (count_over_time({app="hdfs", level="FATAL"} [$__range]))"#, "a level that never occurs: 0");
        let b = run("How many blocks of size 5 were received?");
        assert!(b.plan.logql.contains(r#"|= "size 5""#), "a slot value as a constraint: {}", b.plan.logql);

        let b = run("How many lines did dfs.DataNode write?");
        assert_eq!(b.plan.logql, r#"sum (count_over_time({app="hdfs", component="dfs.DataNode"} [$__range]))"#, "a dotted value, whole");
        let b = run("How many lines are there in total?");
        assert_eq!(b.plan.logql, r#"sum (count_over_time({app="hdfs"} [$__range]))"#, "no subject: every line, no template");

        // Odd wording never panics and always gives a query that parses.
        for q in ["", "?", "'", "\"unterminated", "what percent of", "of, what percent", "((( )))", "per hour", "İİİ lines, including İİ?", "top 0 by", "which 99999999999999999999 x most", "as a percentage of", "that aren't about"] {
            run(q);
        }
        let b = run("zzz qqq");
        assert_eq!(b.plan.logql, r#"{app="hdfs"}"#, "nothing found: every line");
        assert!(b.template.is_none());
    }
}
