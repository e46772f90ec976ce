//! What a scan tells its caller as it goes: [`ScanEvent`]s over a channel
//! (see [`super::handle`]). The CLI prints them, the TUI draws them, the
//! JSONL file is made of them ([`super::route::record`]). The last event of
//! every scan is [`ScanEvent::Finished`], also after a failure or a cancel.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::report::{Anomaly, Health, Severity};
use super::signals::Signal;

/// The model's report on one window, validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowReport {
    pub index: usize,
    pub start_ns: i64,
    pub end_ns: i64,
    pub health: Health,
    /// Every anomaly as reported (suppression is decided after, see [`ScanEvent::Suppressed`]).
    pub anomalies: Vec<Anomaly>,
    /// Lines in the window, and sent to the model.
    pub lines: u64,
    pub sent: usize,
    pub sampled: bool,
    /// Lines cut to fit the token budget.
    pub cut_lines: usize,
    /// The first reply was not valid and the repair request was needed.
    pub repaired: bool,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub ms: u64,
}

/// Why a window got no report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// No line in the window: no model call.
    Empty,
    /// The reply was not the JSON asked for, even after the repair request.
    InvalidReply { error: String, reply: String },
    /// The model could not be reached or refused (after its retries).
    ModelFailed { error: String },
}

/// How a scan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    Completed,
    /// No model configured: counts and template signals only.
    NoModel,
    Cancelled,
    /// The backend failed, or the model failed on several windows in a row.
    Failed,
}

/// The end of a scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanSummary {
    pub app: String,
    pub status: ScanStatus,
    pub error: Option<String>,
    pub start_ns: i64,
    pub end_ns: i64,
    pub window_ns: i64,
    /// Windows in the range (empty ones included).
    pub windows: usize,
    /// Windows the model reported on.
    pub scanned: usize,
    /// Windows with lines but no report (see [`SkipReason`]).
    pub skipped: usize,
    pub empty: usize,
    pub lines: u64,
    pub lines_sent: u64,
    pub sampled_windows: usize,
    pub cut_lines: usize,
    /// Reported anomalies by severity (suppressed ones not included).
    pub anomalies: BTreeMap<Severity, u64>,
    pub suppressed: u64,
    /// Evidence lines (of reported anomalies) not found in their window.
    pub unsupported_evidence: u64,
    pub webhook_sent: u64,
    pub webhook_failed: u64,
    pub requests: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// Some token counts are tiktoken estimates.
    pub tokens_estimated: bool,
    pub jsonl: Option<PathBuf>,
    pub notes: Vec<String>,
    pub ms: u64,
}

impl ScanSummary {
    pub fn anomalies_total(&self) -> u64 {
        self.anomalies.values().sum()
    }
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ScanEvent {
    Started {
        app: String,
        backend: String,
        start_ns: i64,
        end_ns: i64,
        window_ns: i64,
        max_lines: usize,
        model: Option<String>,
        jsonl: Option<PathBuf>,
    },
    /// Something the user should know (no model, no knowledge base, lines stepped past).
    Note { text: String },
    /// A window goes to the model.
    WindowStarted { index: usize, start_ns: i64, end_ns: i64, lines: u64, sent: usize, sampled: bool, cut_lines: usize },
    WindowDone { report: WindowReport },
    WindowSkipped { index: usize, start_ns: i64, end_ns: i64, reason: SkipReason },
    /// An anomaly routed (not suppressed).
    Anomaly { window: usize, start_ns: i64, end_ns: i64, anomaly: Anomaly },
    /// An anomaly whose type was reported at `since_ns` (window start) with a severity at least as high.
    Suppressed { window: usize, start_ns: i64, kind: String, severity: Severity, since_ns: i64 },
    WebhookFailed { window: usize, kind: String, error: String },
    /// The ranked template signals of the whole range (before `Finished`).
    Signals { signals: Vec<Signal> },
    Finished(Box<ScanSummary>),
}
