//! The worker: a task that runs what takes time — queries on the backend,
//! the data's time span, loading knowledge, indexing — and sends results
//! back as [`WorkerMsg`]s. Draw code never touches the backend; the app
//! sends [`Job`]s here. A running query is cancelled through the engine's
//! cancel flag (and by dropping a Loki request); a running question through
//! the pipeline's cancel token (it still ends with its `Finished` event).
//! The pipeline's context (knowledge base, model client) is built at the
//! first question and again after the knowledge changes.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use super::event::Event;
use super::panes::knowledge::KnowledgeState;
use crate::backend::{Backend, BackendError, Direction, RangeRequest};
use crate::logql::value::QueryResult;
use crate::pipeline::plan::Request;
use crate::pipeline::{AskRequest, Confirm, PipelineContext, PipelineEvent};
use crate::storage::AppStore;

/// Work for the worker.
#[derive(Debug)]
pub enum Job {
    /// Run a query (a range query, or an instant one for `$__range`); the
    /// answer carries `id`.
    Query { id: u64, req: Request },
    /// Cancel the running query.
    Cancel,
    /// Find the first and last timestamp of the app's data.
    Span,
    /// Load the app's stored knowledge.
    Knowledge,
    /// Index the app (see [`super::indexing`]).
    Index(super::indexing::IndexJob),
    /// Stop the running index job after the work in flight.
    CancelIndex,
    /// Run a question through the pipeline; its events carry `id`.
    Ask { id: u64, question: String, start_ns: Option<i64>, end_ns: Option<i64> },
    /// The answer to the guard's question about the running question's query.
    Confirm(Confirm),
    /// Analyse log lines with the model: chunk them, run the first chunk.
    Analyze { id: u64, mode: crate::analyze::Mode, lines: Vec<String> },
    /// Run another chunk of the analysis `id`.
    AnalyzeChunk { id: u64, chunk: usize },
    /// An anomaly scan of the app over a time range; its events carry `id`.
    Scan { id: u64, start_ns: i64, end_ns: i64 },
    /// Stop the running scan (it still ends with its summary).
    CancelScan,
}

/// What the worker sends back.
#[derive(Debug)]
pub enum WorkerMsg {
    QueryDone { id: u64, result: Result<QueryResult, BackendError>, elapsed: Duration },
    /// The data's first and last timestamp; `None` when unknown (a Loki, no data).
    Span(Option<(i64, i64)>),
    Knowledge(KnowledgeState),
    /// Loki's own patterns for the app (from `index --from-loki`), if any.
    LokiPatterns(Vec<crate::storage::loki::LokiPattern>),
    Index(crate::index::IndexEvent),
    /// Indexing ended: a summary, or what went wrong.
    IndexDone(Result<String, String>),
    /// The index job built the knowledge and now follows its input: a summary.
    IndexFollowing(String),
    /// Following: one update (lines read on, a truncation, a failure), as a line.
    IndexUpdate(String),
    /// What the index job is doing now, e.g. how far a Loki pull got (replaces the last).
    IndexNote(String),
    /// A step of the question `id`; the last one is `Finished`.
    Pipeline { id: u64, event: PipelineEvent },
    /// The question `id` could not start (no knowledge, a bad model config).
    AskFailed { id: u64, error: String },
    /// A step of the analysis `id`.
    Analysis { id: u64, msg: super::analysis::AnalysisMsg },
    /// A step of the scan `id`; the last one is `Finished`.
    Scan { id: u64, event: crate::scan::event::ScanEvent },
    /// The scan `id` could not start.
    ScanFailed { id: u64, error: String },
}

/// What the worker needs.
pub struct WorkerCtx {
    pub backend: Backend,
    pub app: String,
    pub storage: PathBuf,
    pub config: Arc<crate::config::Config>,
}

/// The question being answered.
struct Asking {
    cancel: tokio_util::sync::CancellationToken,
    confirm: tokio::sync::mpsc::UnboundedSender<Confirm>,
}

