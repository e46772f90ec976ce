//! LogQL: the syntax tree ([`ast`]), the lexer ([`lexer`]), the parser with
//! Loki's error messages and positions ([`parse`]), the printer (`Display`
//! on the tree, in Loki's canonical style), durations and byte sizes
//! ([`duration`]), pattern expressions ([`pattern`]), and the typed results
//! ([`value`]) shared by every backend.

pub mod ast;
pub mod duration;
mod error;
pub mod lexer;
mod parser;
pub mod pattern;
mod printer;
#[cfg(test)]
pub(crate) mod proptests;
mod strings;
pub mod value;

pub use ast::*;
pub use duration::{format_duration, parse_bytes, parse_duration};
pub use error::ParseError;
pub use lexer::{Token, TokenKind, tokenize};
pub use parser::{MAX_DEPTH, parse, parse_selector};
