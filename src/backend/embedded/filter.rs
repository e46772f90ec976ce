//! Line filters (`|=`, `!=`, `|~`, `!~`, `|>`, `!>`, each with `or`
//! alternatives), compiled once per query and run on raw line bytes.
//!
//! A leading `|= "literal"` (or an unanchored `|~`) also serves as a block
//! prefilter: the scanner searches a whole block for it, grep-style, and only
//! looks at the lines that hold a hit.

use memchr::memmem::Finder;

use crate::backend::BackendError;
use crate::logql::{FilterOp, LineFilter};

use super::compile_error;
use super::ip::IpPattern;
use super::matcher::build_bytes_regex;
use super::pattern::Pattern;

#[derive(Debug)]
pub struct CompiledLineFilter {
    op: FilterOp,
    finders: Vec<Finder<'static>>,
    regexes: Vec<regex::bytes::Regex>,
    patterns: Vec<Pattern>,
    ips: Vec<IpPattern>,
    /// The pattern texts of regexes (to judge whether a whole-block search is safe).
    regex_texts: Vec<String>,
}

impl CompiledLineFilter {
    pub fn new(f: &LineFilter) -> Result<Self, BackendError> {
        let mut out = Self { op: f.op, finders: Vec::new(), regexes: Vec::new(), patterns: Vec::new(), ips: Vec::new(), regex_texts: Vec::new() };
        for v in &f.values {
            match f.op {
                FilterOp::Contains | FilterOp::NotContains => out.finders.push(Finder::new(v.as_bytes()).into_owned()),
                FilterOp::Regex | FilterOp::NotRegex => {
                    out.regexes.push(build_bytes_regex(v)?);
                    out.regex_texts.push(v.clone());
                }
                FilterOp::Pattern | FilterOp::NotPattern => {
                    out.patterns.push(Pattern::filter(v).map_err(compile_error)?);
                }
                FilterOp::Ip | FilterOp::NotIp => out.ips.push(IpPattern::parse(v)?),
            }
        }
        Ok(out)
    }

    /// Whether the line passes.
    #[inline]
    pub fn matches(&self, line: &[u8]) -> bool {
        match self.op {
            FilterOp::Contains => self.finders.iter().any(|f| f.find(line).is_some()),
            FilterOp::NotContains => {
                // `!= ""` keeps every non-empty line, as Loki's exists filter.
                self.finders.iter().all(|f| if f.needle().is_empty() { !line.is_empty() } else { f.find(line).is_none() })
            }
            FilterOp::Regex => self.regexes.iter().any(|r| r.is_match(line)),
            FilterOp::NotRegex => !self.regexes.iter().any(|r| r.is_match(line)),
            FilterOp::Pattern => self.patterns.iter().any(|p| p.test(line)),
            FilterOp::NotPattern => !self.patterns.iter().any(|p| p.test(line)),
            FilterOp::Ip => self.ips.iter().any(|p| p.found_in(line)),
            FilterOp::NotIp => !self.ips.iter().any(|p| p.found_in(line)),
        }
    }

    /// A search usable over a whole block: every line that passes this filter
    /// holds a hit of it (checked again per line).
    pub fn block_search(&self) -> Option<BlockSearch<'_>> {
        match self.op {
            FilterOp::Contains if self.finders.len() == 1 && !self.finders[0].needle().is_empty() => {
                Some(BlockSearch::Literal(&self.finders[0]))
            }
            FilterOp::Regex if self.regexes.len() == 1 && is_unanchored(&self.regex_texts[0]) => {
                Some(BlockSearch::Regex(&self.regexes[0]))
            }
            _ => None,
        }
    }
}

/// A pattern searched across a whole block.
#[derive(Debug, Clone, Copy)]
pub enum BlockSearch<'a> {
    Literal(&'a Finder<'static>),
    Regex(&'a regex::bytes::Regex),
}

impl BlockSearch<'_> {
    /// Position of the next hit at or after `from`.
    #[inline]
    pub fn find(&self, hay: &[u8], from: usize) -> Option<usize> {
        let h = hay.get(from..)?;
        match self {
            BlockSearch::Literal(f) => f.find(h).map(|i| i + from),
            BlockSearch::Regex(r) => r.find(h).map(|m| m.start() + from),
        }
    }
}

/// A regex without anchors gives the same per-line answers when searched
/// over a block (`^`/`$` would only see block ends). Conservative.
fn is_unanchored(re: &str) -> bool {
    !(re.contains('^') || re.contains('$') || re.contains("\\A") || re.contains("\\z") || re.contains("\\Z") || re.contains("(?m"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(op: FilterOp, vals: &[&str]) -> CompiledLineFilter {
        CompiledLineFilter::new(&LineFilter { op, values: vals.iter().map(|s| s.to_string()).collect() }).unwrap()
    }

    #[test]
    fn ops_and_or() {
        assert!(f(FilterOp::Contains, &["Failed", "Invalid"]).matches(b"Invalid user x"));
        assert!(!f(FilterOp::NotContains, &["Failed", "Invalid"]).matches(b"Invalid user x"));
        assert!(f(FilterOp::NotContains, &["Failed", "Invalid"]).matches(b"Accepted"));
        assert!(f(FilterOp::Regex, &["(?i)break-in"]).matches(b"POSSIBLE BREAK-IN ATTEMPT"));
        assert!(f(FilterOp::NotRegex, &["a+b"]).matches(b"xyz"));
        assert!(f(FilterOp::Pattern, &["<_> bar <_>"]).matches(b"foo bar baz"));
        assert!(f(FilterOp::NotContains, &[""]).matches(b"x"));
    }

    #[test]
    fn block_search_only_when_safe() {
        assert!(f(FilterOp::Contains, &["x"]).block_search().is_some());
        assert!(f(FilterOp::Contains, &["x", "y"]).block_search().is_none());
        assert!(f(FilterOp::Regex, &["^x"]).block_search().is_none());
        let r = f(FilterOp::Regex, &["blk_-[0-9]+"]);
        let s = r.block_search().unwrap();
        assert_eq!(s.find(b"a\nb blk_-12\n", 0), Some(4));
    }
}
