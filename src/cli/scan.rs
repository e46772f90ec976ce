//! `logcopilot scan --app X`: anomaly reports over time windows of the app's
//! logs (embedded engine or Loki), streamed as they come: each window's
//! health and anomalies on stdout (or JSONL records with `--output jsonl`),
//! progress and skipped windows on stderr, the records appended to
//! `results/<app>/scan-<time>.jsonl`, anomalies of the configured severities
//! POSTed to `scan.webhook_url`. Then the ranked template signals and a
//! summary. Without a model: the template signals and a note, exit 0.
//! Ctrl-C cancels; the summary is still printed and written.

use std::io::Write;
use std::sync::Arc;

use anyhow::bail;
use clap::{Args, ValueEnum};

use super::ask::{safe, window};
use super::backend_args::BackendArgs;
use super::query::runtime;
use super::timeargs::{TimeArgs, parse_positive_duration};
use crate::config::{self, Config};
use crate::dataset::{Dataset, DatasetError};
use crate::llm::LlmClient;
use crate::retrieve::{KbError, KnowledgeBase};
use crate::dataset::timestamp::Zone;
use crate::scan::route::record;
use crate::tui::timefmt;
use crate::scan::{ScanContext, ScanEvent, ScanHandle, ScanOptions, ScanRequest, ScanStatus, ScanSummary, Severity, SkipReason};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanOutput {
    /// Windows and anomalies for people on stdout, progress on stderr.
    Text,
    /// The JSONL records (as in the results file) on stdout.
    Jsonl,
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// The app: `{app="X"}` on the backend, its dataset and knowledge base.
    #[arg(long)]
    pub app: Option<String>,
    #[command(flatten)]
    pub backend: BackendArgs,
    /// The range (default: the whole sample on the embedded engine, the last hour on Loki).
    #[command(flatten)]
    pub time: TimeArgs,
    /// Window length, e.g. 5m (default: scan.window).
    #[arg(long, value_name = "DUR")]
    pub window: Option<String>,
    /// Most lines sent to the model per window; busier windows are sampled (default: scan.max_lines).
    #[arg(long, value_name = "N")]
    pub max_lines: Option<usize>,
    #[arg(long, short, value_enum, default_value = "text")]
    pub output: ScanOutput,
    /// Do not write results/<app>/scan-<time>.jsonl.
    #[arg(long)]
    pub no_record: bool,
    /// Template signals printed at the end.
    #[arg(long, value_name = "N", default_value_t = 15)]
    pub signals: usize,
    /// Scan these logs (files, a folder, or - for stdin), indexed first when
    /// they have no knowledge yet.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub input: Vec<std::path::PathBuf>,
}

