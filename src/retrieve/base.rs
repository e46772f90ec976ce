//! The knowledge base the online pipeline works from: an app's knowledge
//! (`templates.json`, `parameters.json`, `workflows.json`), the summaries of
//! the chat model (when there are some), the BM25 index (`bm25.json`, or built
//! in memory when missing) and the vectors of the embedding model (when there
//! are some). Loading never needs a network.
//!
//! A missing knowledge base or one of an older schema is a [`KbError`] whose
//! message says which command rebuilds it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::bm25::Bm25Index;
use super::dense::DenseIndex;
use super::hybrid::Retriever;
use crate::knowledge::{DocKind, Knowledge, ParamSummary, Summaries, TemplateRecord, documents, parameter_id};
use crate::storage::vectors::read_vectors;
use crate::storage::{AppStore, StorageError};

/// Why a knowledge base cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("no knowledge base for {app} in {}: build it with `logcopilot index --app {app}`", dir.display())]
    Missing { app: String, dir: PathBuf },
    #[error("the knowledge base of {app} is from another version of logcopilot ({detail}): rebuild it with `logcopilot index --app {app} --force`")]
    Outdated { app: String, detail: String },
    #[error("the knowledge base of {app} cannot be read ({source}): rebuild it with `logcopilot index --app {app} --force`")]
    Unreadable {
        app: String,
        #[source]
        source: StorageError,
    },
}

/// What a pipeline run knows about an app.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    pub app: String,
    pub knowledge: Knowledge,
    pub summaries: Summaries,
    pub retriever: Retriever,
    /// What was missing and what was done instead (shown to the user).
    pub notes: Vec<String>,
    templates: HashMap<String, usize>,
    params: HashMap<String, usize>,
}

impl KnowledgeBase {
    /// Loads `<storage>/<app>/`: summaries of `chat_model` and vectors of
    /// `embedding_model` when given and present.
    pub fn load(storage: &Path, app: &str, chat_model: Option<&str>, embedding_model: Option<&str>) -> Result<Self, KbError> {
        let store = AppStore::new(storage, app);
        if !store.path("templates.json").is_file() {
            return Err(KbError::Missing { app: app.into(), dir: store.dir().to_path_buf() });
        }
        let err = |e: StorageError| match e {
            StorageError::Version { found, expected, path } => KbError::Outdated {
                app: app.into(),
                detail: format!("{} has schema version {found}, this build reads {expected}", path.display()),
            },
            other => KbError::Unreadable { app: app.into(), source: other },
        };
        let knowledge = store.load().map_err(err)?;
        let mut notes = Vec::new();
        let summaries = match chat_model {
            Some(m) => store.load_summaries(m).map_err(err)?,
            None => Summaries::default(),
        };
        let bm25 = if store.bm25_path().is_file() {
            Bm25Index::load(&store.bm25_path()).map_err(err)?
        } else {
            notes.push(format!("no {}: the lexical index was built in memory (run `logcopilot index --app {app}` to keep it)", store.bm25_path().display()));
            Bm25Index::build(app, documents(&knowledge, &summaries))
        };
        let dense = match embedding_model {
            Some(m) => load_dense(&store, m, &mut notes)?,
            None => None,
        };
        Ok(Self::new(app, knowledge, summaries, Retriever::new(bm25, dense), notes))
    }

    /// A knowledge base from parts (tests, benches, an index run in memory).
    pub fn new(app: &str, knowledge: Knowledge, summaries: Summaries, retriever: Retriever, notes: Vec<String>) -> Self {
        let templates = knowledge.templates.iter().enumerate().map(|(i, t)| (t.id.clone(), i)).collect();
        let params = knowledge.params.iter().enumerate().map(|(i, p)| (p.template_id.clone(), i)).collect();
        Self { app: app.into(), knowledge, summaries, retriever, notes, templates, params }
    }

    /// A knowledge base over `knowledge` alone: BM25 built in memory, no vectors.
    pub fn from_knowledge(app: &str, knowledge: Knowledge, summaries: Summaries) -> Self {
        let bm25 = Bm25Index::build(app, documents(&knowledge, &summaries));
        Self::new(app, knowledge, summaries, Retriever::new(bm25, None), Vec::new())
    }

    pub fn template(&self, id: &str) -> Option<&TemplateRecord> {
        self.templates.get(id).and_then(|&i| self.knowledge.templates.get(i))
    }

    /// The parameters of a template, in slot order.
    pub fn params(&self, template_id: &str) -> &[ParamSummary] {
        self.params.get(template_id).and_then(|&i| self.knowledge.params.get(i)).map_or(&[], |p| p.params.as_slice())
    }

