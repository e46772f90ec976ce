//! Compiled label matchers (`name="v"`, `!=`, `=~`, `!~`) for stream
//! selectors, string label filters and `drop`/`keep`. Regexes are anchored at
//! both ends, as in Prometheus; a missing label matches as the empty string.

use regex::Regex;

use crate::logql::{MatchOp, Matcher};

use super::compile_error;
use crate::backend::BackendError;

/// Largest compiled regex accepted (bytes of the compiled program).
pub const REGEX_SIZE_LIMIT: usize = 4 << 20;

/// Builds a regex with the engine's size limits; a bad or huge pattern is a
/// query error, never a panic or an unbounded allocation.
pub fn build_regex(pattern: &str) -> Result<Regex, BackendError> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| compile_error(format!("error parsing regexp: {}", first_line(&e.to_string()))))
}

/// Same for line filters over raw bytes.
pub fn build_bytes_regex(pattern: &str) -> Result<regex::bytes::Regex, BackendError> {
    regex::bytes::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| compile_error(format!("error parsing regexp: {}", first_line(&e.to_string()))))
}

fn first_line(s: &str) -> &str {
    s.lines().find(|l| l.starts_with("error:")).map(str::trim).unwrap_or_else(|| s.lines().next().unwrap_or(s))
}

/// A matcher ready to test values.
#[derive(Debug, Clone)]
pub struct LabelMatcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    re: Option<Regex>,
}

impl LabelMatcher {
    pub fn new(m: &Matcher) -> Result<Self, BackendError> {
        Self::from_parts(&m.name, m.op, &m.value)
    }

    pub fn from_parts(name: &str, op: MatchOp, value: &str) -> Result<Self, BackendError> {
        let re = match op {
            MatchOp::Re | MatchOp::Nre => Some(build_regex(&format!("^(?:{value})$"))?),
            _ => None,
        };
        Ok(Self { name: name.to_string(), op, value: value.to_string(), re })
    }

    /// Whether `value` (the label's value, "" when absent) matches.
    pub fn matches(&self, value: &str) -> bool {
        match self.op {
            MatchOp::Eq => value == self.value,
            MatchOp::Neq => value != self.value,
            MatchOp::Re => self.re.as_ref().is_some_and(|r| r.is_match(value)),
            MatchOp::Nre => !self.re.as_ref().is_some_and(|r| r.is_match(value)),
        }
    }

    /// Whether the matcher accepts the empty string (so a stream without the
    /// label passes).
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }
}

/// Compiles a selector's matchers.
pub fn compile_all(ms: &[Matcher]) -> Result<Vec<LabelMatcher>, BackendError> {
    ms.iter().map(LabelMatcher::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchored_and_missing_as_empty() {
        let m = LabelMatcher::from_parts("level", MatchOp::Re, "INFO|WARN").unwrap();
        assert!(m.matches("INFO"));
        assert!(!m.matches("INFOX"));
        let n = LabelMatcher::from_parts("level", MatchOp::Neq, "INFO").unwrap();
        assert!(n.matches(""));
        let nre = LabelMatcher::from_parts("x", MatchOp::Nre, ".+").unwrap();
        assert!(nre.matches_empty());
        assert!(!nre.matches("a"));
    }

    #[test]
    fn huge_regex_is_refused() {
        let huge = "(a{1000}){1000}";
        let e = LabelMatcher::from_parts("x", MatchOp::Re, huge).unwrap_err();
        assert!(e.to_string().contains("regexp"), "{e}");
        assert!(LabelMatcher::from_parts("x", MatchOp::Re, "(").is_err());
    }
}
