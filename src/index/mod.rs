//! Offline indexing without an LLM: known-template matching ([`known`]),
//! template mining ([`drain`]), parameters ([`params`]) and workflows
//! ([`workflows`]), driven by [`run`] in one streaming pass.

pub mod drain;
pub mod event;
pub mod known;
pub mod mask;
pub mod params;
pub mod run;
pub mod sketch;
pub mod templates;
pub mod tokens;
pub mod workflows;

pub use event::{IndexEvent, Phase};
pub use run::{IndexError, IndexOptions, IndexOutput, RunStats, run};
