//! Analysis of log lines by the model: a summary, a root cause, action items,
//! an interpretation or a solution ([`Mode`]), over lines from a file, stdin
//! or a selection in the TUI.
//!
//! - [`input`]: bytes to lines (gzip unpacked, invalid UTF-8 replaced, a
//!   binary file refused).
//! - [`chunk`]: lines cut into [`Chunk`]s at line boundaries under a token
//!   budget ([`chunk_budget`]); a line longer than the budget is cut.
//! - [`run`]: [`run_chunk`], one chunk's analysis streamed, cancellable.
//!
//! The CLI (`logcopilot analyze`) asks before each next chunk; the TUI pages
//! through chunks with the same two calls: [`chunk_lines`] once, then
//! [`run_chunk`] per page. Redaction is the LLM layer's (`llm.redaction`).

pub mod chunk;
pub mod input;
pub mod run;

use std::fmt;

pub use chunk::{Chunk, chunk_budget, chunk_lines, cut_line, prompt_tokens};
pub use input::{InputError, InputLines, read_input, read_lines};
pub use run::{AnalyzeError, AnalyzeOptions, ChunkAnalysis, run_chunk};

/// What the model is asked to do with the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// What happened, in a few bullet points.
    Summary,
    /// The most likely cause of the problems and the chain of events.
    RootCause,
    /// Concrete actions, most urgent first.
    ActionItems,
    /// What each kind of line means.
    Interpret,
    /// How to fix the problems shown.
    Solution,
}

impl Mode {
    pub const ALL: [Mode; 5] = [Mode::Summary, Mode::RootCause, Mode::ActionItems, Mode::Interpret, Mode::Solution];

    /// `summary`, `root-cause`, ... (as on the command line).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Summary => "summary",
            Mode::RootCause => "root-cause",
            Mode::ActionItems => "action-items",
            Mode::Interpret => "interpret",
            Mode::Solution => "solution",
        }
    }

    /// The prompt file in `assets/prompts/`.
    pub fn prompt(self) -> &'static str {
        match self {
            Mode::Summary => "analyze_summary",
            Mode::RootCause => "analyze_root_cause",
            Mode::ActionItems => "analyze_action_items",
            Mode::Interpret => "analyze_interpret",
            Mode::Solution => "analyze_solution",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_have_prompts() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
            assert!(crate::llm::prompts::Prompt::get(m.prompt()).is_ok(), "{m}");
        }
        assert_eq!(Mode::parse("Root_Cause"), Some(Mode::RootCause));
        assert_eq!(Mode::parse("poem"), None);
    }
}
