//! The LogQL parse error: a message in Loki's words with the line and column
//! where it happened.

/// A LogQL syntax or validation error.
///
/// Displays as Loki does: `parse error at line 1, col 17: syntax error:
/// unexpected $end, expecting } or ,`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("parse error at line {line}, col {col}: {message}")]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters from the start of the line, as
    /// Loki's lexer (Go's `text/scanner`) does; for ASCII queries this is the
    /// byte column.
    pub col: usize,
    /// Byte offset into the query.
    pub offset: usize,
    /// `syntax error: unexpected X, expecting Y`, or a validation message.
    pub message: String,
}

impl ParseError {
    /// An error at byte `offset` of `src` (clamped to the end of `src`).
    pub fn at(src: &str, offset: usize, message: impl Into<String>) -> ParseError {
        let mut offset = offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &src[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        ParseError {
            line,
            col,
            offset,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_character_columns() {
        let e = ParseError::at("{app=\"openstack\"", 16, "m");
        assert_eq!((e.line, e.col, e.offset), (1, 17, 16));
        let e = ParseError::at("a\nbc", 3, "m");
        assert_eq!((e.line, e.col), (2, 2));
        let e = ParseError::at("é x", 3, "m");
        assert_eq!((e.line, e.col), (1, 3));
        let e = ParseError::at("ab", 99, "m");
        assert_eq!((e.col, e.offset), (3, 2));
        assert_eq!(
            ParseError::at("x", 0, "syntax error: unexpected x").to_string(),
            "parse error at line 1, col 1: syntax error: unexpected x"
        );
    }
}
