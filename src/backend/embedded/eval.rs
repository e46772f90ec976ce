//! Metric queries: planning (one scan leaf per range aggregation, with the
//! grouping Loki pushes down from an enclosing `sum` and its parser hints),
//! then evaluation of the expression tree over the steps.

use regex::Regex;

use crate::backend::BackendError;
use crate::logql::value::{Labels, Point, QueryResult, Sample, Series};
use crate::logql::{BinOpKind, MatchOp, RangeAgg, RangeOp, SampleExpr, VectorMatching, VectorOp};

use super::binop;
use super::compile_error;
use super::labels::{Grouping, Hints, labels_from_key};
use super::matcher::{LabelMatcher, build_regex};
use super::pipeline::Pipeline;
use super::range::{self, RangeAcc, SeriesAcc, Steps, Window};
use super::scan::{Leaf, LeafKind, LeafOut, SampleLeaf, UnwrapC};
use super::sampled;
use super::series::{SeriesV, Val, non_empty};
use super::label_filter::LabelFilterC;
use super::vector;

/// Loki's default `max_query_series`.
pub const MAX_SERIES: usize = 500;

/// A planned expression.
pub enum Node {
    Literal(f64),
    VectorLit(f64),
    Range { leaf: usize, op: RangeOp, param: Option<f64>, unwrapped: bool, absent: Labels },
    Vector { op: VectorOp, param: Option<f64>, groups: Vec<String>, without: bool, inner: Box<Node> },
    BinOp { op: BinOpKind, lhs: Box<Node>, rhs: Box<Node>, return_bool: bool, matching: Option<VectorMatching> },
    LabelReplace { inner: Box<Node>, dst: String, replacement: String, src: String, re: Regex },
}

/// Plans `expr` over `steps`, adding one scan leaf per range aggregation.
pub fn plan(expr: &SampleExpr, steps: Steps, leaves: &mut Vec<Leaf>) -> Result<Node, BackendError> {
    plan_inner(expr, steps, None, leaves)
}

fn plan_inner(expr: &SampleExpr, steps: Steps, pushed: Option<&Grouping>, leaves: &mut Vec<Leaf>) -> Result<Node, BackendError> {
    Ok(match expr {
        SampleExpr::Literal(v) => Node::Literal(*v),
        SampleExpr::VectorLit(v) => Node::VectorLit(*v),
        SampleExpr::Range(r) => plan_range(r, steps, pushed, leaves)?,
        SampleExpr::Vector(v) => {
            let (groups, without) = match &v.grouping {
                Some(g) => (g.labels.clone(), g.without),
                None => (Vec::new(), false),
            };
            if matches!(v.op, VectorOp::Topk | VectorOp::Bottomk) && v.param.is_none() {
                return Err(compile_error(format!("{} requires a parameter", v.op.name())));
            }
            // Loki injects a `sum`'s grouping into the range aggregation below.
            let inject = match &*v.inner {
                SampleExpr::Range(r) => {
                    v.op == VectorOp::Sum
                        && r.grouping.is_none()
                        && matches!(
                            r.op,
                            RangeOp::BytesOverTime | RangeOp::BytesRate | RangeOp::SumOverTime | RangeOp::Rate | RangeOp::CountOverTime
                        )
                }
                _ => false,
            };
            let g = Grouping { groups: groups.clone(), without, no_labels: groups.is_empty() && !without };
            let inner = plan_inner(&v.inner, steps, inject.then_some(&g), leaves)?;
            Node::Vector { op: v.op, param: v.param, groups, without, inner: Box::new(inner) }
        }
        SampleExpr::BinOp(b) => Node::BinOp {
            op: b.op,
            lhs: Box::new(plan_inner(&b.lhs, steps, None, leaves)?),
            rhs: Box::new(plan_inner(&b.rhs, steps, None, leaves)?),
            return_bool: b.return_bool,
            matching: b.matching.clone(),
        },
        SampleExpr::LabelReplace(l) => {
            let re = build_regex(&format!("^(?:{})$", l.regex)).map_err(|e| compile_error(format!("invalid regex in label_replace: {e}")))?;
            Node::LabelReplace {
                inner: Box::new(plan_inner(&l.inner, steps, None, leaves)?),
                dst: l.dst.clone(),
                replacement: l.replacement.clone(),
                src: l.src.clone(),
                re,
            }
        }
    })
}

