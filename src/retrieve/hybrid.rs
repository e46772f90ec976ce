//! Hybrid retrieval: BM25 over the documents' words and cosine similarity
//! over their embeddings, fused with reciprocal rank fusion
//! ([`super::fusion::rrf`]). Without vectors (offline, or no question
//! embedding) it is BM25 alone; without a lexical match it is dense alone.
//!
//! Warm retrieval over 10,000 documents takes well under 10 ms (see
//! `benches/retrieve_speed.rs` and docs/BENCHMARKS.md), not counting the
//! embedding call for the question.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::bm25::Bm25Index;
use super::dense::DenseIndex;
use super::fusion::rrf;
use crate::knowledge::DocKind;

/// How many documents to return and how deep each ranking looks.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrieveOptions {
    /// Items returned.
    pub top_k: usize,
    /// Candidates taken from each ranking before fusion.
    pub depth: usize,
    /// Ids never returned (items already shown to be wrong).
    pub exclude: HashSet<String>,
}

impl Default for RetrieveOptions {
    fn default() -> Self {
        Self { top_k: 8, depth: 50, exclude: HashSet::new() }
    }
}

/// A document's place in one ranking.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RankScore {
    /// 1-based.
    pub rank: usize,
    pub score: f32,
}

/// One retrieved document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetrievedItem {
    /// `E11`, `E11#1`, `W3`.
    pub id: String,
    pub kind: DocKind,
    /// The fused score (reciprocal rank fusion).
    pub score: f32,
    pub bm25: Option<RankScore>,
    pub dense: Option<RankScore>,
    /// The document text.
    pub text: String,
}

/// The searchable documents: a BM25 index and, when there are vectors, a
/// dense index over the same ids.
#[derive(Debug, Clone)]
pub struct Retriever {
    pub bm25: Bm25Index,
    pub dense: Option<DenseIndex>,
    /// Document position in `bm25.docs` by id.
    by_id: HashMap<String, usize>,
}

impl Retriever {
    pub fn new(bm25: Bm25Index, dense: Option<DenseIndex>) -> Self {
        let by_id = bm25.docs.iter().enumerate().map(|(i, d)| (d.id.clone(), i)).collect();
        Self { bm25, dense: dense.filter(|d| !d.is_empty()), by_id }
    }

    pub fn len(&self) -> usize {
        self.bm25.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bm25.is_empty()
    }

    /// Position of a document by id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Whether a question embedding would be used.
    pub fn has_dense(&self) -> bool {
        self.dense.is_some()
    }

    /// The best documents for `question` (and its embedding, when given), best first.
    pub fn retrieve(&self, question: &str, embedding: Option<&[f32]>, opts: &RetrieveOptions) -> Vec<RetrievedItem> {
        if opts.top_k == 0 {
            return Vec::new();
        }
        let depth = opts.depth.max(opts.top_k) + opts.exclude.len();
        let lexical: Vec<(usize, f32)> =
            self.bm25.search_expanded(question, depth).into_iter().map(|h| (h.doc, h.score)).collect();
        let dense: Vec<(usize, f32)> = match (&self.dense, embedding) {
            (Some(d), Some(q)) => d
                .search(q, depth, None)
                .into_iter()
                .filter_map(|h| d.id(h.row).and_then(|id| self.position(id)).map(|p| (p, h.score)))
                .collect(),
            _ => Vec::new(),
        };
        let lists = vec![lexical.iter().map(|x| x.0).collect::<Vec<_>>(), dense.iter().map(|x| x.0).collect()];
        let fused = rrf(&lists, &[1.0, 1.0]);
        let score_of = |list: &[(usize, f32)], rank: Option<usize>| {
            rank.and_then(|r| list.get(r - 1).map(|x| RankScore { rank: r, score: x.1 }))
        };
        fused
            .into_iter()
            .filter_map(|f| {
                let doc = self.bm25.doc(f.key)?;
                if opts.exclude.contains(&doc.id) {
                    return None;
                }
                Some(RetrievedItem {
                    id: doc.id.clone(),
                    kind: doc.kind,
                    score: f.score,
                    bm25: score_of(&lexical, f.ranks.first().copied().flatten()),
                    dense: score_of(&dense, f.ranks.get(1).copied().flatten()),
                    text: doc.text.clone(),
                })
            })
            .take(opts.top_k)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Document;

    fn doc(id: &str, kind: DocKind, text: &str) -> Document {
        Document { id: id.into(), kind, text: text.into() }
    }

    fn retriever(with_dense: bool) -> Retriever {
        let docs = vec![
            doc("E9", DocKind::Template, "template E9: Deleting block blk_<*> file /<*>"),
            doc("E11", DocKind::Template, "template E11: Received block blk_<*> of size <*>"),
            doc("E11#1", DocKind::Parameter, "parameter size (int), slot 1 of template E11"),
            doc("E3", DocKind::Template, "template E3: Got exception while serving blk_<*>"),
        ];
        let bm25 = Bm25Index::build("hdfs", docs);
        let dense = with_dense.then(|| {
            let mut d = DenseIndex::new("m", 3);
            d.push("E9".into(), Some(DocKind::Template), &[1.0, 0.0, 0.0]);
            d.push("E11".into(), Some(DocKind::Template), &[0.0, 1.0, 0.0]);
            d.push("E3".into(), Some(DocKind::Template), &[0.0, 0.0, 1.0]);
            d.push("GONE".into(), Some(DocKind::Template), &[0.0, 0.0, 1.0]);
            d
        });
        Retriever::new(bm25, dense)
    }

    #[test]
    fn lexical_only_and_fused() {
        let r = retriever(false);
        assert!(!r.has_dense());
        let got = r.retrieve("deleted blocks deleting", None, &RetrieveOptions::default());
        assert_eq!(got[0].id, "E9");
        assert!(got[0].bm25.is_some() && got[0].dense.is_none());

        let r = retriever(true);
        // The words point at E9 and the vector at E3 (an exception): both come back, E3 only by meaning.
        let got = r.retrieve("deleting", Some(&[0.0, 0.1, 1.0]), &RetrieveOptions::default());
        let ids: Vec<_> = got.iter().map(|i| i.id.as_str()).collect();
        assert!(ids.contains(&"E9") && ids.contains(&"E3"), "{ids:?}");
        let e3 = got.iter().find(|i| i.id == "E3").unwrap();
        assert_eq!(e3.dense.map(|d| d.rank), Some(1));
        assert!(e3.bm25.is_none());
        assert!(!ids.contains(&"GONE"), "a vector without a document is ignored");
        // Found by both beats found by one.
        let got = r.retrieve("received block size", Some(&[0.0, 1.0, 0.0]), &RetrieveOptions::default());
        assert_eq!(got[0].id, "E11");
        assert!(got[0].bm25.is_some() && got[0].dense.is_some());
    }

    #[test]
    fn exclusions_and_limits() {
        let r = retriever(true);
        let mut o = RetrieveOptions { top_k: 1, ..Default::default() };
        assert_eq!(r.retrieve("block", None, &o).len(), 1);
        o.exclude.insert("E9".into());
        o.top_k = 10;
        assert!(r.retrieve("deleting", None, &o).iter().all(|i| i.id != "E9"));
        o.top_k = 0;
        assert!(r.retrieve("block", None, &o).is_empty());
        assert!(r.retrieve("", Some(&[1.0]), &RetrieveOptions::default()).is_empty(), "bad vector and no words");
    }
}
