//! Dense search: cosine similarity between a question's embedding and the
//! documents' embeddings (`storage/<app>/<kind>_embeddings_<model>.parquet`,
//! read with [`crate::storage::vectors::read_vectors`]).
//!
//! Vectors are normalised once when loaded, so a search is one dot product
//! per document over a contiguous row-major matrix (eight independent
//! accumulators, which the compiler turns into SIMD), then a partial sort
//! for the top `k`. A vector with a zero norm (or NaN values) never matches.

use crate::knowledge::DocKind;
use crate::storage::vectors::VectorTable;

/// A dense hit: the row and its cosine similarity in [-1, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DenseHit {
    pub row: usize,
    pub score: f32,
}

/// Normalised vectors with their ids and kinds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DenseIndex {
    pub model: String,
    dims: usize,
    ids: Vec<String>,
    kinds: Vec<Option<DocKind>>,
    /// `ids.len() * dims`, each row of norm 1 (or all zero).
    data: Vec<f32>,
}

impl DenseIndex {
    /// An empty index of `dims` dimensions for `model`.
    pub fn new(model: &str, dims: usize) -> Self {
        Self { model: model.to_owned(), dims, ..Default::default() }
    }

    /// Adds the rows of a vectors file; a file of another dimension is refused
    /// (the message names both).
    pub fn add_table(&mut self, t: VectorTable) -> Result<(), String> {
        if t.is_empty() {
            return Ok(());
        }
        if self.ids.is_empty() && self.data.is_empty() {
            self.dims = t.dims;
            if self.model.is_empty() {
                self.model = t.model.clone();
            }
        }
        if t.dims != self.dims {
            return Err(format!("vectors of {} dimensions beside vectors of {}", t.dims, self.dims));
        }
        for (i, id) in t.ids.into_iter().enumerate() {
            let Some(v) = t.data.get(i * t.dims..(i + 1) * t.dims) else { break };
            let kind = t.kinds.get(i).and_then(|k| DocKind::parse(k));
            self.push(id, kind, v);
        }
        Ok(())
    }

    /// Adds one vector (normalised here); a vector of the wrong length is ignored.
    pub fn push(&mut self, id: String, kind: Option<DocKind>, v: &[f32]) {
        if v.len() != self.dims {
            return;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let ok = norm.is_finite() && norm > 0.0;
        self.data.extend(v.iter().map(|x| if ok { x / norm } else { 0.0 }));
        self.ids.push(id);
        self.kinds.push(kind);
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn id(&self, row: usize) -> Option<&str> {
        self.ids.get(row).map(String::as_str)
    }

    pub fn kind(&self, row: usize) -> Option<DocKind> {
        self.kinds.get(row).copied().flatten()
    }

    /// The `k` rows most similar to `query` (any length other than the
    /// index's dimension gives nothing), best first, ties by row; only rows
    /// of `kind` when given. Rows with a score of 0 or less are left out.
    pub fn search(&self, query: &[f32], k: usize, kind: Option<DocKind>) -> Vec<DenseHit> {
        if k == 0 || self.dims == 0 || query.len() != self.dims {
            return Vec::new();
        }
        let norm = query.iter().map(|x| x * x).sum::<f32>().sqrt();
        if !(norm.is_finite() && norm > 0.0) {
            return Vec::new();
        }
        let q: Vec<f32> = query.iter().map(|x| x / norm).collect();
        let mut hits: Vec<DenseHit> = self
            .data
            .chunks_exact(self.dims)
            .enumerate()
            .filter(|(row, _)| kind.is_none() || self.kinds.get(*row).copied().flatten() == kind)
            .map(|(row, v)| DenseHit { row, score: dot(&q, v) })
            .filter(|h| h.score > 0.0)
            .collect();
        let by_score = |a: &DenseHit, b: &DenseHit| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row));
        if hits.len() > k {
            hits.select_nth_unstable_by(k - 1, by_score);
            hits.truncate(k);
        }
        hits.sort_by(by_score);
        hits
    }
}

/// The dot product, with eight independent partial sums so it vectorises.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(dims: usize, rows: &[(&str, &str, Vec<f32>)]) -> VectorTable {
        VectorTable {
            model: "m".into(),
            dims,
            ids: rows.iter().map(|r| r.0.to_owned()).collect(),
            kinds: rows.iter().map(|r| r.1.to_owned()).collect(),
            texts: rows.iter().map(|_| String::new()).collect(),
            data: rows.iter().flat_map(|r| r.2.clone()).collect(),
        }
    }

    #[test]
    fn cosine_top_k_by_kind_and_bad_vectors() {
        let mut ix = DenseIndex::default();
        ix.add_table(table(
            3,
            &[
                ("E1", "template", vec![1.0, 0.0, 0.0]),
                ("E2", "template", vec![10.0, 10.0, 0.0]),
                ("E2#0", "parameter", vec![0.0, 5.0, 0.0]),
                ("Z", "template", vec![0.0, 0.0, 0.0]),
                ("N", "template", vec![f32::NAN, 0.0, 0.0]),
            ],
        ))
        .unwrap();
        assert_eq!((ix.len(), ix.dims(), ix.model.as_str()), (5, 3, "m"));
        let hits = ix.search(&[2.0, 0.0, 0.0], 10, None);
        let ids: Vec<_> = hits.iter().map(|h| ix.id(h.row).unwrap()).collect();
        assert_eq!(ids, vec!["E1", "E2"]);
        assert!((hits[0].score - 1.0).abs() < 1e-6);
        assert!((hits[1].score - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        let p = ix.search(&[0.0, 1.0, 0.0], 10, Some(DocKind::Parameter));
        assert_eq!(p.len(), 1);
        assert_eq!(ix.kind(p[0].row), Some(DocKind::Parameter));
        assert_eq!(ix.search(&[0.0, 1.0, 0.0], 1, None).len(), 1);
        assert!(ix.search(&[1.0, 0.0], 3, None).is_empty(), "wrong dimension");
        assert!(ix.search(&[0.0, 0.0, 0.0], 3, None).is_empty(), "zero query");
        assert!(ix.add_table(table(2, &[("X", "template", vec![1.0, 0.0])])).is_err());
    }

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..37).map(|i| 1.0 - i as f32 * 0.1).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
        assert_eq!(dot(&[], &[]), 0.0);
    }
}
