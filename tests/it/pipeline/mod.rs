//! The online pipeline: the deterministic query builder on every bundled
//! dataset and the embedded engine (`builder`).

mod builder;
