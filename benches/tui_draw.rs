//! Drawing speed of the TUI: one frame of the main screen with 10,000 log
//! lines (a `|=` filter highlighted) and with a 20-series chart (11,000
//! points each, Loki's most), at 80x24 and 200x60, into ratatui's
//! TestBackend. Each frame scrolls one row so the diff is never empty.
//! Prints the median and the worst of N frames (default 300) and the time
//! to prepare each result once when it arrives. Target: < 5 ms a frame.
//!
//! `cargo bench --bench tui_draw -- [FRAMES]`

use std::path::PathBuf;
use std::time::{Duration, Instant};

use logcopilot::config::Config;
use logcopilot::logql::value::{Entry, Point, QueryResult, Series, Stream};
use logcopilot::tui::action::{Action, Scroll};
use logcopilot::tui::app::{App, PaneId};
use logcopilot::tui::event::Event;
use logcopilot::tui::worker::{Job, WorkerMsg};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

const START_NS: i64 = 1_226_262_915_000_000_000;

/// 10,000 lines of the HDFS sample, repeated, one stream per level.
fn logs() -> QueryResult {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets/hdfs/HDFS_2k.log");
    let text = std::fs::read_to_string(path).expect("HDFS sample");
    let sample: Vec<&str> = text.lines().collect();
    let mut streams: Vec<Stream> = ["INFO", "WARN"]
        .iter()
        .map(|l| Stream { labels: [("app".to_string(), "hdfs".to_string()), ("level".to_string(), l.to_string())].into(), entries: Vec::new() })
        .collect();
    for i in 0..10_000usize {
        let line = sample[i % sample.len()];
        let s = usize::from(line.contains(" WARN "));
        streams[s].entries.push(Entry { ts: START_NS + i as i64 * 1_000_000_000, line: line.to_string() });
    }
    for s in &mut streams {
        s.entries.reverse();
    }
    QueryResult::Streams(streams)
}

/// 20 series of 11,000 points.
fn chart() -> QueryResult {
    QueryResult::Matrix(
        (0..20)
            .map(|i| Series {
                metric: [("app".to_string(), "hdfs".to_string()), ("component".to_string(), format!("dfs.Component{i:02}"))].into(),
                points: (0..11_000)
                    .map(|j| Point { ts_ms: START_NS / 1_000_000 + j * 15_000, value: 100.0 + 80.0 * ((j as f64 / 300.0) + i as f64).sin() })
                    .collect(),
            })
            .collect(),
    )
}

/// An app that ran `query` and got `result`; the time it took to take the result in.
fn app_with(query: &str, result: QueryResult) -> (App, Duration) {
    let cfg = Config::default();
    let mut app = App::new(logcopilot::tui::settings(&cfg, "embedded"), query);
    app.handle(Event::Worker(WorkerMsg::Span(Some((START_NS, START_NS + 200_000_000_000_000)))), Instant::now());
    app.apply(Action::RunQuery);
    let id = app
        .take_jobs()
        .into_iter()
        .find_map(|j| match j {
            Job::Query { id, .. } => Some(id),
            _ => None,
        })
        .expect("a query job");
    let t = Instant::now();
    app.handle(Event::Worker(WorkerMsg::QueryDone { id, result: Ok(result), elapsed: Duration::from_millis(5) }), Instant::now());
    let took = t.elapsed();
    app.focus = PaneId::Results;
    (app, took)
}

fn measure(name: &str, app: &mut App, w: u16, h: u16, frames: usize) -> Duration {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    app.size = Rect::new(0, 0, w, h);
    let mut times = Vec::with_capacity(frames);
    for i in 0..frames {
        app.apply(Action::Scroll(if i % 200 < 100 { Scroll::Down(1) } else { Scroll::Up(1) }));
        let t = Instant::now();
        term.draw(|f| logcopilot::tui::draw::draw(f, app)).expect("draw");
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let worst = times[times.len() - 1];
    println!("{name:<44} {w:>3}x{h:<3} median {:>7.3} ms   worst {:>7.3} ms", ms(median), ms(worst));
    median
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let frames: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(300).max(1);
    println!("TUI frame drawing, {frames} frames each (ratatui TestBackend)");
    let (mut logs_app, took) = app_with(r#"{app="hdfs"} |= "block""#, logs());
    println!("{:<44} {:>7.3} ms", "take in 10,000 log lines (once)", ms(took));
    let (mut chart_app, took) = app_with(r#"sum by (component) (count_over_time({app="hdfs"} [1m]))"#, chart());
    println!("{:<44} {:>7.3} ms", "take in 20 series x 11,000 points (once)", ms(took));
    let mut worst_median = Duration::ZERO;
    for (w, h) in [(80, 24), (200, 60)] {
        worst_median = worst_median.max(measure("10,000 log lines, |= highlighted", &mut logs_app, w, h, frames));
        worst_median = worst_median.max(measure("20-series chart (11,000 points each)", &mut chart_app, w, h, frames));
    }
    chart_app.apply(Action::ToggleView);
    worst_median = worst_median.max(measure("20-series table", &mut chart_app, 200, 60, frames));
    let verdict = if worst_median < Duration::from_millis(5) { "under" } else { "OVER" };
    println!("slowest median {:.3} ms: {verdict} the 5 ms target", ms(worst_median));
}
