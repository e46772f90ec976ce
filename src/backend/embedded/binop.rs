//! Binary operations between scalars and series, step by step as Loki's
//! `BinOpStepEvaluator`: arithmetic (division by zero is NaN), comparisons
//! (filtering, or 0/1 with `bool`), `and`/`or`/`unless`, and vector
//! matching with `on`/`ignoring` and `group_left`/`group_right`.

use std::collections::HashMap;

use crate::backend::BackendError;
use crate::logql::value::Labels;
use crate::logql::{BinOpKind, GroupSide, VectorMatching};

use super::series::{Collector, SeriesV, Val, key_of};

/// `left op right`; `None` when a filtering comparison is false.
pub fn merge(op: BinOpKind, l: f64, r: f64, filter: bool) -> Option<f64> {
    let cmp = |c: bool| -> Option<f64> {
        if c {
            Some(1.0)
        } else if filter {
            None
        } else {
            Some(0.0)
        }
    };
    match op {
        BinOpKind::Add => Some(l + r),
        BinOpKind::Sub => Some(l - r),
        BinOpKind::Mul => Some(l * r),
        BinOpKind::Div => Some(if r == 0.0 { f64::NAN } else { l / r }),
        BinOpKind::Mod => Some(if r == 0.0 { f64::NAN } else { l % r }),
        BinOpKind::Pow => Some(l.powf(r)),
        BinOpKind::Eq => cmp(l == r),
        BinOpKind::Neq => cmp(l != r),
        BinOpKind::Gt => cmp(l > r),
        BinOpKind::Ge => cmp(l >= r),
        BinOpKind::Lt => cmp(l < r),
        BinOpKind::Le => cmp(l <= r),
        BinOpKind::Or | BinOpKind::And | BinOpKind::Unless => None,
    }
}

fn set_op_error(op: BinOpKind) -> BackendError {
    BackendError::Execution(format!("unexpected literal for leg of logical/set binary operation ({})", op.symbol()))
}

/// Evaluates `lhs op rhs` over `n` steps.
pub fn eval(op: BinOpKind, lhs: Val, rhs: Val, return_bool: bool, matching: Option<&VectorMatching>, n: usize) -> Result<Val, BackendError> {
    let filter = !return_bool;
    match (lhs, rhs) {
        (Val::Scalar(a), Val::Scalar(b)) => {
            if op.is_set() {
                return Err(set_op_error(op));
            }
            Ok(Val::Scalar(merge(op, a, b, false).unwrap_or(f64::NAN)))
        }
        (Val::Scalar(a), Val::Mat(m)) => literal(op, a, m, true, filter),
        (Val::Mat(m), Val::Scalar(b)) => literal(op, b, m, false, filter),
        (Val::Mat(l), Val::Mat(r)) => {
            let sig = |s: &SeriesV| signature(&s.labels, matching);
            let lsig: Vec<String> = l.iter().map(sig).collect();
            let rsig: Vec<String> = r.iter().map(sig).collect();
            match op {
                BinOpKind::And | BinOpKind::Or | BinOpKind::Unless => Ok(Val::Mat(set_op(op, l, r, &lsig, &rsig, n))),
                _ => Ok(Val::Mat(vector_binop(op, &l, &r, &lsig, &rsig, matching, filter, n)?)),
            }
        }
    }
}

/// A literal against series; `lit_left` when the literal is the left operand.
fn literal(op: BinOpKind, lit: f64, m: Vec<SeriesV>, lit_left: bool, filter: bool) -> Result<Val, BackendError> {
    if op.is_set() {
        return Err(set_op_error(op));
    }
    let cmp = op.is_comparison();
    let out = m
        .into_iter()
        .map(|mut s| {
            for v in s.vals.iter_mut() {
                if let Some(x) = *v {
                    let (l, r) = if lit_left { (lit, x) } else { (x, lit) };
                    *v = match merge(op, l, r, filter) {
                        // A filtering comparison keeps the series' own value.
                        Some(_) if cmp && filter => Some(x),
                        other => other,
                    };
                }
            }
            s
        })
        .collect();
    Ok(Val::Mat(out))
}

fn signature(l: &Labels, m: Option<&VectorMatching>) -> String {
    match m {
        None => key_of(l),
        Some(vm) if vm.on => key_of(&l.iter().filter(|(n, _)| vm.labels.contains(n)).map(|(a, b)| (a.clone(), b.clone())).collect()),
        Some(vm) => key_of(&l.iter().filter(|(n, _)| !vm.labels.contains(n)).map(|(a, b)| (a.clone(), b.clone())).collect()),
    }
}

