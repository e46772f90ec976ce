//! Offline indexing without an LLM: known-template matching ([`known`]),
//! template mining ([`drain`]), parameters ([`params`]), structured fields
//! ([`fields`]) and workflows ([`workflows`]), read in streaming passes
//! ([`pass`]: `block` per worker, `finish` at the end) driven by [`run`], or
//! by [`incremental`] to read on from a saved state.
//!
//! Then [`enrich`]: LLM [`summarize`] and [`embed`] when an endpoint is
//! configured, and the BM25 lexical index always.

mod block;
pub mod drain;
pub mod embed;
pub mod enrich;
pub mod event;
pub mod fields;
mod finish;
pub mod follow;
pub mod from_loki;
pub mod incremental;
pub mod job;
pub mod known;
pub mod mask;
pub mod params;
pub mod pass;
pub mod run;
mod snapshot;
pub mod sketch;
pub mod summarize;
pub mod templates;
pub mod tokens;
pub mod workflows;

pub use enrich::{EnrichError, EnrichFailure, EnrichOptions, EnrichReport, Outcome};
pub use event::{IndexEvent, Phase};
pub use run::{IndexError, IndexOptions, IndexOutput, RunStats, run};
