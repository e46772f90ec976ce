//! Parsing query text for the engine with [`crate::logql`]'s parser; its
//! errors carry Loki's line and column.

use crate::backend::BackendError;
use crate::logql::{Expr, Matcher};

/// A whole query.
pub fn query(q: &str) -> Result<Expr, BackendError> {
    Ok(crate::logql::parse(q)?)
}

/// A stream selector (`{app="hdfs"}`).
pub fn selector(q: &str) -> Result<Vec<Matcher>, BackendError> {
    Ok(crate::logql::parse_selector(q)?)
}
