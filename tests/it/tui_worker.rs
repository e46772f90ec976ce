//! The TUI's worker against the scripted local model server and the embedded
//! engine, as the app drives it: a question answered with the model's LogQL
//! and a streamed answer, and an analysis of log lines in two parts, each
//! streamed when asked for. The events are the ones the app renders.

use std::sync::Arc;
use std::time::Duration;

use logcopilot::backend::Backend;
use logcopilot::backend::embedded::Engine;
use logcopilot::config::Config;
use logcopilot::pipeline::PipelineEvent;
use logcopilot::pipeline::event::Status;
use logcopilot::tui::analysis::AnalysisMsg;
use logcopilot::tui::event::Event;
use logcopilot::tui::worker::{self, Job, WorkerCtx, WorkerMsg};
use tokio::sync::mpsc;

use crate::common::datasets;
use crate::llm::server::{MockLlm, Reply, Route};

/// A worker on the HDFS sample with the model at `s`; storage holds its knowledge.
fn start(s: &MockLlm, storage: &std::path::Path) -> (mpsc::UnboundedSender<Job>, mpsc::UnboundedReceiver<Event>) {
    let mut cfg = Config::default();
    cfg.app = "hdfs".into();
    cfg.llm.base_url = Some(s.base_url.clone());
    cfg.llm.api_key = Some("test".into());
    cfg.paths.datasets = Some(datasets());
    cfg.paths.storage = Some(storage.to_path_buf());
    cfg.paths.results = Some(storage.join("results"));
    let ds = logcopilot::dataset::Dataset::load(&datasets(), "hdfs").unwrap();
    let known = logcopilot::index::templates::load(ds.templates_path.as_ref().unwrap()).unwrap();
    let mut plan = logcopilot::index::job::Plan::new(&cfg, ds, known, None, true).unwrap();
    plan.run(&|_| {}, &std::sync::atomic::AtomicBool::new(false)).expect("indexed");
    let engine = Backend::Embedded(Arc::new(Engine::open(&datasets(), Some(&["hdfs".to_string()])).unwrap()));
    let ctx = WorkerCtx { backend: engine, app: "hdfs".into(), storage: storage.to_path_buf(), config: Arc::new(cfg) };
    let (jobs, jobs_rx) = mpsc::unbounded_channel();
    let (tx, rx) = mpsc::unbounded_channel();
    worker::spawn(ctx, jobs_rx, tx);
    (jobs, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Event>) -> WorkerMsg {
    match tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.expect("no hang") {
        Some(Event::Worker(m)) => m,
        other => panic!("not a worker message: {other:?}"),
    }
}

/// The index job's summary once it follows (it must not end before).
async fn following(rx: &mut mpsc::UnboundedReceiver<Event>) -> String {
    loop {
        match next(rx).await {
            WorkerMsg::IndexFollowing(s) => return s,
            WorkerMsg::IndexDone(r) => panic!("ended before following: {r:?}"),
            _ => {}
        }
    }
}

/// The next update line while following, and how many progress events came before it.
async fn next_update(rx: &mut mpsc::UnboundedReceiver<Event>) -> (String, usize) {
    let mut events = 0;
    loop {
        match next(rx).await {
            WorkerMsg::IndexUpdate(u) => return (u, events),
            WorkerMsg::Index(_) => events += 1,
            WorkerMsg::IndexDone(r) => panic!("ended while following: {r:?}"),
            _ => {}
        }
    }
}

/// How the index job ended, after the cancel flag was set.
async fn ended(rx: &mut mpsc::UnboundedReceiver<Event>) -> Result<String, String> {
    loop {
        if let WorkerMsg::IndexDone(r) = next(rx).await {
            return r;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_streams_its_steps_and_answer_to_the_app() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Text("```logql\nsum(count_over_time({app=\"hdfs\"} |= \"Deleting block\" [$__range]))\n```".into()));
    s.push(Route::Chat, Reply::Stream { deltas: vec!["263 blocks ".into(), "were deleted.".into()], end: crate::llm::server::StreamEnd::Done });
    let d = tempfile::tempdir().unwrap();
    let (jobs, mut rx) = start(&s, d.path());
    jobs.send(Job::Ask { id: 7, question: "How many blocks were deleted?".into(), start_ns: None, end_ns: None }).unwrap();
    let mut answer = String::new();
    let mut executed = false;
    let outcome = loop {
        match next(&mut rx).await {
            WorkerMsg::Pipeline { id: 7, event: PipelineEvent::AnswerDelta { text } } => answer.push_str(&text),
            WorkerMsg::Pipeline { id: 7, event: PipelineEvent::Executed { summary, .. } } => {
                executed = true;
                assert!(summary.contains("263"), "{summary}");
            }
            WorkerMsg::Pipeline { id: 7, event: PipelineEvent::Finished(o) } => break o,
            WorkerMsg::AskFailed { error, .. } => panic!("{error}"),
            _ => {}
        }
    };
    assert!(executed);
    assert_eq!(outcome.status, Status::Answered, "{outcome:?}");
    assert_eq!(answer, "263 blocks were deleted.");
    assert!(outcome.record.as_ref().is_some_and(|p| p.starts_with(d.path().join("results/hdfs"))), "{:?}", outcome.record);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analysis_runs_one_part_at_a_time() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Stream { deltas: vec!["Part one: ".into(), "blocks deleted.".into()], end: crate::llm::server::StreamEnd::Done });
    s.push(Route::Chat, Reply::Text("Part two: nothing unusual.".into()));
    let d = tempfile::tempdir().unwrap();
    let (jobs, mut rx) = start(&s, d.path());
    // Lines long enough for two parts under an 8192-token context.
    let line = |i: usize| format!("081109 2036{i:02} 148 INFO dfs.DataNode: Deleting block blk_{i} {}", "x ".repeat(1500));
    let lines: Vec<String> = (0..6).map(line).collect();
    jobs.send(Job::Analyze { id: 3, mode: logcopilot::analyze::Mode::Summary, lines }).unwrap();
    let chunks = match next(&mut rx).await {
        WorkerMsg::Analysis { id: 3, msg: AnalysisMsg::Started { chunks, .. } } => chunks,
        other => panic!("{other:?}"),
    };
    assert!(chunks.len() >= 2, "{chunks:?}");
    let mut text = String::new();
    loop {
        match next(&mut rx).await {
            WorkerMsg::Analysis { msg: AnalysisMsg::Delta { chunk: 0, text: t }, .. } => text.push_str(&t),
            WorkerMsg::Analysis { msg: AnalysisMsg::Done { chunk: 0, result }, .. } => {
                assert!(result.is_ok(), "{result:?}");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(text, "Part one: blocks deleted.");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(s.count(Route::Chat), 1, "the next part waits until asked for");
    jobs.send(Job::AnalyzeChunk { id: 3, chunk: 1 }).unwrap();
    let mut text = String::new();
    loop {
        match next(&mut rx).await {
            WorkerMsg::Analysis { msg: AnalysisMsg::Delta { chunk: 1, text: t }, .. } => text.push_str(&t),
            WorkerMsg::Analysis { msg: AnalysisMsg::Done { chunk: 1, .. }, .. } => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(text, "Part two: nothing unusual.");
    let sent = &s.requests()[1].body["messages"][1]["content"];
    assert!(sent.as_str().unwrap_or("").contains("Part 2 of"), "{sent}");
}

/// The indexing screen's follow job on a growing file: built, then each
/// append arrives as an update line with the new totals; Esc (the cancel
/// flag) ends it normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_job_follows_a_growing_file() {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use logcopilot::tui::indexing::{self, IndexJob};

    let d = tempfile::tempdir().unwrap();
    let lines: Vec<String> =
        std::fs::read_to_string(datasets().join("hdfs/HDFS_2k.log")).unwrap().lines().map(|l| format!("{l}\n")).collect();
    let input = d.path().join("hdfs.log");
    std::fs::write(&input, lines[..500].concat()).unwrap();
    let job = IndexJob { input: Some(input.clone()), offline: true, follow: true, ..IndexJob::new("hdfs") };
    let cancel = Arc::new(AtomicBool::new(false));
    let (tx, mut rx) = mpsc::unbounded_channel();
    indexing::spawn(Arc::new(index_config("hdfs", d.path())), job, cancel.clone(), tx);
    let s = following(&mut rx).await;
    assert!(s.contains("500 lines") && s.contains("following"), "{s}");
    let bm25_built = std::fs::metadata(d.path().join("st/hdfs/bm25.json")).unwrap().modified().unwrap();
    std::fs::OpenOptions::new().append(true).open(&input).unwrap().write_all(lines[500..1000].concat().as_bytes()).unwrap();
    let (update, read_events) = next_update(&mut rx).await;
    assert!(update.contains("500 new lines") && update.contains("1000 lines in all"), "{update}");
    assert!(read_events > 0, "the phases of the update show on the screen");
    // The knowledge on disk holds the appended lines (the BM25 index too).
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.path().join("st/hdfs/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["stats"]["lines"], 1000);
    let bm25 = std::fs::metadata(d.path().join("st/hdfs/bm25.json")).unwrap().modified().unwrap();
    assert!(bm25 > bm25_built, "the lexical index was rebuilt for the update");
    cancel.store(true, Ordering::Relaxed);
    let end = ended(&mut rx).await.expect("a normal end");
    assert!(end.contains("1 update, stopped"), "{end}");
}

/// A config for an index job of `app` with its storage under `dir`.
fn index_config(app: &str, dir: &std::path::Path) -> Config {
    let mut cfg = Config::default();
    cfg.app = app.into();
    cfg.paths.datasets = Some(datasets());
    cfg.paths.storage = Some(dir.join("st"));
    cfg
}

/// The indexing screen's job from Loki (`index --tui --from-loki --follow`):
/// the OpenSSH sample restamped near now on a growing local Loki stand-in;
/// the first look builds the knowledge, a later one indexes what arrived.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_job_pulls_from_loki_and_follows_it() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::index_loki::{GrowingLoki, now_ns};
    use logcopilot::tui::indexing::{self, IndexJob, LokiPull};

    let loki = GrowingLoki::start().await;
    loki.add(0..500, now_ns() - 60_000_000_000);
    let d = tempfile::tempdir().unwrap();
    let pull = LokiPull {
        selector: r#"{app="openssh"}"#.into(),
        base_url: Some(loki.server.url.clone()),
        start_ns: now_ns() - 600_000_000_000,
        end_ns: None,
        every: Duration::from_millis(500),
    };
    let job = IndexJob { offline: true, follow: true, from_loki: Some(pull), ..IndexJob::new("openssh") };
    let cancel = Arc::new(AtomicBool::new(false));
    let (tx, mut rx) = mpsc::unbounded_channel();
    indexing::spawn(Arc::new(index_config("openssh", d.path())), job, cancel.clone(), tx);
    let s = following(&mut rx).await;
    assert!(s.contains("pulled 500 entries") && s.contains("500 lines in all") && s.contains("following"), "{s}");
    loki.add(500..1000, now_ns());
    let (update, _) = next_update(&mut rx).await;
    assert!(update.contains("+500 entries from Loki") && update.contains("500 lines indexed"), "{update}");
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.path().join("st/openssh/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["stats"]["lines"], 1000);
    cancel.store(true, Ordering::Relaxed);
    assert!(ended(&mut rx).await.expect("a normal end").contains("1 update, stopped"));
}
