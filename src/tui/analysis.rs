//! The worker's side of an analysis of log lines (summary, root cause,
//! action items, interpretation, solution): the lines marked in the results
//! pane are cut into chunks under the model's context budget
//! ([`crate::analyze`]), and one chunk at a time is analysed, streamed back
//! as [`AnalysisMsg`]s. The app pages through the chunks: the next one runs
//! only when asked for.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::event::Event;
use super::worker::WorkerMsg;
use crate::analyze::{AnalyzeOptions, Chunk, Mode, chunk_budget, chunk_lines, prompt_tokens};
use crate::config::Config;
use crate::llm::{LlmClient, StreamEvent};

/// One chunk as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkInfo {
    pub first_line: usize,
    pub last_line: usize,
    pub tokens: usize,
    /// Lines cut to the budget.
    pub cut: usize,
}

/// What an analysis tells the app.
#[derive(Debug, Clone, PartialEq)]
pub enum AnalysisMsg {
    /// The lines are chunked; chunk 0 runs.
    Started { chunks: Vec<ChunkInfo>, model: String, budget: usize },
    Delta { chunk: usize, text: String },
    /// A failed attempt is retried: forget the chunk's text so far.
    Restart { chunk: usize },
    /// A chunk ended: tokens in and out, or what went wrong.
    Done { chunk: usize, result: Result<(u64, u64), String> },
    /// The analysis could not start (no model, no lines).
    Failed(String),
}

/// Why a part has no text when the model's reply ended inside its reasoning.
pub const UNTERMINATED: &str = "the model's reply ended inside its reasoning (cut at max tokens?), so it held no answer";

/// A prepared analysis: its chunks and what runs them.
pub struct AnalysisJob {
    pub id: u64,
    mode: Mode,
    chunks: Vec<Chunk>,
    opts: AnalyzeOptions,
    llm: LlmClient,
}

/// Chunks `lines` for `mode`; the job, or why it cannot run.
pub fn prepare(cfg: &Config, service: Option<String>, id: u64, mode: Mode, lines: &[String]) -> Result<(AnalysisJob, AnalysisMsg), String> {
    let llm = match LlmClient::from_config(cfg) {
        Ok(Some(l)) => l,
        Ok(None) => return Err(format!("{}: an analysis of log lines needs a model", crate::llm::NO_ENDPOINT)),
        Err(e) => return Err(format!("the model is misconfigured: {e}")),
    };
    if lines.is_empty() {
        return Err("no log lines to analyse: run a log query first".into());
    }
    let counter = llm.chat_tokens();
    let opts = AnalyzeOptions::from_config(cfg, service);
    let budget = chunk_budget(cfg.llm.context_tokens, opts.answer_tokens, prompt_tokens(&counter, mode, opts.service_text()));
    let chunks = chunk_lines(lines, &counter, budget);
    let infos = chunks
        .iter()
        .map(|c| ChunkInfo { first_line: c.first_line, last_line: c.last_line, tokens: c.tokens, cut: c.cut_lines.len() })
        .collect();
    let started = AnalysisMsg::Started { chunks: infos, model: llm.chat_model().to_owned(), budget };
    Ok((AnalysisJob { id, mode, chunks, opts, llm }, started))
}

/// Runs chunk `k` of `job` in a task until done or `cancel`; its messages go to `out`.
pub fn run_chunk(job: Arc<AnalysisJob>, k: usize, cancel: CancellationToken, out: UnboundedSender<Event>) {
    tokio::spawn(async move {
        let id = job.id;
        let send = |m: AnalysisMsg| {
            let _ = out.send(Event::Worker(WorkerMsg::Analysis { id, msg: m }));
        };
        let Some(chunk) = job.chunks.get(k) else {
            send(AnalysisMsg::Done { chunk: k, result: Err(format!("there is no part {}", k + 1)) });
            return;
        };
        let r = crate::analyze::run_chunk(&job.llm, job.mode, chunk, &job.opts, &cancel, |e| match e {
            StreamEvent::Delta(t) => send(AnalysisMsg::Delta { chunk: k, text: t.to_owned() }),
            StreamEvent::Restart { .. } | StreamEvent::Retract(_) => send(AnalysisMsg::Restart { chunk: k }),
            StreamEvent::Reasoning(_) => {}
        })
        .await;
        let result = r
            .map_err(|e| e.to_string())
            .and_then(|a| if a.unterminated { Err(UNTERMINATED.to_owned()) } else { Ok((a.tokens_in, a.tokens_out)) });
        send(AnalysisMsg::Done { chunk: k, result });
    });
}
