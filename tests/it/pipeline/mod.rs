//! The online pipeline: the deterministic query builder on every bundled
//! dataset and the embedded engine (`builder`); the shipped Q&A sheets
//! against the engine (`questions`); whole runs against the scripted LLM
//! server (`run`).

mod answers;
pub mod builder;
mod questions;
mod run;
