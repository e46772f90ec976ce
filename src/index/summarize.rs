//! The `summarize` phase: one chat request per template, per template's
//! parameter set and per workflow, with the prompts of `assets/prompts/`, the
//! reply checked as JSON (one repair). Each reply is appended to the cache
//! (`storage/<app>/cache/summaries_<chat-model>.jsonl`) as soon as it arrives,
//! keyed by a hash of the rendered prompt (the item's data), the model and the
//! prompt version: an item finished once is never requested again. When every
//! item is done, `<kind>_<chat-model>.json` are written.
//!
//! An item whose reply is still not the JSON asked for after the repair
//! request is left without a summary (a warning names it; the next run asks
//! again); any other error (the endpoint down, refusing, timing out after its
//! retries) stops the phase.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::enrich::EnrichError;
use super::event::{IndexEvent, Phase};
use crate::knowledge::{DocKind, Knowledge, Summaries, Summary, TemplateParams, TemplateRecord, WorkflowRecord, parameter_id};
use crate::llm::prompts::{Prompt, fence};
use crate::llm::{ChatOptions, LlmClient, LlmError, Message, Shape, chat_json};
use crate::storage::cache::ReplyCache;
use crate::storage::summaries::SummariesFile;
use crate::storage::{AppStore, SCHEMA_VERSION};

/// The usage phase name of these requests.
pub const PHASE: &str = "summarize";

/// Example lines put in a template's prompt.
const PROMPT_EXAMPLES: usize = 3;
/// Characters of one example line in a prompt.
const EXAMPLE_CHARS: usize = 500;

/// One request to make (or found in the cache).
#[derive(Debug, Clone)]
pub struct Task {
    /// Template, Parameter (the whole set of one template) or Workflow.
    pub kind: DocKind,
    /// Template or workflow id.
    pub id: String,
    /// Cache key.
    pub key: String,
    pub messages: Vec<Message>,
    /// Parameter sets: the slots the reply must describe.
    pub slots: Vec<usize>,
}

/// The prompts of the three tasks.
pub struct Prompts {
    pub template: Prompt,
    pub parameter: Prompt,
    pub workflow: Prompt,
}

impl Prompts {
    pub fn load() -> Result<Self, EnrichError> {
        Ok(Self {
            template: Prompt::get("template_summary")?,
            parameter: Prompt::get("parameter_summary")?,
            workflow: Prompt::get("workflow_summary")?,
        })
    }

    fn of(&self, kind: DocKind) -> &Prompt {
        match kind {
            DocKind::Template => &self.template,
            DocKind::Parameter => &self.parameter,
            DocKind::Workflow => &self.workflow,
        }
    }
}

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

/// A number in a prompt: an integer as such, else 6 significant digits, so
/// that the last bits of a float (which a JSON round trip may change) never
/// change the prompt, and with it the cache key.
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-3) {
        format!("{x:.5e}")
    } else {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn key(prompt: &Prompt, model: &str, messages: &[Message]) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for part in [prompt.version.as_str(), model] {
        h.update(part.as_bytes());
        h.update(&[0]);
    }
    for m in messages {
        h.update(m.content.as_bytes());
        h.update(&[0]);
    }
    format!("{:032x}", h.digest128())
}

fn template_vars(app: &str, t: &TemplateRecord) -> Vec<(&'static str, String)> {
    let levels = if t.levels.is_empty() {
        "none".to_owned()
    } else {
        t.levels.iter().map(|(l, n)| format!("{l} {n}")).collect::<Vec<_>>().join(", ")
    };
    let examples: Vec<&str> = t.examples.iter().take(PROMPT_EXAMPLES).map(|e| cut(&e.raw, EXAMPLE_CHARS)).collect();
    vec![
        ("app", app.to_owned()),
        ("id", t.id.clone()),
        ("template", fence(&t.text)),
        ("count", t.count.to_string()),
        ("levels", levels),
        ("first_seen", t.first_seen.clone().unwrap_or_else(|| "unknown".into())),
        ("last_seen", t.last_seen.clone().unwrap_or_else(|| "unknown".into())),
        ("examples", if examples.is_empty() { "(none)".into() } else { fence(&examples.join("\n")) }),
    ]
}

