//! Retrieval over an app's documents (see [`crate::knowledge::documents`]).
//!
//! - [`bm25`]: the lexical index, built by `index` with or without an LLM and
//!   stored in `storage/<app>/bm25.json`.
//! - [`dense`]: cosine similarity over the Parquet vectors.
//! - [`fusion`]: reciprocal rank fusion of the two rankings.
//! - [`hybrid`]: [`Retriever`], both searches fused, with exclusions.
//! - [`base`]: [`KnowledgeBase`], what the online pipeline loads from storage.
//! - [`pack`]: the retrieved items written out under a token budget.

pub mod base;
pub mod bm25;
pub mod dense;
pub mod fusion;
pub mod hybrid;
pub mod pack;

pub use base::{KbError, KnowledgeBase, label_name};
pub use bm25::{Bm25Index, Hit, tokenize};
pub use dense::{DenseHit, DenseIndex};
pub use hybrid::{RankScore, RetrieveOptions, RetrievedItem, Retriever};
pub use pack::{Packed, pack};
