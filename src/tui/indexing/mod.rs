//! The indexing job of the TUI: the same run as `logcopilot index` (the
//! shared [`crate::index::job::Plan`], then the LLM phases when a model is
//! configured and the BM25 index), its progress events sent to the app as
//! they come, cancellable; with `follow`, then what is appended to the input
//! (the loop of [`crate::index::follow`]), each update sent as a line.
//! [`view`] turns the events into the screen.

mod loki;
pub mod view;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::event::Event;
use super::worker::WorkerMsg;
use crate::config::{self, Config};
use crate::dataset::Dataset;
use crate::index::follow::{self, Stamp};
use crate::index::job::Plan;
use crate::index::{EnrichOptions, IndexEvent, Outcome, Phase};
use crate::knowledge::Knowledge;

/// What to index.
#[derive(Debug, Clone)]
pub struct IndexJob {
    pub app: String,
    /// Instead of the dataset's sample log.
    pub input: Option<PathBuf>,
    /// Rebuild even when up to date.
    pub force: bool,
    /// Skip the LLM phases.
    pub offline: bool,
    pub use_known: bool,
    /// Then keep indexing what is appended to the input until cancelled.
    pub follow: bool,
    /// Pull the lines from Loki instead of reading a file.
    pub from_loki: Option<LokiPull>,
}

/// What to pull from Loki (`index --tui --from-loki`).
#[derive(Debug, Clone)]
pub struct LokiPull {
    pub selector: String,
    /// Loki's URL instead of the config's.
    pub base_url: Option<String>,
    pub start_ns: i64,
    /// None: up to now at each look.
    pub end_ns: Option<i64>,
    /// How often to look again while following.
    pub every: Duration,
}

impl IndexJob {
    pub fn new(app: &str) -> IndexJob {
        IndexJob { app: app.to_owned(), input: None, force: false, offline: false, use_known: true, follow: false, from_loki: None }
    }
}

/// The offline phases; the knowledge, the plan (for following), a summary
/// line and the input's stamp from before it was read.
fn build(cfg: &Config, job: &IndexJob, on_event: &(dyn Fn(IndexEvent) + Sync), cancel: &AtomicBool) -> Result<(Knowledge, Plan, String, Stamp), String> {
    let paths = config::resolve_paths(cfg);
    let ds = Dataset::find(&paths.datasets, &paths.storage, &job.app).map_err(|e| e.to_string())?;
    let known = match (&ds.templates_path, job.use_known) {
        (Some(p), true) => crate::index::templates::load(p).map_err(|e| format!("dataset {}: {e}", job.app))?,
        _ => Vec::new(),
    };
    let mut plan = Plan::new(cfg, ds, known, job.input.as_deref(), job.use_known).map_err(|e| e.to_string())?;
    plan.force = job.force;
    let seen = follow::stamp(&plan.input);
    if !job.force
        && let Some(m) = plan.up_to_date().map_err(|e| e.to_string())?
    {
        for phase in [Phase::Read, Phase::Finish, Phase::Write] {
            on_event(IndexEvent::Skipped { phase, reason: "up to date".into() });
        }
        let k = plan.store.load().map_err(|e| e.to_string())?;
        let s = format!("{}: up to date ({} lines, built {})", job.app, m.stats.lines, m.built_at);
        return Ok((k, plan, s, seen));
    }
    let (out, _) = plan.run(on_event, cancel).map_err(|e| e.to_string())?;
    let s = format!(
        "{}: {} lines in {:.2} s, {} templates, {} workflows",
        job.app,
        out.stats.lines,
        out.stats.secs,
        out.knowledge.templates.iter().filter(|t| t.count > 0).count(),
        out.knowledge.workflows.len()
    );
    Ok((out.knowledge, plan, s, seen))
}

fn outcome(name: &str, o: &Outcome) -> Option<String> {
    match o {
        Outcome::Done { items, failed, .. } if *failed > 0 => Some(format!("{name}: {items} items, {failed} without a valid reply")),
        Outcome::Done { items, .. } => Some(format!("{name}: {items} items")),
        Outcome::Failed(e) => Some(format!("{name} failed: {e}")),
        Outcome::Skipped(_) => None,
    }
}

