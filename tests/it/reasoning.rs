//! Reasoning models against the scripted local server, in each shape they
//! reach us (a `<think>` or `<thinking>` block, a `</think>` with no opening
//! tag, a `reasoning_content` or `reasoning` field, a block cut at max
//! tokens), whole and streamed: the client keeps the thoughts apart, `ask`
//! (library and binary) never runs a query from them nor shows them as the
//! answer but keeps them in the record's steps, and `analyze` and `scan`
//! never take them for their output.

use std::sync::{Arc, Mutex};

use logcopilot::backend::Backend;
use logcopilot::backend::embedded::Engine;
use logcopilot::config::{PipelineConfig, RedactionMode};
use logcopilot::llm::{ChatOptions, LlmClient, Message, StreamEvent};
use logcopilot::pipeline::event::{CandidateSource, PipelineEvent, RepairReason, Stage, Status};
use logcopilot::pipeline::{AskRequest, Outcome, PipelineContext, ask};

use crate::common::{datasets, run as run_bin, text};
use crate::llm::server::{MockLlm, Reply, Route, StreamEnd};
use crate::pipeline::builder::knowledge_base;

const REAL: &str = "sum(count_over_time({app=\"hdfs\"} |= \"Deleting block\" [$__range]))";
/// A draft that finds nothing on HDFS: run, it would cost a repair.
const DRAFT: &str = "sum(count_over_time({app=\"hdfs\"} |= \"Deleted block\" [$__range]))";
const QUESTION: &str = "How many blocks were deleted?";
/// What the answer's reasoning says and the answer must not.
const SECRET: &str = "999";

fn fenced() -> String {
    format!("```logql\n{REAL}\n```\nCounts the deletions.")
}

/// Every shape of a reply that reasons with a draft query before the real one.
fn query_replies() -> Vec<(&'static str, Reply)> {
    let fenced = fenced();
    vec![
        (
            "think block",
            Reply::Text(format!("<think>\nThe user wants deletions. First idea:\n```logql\n{DRAFT}\n```\nNo: the log says Deleting.\n</think>\n\n{fenced}")),
        ),
        ("thinking block", Reply::Text(format!("<thinking>Maybe {DRAFT}?</thinking>{fenced}"))),
        ("no opening tag", Reply::Text(format!("Okay, maybe {DRAFT}.\nHmm, no: Deleting.\n</think>\n\n{fenced}"))),
        ("reasoning_content", Reply::Reasoned { field: "reasoning_content", reasoning: format!("Draft:\n```logql\n{DRAFT}\n```"), text: fenced.clone() }),
        ("reasoning", Reply::Reasoned { field: "reasoning", reasoning: format!("Draft: {DRAFT}"), text: fenced }),
    ]
}

/// The answer, after reasoning that names a wrong number.
fn answer_reply() -> Reply {
    Reply::Text(format!("<think>The result says 263; I could round it to {SECRET}. No.</think>\n263 blocks were deleted."))
}

fn ctx(llm: LlmClient) -> Arc<PipelineContext> {
    let (ds, kb) = knowledge_base("hdfs");
    let engine = Backend::Embedded(Arc::new(Engine::open(&datasets(), Some(&["hdfs".to_string()])).unwrap()));
    Arc::new(PipelineContext::new(Arc::new(kb), engine, Some(llm), PipelineConfig::default(), Some(&ds)))
}

async fn asked(s: &MockLlm, record: &std::path::Path) -> (Outcome, Vec<PipelineEvent>) {
    let mut events = Vec::new();
    let req = AskRequest { record_dir: Some(record.to_path_buf()), ..AskRequest::new(QUESTION) };
    let o = ask(ctx(s.client(RedactionMode::Off)), req, |e| events.push(e.clone())).await.expect("an outcome");
    (o, events)
}

fn deltas_after_last_restart(ev: &[PipelineEvent]) -> String {
    let from = ev.iter().rposition(|e| matches!(e, PipelineEvent::AnswerRestart)).map_or(0, |i| i + 1);
    ev[from..].iter().filter_map(|e| if let PipelineEvent::AnswerDelta { text } = e { Some(text.as_str()) } else { None }).collect()
}

