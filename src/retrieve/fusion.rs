//! Reciprocal rank fusion (Cormack et al., SIGIR 2009): a document's fused
//! score is `Σ weight / (k + rank)` over the rankings it appears in (rank
//! 1-based), with `k` = [`RRF_K`]. It needs no score calibration between
//! BM25 and cosine similarity, and a document found by both rises above one
//! found by either alone.

use std::collections::HashMap;
use std::hash::Hash;

/// The usual constant: damps the weight of the very first ranks.
pub const RRF_K: f32 = 60.0;

/// A fused result: the key, its fused score and its 1-based rank in each input list.
#[derive(Debug, Clone, PartialEq)]
pub struct Fused<K> {
    pub key: K,
    pub score: f32,
    pub ranks: Vec<Option<usize>>,
}

/// Fuses ranked lists (best first) with weights (one per list; missing
/// weights are 1). Best first; ties keep the order of first appearance.
pub fn rrf<K: Hash + Eq + Clone>(lists: &[Vec<K>], weights: &[f32]) -> Vec<Fused<K>> {
    let mut pos: HashMap<K, usize> = HashMap::new();
    let mut out: Vec<Fused<K>> = Vec::new();
    for (li, list) in lists.iter().enumerate() {
        let w = weights.get(li).copied().unwrap_or(1.0);
        for (r, key) in list.iter().enumerate() {
            let i = *pos.entry(key.clone()).or_insert_with(|| {
                out.push(Fused { key: key.clone(), score: 0.0, ranks: vec![None; lists.len()] });
                out.len() - 1
            });
            if let Some(f) = out.get_mut(i)
                && f.ranks.get(li).is_some_and(Option::is_none)
            {
                f.score += w / (RRF_K + (r + 1) as f32);
                if let Some(slot) = f.ranks.get_mut(li) {
                    *slot = Some(r + 1);
                }
            }
        }
    }
    // Stable: equal scores keep the order of first appearance.
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_lists_beat_either() {
        let bm25 = vec!["a", "b", "c"];
        let dense = vec!["c", "d", "a"];
        let f = rrf(&[bm25, dense], &[]);
        let keys: Vec<_> = f.iter().map(|x| x.key).collect();
        assert_eq!(keys, vec!["a", "c", "b", "d"]);
        assert_eq!(f[0].ranks, vec![Some(1), Some(3)]);
        assert_eq!(f[2].ranks, vec![Some(2), None]);
        let expect = 1.0 / 61.0 + 1.0 / 63.0;
        assert!((f[0].score - expect).abs() < 1e-7);
    }

    #[test]
    fn weights_duplicates_and_empty() {
        let f = rrf(&[vec![1, 2], vec![2, 1, 1]], &[1.0, 3.0]);
        assert_eq!(f[0].key, 2);
        assert_eq!(f[1].ranks, vec![Some(1), Some(2)], "a repeated key counts once per list");
        assert!(rrf::<u8>(&[], &[]).is_empty());
        assert!(rrf::<u8>(&[vec![], vec![]], &[]).is_empty());
    }
}