fn parameter_vars(app: &str, tp: &TemplateParams) -> Vec<(&'static str, String)> {
    let lines: Vec<String> = tp
        .params
        .iter()
        .map(|p| {
            let exact = if p.distinct_exact { "" } else { " (estimated)" };
            let top: Vec<String> = p.top_values.iter().take(5).map(|v| format!("{} ({})", cut(&v.value, 120), v.count)).collect();
            let what = if p.field { "structured field" } else { "guessed name" };
            let mut line = format!(
                "slot {}: {what} \"{}\", type {}, {} distinct values{exact}, most frequent: {}",
                p.index,
                p.name,
                p.r#type.as_str(),
                p.distinct,
                if top.is_empty() { "none".into() } else { top.join(", ") }
            );
            if let Some(n) = &p.numeric {
                line.push_str(&format!("; min {}, max {}, mean {}", num(n.min), num(n.max), num(n.mean)));
            }
            line
        })
        .collect();
    let slots: Vec<String> = tp.params.iter().map(|p| p.index.to_string()).collect();
    vec![
        ("app", app.to_owned()),
        ("id", tp.template_id.clone()),
        ("template", fence(&tp.template)),
        ("params", fence(&lines.join("\n"))),
        ("slots", slots.join(", ")),
    ]
}

fn workflow_vars(app: &str, w: &WorkflowRecord, texts: &HashMap<&str, &str>) -> Vec<(&'static str, String)> {
    let steps: Vec<String> = w
        .templates
        .iter()
        .enumerate()
        .map(|(i, id)| format!("{}. {id}: {}", i + 1, texts.get(id.as_str()).copied().unwrap_or("")))
        .collect();
    vec![
        ("app", app.to_owned()),
        ("id", w.id.clone()),
        ("support", w.support.to_string()),
        ("session_kind", w.session_kind.clone()),
        ("steps", fence(&steps.join("\n"))),
    ]
}

/// Every summary request of `k`, rendered, in order: templates, parameter sets, workflows.
pub fn tasks(app: &str, k: &Knowledge, prompts: &Prompts, model: &str) -> Result<Vec<Task>, EnrichError> {
    let mut out = Vec::new();
    let mut push = |kind: DocKind, id: &str, vars: Vec<(&'static str, String)>, slots: Vec<usize>| -> Result<(), EnrichError> {
        let p = prompts.of(kind);
        let messages = p.render(&vars)?;
        out.push(Task { kind, id: id.to_owned(), key: key(p, model, &messages), messages, slots });
        Ok(())
    };
    for t in &k.templates {
        push(DocKind::Template, &t.id, template_vars(app, t), Vec::new())?;
    }
    for tp in k.params.iter().filter(|tp| !tp.params.is_empty()) {
        push(DocKind::Parameter, &tp.template_id, parameter_vars(app, tp), tp.params.iter().map(|p| p.index).collect())?;
    }
    let texts: HashMap<&str, &str> = k.templates.iter().map(|t| (t.id.as_str(), t.text.as_str())).collect();
    for w in &k.workflows {
        push(DocKind::Workflow, &w.id, workflow_vars(app, w, &texts), Vec::new())?;
    }
    Ok(out)
}

fn shape(kind: DocKind) -> Shape {
    match kind {
        DocKind::Template => Shape::Object(vec![("summary", Shape::Text, true), ("keywords", Shape::array(Shape::String), false)]),
        DocKind::Parameter => Shape::object([(
            "parameters",
            Shape::array(Shape::object([("slot", Shape::Integer), ("name", Shape::Text), ("description", Shape::Text)])),
        )]),
        DocKind::Workflow => Shape::object([("name", Shape::Text), ("summary", Shape::Text)]),
    }
}

/// For a parameter set: every slot asked for is described.
fn check_slots(v: &Value, slots: &[usize]) -> Result<(), String> {
    let got: HashSet<u64> = v
        .get("parameters")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|p| p.get("slot").and_then(Value::as_u64)).collect())
        .unwrap_or_default();
    let missing: Vec<String> = slots.iter().filter(|s| !got.contains(&(**s as u64))).map(|s| s.to_string()).collect();
    if missing.is_empty() { Ok(()) } else { Err(format!("$.parameters: no entry for slot {}", missing.join(", "))) }
}

async fn ask(client: &LlmClient, t: &Task) -> Result<Value, LlmError> {
    let opts = ChatOptions { temperature: Some(0.0), max_tokens: Some(1500), ..Default::default() };
    let slots = t.slots.clone();
    let kind = t.kind;
    let r = chat_json::<Value>(client, PHASE, &t.messages, &opts, &shape(kind), move |v| {
        if kind == DocKind::Parameter { check_slots(v, &slots) } else { Ok(()) }
    })
    .await?;
    Ok(r.value)
}

