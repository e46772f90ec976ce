//! An indexing run: its options, counters, errors and output. [`run`] reads
//! a whole input in two passes (see [`super::incremental`], which also reads
//! on from a saved state): the first matches the dataset's templates and
//! mines the rest (Drain); when anything was mined, the second matches every
//! line against the known and the final mined templates, so that counts,
//! parameters and workflows of mined templates are exact and follow the
//! final templates.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use super::drain::DrainConfig;
use super::event::IndexEvent;
use super::templates::KnownTemplate;
use super::workflows::WorkflowConfig;
use crate::dataset::Dataset;
use crate::knowledge::Knowledge;
use crate::logs::ReadError;

/// What shapes an indexing run.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    pub use_known_templates: bool,
    pub threads: usize,
    pub block_size: usize,
    pub max_line_bytes: usize,
    pub drain: DrainConfig,
    pub examples_per_template: usize,
    pub workflow: WorkflowConfig,
    pub workflow_min_support: u64,
    pub distinct_exact_limit: usize,
    pub top_values: usize,
    /// Keep each line's template (for `parse`).
    pub keep_line_templates: bool,
}

impl Default for IndexOptions {
    fn default() -> Self {
        Self {
            use_known_templates: true,
            threads: 0,
            block_size: 1 << 20,
            max_line_bytes: 64 << 20,
            drain: DrainConfig::default(),
            examples_per_template: 3,
            workflow: WorkflowConfig {
                idle_ns: 3600 * 1_000_000_000,
                max_open: 200_000,
                max_workflows: 10_000,
                examples: 5,
            },
            workflow_min_support: 2,
            distinct_exact_limit: 4096,
            top_values: 10,
            keep_line_templates: false,
        }
    }
}

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{0}")]
    Templates(#[from] super::templates::TemplatesError),
    #[error("{path} is empty: nothing to index")]
    Empty { path: String },
    #[error("cancelled")]
    Cancelled,
}

/// Counters of a run.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RunStats {
    pub lines: u64,
    pub bytes: u64,
    /// Lines that did not fit the header format (kept as content-only).
    pub lines_not_fitting: u64,
    /// Lines decoded lossily because they were not valid UTF-8.
    pub lines_invalid_utf8: u64,
    /// Lines cut at the maximum line length.
    pub lines_truncated: u64,
    /// Lines joined to the record before them (multiline records).
    pub lines_joined: u64,
    /// Records whose timestamp was missing or did not parse.
    pub timestamps_missing: u64,
    /// Of those, records with stamp text that did not parse (another format).
    pub timestamps_bad: u64,
    /// JSON / logfmt datasets: lines that were structured.
    pub structured_lines: u64,
    /// JSON / logfmt datasets: lines that start like one but do not parse
    /// (kept whole as plain messages). The other lines not fitting are plain.
    pub lines_invalid_structured: u64,
    /// Structured lines without the message key (the whole line is the message).
    pub messages_missing: u64,
    /// Structured lines whose message is not a string (the whole line is the message).
    pub messages_not_string: u64,
    /// Structured field values not kept (a template past its field-name limit).
    pub field_values_dropped: u64,
    pub lines_known: u64,
    pub lines_mined: u64,
    pub templates_known: u64,
    pub templates_mined: u64,
    pub input_hash: String,
    pub gzip: bool,
    pub secs: f64,
}

/// The result of a run.
#[derive(Debug, Clone, Default)]
pub struct IndexOutput {
    pub knowledge: Knowledge,
    pub stats: RunStats,
    /// Per input line, the index into `knowledge.templates` (when asked for).
    pub line_templates: Option<Vec<u32>>,
    /// Final mined templates (after splitting low-cardinality word slots), for the second pass.
    pub(super) mined_final: Vec<String>,
}

/// Indexes `input` from its start (see the module doc).
pub fn run(
    ds: &Dataset,
    input: &Path,
    known: &[KnownTemplate],
    opts: &IndexOptions,
    on_event: &(dyn Fn(IndexEvent) + Sync),
    cancel: &AtomicBool,
) -> Result<IndexOutput, IndexError> {
    super::incremental::start(ds, input, known, opts, None, on_event, cancel).map(|r| r.output)
}

/// Number of `<*>` slots in a template.
pub fn slot_count(t: &str) -> usize {
    let mut n = 0;
    let mut prev_star = false;
    for tok in t.split_ascii_whitespace() {
        let star = tok == "<*>";
        if star && prev_star {
            continue;
        }
        prev_star = star;
        n += tok.matches("<*>").count();
    }
    n
}
