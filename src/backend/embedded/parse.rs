//! Parsing query text for the engine (the LogQL parser lives in
//! [`crate::logql`]).

use crate::backend::BackendError;
use crate::logql::{Expr, Matcher};

/// A whole query.
pub fn query(q: &str) -> Result<Expr, BackendError> {
    let _ = q;
    Err(BackendError::Execution("the LogQL parser is not available in this build".into()))
}

/// A stream selector (`{app="hdfs"}`).
pub fn selector(q: &str) -> Result<Vec<Matcher>, BackendError> {
    let _ = q;
    Err(BackendError::Execution("the LogQL parser is not available in this build".into()))
}
