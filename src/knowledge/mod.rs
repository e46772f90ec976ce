//! The knowledge an index run produces: templates, their parameters and the
//! workflows between them. These are the records stored in `storage/<app>/`
//! (see docs/STORAGE.md) and read back by retrieval.
//!
//! - [`summaries`]: what the LLM wrote about each item.
//! - [`documents`]: the text of each item that retrieval searches (dense and BM25).

pub mod documents;
pub mod summaries;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::index::params::{NumericSummary, ParamSummary, ParamType, TopValue};
pub use documents::{DocKind, Document, documents};
pub use summaries::{Summaries, Summary, parameter_id};

/// Where a template came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateSource {
    /// From the dataset's templates.csv.
    Known,
    /// Mined from the log.
    Mined,
}

/// One example line of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// 1-based line number in the input.
    pub line: u64,
    /// The raw line (cut at 2,000 bytes).
    pub raw: String,
}

/// A template with its counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateRecord {
    pub id: String,
    pub text: String,
    pub source: TemplateSource,
    pub count: u64,
    /// RFC 3339, UTC; absent when no line of it had a timestamp.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Canonical level -> lines.
    pub levels: BTreeMap<String, u64>,
    pub examples: Vec<Example>,
}

/// The parameters of one template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateParams {
    pub template_id: String,
    pub template: String,
    pub params: Vec<ParamSummary>,
}

/// A mined workflow: a frequent template sequence (repeats collapsed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRecord {
    pub id: String,
    /// The session-id pattern name (e.g. "block").
    pub session_kind: String,
    /// Template ids in order.
    pub templates: Vec<String>,
    /// Sessions that followed exactly this sequence.
    pub support: u64,
    pub example_sessions: Vec<String>,
}

/// An edge of the template transition graph. `^` is a session's start, `$` its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub from: String,
    pub to: String,
    pub count: u64,
}

/// Session bookkeeping of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionStats {
    pub sessions: u64,
    /// Most sessions open at once.
    pub peak_open: u64,
    /// Sessions closed because they were idle past the limit.
    pub closed_idle: u64,
    /// Sessions closed early because too many were open.
    pub evicted: u64,
    /// Sessions whose sequence was longer than the kept maximum.
    pub truncated: u64,
    /// Distinct sequences dropped from the workflow table to bound memory.
    pub sequences_pruned: u64,
}

/// Everything an index run knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Knowledge {
    pub templates: Vec<TemplateRecord>,
    pub params: Vec<TemplateParams>,
    pub workflows: Vec<WorkflowRecord>,
    pub transitions: Vec<Transition>,
    pub sessions: SessionStats,
}
