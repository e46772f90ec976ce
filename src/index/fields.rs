//! The structured fields of JSON and logfmt lines as parameters of their
//! template: per template, per field name, the same statistics as a slot
//! (type, distinct values, top values, numeric range). Bounded: at most
//! [`MAX_FIELDS`] names per template (later names are counted as dropped) and
//! values cut at [`MAX_VALUE`] bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::params::{ParamSummary, SlotStats};
use crate::dataset::Dataset;

/// Most field names kept per template.
pub const MAX_FIELDS: usize = 32;
/// Longest value kept whole (longer ones are cut at a character boundary).
pub const MAX_VALUE: usize = 256;

/// The fields of one template.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FieldStats {
    pub by_name: BTreeMap<Box<str>, SlotStats>,
    /// Values of names past [`MAX_FIELDS`].
    pub dropped: u64,
}

fn cut(v: &str) -> &str {
    if v.len() <= MAX_VALUE {
        return v;
    }
    let mut n = MAX_VALUE;
    while !v.is_char_boundary(n) {
        n -= 1;
    }
    &v[..n]
}

impl FieldStats {
    pub fn add(&mut self, name: &str, value: &str, exact_limit: usize) {
        let value = cut(value);
        if let Some(s) = self.by_name.get_mut(name) {
            s.add(value, 1);
        } else if self.by_name.len() < MAX_FIELDS {
            let mut s = SlotStats::new(exact_limit);
            s.add(value, 1);
            self.by_name.insert(name.into(), s);
        } else {
            self.dropped += 1;
        }
    }

    pub fn merge(&mut self, o: &FieldStats, exact_limit: usize) {
        self.dropped += o.dropped;
        for (name, s) in &o.by_name {
            if let Some(mine) = self.by_name.get_mut(name) {
                mine.merge(s);
            } else if self.by_name.len() < MAX_FIELDS {
                let mut fresh = SlotStats::new(exact_limit);
                fresh.merge(s);
                self.by_name.insert(name.clone(), fresh);
            } else {
                self.dropped += s.count;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Summaries in name order, numbered from `first_index` (after the slots).
    pub fn summaries(&self, first_index: usize, top_n: usize) -> Vec<ParamSummary> {
        self.by_name
            .iter()
            .enumerate()
            .map(|(i, (name, s))| {
                let mut p = s.summary(name.to_string(), first_index + i, top_n);
                p.field = true;
                p
            })
            .collect()
    }
}

/// Adds the structured fields of a raw line to `stats` (nothing for a
/// Loghub pattern or a line that is not structured).
pub fn collect(ds: &Dataset, raw: &str, stats: &mut FieldStats, exact_limit: usize) {
    let Some(fmt) = ds.header.structured_format() else { return };
    fmt.each_field(raw.trim(), &mut |name, value| stats.add(name, value, exact_limit));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_mergeable() {
        let mut a = FieldStats::default();
        for i in 0..40 {
            a.add(&format!("k{i:02}"), "1", 16);
        }
        assert_eq!(a.by_name.len(), MAX_FIELDS);
        assert_eq!(a.dropped, 8);
        let mut b = FieldStats::default();
        b.add("k00", "2", 16);
        b.add("zz", "x", 16);
        a.merge(&b, 16);
        assert_eq!(a.by_name["k00"].count, 2);
        assert_eq!(a.dropped, 9);
        let s = a.summaries(3, 5);
        assert_eq!((s[0].index, s[0].name.as_str(), s[0].field), (3, "k00", true));
        let mut c = FieldStats::default();
        c.add("long", &"é".repeat(300), 16);
        assert!(c.by_name["long"].top_values_all()[0].0.len() <= MAX_VALUE);
    }
}
