//! `logcopilot index --follow`: keep the knowledge current until Ctrl-C. A
//! file's size is checked every second and what was appended is indexed
//! (reading on from the checkpoint; a last line without its line end waits
//! for it); with `--from-loki`, Loki is asked for what it received since the
//! cursor every `--every` (10 s by default). One line per update. The LLM
//! phases wait for a run without `--follow`; the lexical index is kept
//! current.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::index::{IndexArgs, build, enrich};
use super::index_loki::{client, pull_and_index, runtime};
use super::timeargs::{now_ns, parse_positive_duration};
use super::GlobalArgs;
use crate::config::Config;
use crate::index::job::{Plan, RunMode};

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

/// Sleeps `d` in small steps; false when stopped meanwhile.
fn wait(d: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100).min(until.saturating_duration_since(Instant::now())));
    }
    !stop.load(Ordering::Relaxed)
}

fn clock() -> String {
    chrono::Utc::now().format("%H:%M:%S").to_string()
}

pub fn run_file(cfg: &Config, g: &GlobalArgs, mut plan: Plan) -> anyhow::Result<()> {
    let rt = super::index_loki::runtime()?;
    let stop = ctrl_c_flag(&rt);
    plan.hold_partial_line = true;
    let name = plan.dataset.name.clone();
    // The file's state before the first build: what is appended from here on
    // (even while that build runs or before the loop starts) shows as a change.
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| (m.len(), m.modified().ok())).ok();
    let mut seen = size(&plan.input);
    let k = build(g, &mut plan)?;
    enrich(cfg, g, true, &plan.store, &name, &k)?;
    if !g.quiet {
        println!("following {} (Ctrl-C to stop); summaries and embeddings wait for a run without --follow", plan.input.display());
    }
    let quiet = GlobalArgs { quiet: true, ..g.clone() };
    while wait(Duration::from_secs(1), &stop) {
        let now = size(&plan.input);
        if now == seen {
            continue;
        }
        seen = now;
        if now.is_none() {
            println!("{} {name}: {} is gone; waiting for it", clock(), plan.input.display());
            continue;
        }
        let (out, _) = match plan.run(&|_| {}, &stop) {
            Ok(r) => r,
            Err(e) if stop.load(Ordering::Relaxed) => {
                eprintln!("{name}: stopped ({e})");
                break;
            }
            Err(e) => {
                println!("{} {name}: {e:#}; trying again at the next change", clock());
                continue;
            }
        };
        let Some(r) = plan.last.clone() else { continue };
        if r.lines == 0 && matches!(r.mode, RunMode::Appended { .. }) {
            continue; // only a line still being written
        }
        if !g.quiet {
            let live = out.knowledge.templates.iter().filter(|t| t.count > 0).count();
            println!(
                "{} {name}: {}; {} lines in all, {live} templates, {} workflows ({:.2}s)",
                clock(),
                r.describe(),
                out.stats.lines,
                out.knowledge.workflows.len(),
                out.stats.secs
            );
        }
        enrich(cfg, &quiet, true, &plan.store, &name, &out.knowledge)?;
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
            Err(e) => println!("{} {e:#}; trying again in {every:?}", clock()),
        }
        if first && !g.quiet {
            println!("following {selector} every {every:?} (Ctrl-C to stop); summaries and embeddings wait for a run without --follow");
        }
        first = false;
        if !wait(every, &stop) {
            break;
        }
    }
    Ok(())
}
