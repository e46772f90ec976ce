//! The pipeline end to end on the HDFS sample, the embedded engine and the
//! scripted local LLM server (`crate::llm::server`): a repair after a parse
//! error, a repair after an empty result (with a refined retrieval), a cancel
//! in the middle of the streamed answer, a model that never writes valid
//! LogQL (bounded, the last error reported), no model at all, a knowledge
//! question, a Loki that is not there, a 100 KB question, the results file.

use std::sync::Arc;
use std::time::{Duration, Instant};

use logcopilot::backend::Backend;
use logcopilot::backend::embedded::Engine;
use logcopilot::config::{LokiConfig, PipelineConfig, RedactionMode};
use logcopilot::llm::LlmClient;
use logcopilot::loki::LokiClient;
use logcopilot::pipeline::event::{CandidateSource, PipelineEvent, QuestionKind, RepairReason, Status};
use logcopilot::pipeline::{AskRequest, Outcome, PipelineContext, ask, start};

use super::builder::knowledge_base;
use crate::common::datasets;
use crate::llm::server::{MockLlm, Reply, Route, StreamEnd};

const DELETED: &str = "sum(count_over_time({app=\"hdfs\"} |= \"Deleting block\" [$__range]))";

fn ctx(llm: Option<LlmClient>) -> Arc<PipelineContext> {
    let (ds, kb) = knowledge_base("hdfs");
    let engine = Backend::Embedded(Arc::new(Engine::open(&datasets(), Some(&["hdfs".to_string()])).unwrap()));
    Arc::new(PipelineContext::new(Arc::new(kb), engine, llm, PipelineConfig::default(), Some(&ds)))
}

fn logql(q: &str) -> Reply {
    Reply::Text(format!("```logql\n{q}\n```\nCounts the lines."))
}

async fn run(c: Arc<PipelineContext>, question: &str) -> (Outcome, Vec<PipelineEvent>) {
    let mut events = Vec::new();
    let o = ask(c, AskRequest::new(question), |e| events.push(e.clone())).await.expect("an outcome");
    (o, events)
}

