//! The indexing screen's job for `index --tui --from-loki`: pull the
//! selector's lines from Loki into the app's spool (resuming the saved
//! cursor), index them reading on, store Loki's own patterns and fields
//! beside ours, build the BM25 index; with `follow`, look again every
//! `every` until cancelled, each look that brought lines sent as an update.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc::UnboundedSender;

use super::{IndexJob, LokiPull};
use crate::config::{self, Config};
use crate::dataset::Dataset;
use crate::dataset::timestamp::{Zone, rfc3339};
use crate::index::follow;
use crate::index::from_loki::{LokiSource, loki_extras, pull_to_spool};
use crate::index::job::Plan;
use crate::index::IndexEvent;
use crate::loki::LokiClient;
use crate::loki::pull::PullOptions;
use crate::storage::AppStore;
use crate::tui::event::Event;
use crate::tui::worker::WorkerMsg;

pub(super) fn run(cfg: &Config, job: &IndexJob, pull: &LokiPull, cancel: &AtomicBool, out: &UnboundedSender<Event>) -> Result<String, String> {
    let send = |e: IndexEvent| {
        let _ = out.send(Event::Worker(WorkerMsg::Index(e)));
    };
    let mut lc = cfg.loki.clone();
    if let Some(u) = &pull.base_url {
        lc.base_url = Some(u.clone());
    }
    if lc.base_url.as_deref().is_none_or(str::is_empty) {
        return Err("indexing from Loki needs a Loki: set LOKI_BASE_URL (or LOKI_ADDR), loki.base_url in config.toml, or pass --loki URL".into());
    }
    let client = LokiClient::new(&lc).map_err(|e| e.to_string())?;
    let paths = config::resolve_paths(cfg);
    let ds = Dataset::find(&paths.datasets, &paths.storage, &job.app).map_err(|e| e.to_string())?;
    let known = match (&ds.templates_path, job.use_known) {
        (Some(p), true) => crate::index::templates::load(p).map_err(|e| format!("dataset {}: {e}", job.app))?,
        _ => Vec::new(),
    };
    let store = AppStore::new(&paths.storage, &job.app);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("cannot start a runtime: {e}"))?;
    let zone = cfg.zone();
    let (client_llm, opts) = super::enrich_setup(cfg, job);
    let mut plan: Option<Plan> = None;
    let mut first: Option<String> = None;
    let mut updates = 0usize;
    let mut said_following = false;
    let mut said_empty = false;
    loop {
        let end_ns = pull.end_ns.unwrap_or_else(crate::tui::app::now_ns);
        let src = LokiSource {
            selector: pull.selector.clone(),
            start_ns: pull.start_ns,
            end_ns,
            opts: PullOptions { page: client.options().page_size, ..Default::default() },
        };
        // How far the pull got, at most once a second.
        let mut said = std::time::Instant::now();
        let mut on_page = |s: &crate::loki::pull::PullStats, c: &crate::loki::pull::Cursor| {
            if said.elapsed() >= std::time::Duration::from_secs(1) {
                said = std::time::Instant::now();
                let text = format!("pulling {}: {} entries in {} pages so far, up to {}", pull.selector, s.entries, s.pages, rfc3339(c.next_ns));
                let _ = out.send(Event::Worker(WorkerMsg::IndexNote(text)));
            }
        };
        let report = match rt.block_on(pull_to_spool(&client, &store, &src, &mut on_page, cancel)) {
            Ok(r) => r,
            Err(_) if cancel.load(Ordering::Relaxed) => break,
            Err(e) if first.is_none() => return Err(format!("{}: {} from {}: {e}", job.app, pull.selector, client.base_url())),
            Err(e) => {
                update(out, zone, format!("{}: {e}; trying again in {:?}", job.app, pull.every));
                if !follow::wait(pull.every, cancel) {
                    break;
                }
                continue;
            }
        };
        let _ = out.send(Event::Worker(WorkerMsg::IndexNote(String::new())));
        let spool = store.spool_path();
        let fresh = report.stats.entries > 0 || first.is_none();
        if fresh && std::fs::metadata(&spool).map(|m| m.len()).unwrap_or(0) > 0 {
            if plan.is_none() {
                plan = Some(Plan::new(cfg, ds.clone(), known.clone(), Some(&spool), job.use_known).map_err(|e| e.to_string())?);
            }
            let p = plan.as_mut().expect("made above");
            p.force = job.force && first.is_none();
            p.hold_partial_line = true;
            let (o, _) = match p.run(&send, cancel) {
                Ok(r) => r,
                Err(_) if cancel.load(Ordering::Relaxed) => break,
                Err(e) => return Err(format!("{}: indexing the lines from Loki: {e}", job.app)),
            };
            let k = o.knowledge;
            let (from, to) = report.state.as_ref().map_or((pull.start_ns, end_ns), |s| (s.start_ns, s.end_ns.max(s.start_ns + 1)));
            let (pf, _) = rt.block_on(loki_extras(&client, &p.store, &p.dataset, &pull.selector, from, to, &k)).map_err(|e| e.to_string())?;
            let llm = if first.is_none() { client_llm.as_ref() } else { None };
            let r = rt
                .block_on(crate::index::enrich::run(llm, &store, &job.app, &k, &opts, &send, cancel))
                .map_err(|f| format!("{}: {} (finished items are kept)", job.app, f.error))?;
            let live = k.templates.iter().filter(|t| t.count > 0).count();
            let patterns = if pf.fetch.offered { format!("{} Loki patterns", pf.patterns.len()) } else { "Loki offers no patterns".to_owned() };
            if first.is_none() {
                let bm25 = r.lexical.map(|(docs, _)| format!("; BM25 over {docs} documents")).unwrap_or_default();
                first = Some(format!(
                    "{}: pulled {} entries of {} ({} to {}), {} lines in all, {live} templates, {} workflows, {patterns}{bm25}",
                    job.app,
                    report.state.as_ref().map_or(report.stats.entries, |s| s.totals.entries),
                    pull.selector,
                    rfc3339(from),
                    rfc3339(to),
                    o.stats.lines,
                    k.workflows.len()
                ));
            } else {
                updates += 1;
                let read = p.last.as_ref().map_or(0, |r| r.lines);
                update(
                    out,
                    zone,
                    format!("{}: +{} entries from Loki, {read} lines indexed, {live} templates, {patterns}", job.app, report.stats.entries),
                );
            }
        } else if first.is_none() {
            let none = format!("{}: no lines for {} between {} and {} yet", job.app, pull.selector, rfc3339(pull.start_ns), rfc3339(end_ns));
            if !job.follow {
                return Err(format!("{none}; nothing to index"));
            }
            // Following: wait for the first lines (said once).
            if !said_empty {
                said_empty = true;
                update(out, zone, format!("{none}; looking again every {:?}", pull.every));
            }
            if !follow::wait(pull.every, cancel) {
                break;
            }
            continue;
        }
        if !job.follow {
            break;
        }
        if let (Some(f), false) = (&first, said_following) {
            said_following = true;
            let _ = out.send(Event::Worker(WorkerMsg::IndexFollowing(format!("{f}; following every {:?}", pull.every))));
        }
        if !follow::wait(pull.every, cancel) {
            break;
        }
    }
    match first {
        Some(f) if job.follow => Ok(format!("{f}; followed: {}, stopped", super::n_updates(updates))),
        Some(f) => Ok(f),
        None => Err(format!("{}: cancelled", job.app)),
    }
}

/// One update line, with the clock in the configured zone.
fn update(out: &UnboundedSender<Event>, zone: Zone, text: String) {
    let line = format!("{} {text}", crate::tui::timefmt::format(zone, crate::tui::app::now_ns(), "%H:%M:%S"));
    let _ = out.send(Event::Worker(WorkerMsg::IndexUpdate(line)));
}
