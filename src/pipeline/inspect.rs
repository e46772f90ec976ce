//! What a parsed query touches, for the guard and for diagnosing an empty
//! result: its log expressions (one per range aggregation), their stream
//! selectors, their `|=` line filter texts, the label names they select on.

use crate::logql::{Expr, FilterOp, LogExpr, MatchOp, SampleExpr, Stage};

/// Every log expression of `e`, in order.
pub fn log_exprs(e: &Expr) -> Vec<&LogExpr> {
    let mut out = Vec::new();
    match e {
        Expr::Log(l) => out.push(l),
        Expr::Sample(s) => sample(s, &mut out),
    }
    out
}

fn sample<'a>(s: &'a SampleExpr, out: &mut Vec<&'a LogExpr>) {
    match s {
        SampleExpr::Range(r) => out.push(&r.range.log),
        SampleExpr::Vector(v) => sample(&v.inner, out),
        SampleExpr::BinOp(b) => {
            sample(&b.lhs, out);
            sample(&b.rhs, out);
        }
        SampleExpr::LabelReplace(l) => sample(&l.inner, out),
        SampleExpr::Literal(_) | SampleExpr::VectorLit(_) => {}
    }
}

/// The stream selector of a log expression as text: `{app="hdfs", level="WARN"}`.
pub fn selector(l: &LogExpr) -> String {
    Expr::Log(LogExpr { matchers: l.matchers.clone(), pipeline: Vec::new() }).to_string()
}

/// The distinct selectors of a query.
pub fn selectors(e: &Expr) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in log_exprs(e) {
        let s = selector(l);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// `|=` filter texts of a query (the ones an empty result may blame).
pub fn contains_filters(e: &Expr) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in log_exprs(e) {
        for st in &l.pipeline {
            if let Stage::LineFilter(f) = st
                && f.op == FilterOp::Contains
            {
                for v in &f.values {
                    if !v.is_empty() && !out.contains(v) {
                        out.push(v.clone());
                    }
                }
            }
        }
    }
    out
}

/// Label names of the stream selectors with an equality or regex match, and their values.
pub fn selector_labels(e: &Expr) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for l in log_exprs(e) {
        for m in &l.matchers {
            if matches!(m.op, MatchOp::Eq | MatchOp::Re) && !out.iter().any(|(n, v)| n == &m.name && v == &m.value) {
                out.push((m.name.clone(), m.value.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::parse;

    #[test]
    fn walks_every_log_expression() {
        let e = parse(r#"sum(rate({app="a", level="WARN"} |= "x" |= "y" [5m])) / sum(rate({app="a"} |= "x" [5m]))"#).unwrap();
        assert_eq!(log_exprs(&e).len(), 2);
        assert_eq!(selectors(&e), vec![r#"{app="a", level="WARN"}"#, r#"{app="a"}"#]);
        assert_eq!(contains_filters(&e), vec!["x", "y"]);
        assert_eq!(selector_labels(&e), vec![("app".into(), "a".into()), ("level".into(), "WARN".into())]);
        let e = parse(r#"{app="b"} != "z""#).unwrap();
        assert!(contains_filters(&e).is_empty());
        assert!(log_exprs(&parse("1 + 2").unwrap()).is_empty());
    }
}