fn plan_range(r: &RangeAgg, steps: Steps, pushed: Option<&Grouping>, leaves: &mut Vec<Leaf>) -> Result<Node, BackendError> {
    let unwrapped = r.range.unwrap.is_some();
    if r.op.needs_unwrap() && !unwrapped {
        return Err(compile_error(format!("invalid aggregation {} without unwrap", r.op.name())));
    }
    if unwrapped && matches!(r.op, RangeOp::CountOverTime | RangeOp::BytesOverTime | RangeOp::BytesRate | RangeOp::AbsentOverTime) {
        return Err(compile_error(format!("invalid aggregation {} with unwrap", r.op.name())));
    }
    if r.op == RangeOp::QuantileOverTime && r.param.is_none() {
        return Err(compile_error("quantile_over_time requires a parameter"));
    }
    if r.range.range <= 0 {
        return Err(compile_error("the range of a range aggregation must be positive"));
    }
    let counts_bytes = matches!(r.op, RangeOp::BytesOverTime | RangeOp::BytesRate);
    let pipeline = Pipeline::new(&r.range.log.pipeline, !counts_bytes)?;
    let mut grouping = match (&r.grouping, pushed) {
        (Some(g), _) => Grouping { groups: g.labels.clone(), without: g.without, no_labels: g.labels.is_empty() && !g.without },
        (None, Some(p)) => p.clone(),
        (None, None) => Grouping::default(),
    };
    let mut required: Vec<String> = pipeline.required_labels().to_vec();
    let unwrap = match &r.range.unwrap {
        None => None,
        Some(u) => {
            let post = u.post_filters.iter().map(LabelFilterC::new).collect::<Result<Vec<_>, _>>()?;
            for f in &post {
                f.names(&mut required);
            }
            if grouping.groups.is_empty() || grouping.without {
                grouping.without = true;
                grouping.groups.push(u.label.clone());
            }
            Some(UnwrapC { label: u.label.clone(), conv: u.conv, post })
        }
    };
    let hints = Hints::new(&required, &grouping.groups, grouping.without, grouping.no_labels, r.range.unwrap.as_ref().map(|u| u.label.as_str()));
    let matchers = r.range.log.matchers.iter().map(LabelMatcher::new).collect::<Result<Vec<_>, _>>()?;
    let absent = absent_labels(&r.range.log.matchers);
    let window = Window { range: r.range.range, offset: r.range.offset };
    leaves.push(Leaf {
        matchers,
        pipeline,
        hints,
        kind: LeafKind::Sample(SampleLeaf { op: r.op, unwrap, grouping, steps, window }),
    });
    Ok(Node::Range { leaf: leaves.len() - 1, op: r.op, param: r.param, unwrapped, absent })
}

/// Loki's `absentLabels`: the selector's equality matchers, minus names
/// matched more than once or otherwise.
fn absent_labels(ms: &[crate::logql::Matcher]) -> Labels {
    let mut out = Labels::new();
    let mut drop = Vec::new();
    for m in ms {
        if m.op == MatchOp::Eq && !out.contains_key(&m.name) {
            out.insert(m.name.clone(), m.value.clone());
        } else {
            drop.push(m.name.clone());
        }
    }
    for d in drop {
        out.remove(&d);
    }
    out
}

/// Evaluates a planned node with the scan's results.
pub fn eval(node: &Node, outs: &mut [Option<LeafOut>], steps: &Steps) -> Result<Val, BackendError> {
    let n = steps.n;
    Ok(match node {
        Node::Literal(v) => Val::Scalar(*v),
        Node::VectorLit(v) => Val::Mat(vec![SeriesV { labels: Labels::new(), vals: vec![Some(*v); n] }]),
        Node::Range { leaf, op, param, unwrapped, absent } => {
            let acc = match outs.get_mut(*leaf).and_then(Option::take) {
                Some(LeafOut::Sample(a)) => a,
                _ => return Err(BackendError::Execution("internal: missing range result".into())),
            };
            Val::Mat(finish_range(acc, *op, *param, *unwrapped, absent))
        }
        Node::Vector { op, param, groups, without, inner } => match eval(inner, outs, steps)? {
            Val::Mat(m) => Val::Mat(non_empty(vector::aggregate(*op, *param, groups, *without, m, n))),
            Val::Scalar(_) => return Err(BackendError::Execution(format!("{} expects a vector, not a scalar", op.name()))),
        },
        Node::BinOp { op, lhs, rhs, return_bool, matching } => {
            let l = eval(lhs, outs, steps)?;
            let r = eval(rhs, outs, steps)?;
            match binop::eval(*op, l, r, *return_bool, matching.as_ref(), n)? {
                Val::Mat(m) => Val::Mat(non_empty(m)),
                s => s,
            }
        }
        Node::LabelReplace { inner, dst, replacement, src, re } => match eval(inner, outs, steps)? {
            Val::Mat(m) => Val::Mat(vector::label_replace(m, dst, replacement, src, re)),
            Val::Scalar(_) => return Err(BackendError::Execution("label_replace expects a vector".into())),
        },
    })
}

