//! The online pipeline: the deterministic query builder on every bundled
//! dataset and the embedded engine (`builder`); the shipped Q&A sheets
//! against the engine (`questions`).

mod builder;
mod questions;