fn record_of(o: &Outcome) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(o.record.as_ref().expect("a record")).unwrap()).unwrap()
}

/// The issue's target, for every shape: the first query run is the fenced
/// one, no repair is asked, the answer's number is the scripted one, and no
/// reasoning reaches the answer; the record keeps it in its steps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_runs_the_fenced_query_and_answers_without_the_reasoning() {
    for (shape, reply) in query_replies() {
        let s = MockLlm::start().await;
        s.push(Route::Chat, reply);
        s.push(Route::Chat, answer_reply());
        let d = tempfile::tempdir().unwrap();
        let (o, ev) = asked(&s, d.path()).await;
        assert_eq!(o.status, Status::Answered, "{shape}: {o:?}");
        // (The builder's query, attempt 0, is the model's hint.)
        let first = ev.iter().find_map(|e| match e {
            PipelineEvent::Candidate { attempt, source, logql, .. } if *source != CandidateSource::Builder => Some((*attempt, *source, logql.clone())),
            _ => None,
        });
        assert_eq!(first, Some((1, CandidateSource::Model, REAL.to_owned())), "{shape}");
        let run = ev.iter().find_map(|e| if let PipelineEvent::Executed { logql, .. } = e { Some(logql.clone()) } else { None }).unwrap();
        assert!(run.contains("Deleting block") && !run.contains("Deleted block"), "{shape}: {run}");
        assert!(!ev.iter().any(|e| matches!(e, PipelineEvent::Repair { .. })), "{shape}: no repair");
        assert_eq!(o.repairs, 0);
        assert_eq!(o.value.as_ref().and_then(|v| v.number), Some(263.0), "{shape}");
        assert_eq!(o.answer, "263 blocks were deleted.", "{shape}");
        assert_eq!(deltas_after_last_restart(&ev), o.answer, "{shape}: the streamed answer");
        let streamed: String = ev.iter().filter_map(|e| if let PipelineEvent::AnswerDelta { text } = e { Some(text.as_str()) } else { None }).collect();
        assert!(!streamed.contains(SECRET) && !streamed.contains("think"), "{shape}: {streamed}");
        // Both replies' reasoning is told, with its tokens.
        let thoughts: Vec<(Stage, String, u64)> = ev
            .iter()
            .filter_map(|e| if let PipelineEvent::Reasoning { stage, text, tokens, .. } = e { Some((*stage, text.clone(), *tokens)) } else { None })
            .collect();
        assert_eq!(thoughts.len(), 2, "{shape}: {thoughts:?}");
        assert!(thoughts[0].0 == Stage::Generate && thoughts[0].1.contains("Deleted block") && thoughts[0].2 > 0, "{shape}: {thoughts:?}");
        assert!(thoughts[1].0 == Stage::Answer && thoughts[1].1.contains(SECRET), "{shape}: {thoughts:?}");
        // The model is not shown its own reasoning again.
        assert!(!s.requests()[1].body.to_string().contains("First idea"), "{shape}");
        let v = record_of(&o);
        assert_eq!(v["answer"], "263 blocks were deleted.", "{shape}");
        let kept: Vec<&serde_json::Value> = v["steps"].as_array().unwrap().iter().filter(|s| s["event"] == "reasoning").collect();
        assert_eq!(kept.len(), 2, "{shape}");
        assert!(kept[1]["text"].as_str().unwrap().contains(SECRET) && kept[1]["tokens"].as_u64().unwrap() > 0, "{shape}: {:?}", kept[1]);
        assert!(!v["steps"].to_string().contains("reasoning_delta"), "{shape}: the streamed pieces are not kept twice");
    }
}