fn set_op(op: BinOpKind, l: Vec<SeriesV>, r: Vec<SeriesV>, lsig: &[String], rsig: &[String], n: usize) -> Vec<SeriesV> {
    let mut lo: Vec<SeriesV> = l.iter().map(|s| SeriesV { labels: s.labels.clone(), vals: vec![None; n] }).collect();
    let mut ro: Vec<SeriesV> = r.iter().map(|s| SeriesV { labels: s.labels.clone(), vals: vec![None; n] }).collect();
    for k in 0..n {
        let lp: Vec<usize> = (0..l.len()).filter(|&i| l[i].vals[k].is_some()).collect();
        let rp: Vec<usize> = (0..r.len()).filter(|&i| r[i].vals[k].is_some()).collect();
        let rs: std::collections::HashSet<&str> = rp.iter().map(|&i| rsig[i].as_str()).collect();
        match op {
            BinOpKind::And => {
                if lp.is_empty() || rp.is_empty() {
                    continue;
                }
                for &i in &lp {
                    if rs.contains(lsig[i].as_str()) {
                        lo[i].vals[k] = l[i].vals[k];
                    }
                }
            }
            BinOpKind::Or => {
                let ls: std::collections::HashSet<&str> = lp.iter().map(|&i| lsig[i].as_str()).collect();
                for &i in &lp {
                    lo[i].vals[k] = l[i].vals[k];
                }
                for &i in &rp {
                    if lp.is_empty() || !ls.contains(rsig[i].as_str()) {
                        ro[i].vals[k] = r[i].vals[k];
                    }
                }
            }
            _ => {
                for &i in &lp {
                    if rp.is_empty() || !rs.contains(lsig[i].as_str()) {
                        lo[i].vals[k] = l[i].vals[k];
                    }
                }
            }
        }
    }
    lo.extend(ro);
    lo
}

#[allow(clippy::too_many_arguments)]
fn vector_binop(
    op: BinOpKind,
    l: &[SeriesV],
    r: &[SeriesV],
    lsig: &[String],
    rsig: &[String],
    matching: Option<&VectorMatching>,
    filter: bool,
    n: usize,
) -> Result<Vec<SeriesV>, BackendError> {
    let one_to_many = matches!(matching.and_then(|m| m.group.as_ref()), Some(GroupSide::Right(_)));
    let many_to_one = matches!(matching.and_then(|m| m.group.as_ref()), Some(GroupSide::Left(_)));
    let (many, one, msig, osig) = if one_to_many { (r, l, rsig, lsig) } else { (l, r, lsig, rsig) };
    let mut col = Collector::new(n);
    for k in 0..n {
        let mut right: HashMap<&str, usize> = HashMap::new();
        for (i, s) in one.iter().enumerate() {
            if s.vals[k].is_none() {
                continue;
            }
            if right.insert(osig[i].as_str(), i).is_some() {
                let side = if one_to_many { "left" } else { "right" };
                return Err(BackendError::Execution(format!(
                    "found duplicate series on the {side} hand-side;many-to-many matching not allowed: matching labels must be unique on one side"
                )));
            }
        }
        let mut matched: HashMap<&str, Vec<String>> = HashMap::new();
        for (i, s) in many.iter().enumerate() {
            let Some(mv) = s.vals[k] else { continue };
            let Some(&j) = right.get(msig[i].as_str()) else { continue };
            let Some(ov) = one[j].vals[k] else { continue };
            let metric = result_metric(&s.labels, &one[j].labels, matching);
            let entry = matched.entry(msig[i].as_str()).or_default();
            if !one_to_many && !many_to_one {
                if !entry.is_empty() {
                    return Err(BackendError::Execution(
                        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)".into(),
                    ));
                }
                entry.push(String::new());
            } else {
                let mk = key_of(&metric);
                if entry.contains(&mk) {
                    return Err(BackendError::Execution("multiple matches for labels: grouping labels must ensure unique matches".into()));
                }
                entry.push(mk);
            }
            let (lv, rv) = if one_to_many { (ov, mv) } else { (mv, ov) };
            let v = match merge(op, lv, rv, filter) {
                None => continue,
                Some(_) if op.is_comparison() && filter => lv,
                Some(v) => v,
            };
            col.put(&metric, k, v);
        }
    }
    Ok(col.finish())
}

