//! BM25 (Okapi, k1 = 1.2, b = 0.75) over an app's documents: template text,
//! parameter names and example values, workflow text, and the LLM summaries
//! when there are some. Built by `index` (it needs no LLM), stored in
//! `storage/<app>/bm25.json` with its postings, loaded by retrieval.
//!
//! Tokens: runs of letters and digits, lower-cased; a camelCase or
//! letter-digit word also yields its parts (`addStoredBlock` -> `addstoredblock`,
//! `add`, `stored`, `block`), so questions in plain words find code names.
//! Common English words and one-character tokens are dropped.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::knowledge::{DocKind, Document};
use crate::storage::{SCHEMA_VERSION, StorageError, read_json, write_json_compact};

pub const K1: f32 = 1.2;
pub const B: f32 = 0.75;
/// Longer tokens (hashes, base64) are not indexed.
const MAX_TOKEN: usize = 64;

const STOPWORDS: &[&str] = &[
    "a", "about", "all", "an", "and", "any", "are", "as", "at", "be", "been", "by", "can", "did", "do", "does", "for",
    "from", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "many", "me", "much", "my", "no",
    "of", "on", "or", "our", "show", "so", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "to", "was", "we", "were", "what", "when", "where", "which", "who", "why", "will", "with", "you",
];

/// The tokens of `text`, in order (parts follow their whole word).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() || word.len() > MAX_TOKEN {
            continue;
        }
        let lower = word.to_lowercase();
        let parts = split_word(word);
        push(&mut out, lower.clone());
        if parts.len() > 1 {
            for p in parts {
                let p = p.to_lowercase();
                if p != lower {
                    push(&mut out, p);
                }
            }
        }
    }
    out
}

fn push(out: &mut Vec<String>, t: String) {
    if t.chars().count() >= 2 && !STOPWORDS.contains(&t.as_str()) {
        out.push(t);
    }
}

/// camelCase, acronyms and letter-digit boundaries: `HTTPServer2Go` -> `HTTP`, `Server`, `2`, `Go`.
fn split_word(w: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = w.char_indices().collect();
    let mut parts = Vec::new();
    let mut start = 0;
    for i in 1..chars.len() {
        let (at, c) = chars[i];
        let prev = chars[i - 1].1;
        let next = chars.get(i + 1).map(|x| x.1);
        let boundary = (prev.is_lowercase() && c.is_uppercase())
            || (prev.is_uppercase() && c.is_uppercase() && next.is_some_and(char::is_lowercase))
            || (prev.is_alphabetic() && c.is_numeric())
            || (prev.is_numeric() && c.is_alphabetic());
        if boundary {
            parts.push(w.get(start..at).unwrap_or(""));
            start = at;
        }
    }
    parts.push(w.get(start..).unwrap_or(""));
    parts
}

/// Other forms of a word by plain English suffix rules (`deleted` ->
/// `delete`, `deleting`, `deletion`...), the word itself left out.
pub fn variants(word: &str) -> Vec<String> {
    let mut bases = vec![word.to_owned()];
    if word.chars().count() >= 4 && word.is_ascii() {
        for (suffix, repl) in [("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("ion", ""), ("ion", "e"), ("ions", "e")] {
            if let Some(stem) = word.strip_suffix(suffix)
                && stem.len() >= 3
            {
                bases.push(format!("{stem}{repl}"));
            }
        }
    }
    let mut out = Vec::new();
    for b in &bases {
        let bare = b.strip_suffix('e').unwrap_or(b);
        for form in [b.clone(), format!("{b}s"), format!("{b}es"), format!("{b}ed"), format!("{b}d"), format!("{bare}ing"), format!("{bare}ion"), format!("{bare}ions"), format!("{b}e")] {
            if form != word && !out.contains(&form) {
                out.push(form);
            }
        }
    }
    out
}

/// A word without its inflection (`failed`, `failing` -> `fail`;
/// `attempts` -> `attempt`), for comparing word pairs.
pub fn root(word: &str) -> String {
    if word.is_ascii() {
        for suffix in ["ing", "ies", "ed", "es", "s"] {
            if let Some(stem) = word.strip_suffix(suffix)
                && stem.len() >= 3
                && !stem.ends_with('s')
            {
                return stem.to_owned();
            }
        }
    }
    word.to_owned()
}

/// A search result: the document's position and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub doc: usize,
    pub score: f32,
}

