//! Loki's pattern language (`| pattern "<ip> - <_> [<ts>]"` and the `|>`
//! line filter): `<name>` captures, `<_>` skips, everything else is literal.
//! Matching is Loki's: a leading literal must start the line, each capture
//! runs to the next occurrence of the literal after it, the last capture takes
//! the rest, and a missing literal ends the match with what was captured.

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    nodes: Vec<Node>,
    names: Vec<String>,
}

#[derive(Debug, Clone)]
enum Node {
    Lit(Vec<u8>),
    /// `None` for `<_>`.
    Capture(Option<String>),
}

fn parse_nodes(text: &str) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    let mut lit: Vec<u8> = Vec::new();
    while i < b.len() {
        if b[i] == b'<' {
            let mut j = i + 1;
            if j < b.len() && (b[j].is_ascii_alphabetic() || b[j] == b'_') {
                j += 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j < b.len() && b[j] == b'>' {
                    if !lit.is_empty() {
                        nodes.push(Node::Lit(std::mem::take(&mut lit)));
                    }
                    let name = &text[i + 1..j];
                    nodes.push(Node::Capture((name != "_").then(|| name.to_string())));
                    i = j + 1;
                    continue;
                }
            }
        }
        lit.push(b[i]);
        i += 1;
    }
    if !lit.is_empty() {
        nodes.push(Node::Lit(lit));
    }
    nodes
}

impl Pattern {
    /// A `| pattern` expression: at least one named capture, no two captures
    /// in a row, no duplicate names.
    pub fn parser(text: &str) -> Result<Self, String> {
        let nodes = parse_nodes(text);
        let names: Vec<String> = nodes
            .iter()
            .filter_map(|n| match n {
                Node::Capture(Some(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        if names.is_empty() {
            return Err("at least one capture is required".into());
        }
        check_consecutive(&nodes)?;
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(format!("duplicate capture name ({n}): invalid expression"));
            }
        }
        Ok(Self { nodes, names })
    }

    /// A `|>` filter pattern: only `<_>` captures, none consecutive.
    pub fn filter(text: &str) -> Result<Self, String> {
        let nodes = parse_nodes(text);
        check_consecutive(&nodes)?;
        if nodes.iter().any(|n| matches!(n, Node::Capture(Some(_)))) {
            return Err("named captures are not allowed: invalid expression".into());
        }
        Ok(Self { nodes, names: Vec::new() })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The named captures of `line`, in order (possibly fewer than the names
    /// when a literal is missing). Empty when the line does not start right.
    pub fn matches<'a>(&self, line: &'a [u8], out: &mut Vec<&'a [u8]>) {
        out.clear();
        if line.is_empty() || self.nodes.is_empty() {
            return;
        }
        let mut input = line;
        let mut nodes = &self.nodes[..];
        if let Some(Node::Lit(l)) = nodes.first() {
            if !input.starts_with(l) {
                return;
            }
            input = &input[l.len()..];
            nodes = &nodes[1..];
        }
        if nodes.is_empty() {
            return;
        }
        while !nodes.is_empty() {
            let Node::Capture(name) = &nodes[0] else { return };
            if nodes.len() == 1 {
                if name.is_some() {
                    out.push(input);
                }
                return;
            }
            let Node::Lit(l) = &nodes[1] else { return };
            nodes = &nodes[2..];
            match memchr::memmem::find(input, l) {
                None => {
                    if name.is_some() {
                        out.push(input);
                    }
                    return;
                }
                Some(i) => {
                    if name.is_some() {
                        out.push(&input[..i]);
                    }
                    input = &input[i + l.len()..];
                }
            }
        }
    }

    /// Loki's `Matcher.Test` for the `|>` filter.
    pub fn test(&self, line: &[u8]) -> bool {
        if line.is_empty() || self.nodes.is_empty() {
            return line.is_empty() && self.nodes.is_empty();
        }
        let mut off = 0usize;
        for (i, n) in self.nodes.iter().enumerate() {
            let Node::Lit(lit) = n else { continue };
            let Some(j) = memchr::memmem::find(&line[off..], lit) else { return false };
            if i != 0 && j == 0 {
                return false;
            }
            off += j + lit.len();
        }
        let req_rem = matches!(self.nodes.last(), Some(Node::Capture(_)));
        let has_rem = off != line.len();
        req_rem == has_rem
    }
}

fn check_consecutive(nodes: &[Node]) -> Result<(), String> {
    if nodes.windows(2).any(|w| matches!(w, [Node::Capture(_), Node::Capture(_)])) {
        return Err("found consecutive capture: invalid expression".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(p: &str, line: &str) -> Vec<String> {
        let p = Pattern::parser(p).unwrap();
        let mut out = Vec::new();
        p.matches(line.as_bytes(), &mut out);
        out.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect()
    }

    #[test]
    fn captures_like_loki() {
        let line = "081109 203807 222 INFO dfs.DataNode$DataXceiver: Receiving block blk_1 src: /10.0.0.1:4 dest: /10.0.0.2:50010";
        assert_eq!(
            caps("<_>Receiving block <blk> src: /<src>:<_> dest: /<dst>:<_>", line),
            ["blk_1", "10.0.0.1", "10.0.0.2"]
        );
        // A missing literal: the capture takes the rest and matching stops.
        assert_eq!(caps("<a> x <b> y <c>", "1 x 2 z"), ["1", "2 z"]);
        // A leading literal must start the line.
        assert!(caps("foo <a>", "xfoo 1").is_empty());
        assert_eq!(caps("<_> sshd[<pid>]: <msg>", "Dec 10 LabSZ sshd[24200]: hello"), ["24200", "hello"]);
    }

    #[test]
    fn validation() {
        assert!(Pattern::parser("<a><b>").is_err());
        assert!(Pattern::parser("no captures").is_err());
        assert!(Pattern::parser("<a> <a>").is_err());
        assert!(Pattern::filter("<a> x").is_err());
        // A '<' that does not open a capture is literal.
        assert_eq!(caps("<1> <a>", "<1> v"), ["v"]);
    }

    #[test]
    fn filter_test() {
        let p = Pattern::filter("<_> bar <_>").unwrap();
        assert!(p.test(b"foo bar baz"));
        assert!(!p.test(b" bar "));
        let p = Pattern::filter("<_> baz").unwrap();
        assert!(p.test(b"foo bar baz"));
        assert!(!Pattern::filter("<_> bar").unwrap().test(b"foo bar baz"));
        assert!(Pattern::filter("foo <_>").unwrap().test(b"foo bar baz"));
    }
}
