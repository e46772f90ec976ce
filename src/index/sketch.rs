//! Bounded-memory counting: HyperLogLog for distinct values and Misra–Gries
//! for frequent values. Both merge, so per-block partial results combine.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// HyperLogLog with 2^12 registers (about 1.6 % standard error, 4 KiB).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hll {
    #[serde(with = "super::snapshot::hex_bytes")]
    regs: Box<[u8; 4096]>,
}

impl Default for Hll {
    fn default() -> Self {
        Self { regs: Box::new([0u8; 4096]) }
    }
}

impl Hll {
    pub fn insert_hash(&mut self, h: u64) {
        let idx = (h >> 52) as usize;
        let rest = (h << 12) | (1 << 11);
        let rank = rest.leading_zeros() as u8 + 1;
        if self.regs[idx] < rank {
            self.regs[idx] = rank;
        }
    }

    pub fn merge(&mut self, o: &Hll) {
        for (a, b) in self.regs.iter_mut().zip(o.regs.iter()) {
            *a = (*a).max(*b);
        }
    }

    pub fn estimate(&self) -> u64 {
        let m = 4096f64;
        let mut sum = 0f64;
        let mut zeros = 0;
        for &r in self.regs.iter() {
            sum += 2f64.powi(-(r as i32));
            if r == 0 {
                zeros += 1;
            }
        }
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let e = alpha * m * m / sum;
        let e = if e <= 2.5 * m && zeros > 0 { m * (m / zeros as f64).ln() } else { e };
        e.round() as u64
    }
}

/// Misra–Gries frequent items with `k` counters. Counts are lower bounds; they
/// are exact while `decremented` is 0.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MisraGries {
    k: usize,
    counts: FxHashMap<Box<str>, u64>,
    /// Total amount subtracted from every counter (the error bound).
    pub decremented: u64,
}

impl MisraGries {
    pub fn new(k: usize) -> Self {
        Self { k: k.max(1), counts: FxHashMap::default(), decremented: 0 }
    }

    pub fn add(&mut self, v: &str, n: u64) {
        if let Some(c) = self.counts.get_mut(v) {
            *c += n;
            return;
        }
        if self.counts.len() < self.k {
            self.counts.insert(v.into(), n);
            return;
        }
        // Decrement every counter by the smallest amount that frees a slot, or by n.
        let min = self.counts.values().copied().min().unwrap_or(0).min(n);
        self.decremented += min;
        self.counts.retain(|_, c| {
            *c -= min;
            *c > 0
        });
        let left = n - min;
        if left > 0 && self.counts.len() < self.k {
            self.counts.insert(v.into(), left);
        }
    }

    pub fn merge(&mut self, o: &MisraGries) {
        self.decremented += o.decremented;
        for (v, &c) in &o.counts {
            self.add(v, c);
        }
    }

    /// The `n` largest counters, largest first (ties by value).
    pub fn top(&self, n: usize) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self.counts.iter().map(|(k, &c)| (k.to_string(), c)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hll_within_five_percent() {
        let mut h = Hll::default();
        for i in 0..100_000u64 {
            h.insert_hash(xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes()));
        }
        let e = h.estimate() as f64;
        assert!((e - 100_000.0).abs() / 100_000.0 < 0.05, "{e}");
        let mut small = Hll::default();
        for i in 0..100u64 {
            small.insert_hash(xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes()));
        }
        assert!((small.estimate() as i64 - 100).abs() <= 3);
    }

    #[test]
    fn misra_gries_keeps_heavy_hitters() {
        let mut mg = MisraGries::new(8);
        for i in 0..10_000 {
            mg.add(if i % 3 == 0 { "hot" } else { "cold" }, 1);
            mg.add(&format!("u{i}"), 1);
        }
        let top = mg.top(2);
        assert_eq!(top[0].0, "cold");
        assert_eq!(top[1].0, "hot");
        assert!(top[1].1 as i64 >= 3334 - mg.decremented as i64);
        let mut a = MisraGries::new(8);
        a.add("x", 5);
        let mut b = MisraGries::new(8);
        b.add("x", 7);
        a.merge(&b);
        assert_eq!(a.top(1), vec![("x".to_string(), 12)]);
        assert_eq!(a.decremented, 0);
    }
}
