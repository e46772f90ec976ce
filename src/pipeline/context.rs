//! What a pipeline run works with ([`PipelineContext`], shared by every
//! question of a session) and what it is asked ([`AskRequest`]).

use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::Backend;
use crate::config::PipelineConfig;
use crate::dataset::Dataset;
use crate::dataset::header::HeaderFormat;
use crate::llm::LlmClient;
use crate::llm::tokens::TokenCounter;
use crate::retrieve::KnowledgeBase;

use super::template_query::ContentAnchor;

/// Questions longer than this are cut (with a note).
pub const MAX_QUESTION_CHARS: usize = 16_000;

/// Loki's default window when none is given and the backend is a Loki.
pub const DEFAULT_LOKI_WINDOW_NS: i64 = 3_600_000_000_000;

/// Now, in unix nanoseconds.
pub fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// The app, its knowledge, the backend and the model.
#[derive(Clone)]
pub struct PipelineContext {
    pub app: String,
    pub kb: Arc<KnowledgeBase>,
    pub backend: Backend,
    /// `None`: no model configured; the deterministic builder answers.
    pub llm: Option<LlmClient>,
    /// Why there is no model (shown in the answer).
    pub no_model_reason: String,
    pub config: PipelineConfig,
    /// The dataset's header format (dispatch, content anchors), when known.
    pub header: Option<HeaderFormat>,
    pub anchor: Option<ContentAnchor>,
}

impl std::fmt::Debug for PipelineContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineContext")
            .field("app", &self.app)
            .field("backend", &self.backend.name())
            .field("llm", &self.llm)
            .finish_non_exhaustive()
    }
}

impl PipelineContext {
    pub fn new(kb: Arc<KnowledgeBase>, backend: Backend, llm: Option<LlmClient>, config: PipelineConfig, dataset: Option<&Dataset>) -> Self {
        let header = dataset.map(|d| d.header.clone());
        let anchor = header.as_ref().and_then(ContentAnchor::of);
        Self {
            app: kb.app.clone(),
            kb,
            backend,
            llm,
            no_model_reason: crate::llm::NO_ENDPOINT.to_owned(),
            config,
            header,
            anchor,
        }
    }

    /// The token counter of the chat model (o200k_base when there is none).
    pub fn tokens(&self) -> TokenCounter {
        match &self.llm {
            Some(c) => c.chat_tokens(),
            None => TokenCounter::for_model("gpt-4o-mini"),
        }
    }

    /// The window of a request: as given; else, on the embedded engine, the
    /// span of the app's logs (a second either side); else Loki's last hour.
    pub fn window(&self, req: &AskRequest, now_ns: i64) -> (i64, i64) {
        let span = matches!(self.backend, Backend::Embedded(_)).then(|| self.kb.span_ns()).flatten();
        let end = req.end_ns.or(span.map(|s| s.1.saturating_add(1_000_000_000))).unwrap_or(now_ns);
        let start = req
            .start_ns
            .or(span.map(|s| s.0.saturating_sub(1_000_000_000)))
            .unwrap_or_else(|| end.saturating_sub(DEFAULT_LOKI_WINDOW_NS));
        if start < end { (start, end) } else { (end.saturating_sub(DEFAULT_LOKI_WINDOW_NS), end) }
    }
}

/// One question.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AskRequest {
    pub question: String,
    /// Unix ns; `None`: see [`PipelineContext::window`].
    pub start_ns: Option<i64>,
    pub end_ns: Option<i64>,
    /// Where the results file goes (`results/<app>/`); `None`: no file.
    pub record_dir: Option<PathBuf>,
    /// Whether someone answers [`super::event::PipelineEvent::ConfirmationNeeded`];
    /// when not, the guard narrows instead of asking.
    pub interactive: bool,
}

impl AskRequest {
    pub fn new(question: impl Into<String>) -> Self {
        Self { question: question.into(), ..Default::default() }
    }
}
