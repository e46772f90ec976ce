//! The state machine of one question: dispatch, retrieve, then the path of
//! its kind (a query: [`super::query`]; knowledge or pasted lines:
//! [`super::answer`]), each step announced as [`PipelineEvent`]s, every wait
//! cancellable. Whatever happens, the run ends with one `Finished` event and,
//! when asked, a results file with every step.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::context::{AskRequest, MAX_QUESTION_CHARS, PipelineContext};
use super::dispatch::dispatch;
use super::event::{Outcome, PipelineEvent, QuestionKind, Stage, Status, Usage};
use super::handle::Confirm;
use super::record::Record;
use super::results::value_of;
use crate::llm::ChatReply;
use crate::logql::value::QueryResult;
use crate::retrieve::{Packed, RetrieveOptions, RetrievedItem, pack};

/// Why a run stops early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stop {
    Cancelled,
    Failed(String),
}

/// The state of one run.
pub(super) struct Run<'a> {
    pub ctx: &'a PipelineContext,
    pub tx: mpsc::UnboundedSender<PipelineEvent>,
    pub cancel: CancellationToken,
    confirm: mpsc::UnboundedReceiver<Confirm>,
    pub interactive: bool,
    pub record: Record,
    pub usage: Usage,
    started: Instant,
    /// What the answer should mention (failures, narrowing, fallbacks).
    pub notes: Vec<String>,
    pub window: (i64, i64),
    pub question: String,
    pub kind: QuestionKind,
    /// The query and result the answer uses.
    pub logql: Option<String>,
    pub result: Option<Arc<QueryResult>>,
    pub repairs: u32,
    pub error: Option<String>,
    pub status: Status,
    /// What had been streamed of the answer when the run was cancelled.
    pub partial_answer: Option<String>,
}

impl<'a> Run<'a> {
    pub fn new(
        ctx: &'a PipelineContext,
        req: &AskRequest,
        tx: mpsc::UnboundedSender<PipelineEvent>,
        cancel: CancellationToken,
        confirm: mpsc::UnboundedReceiver<Confirm>,
    ) -> Self {
        let window = ctx.window(req, super::context::now_ns());
        let model = ctx.llm.as_ref().map(|c| c.chat_model().to_owned());
        Self {
            ctx,
            tx,
            cancel,
            confirm,
            interactive: req.interactive,
            record: Record::new(&ctx.app, &req.question, ctx.backend.name(), model.as_deref(), window),
            usage: Usage::default(),
            started: Instant::now(),
            notes: Vec::new(),
            window,
            question: req.question.clone(),
            kind: QuestionKind::Query,
            logql: None,
            result: None,
            repairs: 0,
            error: None,
            status: if ctx.llm.is_some() { Status::Answered } else { Status::NoModel },
            partial_answer: None,
        }
    }

    /// Sends an event (and records it). A caller that stopped listening cancels the run.
    pub fn emit(&mut self, e: PipelineEvent) -> Result<(), Stop> {
        let at = self.started.elapsed().as_millis() as u64;
        self.record.apply(&e, at);
        self.tx.send(e).map_err(|_| Stop::Cancelled)
    }

    pub fn note(&mut self, text: impl Into<String>) -> Result<(), Stop> {
        let text = text.into();
        self.notes.push(text.clone());
        self.emit(PipelineEvent::Note { text })
    }