pub fn run(cfg: &Config, quiet: bool, a: ScanArgs) -> anyhow::Result<()> {
    let (own, app) = super::inputs::app_to_ask(cfg, &a.input, a.app.as_deref(), quiet)?;
    let cfg = &own;
    let paths = config::resolve_paths(cfg);
    let mut options = ScanOptions::from_config(cfg);
    if let Some(w) = &a.window {
        options.window_ns = parse_positive_duration(w).map_err(|e| anyhow::anyhow!("--window: {e}"))?;
    }
    if let Some(n) = a.max_lines {
        if n == 0 || n > 5000 {
            bail!("--max-lines must be in 1..=5000, got {n}");
        }
        options.max_lines = n;
    }
    let backend = a.backend.open(cfg, Some(&app), None)?;
    let dataset = match Dataset::find(&paths.datasets, &paths.storage, &app) {
        Ok(d) => Some(Arc::new(d)),
        Err(DatasetError::NotFound { .. }) => None,
        Err(e) => {
            eprintln!("! {e}");
            None
        }
    };
    let kb = match KnowledgeBase::load(&paths.storage, &app, None, None) {
        Ok(kb) => Some(Arc::new(kb)),
        Err(KbError::Missing { .. }) => None,
        Err(e) => {
            eprintln!("! {e}");
            None
        }
    };
    let llm = LlmClient::from_config(cfg)?;
    let (start_ns, end_ns) = window(&a.time)?;
    let zone = Zone::parse(&cfg.ui.time_zone).map_err(|e| anyhow::anyhow!("ui.time_zone: {e}"))?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let jsonl = (!a.no_record).then(|| paths.results.join(&app).join(format!("scan-{stamp}.jsonl")));
    let ctx = Arc::new(ScanContext { app: app.clone(), backend, llm, dataset, kb, options });
    let req = ScanRequest { start_ns, end_ns, window_ns: None, max_lines: None, jsonl };
    let rt = runtime()?;
    let summary = rt.block_on(async {
        let mut h = crate::scan::start(ctx, req);
        let token = h.cancel_token();
        let ctrl_c = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                token.cancel();
            }
        });
        let s = drive(&mut h, &app, a.output, quiet, a.signals, zone).await;
        ctrl_c.abort();
        s
    });
    let Some(s) = summary else { bail!("the scan ended without a summary") };
    match s.status {
        ScanStatus::Failed => bail!("{}", s.error.unwrap_or_else(|| "the scan failed".into())),
        ScanStatus::Cancelled => bail!("cancelled"),
        ScanStatus::Completed | ScanStatus::NoModel => Ok(()),
    }
}

/// A time in the configured zone (`ui.time_zone`), as the TUI shows it.
fn hm(zone: Zone, ns: i64) -> String {
    timefmt::datetime(zone, ns)
}

fn span(zone: Zone, s: i64, e: i64) -> String {
    let (a, b) = (hm(zone, s), hm(zone, e));
    match (a.split_once(' '), b.split_once(' ')) {
        (Some((da, _)), Some((db, tb))) if da == db => format!("{a} - {tb}"),
        _ => format!("{a} - {b}"),
    }
}