/// The scan's context for the app: backend, model, dataset, knowledge (when there is some).
fn scan_context(ctx: &WorkerCtx) -> Result<crate::scan::ScanContext, String> {
    let cfg = &ctx.config;
    let paths = crate::config::resolve_paths(cfg);
    let dataset = crate::dataset::Dataset::find(&paths.datasets, &paths.storage, &ctx.app).ok().map(Arc::new);
    let kb = crate::retrieve::KnowledgeBase::load(&ctx.storage, &ctx.app, None, None).ok().map(Arc::new);
    let llm = crate::llm::LlmClient::from_config(cfg).map_err(|e| format!("the model is misconfigured: {e}"))?;
    let options = crate::scan::ScanOptions::from_config(cfg);
    Ok(crate::scan::ScanContext { app: ctx.app.clone(), backend: ctx.backend.clone(), llm, dataset, kb, options })
}

/// The pipeline's context for the app: knowledge base, backend, model.
fn pipeline_context(ctx: &WorkerCtx) -> Result<PipelineContext, String> {
    let cfg = &ctx.config;
    let paths = crate::config::resolve_paths(cfg);
    let dataset = crate::dataset::Dataset::find(&paths.datasets, &paths.storage, &ctx.app).ok();
    let llm = crate::llm::LlmClient::from_config(cfg).map_err(|e| format!("the model is misconfigured: {e}"))?;
    let kb = crate::retrieve::KnowledgeBase::load(&ctx.storage, &ctx.app, Some(&cfg.llm.chat_model), Some(&cfg.llm.embedding_model))
        .map_err(|e| e.to_string())?;
    Ok(PipelineContext::new(Arc::new(kb), ctx.backend.clone(), llm, cfg.pipeline.clone(), dataset.as_ref()))
}

