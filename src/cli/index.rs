//! `logcopilot index`: build an app's knowledge and store it, then summarise
//! and embed it with the configured LLM (skipped offline, with the reason) and
//! build the BM25 lexical index.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::Args;

use super::progress::Progress;
use super::timeargs::TimeArgs;
use super::{FormatArgs, GlobalArgs, load_dataset};
use crate::config::{self, Config};
use crate::index::job::{Plan, RunMode};
use crate::index::{self, EnrichOptions, EnrichReport, IndexEvent, Outcome};
use crate::knowledge::Knowledge;
use crate::llm::{self, LlmClient};
use crate::storage::AppStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IndexOutputFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct IndexArgs {
    #[command(flatten)]
    pub format: FormatArgs,
    /// The logs: files (plain or gzip), a folder, or - for stdin; default:
    /// the dataset's sample log. Without --app the app is named after the
    /// first file (stdin: `stdin`).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Rebuild from the start even when nothing changed or the input only grew.
    #[arg(long)]
    pub force: bool,
    /// `table`: the summary for people; `json`: one JSON object on stdout
    /// (app, format, lines, records, times, levels, labels), progress on stderr.
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: IndexOutputFormat,
    /// With --input: detect the format of the files again (it is kept from
    /// their first opening otherwise; --force alone does not detect again).
    #[arg(long)]
    pub redetect: bool,
    /// Skip the LLM phases (summaries, embeddings) even when an endpoint is configured.
    #[arg(long)]
    pub offline: bool,
    /// Show the progress on the TUI's indexing screen (then stay in the TUI;
    /// with --follow, the screen shows each update live).
    #[arg(long, conflicts_with_all = ["format", "timestamp"])]
    pub tui: bool,
    /// Pull the lines of this stream selector from Loki and index them (the
    /// dataset's format applies to each line), e.g. '{app="checkout"}'.
    #[arg(long, value_name = "SELECTOR", conflicts_with = "input")]
    pub from_loki: Option<String>,
    /// Loki's base URL for --from-loki (default: the config's).
    #[arg(long, value_name = "URL", requires = "from_loki")]
    pub loki: Option<String>,
    #[command(flatten)]
    pub time: TimeArgs,
    /// Keep the knowledge current until Ctrl-C: index what is appended to the
    /// file (checked every second), or pull what Loki received (--every).
    #[arg(long)]
    pub follow: bool,
    /// With --follow --from-loki: how often to ask Loki (default 10s).
    #[arg(long, value_name = "DUR", requires = "follow")]
    pub every: Option<String>,
}

pub fn run(cfg: &Config, g: &GlobalArgs, mut a: IndexArgs) -> anyhow::Result<()> {
    let mut own = cfg.clone();
    let given = super::inputs::Given {
        inputs: &a.input,
        app: a.format.app.as_deref(),
        format: a.format.format.as_deref(),
        timestamp: a.format.timestamp.as_deref(),
        redetect: a.redetect,
    };
    // With --follow a stdin that stays open is followed as it arrives.
    let opened = super::inputs::open_stdin(&mut own, &given, g.quiet, a.follow)?;
    if let Some(o) = &opened {
        // The app's definition says how to read its file from now on.
        a.format.app = Some(o.app.clone());
        a.format.format = None;
        a.format.timestamp = None;
        a.input = vec![o.log.clone()];
    }
    if a.input.len() > 1 {
        anyhow::bail!("several --input files need no --app (they open as one app of their own)");
    }
    if let (Some(selector), None) = (&a.from_loki, &a.format.app) {
        // The app is named after the stream: its app, service_name or job label.
        if let Some(name) = app_of_selector(selector) {
            own.app.clone_from(&name);
            a.format.app = Some(name);
        }
    }
    let cfg = &own;
    let mut input = a.input.first().cloned();
    if opened.is_none() && input.as_ref().is_some_and(|p| p.as_os_str() == "-") {
        input = Some(super::inputs::keep_stdin(cfg, a.format.app.as_deref().unwrap_or(&cfg.app))?);
    }
    if a.tui {
        let from_loki = match &a.from_loki {
            Some(selector) => {
                if a.follow && a.time.end.is_some() {
                    anyhow::bail!("--follow pulls up to now: leave out --end");
                }
                let (start_ns, end_ns) = a.time.resolve(super::timeargs::now_ns())?;
                let every = match &a.every {
                    Some(d) => std::time::Duration::from_nanos(super::timeargs::parse_positive_duration(d)?.unsigned_abs()),
                    None => std::time::Duration::from_secs(10),
                };
                Some(crate::tui::indexing::LokiPull {
                    selector: selector.clone(),
                    base_url: a.loki.clone(),
                    start_ns,
                    end_ns: (!a.follow).then_some(end_ns),
                    every,
                })
            }
            None => None,
        };
        let job = crate::tui::indexing::IndexJob {
            app: cfg.app.clone(),
            input: input.clone(),
            force: a.force,
            offline: a.offline,
            use_known: !a.format.no_known_templates,
            follow: a.follow,
            from_loki,
        };
        return crate::tui::run(cfg, crate::tui::Options { index: Some(job), ..Default::default() });
    }
    if let Some(selector) = &a.from_loki {
        return super::index_loki::run(cfg, g, &a, selector);
    }
    if a.time.start.is_some() || a.time.end.is_some() || a.time.since.is_some() {
        anyhow::bail!("--start, --end and --since choose the range of --from-loki");
    }
    let (ds, known) = load_dataset(cfg, &a.format)?;
    let mut plan = Plan::new(cfg, ds, known, input.as_deref(), !a.format.no_known_templates)?;
    plan.force = a.force;
    if a.follow {
        return super::index_follow::run_file(cfg, g, plan);
    }
    let name = plan.dataset.name.clone();
    if a.output == IndexOutputFormat::Json {
        // Progress and reports on stderr; stdout holds the JSON alone.
        let quiet = GlobalArgs { quiet: true, ..g.clone() };
        let k = build(&quiet, &mut plan)?;
        enrich(cfg, &quiet, a.offline, &plan.store, &name, &k)?;
        let stats = plan.store.manifest().map(|m| m.stats).unwrap_or_default();
        println!("{}", summary_json(&plan.dataset, &k, &stats, plan.dataset.detected.clone()));
        return Ok(());
    }
    let k = build(g, &mut plan)?;
    enrich(cfg, g, a.offline, &plan.store, &name, &k)
}

