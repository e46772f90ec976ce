//! logcopilot: a terminal analyst for logs.
//!
//! Data flows one way: [`logs`] reads raw lines, [`index`] turns them into
//! knowledge (templates, parameters, workflows), [`storage`] keeps it on disk.
//! Later layers (LogQL, retrieval, the pipeline, the TUI) stand on these.
//!
//! - [`config`]: the one `Config` (flags > env > file > defaults).
//! - [`dataset`]: `datasets/<app>/dataset.toml`: header pattern, timestamps, labels, sessions;
//!   the bundled samples built into the binary.
//! - [`inputs`]: a user's own files, folder or stdin opened as an app (its definition in storage).
//! - [`logs`]: streaming reader (plain or gzip) and record parsing.
//! - [`index`]: template matching and mining, parameters, workflows, the indexing run.
//! - [`storage`]: the knowledge files, written atomically, with a manifest.
//! - [`knowledge`]: the knowledge types (templates, parameters, workflows, summaries, documents).
//! - [`logql`]: the LogQL lexer, parser (errors with their position), AST, printer and result values.
//! - [`backend`]: where LogQL runs: the embedded engine over the datasets, or a Loki.
//! - [`loki`]: the client for a real Loki (query, labels, volume, push, paging, TLS).
//! - [`retrieve`]: hybrid search over the knowledge (BM25 + dense, fused), context packing.
//! - [`pipeline`]: a question -> checked LogQL -> execution, repairs -> a streamed answer, as events.
//! - [`analyze`]: summary, root cause, action items, interpretation or solution over lines, in chunks.
//! - [`scan`]: windowed anomaly reports by the model, template signals, routing (JSONL, webhook).
//! - [`eval`]: a Q&A sheet through the pipeline, scored.
//! - [`llm`]: chat and embeddings on an OpenAI-compatible endpoint, redaction, usage.
//! - [`terminal`]: what may be written to a terminal (control sequences stripped, NO_COLOR).
//! - [`tui`]: the terminal UI (`logcopilot` with no arguments, or `logcopilot FILE…`).
//! - [`cli`]: the commands behind `main.rs`.

pub mod analyze;
pub mod backend;
pub mod cli;
pub mod config;
pub mod dataset;
pub mod eval;
pub mod index;
pub mod inputs;
pub mod knowledge;
pub mod llm;
pub mod logql;
pub mod logs;
pub mod pipeline;
pub mod loki;
pub mod retrieve;
pub mod scan;
pub mod storage;
pub mod terminal;
pub mod tui;
