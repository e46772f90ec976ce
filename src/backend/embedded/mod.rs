//! The embedded LogQL engine over local dataset files.

mod filter;
mod json;
mod labels;
mod logfmt;
mod matcher;
mod pattern;
mod pipeline;
mod stages;
mod template;
mod units;

use crate::backend::BackendError;
use crate::logql::ParseError;

/// A query that parses but whose regex, template or pattern does not
/// compile: Loki answers these with a 400 parse error without a position.
pub(crate) fn compile_error(message: impl Into<String>) -> BackendError {
    BackendError::Parse(ParseError { line: 0, col: 0, offset: 0, message: message.into() })
}
