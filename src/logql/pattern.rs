//! Pattern expressions of `| pattern "<ip> - <_> <status>"` and `|> "..."`:
//! literals and `<name>` captures (`<_>` captures without a name). The parser
//! validates them with [`parse_pattern`]; the engine matches with the nodes.

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternNode {
    /// Text that must appear as is.
    Literal(String),
    /// `<name>`: a named capture; `None` for `<_>`.
    Capture(Option<String>),
}

/// Splits a pattern into literals and captures. A capture is `<` then an
/// identifier (`[A-Za-z_][A-Za-z0-9_]*`) then `>`; any other `<` is literal.
pub fn split_pattern(pattern: &str) -> Vec<PatternNode> {
    let mut nodes = Vec::new();
    let mut literal = String::new();
    let mut rest = pattern;
    while let Some(lt) = rest.find('<') {
        let (before, from_lt) = rest.split_at(lt);
        literal.push_str(before);
        match capture_name(&from_lt[1..]) {
            Some(name) => {
                if !literal.is_empty() {
                    nodes.push(PatternNode::Literal(std::mem::take(&mut literal)));
                }
                let named = (name != "_").then(|| name.to_string());
                nodes.push(PatternNode::Capture(named));
                rest = &from_lt[1 + name.len() + 1..];
            }
            None => {
                literal.push('<');
                rest = &from_lt[1..];
            }
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        nodes.push(PatternNode::Literal(literal));
    }
    nodes
}

/// The identifier at the start of `s` if a `>` closes it right after.
fn capture_name(s: &str) -> Option<&str> {
    let first = s.chars().next()?;
    if !(first == '_' || first.is_ascii_alphabetic()) {
        return None;
    }
    let len = s
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(s.len());
    (s.get(len..len + 1) == Some(">")).then(|| &s[..len])
}

/// Splits and validates a `| pattern` expression as Loki does: at least one
/// named capture, no two captures side by side, no name twice.
pub fn parse_pattern(pattern: &str) -> Result<Vec<PatternNode>, String> {
    let nodes = split_pattern(pattern);
    let named: Vec<&str> = nodes
        .iter()
        .filter_map(|n| match n {
            PatternNode::Capture(Some(name)) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    if named.is_empty() {
        return Err("at least one capture is required".to_string());
    }
    for pair in nodes.windows(2) {
        if let [PatternNode::Capture(_), PatternNode::Capture(second)] = pair {
            let shown = second.as_deref().unwrap_or("_");
            return Err(format!(
                "found consecutive capture '<{shown}>': invalid expression"
            ));
        }
    }
    for (i, name) in named.iter().enumerate() {
        if named[..i].contains(name) {
            return Err(format!(
                "duplicate capture name ({name}): invalid expression"
            ));
        }
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::PatternNode::*;
    use super::*;

    #[test]
    fn splits_literals_and_captures() {
        assert_eq!(
            split_pattern("<ip> - <_> [<ts>] <x"),
            vec![
                Capture(Some("ip".into())),
                Literal(" - ".into()),
                Capture(None),
                Literal(" [".into()),
                Capture(Some("ts".into())),
                Literal("] <x".into()),
            ]
        );
        assert_eq!(split_pattern("< a> <1>"), vec![Literal("< a> <1>".into())]);
    }

    #[test]
    fn validation() {
        assert!(parse_pattern("<_> sshd[<pid>]: <msg>").is_ok());
        assert_eq!(
            parse_pattern("<_> foo").unwrap_err(),
            "at least one capture is required"
        );
        assert!(
            parse_pattern("<a><b>")
                .unwrap_err()
                .contains("consecutive capture '<b>'")
        );
        assert!(
            parse_pattern("<a> <a>")
                .unwrap_err()
                .contains("duplicate capture name (a)")
        );
    }
}
