//! Retrieval over an app's documents (see [`crate::knowledge::documents`]).
//!
//! - [`bm25`]: the lexical index, built by `index` with or without an LLM and
//!   stored in `storage/<app>/bm25.json`.
//!
//! Dense search over the Parquet vectors (`crate::storage::vectors`) and the
//! fusion of both rankings are built on these.

pub mod bm25;

pub use bm25::{Bm25Index, Hit, tokenize};
