//! Progress events of an indexing run, rendered by the CLI (indicatif) and,
//! later, the TUI's indexing screen.

/// A phase of indexing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading, matching templates, parameters and workflows in one pass.
    Read,
    /// Mining leftovers, folding sessions, building the records.
    Finish,
    /// Writing storage files.
    Write,
    /// Summaries of templates, parameters and workflows by the LLM.
    Summarize,
    /// Embedding vectors of the documents.
    Embed,
    /// The BM25 lexical index.
    Lexical,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Read => "read + match + params + workflows",
            Phase::Finish => "finish templates and workflows",
            Phase::Write => "write storage",
            Phase::Summarize => "summarize",
            Phase::Embed => "embed",
            Phase::Lexical => "lexical index (BM25)",
        }
    }
}

/// One progress event.
#[derive(Debug, Clone)]
pub enum IndexEvent {
    Started { phase: Phase, total_bytes: Option<u64> },
    Progress { phase: Phase, bytes: u64, lines: u64 },
    Finished { phase: Phase, lines: u64, secs: f64 },
    /// A phase over items (summaries, vectors) begins: `total` items, of which
    /// `cached` are already done (from an earlier run) and will not be requested.
    ItemsStarted { phase: Phase, total: u64, cached: u64 },
    /// Items done so far (cached ones included), with the phase's usage so far.
    Items { phase: Phase, done: u64, total: u64, tokens_in: u64, tokens_out: u64, cost_usd: f64 },
    /// A phase that did not run, and why.
    Skipped { phase: Phase, reason: String },
    Warning(String),
}