fn finish_range(acc: RangeAcc, op: RangeOp, param: Option<f64>, unwrapped: bool, absent: &Labels) -> Vec<SeriesV> {
    let steps = acc.steps;
    let window = acc.window;
    let mut out = Vec::with_capacity(acc.series.len());
    for (key, s) in acc.series {
        let vals = match s {
            SeriesAcc::Diff(cells) => range::prefix(&cells, steps.n)
                .into_iter()
                .map(|(count, sum)| (count > 0).then(|| range::additive_value(op, unwrapped, count, sum, window.range)))
                .collect(),
            SeriesAcc::Samples(mut v) => {
                v.sort_by_key(|s| (s.0, s.1));
                sampled::sample_values(op, param, &v, &steps, &window)
            }
        };
        out.push(SeriesV { labels: labels_from_key(&key), vals });
    }
    let out = non_empty(out);
    if op == RangeOp::AbsentOverTime {
        let vals: Vec<Option<f64>> = (0..steps.n).map(|k| (!out.iter().any(|s| s.vals[k].is_some())).then_some(1.0)).collect();
        return non_empty(vec![SeriesV { labels: absent.clone(), vals }]);
    }
    out
}

/// Whether the query orders an instant vector by value (`sort`/`sort_desc`
/// anywhere in it), so labels must not reorder it.
pub fn sorts_by_value(expr: &SampleExpr) -> bool {
    match expr {
        SampleExpr::Vector(v) => matches!(v.op, VectorOp::Sort | VectorOp::SortDesc) || sorts_by_value(&v.inner),
        SampleExpr::BinOp(b) => sorts_by_value(&b.lhs) || sorts_by_value(&b.rhs),
        SampleExpr::LabelReplace(l) => sorts_by_value(&l.inner),
        _ => false,
    }
}

fn series_limit() -> BackendError {
    BackendError::Execution(format!(
        "maximum number of series ({MAX_SERIES}) reached for a single query; consider reducing query cardinality by adding more specific stream selectors, reducing the time range, or aggregating results with functions like sum(), count() or topk()"
    ))
}

fn ms(t: i64) -> i64 {
    t / 1_000_000
}

/// The answer of an instant query.
pub fn instant_result(v: Val, t: i64, by_value: bool) -> Result<QueryResult, BackendError> {
    match v {
        Val::Scalar(x) => Ok(QueryResult::Scalar(Point { ts_ms: ms(t), value: x })),
        Val::Mat(m) => {
            let mut out: Vec<Sample> = m
                .into_iter()
                .filter_map(|s| s.vals.first().copied().flatten().map(|v| Sample { metric: s.labels, point: Point { ts_ms: ms(t), value: v } }))
                .collect();
            if out.len() > MAX_SERIES {
                return Err(series_limit());
            }
            if !by_value {
                out.sort_by(|a, b| a.metric.cmp(&b.metric));
            }
            Ok(QueryResult::Vector(out))
        }
    }
}

/// The answer of a range query.
pub fn range_result(v: Val, steps: &Steps) -> Result<QueryResult, BackendError> {
    let m = match v {
        Val::Scalar(x) => vec![SeriesV { labels: Labels::new(), vals: vec![Some(x); steps.n] }],
        Val::Mat(m) => m,
    };
    let mut merged: std::collections::BTreeMap<Labels, Vec<Point>> = std::collections::BTreeMap::new();
    for s in m {
        let pts = merged.entry(s.labels).or_default();
        for (k, v) in s.vals.iter().enumerate() {
            if let Some(v) = v {
                pts.push(Point { ts_ms: ms(steps.at(k)), value: *v });
            }
        }
        if merged.len() > MAX_SERIES {
            return Err(series_limit());
        }
    }
    Ok(QueryResult::Matrix(
        merged
            .into_iter()
            .filter(|(_, p)| !p.is_empty())
            .map(|(metric, mut points)| {
                points.sort_by_key(|p| p.ts_ms);
                Series { metric, points }
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::Matcher;

    #[test]
    fn absent_labels_like_loki() {
        let m = |n: &str, op, v: &str| Matcher { name: n.into(), op, value: v.into() };
        let l = absent_labels(&[m("app", MatchOp::Eq, "x"), m("level", MatchOp::Re, "a.*"), m("c", MatchOp::Eq, "1"), m("c", MatchOp::Eq, "2")]);
        assert_eq!(l.len(), 1);
        assert_eq!(l["app"], "x");
    }

    #[test]
    fn results_sort_and_limit() {
        let s = |a: &str, v: f64| SeriesV { labels: [("a".to_string(), a.to_string())].into(), vals: vec![Some(v)] };
        let r = instant_result(Val::Mat(vec![s("b", 1.0), s("a", 2.0)]), 1_000_000_000, false).unwrap();
        let QueryResult::Vector(v) = r else { panic!() };
        assert_eq!(v[0].metric["a"], "a");
        let many: Vec<SeriesV> = (0..501).map(|i| s(&i.to_string(), 1.0)).collect();
        assert!(instant_result(Val::Mat(many), 0, false).is_err());
        let steps = Steps { start: 0, step: 1_000_000_000, n: 3 };
        let QueryResult::Matrix(m) = range_result(Val::Scalar(2.0), &steps).unwrap() else { panic!() };
        assert_eq!(m[0].points.len(), 3);
        assert_eq!(m[0].points[2].ts_ms, 2000);
    }
}
