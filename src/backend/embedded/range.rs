//! Range aggregations (`count_over_time`, `rate`, `quantile_over_time`...)
//! over Loki's windows: at each step `t` the window is `(t - offset - range,
//! t - offset]` (open at the start, closed at the end).
//!
//! Additive operations never keep samples: each sample adds its value to the
//! steps whose window holds it through a difference array per series
//! (sparse while the series is small), in double-double so prefix sums stay
//! exact. Operations that need the samples themselves (min, max, quantile,
//! stddev, first, last, rate_counter) keep them, within a budget, and are
//! evaluated in [`super::sampled`].

use std::sync::atomic::{AtomicUsize, Ordering};

use rustc_hash::FxHashMap;

use crate::backend::BackendError;
use crate::logql::RangeOp;

/// The evaluation steps of a query: `start + k * step` for `k < n`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Steps {
    pub start: i64,
    pub step: i64,
    pub n: usize,
}

impl Steps {
    pub fn instant(t: i64) -> Self {
        Self { start: t, step: 1, n: 1 }
    }

    pub fn at(&self, k: usize) -> i64 {
        self.start.saturating_add((k as i64).saturating_mul(self.step))
    }

    pub fn end(&self) -> i64 {
        self.at(self.n.saturating_sub(1))
    }
}

/// A range and offset in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub range: i64,
    pub offset: i64,
}

fn ceil_div(a: i64, b: i64) -> i64 {
    -((-a).div_euclid(b))
}

/// The steps whose window holds a sample at `ts` (inclusive bounds).
#[inline]
pub fn span(steps: &Steps, w: &Window, ts: i64) -> Option<(usize, usize)> {
    // t - offset - range < ts <= t - offset  <=>  ts + offset <= t < ts + offset + range
    let lo_t = ts.saturating_add(w.offset);
    let hi_t = lo_t.saturating_add(w.range);
    let k_lo = ceil_div(lo_t.saturating_sub(steps.start), steps.step).max(0);
    let k_hi = (ceil_div(hi_t.saturating_sub(steps.start), steps.step) - 1).min(steps.n as i64 - 1);
    (k_lo <= k_hi).then_some((k_lo as usize, k_hi as usize))
}

/// The time range of samples a query reads: `(lo, hi]`.
pub fn read_range(steps: &Steps, w: &Window) -> (i64, i64) {
    (steps.start.saturating_sub(w.offset).saturating_sub(w.range), steps.end().saturating_sub(w.offset))
}

/// Error-free double-double accumulator.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Dd {
    hi: f64,
    lo: f64,
}

impl Dd {
    #[inline]
    pub fn add(&mut self, x: f64) {
        let s = self.hi + x;
        let bp = s - self.hi;
        let err = (self.hi - (s - bp)) + (x - bp);
        self.hi = s;
        self.lo += err;
    }

    pub fn add_dd(&mut self, o: Dd) {
        self.add(o.hi);
        self.add(o.lo);
    }

    pub fn value(&self) -> f64 {
        self.hi + self.lo
    }
}

/// One difference-array cell.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cell {
    pub count: i64,
    pub sum: Dd,
}

/// A series' difference array: sparse entries until it pays to go dense;
/// dense as counts only when the op needs no sums.
#[derive(Debug, Clone)]
pub enum Cells {
    Sparse(Vec<(u32, Cell)>),
    Dense(Vec<Cell>),
    Counts(Vec<i64>),
}

const SPARSE_BYTES: usize = std::mem::size_of::<(u32, Cell)>();
const CELL_BYTES: usize = std::mem::size_of::<Cell>();
const SAMPLE_BYTES: usize = std::mem::size_of::<(i64, u64, f64)>();

