//! Snapshot tests of whole frames (ratatui's `TestBackend`, insta): every
//! screen and state of the TUI at 80x24 and at odd sizes, driven through
//! the app's own event handling with real results of the embedded engine
//! over the bundled HDFS sample.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use super::app::{App, PaneId, Screen, Settings};
use super::event::Event;
use super::indexing::view::JobState;
use super::panes::knowledge::KnowledgeState;
use super::panes::timerange::QueryRange;
use super::worker::{Job, WorkerMsg};
use crate::backend::embedded::Engine;
use crate::backend::{Direction, RangeRequest};
use crate::config::KeysConfig;
use crate::dataset::Dataset;
use crate::dataset::timestamp::Zone;
use crate::index::{IndexEvent, Phase};

fn datasets() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets")
}

/// The HDFS sample's span (2008-11-09 20:35 → 2008-11-11 10:21 UTC).
const RANGE: QueryRange = QueryRange { start_ns: 1_226_262_915_000_000_000, end_ns: 1_226_398_877_000_000_000, limit: 1000 };

fn settings(no_color: bool) -> Settings {
    Settings {
        app: "hdfs".into(),
        zone: Zone::parse("UTC").unwrap(),
        theme: super::theme::Theme::new(no_color),
        keys: super::keys::KeyMap::new(&KeysConfig::default()),
        backend: "embedded",
        missing: vec!["no Loki".into(), "no model".into()],
        grafana_url: None,
        results_dir: std::env::temp_dir(),
        max_tries: 4,
        show_reasoning: crate::config::ShowReasoning::Fold,
        format: None,
    }
}

fn app() -> App {
    App::new(settings(false), "{app=\"hdfs\"}")
}

/// An app with the span and the knowledge loaded, as after start-up.
fn ready_app() -> App {
    ready_with(settings(false))
}

fn ready_with(settings: Settings) -> App {
    let mut a = App::new(settings, "{app=\"hdfs\"}");
    a.handle(Event::Worker(WorkerMsg::Span(Some((RANGE.start_ns + 60_000_000_000, RANGE.end_ns - 60_000_000_000)))), Instant::now());
    a.handle(Event::Worker(WorkerMsg::Knowledge(KnowledgeState::Loaded(templates()))), Instant::now());
    a.take_jobs();
    a
}

fn templates() -> Vec<crate::knowledge::TemplateRecord> {
    knowledge().templates
}

