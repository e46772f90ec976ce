//! Values of metric expressions over the query's steps: a scalar (a number
//! literal) or a set of series, each with an optional value per step.

use crate::logql::value::Labels;

/// One series over all steps.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesV {
    pub labels: Labels,
    pub vals: Vec<Option<f64>>,
}

/// The value of a metric expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Scalar(f64),
    Mat(Vec<SeriesV>),
}

/// A label set as a map key (`name\x01value\x02...`).
pub fn key_of(l: &Labels) -> String {
    let mut k = String::new();
    for (n, v) in l {
        k.push_str(n);
        k.push('\u{1}');
        k.push_str(v);
        k.push('\u{2}');
    }
    k
}

/// Series with at least one point.
pub fn non_empty(series: Vec<SeriesV>) -> Vec<SeriesV> {
    series.into_iter().filter(|s| s.vals.iter().any(Option::is_some)).collect()
}

/// Collects (labels, step, value) results into series, one per label set
/// (a later value at the same step replaces an earlier one).
pub struct Collector {
    n: usize,
    index: std::collections::HashMap<String, usize>,
    out: Vec<SeriesV>,
}

impl Collector {
    pub fn new(n: usize) -> Self {
        Self { n, index: std::collections::HashMap::new(), out: Vec::new() }
    }

    pub fn put(&mut self, labels: &Labels, k: usize, v: f64) {
        let key = key_of(labels);
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.out.push(SeriesV { labels: labels.clone(), vals: vec![None; self.n] });
                self.index.insert(key, self.out.len() - 1);
                self.out.len() - 1
            }
        };
        if let Some(slot) = self.out[i].vals.get_mut(k) {
            *slot = Some(v);
        }
    }

    pub fn finish(self) -> Vec<SeriesV> {
        self.out
    }
}