    /// The template a document belongs to: itself, or the template of a parameter.
    pub fn template_of(&self, doc_id: &str, kind: DocKind) -> Option<&TemplateRecord> {
        match kind {
            DocKind::Template => self.template(doc_id),
            DocKind::Parameter => self.template(doc_id.split('#').next().unwrap_or(doc_id)),
            DocKind::Workflow => None,
        }
    }

    /// The label name a slot gets in a `pattern` stage: the model's name when
    /// there is a summary, else the guessed name, made a valid label name
    /// (`src ip` -> `src_ip`, `2nd` -> `_2nd`).
    pub fn param_label(&self, template_id: &str, slot: usize) -> String {
        let id = parameter_id(template_id, slot);
        let guessed = self.params(template_id).iter().find(|p| p.index == slot).map(|p| p.name.as_str());
        let name = self.summaries.parameters.get(&id).and_then(|s| s.name.as_deref()).or(guessed).unwrap_or("");
        label_name(name, slot)
    }

    /// The time the logs cover: (first, last) stamp in unix ns, if known.
    pub fn span_ns(&self) -> Option<(i64, i64)> {
        let ns = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok().and_then(|d| d.timestamp_nanos_opt());
        let first = self.knowledge.templates.iter().filter_map(|t| t.first_seen.as_deref().and_then(ns)).min()?;
        let last = self.knowledge.templates.iter().filter_map(|t| t.last_seen.as_deref().and_then(ns)).max()?;
        Some((first, last))
    }
}

/// `name` as a LogQL label name (`[a-zA-Z_][a-zA-Z0-9_]*`), or `p<slot>` when nothing is left.
pub fn label_name(name: &str, slot: usize) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    match out.chars().next() {
        None => format!("p{slot}"),
        Some(c) if c.is_ascii_digit() => format!("_{out}"),
        Some(_) => out,
    }
}

fn load_dense(store: &AppStore, model: &str, notes: &mut Vec<String>) -> Result<Option<DenseIndex>, KbError> {
    let mut d = DenseIndex::new(model, 0);
    let mut found = false;
    for kind in DocKind::ALL {
        let p = store.embeddings_path(kind, model);
        if !p.is_file() {
            continue;
        }
        found = true;
        let t = match read_vectors(&p) {
            Ok(t) => t,
            Err(e) => {
                notes.push(format!("{e}: dense search is off (run `logcopilot index --app {}` again)", store_app(store)));
                return Ok(None);
            }
        };
        if let Err(e) = d.add_table(t) {
            notes.push(format!("{}: {e}; dense search is off", p.display()));
            return Ok(None);
        }
    }
    if !found {
        notes.push(format!("no vectors of {model} in {}: retrieval is lexical only", store.dir().display()));
        return Ok(None);
    }
    Ok(Some(d))
}

fn store_app(store: &AppStore) -> String {
    store.dir().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names() {
        assert_eq!(label_name("src ip", 0), "src_ip");
        assert_eq!(label_name("number 1", 3), "number_1");
        assert_eq!(label_name("block_id", 0), "block_id");
        assert_eq!(label_name("2nd", 0), "_2nd");
        assert_eq!(label_name("  ", 4), "p4");
        assert_eq!(label_name("ip:port", 1), "ip_port");
        assert_eq!(label_name("Größe", 1), "gr_e");
    }

    #[test]
    fn missing_and_outdated_knowledge_say_how_to_rebuild() {
        let d = tempfile::tempdir().unwrap();
        let e = KnowledgeBase::load(d.path(), "hdfs", None, None).unwrap_err();
        assert!(matches!(e, KbError::Missing { .. }));
        assert!(e.to_string().contains("logcopilot index --app hdfs"), "{e}");
        let dir = d.path().join("hdfs");
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["templates.json", "parameters.json", "workflows.json"] {
            std::fs::write(dir.join(f), r#"{"schema_version": 0, "app": "hdfs", "templates": []}"#).unwrap();
        }
        let e = KnowledgeBase::load(d.path(), "hdfs", None, None).unwrap_err();
        assert!(matches!(e, KbError::Outdated { .. }), "{e}");
        assert!(e.to_string().contains("--force"), "{e}");
        std::fs::write(dir.join("templates.json"), "not json").unwrap();
        let e = KnowledgeBase::load(d.path(), "hdfs", None, None).unwrap_err();
        assert!(matches!(e, KbError::Unreadable { .. }), "{e}");
    }
}
