//! `logcopilot index --from-loki SELECTOR [--start/--end/--since]`: pull the
//! selector's lines from Loki into the app's `loki/lines.log` (resuming the
//! saved cursor), index them with the dataset's format (reading on from the
//! last run), store Loki's own patterns and detected fields beside ours, then
//! the LLM phases.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::{Context, bail};

use super::index::{IndexArgs, build, enrich};
use super::timeargs::now_ns;
use super::{GlobalArgs, load_dataset};
use crate::config::{self, Config};
use crate::dataset::timestamp::rfc3339;
use crate::index::from_loki::{LokiSource, PullReport, loki_extras, pull_to_spool};
use crate::index::job::Plan;
use crate::knowledge::Knowledge;
use crate::loki::LokiClient;
use crate::loki::pull::{Cursor, PullOptions, PullStats};
use crate::storage::AppStore;
use crate::storage::loki::{LokiFieldsFile, LokiPatternsFile};

pub fn run(cfg: &Config, g: &GlobalArgs, a: &IndexArgs, selector: &str) -> anyhow::Result<()> {
    if a.follow {
        return super::index_follow::run_loki(cfg, g, a, selector);
    }
    let rt = runtime()?;
    let client = client(cfg, a.loki.as_deref())?;
    let (start, end) = a.time.resolve(now_ns())?;
    let cancel = AtomicBool::new(false);
    let Some((k, store, app)) = pull_and_index(cfg, g, a, &rt, &client, selector, start, end, &cancel, false)? else {
        return Ok(());
    };
    enrich(cfg, g, a.offline, &store, &app, &k)
}

pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().context("starting the async runtime")
}

/// A Loki client from the config, `--loki` overriding the URL.
pub(super) fn client(cfg: &Config, url: Option<&str>) -> anyhow::Result<LokiClient> {
    let mut lc = cfg.loki.clone();
    if let Some(u) = url {
        lc.base_url = Some(u.to_owned());
    }
    if lc.base_url.as_deref().is_none_or(str::is_empty) {
        bail!("--from-loki needs a Loki: set LOKI_BASE_URL (or LOKI_ADDR), loki.base_url in config.toml, or pass --loki URL");
    }
    Ok(LokiClient::new(&lc)?)
}

/// Pulls `[start, end)` (from the saved cursor), indexes what is new, stores
/// Loki's patterns and fields; the knowledge, its store and the app. None
/// when nothing was pulled yet. `brief`: one line instead of the reports.
#[allow(clippy::too_many_arguments)]
pub(super) fn pull_and_index(
    cfg: &Config,
    g: &GlobalArgs,
    a: &IndexArgs,
    rt: &tokio::runtime::Runtime,
    client: &LokiClient,
    selector: &str,
    start: i64,
    end: i64,
    cancel: &AtomicBool,
    brief: bool,
) -> anyhow::Result<Option<(Knowledge, AppStore, String)>> {
    let (ds, known) = load_dataset(cfg, &a.format)?;
    let app = ds.name.clone();
    let store = AppStore::new(&config::resolve_paths(cfg).storage, &app);
    let src = LokiSource { selector: selector.to_owned(), start_ns: start, end_ns: end, opts: PullOptions { page: client.options().page_size, ..Default::default() } };
    let talk = !g.quiet && !brief;
    let mut last = Instant::now();
    let mut on_page = |s: &PullStats, c: &Cursor| {
        if talk && last.elapsed().as_millis() >= 1000 {
            last = Instant::now();
            eprintln!("pulling {selector}: {} entries in {} pages so far, up to {}", s.entries, s.pages, rfc3339(c.next_ns));
        }
    };
    let report = rt
        .block_on(pull_to_spool(client, &store, &src, &mut on_page, cancel))
        .with_context(|| format!("{app}: {selector} from {}", client.base_url()))?;
    if talk {
        print_pull(&app, selector, &report);
    }
    if brief && report.stats.entries == 0 {
        return Ok(None); // following: nothing new since the last look
    }
    let spool = store.spool_path();
    if std::fs::metadata(&spool).map(|m| m.len()).unwrap_or(0) == 0 {
        if !g.quiet {
            println!("{app}: no lines for {selector} between {} and {} yet; nothing to index", rfc3339(start), rfc3339(end));
        }
        return Ok(None);
    }
    let mut plan = Plan::new(cfg, ds, known, Some(&spool), !a.format.no_known_templates)?;
    plan.force = a.force;
    let quiet = GlobalArgs { quiet: g.quiet || brief, ..g.clone() };
    let k = build(&quiet, &mut plan)?;
    // Loki's patterns and fields over everything pulled so far.
    let (from, to) = match &report.state {
        Some(s) => (s.start_ns, s.end_ns.max(s.start_ns + 1)),
        None => (start, end),
    };
    let (pf, ff) = rt.block_on(loki_extras(client, &plan.store, &plan.dataset, selector, from, to, &k))?;
    if brief && !g.quiet {
        let read = plan.last.as_ref().map_or(0, |r| r.lines);
        println!(
            "{} {app}: +{} entries from Loki, {read} lines indexed, {} templates, {} Loki patterns",
            super::index_follow::clock(cfg),
            report.stats.entries,
            k.templates.iter().filter(|t| t.count > 0).count(),
            pf.patterns.len()
        );
    } else if talk {
        print_extras(&pf, &ff);
    }
    Ok(Some((k, plan.store, app)))
}