/// A reply cut at max tokens inside its reasoning has no query: a note says
/// so and the repair asks again; the draft inside is never run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_cut_inside_its_reasoning_is_empty_with_a_note() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Cut(format!("<think>Let me count. A draft:\n```logql\n{DRAFT}\n```\nbut first the")));
    s.push(Route::Chat, Reply::Text(fenced()));
    // The answer is cut too: the plain answer stands in, without the reasoning.
    s.push(Route::Chat, Reply::Cut(format!("<think>It is 263, or {SECRET}, let me")));
    let d = tempfile::tempdir().unwrap();
    let (o, ev) = asked(&s, d.path()).await;
    assert_eq!(o.status, Status::Answered, "{o:?}");
    let notes: Vec<&str> = ev.iter().filter_map(|e| if let PipelineEvent::Note { text } = e { Some(text.as_str()) } else { None }).collect();
    assert!(notes.iter().any(|n| n.contains("ended inside its reasoning (cut at max tokens)") && n.contains("treated as empty")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("wrote no answer")), "{notes:?}");
    assert!(ev.iter().any(|e| matches!(e, PipelineEvent::Repair { attempt: 2, reason: RepairReason::NoQuery, .. })));
    let candidates: Vec<&str> = ev
        .iter()
        .filter_map(|e| match e {
            PipelineEvent::Candidate { logql, source, .. } if *source != CandidateSource::Builder => Some(logql.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(candidates, vec![REAL], "the draft in the cut block is never a candidate");
    assert!(ev.iter().any(|e| matches!(e, PipelineEvent::Reasoning { stage: Stage::Generate, attempt: 1, unterminated: true, .. })));
    assert!(o.answer.contains("263") && !o.answer.contains(SECRET), "{}", o.answer);
    assert_eq!(deltas_after_last_restart(&ev), o.answer);
}

/// A model first seen answering plainly streams live; when a later reply
/// turns out to be reasoning (a `</think>` with no opening tag), what was
/// shown is taken back and the answer starts again without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_let_out_before_an_opening_less_close_is_taken_back() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Text(fenced()));
    s.push(Route::Chat, Reply::Text(format!("Hmm, {SECRET} or 263? The result says 263.\n</think>\n263 blocks were deleted.")));
    let d = tempfile::tempdir().unwrap();
    let (o, ev) = asked(&s, d.path()).await;
    assert_eq!(o.answer, "263 blocks were deleted.");
    assert_eq!(deltas_after_last_restart(&ev), o.answer);
    let live: String = ev.iter().filter_map(|e| if let PipelineEvent::ReasoningDelta { text } = e { Some(text.as_str()) } else { None }).collect();
    assert!(live.contains(SECRET), "the taken-back text is reasoning: {live:?}");
    assert!(!record_of(&o)["answer"].as_str().unwrap().contains(SECRET));
}

/// The client, for every shape, whole and streamed (with tags split across
/// the stream's pieces): the text is the answer, the reasoning is apart, and
/// no delta of the answer holds reasoning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_keeps_reasoning_apart_whole_and_streamed() {
    let s = MockLlm::start().await;
    let c = s.client(RedactionMode::Off);
    let msgs = [Message::user("How many?")];
    let mut shapes = query_replies();
    shapes.push((
        "split tags",
        Reply::Stream { deltas: vec!["<thi".into(), "nk>draft ".into(), "Deleted block</th".into(), "INK>".into(), fenced()], end: StreamEnd::Done },
    ));
    for (shape, reply) in shapes {
        let streamed_only = matches!(reply, Reply::Stream { .. });
        if !streamed_only {
            s.push(Route::Chat, reply.clone());
            let r = c.chat("ask", &msgs, &ChatOptions::default()).await.unwrap();
            assert_eq!(r.text, fenced(), "{shape}, whole");
            assert!(r.reasoning.contains("Deleted block") && r.reasoning_tokens > 0 && !r.unterminated, "{shape}, whole: {r:?}");
        }
        s.push(Route::Chat, reply);
        let events = Arc::new(Mutex::new((String::new(), String::new())));
        let ev = events.clone();
        let r = c
            .chat_stream("ask", &msgs, &ChatOptions::default(), move |e| {
                let mut g = ev.lock().unwrap();
                match e {
                    StreamEvent::Delta(t) => g.0.push_str(t),
                    StreamEvent::Reasoning(t) => g.1.push_str(t),
                    StreamEvent::Retract(_) => g.0.clear(),
                    StreamEvent::Restart { .. } => *g = Default::default(),
                }
            })
            .await
            .unwrap();
        let (answer, thought) = events.lock().unwrap().clone();
        assert_eq!(r.text, fenced(), "{shape}, streamed");
        assert_eq!(answer, fenced(), "{shape}: the deltas are the answer alone");
        assert!(thought.contains("Deleted block") && r.reasoning.contains("Deleted block"), "{shape}: {thought:?} {r:?}");
    }
    // Cut inside the block, whole and streamed: no text, and it says so.
    for stream in [false, true] {
        s.push(Route::Chat, Reply::Cut("<think>still thinking about it".into()));
        let r = if stream {
            c.chat_stream("ask", &msgs, &ChatOptions::default(), |e| assert!(!matches!(e, StreamEvent::Delta(_)), "{e:?}")).await
        } else {
            c.chat("ask", &msgs, &ChatOptions::default()).await
        }
        .unwrap();
        assert!(r.text.is_empty() && r.unterminated && r.reasoning.contains("still thinking"), "stream {stream}: {r:?}");
        assert_eq!(r.finish_reason.as_deref(), Some("length"));
    }
}