/// The index: documents, their lengths, and postings `term -> [(doc, tf)]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bm25Index {
    pub schema_version: u32,
    pub app: String,
    pub k1: f32,
    pub b: f32,
    pub docs: Vec<Document>,
    doc_len: Vec<u32>,
    avgdl: f32,
    terms: BTreeMap<String, Vec<(u32, u32)>>,
}

impl Bm25Index {
    pub fn build(app: &str, docs: Vec<Document>) -> Self {
        let mut terms: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
        let mut doc_len = Vec::with_capacity(docs.len());
        for (i, d) in docs.iter().enumerate() {
            let toks = tokenize(&d.text);
            doc_len.push(toks.len() as u32);
            let mut tf: BTreeMap<String, u32> = BTreeMap::new();
            for t in toks {
                *tf.entry(t).or_default() += 1;
            }
            for (t, n) in tf {
                terms.entry(t).or_default().push((i as u32, n));
            }
        }
        let avgdl = if doc_len.is_empty() { 0.0 } else { doc_len.iter().map(|&l| l as f32).sum::<f32>() / doc_len.len() as f32 };
        Self { schema_version: SCHEMA_VERSION, app: app.to_owned(), k1: K1, b: B, docs, doc_len, avgdl, terms }
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Distinct terms.
    pub fn vocabulary(&self) -> usize {
        self.terms.len()
    }

    pub fn doc(&self, i: usize) -> Option<&Document> {
        self.docs.get(i)
    }

    /// The `k` best documents for `query`, best first (ties by position); only
    /// documents that share a term with the query.
    pub fn search(&self, query: &str, k: usize) -> Vec<Hit> {
        self.search_kind(query, k, None)
    }

    /// [`Self::search`] restricted to one kind of document.
    pub fn search_kind(&self, query: &str, k: usize, kind: Option<DocKind>) -> Vec<Hit> {
        let mut seen = HashSet::new();
        let terms: Vec<(String, f32)> = tokenize(query).into_iter().filter(|t| seen.insert(t.clone())).map(|t| (t, 1.0)).collect();
        self.search_terms(&terms, k, kind)
    }

    /// [`Self::search`] with the question's words and, at half weight, the
    /// forms of them the documents use (`deleted` finds `deleting` and
    /// `delete`, `blocks` finds `block`): plain suffix rules, kept only when
    /// the vocabulary has the form.
    pub fn search_expanded(&self, query: &str, k: usize) -> Vec<Hit> {
        let mut seen = HashSet::new();
        let mut terms: Vec<(String, f32)> = Vec::new();
        let words: Vec<String> = tokenize(query).into_iter().filter(|t| seen.insert(t.clone())).collect();
        for w in &words {
            terms.push((w.clone(), 1.0));
        }
        for w in &words {
            for v in variants(w) {
                if self.terms.contains_key(&v) && seen.insert(v.clone()) {
                    terms.push((v, 0.5));
                }
            }
        }
        let mut hits = self.search_terms(&terms, k, None);
        self.phrase_bonus(&words, &mut hits);
        hits
    }

    /// Rewards documents where two words that follow each other in the
    /// question also follow each other (`failed password` in "Failed password
    /// for <*>" over "failed - POSSIBLE BREAK-IN ATTEMPT"): half the two
    /// words' IDF per shared pair, words compared by [`root`]. Re-sorts.
    fn phrase_bonus(&self, words: &[String], hits: &mut [Hit]) {
        if words.len() < 2 || hits.is_empty() {
            return;
        }
        let n = self.docs.len() as f32;
        let idf = |w: &str| {
            let df = self.terms.get(w).map_or(0, Vec::len) as f32;
            if df == 0.0 { 0.0 } else { (1.0 + (n - df + 0.5) / (df + 0.5)).ln() }
        };
        let pairs: Vec<((String, String), f32)> = words
            .windows(2)
            .filter_map(|p| match p {
                [a, b] => Some(((root(a), root(b)), 0.5 * (idf(a).max(idf(&root(a))) + idf(b).max(idf(&root(b)))))),
                _ => None,
            })
            .collect();
        for h in hits.iter_mut() {
            let Some(doc) = self.docs.get(h.doc) else { continue };
            let roots: Vec<String> = tokenize(&doc.text).iter().map(|t| root(t)).collect();
            let doc_pairs: HashSet<(&str, &str)> = roots.windows(2).filter_map(|p| match p {
                [a, b] => Some((a.as_str(), b.as_str())),
                _ => None,
            }).collect();
            for ((a, b), w) in &pairs {
                if doc_pairs.contains(&(a.as_str(), b.as_str())) {
                    h.score += w;
                }
            }
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
    }

    /// Scores for weighted terms.
    fn search_terms(&self, terms: &[(String, f32)], k: usize, kind: Option<DocKind>) -> Vec<Hit> {
        let n = self.docs.len();
        if n == 0 || k == 0 {
            return Vec::new();
        }
        let mut scores = vec![0f32; n];
        for (t, weight) in terms {
            let Some(post) = self.terms.get(t) else { continue };
            let df = post.len() as f32;
            let idf = (1.0 + (n as f32 - df + 0.5) / (df + 0.5)).ln() * weight;
            for &(d, tf) in post {
                let dl = self.doc_len.get(d as usize).copied().unwrap_or(0) as f32;
                let norm = self.k1 * (1.0 - self.b + self.b * dl / self.avgdl.max(1e-6));
                let tf = tf as f32;
                if let Some(s) = scores.get_mut(d as usize) {
                    *s += idf * tf * (self.k1 + 1.0) / (tf + norm);
                }
            }
        }
        let mut hits: Vec<Hit> = scores
            .into_iter()
            .enumerate()
            .filter(|(i, s)| *s > 0.0 && kind.is_none_or(|k| self.docs.get(*i).is_some_and(|d| d.kind == k)))
            .map(|(doc, score)| Hit { doc, score })
            .collect();
        let by_score = |a: &Hit, b: &Hit| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc));
        if hits.len() > k {
            hits.select_nth_unstable_by(k - 1, by_score);
            hits.truncate(k);
        }
        hits.sort_by(by_score);
        hits
    }

