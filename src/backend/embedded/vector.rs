//! Vector aggregations (`sum`, `avg`, `min`, `max`, `count`, `stddev`,
//! `stdvar`, `topk`, `bottomk`, `sort`, `sort_desc`) with `by`/`without`,
//! and `label_replace`, step by step as Loki's evaluator does.

use regex::Regex;

use crate::logql::VectorOp;
use crate::logql::value::Labels;

use super::series::{Collector, SeriesV, key_of};

/// The labels a series is grouped under.
fn group_labels(l: &Labels, groups: &[String], without: bool) -> Labels {
    if without {
        l.iter().filter(|(n, _)| !groups.contains(n) && n.as_str() != "__name__").map(|(n, v)| (n.clone(), v.clone())).collect()
    } else {
        l.iter().filter(|(n, _)| groups.contains(n)).map(|(n, v)| (n.clone(), v.clone())).collect()
    }
}

#[derive(Clone, Copy)]
struct Acc {
    value: f64,
    mean: f64,
    count: u64,
}

/// Aggregates `input` per step. `k` is the parameter of topk/bottomk.
pub fn aggregate(op: VectorOp, param: Option<f64>, groups: &[String], without: bool, input: Vec<SeriesV>, n: usize) -> Vec<SeriesV> {
    // Group index of each series, and the group's labels.
    let mut gindex: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut glabels: Vec<Labels> = Vec::new();
    let mut of: Vec<usize> = Vec::with_capacity(input.len());
    let grouped = !matches!(op, VectorOp::Sort | VectorOp::SortDesc);
    for s in &input {
        let gl = if grouped { group_labels(&s.labels, groups, without) } else { Labels::new() };
        let key = key_of(&gl);
        let gi = *gindex.entry(key).or_insert_with(|| {
            glabels.push(gl);
            glabels.len() - 1
        });
        of.push(gi);
    }
    match op {
        VectorOp::Topk | VectorOp::Bottomk => {
            let k = param.unwrap_or(0.0) as i64;
            if k < 1 {
                return Vec::new();
            }
            let mut out: Vec<SeriesV> = input.iter().map(|s| SeriesV { labels: s.labels.clone(), vals: vec![None; n] }).collect();
            for step in 0..n {
                let mut per: Vec<Vec<(f64, usize)>> = vec![Vec::new(); glabels.len()];
                for (i, s) in input.iter().enumerate() {
                    if let Some(v) = s.vals.get(step).copied().flatten() {
                        per[of[i]].push((v, i));
                    }
                }
                for mut cands in per {
                    let top = op == VectorOp::Topk;
                    // NaN loses in both directions; ties keep input order.
                    cands.sort_by(|a, b| {
                        let (x, y) = (a.0, b.0);
                        match (x.is_nan(), y.is_nan()) {
                            (true, true) => std::cmp::Ordering::Equal,
                            (true, false) => std::cmp::Ordering::Greater,
                            (false, true) => std::cmp::Ordering::Less,
                            _ if top => y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal),
                            _ => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
                        }
                    });
                    for (v, i) in cands.into_iter().take(k as usize) {
                        out[i].vals[step] = Some(v);
                    }
                }
            }
            out
        }
        VectorOp::Sort | VectorOp::SortDesc => {
            let mut out = input;
            if n == 1 {
                let desc = op == VectorOp::SortDesc;
                out.sort_by(|a, b| {
                    let (x, y) = (a.vals[0].unwrap_or(f64::NAN), b.vals[0].unwrap_or(f64::NAN));
                    let o = x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal);
                    if desc { o.reverse() } else { o }
                });
            }
            out
        }
        _ => {
            let mut col = Collector::new(n);
            for step in 0..n {
                let mut accs: Vec<Option<Acc>> = vec![None; glabels.len()];
                for (i, s) in input.iter().enumerate() {
                    let Some(v) = s.vals.get(step).copied().flatten() else { continue };
                    let slot = &mut accs[of[i]];
                    match slot {
                        None => {
                            let value = if matches!(op, VectorOp::Stddev | VectorOp::Stdvar) { 0.0 } else { v };
                            *slot = Some(Acc { value, mean: v, count: 1 });
                        }
                        Some(a) => match op {
                            VectorOp::Sum => a.value += v,
                            VectorOp::Avg => {
                                a.count += 1;
                                a.mean += (v - a.mean) / a.count as f64;
                            }
                            VectorOp::Max if a.value < v || a.value.is_nan() => a.value = v,
                            VectorOp::Min if a.value > v || a.value.is_nan() => a.value = v,
                            VectorOp::Count => a.count += 1,
                            VectorOp::Stddev | VectorOp::Stdvar => {
                                a.count += 1;
                                let delta = v - a.mean;
                                a.mean += delta / a.count as f64;
                                a.value += delta * (v - a.mean);
                            }
                            _ => {}
                        },
                    }
                }
                for (gi, a) in accs.into_iter().enumerate() {
                    let Some(a) = a else { continue };
                    let v = match op {
                        VectorOp::Avg => a.mean,
                        VectorOp::Count => a.count as f64,
                        VectorOp::Stddev => (a.value / a.count as f64).sqrt(),
                        VectorOp::Stdvar => a.value / a.count as f64,
                        _ => a.value,
                    };
                    col.put(&glabels[gi], step, v);
                }
            }
            col.finish()
        }
    }
}

