//! Range aggregations that need their samples (min, max, first, last,
//! stddev, stdvar, quantile, rate_counter), evaluated per step over the
//! sorted samples of a series with a sliding window.

use crate::logql::RangeOp;

use super::range::{Steps, Window};

/// Per-step values of a sample-keeping op over sorted samples.
pub fn sample_values(op: RangeOp, param: Option<f64>, samples: &[(i64, u64, f64)], steps: &Steps, w: &Window) -> Vec<Option<f64>> {
    let mut out = Vec::with_capacity(steps.n);
    let mut lo = 0usize;
    let mut hi = 0usize;
    let mut maxq: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut minq: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut scratch: Vec<f64> = Vec::new();
    for k in 0..steps.n {
        let end = steps.at(k).saturating_sub(w.offset);
        let start = end.saturating_sub(w.range);
        while hi < samples.len() && samples[hi].0 <= end {
            let v = samples[hi].2;
            if !v.is_nan() {
                while maxq.back().is_some_and(|&j| samples[j].2 <= v) {
                    maxq.pop_back();
                }
                maxq.push_back(hi);
                while minq.back().is_some_and(|&j| samples[j].2 >= v) {
                    minq.pop_back();
                }
                minq.push_back(hi);
            }
            hi += 1;
        }
        while lo < hi && samples[lo].0 <= start {
            lo += 1;
        }
        while maxq.front().is_some_and(|&j| j < lo) {
            maxq.pop_front();
        }
        while minq.front().is_some_and(|&j| j < lo) {
            minq.pop_front();
        }
        if lo >= hi {
            out.push(None);
            continue;
        }
        let win = &samples[lo..hi];
        let v = match op {
            RangeOp::MaxOverTime => maxq.front().map_or(f64::NAN, |&j| samples[j].2),
            RangeOp::MinOverTime => minq.front().map_or(f64::NAN, |&j| samples[j].2),
            RangeOp::FirstOverTime => win[0].2,
            RangeOp::LastOverTime => win[win.len() - 1].2,
            RangeOp::StdvarOverTime | RangeOp::StddevOverTime => {
                let (mut aux, mut count, mut mean) = (0.0f64, 0.0f64, 0.0f64);
                for s in win {
                    count += 1.0;
                    let delta = s.2 - mean;
                    mean += delta / count;
                    aux += delta * (s.2 - mean);
                }
                if op == RangeOp::StddevOverTime { (aux / count).sqrt() } else { aux / count }
            }
            RangeOp::QuantileOverTime => {
                scratch.clear();
                scratch.extend(win.iter().map(|s| s.2));
                quantile(param.unwrap_or(0.0), &mut scratch)
            }
            RangeOp::RateCounter => extrapolated_rate(win, w.range),
            _ => f64::NAN,
        };
        out.push(Some(v));
    }
    out
}

/// Prometheus' quantile (sorts `values`).
pub fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

/// Loki's `extrapolatedRate` for `rate_counter`, unit quirks included (its
/// sample times are nanoseconds while the range is taken in milliseconds).
fn extrapolated_rate(win: &[(i64, u64, f64)], range_ns: i64) -> f64 {
    if win.len() < 2 {
        return 0.0;
    }
    let first = win[0];
    let last = win[win.len() - 1];
    let range_start = first.0 - range_ns / 1_000_000;
    let range_end = last.0;
    let mut result = last.2 - first.2;
    let mut last_value = 0.0f64;
    for s in win {
        if s.2 < last_value {
            result += last_value;
        }
        last_value = s.2;
    }
    let mut to_start = (first.0 - range_start) as f64 / 1000.0;
    let to_end = (range_end - last.0) as f64 / 1000.0;
    let sampled = (last.0 - first.0) as f64 / 1000.0;
    let avg = sampled / (win.len() - 1) as f64;
    if result > 0.0 && first.2 >= 0.0 {
        let to_zero = sampled * (first.2 / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = avg * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold { to_start } else { avg / 2.0 };
    interval += if to_end < threshold { to_end } else { avg / 2.0 };
    result *= interval / sampled;
    result / (range_ns as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_ops() {
        let s: Vec<(i64, u64, f64)> = vec![(1, 0, 5.0), (2, 1, 1.0), (3, 2, 9.0), (4, 3, 3.0)];
        let steps = Steps { start: 2, step: 1, n: 3 };
        let w = Window { range: 2, offset: 0 };
        assert_eq!(sample_values(RangeOp::MaxOverTime, None, &s, &steps, &w), vec![Some(5.0), Some(9.0), Some(9.0)]);
        assert_eq!(sample_values(RangeOp::MinOverTime, None, &s, &steps, &w), vec![Some(1.0), Some(1.0), Some(3.0)]);
        assert_eq!(sample_values(RangeOp::FirstOverTime, None, &s, &steps, &w), vec![Some(5.0), Some(1.0), Some(9.0)]);
        let mut v = vec![3.0, 1.0, 2.0, 4.0];
        assert!((quantile(0.9, &mut v) - 3.7).abs() < 1e-12);
        assert_eq!(sample_values(RangeOp::StdvarOverTime, None, &s, &steps, &w)[0], Some(4.0));
    }

}
