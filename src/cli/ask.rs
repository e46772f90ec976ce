//! `logcopilot ask "question" --app X`: one question through the pipeline,
//! the steps on stderr as they happen, the answer on stdout (streamed), and
//! the record in `results/<app>/<timestamp>.json`. `--output json` prints
//! the record instead (retrieved items with scores and text, every query
//! tried, results, tokens, timings). Ctrl-C cancels; the record is still written.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::backend_args::BackendArgs;
use super::query::runtime;
use super::timeargs::{TimeArgs, now_ns};
use crate::config::{self, Config, GuardAction};
use crate::dataset::Dataset;
use crate::llm::LlmClient;
use crate::pipeline::event::{Outcome, PipelineEvent, Status};
use crate::pipeline::{AskRequest, Confirm, PipelineContext, PipelineHandle};
use crate::retrieve::KnowledgeBase;
use crate::terminal::sanitize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AskOutput {
    /// Steps on stderr, the answer on stdout.
    Text,
    /// The whole record as JSON on stdout.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct AskArgs {
    /// The question, in plain language (or pasted log lines to explain).
    pub question: String,
    /// The app (a dataset with a built knowledge base).
    #[arg(long)]
    pub app: Option<String>,
    #[command(flatten)]
    pub backend: BackendArgs,
    /// The time window (default: the whole sample on the embedded engine, the last hour on Loki).
    #[command(flatten)]
    pub time: TimeArgs,
    #[arg(long, short, value_enum, default_value = "text")]
    pub output: AskOutput,
    /// Run a query over the guard's limits without asking.
    #[arg(long)]
    pub yes: bool,
    /// Do not write results/<app>/<timestamp>.json.
    #[arg(long)]
    pub no_record: bool,
    /// Ask about these logs (files, a folder, or - for stdin), indexed first
    /// when they have no knowledge yet.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub input: Vec<PathBuf>,
}

/// Everything a question needs, from the config and flags.
pub(super) fn context(cfg: &Config, app: &str, backend: &BackendArgs) -> anyhow::Result<PipelineContext> {
    let paths = config::resolve_paths(cfg);
    let dataset = Dataset::find(&paths.datasets, &paths.storage, app).ok();
    let llm = LlmClient::from_config(cfg)?;
    let kb = KnowledgeBase::load(&paths.storage, app, Some(&cfg.llm.chat_model), Some(&cfg.llm.embedding_model))?;
    let backend = backend.open(cfg, Some(app), None)?;
    Ok(PipelineContext::new(Arc::new(kb), backend, llm, cfg.pipeline.clone(), dataset.as_ref()))
}

/// The window of the time flags, `None` each when not given.
pub(super) fn window(t: &TimeArgs) -> anyhow::Result<(Option<i64>, Option<i64>)> {
    if t.start.is_none() && t.end.is_none() && t.since.is_none() {
        return Ok((None, None));
    }
    let (s, e) = t.resolve(now_ns())?;
    Ok((Some(s), Some(e)))
}

pub fn run(cfg: &Config, quiet: bool, a: AskArgs) -> anyhow::Result<()> {
    let (own, app) = super::inputs::app_to_ask(cfg, &a.input, a.app.as_deref(), quiet)?;
    let cfg = &own;
    let mut ctx = context(cfg, &app, &a.backend)?;
    if a.yes {
        // Asked, and answered "run as is" by `drive`.
        ctx.config.on_limit = GuardAction::Ask;
    }
    let ctx = Arc::new(ctx);
    let (start_ns, end_ns) = window(&a.time)?;
    let paths = config::resolve_paths(cfg);
    let asks = cfg.pipeline.on_limit == GuardAction::Ask && !a.yes && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let req = AskRequest {
        question: a.question.clone(),
        start_ns,
        end_ns,
        record_dir: (!a.no_record).then(|| paths.results.join(&app)),
        interactive: asks || a.yes,
    };
    let rt = runtime()?;
    let outcome = rt.block_on(async {
        let mut h = crate::pipeline::start(ctx, req);
        let token = h.cancel_token();
        let ctrl_c = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                token.cancel();
            }
        });
        let o = drive(&mut h, a.output, quiet, a.yes).await;
        ctrl_c.abort();
        o
    });
    let outcome = outcome.context("the pipeline ended without an outcome")?;
    if a.output == AskOutput::Json {
        let record = outcome.record.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
        let text = match record {
            Some(t) => t,
            None => serde_json::to_string_pretty(&outcome)?,
        };
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
    } else if let (Some(p), false) = (&outcome.record, quiet) {
        eprintln!("record: {}", p.display());
    }
    match outcome.status {
        Status::Failed => anyhow::bail!("{}", outcome.error.unwrap_or_else(|| "the question could not be answered".into())),
        Status::Cancelled => anyhow::bail!("cancelled"),
        _ => Ok(()),
    }
}

/// Prints the events; the outcome.
async fn drive(h: &mut PipelineHandle, output: AskOutput, quiet: bool, yes: bool) -> Option<Outcome> {
    let text = output == AskOutput::Text;
    let mut streamed = false;
    while let Some(e) = h.next().await {
        if let PipelineEvent::ConfirmationNeeded { reason, .. } = &e {
            let c = if yes { Confirm::Run } else { ask_user(reason).await };
            h.confirm(c);
            continue;
        }
        if let PipelineEvent::Finished(o) = e {
            if text && !streamed {
                println!("{}", safe(&o.answer));
            } else if text {
                println!();
            }
            return Some(*o);
        }
        if !text {
            continue;
        }
        match &e {
            PipelineEvent::AnswerDelta { text } => {
                if !streamed && !quiet {
                    eprintln!();
                }
                streamed = true;
                print!("{}", safe(text));
                let _ = std::io::stdout().flush();
            }
            PipelineEvent::AnswerRestart if streamed => println!("\n[the answer starts again]"),
            _ if quiet => {}
            other => {
                if let Some(line) = other.step_line() {
                    eprintln!("{}", safe(&line));
                }
            }
        }
    }
    None
}

/// Asks on the terminal: run as is, narrow, or stop.
async fn ask_user(reason: &str) -> Confirm {
    eprintln!("! the query is over the limits: {reason}");
    eprint!("  run it anyway [r], over a narrower window [N], or stop [s]? ");
    let _ = std::io::stderr().flush();
    let line = tokio::task::spawn_blocking(|| {
        let mut s = String::new();
        std::io::stdin().read_line(&mut s).map(|_| s)
    })
    .await;
    match line.ok().and_then(Result::ok).map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("r") | Some("run") => Confirm::Run,
        Some("s") | Some("stop") => Confirm::Stop,
        _ => Confirm::Narrow,
    }
}

/// Text safe for a terminal, line breaks kept.
pub(super) fn safe(s: &str) -> String {
    s.split('\n').map(|l| sanitize(l).into_owned()).collect::<Vec<_>>().join("\n")
}