/// `index -o json`: what was read, as one object.
fn summary_json(ds: &crate::dataset::Dataset, k: &Knowledge, s: &crate::index::RunStats, detected: Option<String>) -> serde_json::Value {
    let mut levels: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for t in &k.templates {
        for (l, n) in &t.levels {
            *levels.entry(l.as_str()).or_default() += n;
        }
    }
    let first = k.templates.iter().filter_map(|t| t.first_seen.as_deref()).min();
    let last = k.templates.iter().filter_map(|t| t.last_seen.as_deref()).max();
    let definition = ds.dir.as_ref().and_then(|d| std::fs::read_to_string(d.join("dataset.toml")).ok());
    let name = detected.unwrap_or_else(|| match ds.header.structured_format() {
        Some(f) => f.kind().as_str().to_owned(),
        None => ds.header.pattern().to_owned(),
    });
    let mut labels: Vec<String> = vec!["app".to_owned()];
    labels.extend(ds.labels.iter().map(|(l, _)| l.clone()));
    serde_json::json!({
        "app": ds.name,
        "format": { "name": name, "dataset_toml": definition },
        "lines": s.lines,
        "records": s.lines.saturating_sub(s.lines_joined),
        "records_without_timestamp": s.timestamps_missing,
        "first_ts": first,
        "last_ts": last,
        "levels": levels,
        "labels": labels,
    })
}

