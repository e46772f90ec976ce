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
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Read => "read + match + params + workflows",
            Phase::Finish => "finish templates and workflows",
            Phase::Write => "write storage",
        }
    }
}

/// One progress event.
#[derive(Debug, Clone)]
pub enum IndexEvent {
    Started { phase: Phase, total_bytes: Option<u64> },
    Progress { phase: Phase, bytes: u64, lines: u64 },
    Finished { phase: Phase, lines: u64, secs: f64 },
    Warning(String),
}
