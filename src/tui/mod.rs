//! The TUI: `logcopilot` with no arguments. Panes for the question, the
//! knowledge, the LogQL editor, the results and the answer; an indexing
//! screen; a status bar; keys from `[ui.keys]`.
//!
//! How it runs (gitui's queue, ratatui's component template, television's
//! render loop): a tokio task reads terminal input ([`event`]), a worker
//! task runs queries and indexing ([`worker`]), both send on one channel;
//! the loop here applies every pending event to the [`app::App`], hands
//! its jobs to the worker, and draws the latest state once (at most about
//! 60 times a second, inside a synchronized update). With nothing running
//! it sleeps on the channel: no CPU when idle. A tick wakes it four times
//! a second only while a job's clock is on screen.
//!
//! - [`app`]: state and routing; [`action`]: what keys and panes ask for;
//!   [`keys`]: the key map; [`layout`]/[`draw`]: the frame.
//! - [`panes`]: question, editor, knowledge, answer, status, help, time
//!   range; [`results`]: logs, chart, table; [`indexing`]: the screen.
//! - [`highlight`]: LogQL highlighting from the lexer's tokens.

pub mod action;
pub mod analysis;
pub mod app;
pub mod draw;
pub mod event;
pub mod highlight;
pub mod indexing;
pub mod keys;
pub mod layout;
pub mod panes;
pub mod results;
pub mod scan;
pub mod session;
pub mod terminal;
pub mod theme;
pub mod timefmt;
pub mod worker;

#[cfg(test)]
mod tests;

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::mpsc;

use crate::backend::Backend;
use crate::config::{self, Config};
use crate::dataset::timestamp::Zone;
use app::{App, Settings};
use indexing::IndexJob;

/// How the TUI starts.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Open on the indexing screen running this job (`index --tui`).
    pub index: Option<IndexJob>,
    /// Stdin carried the logs: the keys come from the terminal (`/dev/tty`,
    /// which crossterm reads when stdin is not one).
    pub keys_from_tty: bool,
}

/// What is not configured, for the status bar and the answer pane.
pub fn missing(cfg: &Config) -> Vec<String> {
    let mut m = Vec::new();
    if cfg.loki.base_url.as_deref().is_none_or(|u| u.trim().is_empty()) {
        m.push("no Loki".to_owned());
    }
    match crate::llm::Endpoint::from_config(cfg) {
        Ok(Some(_)) => {}
        Ok(None) => m.push("no model".to_owned()),
        Err(_) => m.push("model misconfigured".to_owned()),
    }
    m
}

/// The backend queries run on: a configured Loki, else the embedded engine
/// over the configured app's dataset.
pub fn open_backend(cfg: &Config) -> anyhow::Result<Backend> {
    if cfg.loki.base_url.as_deref().is_some_and(|u| !u.trim().is_empty()) {
        return Ok(Backend::Loki(crate::loki::LokiClient::new(&cfg.loki)?));
    }
    let paths = config::resolve_paths(cfg);
    crate::dataset::Dataset::find(&paths.datasets, &paths.storage, &cfg.app)?;
    let engine = crate::backend::embedded::Engine::open_in(&paths.datasets, Some(&paths.storage), Some(std::slice::from_ref(&cfg.app)))
        .with_context(|| format!("loading dataset {} from {}", cfg.app, paths.datasets.display()))?;
    Ok(Backend::Embedded(Arc::new(engine)))
}

/// The app's settings from the config.
pub fn settings(cfg: &Config, backend: &'static str) -> Settings {
    let zone = cfg.zone();
    Settings {
        app: cfg.app.clone(),
        zone,
        theme: theme::Theme::new(crate::terminal::no_color(cfg.ui.no_color)),
        keys: keys::KeyMap::new(&cfg.ui.keys),
        backend,
        missing: missing(cfg),
        grafana_url: cfg.ui.grafana_url.clone(),
        results_dir: config::resolve_paths(cfg).results,
        max_tries: cfg.pipeline.max_repairs + 1,
        show_reasoning: cfg.ui.show_reasoning,
        format: {
            let paths = config::resolve_paths(cfg);
            crate::dataset::Dataset::find(&paths.datasets, &paths.storage, &cfg.app).ok().and_then(|d| d.detected)
        },
    }
}

/// Runs the TUI until the user quits.
pub fn run(cfg: &Config, opts: Options) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let keys = if opts.keys_from_tty { std::fs::File::open("/dev/tty").is_ok() } else { std::io::stdin().is_terminal() };
    if !keys || !std::io::stdout().is_terminal() {
        anyhow::bail!("the TUI needs a terminal (stdin and stdout); for scripts use `logcopilot query` (see --help)");
    }
    Zone::parse(&cfg.ui.time_zone).map_err(|e| anyhow::anyhow!("ui.time_zone: {e}"))?;
    let backend = open_backend(cfg)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().context("starting the async runtime")?;
    rt.block_on(run_async(cfg, backend, opts))
}

async fn run_async(cfg: &Config, backend: Backend, opts: Options) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
    let initial = format!("{{app=\"{}\"}}", cfg.app.replace('\\', "\\\\").replace('"', "\\\""));
    let mut app = App::new(settings(cfg, backend.name()), &initial);
    let ctx = worker::WorkerCtx {
        backend,
        app: cfg.app.clone(),
        storage: config::resolve_paths(cfg).storage,
        config: Arc::new(cfg.clone()),
    };
    let worker = worker::spawn(ctx, jobs_rx, tx.clone());
    app.push_job(worker::Job::Span);
    app.run_on_span = true;
    app.push_job(worker::Job::Knowledge);
    if let Some(job) = opts.index {
        app.follow_behind = opts.keys_from_tty && job.follow;
        app.open_index(job);
    }
    let mut term = terminal::Term::enter()?;
    let input = event::spawn_input(tx.clone());
    let result = event_loop(&mut term, &mut app, &mut rx, &jobs_tx).await;
    input.abort();
    drop(jobs_tx);
    worker.abort();
    term.leave()?;
    result
}

/// Applies events and draws until the app quits.
async fn event_loop(
    term: &mut terminal::Term,
    app: &mut App,
    rx: &mut mpsc::UnboundedReceiver<event::Event>,
    jobs: &mpsc::UnboundedSender<worker::Job>,
) -> anyhow::Result<()> {
    const FRAME: Duration = Duration::from_millis(16);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_draw = Instant::now() - FRAME;
    loop {
        for j in app.take_jobs() {
            let _ = jobs.send(j);
        }
        if let Some(text) = app.session.clipboard.take() {
            let mut out = std::io::stdout();
            let _ = out.write_all(session::osc52(&text).as_bytes());
            let _ = out.flush();
        }
        if app.quit {
            return Ok(());
        }
        // Never draw more often than the screen can show.
        let since = last_draw.elapsed();
        if since < FRAME {
            tokio::time::sleep(FRAME - since).await;
        }
        while let Ok(ev) = rx.try_recv() {
            app.handle(ev, Instant::now());
        }
        app.tick(Instant::now());
        app.size = term.size()?;
        term.draw(app)?;
        last_draw = Instant::now();
        // Jobs from the events just handled go out before waiting: a job
        // pushed by a worker message (the knowledge reload after indexing)
        // must not wait for the next key.
        for j in app.take_jobs() {
            let _ = jobs.send(j);
        }
        // Wait for something to happen (the tick only while a clock runs).
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => app.handle(ev, Instant::now()),
                None => return Ok(()),
            },
            _ = tick.tick(), if app.is_busy() => {}
        }
        while let Ok(ev) = rx.try_recv() {
            app.handle(ev, Instant::now());
        }
    }
}