impl Cells {
    fn add_at(&mut self, k: usize, c: &Cell) {
        match self {
            Cells::Sparse(l) => l.push((k as u32, *c)),
            Cells::Dense(d) => {
                if let Some(x) = d.get_mut(k) {
                    add_cell(x, c);
                }
            }
            Cells::Counts(d) => {
                if let Some(x) = d.get_mut(k) {
                    *x += c.count;
                }
            }
        }
    }

    /// The dense form (`n1` cells).
    fn densify(&mut self, n1: usize, counts_only: bool) {
        let Cells::Sparse(list) = self else { return };
        let list = std::mem::take(list);
        *self = if counts_only { Cells::Counts(vec![0; n1]) } else { Cells::Dense(vec![Cell::default(); n1]) };
        for (k, c) in list {
            self.add_at(k as usize, &c);
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Cells::Sparse(l) => l.len() * SPARSE_BYTES,
            Cells::Dense(d) => d.len() * CELL_BYTES,
            Cells::Counts(d) => d.len() * 8,
        }
    }
}

/// How a range aggregation accumulates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Agg {
    /// count/sum through difference arrays.
    Additive,
    /// The samples are kept.
    Samples,
}

pub fn agg_kind(op: RangeOp) -> Agg {
    match op {
        RangeOp::CountOverTime
        | RangeOp::Rate
        | RangeOp::BytesOverTime
        | RangeOp::BytesRate
        | RangeOp::SumOverTime
        | RangeOp::AvgOverTime
        | RangeOp::AbsentOverTime => Agg::Additive,
        _ => Agg::Samples,
    }
}

/// Whether an additive op needs only line counts (no sums).
pub fn counts_only(op: RangeOp, unwrapped: bool) -> bool {
    matches!(op, RangeOp::CountOverTime | RangeOp::AbsentOverTime) || (op == RangeOp::Rate && !unwrapped)
}

/// Per-series accumulator.
#[derive(Debug, Clone)]
pub enum SeriesAcc {
    Diff(Cells),
    /// (ts, seq, value)
    Samples(Vec<(i64, u64, f64)>),
}

/// Memory the accumulators of one query hold, shared by its workers.
#[derive(Debug, Default)]
pub struct Budget {
    pub bytes: AtomicUsize,
}

/// Most bytes of difference arrays and kept samples one query may hold.
pub const MAX_BYTES: usize = 768 << 20;

impl Budget {
    fn take(&self, n: usize) -> Result<(), BackendError> {
        if self.bytes.fetch_add(n, Ordering::Relaxed) + n > MAX_BYTES {
            return Err(too_large());
        }
        Ok(())
    }

    fn give(&self, n: usize) {
        self.bytes.fetch_sub(n.min(self.bytes.load(Ordering::Relaxed)), Ordering::Relaxed);
    }
}

pub fn too_large() -> BackendError {
    BackendError::Execution(
        "the query would keep too much data in memory (too many series × steps, or too many samples for this range \
         function); narrow the selector, aggregate with sum by (...), use a larger step or a shorter range"
            .into(),
    )
}

/// The samples of one range aggregation, keyed by series.
#[derive(Debug)]
pub struct RangeAcc {
    pub kind: Agg,
    pub counts_only: bool,
    pub steps: Steps,
    pub window: Window,
    pub keys: FxHashMap<String, usize>,
    pub series: Vec<(String, SeriesAcc)>,
}

impl RangeAcc {
    pub fn new(kind: Agg, counts_only: bool, steps: Steps, window: Window) -> Self {
        Self { kind, counts_only, steps, window, keys: FxHashMap::default(), series: Vec::new() }
    }

    /// The index of a series (created when new).
    pub fn series_index(&mut self, key: &str) -> usize {
        if let Some(&i) = self.keys.get(key) {
            return i;
        }
        let i = self.series.len();
        let acc = match self.kind {
            Agg::Additive => SeriesAcc::Diff(Cells::Sparse(Vec::new())),
            Agg::Samples => SeriesAcc::Samples(Vec::new()),
        };
        self.series.push((key.to_string(), acc));
        self.keys.insert(key.to_string(), i);
        i
    }

