//! What `index` does after the LLM-free phases: [`summarize`](super::summarize)
//! and [`embed`](super::embed) when an endpoint is configured, then always the
//! BM25 lexical index over the documents (with whatever summaries exist), so
//! retrieval works offline too. Skipped phases are reported with the reason.
//! After a failure the work done so far stays in the caches and the lexical
//! index is still written.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::event::{IndexEvent, Phase};
use super::{embed, summarize};
use crate::knowledge::{Knowledge, Summaries, documents};
use crate::llm::prompts::PromptError;
use crate::llm::{LlmClient, LlmError};
use crate::retrieve::Bm25Index;
use crate::storage::{AppStore, DerivedFile, StorageError};

/// Errors of the LLM and lexical phases.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    /// `what` names the item (`template E5`, `a batch of 64 documents`).
    #[error("{what}: {error}")]
    Llm { what: String, error: LlmError },
    #[error(
        "the embedding model returned vectors of {got} dimensions, the vectors before them have {expected}; if the model changed under the same name, delete {} and run index again",
        cache.display()
    )]
    Dimension { expected: usize, got: usize, cache: PathBuf },
    #[error("{phase} stopped after {done} of {total} items; finished items are kept, run index again to resume")]
    Cancelled { phase: &'static str, done: u64, total: u64 },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error("a worker task failed: {0}")]
    Task(String),
}

/// How a phase ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Items in all, of them requested in this run (the rest cached), items
    /// left without a result (a reply that stayed invalid), seconds.
    Done { items: usize, requested: usize, cached: usize, failed: usize, secs: f64 },
    Skipped(String),
    Failed(String),
}

/// What the phases did.
#[derive(Debug, Clone)]
pub struct EnrichReport {
    pub summarize: Outcome,
    pub embed: Outcome,
    /// Documents and distinct terms of the BM25 index.
    pub lexical: Option<(usize, usize)>,
    /// Summaries used in the documents (from this run or, offline, from the cache).
    pub summaries: usize,
    pub files: Vec<PathBuf>,
}

/// A failed run: what was done, and the error.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct EnrichFailure {
    pub report: EnrichReport,
    #[source]
    pub error: EnrichError,
}

/// Settings of the phases.
#[derive(Debug, Clone)]
pub struct EnrichOptions {
    /// The chat model whose cached summaries offline mode may reuse.
    pub chat_model: String,
    pub embedding_batch_size: usize,
    pub concurrency: usize,
    /// Why the LLM phases are skipped when there is no client.
    pub offline_reason: String,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Runs the phases for the knowledge `k` of `app`.
pub async fn run(
    client: Option<&LlmClient>,
    store: &AppStore,
    app: &str,
    k: &Knowledge,
    opts: &EnrichOptions,
    on_event: &dyn Fn(IndexEvent),
    cancel: &AtomicBool,
) -> Result<EnrichReport, Box<EnrichFailure>> {
    let mut report = EnrichReport {
        summarize: Outcome::Skipped(opts.offline_reason.clone()),
        embed: Outcome::Skipped(opts.offline_reason.clone()),
        lexical: None,
        summaries: 0,
        files: Vec::new(),
    };
    let mut derived = Vec::new();
    let mut error: Option<EnrichError> = None;
    let summaries: Summaries = match client {
        None => {
            on_event(IndexEvent::Skipped { phase: Phase::Summarize, reason: opts.offline_reason.clone() });
            on_event(IndexEvent::Skipped { phase: Phase::Embed, reason: opts.offline_reason.clone() });
            summarize::cached(store, app, k, &opts.chat_model).unwrap_or_default()
        }
        Some(c) => {
            let t = Instant::now();
            match summarize::run(c, store, app, k, opts.concurrency, on_event, cancel).await {
                Ok(out) => {
                    let items = out.requested + out.cached;
                    on_event(IndexEvent::Finished { phase: Phase::Summarize, lines: items as u64, secs: t.elapsed().as_secs_f64() });
                    report.summarize = Outcome::Done {
                        items,
                        requested: out.requested,
                        cached: out.cached,
                        failed: out.invalid.len(),
                        secs: t.elapsed().as_secs_f64(),
                    };
                    for ((kind, version), f) in out.prompt_versions.iter().zip(&out.files) {
                        derived.push(DerivedFile {
                            file: file_name(f),
                            kind: "summaries".into(),
                            model: Some(c.chat_model().to_owned()),
                            version: Some(version.clone()),
                            items: out.summaries.of(*kind).len(),
                            built_at: now(),
                        });
                    }
                    report.files.extend(out.files);
                    out.summaries
                }
                Err(e) => {
                    report.summarize = Outcome::Failed(e.to_string());
                    report.embed = Outcome::Skipped("the summaries are not complete".into());
                    on_event(IndexEvent::Skipped { phase: Phase::Embed, reason: "the summaries are not complete".into() });
                    error = Some(e);
                    summarize::cached(store, app, k, c.chat_model()).unwrap_or_default()
                }
            }
        }
    };
    report.summaries = summaries.len();
    let docs = documents(k, &summaries);

    if let (Some(c), None) = (client, &error) {
        let t = Instant::now();
        match embed::run(c, store, &docs, opts.embedding_batch_size, opts.concurrency, on_event, cancel).await {
            Ok(out) => {
                on_event(IndexEvent::Finished { phase: Phase::Embed, lines: out.documents as u64, secs: t.elapsed().as_secs_f64() });
                report.embed = Outcome::Done {
                    items: out.documents,
                    requested: out.requested,
                    cached: out.cached,
                    failed: 0,
                    secs: t.elapsed().as_secs_f64(),
                };
                for (_, path, n) in &out.files {
                    derived.push(DerivedFile {
                        file: file_name(path),
                        kind: "embeddings".into(),
                        model: Some(c.embedding_model().to_owned()),
                        version: None,
                        items: *n,
                        built_at: now(),
                    });
                    report.files.push(path.clone());
                }
            }
            Err(e) => {
                report.embed = Outcome::Failed(e.to_string());
                error = Some(e);
            }
        }
    }

    // The lexical index, always: it needs no model.
    let t = Instant::now();
    on_event(IndexEvent::Started { phase: Phase::Lexical, total_bytes: None });
    let ix = Bm25Index::build(app, docs);
    let path = store.bm25_path();
    let saved = ix.save(&path);
    on_event(IndexEvent::Finished { phase: Phase::Lexical, lines: ix.len() as u64, secs: t.elapsed().as_secs_f64() });
    match saved {
        Ok(()) => {
            report.lexical = Some((ix.len(), ix.vocabulary()));
            derived.push(DerivedFile { file: file_name(&path), kind: "bm25".into(), model: None, version: None, items: ix.len(), built_at: now() });
            report.files.push(path);
        }
        Err(e) => {
            error.get_or_insert(e.into());
        }
    }
    if let Err(e) = store.record_derived(derived) {
        error.get_or_insert(e.into());
    }
    match error {
        None => Ok(report),
        Some(error) => Err(Box::new(EnrichFailure { report, error })),
    }
}