/// `label_replace(v, dst, replacement, src, regex)`; `re` is anchored.
pub fn label_replace(input: Vec<SeriesV>, dst: &str, replacement: &str, src: &str, re: &Regex) -> Vec<SeriesV> {
    let n = input.first().map_or(0, |s| s.vals.len());
    let mut col = Collector::new(n);
    for s in input {
        let sv = s.labels.get(src).map_or("", String::as_str);
        let labels = match re.captures(sv) {
            None => s.labels.clone(),
            Some(c) => {
                let mut res = String::new();
                c.expand(replacement, &mut res);
                let mut l = s.labels.clone();
                l.remove(dst);
                if !res.is_empty() {
                    l.insert(dst.to_string(), res);
                }
                l
            }
        };
        for (k, v) in s.vals.iter().enumerate() {
            if let Some(v) = v {
                col.put(&labels, k, *v);
            }
        }
    }
    col.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(pairs: &[(&str, &str)], vals: &[Option<f64>]) -> SeriesV {
        SeriesV { labels: pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(), vals: vals.to_vec() }
    }

    #[test]
    fn sum_by_and_count() {
        let input = vec![
            s(&[("a", "1"), ("b", "x")], &[Some(1.0), None]),
            s(&[("a", "1"), ("b", "y")], &[Some(2.0), Some(5.0)]),
            s(&[("a", "2")], &[Some(4.0), None]),
            s(&[("b", "z")], &[Some(8.0), None]),
        ];
        let out = aggregate(VectorOp::Sum, None, &["a".into()], false, input.clone(), 2);
        let one: Labels = [("a".to_string(), "1".to_string())].into();
        let g1 = out.iter().find(|x| x.labels == one).unwrap();
        assert_eq!(g1.vals, vec![Some(3.0), Some(5.0)]);
        // Series without the label group under {}.
        assert!(out.iter().any(|x| x.labels.is_empty() && x.vals[0] == Some(8.0)));
        let c = aggregate(VectorOp::Count, None, &[], false, input.clone(), 2);
        assert_eq!(c[0].vals, vec![Some(4.0), Some(1.0)]);
        let w = aggregate(VectorOp::Max, None, &["b".into()], true, input, 2);
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn topk_ties_keep_first() {
        let input = vec![s(&[("a", "1")], &[Some(5.0)]), s(&[("a", "2")], &[Some(5.0)]), s(&[("a", "3")], &[Some(1.0)])];
        let out = aggregate(VectorOp::Topk, Some(1.0), &[], false, input.clone(), 1);
        let kept: Vec<_> = out.iter().filter(|x| x.vals[0].is_some()).map(|x| x.labels["a"].clone()).collect();
        assert_eq!(kept, ["1"]);
        let b = aggregate(VectorOp::Bottomk, Some(2.0), &[], false, input.clone(), 1);
        assert_eq!(b.iter().filter(|x| x.vals[0].is_some()).count(), 2);
        assert!(aggregate(VectorOp::Topk, Some(0.0), &[], false, input, 1).is_empty());
    }

    #[test]
    fn stddev_and_replace() {
        let input = vec![s(&[("a", "1")], &[Some(2.0)]), s(&[("a", "2")], &[Some(4.0)])];
        assert_eq!(aggregate(VectorOp::Stdvar, None, &[], false, input.clone(), 1)[0].vals[0], Some(1.0));
        assert_eq!(aggregate(VectorOp::Avg, None, &[], false, input.clone(), 1)[0].vals[0], Some(3.0));
        let re = Regex::new("^(?:(\\d))$").unwrap();
        let r = label_replace(input, "b", "v$1", "a", &re);
        assert_eq!(r[0].labels["b"], "v1");
    }
}
