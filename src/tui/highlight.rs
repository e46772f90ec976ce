//! LogQL syntax highlighting from the `logql` lexer's own tokens (one
//! grammar for the parser and the editor), and the line-filter matches
//! highlighted in log results.

use std::ops::Range;

use crate::logql::{self, Expr, FilterOp, SampleExpr, Stage, TokenKind};

/// What a token looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Keyword,
    Function,
    String,
    Number,
    Duration,
    Label,
    Operator,
    Punct,
    Comment,
    Error,
}

pub fn class(kind: TokenKind) -> Class {
    use TokenKind::*;
    if kind.is_function() {
        return Class::Function;
    }
    if kind.is_keyword() {
        return Class::Keyword;
    }
    match kind {
        Ident => Class::Label,
        String => Class::String,
        Number => Class::Number,
        Duration | Bytes | Range => Class::Duration,
        ParserFlag => Class::Keyword,
        Comment => Class::Comment,
        Error => Class::Error,
        LBrace | RBrace | LParen | RParen | RBracket | Comma | Dot => Class::Punct,
        _ => Class::Operator,
    }
}

/// The class of every byte range with a token in `src`, in order.
pub fn classes(src: &str) -> Vec<(Range<usize>, Class)> {
    logql::tokenize(src).into_iter().map(|t| (t.span, class(t.kind))).collect()
}

/// What to highlight in the log lines of a query's result: the values of
/// its positive line filters (`|=` literally, `|~` as regexes).
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    literals: Vec<String>,
    regexes: Vec<regex::Regex>,
}

impl Matcher {
    /// From a query's text (nothing to highlight when it does not parse).
    pub fn for_query(query: &str) -> Matcher {
        let mut m = Matcher::default();
        let Ok(expr) = logql::parse(query) else { return m };
        let mut stages: Vec<&Stage> = Vec::new();
        match &expr {
            Expr::Log(l) => stages.extend(&l.pipeline),
            Expr::Sample(s) => collect_sample(s, &mut stages),
        }
        for st in stages {
            if let Stage::LineFilter(f) = st {
                match f.op {
                    FilterOp::Contains => m.literals.extend(f.values.iter().filter(|v| !v.is_empty()).cloned()),
                    FilterOp::Regex => m.regexes.extend(f.values.iter().filter_map(|v| {
                        regex::RegexBuilder::new(v).size_limit(1 << 20).build().ok().filter(|r| !r.is_match(""))
                    })),
                    _ => {}
                }
            }
        }
        m
    }

    pub fn is_empty(&self) -> bool {
        self.literals.is_empty() && self.regexes.is_empty()
    }

    /// Byte ranges of `line` to highlight, sorted and not overlapping.
    pub fn find(&self, line: &str) -> Vec<Range<usize>> {
        let mut out: Vec<Range<usize>> = Vec::new();
        for lit in &self.literals {
            let mut from = 0;
            while let Some(i) = line.get(from..).and_then(|s| s.find(lit.as_str())) {
                let start = from + i;
                out.push(start..start + lit.len());
                from = start + lit.len();
            }
        }
        for re in &self.regexes {
            out.extend(re.find_iter(line).filter(|m| !m.is_empty()).map(|m| m.range()));
        }
        out.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(out.len());
        for r in out {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        merged
    }
}

fn collect_sample<'a>(s: &'a SampleExpr, out: &mut Vec<&'a Stage>) {
    match s {
        SampleExpr::Range(r) => out.extend(&r.range.log.pipeline),
        SampleExpr::Vector(v) => collect_sample(&v.inner, out),
        SampleExpr::BinOp(b) => {
            collect_sample(&b.lhs, out);
            collect_sample(&b.rhs, out);
        }
        SampleExpr::LabelReplace(l) => collect_sample(&l.inner, out),
        SampleExpr::Literal(_) | SampleExpr::VectorLit(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes_of(src: &str) -> Vec<(&str, Class)> {
        classes(src).into_iter().map(|(r, c)| (&src[r], c)).collect()
    }

    #[test]
    fn tokens_get_classes_from_the_lexer() {
        let got = classes_of(r#"sum by (level) (count_over_time({app="hdfs"} |= "block" [5m]))"#);
        assert_eq!(got[0], ("sum", Class::Function));
        assert_eq!(got[1], ("by", Class::Keyword));
        assert_eq!(got[3], ("level", Class::Label));
        assert!(got.contains(&("count_over_time", Class::Function)));
        assert!(got.contains(&("\"hdfs\"", Class::String)));
        assert!(got.contains(&("|=", Class::Operator)));
        assert!(got.contains(&("[5m]", Class::Duration)));
        assert!(got.contains(&("{", Class::Punct)));
    }

    #[test]
    fn junk_and_comments_never_fail() {
        let got = classes_of("{app=\"x\"} # note\n| json $");
        assert!(got.contains(&("# note", Class::Comment)));
        assert!(got.iter().any(|(_, c)| *c == Class::Error));
        assert!(classes_of("\"unterminated").iter().any(|(_, c)| *c == Class::Error));
        assert!(classes("").is_empty());
    }

    #[test]
    fn matcher_finds_positive_filters_only() {
        let m = Matcher::for_query(r#"{app="hdfs"} |= "block" != "skip" |~ "blk_[0-9]+""#);
        let line = "Deleting block blk_123 skip block";
        let hits: Vec<&str> = m.find(line).into_iter().map(|r| &line[r]).collect();
        assert_eq!(hits, ["block", "blk_123", "block"]);
        let m = Matcher::for_query(r#"sum(count_over_time({app="a"} |= "x" [1m]))"#);
        assert_eq!(m.find("axbx"), vec![1..2, 3..4]);
        assert!(Matcher::for_query("{app=").is_empty());
        // Overlapping matches merge; an empty-matching regex is ignored.
        let m = Matcher::for_query(r#"{a="b"} |= "abc" |= "bcd" |~ "x*""#);
        assert_eq!(m.find("abcd"), vec![0..4]);
    }
}