/// The real binary: `ask` prints the answer alone on stdout, says on stderr
/// that the model reasoned, and the record keeps the reasoning in its steps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ask_binary_never_prints_the_reasoning() {
    let s = MockLlm::start().await;
    let d = tempfile::tempdir().unwrap();
    let ds = datasets();
    let storage = d.path().join("storage");
    let (ds, storage) = (ds.to_str().unwrap(), storage.to_str().unwrap());
    let o = run_bin(&["index", "--app", "hdfs", "--offline", "--datasets", ds, "--storage", storage], d.path());
    assert!(o.status.success(), "{}", text(&o));
    s.push(Route::Chat, query_replies().remove(0).1);
    s.push(Route::Chat, answer_reply());
    let base = s.base_url.clone();
    let dir = d.path().to_path_buf();
    let results = d.path().join("results");
    let args = ["ask", QUESTION, "--app", "hdfs", "--datasets", ds, "--storage", storage, "--results", results.to_str().unwrap()].map(str::to_owned);
    let o = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_logcopilot"))
            .args(&args)
            .current_dir(&dir)
            .env("XDG_CONFIG_HOME", dir.join(".no-config"))
            .env("HOME", &dir)
            .env("OPENAI_BASE_URL", base)
            .env("OPENAI_API_KEY", "test")
            .env_remove("LOKI_ADDR")
            .env_remove("LOKI_BASE_URL")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{out}\n{err}");
    assert_eq!(out.trim(), "263 blocks were deleted.", "stdout is the answer alone; stderr:\n{err}");
    assert!(!err.contains("repair"), "{err}");
    assert!(err.contains("· reasoning before the query (try 1):") && err.contains("· reasoning before the answer (try 1):"), "{err}");
    assert!(!err.contains(SECRET) && !err.contains("<think>"), "the steps name the reasoning, not its text: {err}");
    let rec = std::fs::read_dir(results.join("hdfs")).unwrap().next().unwrap().unwrap().path();
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(rec).unwrap()).unwrap();
    assert_eq!(v["answer"], "263 blocks were deleted.");
    assert!(v["steps"].as_array().unwrap().iter().any(|s| s["event"] == "reasoning" && s["text"].as_str().unwrap_or("").contains(SECRET)));
}

