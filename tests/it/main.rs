//! Integration tests on the real Loghub samples and the real binary.
//! One test binary (to keep link time down), one module per subject.

mod accuracy;
mod bad_input;
mod common;
mod headers;
mod index_cli;
mod llm;
