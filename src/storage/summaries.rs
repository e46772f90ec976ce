//! Summary files and the names of the LLM-derived files of an app:
//! `<kind>_<chat-model>.json` (summaries), `<kind>_embeddings_<embedding-model>.parquet`
//! (vectors), `bm25.json` (lexical index), `cache/` (replies, resumable).
//! Model names are made safe for file names by [`safe_name`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{AppStore, SCHEMA_VERSION, StorageError, read_json, write_json};
use crate::knowledge::{DocKind, Summaries, Summary};

/// `<kind>_<chat-model>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummariesFile {
    pub schema_version: u32,
    pub app: String,
    pub kind: DocKind,
    pub chat_model: String,
    /// The prompt file's version (`template_summary-v1-1a2b3c4d`).
    pub prompt_version: String,
    pub items: Vec<Summary>,
}

/// `model` as a file-name part: ASCII letters, digits, `.`, `-` and `_` kept,
/// every other run of characters one `-` (`llama3.1:8b` -> `llama3.1-8b`,
/// `BAAI/bge-m3` -> `BAAI-bge-m3`); never empty, never starting with `.`.
pub fn safe_name(model: &str) -> String {
    let mut out = String::with_capacity(model.len());
    for c in model.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches(|c| c == '-' || c == '.').to_owned();
    if out.is_empty() { "model".to_owned() } else { out }
}

impl AppStore {
    /// `<kind>_<chat-model>.json`.
    pub fn summaries_path(&self, kind: DocKind, chat_model: &str) -> PathBuf {
        self.path(&format!("{}_{}.json", kind.plural(), safe_name(chat_model)))
    }

    /// `<kind>_embeddings_<embedding-model>.parquet`.
    pub fn embeddings_path(&self, kind: DocKind, embedding_model: &str) -> PathBuf {
        self.path(&format!("{}_embeddings_{}.parquet", kind.plural(), safe_name(embedding_model)))
    }

    /// `bm25.json`, the lexical index.
    pub fn bm25_path(&self) -> PathBuf {
        self.path("bm25.json")
    }

    /// `cache/<name>_<model>.jsonl`: replies kept so an interrupted run resumes.
    pub fn cache_path(&self, name: &str, model: &str) -> PathBuf {
        self.dir().join("cache").join(format!("{name}_{}.jsonl", safe_name(model)))
    }

    /// Writes one kind's summaries atomically.
    pub fn write_summaries(&self, f: &SummariesFile) -> Result<PathBuf, StorageError> {
        let p = self.summaries_path(f.kind, &f.chat_model);
        write_json(&p, f)?;
        Ok(p)
    }

    /// The summaries written for `chat_model`; a kind without a file is empty.
    pub fn load_summaries(&self, chat_model: &str) -> Result<Summaries, StorageError> {
        let mut s = Summaries::default();
        for kind in DocKind::ALL {
            let p = self.summaries_path(kind, chat_model);
            if !p.exists() {
                continue;
            }
            let f: SummariesFile = read_json(&p)?;
            if f.schema_version != SCHEMA_VERSION {
                return Err(StorageError::Version { path: p, found: f.schema_version, expected: SCHEMA_VERSION });
            }
            *s.of_mut(kind) = f.items.into_iter().map(|x| (x.id.clone(), x)).collect();
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_model_names() {
        assert_eq!(safe_name("llama3.1:8b"), "llama3.1-8b");
        assert_eq!(safe_name("BAAI/bge-m3"), "BAAI-bge-m3");
        assert_eq!(safe_name("gpt-4o-mini"), "gpt-4o-mini");
        assert_eq!(safe_name("../../etc/passwd"), "etc-passwd");
        assert_eq!(safe_name("hf.co/Qwen/Qwen3:Q4_K_M"), "hf.co-Qwen-Qwen3-Q4_K_M");
        assert_eq!(safe_name(""), "model");
        assert_eq!(safe_name("日本"), "model");
    }

    #[test]
    fn summaries_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let s = AppStore::new(d.path(), "hdfs");
        s.prepare().unwrap();
        let item = Summary { id: "E1".into(), source_hash: "h".into(), summary: "x".into(), name: None, keywords: vec!["k".into()] };
        let f = SummariesFile {
            schema_version: SCHEMA_VERSION,
            app: "hdfs".into(),
            kind: DocKind::Template,
            chat_model: "llama3.1:8b".into(),
            prompt_version: "v".into(),
            items: vec![item.clone()],
        };
        let p = s.write_summaries(&f).unwrap();
        assert!(p.ends_with("hdfs/templates_llama3.1-8b.json"), "{}", p.display());
        let loaded = s.load_summaries("llama3.1:8b").unwrap();
        assert_eq!(loaded.templates.get("E1"), Some(&item));
        assert!(loaded.workflows.is_empty());
        assert!(s.embeddings_path(DocKind::Parameter, "BAAI/bge-m3").ends_with("parameters_embeddings_BAAI-bge-m3.parquet"));
    }
}
