//! What a scan works with ([`ScanContext`]: the app, its dataset and
//! knowledge, the backend, the model, the options from `[scan]`) and what it
//! is asked ([`ScanRequest`]: the range, the window, the JSONL file).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::report::Severity;
use super::route::WebhookConfig;
use super::signals::SignalOptions;
use crate::backend::Backend;
use crate::config::Config;
use crate::dataset::Dataset;
use crate::llm::LlmClient;
use crate::logql::parse_duration;
use crate::retrieve::KnowledgeBase;

/// `[scan]` and the model's context, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanOptions {
    pub window_ns: i64,
    pub max_lines: usize,
    /// 0: never suppress.
    pub suppress_ns: i64,
    pub temperature: f32,
    pub answer_tokens: u32,
    /// `llm.context_tokens`.
    pub context_tokens: usize,
    pub webhook: Option<WebhookConfig>,
    pub signals: SignalOptions,
    /// Model failures (not invalid replies) in a row that stop the scan.
    pub max_model_failures: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self::from_config(&Config::default())
    }
}

impl ScanOptions {
    /// From a validated config (bad values fall back to the defaults).
    pub fn from_config(cfg: &Config) -> Self {
        let s = &cfg.scan;
        let webhook = s.webhook_url.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(|url| WebhookConfig {
            url: url.to_owned(),
            severities: s.webhook_severities.iter().filter_map(|x| Severity::parse(x)).collect(),
            timeout: Duration::from_secs(s.webhook_timeout_secs.max(1)),
            retries: s.webhook_retries.min(10),
        });
        Self {
            window_ns: parse_duration(&s.window).filter(|&d| d > 0).unwrap_or(300_000_000_000),
            max_lines: s.max_lines.clamp(1, 5000),
            suppress_ns: parse_duration(&s.suppress).filter(|&d| d >= 0).unwrap_or(1_800_000_000_000),
            temperature: s.temperature,
            answer_tokens: s.answer_tokens.min((cfg.llm.context_tokens / 4) as u32).max(1),
            context_tokens: cfg.llm.context_tokens,
            webhook,
            signals: SignalOptions { jump_ratio: s.jump_ratio, jump_min_lines: s.jump_min_lines },
            max_model_failures: 3,
        }
    }
}

/// The app and everything a scan of it uses; cheap to share.
#[derive(Clone)]
pub struct ScanContext {
    pub app: String,
    pub backend: Backend,
    /// `None`: no model; the scan counts lines and ranks template signals only.
    pub llm: Option<LlmClient>,
    /// The service description and how to read lines (template matching, levels).
    pub dataset: Option<Arc<Dataset>>,
    /// Templates for the signals.
    pub kb: Option<Arc<KnowledgeBase>>,
    pub options: ScanOptions,
}

impl std::fmt::Debug for ScanContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanContext")
            .field("app", &self.app)
            .field("backend", &self.backend.name())
            .field("llm", &self.llm)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ScanContext {
    /// The same context without a model (template signals only).
    pub fn without_model(&self) -> Self {
        Self { llm: None, ..self.clone() }
    }

    /// The service description of the dataset, if there is one.
    pub fn service(&self) -> &str {
        match self.dataset.as_deref().map(|d| d.description.trim()) {
            Some(d) if !d.is_empty() => d,
            _ => "unknown (no dataset description)",
        }
    }
}

/// One scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanRequest {
    /// Unix ns. `None`: on the embedded engine the span of the app's logs, on
    /// Loki the hour before `end` (now by default).
    pub start_ns: Option<i64>,
    pub end_ns: Option<i64>,
    /// `None`: the options' window and line cap.
    pub window_ns: Option<i64>,
    pub max_lines: Option<usize>,
    /// Records appended here as the scan goes (see [`super::route::record`]).
    pub jsonl: Option<PathBuf>,
}

/// Loki's default window when no range is given.
pub const DEFAULT_LOKI_RANGE_NS: i64 = 3_600_000_000_000;
/// The most windows one scan may hold (a range or a window that would make
/// more is refused, so a typo like `--window 1s` over a month cannot run for days).
pub const MAX_WINDOWS: i64 = 100_000;