/// The value of the first of `app`, `service_name`, `job` that a stream
/// selector matches exactly, as an app name.
fn app_of_selector(selector: &str) -> Option<String> {
    let re = regex::Regex::new(r#"\b(app|service_name|job)\s*=\s*"([^"]+)""#).ok()?;
    let mut found: Vec<(usize, String)> = re
        .captures_iter(selector)
        .filter_map(|c| {
            let key = c.get(1)?.as_str();
            Some((["app", "service_name", "job"].iter().position(|k| *k == key)?, c.get(2)?.as_str().to_owned()))
        })
        .collect();
    found.sort();
    found.into_iter().next().map(|(_, v)| crate::inputs::clean_name(&v))
}

/// The knowledge of a plan: the stored one when up to date, else a run
/// (from the start or reading on), with its report.
pub(super) fn build(g: &GlobalArgs, plan: &mut Plan) -> anyhow::Result<Knowledge> {
    let name = plan.dataset.name.clone();
    if !plan.force
        && let Some(m) = plan.up_to_date()?
    {
        if !g.quiet {
            println!(
                "{name}: up to date ({} lines from {}, built {}); nothing that shapes the result changed. Use --force to rebuild.",
                m.stats.lines,
                plan.input.display(),
                m.built_at
            );
        }
        return Ok(plan.store.load()?);
    }
    let progress = Progress::new(g.quiet);
    let on_event = |e: IndexEvent| progress.handle(e);
    let cancel = AtomicBool::new(false);
    let (out, write_secs) = plan.run(&on_event, &cancel)?;
    if let (Some(r), false) = (&plan.last, g.quiet) {
        println!("{name}: {}", r.describe());
        for n in &r.notes {
            println!("  note: {n}");
        }
    }
    if !g.quiet {
        let structured = plan.dataset.header.structured_format().map(|f| f.kind().as_str());
        let read = match plan.last.as_ref().map(|r| (&r.mode, r.lines)) {
            Some((RunMode::Appended { bytes, .. }, lines)) => Some((lines, *bytes)),
            _ => None,
        };
        print_summary(&name, &out.knowledge, &out.stats, plan.store.dir(), write_secs, plan.known.len(), structured, read);
    }
    Ok(out.knowledge)
}

/// The LLM phases and the lexical index, with their report.
pub(super) fn enrich(cfg: &Config, g: &GlobalArgs, offline: bool, store: &AppStore, app: &str, k: &Knowledge) -> anyhow::Result<()> {
    let client = if offline { None } else { LlmClient::from_config(cfg)? };
    let offline_reason = if offline { "--offline given".to_owned() } else { llm::NO_ENDPOINT.to_owned() };
    let opts = EnrichOptions {
        chat_model: cfg.llm.chat_model.clone(),
        embedding_batch_size: cfg.llm.embedding_batch_size,
        concurrency: cfg.llm.concurrency,
        offline_reason,
    };
    if let (Some(c), false) = (&client, g.quiet) {
        let e = c.endpoint();
        let why = if cfg.origin("llm.redaction") == config::Origin::Default {
            if e.is_local() { " (default: the endpoint is on this host)" } else { " (default: the endpoint is not on this host)" }
        } else {
            ""
        };
        println!(
            "llm: {} (chat {}, embeddings {}), redaction {}{why}",
            e.base_url, e.chat_model, e.embedding_model, e.redaction
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let progress = Progress::new(g.quiet);
    let on_event = |e: IndexEvent| progress.handle(e);
    let cancel = Arc::new(AtomicBool::new(false));
    let result = rt.block_on(async {
        let flag = cancel.clone();
        // First Ctrl-C: finish the requests in flight, keep them, stop. Second: leave now
        // (every finished item is already on disk).
        let ctrl_c = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, Ordering::Relaxed);
                eprintln!("stopping after the requests in flight (Ctrl-C again to quit now)");
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        });
        let r = index::enrich::run(client.as_ref(), store, app, k, &opts, &on_event, &cancel).await;
        ctrl_c.abort();
        r
    });
    let (report, error) = match result {
        Ok(r) => (r, None),
        Err(f) => (f.report, Some(f.error)),
    };
    if !g.quiet {
        print_enrich(&report, client.as_ref());
    }
    match error {
        Some(e) => Err(anyhow::Error::new(e).context(format!("indexing {app} with the LLM (finished items are kept)"))),
        None => Ok(()),
    }
}

fn outcome(o: &Outcome) -> String {
    match o {
        Outcome::Done { items, requested, cached, failed: 0, secs } => {
            format!("{items} items in {secs:.2}s ({requested} requested, {cached} from the cache)")
        }
        Outcome::Done { items, requested, cached, failed, secs } => format!(
            "{items} items in {secs:.2}s ({requested} requested, {cached} from the cache), {failed} without a valid reply (see the warnings; the next run asks again)"
        ),
        Outcome::Skipped(why) => format!("skipped: {why}"),
        Outcome::Failed(e) => format!("failed: {e}"),
    }
}

fn print_enrich(r: &EnrichReport, client: Option<&LlmClient>) {
    if let (Outcome::Skipped(a), Outcome::Skipped(b)) = (&r.summarize, &r.embed) {
        if a == b {
            println!("  {:<30} skipped: {a}", "summarize, embed");
        }
    }
    let both_skipped = matches!((&r.summarize, &r.embed), (Outcome::Skipped(a), Outcome::Skipped(b)) if a == b);
    if !both_skipped {
        println!("  {:<30} {}", "summarize", outcome(&r.summarize));
    }
    if let Some(c) = client {
        let u = c.usage().phase(index::summarize::PHASE);
        if u.requests > 0 {
            println!("  {:<30} {}", "", u.brief());
        }
    }
    if !both_skipped {
        println!("  {:<30} {}", "embed", outcome(&r.embed));
    }
    if let Some(c) = client {
        let u = c.usage().phase(index::embed::PHASE);
        if u.requests > 0 {
            println!("  {:<30} {}", "", u.brief());
        }
        let total = c.usage().total();
        if total.requests > 0 {
            println!("  {:<30} {} (redaction {})", "redacted", total.redactions, c.endpoint().redaction);
        }
    }
    match r.lexical {
        Some((docs, terms)) => println!("  {:<30} {docs} documents, {terms} terms, {} summaries", "lexical index (BM25)", r.summaries),
        None => println!("  {:<30} not written", "lexical index (BM25)"),
    }
    for f in &r.files {
        println!("  {:<30} {}", "wrote", f.display());
    }
}