/// The summaries in a checked reply.
fn summaries_of(t: &Task, v: &Value) -> Vec<(DocKind, Summary)> {
    let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().trim().to_owned();
    match t.kind {
        DocKind::Template => {
            let keywords = v
                .get("keywords")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect())
                .unwrap_or_default();
            vec![(
                DocKind::Template,
                Summary { id: t.id.clone(), source_hash: t.key.clone(), summary: s(v.get("summary")), name: None, keywords },
            )]
        }
        DocKind::Parameter => {
            let entries = v.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
            t.slots
                .iter()
                .filter_map(|slot| {
                    let e = entries.iter().find(|e| e.get("slot").and_then(Value::as_u64) == Some(*slot as u64))?;
                    Some((
                        DocKind::Parameter,
                        Summary {
                            id: parameter_id(&t.id, *slot),
                            source_hash: t.key.clone(),
                            summary: s(e.get("description")),
                            name: Some(s(e.get("name"))).filter(|n| !n.is_empty()),
                            keywords: Vec::new(),
                        },
                    ))
                })
                .collect()
        }
        DocKind::Workflow => vec![(
            DocKind::Workflow,
            Summary {
                id: t.id.clone(),
                source_hash: t.key.clone(),
                summary: s(v.get("summary")),
                name: Some(s(v.get("name"))).filter(|n| !n.is_empty()),
                keywords: Vec::new(),
            },
        )],
    }
}

/// The summaries of `tasks` found in `cache` (the others are missing).
pub fn collect(tasks: &[Task], cache: &ReplyCache) -> Summaries {
    let mut out = Summaries::default();
    for t in tasks {
        if let Some(v) = cache.get(&t.key).and_then(|r| r.get("value")) {
            for (kind, s) in summaries_of(t, v) {
                out.of_mut(kind).insert(s.id.clone(), s);
            }
        }
    }
    out
}

/// Summaries of `k` made earlier with `chat_model` (from the cache), without
/// any request: what offline mode can still use.
pub fn cached(store: &AppStore, app: &str, k: &Knowledge, chat_model: &str) -> Result<Summaries, EnrichError> {
    let path = store.cache_path("summaries", chat_model);
    if !path.exists() {
        return Ok(Summaries::default());
    }
    let cache = ReplyCache::open(&path)?;
    Ok(collect(&tasks(app, k, &Prompts::load()?, chat_model)?, &cache))
}

/// What the phase did.
#[derive(Debug, Clone, Default)]
pub struct SummarizeOutput {
    pub summaries: Summaries,
    /// Requests (items) made in this run; the rest came from the cache.
    pub requested: usize,
    pub cached: usize,
    pub files: Vec<PathBuf>,
    pub prompt_versions: Vec<(DocKind, String)>,
    /// Items left without a summary (`template E5`) and why.
    pub invalid: Vec<(String, String)>,
}

