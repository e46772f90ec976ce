//! Matching lines to known templates without trying every template's regex.
//!
//! Templates (`<*>` marks a slot) are split into whitespace tokens and stored
//! in a token trie. A token is either literal (looked up in a hash map), a
//! glob with slots inside it (`blk_<*>`, `<*>:<*>`), or a bare `<*>` that spans
//! one or more whole tokens. Matching walks the trie with backtracking,
//! literal edges first, so the most specific template wins; the work per line
//! is bounded.

use rustc_hash::FxHashMap;

use super::tokens::Span;

const SLOT: &str = "<*>";
const MAX_STEPS: usize = 20_000;

/// A token with slots inside it: literal pieces around `<*>`s.
#[derive(Debug, Clone)]
struct Glob {
    pieces: Vec<String>,
}

impl Glob {
    fn new(tok: &str) -> Self {
        Self { pieces: tok.split(SLOT).map(str::to_string).collect() }
    }

    /// Matches a whole token; pushes one span per slot (absolute, offset by `base`).
    fn matches(&self, tok: &str, base: u32, caps: &mut Vec<Span>) -> bool {
        let mark = caps.len();
        let first = &self.pieces[0];
        let last = &self.pieces[self.pieces.len() - 1];
        if !tok.starts_with(first.as_str()) || tok.len() < first.len() + last.len() || !tok.ends_with(last.as_str()) {
            return false;
        }
        let mut pos = first.len();
        let end_limit = tok.len() - last.len();
        let n = self.pieces.len();
        for piece in &self.pieces[1..n - 1] {
            // Lazy: the slot takes the shortest run before the next piece.
            match tok[pos..end_limit].find(piece.as_str()) {
                Some(i) => {
                    caps.push((base + pos as u32, base + (pos + i) as u32));
                    pos += i + piece.len();
                }
                None => {
                    caps.truncate(mark);
                    return false;
                }
            }
        }
        caps.push((base + pos as u32, base + end_limit as u32));
        true
    }
}

#[derive(Debug, Default, Clone)]
struct Node {
    lit: FxHashMap<Box<str>, u32>,
    globs: Vec<(Glob, u32)>,
    star: Option<u32>,
    end: Option<u32>,
}

/// A set of known templates, matched by a token trie.
#[derive(Debug, Clone, Default)]
pub struct KnownMatcher {
    nodes: Vec<Node>,
    count: usize,
}

impl KnownMatcher {
    /// Builds the matcher; `templates[i]` gets id `i`. A template equal to an
    /// earlier one is ignored (the earlier id wins).
    pub fn new<S: AsRef<str>>(templates: &[S]) -> Self {
        Self::with_token_slots(templates, templates.len())
    }

