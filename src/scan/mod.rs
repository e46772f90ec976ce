//! Anomaly scans: the logs of an app, from the embedded engine or Loki, cut
//! into time windows; each window goes to the model in JSON mode with the
//! service's description and the window's template signals; the reply is
//! validated, its evidence checked against the window, repeated anomaly
//! types suppressed for a while, and the anomalies routed: events (screen),
//! a JSONL file, a webhook for the severities it names. Without a model the
//! scan still ranks template signals.
//!
//! - [`context`]: [`ScanContext`], [`ScanOptions`] (from `[scan]`), [`ScanRequest`].
//! - [`fetch`]: the range read forward page by page.
//! - [`window`]: a window's lines, sampled when busy, fit to the token budget.
//! - [`signals`]: lines matched to templates and levels; jumps and warnings ranked.
//! - [`report`]: the JSON report, its validation and the evidence check.
//! - [`suppress`]: repeated anomaly types held back.
//! - [`route`]: the JSONL records and file, the webhook.
//! - [`event`]: [`ScanEvent`], [`ScanSummary`]; [`handle`]: [`start`], [`ScanHandle`].
//! - `run`: the loop.

pub mod context;
pub mod event;
pub mod fetch;
pub mod handle;
pub mod report;
pub mod route;
mod run;
pub mod signals;
pub mod suppress;
pub mod window;

pub use context::{ScanContext, ScanOptions, ScanRequest};
pub use event::{ScanEvent, ScanStatus, ScanSummary, SkipReason, WindowReport};
pub use handle::{ScanHandle, scan, start, template_signals};
pub use report::{Anomaly, Evidence, Health, Severity};
pub use run::PHASE;
pub use signals::{Signal, SignalKind, SignalOptions};