    /// Adds a sample to series `i`. False when it falls in no window.
    pub fn add(&mut self, i: usize, ts: i64, seq: u64, v: f64, budget: &Budget) -> Result<bool, BackendError> {
        let Some((k_lo, k_hi)) = span(&self.steps, &self.window, ts) else { return Ok(false) };
        let n1 = self.steps.n + 1;
        let counts_only = self.counts_only;
        let Some((_, acc)) = self.series.get_mut(i) else { return Ok(false) };
        match acc {
            SeriesAcc::Diff(cells) => {
                let mut plus = Cell { count: 1, sum: Dd::default() };
                let mut minus = Cell { count: -1, sum: Dd::default() };
                if !counts_only {
                    plus.sum.add(v);
                    minus.sum.add(-v);
                }
                cells.add_at(k_lo, &plus);
                cells.add_at(k_hi + 1, &minus);
                if let Cells::Sparse(list) = cells {
                    budget.take(2 * SPARSE_BYTES)?;
                    if list.len() > n1 / 4 + 8 {
                        let before = cells.bytes();
                        cells.densify(n1, counts_only);
                        budget.give(before);
                        budget.take(cells.bytes())?;
                    }
                }
            }
            SeriesAcc::Samples(s) => {
                s.push((ts, seq, v));
                budget.take(SAMPLE_BYTES)?;
            }
        }
        Ok(true)
    }

    /// Merges another worker's accumulator into this one.
    pub fn merge(&mut self, other: RangeAcc) {
        let n1 = self.steps.n + 1;
        let counts_only = self.counts_only;
        for (key, acc) in other.series {
            let i = self.series_index(&key);
            let (_, mine) = &mut self.series[i];
            match (mine, acc) {
                (SeriesAcc::Diff(a), SeriesAcc::Diff(b)) => merge_cells(a, b, n1, counts_only),
                (SeriesAcc::Samples(a), SeriesAcc::Samples(mut b)) => a.append(&mut b),
                _ => {}
            }
        }
    }
}

fn add_cell(a: &mut Cell, b: &Cell) {
    a.count += b.count;
    a.sum.add_dd(b.sum);
}