    /// Like [`KnownMatcher::new`], but in templates from index `token_slots_from`
    /// on (mined ones), a bare `<*>` is exactly one token, as when it was mined.
    pub fn with_token_slots<S: AsRef<str>>(templates: &[S], token_slots_from: usize) -> Self {
        let mut m = Self { nodes: vec![Node::default()], count: templates.len() };
        for (id, t) in templates.iter().enumerate() {
            m.insert(t.as_ref(), id as u32, id >= token_slots_from);
        }
        m
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn child(&mut self, from: usize, tok: &str, one_token: bool) -> usize {
        let next = self.nodes.len() as u32;
        let node = &mut self.nodes[from];
        let id = if tok == SLOT && !one_token {
            *node.star.get_or_insert(next)
        } else if tok.contains(SLOT) {
            match node.globs.iter().find(|(g, _)| g.pieces.join(SLOT) == tok) {
                Some((_, c)) => *c,
                None => {
                    node.globs.push((Glob::new(tok), next));
                    next
                }
            }
        } else {
            *node.lit.entry(tok.into()).or_insert(next)
        };
        if id == next {
            self.nodes.push(Node::default());
        }
        id as usize
    }

    fn insert(&mut self, template: &str, id: u32, one_token: bool) {
        let mut cur = 0usize;
        let mut prev_star = false;
        for tok in template.split_ascii_whitespace() {
            // Adjacent bare slots are one slot for matching purposes.
            let is_star = tok == SLOT && !one_token;
            if is_star && prev_star {
                continue;
            }
            prev_star = is_star;
            cur = self.child(cur, tok, one_token);
        }
        self.nodes[cur].end.get_or_insert(id);
    }

    /// Matches content (tokenised as `tokens`); on success returns the template
    /// id and leaves one span per slot in `caps`, in template order.
    pub fn find(&self, content: &str, tokens: &[Span], caps: &mut Vec<Span>) -> Option<u32> {
        caps.clear();
        let mut steps = 0usize;
        self.walk(0, content, tokens, 0, caps, &mut steps)
    }

    fn walk(&self, node: usize, s: &str, toks: &[Span], ti: usize, caps: &mut Vec<Span>, steps: &mut usize) -> Option<u32> {
        *steps += 1;
        if *steps > MAX_STEPS {
            return None;
        }
        let n = &self.nodes[node];
        if ti == toks.len() {
            if let Some(id) = n.end {
                return Some(id);
            }
            // A trailing bare slot may match nothing.
            if let Some(st) = n.star {
                if let Some(id) = self.nodes[st as usize].end {
                    caps.push((s.len() as u32, s.len() as u32));
                    return Some(id);
                }
            }
            return None;
        }
        let (a, b) = toks[ti];
        let tok = &s[a as usize..b as usize];
        if let Some(&c) = n.lit.get(tok) {
            if let Some(id) = self.walk(c as usize, s, toks, ti + 1, caps, steps) {
                return Some(id);
            }
        }
        for (g, c) in &n.globs {
            let mark = caps.len();
            if g.matches(tok, a, caps) {
                if let Some(id) = self.walk(*c as usize, s, toks, ti + 1, caps, steps) {
                    return Some(id);
                }
                caps.truncate(mark);
            }
        }
        if let Some(st) = n.star {
            let mark = caps.len();
            for k in ti + 1..=toks.len() {
                caps.push((a, toks[k - 1].1));
                if let Some(id) = self.walk(st as usize, s, toks, k, caps, steps) {
                    return Some(id);
                }
                caps.truncate(mark);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tokens;

    fn m(ts: &[&str], line: &str) -> Option<(u32, Vec<String>)> {
        let k = KnownMatcher::new(ts);
        let mut toks = Vec::new();
        tokens::split(line, &mut toks);
        let mut caps = Vec::new();
        k.find(line, &toks, &mut caps)
            .map(|id| (id, caps.iter().map(|&(a, b)| line[a as usize..b as usize].to_string()).collect()))
    }

    #[test]
    fn hdfs_templates() {
        let ts = [
            "<*>:<*> Served block blk_<*> to /<*>",
            "PacketResponder <*> for block blk_<*> terminating",
            "BLOCK* NameSystem.delete: blk_<*> is added to invalidSet of <*>",
            "BLOCK* ask <*> to delete <*>",
        ];
        let (id, caps) = m(&ts, "10.250.19.102:50010 Served block blk_-3 to /10.250.19.102").unwrap();
        assert_eq!(id, 0);
        assert_eq!(caps, ["10.250.19.102", "50010", "-3", "10.250.19.102"]);
        let (id, caps) = m(&ts, "PacketResponder 1 for block blk_38865049064139660 terminating").unwrap();
        assert_eq!((id, caps), (1, vec!["1".to_string(), "38865049064139660".to_string()]));
        // A bare slot spans several tokens.
        let (id, caps) = m(&ts, "BLOCK* ask 10.250.14.224:50010 to delete blk_1 blk_2 blk_3").unwrap();
        assert_eq!(id, 3);
        assert_eq!(caps[1], "blk_1 blk_2 blk_3");
        assert!(m(&ts, "PacketResponder 1 for block blk_3 started").is_none());
    }

    #[test]
    fn literal_beats_slot() {
        let ts = ["user <*> logged in", "user root logged in"];
        assert_eq!(m(&ts, "user root logged in").unwrap().0, 1);
        assert_eq!(m(&ts, "user bob logged in").unwrap().0, 0);
    }

    #[test]
    fn trailing_slot_may_be_empty() {
        let ts = ["logname= uid=<*> rhost=<*> <*>"];
        assert!(m(&ts, "logname= uid=0 rhost=1.2.3.4").is_some());
    }
}