    /// `f`, unless the run is cancelled first (then `f` is dropped: its request aborts).
    pub async fn cancellable<F: std::future::Future>(&self, f: F) -> Result<F::Output, Stop> {
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(Stop::Cancelled),
            v = f => Ok(v),
        }
    }

    pub fn begin(&mut self, stage: Stage, attempt: u32) -> Result<Instant, Stop> {
        if self.cancel.is_cancelled() {
            return Err(Stop::Cancelled);
        }
        self.emit(PipelineEvent::StageStarted { stage, attempt })?;
        Ok(Instant::now())
    }

    pub fn end(&mut self, stage: Stage, attempt: u32, t0: Instant, ok: bool, detail: impl Into<String>) -> Result<(), Stop> {
        let ms = t0.elapsed().as_millis() as u64;
        self.emit(PipelineEvent::StageFinished { stage, attempt, ms, ok, detail: detail.into() })
    }

    /// Counts a chat reply's tokens and tells the caller.
    pub fn count_chat(&mut self, r: &ChatReply, stage: Stage, attempt: u32) -> Result<(), Stop> {
        if !r.reasoning.is_empty() || r.unterminated {
            self.emit(PipelineEvent::Reasoning {
                stage,
                attempt,
                text: r.reasoning.clone(),
                tokens: r.reasoning_tokens,
                unterminated: r.unterminated,
            })?;
        }
        if r.unterminated {
            let max = r.finish_reason.as_deref() == Some("length");
            self.note(format!(
                "the model's reply ended inside its reasoning{}, so it held no answer; it is treated as empty",
                if max { " (cut at max tokens)" } else { "" }
            ))?;
        }
        self.usage.requests += r.attempts;
        self.usage.tokens_in += r.tokens_in;
        self.usage.tokens_out += r.tokens_out;
        self.usage.estimated |= r.estimated;
        if let Some(c) = &self.ctx.llm
            && let Some(p) = c.usage().price(c.chat_model())
        {
            let cost = (r.tokens_in as f64 * p.input + r.tokens_out as f64 * p.output) / 1e6;
            self.usage.cost_usd = Some(self.usage.cost_usd.unwrap_or(0.0) + cost);
        }
        self.emit(PipelineEvent::Usage(self.usage))
    }

    /// The next answer to a confirmation request (cancellable).
    pub async fn confirmation(&mut self) -> Result<Confirm, Stop> {
        let cancel = self.cancel.clone();
        tokio::select! {
            biased;
            _ = cancel.cancelled() => Err(Stop::Cancelled),
            c = self.confirm.recv() => Ok(c.unwrap_or(Confirm::Narrow)),
        }
    }

    /// Retrieval and packing; `exclude` leaves items out (refinement).
    pub async fn retrieve(&mut self, query: &str, exclude: &[String], refined: bool) -> Result<(Vec<RetrievedItem>, Packed), Stop> {
        let stage = if refined { Stage::Refine } else { Stage::Retrieve };
        let t0 = self.begin(stage, 1)?;
        let embedding = self.embed(query).await?;
        let mut opts = RetrieveOptions { top_k: self.ctx.config.top_k, ..Default::default() };
        opts.exclude.extend(exclude.iter().cloned());
        let items = self.ctx.kb.retriever.retrieve(query, embedding.as_deref(), &opts);
        let packed = pack(&self.ctx.kb, &items, self.ctx.config.context_tokens, &self.ctx.tokens());
        let detail = format!("{} items, {} tokens of context{}", items.len(), packed.tokens, if embedding.is_some() { ", hybrid" } else { ", lexical" });
        self.emit(PipelineEvent::Retrieved {
            items: items.clone(),
            context_tokens: packed.tokens,
            dropped: packed.dropped.clone(),
            refined,
        })?;
        self.end(stage, 1, t0, true, detail)?;
        Ok((items, packed))
    }

    /// The question's embedding, when dense retrieval can use one.
    async fn embed(&mut self, query: &str) -> Result<Option<Vec<f32>>, Stop> {
        let (Some(llm), Some(dense)) = (self.ctx.llm.clone(), self.ctx.kb.retriever.dense.as_ref()) else { return Ok(None) };
        if dense.model != llm.embedding_model() {
            let text = format!("the stored vectors are of {}, the configured embedding model is {}: lexical retrieval only", dense.model, llm.embedding_model());
            self.note(text)?;
            return Ok(None);
        }
        let input: String = query.chars().take(4000).collect();
        let before = llm.usage().phase("ask.embed");
        let r = self.cancellable(llm.embed("ask.embed", &[input])).await?;
        let after = llm.usage().phase("ask.embed");
        self.usage.requests += after.requests.saturating_sub(before.requests) as u32;
        self.usage.tokens_in += after.tokens_in.saturating_sub(before.tokens_in);
        self.usage.estimated |= after.tokens_estimated;
        let cost = after.cost_usd - before.cost_usd;
        if cost > 0.0 {
            self.usage.cost_usd = Some(self.usage.cost_usd.unwrap_or(0.0) + cost);
        }
        match r {
            Ok(mut v) if v.len() == 1 => Ok(v.pop()),
            Ok(_) => Ok(None),
            Err(e) => {
                self.note(format!("the question's embedding failed ({e}): lexical retrieval only"))?;
                Ok(None)
            }
        }
    }

    async fn go(&mut self) -> Result<String, Stop> {
        let q = self.question.trim().to_owned();
        if q.is_empty() {
            return Err(Stop::Failed("the question is empty".into()));
        }
        let chars = q.chars().count();
        self.question = if chars > MAX_QUESTION_CHARS {
            self.note(format!("the question has {chars} characters; only the first {MAX_QUESTION_CHARS} are used"))?;
            q.chars().take(MAX_QUESTION_CHARS).collect()
        } else {
            q
        };
        let t0 = self.begin(Stage::Dispatch, 1)?;
        let (kind, reason) = dispatch(&self.question, self.ctx.header.as_ref());
        self.kind = kind;
        self.emit(PipelineEvent::Dispatched { kind, reason: reason.clone() })?;
        self.end(Stage::Dispatch, 1, t0, true, reason)?;
        if self.ctx.llm.is_none() {
            let why = self.ctx.no_model_reason.clone();
            self.note(format!("no model is configured ({why}): the answer is the deterministic builder's"))?;
        }
        for n in self.ctx.kb.notes.clone() {
            self.note(n)?;
        }
        let question = self.question.clone();
        let (items, packed) = self.retrieve(&question, &[], false).await?;
        match kind {
            QuestionKind::Query => self.query(items, packed).await,
            QuestionKind::Knowledge => self.knowledge(packed).await,
            QuestionKind::Analysis => self.analysis(items, packed).await,
        }
    }

    /// Runs to the end: the outcome, also after a failure or a cancel.
    pub async fn run(mut self, record_dir: Option<std::path::PathBuf>) -> Outcome {
        let answer = match self.go().await {
            Ok(a) => a,
            Err(Stop::Cancelled) => {
                self.status = Status::Cancelled;
                match self.partial_answer.take() {
                    Some(p) => format!("{p}\n[cancelled]"),
                    None => "Cancelled.".to_owned(),
                }
            }
            Err(Stop::Failed(e)) => {
                self.status = Status::Failed;
                self.error = Some(e.clone());
                format!("Stopped: {e}")
            }
        };
        self.record.set_window(self.window);
        let mut outcome = Outcome {
            kind: self.kind,
            status: self.status,
            answer,
            logql: self.logql.clone(),
            value: self.result.as_deref().map(value_of),
            result: self.result.clone(),
            repairs: self.repairs,
            error: self.error.clone(),
            usage: self.usage,
            ms: self.started.elapsed().as_millis() as u64,
            record: None,
        };
        if let Some(dir) = record_dir {
            self.record.apply(&PipelineEvent::Finished(Box::new(outcome.clone())), outcome.ms);
            match self.record.write(&dir) {
                Ok(p) => outcome.record = Some(p),
                Err(e) => {
                    let _ = self.tx.send(PipelineEvent::Note { text: format!("the results file was not written: {e}") });
                }
            }
        }
        let _ = self.tx.send(PipelineEvent::Finished(Box::new(outcome.clone())));
        outcome
    }
}
