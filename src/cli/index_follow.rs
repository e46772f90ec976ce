//! `logcopilot index --follow`: keep the knowledge current until Ctrl-C. A
//! file's size is checked every second and what was appended is indexed
//! (reading on from the checkpoint; a last line without its line end waits
//! for it); with `--from-loki`, Loki is asked for what it received since the
//! cursor every `--every` (10 s by default). One line per update. The LLM
//! phases wait for a run without `--follow`; the lexical index is kept
//! current.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::index::{IndexArgs, build, enrich};
use super::index_loki::{client, pull_and_index, runtime};
use super::timeargs::{now_ns, parse_positive_duration};
use super::GlobalArgs;
use crate::config::Config;
use crate::index::follow;
use crate::index::job::Plan;

/// A flag Ctrl-C sets (a second Ctrl-C quits at once).
fn ctrl_c_flag(rt: &tokio::runtime::Runtime) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            f.store(true, Ordering::Relaxed);
            eprintln!("stopping after this update (Ctrl-C again to quit now)");
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    flag
}

/// The time of day in `ui.time_zone`, for the update lines.
pub(super) fn clock(cfg: &Config) -> String {
    let zone = cfg.zone();
    crate::tui::timefmt::format(zone, now_ns(), "%H:%M:%S")
}

pub fn run_file(cfg: &Config, g: &GlobalArgs, mut plan: Plan) -> anyhow::Result<()> {
    let rt = super::index_loki::runtime()?;
    let stop = ctrl_c_flag(&rt);
    plan.hold_partial_line = true;
    let name = plan.dataset.name.clone();
    // The file's state before the first build: what is appended from here on
    // (even while that build runs) shows as a change.
    let seen = follow::stamp(&plan.input);
    let k = build(g, &mut plan)?;
    enrich(cfg, g, true, &plan.store, &name, &k)?;
    if !g.quiet {
        println!("following {} (Ctrl-C to stop); summaries and embeddings wait for a run without --follow", plan.input.display());
    }
    let quiet = GlobalArgs { quiet: true, ..g.clone() };
    let path = plan.input.clone();
    let store = plan.store.clone();
    follow::follow_file(&mut plan, seen, Duration::from_secs(1), &stop, &|_| {}, &mut |u| {
        if !g.quiet {
            println!("{} {}", clock(cfg), u.describe(&name, &path));
        }
        if let follow::FollowUpdate::Indexed { knowledge, .. } = u {
            enrich(cfg, &quiet, true, &store, &name, &knowledge)?;
        }
        Ok(())
    })?;
    if stop.load(Ordering::Relaxed) {
        eprintln!("{name}: stopped");
    }
    Ok(())
}

pub fn run_loki(cfg: &Config, g: &GlobalArgs, a: &IndexArgs, selector: &str) -> anyhow::Result<()> {
    let rt = runtime()?;
    let stop = ctrl_c_flag(&rt);
    let client = client(cfg, a.loki.as_deref())?;
    let every = match &a.every {
        Some(d) => Duration::from_nanos(parse_positive_duration(d)?.unsigned_abs()),
        None => Duration::from_secs(10),
    };
    if a.time.end.is_some() {
        anyhow::bail!("--follow pulls up to now: leave out --end");
    }
    let (start, _) = a.time.resolve(now_ns())?;
    let mut first = true;
    loop {
        let end = now_ns();
        match pull_and_index(cfg, g, a, &rt, &client, selector, start, end, &stop, !first) {
            Ok(Some((k, store, app))) => enrich(cfg, &GlobalArgs { quiet: g.quiet || !first, ..g.clone() }, true, &store, &app, &k)?,
            Ok(None) => {}
            Err(e) if stop.load(Ordering::Relaxed) => {
                eprintln!("stopped ({e:#})");
                break;
            }
            Err(e) if first => return Err(e),
            Err(e) => println!("{} {e:#}; trying again in {every:?}", clock(cfg)),
        }
        if first && !g.quiet {
            println!("following {selector} every {every:?} (Ctrl-C to stop); summaries and embeddings wait for a run without --follow");
        }
        first = false;
        if !follow::wait(every, &stop) {
            break;
        }
    }
    Ok(())
}
