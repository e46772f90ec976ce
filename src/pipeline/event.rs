//! What a pipeline run tells its caller, as it happens: [`PipelineEvent`]s
//! over a channel (see [`super::handle`]). The CLI prints them, the TUI
//! renders them, [`super::record::Record`] folds them into the results file.
//! The last event of every run is [`PipelineEvent::Finished`], also after a
//! failure or a cancel.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize, Serializer};

use super::results::AnswerValue;
use crate::logql::value::QueryResult;
use crate::retrieve::RetrievedItem;

/// A step of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Which kind of question this is.
    Dispatch,
    /// Knowledge search and context packing.
    Retrieve,
    /// A LogQL candidate from the builder or the model.
    Generate,
    /// Our parser's check of a candidate.
    Check,
    /// Time range, streams and volume against the configured limits.
    Guard,
    /// The query on the backend.
    Execute,
    /// Why a result is empty: labels, values and lines that exist.
    Diagnose,
    /// Retrieval again with what the results taught.
    Refine,
    /// The answer.
    Answer,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Dispatch => "dispatch",
            Stage::Retrieve => "retrieve",
            Stage::Generate => "generate",
            Stage::Check => "check",
            Stage::Guard => "guard",
            Stage::Execute => "execute",
            Stage::Diagnose => "diagnose",
            Stage::Refine => "refine",
            Stage::Answer => "answer",
        }
    }
}

/// What a question is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    /// Answered from the knowledge base (what an event means, which workflows exist).
    Knowledge,
    /// Answered by running LogQL.
    Query,
    /// Log lines pasted for an explanation.
    Analysis,
}

/// Who wrote a LogQL candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CandidateSource {
    /// The deterministic builder.
    Builder,
    /// The model, first try.
    Model,
    /// The model, after a repair request.
    Repair,
}

/// Why a query is repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairReason {
    /// The reply held no query.
    NoQuery,
    /// Our parser refused it.
    ParseError,
    /// The backend refused it or failed (Loki's own text).
    BackendError,
    /// It ran and found nothing.
    EmptyResult,
    /// It ran, but its shape contradicts the question (one number where the
    /// question asks "which", numbers where it asks for lines).
    Contradicts,
}

/// What the guard decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum GuardDecision {
    /// Within the limits (or not checked: the embedded engine).
    Allowed,
    /// Run over a narrower window.
    Narrowed { start_ns: i64, end_ns: i64 },
    /// Run as is, over the limit, because the user said so.
    Confirmed,
    /// Not run.
    Refused,
}

/// Tokens and requests of a run so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub requests: u32,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// Some counts are tiktoken estimates (the server sent none).
    pub estimated: bool,
    /// USD, when the models have prices in `llm.prices`.
    pub cost_usd: Option<f64>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// An answer from the model, quoting the results.
    Answered,
    /// No model configured: the builder's query, its results and a note.
    NoModel,
    /// The query kept failing after the bounded repairs; the answer says why.
    GaveUp,
    /// An error stopped the run (the answer says which).
    Failed,
    Cancelled,
}