/// Runs `job` on its own thread (the LLM phases on a runtime of their
/// own: their future is not `Send`); events and the end arrive on `out`.
pub fn spawn(cfg: Arc<Config>, job: IndexJob, cancel: Arc<AtomicBool>, out: UnboundedSender<Event>) {
    let spawned = std::thread::Builder::new().name("index".into()).spawn({
        let out = out.clone();
        move || {
            let run = std::panic::AssertUnwindSafe(|| run_job(&cfg, &job, &cancel, &out));
            let msg = std::panic::catch_unwind(run).unwrap_or_else(|p| {
                let why = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned());
                Err(format!("indexing stopped on an internal error: {}", why.unwrap_or_default()))
            });
            let _ = out.send(Event::Worker(WorkerMsg::IndexDone(msg)));
        }
    });
    if let Err(e) = spawned {
        let _ = out.send(Event::Worker(WorkerMsg::IndexDone(Err(format!("cannot start the index thread: {e}")))));
    }
}

fn run_job(cfg: &Config, job: &IndexJob, cancel: &AtomicBool, out: &UnboundedSender<Event>) -> Result<String, String> {
    if let Some(pull) = &job.from_loki {
        return loki::run(cfg, job, pull, cancel, out);
    }
    let send = |e: IndexEvent| {
        let _ = out.send(Event::Worker(WorkerMsg::Index(e)));
    };
    let (k, mut plan, mut summary, seen) = build(cfg, job, &send, cancel)?;
    let (client, opts) = enrich_setup(cfg, job);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("{summary}; then: cannot start a runtime for the LLM phases: {e}"))?;
    let result = rt.block_on(crate::index::enrich::run(client.as_ref(), &plan.store, &job.app, &k, &opts, &send, cancel));
    match result {
        Ok(r) => {
            for line in [outcome("summaries", &r.summarize), outcome("vectors", &r.embed)].into_iter().flatten() {
                summary.push_str("; ");
                summary.push_str(&line);
            }
            if let Some((docs, _)) = r.lexical {
                summary.push_str(&format!("; BM25 over {docs} documents"));
            }
        }
        Err(f) => return Err(format!("{summary}; then: {} (finished items are kept)", f.error)),
    }
    if !job.follow || cancel.load(Ordering::Relaxed) {
        return Ok(summary);
    }
    let _ = out.send(Event::Worker(WorkerMsg::IndexFollowing(format!("{summary}; following {}", plan.input.display()))));
    let path = plan.input.clone();
    let store = plan.store.clone();
    let zone = cfg.zone();
    let n = follow::follow_file(&mut plan, seen, Duration::from_secs(1), cancel, &send, &mut |u| {
        let line = format!("{} {}", crate::tui::timefmt::format(zone, crate::tui::app::now_ns(), "%H:%M:%S"), u.describe(&job.app, &path));
        if let follow::FollowUpdate::Indexed { knowledge, .. } = &u {
            rt.block_on(crate::index::enrich::run(None, &store, &job.app, knowledge, &opts, &send, cancel))
                .map_err(|f| anyhow::anyhow!("{}", f.error))?;
        }
        let _ = out.send(Event::Worker(WorkerMsg::IndexUpdate(line)));
        Ok(())
    })
    .map_err(|e| format!("following {} stopped: {e:#}", path.display()))?;
    Ok(format!("{summary}; followed {}: {}, stopped", path.display(), n_updates(n)))
}

/// The model for the LLM phases (none when offline, following, or not
/// configured: the reason goes in the options) and the phases' options.
fn enrich_setup(cfg: &Config, job: &IndexJob) -> (Option<crate::llm::LlmClient>, EnrichOptions) {
    let (client, reason) = match (job.offline || job.follow, crate::llm::LlmClient::from_config(cfg)) {
        (true, _) if job.follow => (None, FOLLOWING.to_owned()),
        (true, _) => (None, "offline".to_owned()),
        (false, Ok(Some(c))) => (Some(c), String::new()),
        (false, Ok(None)) => (None, crate::llm::NO_ENDPOINT.to_owned()),
        (false, Err(e)) => (None, e.to_string()),
    };
    let opts = EnrichOptions {
        chat_model: cfg.llm.chat_model.clone(),
        embedding_batch_size: cfg.llm.embedding_batch_size,
        concurrency: cfg.llm.concurrency,
        offline_reason: reason,
    };
    (client, opts)
}

/// `1 update`, `2 updates`.
fn n_updates(n: usize) -> String {
    if n == 1 { "1 update".to_owned() } else { format!("{n} updates") }
}

/// Why the LLM phases are skipped while following.
const FOLLOWING: &str = "following: summaries and embeddings wait for a run without follow";