fn knowledge() -> crate::knowledge::Knowledge {
    let ds = Dataset::load(&datasets(), "hdfs").unwrap();
    let log = ds.log_path.clone().unwrap();
    let known = crate::index::templates::load(ds.templates_path.as_ref().unwrap()).unwrap();
    let opts = crate::index::job::options(&crate::config::Config::default(), true);
    crate::index::run(&ds, &log, &known, &opts, &|_| {}, &AtomicBool::new(false)).unwrap().knowledge
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn type_text(a: &mut App, s: &str) {
    for c in s.chars() {
        a.handle(key(KeyCode::Char(c)), Instant::now());
    }
}

/// Replaces the editor's text by typing it (the editor takes the focus).
fn set_query(a: &mut App, q: &str) {
    a.focus = PaneId::Editor;
    a.handle(ctrl('a'), Instant::now());
    a.handle(ctrl('k'), Instant::now());
    type_text(a, q);
}

/// Ctrl-R, then the worker's answer from the real engine, as the worker would send it.
fn run(a: &mut App, elapsed_ms: u64) {
    a.handle(ctrl('r'), Instant::now());
    let jobs = a.take_jobs();
    let Some(Job::Query { id, req }) = jobs.into_iter().find(|j| matches!(j, Job::Query { .. })) else {
        panic!("Ctrl-R sent no query");
    };
    let engine = Engine::open(&datasets(), Some(&["hdfs".to_string()])).unwrap();
    let result = match &req {
        crate::pipeline::Request::Range(r) => engine.query_range(r),
        crate::pipeline::Request::Instant(r) => engine.query(r),
    };
    a.handle(Event::Worker(WorkerMsg::QueryDone { id, result, elapsed: Duration::from_millis(elapsed_ms) }), Instant::now());
}

fn frame(a: &mut App, w: u16, h: u16) -> TestBackend {
    a.size = Rect::new(0, 0, w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| super::draw::draw(f, a)).unwrap();
    t.backend().clone()
}

#[test]
fn empty_at_start() {
    let mut a = app();
    insta::assert_snapshot!(frame(&mut a, 80, 24));
}

#[test]
fn running_query() {
    let mut a = ready_app();
    a.handle(ctrl('r'), Instant::now());
    let started = a.running.as_ref().unwrap().started;
    a.tick(started + Duration::from_millis(1234));
    assert!(a.is_busy());
    insta::assert_snapshot!(frame(&mut a, 80, 24));
}

#[test]
fn log_results_with_highlighted_filter() {
    let mut a = ready_app();
    set_query(&mut a, r#"{app="hdfs"} |= "Deleting block""#);
    run(&mut a, 7);
    let f = frame(&mut a, 80, 24);
    // The filter's text is drawn in the hit style.
    let buf = f.buffer();
    let hit = a.settings.theme.hit();
    let hits = buf.content().iter().filter(|c| c.bg == hit.bg.unwrap()).count();
    assert!(hits >= "Deleting block".len() * 5, "{hits} highlighted cells");
    insta::assert_snapshot!(f);
}

#[test]
fn chart_results_and_table() {
    let mut a = ready_app();
    set_query(&mut a, r#"sum by (level) (count_over_time({app="hdfs"} [1h]))"#);
    run(&mut a, 12);
    a.focus = PaneId::Results;
    insta::assert_snapshot!("chart", frame(&mut a, 80, 24));
    a.handle(key(KeyCode::Char('v')), Instant::now());
    insta::assert_snapshot!("table", frame(&mut a, 80, 24));
}

/// A matrix of `n` series of `points` points each (waves of different phases).
pub(super) fn waves(n: usize, points: usize) -> crate::logql::value::QueryResult {
    use crate::logql::value::{Point, QueryResult, Series};
    let step = (RANGE.end_ns - RANGE.start_ns) / 1_000_000 / points.max(1) as i64;
    QueryResult::Matrix(
        (0..n)
            .map(|i| Series {
                metric: [("app".to_string(), "hdfs".to_string()), ("host".to_string(), format!("node-{i:02}"))].into(),
                points: (0..points)
                    .map(|j| Point {
                        ts_ms: RANGE.start_ns / 1_000_000 + j as i64 * step,
                        value: 50.0 + 40.0 * ((j as f64 / 20.0) + i as f64).sin(),
                    })
                    .collect(),
            })
            .collect(),
    )
}

#[test]
fn twenty_series_chart_at_120x40() {
    let mut a = ready_app();
    set_query(&mut a, r#"sum by (host) (rate({app="hdfs"} [5m]))"#);
    a.handle(ctrl('r'), Instant::now());
    let Some(Job::Query { id, .. }) = a.take_jobs().pop() else { panic!() };
    a.handle(Event::Worker(WorkerMsg::QueryDone { id, result: Ok(waves(20, 500)), elapsed: Duration::from_millis(30) }), Instant::now());
    insta::assert_snapshot!(frame(&mut a, 120, 40));
}

#[test]
fn one_point_and_a_million_points() {
    for (n, points) in [(1, 1), (1, 0), (2, 1_000_000)] {
        let mut a = ready_app();
        a.handle(ctrl('r'), Instant::now());
        let Some(Job::Query { id, .. }) = a.take_jobs().pop() else { panic!() };
        a.handle(Event::Worker(WorkerMsg::QueryDone { id, result: Ok(waves(n, points)), elapsed: Duration::ZERO }), Instant::now());
        let text = frame(&mut a, 80, 24).to_string();
        assert!(text.contains(&format!("Results · {n} series")), "{text}");
    }
}

#[test]
fn parse_error_with_caret() {
    let mut a = ready_app();
    set_query(&mut a, r#"{app="hdfs" |= "x""#);
    a.handle(ctrl('r'), Instant::now());
    assert!(a.take_jobs().is_empty(), "a query that does not parse is not sent");
    insta::assert_snapshot!(frame(&mut a, 80, 24));
}

#[test]
fn backend_error_is_shown_in_results() {
    let mut a = ready_app();
    set_query(&mut a, r#"sum(rate({app="hdfs"} | unwrap bytes [1m])) / on(x) group_left sum by (x) (rate({app="hdfs"}[1m]))"#);
    a.handle(ctrl('r'), Instant::now());
    let Some(Job::Query { id, .. }) = a.take_jobs().pop() else { panic!() };
    let result = Err(crate::backend::BackendError::Execution("unwrap label bytes: no such label".into()));
    a.handle(Event::Worker(WorkerMsg::QueryDone { id, result, elapsed: Duration::from_millis(3) }), Instant::now());
    insta::assert_snapshot!(frame(&mut a, 80, 24));
}

fn indexing_app() -> App {
    let mut a = ready_app();
    let t0 = Instant::now();
    a.open_index(super::indexing::IndexJob::new("hdfs"));
    assert!(matches!(a.take_jobs().as_slice(), [Job::Index(_)]));
    a.indexing.started = Some(t0);
    let ev = |a: &mut App, e, ms| a.handle(Event::Worker(WorkerMsg::Index(e)), t0 + Duration::from_millis(ms));
    ev(&mut a, IndexEvent::Started { phase: Phase::Read, total_bytes: Some(1_000_000) }, 0);
    ev(&mut a, IndexEvent::Warning("line 17: no timestamp".into()), 100);
    ev(&mut a, IndexEvent::Warning("line 18: \x1b[31mbad\x1b[0m header".into()), 200);
    ev(&mut a, IndexEvent::Progress { phase: Phase::Read, bytes: 450_000, lines: 9_000 }, 1000);
    a.tick(t0 + Duration::from_millis(1500));
    a
}

#[test]
fn indexing_screen_running_and_done() {
    let mut a = indexing_app();
    assert_eq!(a.screen, Screen::Indexing);
    insta::assert_snapshot!("indexing_running", frame(&mut a, 80, 24));
    let t = Instant::now();
    for e in [
        IndexEvent::Finished { phase: Phase::Read, lines: 20_000, secs: 2.0 },
        IndexEvent::Started { phase: Phase::Finish, total_bytes: None },
        IndexEvent::Finished { phase: Phase::Finish, lines: 20_000, secs: 0.1 },
        IndexEvent::Started { phase: Phase::Write, total_bytes: None },
        IndexEvent::Finished { phase: Phase::Write, lines: 16, secs: 0.01 },
        IndexEvent::Skipped { phase: Phase::Summarize, reason: "no LLM endpoint configured".into() },
        IndexEvent::Skipped { phase: Phase::Embed, reason: "no LLM endpoint configured".into() },
        IndexEvent::Started { phase: Phase::Lexical, total_bytes: None },
        IndexEvent::Finished { phase: Phase::Lexical, lines: 191, secs: 0.002 },
    ] {
        a.handle(Event::Worker(WorkerMsg::Index(e)), t);
    }
    a.handle(Event::Worker(WorkerMsg::IndexDone(Ok("hdfs: 20000 lines in 2.00 s, 16 templates".into()))), t);
    assert_eq!(a.take_jobs().len(), 1, "knowledge reloads after indexing");
    // The first indexing goes on to the main screen by itself, its summary
    // kept in the status bar.
    assert_eq!(a.screen, Screen::Main);
    let main = frame(&mut a, 80, 24).to_string();
    assert!(main.contains("ready · hdfs: 20000 lines in 2.00 s, 16 templates"), "{main}");
    // The index key shows it again, without starting a job.
    a.handle(ctrl('g'), t);
    assert_eq!(a.screen, Screen::Indexing);
    assert!(a.take_jobs().is_empty(), "a finished indexing is shown, not redone");
    insta::assert_snapshot!("indexing_done", frame(&mut a, 80, 24));
    a.handle(key(KeyCode::Enter), t);
    assert_eq!(a.screen, Screen::Main);
    // The index key on the finished screen indexes again; that second
    // indexing stays on its screen when done.
    a.handle(ctrl('g'), t);
    a.handle(ctrl('g'), t);
    assert!(matches!(a.take_jobs().as_slice(), [Job::Index(_)]), "indexes again");
    a.handle(Event::Worker(WorkerMsg::IndexDone(Ok("hdfs: up to date (20000 lines)".into()))), t);
    assert_eq!(a.screen, Screen::Indexing, "only the first indexing goes back by itself");
    a.handle(key(KeyCode::Esc), t);
    assert_eq!(a.screen, Screen::Main);
}

#[test]
fn indexing_screen_following_shows_each_update() {
    let mut a = indexing_app();
    let t = Instant::now();
    a.handle(Event::Worker(WorkerMsg::Index(IndexEvent::Finished { phase: Phase::Read, lines: 500, secs: 0.1 })), t);
    a.handle(Event::Worker(WorkerMsg::IndexFollowing("hdfs: 500 lines in 0.10 s, 12 templates; following /logs/hdfs.log".into())), t);
    assert_eq!(a.take_jobs().len(), 1, "knowledge reloads once built");
    for u in [
        "04:39:48 hdfs: read on from byte 69703: 70899 new bytes, 500 new lines; 1000 lines in all, 12 templates, 10 workflows (0.00s)",
        "04:39:51 hdfs: read from the start (10 lines): the file was truncated; 10 lines in all, 3 templates, 2 workflows (0.00s)",
    ] {
        a.handle(Event::Worker(WorkerMsg::IndexUpdate(u.into())), t);
    }
    assert_eq!(a.take_jobs().len(), 2, "knowledge reloads after each update");
    a.handle(Event::Worker(WorkerMsg::IndexNote("pulling {app=\"hdfs\"}: 300 entries in 2 pages so far".into())), t);
    assert!(frame(&mut a, 80, 24).to_string().contains("pulling {app=\"hdfs\"}: 300 entries in 2 pages"));
    a.handle(Event::Worker(WorkerMsg::IndexNote(String::new())), t);
    assert!(a.indexing.is_running());
    let f = frame(&mut a, 80, 24).to_string();
    assert!(f.contains("following · 2 updates") && f.contains("truncated"), "{f}");
    insta::assert_snapshot!("indexing_following", f);
    // Esc stops following; the end is a normal one.
    a.handle(key(KeyCode::Esc), t);
    assert!(matches!(a.take_jobs().as_slice(), [Job::CancelIndex]));
    a.handle(Event::Worker(WorkerMsg::IndexDone(Ok("hdfs: 500 lines; followed /logs/hdfs.log: 2 updates, stopped".into()))), t);
    assert!(matches!(a.indexing.state, JobState::Done(_)), "{:?}", a.indexing.state);
}

#[test]
fn follow_key_on_the_indexing_screen_starts_a_follow_job() {
    let mut a = ready_app();
    a.screen = Screen::Indexing;
    a.handle(key(KeyCode::Char('f')), Instant::now());
    assert_eq!(a.screen, Screen::Indexing);
    let jobs = a.take_jobs();
    assert!(matches!(jobs.as_slice(), [Job::Index(j)] if j.follow), "{jobs:?}");
}

#[test]
fn indexing_cancel_with_esc() {
    let mut a = indexing_app();
    a.handle(key(KeyCode::Esc), Instant::now());
    assert!(matches!(a.take_jobs().as_slice(), [Job::CancelIndex]));
    a.handle(Event::Worker(WorkerMsg::IndexDone(Err("indexing x: cancelled".into()))), Instant::now());
    assert!(!a.indexing.is_running());
    insta::assert_snapshot!(frame(&mut a, 80, 24));
}

#[test]
fn missing_knowledge_opens_indexing_once() {
    let mut a = app();
    a.handle(Event::Worker(WorkerMsg::Knowledge(KnowledgeState::Missing("no knowledge for hdfs yet.".into()))), Instant::now());
    assert_eq!(a.screen, Screen::Indexing);
    assert!(matches!(a.take_jobs().as_slice(), [Job::Index(_)]));
    a.handle(Event::Worker(WorkerMsg::IndexDone(Err("boom".into()))), Instant::now());
    a.handle(key(KeyCode::Esc), Instant::now());
    assert_eq!(a.screen, Screen::Main);
    a.take_jobs();
    a.handle(Event::Worker(WorkerMsg::Knowledge(KnowledgeState::Missing("still none".into()))), Instant::now());
    assert_eq!(a.screen, Screen::Main, "not a second time");
    assert!(a.take_jobs().is_empty());
}

#[test]
fn help_overlay_from_the_key_map() {
    let mut a = ready_app();
    a.handle(Event::Key(KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE)), Instant::now());
    insta::assert_snapshot!(frame(&mut a, 80, 24));
    // Too tall for 24 rows: the end comes into view by scrolling.
    assert!(!frame(&mut a, 80, 24).to_string().contains("quit"));
    a.handle(key(KeyCode::End), Instant::now());
    let f = frame(&mut a, 80, 24).to_string();
    assert!(f.contains("quit") && f.contains("mouse"), "{f}");
    assert!(matches!(a.overlay, super::app::Overlay::Help), "scrolling keeps it open");
    a.handle(key(KeyCode::Esc), Instant::now());
    assert!(matches!(a.overlay, super::app::Overlay::None));
}

#[test]
fn time_range_popup() {
    let mut a = ready_app();
    a.handle(ctrl('t'), Instant::now());
    insta::assert_snapshot!(frame(&mut a, 80, 24));
}

#[test]
fn tiny_terminals_stay_sane() {
    let mut a = ready_app();
    set_query(&mut a, r#"{app="hdfs"} |= "Deleting""#);
    run(&mut a, 5);
    insta::assert_snapshot!("tiny_20x5", frame(&mut a, 20, 5));
    for (w, h) in [(1, 1), (2, 2), (10, 3), (20, 5), (39, 9), (45, 12), (300, 100)] {
        for focus in [PaneId::Question, PaneId::Editor, PaneId::Results, PaneId::Knowledge, PaneId::Answer] {
            a.focus = focus;
            frame(&mut a, w, h);
        }
        a.handle(key(KeyCode::F(1)), Instant::now());
        frame(&mut a, w, h);
        a.handle(key(KeyCode::Esc), Instant::now());
        let mut i = indexing_app();
        frame(&mut i, w, h);
    }
}

#[test]
fn narrow_terminal_one_column() {
    let mut a = ready_app();
    a.focus = PaneId::Knowledge;
    insta::assert_snapshot!(frame(&mut a, 60, 20));
}

/// The real pipeline (no model: the query builder; the embedded engine;
/// the HDFS knowledge indexed in memory) on `question`: its events, in order.
fn pipeline_events(question: &str) -> Vec<crate::pipeline::PipelineEvent> {
    use crate::pipeline::{AskRequest, PipelineContext};
    let ds = Dataset::load(&datasets(), "hdfs").unwrap();
    let kb = crate::retrieve::KnowledgeBase::from_knowledge("hdfs", knowledge(), Default::default());
    let engine = crate::backend::Backend::Embedded(Arc::new(Engine::open(&datasets(), Some(&["hdfs".to_string()])).unwrap()));
    let ctx = Arc::new(PipelineContext::new(Arc::new(kb), engine, None, Default::default(), Some(&ds)));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut events = Vec::new();
    rt.block_on(crate::pipeline::ask(ctx, AskRequest::new(question), |e| events.push(e.clone())));
    // Timings vary from run to run; the snapshots show them.
    for e in &mut events {
        match e {
            crate::pipeline::PipelineEvent::Executed { ms, .. } => *ms = 3,
            crate::pipeline::PipelineEvent::StageFinished { ms, .. } => *ms = 1,
            crate::pipeline::PipelineEvent::Finished(o) => o.ms = 179,
            _ => {}
        }
    }
    events
}

/// Enter in the question pane: the job it sends.
fn submit(a: &mut App, q: &str) -> u64 {
    a.focus = PaneId::Question;
    type_text(a, q);
    a.handle(key(KeyCode::Enter), Instant::now());
    match a.take_jobs().into_iter().find(|j| matches!(j, Job::Ask { .. })) {
        Some(Job::Ask { id, question, start_ns, .. }) => {
            assert_eq!(question, q);
            assert_eq!(start_ns, Some(RANGE.start_ns), "the question runs over the range on screen");
            id
        }
        _ => panic!("Enter sent no question"),
    }
}

#[test]
fn a_question_runs_through_the_pipeline_and_every_step_shows() {
    let mut a = ready_app();
    let q = "how many blocks were deleted?";
    let id = submit(&mut a, q);
    assert!(a.is_busy());
    let events = pipeline_events(q);
    let finished = events.iter().position(|e| matches!(e, crate::pipeline::PipelineEvent::Finished(_))).unwrap();
    // Everything but the end: retrieved items, the query in the editor, its result.
    for e in events[..finished].iter().cloned() {
        a.handle(Event::Worker(WorkerMsg::Pipeline { id, event: e }), Instant::now());
    }
    let started = a.asking.as_ref().unwrap().started;
    a.tick(started + Duration::from_millis(840));
    assert!(a.editor.text().contains("Deleting block"), "{}", a.editor.text());
    assert_eq!(a.knowledge.retrieved().map(|r| r.is_empty()), Some(false));
    let f = frame(&mut a, 100, 30).to_string();
    assert!(f.contains("Knowledge · 8 retrieved"), "{f}");
    assert!(f.contains("Results · 1 series"), "{f}");
    assert!(f.contains("● answer"), "the stage is in the status bar: {f}");
    insta::assert_snapshot!("question_running", f);
    a.handle(Event::Worker(WorkerMsg::Pipeline { id, event: events[finished].clone() }), Instant::now());
    assert!(a.asking.is_none() && !a.is_busy());
    assert!(a.answer.text().contains("Answer: 263"), "{}", a.answer.text());
    a.focus = PaneId::Answer;
    a.handle(key(KeyCode::Char('z')), Instant::now());
    insta::assert_snapshot!("question_answered_zoomed", frame(&mut a, 80, 24));
    // The session holds the question, the query and the answer, for the export.
    let md = a.session.markdown("hdfs", a.answer.text());
    assert!(md.contains("## Question\n\nhow many blocks were deleted?"), "{md}");
    assert!(md.contains("### Answer") && md.contains("263"), "{md}");
    // The editor keeps `$__range`: Ctrl-R runs the query as the pipeline did,
    // one instant query over the window, so it gives the same 263.
    assert!(a.editor.text().contains("[$__range]"), "{}", a.editor.text());
    assert!(a.editor.error().is_none(), "{:?}", a.editor.error());
    a.zoom = false;
    a.focus = PaneId::Editor;
    a.handle(ctrl('r'), Instant::now());
    let Some(Job::Query { id, req: crate::pipeline::Request::Instant(r) }) = a.take_jobs().into_iter().find(|j| matches!(j, Job::Query { .. })) else {
        panic!("Ctrl-R sent no instant query")
    };
    let window = crate::pipeline::plan::range_literal(RANGE.end_ns - RANGE.start_ns);
    assert!(r.query.contains(&format!("[{window}]")) && r.time_ns == RANGE.end_ns, "{r:?}");
    let engine = Engine::open(&datasets(), Some(&["hdfs".to_string()])).unwrap();
    let result = engine.query(&r);
    a.handle(Event::Worker(WorkerMsg::QueryDone { id, result, elapsed: Duration::from_millis(3) }), Instant::now());
    let f = frame(&mut a, 100, 30).to_string();
    assert!(f.contains("263"), "{f}");
}

#[test]
fn events_of_an_older_question_are_ignored_and_esc_cancels() {
    let mut a = ready_app();
    let first = submit(&mut a, "how many blocks were deleted?");
    a.focus = PaneId::Question;
    let second = submit(&mut a, "which errors occurred?");
    assert_ne!(first, second);
    let stale = crate::pipeline::PipelineEvent::Candidate {
        attempt: 1,
        source: crate::pipeline::CandidateSource::Model,
        logql: "{app=\"stale\"}".into(),
        explanation: None,
    };
    a.handle(Event::Worker(WorkerMsg::Pipeline { id: first, event: stale }), Instant::now());
    assert!(!a.editor.text().contains("stale"));
    a.focus = PaneId::Answer;
    a.handle(key(KeyCode::Esc), Instant::now());
    assert!(a.take_jobs().iter().any(|j| matches!(j, Job::Cancel)), "Esc cancels the question");
}

#[test]
fn the_guard_asks_in_an_overlay() {
    let mut a = ready_app();
    let id = submit(&mut a, "show every line");
    let ask = crate::pipeline::PipelineEvent::ConfirmationNeeded {
        reason: "the range is 38h, over pipeline.max_range (24h)".into(),
        narrowed_start_ns: RANGE.end_ns - 86_400_000_000_000,
        narrowed_end_ns: RANGE.end_ns,
    };
    a.handle(Event::Worker(WorkerMsg::Pipeline { id, event: ask }), Instant::now());
    insta::assert_snapshot!(frame(&mut a, 80, 24));
    a.handle(key(KeyCode::Char('x')), Instant::now());
    assert!(matches!(a.overlay, super::app::Overlay::Confirm(_)), "other keys do nothing");
    a.handle(key(KeyCode::Char('r')), Instant::now());
    assert!(matches!(a.overlay, super::app::Overlay::None));
    assert!(matches!(a.take_jobs().as_slice(), [Job::Confirm(crate::pipeline::Confirm::Run)]));
}

#[test]
fn a_question_that_cannot_start_says_why() {
    let mut a = ready_app();
    let id = submit(&mut a, "how many blocks were deleted?");
    let error = "no knowledge for hdfs in storage/hdfs: run `logcopilot index --app hdfs`".to_owned();
    a.handle(Event::Worker(WorkerMsg::AskFailed { id, error }), Instant::now());
    assert!(a.asking.is_none());
    assert!(a.answer.text().contains("could not start") && a.answer.text().contains("Ctrl-G opens the indexing screen"), "{}", a.answer.text());
}

#[test]
fn a_pipeline_error_in_every_stage_keeps_the_screen_sane() {
    use crate::pipeline::event::{Outcome, QuestionKind, RepairReason, Stage, Status, Usage};
    use crate::pipeline::{CandidateSource, PipelineEvent as P};
    let mut a = ready_app();
    let id = submit(&mut a, "how many blocks were deleted?");
    let bad = r#"sum(count_over_time({app="hdfs"} |= [1h]))"#;
    let events = vec![
        P::StageStarted { stage: Stage::Retrieve, attempt: 0 },
        P::Note { text: "no vectors of text-embedding-3-small: retrieval is lexical only".into() },
        P::StageStarted { stage: Stage::Generate, attempt: 1 },
        P::Candidate { attempt: 1, source: CandidateSource::Model, logql: bad.into(), explanation: None },
        P::CheckFailed { attempt: 1, logql: bad.into(), error: "parse error at line 1, col 37: syntax error: unexpected [".into() },
        P::Repair { attempt: 2, reason: RepairReason::ParseError, detail: "col 37".into() },
        P::Candidate { attempt: 2, source: CandidateSource::Repair, logql: r#"{app="hdfs"} |= "Deleted""#.into(), explanation: None },
        P::StageStarted { stage: Stage::Execute, attempt: 2 },
        P::ExecutionFailed { attempt: 2, logql: r#"{app="hdfs"} |= "Deleted""#.into(), error: "the loki backend failed: connection refused (http://127.0.0.1:9)".into() },
        P::Usage(Usage { requests: 2, tokens_in: 1840, tokens_out: 96, estimated: false, cost_usd: None }),
        P::StageStarted { stage: Stage::Answer, attempt: 2 },
        P::AnswerDelta { text: "Half an ans".into() },
        P::AnswerRestart,
        P::AnswerDelta { text: "The logs could not be queried".into() },
    ];
    for e in events {
        a.handle(Event::Worker(WorkerMsg::Pipeline { id, event: e }), Instant::now());
    }
    let f = frame(&mut a, 80, 24).to_string();
    assert!(f.contains("connection refused"), "the results pane says what failed: {f}");
    assert!(f.contains("● answer · try 2 of 4 · 1936 tokens"), "{f}");
    assert!(a.asking.as_ref().is_some_and(|r| r.answer == "The logs could not be queried"), "a restarted stream forgets its start");
    let end = Outcome {
        kind: QuestionKind::Query,
        status: Status::Failed,
        answer: String::new(),
        logql: None,
        result: None,
        value: None,
        repairs: 1,
        error: Some("the loki backend failed: connection refused (http://127.0.0.1:9)".into()),
        usage: Usage::default(),
        ms: 2100,
        record: None,
    };
    a.handle(Event::Worker(WorkerMsg::Pipeline { id, event: P::Finished(Box::new(end)) }), Instant::now());
    assert!(a.answer.text().starts_with("Q: how many blocks were deleted?\n\nThe question could not be answered: the loki backend failed"), "{}", a.answer.text());
    assert!(a.knowledge.retrieved().is_none(), "nothing retrieved: the templates show again");
    insta::assert_snapshot!(frame(&mut a, 80, 24));
}

#[test]
fn marked_lines_are_analysed_part_by_part() {
    use crate::tui::analysis::{AnalysisMsg, ChunkInfo};
    let mut a = ready_app();
    set_query(&mut a, r#"{app="hdfs"} |= "Deleting block""#);
    run(&mut a, 7);
    a.focus = PaneId::Results;
    // Mark the two newest lines (m moves down after marking).
    a.handle(key(KeyCode::Char('m')), Instant::now());
    a.handle(key(KeyCode::Char('m')), Instant::now());
    assert_eq!(a.results.marked(), 2);
    a.handle(key(KeyCode::Char('a')), Instant::now());
    insta::assert_snapshot!("analysis_menu", frame(&mut a, 80, 24));
    a.handle(key(KeyCode::Char('r')), Instant::now());
    let (id, lines) = match a.take_jobs().into_iter().find(|j| matches!(j, Job::Analyze { .. })) {
        Some(Job::Analyze { id, mode, lines }) => {
            assert_eq!(mode, crate::analyze::Mode::RootCause);
            (id, lines)
        }
        _ => panic!("no analysis job"),
    };
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains("Deleting block") && lines[0] < lines[1], "oldest first: {lines:?}");
    let info = |f, l| ChunkInfo { first_line: f, last_line: l, tokens: 900, cut: 0 };
    let msgs = vec![
        AnalysisMsg::Started { chunks: vec![info(1, 1), info(2, 2)], model: "gpt-test".into(), budget: 4000 },
        AnalysisMsg::Delta { chunk: 0, text: "The namenode deletes ".into() },
        AnalysisMsg::Delta { chunk: 0, text: "blocks after a replication change.".into() },
        AnalysisMsg::Done { chunk: 0, result: Ok((1200, 40)) },
    ];
    for m in msgs {
        a.handle(Event::Worker(WorkerMsg::Analysis { id, msg: m }), Instant::now());
    }
    assert_eq!(a.focus, PaneId::Answer);
    assert!(a.answer.text().contains("Root cause of 2 marked log lines · part 1 of 2"), "{}", a.answer.text());
    assert!(a.answer.text().contains("The namenode deletes blocks after a replication change."));
    insta::assert_snapshot!("analysis_part_one", frame(&mut a, 80, 24));
    // n: the next part runs; p: back to the first, kept.
    a.handle(key(KeyCode::Char('n')), Instant::now());
    assert!(matches!(a.take_jobs().as_slice(), [Job::AnalyzeChunk { chunk: 1, .. }]));
    assert!(a.answer.text().contains("part 2 of 2") && a.answer.text().contains("analysing…"));
    a.handle(Event::Worker(WorkerMsg::Analysis { id, msg: AnalysisMsg::Done { chunk: 1, result: Err("the model timed out".into()) } }), Instant::now());
    assert!(a.answer.text().contains("The analysis failed: the model timed out"));
    a.handle(key(KeyCode::Char('p')), Instant::now());
    assert!(a.take_jobs().is_empty(), "a part already analysed is not asked again");
    assert!(a.answer.text().contains("part 1 of 2") && a.answer.text().contains("replication change"));
}

#[test]
fn analysing_without_lines_or_a_model_says_why() {
    use crate::tui::analysis::AnalysisMsg;
    let mut a = ready_app();
    a.focus = PaneId::Results;
    a.handle(key(KeyCode::Char('a')), Instant::now());
    assert!(matches!(a.overlay, super::app::Overlay::None));
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("run a log query first")));
    set_query(&mut a, r#"{app="hdfs"}"#);
    run(&mut a, 3);
    a.focus = PaneId::Results;
    a.handle(key(KeyCode::Char('a')), Instant::now());
    a.handle(key(KeyCode::Char('s')), Instant::now());
    let Some(Job::Analyze { id, lines, .. }) = a.take_jobs().into_iter().find(|j| matches!(j, Job::Analyze { .. })) else { panic!() };
    assert_eq!(lines.len(), 1000, "nothing marked: every line shown");
    let msg = AnalysisMsg::Failed("no LLM endpoint configured: an analysis of log lines needs a model".into());
    a.handle(Event::Worker(WorkerMsg::Analysis { id, msg }), Instant::now());
    assert!(a.answer.text().contains("The analysis failed: no LLM endpoint configured"), "{}", a.answer.text());
    assert!(!a.is_busy());
}

#[test]
fn the_scan_screen_shows_windows_anomalies_and_signals() {
    use crate::scan::event::{ScanEvent, ScanStatus, ScanSummary, WindowReport};
    use crate::scan::report::{Anomaly, Evidence, Health, Severity};
    let mut a = ready_app();
    a.handle(ctrl('o'), Instant::now());
    assert_eq!(a.screen, Screen::Scan);
    insta::assert_snapshot!("scan_idle", frame(&mut a, 80, 24));
    a.handle(key(KeyCode::Enter), Instant::now());
    let Some(Job::Scan { id, start_ns, end_ns }) = a.take_jobs().pop() else { panic!("Enter starts no scan") };
    assert_eq!((start_ns, end_ns), (RANGE.start_ns, RANGE.end_ns));
    let w = 3_600_000_000_000;
    let report = |index: usize, health| WindowReport {
        index,
        start_ns: RANGE.start_ns + index as i64 * w,
        end_ns: RANGE.start_ns + (index as i64 + 1) * w,
        health,
        anomalies: Vec::new(),
        lines: 40,
        sent: 40,
        sampled: false,
        cut_lines: 0,
        repaired: false,
        tokens_in: 900,
        tokens_out: 60,
        ms: 800,
    };
    let anomaly = Anomaly {
        severity: Severity::High,
        kind: "replication_storm".into(),
        summary: "hundreds of blocks deleted in one hour".into(),
        evidence: vec![
            Evidence { line: "081110 103401 31 INFO dfs.FSDataset: Deleting block blk_-1 file /mnt/hadoop/dfs/data/current/blk_-1".into(), unsupported: false },
            Evidence { line: "081110 999999 namenode crashed".into(), unsupported: true },
        ],
        recommended_action: "check the replication factor change on the namenode".into(),
    };
    let events = vec![
        ScanEvent::Started { app: "hdfs".into(), backend: "embedded".into(), start_ns, end_ns, window_ns: w, max_lines: 200, model: Some("gpt-test".into()), jsonl: None },
        ScanEvent::WindowDone { report: report(0, Health::Normal) },
        ScanEvent::WindowSkipped { index: 1, start_ns: 0, end_ns: 0, reason: crate::scan::event::SkipReason::Empty },
        ScanEvent::WindowDone { report: report(2, Health::Degraded) },
        ScanEvent::Anomaly { window: 2, start_ns: RANGE.start_ns + 2 * w, end_ns: RANGE.start_ns + 3 * w, anomaly },
        ScanEvent::Suppressed { window: 3, start_ns: 0, kind: "replication_storm".into(), severity: Severity::High, since_ns: 0 },
    ];
    for e in events {
        a.handle(Event::Worker(WorkerMsg::Scan { id, event: e }), Instant::now());
    }
    a.tick(a.scan.started.unwrap() + Duration::from_millis(2500));
    let f = frame(&mut a, 80, 24).to_string();
    assert!(f.contains("anomalies: 1 high · 1 suppressed"), "{f}");
    assert!(f.contains("✗ not in the window: 081110 999999 namenode crashed"), "unsupported evidence flagged: {f}");
    insta::assert_snapshot!("scan_running", f);
    // The real scan's end: no model, the template signals of the sample.
    let ctx = crate::scan::ScanContext {
        app: "hdfs".into(),
        backend: crate::backend::Backend::Embedded(Arc::new(Engine::open(&datasets(), Some(&["hdfs".to_string()])).unwrap())),
        llm: None,
        dataset: Some(Arc::new(Dataset::load(&datasets(), "hdfs").unwrap())),
        kb: Some(Arc::new(crate::retrieve::KnowledgeBase::from_knowledge("hdfs", knowledge(), Default::default()))),
        options: crate::scan::ScanOptions::from_config(&crate::config::Config::default()),
    };
    let req = crate::scan::ScanRequest { start_ns: Some(start_ns), end_ns: Some(end_ns), window_ns: None, max_lines: None, jsonl: None };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut tail = Vec::new();
    rt.block_on(crate::scan::scan(Arc::new(ctx), req, |e| {
        if matches!(e, ScanEvent::Signals { .. } | ScanEvent::Finished(_)) {
            tail.push(e.clone());
        }
    }));
    assert_eq!(tail.len(), 2, "signals, then the end");
    for e in tail {
        a.handle(Event::Worker(WorkerMsg::Scan { id, event: e }), Instant::now());
    }
    assert!(!a.scan.is_running() && !a.is_busy());
    let s: &ScanSummary = a.scan.summary.as_ref().unwrap();
    assert_eq!(s.status, ScanStatus::NoModel);
    let f = frame(&mut a, 80, 30).to_string();
    assert!(f.contains("Template signals") && f.contains("done without a model"), "{f}");
    // Esc goes back (nothing runs).
    a.handle(key(KeyCode::Esc), Instant::now());
    assert_eq!(a.screen, Screen::Main);
}

#[test]
fn knowledge_detail_and_insert_template() {
    let mut a = ready_app();
    a.focus = PaneId::Knowledge;
    a.handle(key(KeyCode::Down), Instant::now());
    a.handle(key(KeyCode::Enter), Instant::now());
    insta::assert_snapshot!(frame(&mut a, 80, 24));
    a.handle(key(KeyCode::Esc), Instant::now());
    a.handle(key(KeyCode::Char('i')), Instant::now());
    assert_eq!(a.focus, PaneId::Editor);
    assert!(a.editor.text().starts_with("{app=\"hdfs\"} |= "), "{}", a.editor.text());
    assert!(a.editor.error().is_none());
}

#[test]
fn lokis_patterns_show_after_our_templates_as_lokis() {
    use crate::storage::loki::LokiPattern;
    let mut a = ready_app();
    let mut ours = templates();
    ours.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    let at = ours.iter().position(|t| t.text.contains("terminating")).unwrap();
    let p = |pattern: &str, total, our_templates: Vec<String>| LokiPattern {
        pattern: pattern.into(),
        level: None,
        total,
        samples: vec![],
        our_templates,
        our_count: total,
    };
    a.handle(
        Event::Worker(WorkerMsg::LokiPatterns(vec![
            p("<_> WARN <_>", 7, vec![]),
            p("<_> for block <_> terminating", 311, vec![ours[at].id.clone()]),
        ])),
        Instant::now(),
    );
    a.focus = PaneId::Knowledge;
    let f = frame(&mut a, 80, 24).to_string();
    assert!(f.contains(&format!("Knowledge · {} + 2 from Loki", ours.len())), "{f}");
    // The last row: a pattern of Loki's that none of ours matches.
    a.handle(key(KeyCode::End), Instant::now());
    let f = frame(&mut a, 80, 24).to_string();
    assert!(f.contains("loki") && f.contains("<_> WARN <_>"), "{f}");
    a.handle(key(KeyCode::Enter), Instant::now());
    let f = frame(&mut a, 80, 24).to_string();
    assert!(f.contains("Loki's pattern (Loki's own") && f.contains("matches none of our templates"), "{f}");
    insta::assert_snapshot!("knowledge_lokis_pattern", f);
    a.handle(key(KeyCode::Esc), Instant::now());
    a.handle(key(KeyCode::Char('i')), Instant::now());
    assert_eq!(a.editor.text(), r#"{app="hdfs"} |> "<_> WARN <_>""#);
    assert!(a.editor.error().is_none(), "{:?}", a.editor.error());
    // Our template's detail names Loki's pattern for it; its LogQL finds the lines.
    a.focus = PaneId::Knowledge;
    a.handle(key(KeyCode::Home), Instant::now());
    for _ in 0..at {
        a.handle(key(KeyCode::Down), Instant::now());
    }
    a.handle(key(KeyCode::Enter), Instant::now());
    a.handle(key(KeyCode::Char('z')), Instant::now());
    let f = frame(&mut a, 120, 60).to_string();
    assert!(f.contains("Loki's pattern for it: <_> for block <_> terminating (311 lines"), "{f}");
    let q = crate::tui::panes::knowledge::pattern_logql("hdfs", "<_> for block <_> terminating");
    let engine = Engine::open(&datasets(), Some(&["hdfs".to_string()])).unwrap();
    let req = RangeRequest { query: q, start_ns: RANGE.start_ns, end_ns: RANGE.end_ns, step_ns: None, limit: 5000, direction: Direction::Backward };
    let n = match engine.query_range(&req).unwrap() {
        crate::logql::value::QueryResult::Streams(s) => s.iter().map(|s| s.entries.len()).sum::<usize>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(n as u64, ours[at].count, "Loki's pattern as LogQL finds our template's lines");
}

#[test]
fn keys_and_mouse_route_focus_and_scrolling() {
    let mut a = ready_app();
    set_query(&mut a, r#"{app="hdfs"}"#);
    run(&mut a, 5);
    frame(&mut a, 80, 24);
    a.handle(key(KeyCode::Tab), Instant::now());
    assert_eq!(a.focus, PaneId::Results);
    a.handle(key(KeyCode::Char('q')), Instant::now());
    assert!(a.quit, "q quits outside text panes");
    let mut a = ready_app();
    frame(&mut a, 80, 24);
    assert_eq!(a.focus, PaneId::Question, "the TUI opens in the Question pane");
    type_text(&mut a, "q");
    assert!(!a.quit, "q is text in the question pane");
    assert_eq!(a.question.text(), "q");
    let click = |x, y| Event::Mouse(MouseEvent { kind: MouseEventKind::Down(MouseButton::Left), column: x, row: y, modifiers: KeyModifiers::NONE });
    a.handle(click(60, 20), Instant::now());
    assert_eq!(a.focus, PaneId::Answer);
    a.handle(click(5, 1), Instant::now());
    assert_eq!(a.focus, PaneId::Question);
    a.handle(Event::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)), Instant::now());
    assert_eq!(a.focus, PaneId::Answer);
}

#[test]
fn esc_cancels_a_running_query_and_late_results_are_dropped() {
    let mut a = ready_app();
    a.handle(ctrl('r'), Instant::now());
    let Some(Job::Query { id, .. }) = a.take_jobs().pop() else { panic!() };
    a.handle(key(KeyCode::Esc), Instant::now());
    assert!(matches!(a.take_jobs().as_slice(), [Job::Cancel]));
    let cancelled = Err(crate::backend::BackendError::Cancelled);
    a.handle(Event::Worker(WorkerMsg::QueryDone { id, result: cancelled, elapsed: Duration::from_millis(40) }), Instant::now());
    assert!(a.running.is_none());
    assert!(a.notice.as_ref().unwrap().0.starts_with("cancelled"));
    // A result for an old id changes nothing.
    let req = RangeRequest { query: "{app=\"hdfs\"}".into(), start_ns: RANGE.start_ns, end_ns: RANGE.end_ns, step_ns: None, limit: 5, direction: Direction::Backward };
    let engine = Arc::new(Engine::open(&datasets(), Some(&["hdfs".to_string()])).unwrap());
    let late = engine.query_range(&req);
    a.handle(Event::Worker(WorkerMsg::QueryDone { id, result: late, elapsed: Duration::ZERO }), Instant::now());
    assert!(a.results.meta.is_none());
}

#[test]
fn hostile_log_lines_are_drawn_sanely() {
    use crate::logql::value::{Entry, QueryResult, Stream};
    let mut a = ready_app();
    a.handle(ctrl('r'), Instant::now());
    let Some(Job::Query { id, .. }) = a.take_jobs().pop() else { panic!() };
    let big = "x".repeat(1 << 20);
    let lines = ["\x1b]0;pwned\x07title \x1b[2J\x1b[31mred\x1b[0m", "bell\x07 tab\there", big.as_str(), "日本語のログ"];
    let entries = lines.iter().enumerate().map(|(i, l)| Entry { ts: RANGE.start_ns + i as i64, line: l.to_string() }).collect();
    let result = Ok(QueryResult::Streams(vec![Stream { labels: [("app".to_string(), "hdfs".to_string())].into(), entries }]));
    a.handle(Event::Worker(WorkerMsg::QueryDone { id, result, elapsed: Duration::from_millis(1) }), Instant::now());
    let f = frame(&mut a, 80, 24);
    let text = f.to_string();
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "no control characters reach the screen");
    insta::assert_snapshot!(f);
}

#[test]
fn no_color_draws_without_colours() {
    let mut a = App::new(settings(true), "sum(count_over_time({app=\"hdfs\"} |= \"x\" [5m]))");
    a.handle(Event::Worker(WorkerMsg::Span(Some((RANGE.start_ns, RANGE.end_ns)))), Instant::now());
    set_query(&mut a, r#"sum by (level) (count_over_time({app="hdfs"} [1h]))"#);
    run(&mut a, 1);
    let f = frame(&mut a, 80, 24);
    use ratatui::style::Color;
    let coloured = f.buffer().content().iter().filter(|c| c.fg != Color::Reset || c.bg != Color::Reset).count();
    assert_eq!(coloured, 0, "NO_COLOR: no cell has a colour");
    let mut c = ready_app();
    let f = frame(&mut c, 80, 24);
    assert!(f.buffer().content().iter().any(|c| c.fg != Color::Reset), "colours otherwise");
}

#[test]
fn answer_with_highlighted_code_blocks() {
    let mut a = ready_app();
    a.answer.set_text(
        "dfs.FSDataset deleted the most blocks (263).\n\n```logql\nsum by (component) (count_over_time({app=\"hdfs\"} |= \"Deleting block\" [1h]))\n```\n\nAs JSON:\n```json\n{\"component\": \"dfs.FSDataset\", \"count\": 263}\n```\n```sh\nlogcopilot query '{app=\"hdfs\"}' --since 7000d\n```",
    );
    a.focus = PaneId::Answer;
    a.zoom = true;
    let f = frame(&mut a, 80, 24);
    let row = |y: u16| (0..80).map(|x| f.buffer()[(x, y)].clone()).collect::<Vec<_>>();
    let json_row = (0..24).find(|y| row(*y).iter().map(|c| c.symbol()).collect::<String>().contains("\"count\"")).unwrap();
    let colours: std::collections::HashSet<_> = row(json_row).iter().map(|c| c.fg).collect();
    assert!(colours.len() >= 3, "JSON is highlighted: {colours:?}");
    insta::assert_snapshot!(f);
}

#[test]
fn a_megabyte_pasted_into_the_editor_stays_sane() {
    let mut a = ready_app();
    let big = format!("{{app=\"hdfs\"}} |= \"{}\"", "x".repeat(1 << 20));
    set_query(&mut a, "");
    a.handle(Event::Paste(big), Instant::now());
    let t = Instant::now();
    let f = frame(&mut a, 80, 24);
    assert!(t.elapsed() < Duration::from_secs(2), "drawn in {:?}", t.elapsed());
    assert!(f.to_string().contains("LogQL"));
    a.handle(ctrl('r'), Instant::now());
    assert!(matches!(a.take_jobs().as_slice(), [Job::Query { .. }]), "it parses, so it runs");
}

/// A reasoning model's thoughts: folded to one dim line by default (never in
/// the answer), expanded and folded again by the `reasoning` key in the
/// answer pane, and hidden with `ui.show_reasoning = "hide"`.
#[test]
fn reasoning_is_folded_and_the_key_expands_it() {
    use crate::pipeline::event::{Outcome, QuestionKind, Stage, Status, Usage};
    use crate::pipeline::PipelineEvent as P;
    let think = "The user wants deletions. Maybe 999? No: the result says 263.";
    let events = |id| {
        vec![
            P::StageStarted { stage: Stage::Generate, attempt: 1 },
            P::Reasoning { stage: Stage::Generate, attempt: 1, text: "Deleting block, not Deleted.".into(), tokens: 7, unterminated: false },
            P::StageStarted { stage: Stage::Answer, attempt: 1 },
            P::ReasoningDelta { text: "The user wants".into() },
        ]
        .into_iter()
        .map(move |e| Event::Worker(WorkerMsg::Pipeline { id, event: e }))
    };
    let end = |id| {
        let o = Outcome {
            kind: QuestionKind::Query,
            status: Status::Answered,
            answer: "263 blocks were deleted.".into(),
            logql: None,
            result: None,
            value: None,
            repairs: 0,
            error: None,
            usage: Usage::default(),
            ms: 900,
            record: None,
        };
        [
            P::Reasoning { stage: Stage::Answer, attempt: 1, text: think.into(), tokens: 16, unterminated: false },
            P::AnswerDelta { text: "263 blocks were deleted.".into() },
            P::Finished(Box::new(o)),
        ]
        .into_iter()
        .map(move |e| Event::Worker(WorkerMsg::Pipeline { id, event: e }))
    };
    let mut a = ready_app();
    let id = submit(&mut a, "how many blocks were deleted?");
    for e in events(id) {
        a.handle(e, Instant::now());
    }
    let t = a.answer.text().to_owned();
    assert!(t.contains("▸ reasoning (2 replies)") && !t.contains("The user wants"), "folded while it streams: {t}");
    for e in end(id) {
        a.handle(e, Instant::now());
    }
    let t = a.answer.text().to_owned();
    assert!(t.contains("▸ reasoning (2 replies) · 23 tokens · r expands it"), "{t}");
    assert!(!t.contains("Maybe 999"), "{t}");
    assert!(t.contains("263 blocks were deleted."));
    insta::assert_snapshot!("reasoning_folded", frame(&mut a, 80, 20));
    a.focus = PaneId::Answer;
    a.handle(key(KeyCode::Char('r')), Instant::now());
    let t = a.answer.text().to_owned();
    assert!(t.contains("▾ reasoning before the query, try 1\nDeleting block") && t.contains("▾ reasoning before the answer\nThe user wants deletions. Maybe 999?"), "{t}");
    insta::assert_snapshot!("reasoning_expanded", frame(&mut a, 80, 20));
    a.handle(key(KeyCode::Char('r')), Instant::now());
    assert!(a.answer.text().contains("▸ reasoning (2 replies)"), "folded again");
    // The reasoning is dim (NO_COLOR: the dim modifier), the answer is not.
    let mut plain = ready_with(Settings { show_reasoning: crate::config::ShowReasoning::Show, ..settings(true) });
    let id = submit(&mut plain, "how many blocks were deleted?");
    for e in events(id).chain(end(id)) {
        plain.handle(e, Instant::now());
    }
    assert!(plain.answer.text().contains("Maybe 999"), "show: expanded from the start");
    plain.focus = PaneId::Answer;
    plain.handle(key(KeyCode::Char('z')), Instant::now());
    let buf = frame(&mut plain, 80, 30).buffer().clone();
    // The style of the cell where `needle` starts on screen.
    let at = |needle: &str| {
        (0..buf.area.height)
            .find_map(|y| {
                let row: Vec<String> = (0..buf.area.width).map(|x| buf[(x, y)].symbol().to_owned()).collect();
                let x = row.concat().find(needle).map(|b| row.concat()[..b].chars().count())?;
                Some(buf[(x as u16, y)].modifier)
            })
            .unwrap_or_else(|| panic!("{needle} is not on screen"))
    };
    assert!(at("The user wants").contains(ratatui::style::Modifier::DIM), "the reasoning is dim");
    assert!(!at("263 blocks were").contains(ratatui::style::Modifier::DIM), "the answer is not");
    // hide: no line at all, and the key still shows it on demand.
    let mut hidden = ready_with(Settings { show_reasoning: crate::config::ShowReasoning::Hide, ..settings(false) });
    let id = submit(&mut hidden, "how many blocks were deleted?");
    for e in events(id).chain(end(id)) {
        hidden.handle(e, Instant::now());
    }
    assert!(!hidden.answer.text().contains("▸ reasoning") && !hidden.answer.text().contains("Maybe 999"), "{}", hidden.answer.text());
    hidden.focus = PaneId::Answer;
    hidden.handle(key(KeyCode::Char('r')), Instant::now());
    assert!(hidden.answer.text().contains("Maybe 999"));
}