fn print_pull(app: &str, selector: &str, r: &PullReport) {
    if let Some(why) = &r.restarted {
        println!("{app}: pulling {selector} from the start: {why}");
    }
    if r.gap {
        println!("{app}: --start lies after the saved cursor: the lines in between are not pulled");
    }
    let how = if r.resumed { "resumed at" } else { "from" };
    println!(
        "{app}: pulled {} entries of {selector} {how} {} to {} ({} requests, {} pages)",
        r.stats.entries,
        rfc3339(r.from_ns),
        rfc3339(r.to_ns),
        r.stats.requests,
        r.stats.pages
    );
    if r.stats.rejected > 0 {
        println!("  note: Loki refused {} pages for their size; each time the slice (or the page) was halved and asked again", r.stats.rejected);
    }
    if r.stats.crowded > 0 {
        println!(
            "  note: {} timestamps held more entries than a page (loki.query_limit); the rest of them could not be read",
            r.stats.crowded
        );
    }
    if r.lines_flattened > 0 {
        println!("  note: {} entries had line breaks, written as one line each", r.lines_flattened);
    }
    if let Some(s) = &r.state {
        println!("  {} entries pulled in all since {}", s.totals.entries, rfc3339(s.start_ns));
    }
}

fn print_extras(pf: &LokiPatternsFile, ff: &LokiFieldsFile) {
    if pf.fetch.offered {
        let matched = pf.patterns.iter().filter(|p| !p.our_templates.is_empty()).count();
        println!(
            "  Loki's patterns (its own mining):  {} ({matched} match one of our templates; {} of ours match none); kept in loki_patterns.json",
            pf.patterns.len(),
            pf.templates_without_pattern.len()
        );
        for p in pf.patterns.iter().take(5) {
            let ours = if p.our_templates.is_empty() { "-".to_owned() } else { p.our_templates.join(",") };
            let mut text = p.pattern.clone();
            if text.len() > 90 {
                let mut cut = 87;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                text.push_str("...");
            }
            println!("    {:>7} {:<8} {text}", p.total, ours);
        }
    } else {
        println!("  Loki's patterns: {}", pf.fetch.note.as_deref().unwrap_or("not offered"));
    }
    if ff.fetch.offered {
        let known = ff.fields.iter().filter(|f| f.ours.is_some()).count();
        println!("  Loki's detected fields:            {} ({known} known to us as labels, fields or slots); kept in loki_fields.json", ff.fields.len());
    } else {
        println!("  Loki's detected fields: {}", ff.fetch.note.as_deref().unwrap_or("not offered"));
    }
}
