//! The `embed` phase: a vector per document (templates, parameters,
//! workflows; see [`crate::knowledge::documents`]) with the embedding model,
//! requested in batches of `llm.embedding_batch_size`, each batch appended to
//! the cache (`storage/<app>/cache/embeddings_<model>.bin`, keyed by a hash
//! of the model and the document's text) as it arrives. When every document
//! has its vector, `<kind>_embeddings_<model>.parquet` are written, streamed
//! from the cache (vectors are not all held in memory).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::task::JoinSet;

use super::enrich::EnrichError;
use super::event::{IndexEvent, Phase};
use crate::knowledge::{DocKind, Document};
use crate::llm::{LlmClient, LlmError};
use crate::storage::AppStore;
use crate::storage::vector_cache::VectorCache;
use crate::storage::vectors::{VectorRow, VectorWriter};

/// The usage phase name of these requests.
pub const PHASE: &str = "embed";

/// The cache key of a document's vector.
pub fn key(model: &str, text: &str) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(model.as_bytes());
    h.update(&[0]);
    h.update(text.as_bytes());
    h.digest128()
}

/// What the phase did.
#[derive(Debug, Clone, Default)]
pub struct EmbedOutput {
    pub documents: usize,
    /// Documents embedded in this run; the rest came from the cache.
    pub requested: usize,
    pub cached: usize,
    pub batches: usize,
    pub dims: usize,
    pub files: Vec<(DocKind, PathBuf, usize)>,
}

/// Runs the phase over `docs`.
pub async fn run(
    client: &LlmClient,
    store: &AppStore,
    docs: &[Document],
    batch_size: usize,
    concurrency: usize,
    on_event: &dyn Fn(IndexEvent),
    cancel: &AtomicBool,
) -> Result<EmbedOutput, EnrichError> {
    let model = client.embedding_model().to_owned();
    let cache_path = store.cache_path("embeddings", &model).with_extension("bin");
    let mut cache = VectorCache::open(&cache_path)?;
    let keys: Vec<u128> = docs.iter().map(|d| key(&model, &d.text)).collect();
    // Vectors from an earlier run fix the dimension.
    if let Some(dims) = keys.iter().find_map(|k| cache.dims(*k)) {
        client.expect_dims(dims);
    }
    let mut seen = HashSet::new();
    let pending: Vec<(u128, String)> = docs
        .iter()
        .zip(&keys)
        .filter(|(_, k)| !cache.contains(**k) && seen.insert(**k))
        .map(|(d, k)| (*k, d.text.clone()))
        .collect();
    let total = docs.len() as u64;
    let cached_docs = docs.len() - keys.iter().filter(|k| seen.contains(*k)).count();
    on_event(IndexEvent::ItemsStarted { phase: Phase::Embed, total, cached: cached_docs as u64 });
    let mut done = cached_docs as u64;
    let progress = |done: u64| {
        let u = client.usage().phase(PHASE);
        on_event(IndexEvent::Items { phase: Phase::Embed, done, total, tokens_in: u.tokens_in, tokens_out: 0, cost_usd: u.cost_usd });
    };
    progress(done);

    let requested = pending.len();
    let batches: Vec<Vec<(u128, String)>> = pending.chunks(batch_size.max(1)).map(<[_]>::to_vec).collect();
    let n_batches = batches.len();
    let mut queue = batches.into_iter();
    type Joined = (Vec<u128>, Result<Vec<Vec<f32>>, LlmError>);
    let mut set: JoinSet<Joined> = JoinSet::new();
    let mut failure: Option<EnrichError> = None;
    loop {
        while failure.is_none() && !cancel.load(Ordering::Relaxed) && set.len() < concurrency.max(1) {
            let Some(b) = queue.next() else { break };
            let c = client.clone();
            set.spawn(async move {
                let (keys, texts): (Vec<u128>, Vec<String>) = b.into_iter().unzip();
                let r = c.embed(PHASE, &texts).await;
                (keys, r)
            });
        }
        let Some(joined) = set.join_next().await else { break };
        match joined {
            Ok((keys, Ok(vectors))) => {
                let n = keys.len() as u64;
                let records: Vec<(u128, Vec<f32>)> = keys.into_iter().zip(vectors).collect();
                if let Err(e) = cache.put_all(&records) {
                    set.abort_all();
                    return Err(e.into());
                }
                // Documents with equal text share a key: count documents, not keys.
                done = (done + n).min(total);
                progress(done);
            }
            Ok((_, Err(LlmError::Dimension { expected, got }))) => {
                failure.get_or_insert(EnrichError::Dimension { expected, got, cache: cache_path.clone() });
            }
            Ok((keys, Err(e))) => {
                failure.get_or_insert(EnrichError::Llm { what: format!("a batch of {} documents", keys.len()), error: e });
            }
            Err(e) => {
                failure.get_or_insert(EnrichError::Task(e.to_string()));
            }
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    if queue.len() > 0 {
        return Err(EnrichError::Cancelled { phase: PHASE, done, total });
    }
    progress(total);

    // Every vector present and of one dimension before any file is replaced.
    let mut dims = client.dims().unwrap_or(0);
    for (d, k) in docs.iter().zip(&keys) {
        let got = cache.dims(*k).ok_or_else(|| EnrichError::Task(format!("no vector for {}", d.id)))?;
        if dims == 0 {
            dims = got;
        }
        if got != dims {
            return Err(EnrichError::Dimension { expected: dims, got, cache: cache_path.clone() });
        }
    }
    let mut files = Vec::new();
    for kind in DocKind::ALL {
        let path = store.embeddings_path(kind, &model);
        let mut w: Option<VectorWriter> = None;
        for (d, k) in docs.iter().zip(&keys).filter(|(d, _)| d.kind == kind) {
            let vector = cache.get(*k)?.ok_or_else(|| EnrichError::Task(format!("no vector for {}", d.id)))?;
            let writer = match &mut w {
                Some(w) => w,
                None => w.insert(VectorWriter::create(&path, &model, dims)?),
            };
            writer.push(VectorRow { id: d.id.clone(), kind: kind.as_str().to_owned(), text: d.text.clone(), vector })?;
        }
        let rows = match w {
            Some(w) => w.finish()?,
            // No document of this kind: an empty file, so every kind has one.
            None => VectorWriter::create(&path, &model, dims)?.finish()?,
        };
        files.push((kind, path, rows));
    }
    Ok(EmbedOutput { documents: docs.len(), requested, cached: cached_docs, batches: n_batches, dims, files })
}