/// Loki's `resultMetric`: the "many" side's labels, reduced for one-to-one
/// `on`/`ignoring`, with `group_x` labels copied from the "one" side.
fn result_metric(many: &Labels, one: &Labels, matching: Option<&VectorMatching>) -> Labels {
    let mut out = many.clone();
    let Some(m) = matching else { return out };
    let include: &[String] = match &m.group {
        None => {
            if m.on {
                out.retain(|n, _| m.labels.contains(n));
            } else {
                out.retain(|n, _| !m.labels.contains(n));
            }
            &[]
        }
        Some(GroupSide::Left(inc)) | Some(GroupSide::Right(inc)) => inc,
    };
    for ln in include {
        match one.get(ln).filter(|v| !v.is_empty()) {
            Some(v) => {
                out.insert(ln.clone(), v.clone());
            }
            None => {
                out.remove(ln);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(pairs: &[(&str, &str)], vals: &[Option<f64>]) -> SeriesV {
        SeriesV { labels: pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(), vals: vals.to_vec() }
    }

    fn mat(v: Val) -> Vec<SeriesV> {
        match v {
            Val::Mat(m) => m,
            Val::Scalar(_) => panic!("scalar"),
        }
    }

    #[test]
    fn scalars_and_literals() {
        assert!(matches!(eval(BinOpKind::Div, Val::Scalar(1.0), Val::Scalar(0.0), false, None, 1).unwrap(), Val::Scalar(v) if v.is_nan()));
        let m = vec![s(&[("a", "1")], &[Some(3.0), Some(10.0)])];
        let gt = mat(eval(BinOpKind::Gt, Val::Mat(m.clone()), Val::Scalar(5.0), false, None, 2).unwrap());
        assert_eq!(gt[0].vals, vec![None, Some(10.0)]);
        let b = mat(eval(BinOpKind::Gt, Val::Mat(m.clone()), Val::Scalar(5.0), true, None, 2).unwrap());
        assert_eq!(b[0].vals, vec![Some(0.0), Some(1.0)]);
        let inv = mat(eval(BinOpKind::Lt, Val::Scalar(5.0), Val::Mat(m.clone()), false, None, 2).unwrap());
        assert_eq!(inv[0].vals, vec![None, Some(10.0)]);
        let sub = mat(eval(BinOpKind::Sub, Val::Scalar(1.0), Val::Mat(m), false, None, 2).unwrap());
        assert_eq!(sub[0].vals, vec![Some(-2.0), Some(-9.0)]);
    }

    #[test]
    fn vector_matching() {
        let l = vec![s(&[("a", "1"), ("x", "p")], &[Some(6.0)]), s(&[("a", "2"), ("x", "q")], &[Some(8.0)])];
        let r = vec![s(&[("a", "1")], &[Some(2.0)]), s(&[("a", "2")], &[Some(4.0)])];
        let on = VectorMatching { on: true, labels: vec!["a".into()], group: None };
        let d = mat(eval(BinOpKind::Div, Val::Mat(l.clone()), Val::Mat(r.clone()), false, Some(&on), 1).unwrap());
        assert_eq!(d.len(), 2);
        assert!(d.iter().all(|x| x.vals[0] == Some(3.0) || x.vals[0] == Some(2.0)));
        assert!(d.iter().all(|x| !x.labels.contains_key("x")));
        // Without matching the label sets differ: nothing matches.
        assert!(mat(eval(BinOpKind::Div, Val::Mat(l.clone()), Val::Mat(r.clone()), false, None, 1).unwrap()).is_empty());
        let gl = VectorMatching { on: true, labels: vec![], group: Some(GroupSide::Left(vec![])) };
        let e = eval(BinOpKind::Div, Val::Mat(l.clone()), Val::Mat(r.clone()), false, Some(&gl), 1).unwrap_err();
        assert!(e.to_string().contains("found duplicate series on the right hand-side;many-to-many matching not allowed"));
        let one = vec![s(&[("k", "v")], &[Some(2.0)])];
        let ok = mat(eval(BinOpKind::Mul, Val::Mat(l.clone()), Val::Mat(one), false, Some(&gl), 1).unwrap());
        assert_eq!(ok.len(), 2);
        assert!(ok[0].labels.contains_key("x"));
    }

    #[test]
    fn set_ops() {
        let l = vec![s(&[("a", "1")], &[Some(1.0), None])];
        let r = vec![s(&[("a", "1")], &[Some(9.0), Some(9.0)]), s(&[("a", "2")], &[Some(7.0), None])];
        let or = mat(eval(BinOpKind::Or, Val::Mat(l.clone()), Val::Mat(r.clone()), false, None, 2).unwrap());
        let vals: Vec<_> = or.iter().map(|x| x.vals.clone()).collect();
        assert!(vals.contains(&vec![Some(1.0), None]));
        assert!(vals.contains(&vec![None, Some(9.0)]));
        assert!(vals.contains(&vec![Some(7.0), None]));
        let and = mat(eval(BinOpKind::And, Val::Mat(l.clone()), Val::Mat(r.clone()), false, None, 2).unwrap());
        assert_eq!(and[0].vals, vec![Some(1.0), None]);
        let unless = mat(eval(BinOpKind::Unless, Val::Mat(r), Val::Mat(l), false, None, 2).unwrap());
        assert_eq!(unless[0].vals, vec![None, Some(9.0)]);
        assert!(eval(BinOpKind::Or, Val::Scalar(1.0), Val::Scalar(2.0), false, None, 1).is_err());
    }

}