/// Prints the events; the summary.
async fn drive(h: &mut ScanHandle, app: &str, output: ScanOutput, quiet: bool, top: usize, zone: Zone) -> Option<ScanSummary> {
    let text = output == ScanOutput::Text;
    let mut out = std::io::stdout().lock();
    while let Some(e) = h.next().await {
        if !text {
            for r in record(app, &e) {
                let _ = writeln!(out, "{r}");
            }
        }
        match &e {
            ScanEvent::Started { app, backend, start_ns, end_ns, window_ns, max_lines, model, .. } if !quiet => {
                let model = model.as_deref().map_or("no model".to_owned(), |m| format!("model {m}"));
                eprintln!(
                    "· scan {app} on {backend}: {} {} in windows of {}, at most {max_lines} lines each, {model}",
                    span(zone, *start_ns, *end_ns),
                    timefmt::zone_name(zone, *start_ns),
                    crate::logql::format_duration(*window_ns)
                );
            }
            ScanEvent::Note { text } => eprintln!("· note: {}", safe(text)),
            ScanEvent::WindowStarted { index, start_ns, end_ns, lines, sent, sampled, cut_lines } if !quiet => {
                let how = if *sampled { " (sampled)" } else { "" };
                let cut = if *cut_lines > 0 { format!(", {cut_lines} cut to fit") } else { String::new() };
                eprintln!("· window {} [{}]: {lines} lines, {sent} sent{how}{cut}", index + 1, span(zone, *start_ns, *end_ns));
            }
            ScanEvent::WindowDone { report: r } if text => {
                let n = r.anomalies.len();
                let what = if n == 1 { "1 anomaly".to_owned() } else { format!("{n} anomalies") };
                let _ = writeln!(out, "window {} [{}] {}: {what}", r.index + 1, span(zone, r.start_ns, r.end_ns), r.health.as_str());
            }
            ScanEvent::Anomaly { anomaly: a, .. } if text => {
                let _ = writeln!(out, "  {:<8} {}: {}", a.severity.as_str().to_uppercase(), safe(&a.kind), safe(&a.summary));
                for ev in &a.evidence {
                    let flag = if ev.unsupported { "  [unsupported: not in the window]" } else { "" };
                    let _ = writeln!(out, "           > {}{flag}", safe(&ev.line));
                }
                if !a.recommended_action.is_empty() {
                    let _ = writeln!(out, "           action: {}", safe(&a.recommended_action));
                }
            }
            ScanEvent::Suppressed { kind, severity, since_ns, .. } if text => {
                let _ = writeln!(out, "  (suppressed: {} {}, reported for the window at {})", severity.as_str(), safe(kind), hm(zone, *since_ns));
            }
            ScanEvent::WindowSkipped { index, start_ns, end_ns, reason } => match reason {
                SkipReason::Empty => {}
                SkipReason::InvalidReply { error, .. } => {
                    eprintln!("! window {} [{}] skipped: the reply is not the JSON asked for, even after a repair request: {}", index + 1, span(zone, *start_ns, *end_ns), safe(error))
                }
                SkipReason::ModelFailed { error } => eprintln!("! window {} [{}] skipped: {}", index + 1, span(zone, *start_ns, *end_ns), safe(error)),
            },
            ScanEvent::WebhookFailed { window, kind, error } => eprintln!("! webhook for {} (window {}): {}", safe(kind), window + 1, safe(error)),
            ScanEvent::Signals { signals } if text => {
                let _ = writeln!(out, "\nTemplate signals ({} of {}):", signals.len().min(top), signals.len());
                if signals.is_empty() {
                    let _ = writeln!(out, "  none: no template jumps between windows and no template at warning level or above");
                }
                for (i, s) in signals.iter().take(top).enumerate() {
                    let _ = writeln!(out, "  {:>2}. {}", i + 1, safe(&s.describe()));
                }
            }
            ScanEvent::Finished(s) => {
                if text {
                    let _ = writeln!(out, "\n{}", summary_text(s));
                } else if !quiet {
                    eprintln!("{}", summary_text(s));
                }
                let _ = out.flush();
                return Some((**s).clone());
            }
            _ => {}
        }
        let _ = out.flush();
    }
    None
}

/// The summary for people.
pub fn summary_text(s: &ScanSummary) -> String {
    let mut t = format!(
        "Summary: {} windows: {} scanned, {} skipped, {} empty; {} lines, {} sent to the model ({} windows sampled, {} lines cut)",
        s.windows, s.scanned, s.skipped, s.empty, s.lines, s.lines_sent, s.sampled_windows, s.cut_lines
    );
    let by: Vec<String> = Severity::ALL.iter().rev().filter_map(|v| s.anomalies.get(v).map(|n| format!("{n} {}", v.as_str()))).collect();
    let by = if by.is_empty() { "none".to_owned() } else { by.join(", ") };
    t.push_str(&format!("\nAnomalies: {by}; {} suppressed; {} evidence lines unsupported", s.suppressed, s.unsupported_evidence));
    if s.webhook_sent + s.webhook_failed > 0 {
        t.push_str(&format!("; webhook: {} sent, {} failed", s.webhook_sent, s.webhook_failed));
    }
    let est = if s.tokens_estimated { "~" } else { "" };
    t.push_str(&format!("\nModel: {} requests, {est}{} tokens in, {est}{} out; {:.1} s", s.requests, s.tokens_in, s.tokens_out, s.ms as f64 / 1000.0));
    if let Some(p) = &s.jsonl {
        t.push_str(&format!("\nrecord: {}", p.display()));
    }
    match s.status {
        ScanStatus::NoModel => t.push_str(&format!("\nNote: {}: only the template signals above.", crate::llm::NO_ENDPOINT)),
        ScanStatus::Cancelled => t.push_str("\nCancelled."),
        ScanStatus::Failed => t.push_str(&format!("\nFailed: {}", s.error.as_deref().unwrap_or("?"))),
        ScanStatus::Completed => {}
    }
    t
}
