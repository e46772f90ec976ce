//! Printing a failed query for people: Loki-style `parse error at line L,
//! col C: …`, the query, and a caret under the position.

use std::io::{self, Write};

use crate::backend::BackendError;

/// The error was already printed; exit 1 without printing it again.
#[derive(Debug, thiserror::Error)]
#[error("reported")]
pub struct Reported;

/// Prints `err` for `query` to `w` (stderr in the CLI).
pub fn print(query: &str, err: &BackendError, w: &mut dyn Write) -> io::Result<()> {
    let (message, pos) = match err {
        BackendError::Parse(e) => (e.to_string(), Some((e.line, e.col))),
        BackendError::Server { status: 400, message } => (message.trim().to_string(), position_in(message)),
        other => (format!("error: {other}"), None),
    };
    writeln!(w, "{message}")?;
    if let Some((line, col)) = pos {
        caret(query, line, col, w)?;
    }
    Ok(())
}

/// `line` and `col` of Loki's `parse error at line L, col C:` text.
pub fn position_in(message: &str) -> Option<(usize, usize)> {
    let rest = &message[message.find("parse error at line ")? + "parse error at line ".len()..];
    let (line, rest) = rest.split_once(", col ")?;
    let col: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, col.parse().ok()?))
}

/// The query's line `line` (1-based), indented, with `^` under column `col`
/// (1-based, in characters, as Loki's lexer counts).
fn caret(query: &str, line: usize, col: usize, w: &mut dyn Write) -> io::Result<()> {
    let Some(text) = query.split('\n').nth(line.saturating_sub(1)) else { return Ok(()) };
    let text = text.trim_end_matches('\r');
    let pad: String =
        text.chars().take(col.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    let shown = crate::terminal::sanitize(text);
    writeln!(w, "  {shown}")?;
    writeln!(w, "  {pad}^")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::ParseError;

    #[test]
    fn caret_under_lokis_column() {
        let q = "{app=\"openstack\"";
        let e = BackendError::Parse(ParseError {
            line: 1,
            col: 17,
            offset: 16,
            message: "syntax error: unexpected $end, expecting } or ,".into(),
        });
        let mut out = Vec::new();
        print(q, &e, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "parse error at line 1, col 17: syntax error: unexpected $end, expecting } or ,\n  {app=\"openstack\"\n                  ^\n"
        );
    }

    #[test]
    fn caret_from_a_loki_message_on_line_two() {
        let q = "sum(\n  count_over_time({app=\"hdfs\"}))";
        let e = BackendError::Server { status: 400, message: "parse error at line 2, col 31: syntax error: unexpected )".into() };
        let mut out = Vec::new();
        print(q, &e, &mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[1], "    count_over_time({app=\"hdfs\"}))");
        assert_eq!(lines[2].find('^'), Some(2 + 30));
    }
}