fn merge_cells(a: &mut Cells, b: Cells, n1: usize, counts_only: bool) {
    match (a, b) {
        (Cells::Sparse(x), Cells::Sparse(mut y)) => x.append(&mut y),
        (a, Cells::Sparse(y)) => {
            for (k, c) in y {
                a.add_at(k as usize, &c);
            }
        }
        (a, mut b) => {
            a.densify(n1, counts_only);
            match (a, &mut b) {
                (Cells::Counts(x), Cells::Counts(y)) => {
                    for (p, q) in x.iter_mut().zip(y.iter()) {
                        *p += *q;
                    }
                }
                (Cells::Dense(x), Cells::Dense(y)) => {
                    for (p, q) in x.iter_mut().zip(y.iter()) {
                        add_cell(p, q);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Per-step (count, sum) of a difference array.
pub fn prefix(cells: &Cells, n: usize) -> Vec<(i64, f64)> {
    let mut out = Vec::with_capacity(n);
    match cells {
        Cells::Counts(d) => {
            let mut run = 0i64;
            for c in d.iter().take(n) {
                run += c;
                out.push((run, 0.0));
            }
        }
        Cells::Dense(d) => {
            let mut run = Cell::default();
            for c in d.iter().take(n) {
                add_cell(&mut run, c);
                out.push((run.count, run.sum.value()));
            }
        }
        Cells::Sparse(list) => {
            let mut d = vec![Cell::default(); n + 1];
            for (k, c) in list {
                if let Some(cell) = d.get_mut(*k as usize) {
                    add_cell(cell, c);
                }
            }
            return prefix(&Cells::Dense(d), n);
        }
    }
    out
}

/// The value of an additive op from a window's (count, sum).
pub fn additive_value(op: RangeOp, unwrapped: bool, count: i64, sum: f64, range_ns: i64) -> f64 {
    let secs = range_ns as f64 / 1e9;
    match op {
        RangeOp::CountOverTime => count as f64,
        RangeOp::Rate if unwrapped => sum / secs,
        RangeOp::Rate => count as f64 / secs,
        RangeOp::BytesOverTime | RangeOp::SumOverTime => sum,
        RangeOp::BytesRate => sum / secs,
        RangeOp::AvgOverTime => sum / count as f64,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000_000_000;

    #[test]
    fn windows_are_open_at_start_closed_at_end() {
        let steps = Steps { start: 10 * H, step: H, n: 3 };
        let w = Window { range: H, offset: 0 };
        // A sample exactly at a step belongs to that step only.
        assert_eq!(span(&steps, &w, 11 * H), Some((1, 1)));
        // Just after a step: the next one.
        assert_eq!(span(&steps, &w, 11 * H + 1), Some((2, 2)));
        assert_eq!(span(&steps, &w, 9 * H), None);
        assert_eq!(span(&steps, &w, 9 * H + 1), Some((0, 0)));
        let w2 = Window { range: 2 * H, offset: 0 };
        assert_eq!(span(&steps, &w2, 10 * H + 5), Some((1, 2)));
        let off = Window { range: H, offset: H };
        assert_eq!(span(&steps, &off, 10 * H), Some((1, 1)));
    }

    #[test]
    fn difference_arrays_count_exactly() {
        let steps = Steps { start: 0, step: 10, n: 100 };
        let w = Window { range: 25, offset: 0 };
        let budget = Budget::default();
        let mut a = RangeAcc::new(Agg::Additive, false, steps, w);
        let i = a.series_index("s");
        for ts in 0..1000 {
            a.add(i, ts, ts as u64, 0.1, &budget).unwrap();
        }
        let SeriesAcc::Diff(c) = &a.series[0].1 else { panic!() };
        let p = prefix(c, steps.n);
        // Window (t-25, t] holds 25 samples once t >= 25.
        assert_eq!(p[50].0, 25);
        assert!((p[50].1 - 2.5).abs() < 1e-12);
        assert_eq!(p[0].0, 1);
    }

    #[test]
    fn counts_only_densify_merge_and_budget() {
        let steps = Steps { start: 0, step: 10, n: 20 };
        let w = Window { range: 10, offset: 0 };
        let budget = Budget::default();
        let mut a = RangeAcc::new(Agg::Additive, true, steps, w);
        let mut b = RangeAcc::new(Agg::Additive, true, steps, w);
        let (ia, ib) = (a.series_index("s"), b.series_index("s"));
        for ts in 1..=200 {
            a.add(ia, ts, 0, 1.0, &budget).unwrap();
        }
        b.add(ib, 15, 0, 1.0, &budget).unwrap();
        assert!(matches!(a.series[0].1, SeriesAcc::Diff(Cells::Counts(_))));
        a.merge(b);
        let SeriesAcc::Diff(c) = &a.series[0].1 else { panic!() };
        let p = prefix(c, steps.n);
        // Step 20 holds (10, 20]: 10 lines, plus the one merged at 15.
        assert_eq!(p[2].0, 11);
        assert_eq!(p[5].0, 10);
        budget.bytes.store(MAX_BYTES, Ordering::Relaxed);
        let mut c = RangeAcc::new(Agg::Samples, false, steps, w);
        let i = c.series_index("x");
        assert!(c.add(i, 5, 0, 1.0, &budget).is_err());
    }

    #[test]
    fn dd_keeps_small_terms() {
        let mut d = Dd::default();
        d.add(1e16);
        d.add(1.0);
        d.add(-1e16);
        assert_eq!(d.value(), 1.0);
    }
}