/// The end of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub kind: QuestionKind,
    pub status: Status,
    pub answer: String,
    /// The query whose result the answer uses (as run, `$__range` filled in).
    pub logql: Option<String>,
    #[serde(serialize_with = "ser_opt_result")]
    pub result: Option<Arc<QueryResult>>,
    /// The number, list or lines the result holds.
    pub value: Option<AnswerValue>,
    /// Queries that ran (or were refused) before the last one.
    pub repairs: u32,
    pub error: Option<String>,
    pub usage: Usage,
    pub ms: u64,
    /// The results file, when one was written.
    pub record: Option<PathBuf>,
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PipelineEvent {
    StageStarted { stage: Stage, attempt: u32 },
    StageFinished { stage: Stage, attempt: u32, ms: u64, ok: bool, detail: String },
    Dispatched { kind: QuestionKind, reason: String },
    /// Something the user should know (no model, lexical retrieval only, a cut question).
    Note { text: String },
    Retrieved { items: Vec<RetrievedItem>, context_tokens: usize, dropped: Vec<String>, refined: bool },
    Candidate { attempt: u32, source: CandidateSource, logql: String, explanation: Option<String> },
    /// Our parser refused a candidate (error text with line and column).
    CheckFailed { attempt: u32, logql: String, error: String },
    Guard { attempt: u32, logql: String, decision: GuardDecision, checks: Vec<String> },
    /// The guard waits for [`super::handle::PipelineHandle::confirm`].
    ConfirmationNeeded { reason: String, narrowed_start_ns: i64, narrowed_end_ns: i64 },
    Executed {
        attempt: u32,
        /// The query as run (`$__range` filled in).
        logql: String,
        /// The query as planned (with `$__range`, which makes it an instant
        /// query over the window): what to rerun it by.
        planned: String,
        backend: String,
        ms: u64,
        rows: usize,
        summary: String,
        #[serde(serialize_with = "ser_result")]
        result: Arc<QueryResult>,
    },
    ExecutionFailed { attempt: u32, logql: String, error: String },
    /// What exists when a result is empty.
    Diagnosis { findings: Vec<String> },
    Repair { attempt: u32, reason: RepairReason, detail: String },
    /// A model's reasoning before a reply (its `<think>` block or reasoning
    /// field): shown folded, kept in the record's steps, never the answer.
    Reasoning {
        stage: Stage,
        attempt: u32,
        text: String,
        tokens: u64,
        /// The reply ended inside its reasoning (cut at max tokens?): it had no answer.
        unterminated: bool,
    },
    /// More of the answer's reasoning, as it streams (the whole of it comes
    /// again in [`PipelineEvent::Reasoning`] once the answer is done).
    ReasoningDelta { text: String },
    /// More of the answer.
    AnswerDelta { text: String },
    /// A failed stream is retried: forget the answer so far.
    AnswerRestart,
    Usage(Usage),
    Finished(Box<Outcome>),
}

/// Series or streams kept when a result is written to a record.
pub const RECORD_MAX_ROWS: usize = 200;

fn ser_result<S: Serializer>(r: &Arc<QueryResult>, s: S) -> Result<S::Ok, S::Error> {
    result_json(r).serialize(s)
}

fn ser_opt_result<S: Serializer>(r: &Option<Arc<QueryResult>>, s: S) -> Result<S::Ok, S::Error> {
    r.as_ref().map(|r| result_json(r)).serialize(s)
}

/// Loki's `data` object, with at most [`RECORD_MAX_ROWS`] streams or series
/// (and as many lines per stream); `truncated` says when some were left out.
pub fn result_json(r: &QueryResult) -> serde_json::Value {
    let cut = match r {
        QueryResult::Streams(s) => {
            let mut s: Vec<_> = s.iter().take(RECORD_MAX_ROWS).cloned().collect();
            for x in &mut s {
                x.entries.truncate(RECORD_MAX_ROWS);
            }
            QueryResult::Streams(s)
        }
        QueryResult::Vector(v) => QueryResult::Vector(v.iter().take(RECORD_MAX_ROWS).cloned().collect()),
        QueryResult::Matrix(m) => QueryResult::Matrix(m.iter().take(RECORD_MAX_ROWS).cloned().collect()),
        QueryResult::Scalar(p) => QueryResult::Scalar(*p),
    };
    let truncated = cut.len() < r.len();
    serde_json::json!({ "resultType": r.result_type(), "result": cut.result_json(), "truncated": truncated })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::value::{Entry, Stream};

    #[test]
    fn events_serialise_with_a_tag_and_bounded_results() {
        let e = PipelineEvent::Repair { attempt: 2, reason: RepairReason::ParseError, detail: "col 3".into() };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["event"], "repair");
        assert_eq!(v["reason"], "parse_error");
        let lines = (0..RECORD_MAX_ROWS + 5).map(|i| Entry { ts: i as i64, line: format!("l{i}") }).collect();
        let r = Arc::new(QueryResult::Streams(vec![Stream { labels: Default::default(), entries: lines }]));
        let e = PipelineEvent::Executed {
            attempt: 1,
            logql: "{a=\"b\"}".into(),
            planned: "{a=\"b\"}".into(),
            backend: "embedded".into(),
            ms: 3,
            rows: 205,
            summary: "205 lines".into(),
            result: r,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["result"]["resultType"], "streams");
        assert_eq!(v["result"]["truncated"], true);
        assert_eq!(v["result"]["result"][0]["values"].as_array().unwrap().len(), RECORD_MAX_ROWS);
        let g = serde_json::to_value(GuardDecision::Narrowed { start_ns: 1, end_ns: 2 }).unwrap();
        assert_eq!(g["decision"], "narrowed");
    }
}