/// `analyze`: the streamed analysis is the answer alone, in the library and
/// the binary; a part cut inside its reasoning says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyze_never_shows_the_reasoning() {
    use logcopilot::analyze::{AnalyzeOptions, Mode, chunk_lines, run_chunk};
    let s = MockLlm::start().await;
    let llm = s.client(RedactionMode::Off);
    let log = std::fs::read_to_string(datasets().join("openssh/OpenSSH_2k.log")).unwrap();
    let lines: Vec<String> = log.lines().take(10).map(str::to_owned).collect();
    let chunks = chunk_lines(&lines, &llm.chat_tokens(), 4000);
    let opts = AnalyzeOptions { service: None, answer_tokens: 200, temperature: 0.2 };
    let cancel = tokio_util::sync::CancellationToken::new();
    for reply in [
        Reply::Text(format!("<think>The user may like {SECRET}.</think>A break-in attempt.")),
        Reply::Reasoned { field: "reasoning_content", reasoning: format!("Say {SECRET}?"), text: "A break-in attempt.".into() },
        Reply::Text(format!("Say {SECRET}?\n</think>\nA break-in attempt.")),
    ] {
        s.push(Route::Chat, reply);
        let mut shown = String::new();
        let done = run_chunk(&llm, Mode::Summary, &chunks[0], &opts, &cancel, |e| match e {
            StreamEvent::Delta(t) => shown.push_str(t),
            StreamEvent::Retract(_) | StreamEvent::Restart { .. } => shown.clear(),
            StreamEvent::Reasoning(_) => {}
        })
        .await
        .unwrap();
        assert_eq!((done.text.as_str(), shown.as_str()), ("A break-in attempt.", "A break-in attempt."));
        assert!(done.reasoning_tokens > 0 && !done.unterminated);
    }

    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("ssh.log"), lines.join("\n")).unwrap();
    let bin = |s: &MockLlm| {
        let (dir, base) = (d.path().to_path_buf(), s.base_url.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_logcopilot"))
                .args(["analyze", "--input", "ssh.log", "--yes"])
                .current_dir(&dir)
                .env("XDG_CONFIG_HOME", dir.join(".no-config"))
                .env("HOME", &dir)
                .env("OPENAI_BASE_URL", base)
                .env("OPENAI_API_KEY", "test")
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap()
        })
    };
    s.push(Route::Chat, Reply::Text(format!("<think>The user may like {SECRET}.</think>A break-in attempt.")));
    let o = bin(&s).await.unwrap();
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{err}");
    assert_eq!(out.trim(), "A break-in attempt.");
    assert!(err.contains("the model reasoned first") && !err.contains(SECRET), "{err}");
    s.push(Route::Chat, Reply::Cut(format!("<think>Maybe {SECRET}, but")));
    let o = bin(&s).await.unwrap();
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(out.trim().is_empty() && err.contains("ended inside its reasoning"), "{out}\n{err}");
}

/// `scan`: a report drafted in the reasoning is never the report; a reply
/// cut inside its reasoning is repaired like any reply without JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_never_takes_the_reasoning_for_the_report() {
    use crate::scan::{FIRST, anomaly, ctx, run, scan_requests, windows};
    use logcopilot::scan::{ScanEvent, ScanOptions};
    let draft = anomaly("critical", "data_loss", &[FIRST]);
    let none = serde_json::json!({"anomalies": [], "window_health": "normal"}).to_string();
    for (shape, reply) in [
        ("think block", Reply::Text(format!("<think>Draft: {draft}\nNo, that is wrong.</think>{none}"))),
        ("no opening tag", Reply::Text(format!("Draft: {draft}\n</think>\n```json\n{none}\n```"))),
        ("reasoning field", Reply::Reasoned { field: "reasoning", reasoning: format!("Draft: {draft}"), text: none.clone() }),
    ] {
        let s = MockLlm::start().await;
        s.push(Route::Chat, reply);
        let (_, ev) = run(ctx(Some(s.client(RedactionMode::Off)), ScanOptions::default()), windows(1)).await;
        assert_eq!(scan_requests(&s).len(), 1, "{shape}: no repair");
        let r: Vec<_> = ev.iter().filter_map(|e| if let ScanEvent::WindowDone { report } = e { Some(report) } else { None }).collect();
        assert_eq!(r.len(), 1, "{shape}");
        assert!(r[0].anomalies.is_empty() && !r[0].repaired, "{shape}: {:?}", r[0]);
    }
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Cut(format!("<think>Draft: {draft}, then")));
    s.push(Route::Chat, Reply::Text(none));
    let (_, ev) = run(ctx(Some(s.client(RedactionMode::Off)), ScanOptions::default()), windows(1)).await;
    assert_eq!(scan_requests(&s).len(), 2, "the cut reply is repaired");
    let r: Vec<_> = ev.iter().filter_map(|e| if let ScanEvent::WindowDone { report } = e { Some(report) } else { None }).collect();
    assert!(r[0].anomalies.is_empty() && r[0].repaired, "{:?}", r[0]);
}