/// Runs the phase: every item not in the cache is requested (at most
/// `concurrency` at once), cached as it arrives. On an error or a cancel the
/// items in flight are finished and kept, and no summary file is written.
pub async fn run(
    client: &LlmClient,
    store: &AppStore,
    app: &str,
    k: &Knowledge,
    concurrency: usize,
    on_event: &dyn Fn(IndexEvent),
    cancel: &AtomicBool,
) -> Result<SummarizeOutput, EnrichError> {
    let model = client.chat_model().to_owned();
    let prompts = Prompts::load()?;
    let all = tasks(app, k, &prompts, &model)?;
    let mut cache = ReplyCache::open(&store.cache_path("summaries", &model))?;
    let mut seen = HashSet::new();
    let pending: Vec<Task> = all.iter().filter(|t| !cache.contains(&t.key) && seen.insert(t.key.clone())).cloned().collect();
    let total = all.len() as u64;
    let cached = all.len() - pending.len();
    let mut done = cached as u64;
    on_event(IndexEvent::ItemsStarted { phase: Phase::Summarize, total, cached: cached as u64 });
    let progress = |done: u64| {
        let u = client.usage().phase(PHASE);
        on_event(IndexEvent::Items {
            phase: Phase::Summarize,
            done,
            total,
            tokens_in: u.tokens_in,
            tokens_out: u.tokens_out,
            cost_usd: u.cost_usd,
        });
    };
    progress(done);
    let requested = pending.len();
    let mut queue = pending.into_iter();
    let mut set: JoinSet<(Task, Result<Value, LlmError>)> = JoinSet::new();
    let mut failure: Option<EnrichError> = None;
    let mut invalid = Vec::new();
    loop {
        while failure.is_none() && !cancel.load(Ordering::Relaxed) && set.len() < concurrency.max(1) {
            let Some(t) = queue.next() else { break };
            let c = client.clone();
            set.spawn(async move {
                let r = ask(&c, &t).await;
                (t, r)
            });
        }
        let Some(joined) = set.join_next().await else { break };
        match joined {
            Ok((t, Ok(v))) => {
                let record = json!({"kind": t.kind.as_str(), "id": t.id, "value": v});
                if let Err(e) = cache.put(t.key.clone(), record) {
                    set.abort_all();
                    return Err(e.into());
                }
                done += 1;
                progress(done);
            }
            Ok((t, Err(LlmError::InvalidJson { error, .. }))) => {
                let what = format!("{} {}", t.kind, t.id);
                on_event(IndexEvent::Warning(format!("{what}: no summary, the model's reply is not the JSON asked for: {error}")));
                invalid.push((what, error));
            }
            Ok((t, Err(e))) => {
                failure.get_or_insert(EnrichError::Llm { what: format!("{} {}", t.kind, t.id), error: e });
            }
            Err(e) => {
                failure.get_or_insert(EnrichError::Task(e.to_string()));
            }
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    if queue.len() > 0 {
        return Err(EnrichError::Cancelled { phase: PHASE, done, total });
    }
    let summaries = collect(&all, &cache);
    let mut files = Vec::new();
    let mut prompt_versions = Vec::new();
    for kind in DocKind::ALL {
        let prompt_version = prompts.of(kind).version.clone();
        let f = SummariesFile {
            schema_version: SCHEMA_VERSION,
            app: app.to_owned(),
            kind,
            chat_model: model.clone(),
            prompt_version: prompt_version.clone(),
            items: summaries.of(kind).values().cloned().collect(),
        };
        files.push(store.write_summaries(&f)?);
        prompt_versions.push((kind, prompt_version));
    }
    Ok(SummarizeOutput { summaries, requested, cached, files, prompt_versions, invalid })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_change_with_data_model_and_prompt() {
        let prompts = Prompts::load().unwrap();
        let k = Knowledge {
            templates: vec![TemplateRecord {
                id: "E1".into(),
                text: "Receiving block blk_<*>".into(),
                source: crate::knowledge::TemplateSource::Known,
                count: 3,
                first_seen: None,
                last_seen: None,
                levels: [("info".to_owned(), 3)].into(),
                examples: vec![],
            }],
            ..Default::default()
        };
        let a = tasks("hdfs", &k, &prompts, "m1").unwrap();
        let b = tasks("hdfs", &k, &prompts, "m1").unwrap();
        let c = tasks("hdfs", &k, &prompts, "m2").unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].key, b[0].key);
        assert_ne!(a[0].key, c[0].key);
        let mut k2 = k.clone();
        k2.templates[0].count = 4;
        assert_ne!(tasks("hdfs", &k2, &prompts, "m1").unwrap()[0].key, a[0].key);
        let user = &a[0].messages[1].content;
        assert!(user.contains("Seen 3 times; levels: info 3; first seen unknown"), "{user}");
        assert!(user.contains("<<<DATA_") && user.contains("Receiving block blk_<*>"));
    }

    #[test]
    fn numbers_in_prompts_ignore_the_last_bits() {
        assert_eq!(num(50010.0), "50010");
        assert_eq!(num(1.4542610266793856e18), "1.45426e18");
        assert_eq!(num(1.4542610266793858e18), "1.45426e18");
        assert_eq!(num(-5.140072410813878e18), "-5.14007e18");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(0.000012345), "1.23450e-5");
        assert_eq!(num(0.0), "0");
    }

    #[test]
    fn parameter_replies_must_cover_every_slot() {
        let v = json!({"parameters": [{"slot": 0, "name": "a", "description": "d"}]});
        assert!(check_slots(&v, &[0]).is_ok());
        assert_eq!(check_slots(&v, &[0, 2]).unwrap_err(), "$.parameters: no entry for slot 2");
        let t = Task { kind: DocKind::Parameter, id: "E4".into(), key: "k".into(), messages: vec![], slots: vec![0] };
        let s = summaries_of(&t, &v);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].1.id, "E4#0");
        assert_eq!(s[0].1.name.as_deref(), Some("a"));
    }
}