    /// Writes the index atomically.
    pub fn save(&self, path: &Path) -> Result<(), StorageError> {
        write_json_compact(path, self)
    }

    /// Reads an index; another schema version is an error that says to re-index.
    pub fn load(path: &Path) -> Result<Self, StorageError> {
        let ix: Bm25Index = read_json(path)?;
        if ix.schema_version != SCHEMA_VERSION {
            return Err(StorageError::Version { path: path.into(), found: ix.schema_version, expected: SCHEMA_VERSION });
        }
        if ix.doc_len.len() != ix.docs.len() {
            return Err(StorageError::Invalid { path: path.into(), message: "document lengths do not match documents".into() });
        }
        Ok(ix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, kind: DocKind, text: &str) -> Document {
        Document { id: id.into(), kind, text: text.into() }
    }

    #[test]
    fn tokens_split_code_names_and_drop_noise() {
        assert_eq!(
            tokenize("BLOCK* NameSystem.addStoredBlock: blk_<*> the HTTPServer2 a"),
            vec!["block", "namesystem", "name", "system", "addstoredblock", "add", "stored", "block", "blk", "httpserver2", "http", "server"]
        );
        assert_eq!(tokenize("10.250.19.102:50010"), vec!["10", "250", "19", "102", "50010"]);
        assert!(tokenize(&"x".repeat(100)).is_empty());
        assert_eq!(tokenize("Größe Ärger"), vec!["größe", "ärger"]);
    }

    #[test]
    fn ranks_by_bm25_and_round_trips() {
        let docs = vec![
            doc("E9", DocKind::Template, "template E9: Deleting block blk_<*> file /<*>/blk_<*>"),
            doc("E11", DocKind::Template, "template E11: Received block blk_<*> of size <*> from /<*>"),
            doc("E11#1", DocKind::Parameter, "parameter size (int), slot 1 of template E11: Received block blk_<*> of size <*>\nexample values: 67108864"),
            doc("W1", DocKind::Workflow, "workflow W1: E11 Received block -> E9 Deleting block"),
        ];
        let ix = Bm25Index::build("hdfs", docs);
        let hits = ix.search("how many blocks were deleted? deleting block", 10);
        assert_eq!(ix.doc(hits[0].doc).unwrap().id, "E9");
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
        let hits = ix.search("size 67108864", 2);
        assert_eq!(ix.doc(hits[0].doc).unwrap().id, "E11#1");
        assert_eq!(hits.len(), 2);
        let expanded = ix.search_expanded("how many blocks were deleted?", 10);
        assert_eq!(ix.doc(expanded[0].doc).unwrap().id, "E9", "deleted finds deleting");
        assert!(ix.search("blocks deleted", 10).is_empty(), "without the other forms nothing matches");
        assert!(variants("deleted").contains(&"deleting".to_owned()));
        assert!(variants("blocks").contains(&"block".to_owned()));
        assert!(variants("deletion").contains(&"delete".to_owned()));
        let only_wf = ix.search_kind("deleting", 5, Some(DocKind::Workflow));
        assert_eq!(only_wf.len(), 1);
        assert!(ix.search("zzz unknown", 5).is_empty());
        assert!(Bm25Index::build("x", vec![]).search("a b", 3).is_empty());

        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("bm25.json");
        ix.save(&p).unwrap();
        assert_eq!(Bm25Index::load(&p).unwrap(), ix);
        std::fs::write(&p, "{}").unwrap();
        assert!(Bm25Index::load(&p).is_err());
    }

    #[test]
    fn words_next_to_each_other_in_the_question_and_a_template_rank_it_first() {
        // Both share two question words; only E9 has them side by side.
        let docs = vec![
            doc("E27", DocKind::Template, "template E27: reverse mapping checking getaddrinfo for <*> [<*>] failed - POSSIBLE BREAK-IN ATTEMPT!"),
            doc("E9", DocKind::Template, "template E9: Failed password for <*> from <*> port <*> ssh2"),
            doc("E10", DocKind::Template, "template E10: Accepted password for <*> from <*> port <*> ssh2"),
            doc("E11", DocKind::Template, "template E11: Connection closed by <*> [preauth]"),
            doc("E12", DocKind::Template, "template E12: password changed for <*>"),
            doc("E13", DocKind::Template, "template E13: password check <*>"),
        ];
        let ix = Bm25Index::build("openssh", docs);
        let plain = ix.search("failed password attempt", 4);
        assert_eq!(ix.doc(plain[0].doc).unwrap().id, "E27", "without the bonus the rarer word wins: {plain:?}");
        let expanded = ix.search_expanded("How many failed password attempts were there?", 4);
        assert_eq!(ix.doc(expanded[0].doc).unwrap().id, "E9", "{expanded:?} (plain BM25: {plain:?})");
        assert_eq!((root("failed"), root("attempts"), root("failing"), root("process"), root("ssh2")), ("fail".into(), "attempt".into(), "fail".into(), "process".into(), "ssh2".into()));
    }
}