/// The user messages of every chat request, in order.
fn chats(s: &MockLlm) -> Vec<String> {
    s.requests()
        .iter()
        .filter(|r| r.route == Route::Chat)
        .map(|r| r.body["messages"].as_array().and_then(|m| m.last()).and_then(|m| m["content"].as_str()).unwrap_or("").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parse_error_is_repaired() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, logql("sum(count_over_time({app=\"hdfs\"} |= [$__range]))"));
    s.push(Route::Chat, logql(DELETED));
    s.push(Route::Chat, Reply::Text("263 blocks were deleted.".into()));
    let (o, ev) = run(ctx(Some(s.client(RedactionMode::Off))), "How many blocks were deleted?").await;
    assert_eq!(o.status, Status::Answered, "{o:?}");
    assert_eq!(o.value.as_ref().and_then(|v| v.number), Some(263.0));
    assert_eq!(o.repairs, 1);
    assert_eq!(o.answer, "263 blocks were deleted.");
    assert!(ev.iter().any(|e| matches!(e, PipelineEvent::CheckFailed { attempt: 1, .. })));
    assert!(ev.iter().any(|e| matches!(e, PipelineEvent::Repair { attempt: 2, reason: RepairReason::ParseError, .. })));
    assert!(ev.iter().any(|e| matches!(e, PipelineEvent::Candidate { attempt: 2, source: CandidateSource::Repair, .. })));
    let deltas: String = ev.iter().filter_map(|e| if let PipelineEvent::AnswerDelta { text } = e { Some(text.as_str()) } else { None }).collect();
    assert_eq!(deltas, "263 blocks were deleted.", "the answer is streamed");
    let sent = chats(&s);
    assert_eq!(sent.len(), 3, "generate, repair, answer");
    assert!(sent[1].contains("does not parse") && sent[1].contains("col") && sent[1].contains('^'), "{}", sent[1]);
    assert!(sent[2].contains("1 sample: 263"), "the answer prompt quotes the result: {}", sent[2]);
    assert!(o.usage.tokens_in >= 300 && o.usage.requests == 3, "{:?}", o.usage);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_result_is_diagnosed_refined_and_repaired() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, logql("sum(count_over_time({app=\"hdfs\"} |= \"Deleted block\" [$__range]))"));
    s.push(Route::Chat, logql(DELETED));
    s.push(Route::Chat, Reply::Text("263.".into()));
    let (o, ev) = run(ctx(Some(s.client(RedactionMode::Off))), "How many blocks were deleted?").await;
    assert_eq!(o.status, Status::Answered, "{o:?}");
    assert_eq!(o.value.as_ref().and_then(|v| v.number), Some(263.0));
    let findings = ev.iter().find_map(|e| if let PipelineEvent::Diagnosis { findings } = e { Some(findings.join("\n")) } else { None }).unwrap();
    assert!(findings.contains("no line of hdfs contains \"Deleted block\""), "{findings}");
    assert!(findings.contains("lines that exist:\n0811"), "{findings}");
    assert!(ev.iter().any(|e| matches!(e, PipelineEvent::Retrieved { refined: true, .. })), "retrieval refined");
    assert!(ev.iter().any(|e| matches!(e, PipelineEvent::Repair { reason: RepairReason::EmptyResult, .. })));
    let sent = chats(&s);
    assert!(sent[1].contains("returned nothing") && sent[1].contains("Deleted block") && sent[1].contains("Knowledge that may fit better"), "{}", sent[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_in_the_middle_of_the_answer_stops_at_once() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, logql(DELETED));
    s.push(Route::Chat, Reply::Stream { deltas: vec!["263 blocks ".into(), "were ".into()], end: StreamEnd::Stall });
    let mut h = start(ctx(Some(s.client(RedactionMode::Off))), AskRequest::new("How many blocks were deleted?"));
    let mut cancelled_at = None;
    let mut outcome = None;
    while let Some(e) = tokio::time::timeout(Duration::from_secs(20), h.next()).await.expect("no hang") {
        match e {
            PipelineEvent::AnswerDelta { .. } if cancelled_at.is_none() => {
                h.cancel();
                cancelled_at = Some(Instant::now());
            }
            PipelineEvent::Finished(o) => {
                outcome = Some(*o);
                break;
            }
            _ => {}
        }
    }
    let o = outcome.expect("finished");
    assert_eq!(o.status, Status::Cancelled);
    assert!(cancelled_at.unwrap().elapsed() < Duration::from_secs(2), "the stall is not waited for");
    assert!(o.answer.starts_with("263 blocks") && o.answer.ends_with("[cancelled]"), "{}", o.answer);
    assert_eq!(o.value.and_then(|v| v.number), Some(263.0), "the result is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_never_writes_valid_logql_gives_up_after_the_bounded_tries() {
    let s = MockLlm::start().await;
    for _ in 0..4 {
        s.push(Route::Chat, logql("{app=\"hdfs\" |= \"Deleting\""));
    }
    s.push(Route::Chat, Reply::Text("I could not find out with my queries; the builder's query counts 263.".into()));
    let t = Instant::now();
    let (o, ev) = run(ctx(Some(s.client(RedactionMode::Off))), "How many blocks were deleted?").await;
    assert!(t.elapsed() < Duration::from_secs(20));
    assert_eq!(o.status, Status::GaveUp);
    let err = o.error.clone().unwrap_or_default();
    assert!(err.contains("parse error at line 1"), "the last error is reported: {err}");
    let checks = ev.iter().filter(|e| matches!(e, PipelineEvent::CheckFailed { .. })).count();
    assert_eq!(checks, 4, "1 try + pipeline.max_repairs (3)");
    assert_eq!(o.repairs, 3);
    assert!(ev.iter().any(|e| matches!(e, PipelineEvent::Note { text } if text.contains("no working query after 4 tries"))));
    assert_eq!(o.value.and_then(|v| v.number), Some(263.0), "the builder's query is the fallback");
    assert_eq!(chats(&s).len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_the_builder_answers_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    let req = AskRequest { record_dir: Some(d.path().join("results/hdfs")), ..AskRequest::new("How many blocks were deleted?") };
    let o = ask(ctx(None), req, |_| {}).await.unwrap();
    assert_eq!(o.status, Status::NoModel);
    assert!(o.answer.starts_with("Answer: 263\n"), "the result comes first: {}", o.answer);
    assert!(o.answer.contains("No model is configured"), "{}", o.answer);
    assert!(o.logql.as_deref().unwrap().contains(r#"|= "Deleting block""#), "{:?}", o.logql);
    let path = o.record.expect("a record");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["question"], "How many blocks were deleted?");
    let retrieved = v["steps"].as_array().unwrap().iter().find(|s| s["event"] == "retrieved").unwrap();
    let first = &retrieved["items"][0];
    assert!(first["score"].as_f64().unwrap() > 0.0 && first["text"].as_str().unwrap().contains("Deleting block"), "{first}");
    assert!(v["timings_ms"]["execute"].is_u64());
    assert_eq!(v["outcome"]["status"], "no_model");
    assert!(v["answer"].as_str().unwrap().contains("263"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knowledge_questions_and_pasted_lines_without_a_model() {
    let (o, ev) = run(ctx(None), "What does the PacketResponder terminating event mean?").await;
    assert_eq!(o.kind, QuestionKind::Knowledge);
    assert!(o.answer.contains("[E10] PacketResponder <*> for block blk_<*> terminating"), "{}", o.answer);
    assert!(!ev.iter().any(|e| matches!(e, PipelineEvent::Executed { .. })), "no query for a knowledge question");
    let line = "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating";
    let (o, _) = run(ctx(None), line).await;
    assert_eq!(o.kind, QuestionKind::Analysis);
    assert!(o.answer.contains("E10") && o.answer.contains("occurs 311 times"), "{}", o.answer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loki_that_is_not_there_ends_the_run_with_a_clear_error_and_a_record() {
    let (ds, kb) = knowledge_base("hdfs");
    let cfg = LokiConfig { base_url: Some("http://127.0.0.1:9".into()), timeout_secs: 2, max_retries: 0, ..Default::default() };
    let loki = Backend::Loki(LokiClient::new(&cfg).unwrap());
    let c = Arc::new(PipelineContext::new(Arc::new(kb), loki, None, PipelineConfig::default(), Some(&ds)));
    let d = tempfile::tempdir().unwrap();
    let req = AskRequest {
        record_dir: Some(d.path().to_path_buf()),
        start_ns: Some(1_226_260_800_000_000_000),
        end_ns: Some(1_226_347_200_000_000_000),
        ..AskRequest::new("How many blocks were deleted?")
    };
    let t = Instant::now();
    let o = ask(c, req, |_| {}).await.unwrap();
    assert!(t.elapsed() < Duration::from_secs(20));
    assert_eq!(o.status, Status::Failed);
    let err = o.error.unwrap();
    assert!(err.contains("the loki backend failed") && err.contains("127.0.0.1:9"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(o.record.unwrap()).unwrap()).unwrap();
    assert!(v["steps"].as_array().unwrap().iter().any(|s| s["event"] == "execution_failed"), "what happened is recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_kb_question_and_one_in_another_language_are_answered() {
    let long = format!("How many blocks were deleted? {}", "deleting block ".repeat(7000));
    assert!(long.len() > 100_000);
    let (o, ev) = run(ctx(None), &long).await;
    assert_eq!(o.status, Status::NoModel);
    assert!(ev.iter().any(|e| matches!(e, PipelineEvent::Note { text } if text.contains("only the first 16000"))));
    let (o, _) = run(ctx(None), "Wie viele Blöcke wurden gelöscht? 削除されたブロックはいくつ?").await;
    assert!(matches!(o.status, Status::NoModel), "{o:?}");
    assert!(o.logql.is_some(), "a query ran even if the words match nothing");
}

const EXCEPTIONS_ONE_NUMBER: &str = "sum(count_over_time({app=\"hdfs\"} |= \"Got exception while serving\" [$__range]))";
const EXCEPTIONS_BY_COMPONENT: &str = "sum by (component) (count_over_time({app=\"hdfs\"} |= \"Got exception while serving\" [$__range]))";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_number_where_the_question_asks_which_is_repaired_once() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, logql(EXCEPTIONS_ONE_NUMBER));
    s.push(Route::Chat, logql(EXCEPTIONS_BY_COMPONENT));
    s.push(Route::Chat, Reply::Text("dfs.DataNode logged them.".into()));
    let (o, ev) = run(ctx(Some(s.client(RedactionMode::Off))), "Which components logged exceptions while serving blocks?").await;
    assert_eq!(o.status, Status::Answered, "{o:?}");
    assert_eq!(o.repairs, 1);
    assert_eq!(o.logql.as_deref().map(|q| q.contains("sum by (component)")), Some(true), "{:?}", o.logql);
    let items = o.value.as_ref().map(|v| v.items.clone()).unwrap_or_default();
    assert!(!items.is_empty() && items.iter().all(|c| c.starts_with("dfs.")), "components, not a count: {items:?}");
    let why = ev.iter().find_map(|e| if let PipelineEvent::Repair { reason: RepairReason::Contradicts, detail, .. } = e { Some(detail.clone()) } else { None });
    assert!(why.as_deref().is_some_and(|w| w.contains("which component")), "{why:?}");
    let sent = chats(&s);
    assert!(sent[0].contains("The question read:") && sent[0].contains("grouping: component"), "the analysis is in the prompt: {}", sent[0]);
    assert!(sent[1].contains("does not answer what was asked"), "{}", sent[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shape_repair_that_gives_nothing_keeps_the_models_query() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, logql(EXCEPTIONS_ONE_NUMBER));
    s.push(Route::Chat, Reply::Text("I cannot group this.".into()));
    s.push(Route::Chat, Reply::Text("80 exceptions.".into()));
    let (o, ev) = run(ctx(Some(s.client(RedactionMode::Off))), "Which components logged exceptions while serving blocks?").await;
    assert_eq!(o.status, Status::Answered, "{o:?}");
    assert!(o.logql.as_deref().is_some_and(|q| !q.contains(" by (")), "the first query is kept: {:?}", o.logql);
    assert_eq!(o.value.as_ref().and_then(|v| v.number), Some(80.0));
    assert!(ev.iter().any(|e| matches!(e, PipelineEvent::Note { text } if text.contains("first query is kept"))), "said so");
    assert_eq!(ev.iter().filter(|e| matches!(e, PipelineEvent::Repair { .. })).count(), 1, "one repair only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_of_the_right_shape_is_not_repaired() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, logql(EXCEPTIONS_BY_COMPONENT));
    s.push(Route::Chat, Reply::Text("dfs.DataNode.".into()));
    let (o, ev) = run(ctx(Some(s.client(RedactionMode::Off))), "Which components logged exceptions while serving blocks?").await;
    assert_eq!((o.status, o.repairs), (Status::Answered, 0), "{o:?}");
    assert!(!ev.iter().any(|e| matches!(e, PipelineEvent::Repair { .. })));
}
