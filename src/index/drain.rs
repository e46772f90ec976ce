//! Drain-style template mining for lines no known template matches.
//!
//! A fixed-depth prefix tree (token count, then the first `depth - 2` tokens)
//! leads to a small list of clusters; a line joins the most similar cluster
//! when the share of the template's literal tokens it repeats reaches the
//! similarity threshold, and positions that differ become slots. Variable-looking
//! tokens (with digits, paths, URLs) are masked before the tree is walked.
//! Cluster ids never change, so a line's cluster is final when it is added.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::mask;

/// Drain settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DrainConfig {
    pub similarity: f64,
    pub depth: usize,
    pub max_children: usize,
}

impl Default for DrainConfig {
    fn default() -> Self {
        Self { similarity: 0.7, depth: 4, max_children: 100 }
    }
}

/// One token of a mined template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tok {
    Lit(Box<str>),
    Slot,
}

/// A mined cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cluster {
    pub tokens: Vec<Tok>,
    pub size: u64,
}

impl Cluster {
    /// The template text (`<*>` for slots, tokens joined by one space).
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (i, t) in self.tokens.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            match t {
                Tok::Lit(l) => s.push_str(l),
                Tok::Slot => s.push_str("<*>"),
            }
        }
        s
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Node {
    children: FxHashMap<Box<str>, Node>,
    clusters: Vec<u32>,
}

/// What adding a line did.
#[derive(Debug, Default)]
pub struct Added {
    pub cluster: u32,
    pub created: bool,
    /// Positions that just became slots, with the literal they held, and the
    /// cluster size before this line (every earlier line had that literal).
    pub generalized: Vec<(usize, Box<str>)>,
    pub size_before: u64,
}

/// The miner.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Drain {
    cfg: DrainConfig,
    root: FxHashMap<usize, Node>,
    clusters: Vec<Cluster>,
}

const WILD: &str = "<*>";

impl Drain {
    pub fn new(cfg: DrainConfig) -> Self {
        Self { cfg, root: FxHashMap::default(), clusters: Vec::new() }
    }

    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    /// Adds a tokenised line. `masked[i]` says token `i` looks variable.
    pub fn add(&mut self, toks: &[&str], masked: &[bool]) -> Added {
        let len = toks.len();
        let prefix = self.cfg.depth.saturating_sub(2).min(len);
        let max_children = self.cfg.max_children;
        // Walk (and grow) the tree.
        let mut node = self.root.entry(len).or_default();
        for i in 0..prefix {
            let key: &str = if masked[i] { WILD } else { toks[i] };
            let has = node.children.contains_key(key);
            let next_key: &str = if has {
                key
            } else if node.children.len() + 1 >= max_children && key != WILD {
                WILD
            } else {
                key
            };
            node = node.children.entry(next_key.into()).or_default();
        }
        // Best cluster in the leaf.
        let mut best: Option<(u32, f64, usize)> = None;
        for &cid in &node.clusters {
            let c = &self.clusters[cid as usize];
            let (sim, slots) = similarity(&c.tokens, toks, masked);
            let better = match best {
                None => true,
                Some((_, bs, bp)) => sim > bs || (sim == bs && slots > bp),
            };
            if better {
                best = Some((cid, sim, slots));
            }
        }
        if let Some((cid, sim, _)) = best {
            if sim >= self.cfg.similarity {
                let c = &mut self.clusters[cid as usize];
                let size_before = c.size;
                let mut generalized = Vec::new();
                for (i, t) in c.tokens.iter_mut().enumerate() {
                    if let Tok::Lit(l) = t {
                        if masked[i] || l.as_ref() != toks[i] {
                            generalized.push((i, std::mem::replace(l, Box::from(""))));
                            *t = Tok::Slot;
                        }
                    }
                }
                c.size += 1;
                return Added { cluster: cid, created: false, generalized, size_before };
            }
        }
        let cid = self.clusters.len() as u32;
        let tokens = toks
            .iter()
            .zip(masked)
            .map(|(t, &m)| if m { Tok::Slot } else { Tok::Lit((*t).into()) })
            .collect();
        self.clusters.push(Cluster { tokens, size: 1 });
        node.clusters.push(cid);
        Added { cluster: cid, created: true, generalized: Vec::new(), size_before: 0 }
    }
}

/// Share of the template's literal positions the line agrees with, and the slot count.
fn similarity(tpl: &[Tok], toks: &[&str], masked: &[bool]) -> (f64, usize) {
    if tpl.is_empty() {
        return (1.0, 0);
    }
    let mut same = 0usize;
    let mut slots = 0usize;
    for (i, t) in tpl.iter().enumerate() {
        match t {
            Tok::Slot => slots += 1,
            Tok::Lit(l) => {
                if !masked[i] && l.as_ref() == toks[i] {
                    same += 1;
                }
            }
        }
    }
    // Over the template's literal positions only: slots neither help nor hurt,
    // so a template that is mostly slots still needs its words to agree.
    let lits = tpl.len() - slots;
    let sim = if lits == 0 { 1.0 } else { same as f64 / lits as f64 };
    (sim, slots)
}

/// Tokenises and masks a content string for [`Drain::add`].
pub fn prepare<'a>(content: &'a str, toks: &mut Vec<&'a str>, masked: &mut Vec<bool>) {
    toks.clear();
    masked.clear();
    for t in content.split_ascii_whitespace() {
        toks.push(t);
        masked.push(mask::is_variable(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(d: &mut Drain, s: &str) -> Added {
        let (mut t, mut m) = (Vec::new(), Vec::new());
        prepare(s, &mut t, &mut m);
        d.add(&t, &m)
    }

    #[test]
    fn mines_and_generalises() {
        let mut d = Drain::new(DrainConfig::default());
        let a = add(&mut d, "Accepted password for alice from 10.0.0.1 port 22 ssh2");
        let b = add(&mut d, "Accepted password for bob from 10.0.0.2 port 23 ssh2");
        assert!(a.created && !b.created);
        assert_eq!(a.cluster, b.cluster);
        assert_eq!(b.generalized, vec![(3, Box::from("alice"))]);
        assert_eq!(b.size_before, 1);
        assert_eq!(d.clusters()[0].text(), "Accepted password for <*> from <*> port <*> <*>");
        let c = add(&mut d, "Connection closed by 10.0.0.1");
        assert_ne!(c.cluster, a.cluster);
    }
}
