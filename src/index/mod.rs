//! Offline indexing without an LLM: known-template matching ([`known`]),
//! template mining ([`drain`]), parameters ([`params`]) and workflows
//! ([`workflows`]), driven by [`run`] in one streaming pass.
//!
//! Then [`enrich`]: LLM [`summarize`] and [`embed`] when an endpoint is
//! configured, and the BM25 lexical index always.

pub mod drain;
pub mod embed;
pub mod enrich;
pub mod event;
pub mod fields;
pub mod job;
pub mod known;
pub mod mask;
pub mod params;
pub mod run;
pub mod sketch;
pub mod summarize;
pub mod templates;
pub mod tokens;
pub mod workflows;

pub use enrich::{EnrichError, EnrichFailure, EnrichOptions, EnrichReport, Outcome};
pub use event::{IndexEvent, Phase};
pub use run::{IndexError, IndexOptions, IndexOutput, RunStats, run};
