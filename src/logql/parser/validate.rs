//! The checks Loki makes while parsing: regexes compile, regexp and pattern
//! stages capture something, selectors select something, range aggregations
//! use `unwrap` and grouping where they may, label_replace is well formed.
//! Each returns Loki's message; the parser adds the position.

use regex::Regex;

use crate::logql::ast::{BinOp, MatchOp, Matcher, RangeOp, SampleExpr};
use crate::logql::pattern::parse_pattern;

pub(super) const EMPTY_SELECTOR: &str = "queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will";

/// Compiles `re` (Go RE2 syntax is close enough to the `regex` crate's) or
/// returns `error parsing regexp: <why>: `re``.
pub(super) fn compile(re: &str) -> Result<Regex, String> {
    Regex::new(re).map_err(|e| {
        let why = match &e {
            regex::Error::Syntax(text) => text
                .lines()
                .rev()
                .find_map(|l| l.trim().strip_prefix("error: "))
                .unwrap_or("invalid syntax")
                .to_string(),
            regex::Error::CompiledTooBig(_) => "expression too large".to_string(),
            _ => "invalid syntax".to_string(),
        };
        format!("error parsing regexp: {why}: `{re}`")
    })
}

/// A label matcher's regex, anchored at both ends as Prometheus does.
pub(super) fn compile_anchored(re: &str) -> Result<Regex, String> {
    compile(re)?;
    compile(&format!("^(?s:{re})$"))
}

/// Whether a matcher accepts a missing (empty) label.
pub(super) fn matches_empty(m: &Matcher) -> bool {
    match m.op {
        MatchOp::Eq => m.value.is_empty(),
        MatchOp::Neq => !m.value.is_empty(),
        MatchOp::Re => compile_anchored(&m.value).is_ok_and(|r| r.is_match("")),
        MatchOp::Nre => compile_anchored(&m.value).is_ok_and(|r| !r.is_match("")),
    }
}

/// `| regexp "..."`: compiles, and every group is a named capture with a
/// valid label name.
pub(super) fn regexp_stage(re: &str) -> Result<(), String> {
    let compiled = compile(re).map_err(|e| format!("invalid regexp parser: {e}"))?;
    // Unnamed groups are allowed and extract nothing, as in Loki.
    let mut names = compiled.capture_names().skip(1).flatten().peekable();
    if names.peek().is_none() {
        return Err(
            "invalid regexp parser: at least one named capture must be supplied".to_string(),
        );
    }
    for name in names {
        if !is_label_name(name) {
            return Err(format!(
                "invalid regexp parser: invalid extracted label name '{name}'"
            ));
        }
    }
    Ok(())
}

/// `| pattern "..."`.
pub(super) fn pattern_stage(pattern: &str) -> Result<(), String> {
    parse_pattern(pattern)
        .map(|_| ())
        .map_err(|e| format!("invalid pattern parser: {e}"))
}

/// A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub(super) fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Loki's `RangeAggregationExpr.validate`.
pub(super) fn range_agg(op: RangeOp, grouped: bool, unwrapped: bool) -> Result<(), String> {
    use RangeOp::*;
    let name = op.name();
    if grouped
        && !matches!(
            op,
            AvgOverTime
                | StddevOverTime
                | StdvarOverTime
                | QuantileOverTime
                | MaxOverTime
                | MinOverTime
                | FirstOverTime
                | LastOverTime
        )
    {
        return Err(format!("grouping not allowed for {name} aggregation"));
    }
    if unwrapped {
        return match op {
            CountOverTime | BytesOverTime | BytesRate => {
                Err(format!("invalid aggregation {name} with unwrap"))
            }
            _ => Ok(()),
        };
    }
    match op {
        BytesOverTime | BytesRate | CountOverTime | Rate | AbsentOverTime => Ok(()),
        _ => Err(format!("invalid aggregation {name} without unwrap")),
    }
}

/// `label_replace`'s destination and regex.
pub(super) fn label_replace(dst: &str, regex: &str) -> Result<(), String> {
    compile_anchored(regex).map_err(|e| format!("invalid regex in label_replace: {e}"))?;
    if !is_label_name(dst) {
        return Err(format!(
            "invalid destination label name in label_replace: {dst}"
        ));
    }
    Ok(())
}

/// The value of an expression Loki folds into a literal (a literal, or an
/// operation between such), if it is one.
pub(super) fn literal_value(e: &SampleExpr) -> Option<f64> {
    match e {
        SampleExpr::Literal(v) => Some(*v),
        SampleExpr::BinOp(b) => {
            let BinOp { lhs, rhs, .. } = b.as_ref();
            let (l, r) = (literal_value(lhs)?, literal_value(rhs)?);
            Some(fold(b.op, l, r))
        }
        _ => None,
    }
}

fn fold(op: crate::logql::ast::BinOpKind, l: f64, r: f64) -> f64 {
    use crate::logql::ast::BinOpKind::*;
    let truth = |b: bool| if b { 1.0 } else { 0.0 };
    match op {
        Add => l + r,
        Sub => l - r,
        Mul => l * r,
        Div if r == 0.0 => f64::NAN,
        Div => l / r,
        Mod if r == 0.0 => f64::NAN,
        Mod => l % r,
        Pow => l.powf(r),
        Eq => truth(l == r),
        Neq => truth(l != r),
        Gt => truth(l > r),
        Ge => truth(l >= r),
        Lt => truth(l < r),
        Le => truth(l <= r),
        Or | And | Unless => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unnamed_groups_beside_named_ones_are_allowed() {
        assert_eq!(regexp_stage(r"(?P<ip>\S+)(:\d+)?"), Ok(()));
        assert!(regexp_stage(r"(\S+)").is_err());
    }
}