#[allow(clippy::too_many_arguments)]
fn print_summary(
    app: &str,
    k: &Knowledge,
    s: &index::RunStats,
    dir: &std::path::Path,
    write_secs: f64,
    known: usize,
    structured: Option<&str>,
    appended: Option<(u64, u64)>,
) {
    match appended {
        Some((lines, bytes)) => println!(
            "indexed {app}: {lines} new lines ({:.1} MiB) in {:.2}s, {:.0} lines/s; {} lines in all",
            bytes as f64 / 1048576.0,
            s.secs,
            lines as f64 / s.secs.max(1e-9),
            s.lines
        ),
        None => println!(
            "indexed {app}: {} lines ({:.1} MiB) in {:.2}s, {:.0} lines/s",
            s.lines,
            s.bytes as f64 / 1048576.0,
            s.secs,
            s.lines as f64 / s.secs.max(1e-9)
        ),
    }
    let mut rows: Vec<(String, String)> = vec![
        ("templates (known / mined)".into(), format!("{} / {}  (of {} known)", s.templates_known, s.templates_mined, known)),
        ("lines matched known / mined".into(), format!("{} / {}", s.lines_known, s.lines_mined)),
    ];
    match structured {
        Some(fmt) => rows.extend(structured_rows(fmt, s)),
        None => rows.push(("lines not fitting the format".into(), s.lines_not_fitting.to_string())),
    }
    let rows = rows.into_iter().chain(vec![
        ("lines joined to a record", s.lines_joined.to_string()),
        ("lines with invalid UTF-8", s.lines_invalid_utf8.to_string()),
        ("lines truncated", s.lines_truncated.to_string()),
        ("records without timestamp", format!("{} ({} with a stamp in another format)", s.timestamps_missing, s.timestamps_bad)),
        ("parameters", k.params.iter().map(|p| p.params.len()).sum::<usize>().to_string()),
        ("sessions (peak open)", format!("{} ({})", k.sessions.sessions, k.sessions.peak_open)),
        ("workflows / transitions", format!("{} / {}", k.workflows.len(), k.transitions.len())),
        ("written to", format!("{} ({write_secs:.2}s)", dir.display())),
    ].into_iter().map(|(k, v)| (k.to_string(), v)));
    for (k, v) in rows {
        println!("  {k:<30} {v}");
    }
    let mut top: Vec<_> = k.templates.iter().collect();
    top.sort_by_key(|t| std::cmp::Reverse(t.count));
    println!("  top templates:");
    for t in top.iter().take(8) {
        let mut text = t.text.clone();
        if text.len() > 80 {
            let mut cut = 77;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str("...");
        }
        println!("    {:>5} {:>9}  {}", t.id, t.count, text);
    }
}

/// The counts of a JSON / logfmt run: what the lines were and what was wrong with them.
fn structured_rows(fmt: &str, s: &index::RunStats) -> Vec<(String, String)> {
    let plain = s.lines_not_fitting.saturating_sub(s.lines_invalid_structured);
    let mut rows = vec![
        (format!("{fmt} lines / plain lines"), format!("{} / {plain}  (plain lines are indexed as messages)", s.structured_lines)),
        (format!("invalid {fmt} lines"), format!("{}  (indexed whole as plain messages)", s.lines_invalid_structured)),
        ("message missing / not a string".into(), format!("{} / {}  (the whole line is the message)", s.messages_missing, s.messages_not_string)),
    ];
    if s.field_values_dropped > 0 {
        rows.push(("field values not kept".into(), format!("{} (past {} fields per template)", s.field_values_dropped, index::fields::MAX_FIELDS)));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loki_stream_names_its_app() {
        assert_eq!(app_of_selector(r#"{job="varlog", app="checkout"}"#).as_deref(), Some("checkout"));
        assert_eq!(app_of_selector(r#"{service_name="api-gw", env="prod"}"#).as_deref(), Some("api-gw"));
        assert_eq!(app_of_selector(r#"{job="kube/nginx"}"#).as_deref(), Some("kube-nginx"));
        assert_eq!(app_of_selector(r#"{app=~"chk.*"}"#), None, "a regex names nothing");
    }
}