struct Running {
    id: u64,
    started: Instant,
    cancel: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

async fn run_query(backend: &Backend, req: Request, cancel: Arc<AtomicBool>) -> Result<QueryResult, BackendError> {
    match backend {
        Backend::Embedded(e) => {
            let e = e.clone();
            tokio::task::spawn_blocking(move || match &req {
                Request::Range(r) => e.query_range_cancellable(r, &cancel),
                Request::Instant(r) => e.query_cancellable(r, &cancel),
            })
            .await
            .map_err(|e| BackendError::Execution(format!("engine task failed: {e}")))?
        }
        Backend::Loki(c) => match &req {
            Request::Range(r) => c.query_range(r).await,
            Request::Instant(r) => c.query(r).await,
        },
    }
}

/// First and last timestamp of the app's lines (embedded engine only: a
/// Loki keeps more than one app, and a long range costs it).
async fn span(backend: &Backend, app: &str) -> Option<(i64, i64)> {
    if !matches!(backend, Backend::Embedded(_)) {
        return None;
    }
    let end_ns = 4_102_444_800_000_000_000; // 2100-01-01
    let query = crate::logql::Expr::Log(crate::logql::LogExpr {
        matchers: vec![crate::logql::Matcher { name: "app".into(), op: crate::logql::MatchOp::Eq, value: app.into() }],
        pipeline: Vec::new(),
    })
    .to_string();
    let mut req = RangeRequest { query, start_ns: 0, end_ns, step_ns: None, limit: 1, direction: Direction::Forward };
    let first = run_query(backend, Request::Range(req.clone()), Arc::default()).await.ok()?;
    req.direction = Direction::Backward;
    let last = run_query(backend, Request::Range(req), Arc::default()).await.ok()?;
    let ts = |r: &QueryResult| match r {
        QueryResult::Streams(s) => s.iter().flat_map(|s| s.entries.iter().map(|e| e.ts)).next(),
        _ => None,
    };
    Some((ts(&first)?, ts(&last)?))
}

fn knowledge(storage: &std::path::Path, app: &str) -> KnowledgeState {
    let store = AppStore::new(storage, app);
    if store.manifest().is_none() {
        return KnowledgeState::Missing(format!("no knowledge for {app} yet."));
    }
    match store.load() {
        Ok(k) => KnowledgeState::Loaded(k.templates),
        Err(e) => KnowledgeState::Failed(format!("cannot read the knowledge of {app}: {e}")),
    }
}

/// Runs jobs until the job channel closes.
pub fn spawn(ctx: WorkerCtx, mut jobs: UnboundedReceiver<Job>, out: UnboundedSender<Event>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let ctx = Arc::new(ctx);
        let mut running: Option<Running> = None;
        let mut index_cancel: Option<Arc<AtomicBool>> = None;
        let mut asking: Option<Asking> = None;
        let mut pipeline: Option<Arc<PipelineContext>> = None;
        let mut analysis: Option<Arc<super::analysis::AnalysisJob>> = None;
        let mut chunk_cancel = tokio_util::sync::CancellationToken::new();
        let mut scan_cancel: Option<tokio_util::sync::CancellationToken> = None;
        while let Some(job) = jobs.recv().await {
            match job {
                Job::Analyze { id, mode, lines } => {
                    use super::analysis::{AnalysisMsg, prepare, run_chunk};
                    chunk_cancel.cancel();
                    analysis = None;
                    let paths = crate::config::resolve_paths(&ctx.config);
                    let service = crate::dataset::Dataset::find(&paths.datasets, &paths.storage, &ctx.app).ok().map(|d| d.description);
                    let send = |msg| {
                        let _ = out.send(Event::Worker(WorkerMsg::Analysis { id, msg }));
                    };
                    match prepare(&ctx.config, service, id, mode, &lines) {
                        Ok((job, started)) => {
                            send(started);
                            let job = Arc::new(job);
                            chunk_cancel = tokio_util::sync::CancellationToken::new();
                            run_chunk(job.clone(), 0, chunk_cancel.clone(), out.clone());
                            analysis = Some(job);
                        }
                        Err(e) => send(AnalysisMsg::Failed(e)),
                    }
                }
                Job::Scan { id, start_ns, end_ns } => {
                    if let Some(c) = scan_cancel.take() {
                        c.cancel();
                    }
                    let w = ctx.clone();
                    let built = tokio::task::spawn_blocking(move || scan_context(&w)).await.unwrap_or_else(|e| Err(e.to_string()));
                    let sc = match built {
                        Ok(c) => Arc::new(c),
                        Err(error) => {
                            let _ = out.send(Event::Worker(WorkerMsg::ScanFailed { id, error }));
                            continue;
                        }
                    };
                    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
                    let jsonl = Some(crate::config::resolve_paths(&ctx.config).results.join(&ctx.app).join(format!("scan-{stamp}.jsonl")));
                    let req = crate::scan::ScanRequest { start_ns: Some(start_ns), end_ns: Some(end_ns), window_ns: None, max_lines: None, jsonl };
                    let mut h = crate::scan::start(sc, req);
                    scan_cancel = Some(h.cancel_token());
                    let tx = out.clone();
                    tokio::spawn(async move {
                        while let Some(event) = h.next().await {
                            if tx.send(Event::Worker(WorkerMsg::Scan { id, event })).is_err() {
                                h.cancel();
                                break;
                            }
                        }
                    });
                }
                Job::CancelScan => {
                    if let Some(c) = scan_cancel.take() {
                        c.cancel();
                    }
                }
                Job::AnalyzeChunk { id, chunk } => {
                    if let Some(a) = analysis.as_ref().filter(|a| a.id == id) {
                        chunk_cancel.cancel();
                        chunk_cancel = tokio_util::sync::CancellationToken::new();
                        super::analysis::run_chunk(a.clone(), chunk, chunk_cancel.clone(), out.clone());
                    }
                }
                Job::Ask { id, question, start_ns, end_ns } => {
                    if let Some(a) = asking.take() {
                        a.cancel.cancel();
                    }
                    let c = match &pipeline {
                        Some(c) => c.clone(),
                        None => {
                            let w = ctx.clone();
                            let built = tokio::task::spawn_blocking(move || pipeline_context(&w))
                                .await
                                .unwrap_or_else(|e| Err(format!("loading the knowledge failed: {e}")));
                            match built {
                                Ok(c) => pipeline.insert(Arc::new(c)).clone(),
                                Err(error) => {
                                    let _ = out.send(Event::Worker(WorkerMsg::AskFailed { id, error }));
                                    continue;
                                }
                            }
                        }
                    };
                    let record_dir = Some(crate::config::resolve_paths(&ctx.config).results.join(&ctx.app));
                    let req = AskRequest { question, start_ns, end_ns, record_dir, interactive: true };
                    let mut h = crate::pipeline::start(c, req);
                    asking = Some(Asking { cancel: h.cancel_token(), confirm: h.confirmer() });
                    let tx = out.clone();
                    tokio::spawn(async move {
                        while let Some(event) = h.next().await {
                            if tx.send(Event::Worker(WorkerMsg::Pipeline { id, event })).is_err() {
                                h.cancel();
                                break;
                            }
                        }
                    });
                }
                Job::Confirm(c) => {
                    if let Some(a) = &asking {
                        let _ = a.confirm.send(c);
                    }
                }
                Job::Query { id, req } => {
                    if let Some(r) = running.take() {
                        r.cancel.store(true, Ordering::Relaxed);
                        r.task.abort();
                    }
                    let cancel = Arc::new(AtomicBool::new(false));
                    let (c, tx, flag) = (ctx.clone(), out.clone(), cancel.clone());
                    let task = tokio::spawn(async move {
                        let t = Instant::now();
                        let result = run_query(&c.backend, req, flag).await;
                        let _ = tx.send(Event::Worker(WorkerMsg::QueryDone { id, result, elapsed: t.elapsed() }));
                    });
                    running = Some(Running { id, started: Instant::now(), cancel, task });
                }
                Job::Cancel => {
                    if let Some(a) = asking.take() {
                        a.cancel.cancel();
                    }
                    // Cancels the chunk in flight; the chunks stay for paging.
                    chunk_cancel.cancel();
                    if let Some(r) = running.take() {
                        r.cancel.store(true, Ordering::Relaxed);
                        r.task.abort();
                        let msg = WorkerMsg::QueryDone { id: r.id, result: Err(BackendError::Cancelled), elapsed: r.started.elapsed() };
                        let _ = out.send(Event::Worker(msg));
                    }
                }
                Job::Span => {
                    let (c, tx) = (ctx.clone(), out.clone());
                    tokio::spawn(async move {
                        let s = span(&c.backend, &c.app).await;
                        let _ = tx.send(Event::Worker(WorkerMsg::Span(s)));
                    });
                }
                Job::Knowledge => {
                    // The knowledge may have changed (indexing): the next question reloads it.
                    pipeline = None;
                    let (c, tx) = (ctx.clone(), out.clone());
                    tokio::spawn(async move {
                        let (storage, app) = (c.storage.clone(), c.app.clone());
                        let (k, loki) = tokio::task::spawn_blocking(move || {
                            let loki = AppStore::new(&storage, &app).loki_patterns().filter(|f| f.fetch.offered).map(|f| f.patterns);
                            (knowledge(&storage, &app), loki.unwrap_or_default())
                        })
                        .await
                        .unwrap_or_else(|e| (KnowledgeState::Failed(e.to_string()), Vec::new()));
                        let _ = tx.send(Event::Worker(WorkerMsg::Knowledge(k)));
                        let _ = tx.send(Event::Worker(WorkerMsg::LokiPatterns(loki)));
                    });
                }
                Job::Index(job) => {
                    let cancel = Arc::new(AtomicBool::new(false));
                    index_cancel = Some(cancel.clone());
                    super::indexing::spawn(ctx.config.clone(), job, cancel, out.clone());
                }
                Job::CancelIndex => {
                    if let Some(c) = index_cancel.take() {
                        c.store(true, Ordering::Relaxed);
                    }
                }
            }
        }
        if let Some(r) = running.take() {
            r.cancel.store(true, Ordering::Relaxed);
            r.task.abort();
        }
        if let Some(c) = index_cancel {
            c.store(true, Ordering::Relaxed);
        }
        if let Some(a) = asking {
            a.cancel.cancel();
        }
        chunk_cancel.cancel();
        if let Some(c) = scan_cancel {
            c.cancel();
        }
    })
}
