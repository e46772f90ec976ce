//! LogQL: the syntax tree ([`ast`]), lexer, parser with positioned errors,
//! printer, and the typed results ([`value`]) shared by every backend.

pub mod ast;
pub mod value;

pub use ast::*;

/// A LogQL syntax error (placeholder until the parser lands).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("parse error at line {line}, col {col}: {message}")]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in bytes as Loki does.
    pub col: usize,
    /// Byte offset into the query.
    pub offset: usize,
    /// `syntax error: unexpected X, expecting Y`.
    pub message: String,
}
