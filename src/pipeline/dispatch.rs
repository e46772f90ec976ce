//! Dispatch: which kind of question this is, decided from its text without a
//! model (fast, predictable, the same with or without an LLM):
//!
//! - **analysis** when log lines are pasted (a line the dataset's header
//!   format reads, or that starts like a log stamp);
//! - **knowledge** when it asks what something means or which events,
//!   templates or workflows exist, and asks for no number or lines;
//! - **query** otherwise: it is answered by running LogQL.

use regex::Regex;
use std::sync::OnceLock;

use super::event::QuestionKind;
use crate::dataset::header::{FieldSpans, HeaderFormat};

/// Phrases of a knowledge question.
const KNOWLEDGE: &[&str] = &[
    "what does", "what do ", "mean", "meaning", "explain", "describe", "what kind", "what kinds", "which kind",
    "what types", "what type of", "which events", "what events", "which templates", "what templates", "workflow",
    "life cycle", "lifecycle", "what is a ", "what is an ", "what are the parameters", "which parameters",
    "what parameters", "what happens when", "what steps", "sequence of",
];

/// Phrases that ask for numbers or lines: a query, even if a knowledge phrase is there too.
const QUERY: &[&str] = &[
    "how many", "how often", "count", "number of", "average", "mean size", "maximum", "minimum", "total", "top ",
    " per ", "most ", "least ", "when ", "last ", "latest", "first ", "show ", "list the lines", "rate", "which ip",
    "which host", "which user", "which node", "which component", "errors", "failed", "failures",
];

fn stamp() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\s*(\d{2,4}[-/.]\d{1,2}[-/.]\d{1,4}[ T]\d|\d{6} \d{6}|\d{8}-\d\d:\d\d|[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\[[A-Z][a-z]{2} [A-Z][a-z]{2} |- \d{9,10} |\d{2}-\d{2} \d\d:\d\d:\d\d)")
            .expect("a constant regex")
    })
}

/// Whether the header format reads `line` and its first field has a digit
/// (a stamp or an id: a sentence's first word has none).
fn fits(header: Option<&HeaderFormat>, line: &str) -> bool {
    let Some(h) = header.filter(|h| h.fields().len() > 1) else { return false };
    let line = line.trim();
    let mut spans = FieldSpans::default();
    h.match_line(line, &mut spans)
        && spans.as_slice().first().and_then(|&(a, b)| line.get(a as usize..b as usize)).is_some_and(|f| f.chars().any(|c| c.is_ascii_digit()))
}

/// The kind of `question` and why (one line).
pub fn dispatch(question: &str, header: Option<&HeaderFormat>) -> (QuestionKind, String) {
    let log_lines = question.lines().filter(|l| !l.trim().is_empty()).filter(|l| stamp().is_match(l) || fits(header, l)).count();
    if log_lines > 0 {
        return (QuestionKind::Analysis, format!("{log_lines} pasted log line(s)"));
    }
    let q = format!(" {} ", question.to_lowercase());
    let query_cue = QUERY.iter().find(|c| q.contains(*c));
    let knowledge_cue = KNOWLEDGE.iter().find(|c| q.contains(*c));
    match (knowledge_cue, query_cue) {
        (Some(k), None) => (QuestionKind::Knowledge, format!("asks about the knowledge (\"{}\")", k.trim())),
        (_, Some(c)) => (QuestionKind::Query, format!("asks for data (\"{}\")", c.trim())),
        (None, None) => (QuestionKind::Query, "answered from the logs".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let h = HeaderFormat::new("<Date> <Time> <Pid> <Level> <Component>: <Content>").unwrap();
        let k = |q: &str| dispatch(q, Some(&h)).0;
        assert_eq!(k("How many blocks were deleted?"), QuestionKind::Query);
        assert_eq!(k("What does 'PacketResponder terminating' mean?"), QuestionKind::Knowledge);
        assert_eq!(k("Which workflows do blocks go through?"), QuestionKind::Knowledge);
        assert_eq!(k("How many workflows end with a deletion?"), QuestionKind::Query, "a number is a query");
        assert_eq!(k("081109 203518 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_1 terminating\nwhy?"), QuestionKind::Analysis);
        assert_eq!(k("what happened here: Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster"), QuestionKind::Query, "a stamp must start a line");
        assert_eq!(k("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 1.2.3.4"), QuestionKind::Analysis);
        assert_eq!(k(""), QuestionKind::Query);
        assert_eq!(dispatch("2015-10-18 18:01:47,978 INFO [main] x: y", None).0, QuestionKind::Analysis);
    }
}
