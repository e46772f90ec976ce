//! Words of a question and words of log text made comparable: a light
//! stemmer (`deleted`, `deleting`, `delete` are one word) and a small domain
//! lexicon, shipped as data (`assets/lexicon.toml`), that says which words
//! name the same thing (`login` and `accepted`, `address` and `ip`), and
//! which say "not".

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

const DATA: &str = include_str!("../../assets/lexicon.toml");

#[derive(Debug, Deserialize)]
struct Raw {
    groups: Vec<Vec<String>>,
    negations: Vec<String>,
}

/// The lexicon: word stems to the groups they belong to.
#[derive(Debug, Default)]
pub struct Lexicon {
    /// Stem of a one-word entry -> group numbers.
    words: HashMap<String, Vec<usize>>,
    /// Entries of several words (lower case, as written) -> group number.
    phrases: Vec<(String, usize)>,
    negations: Vec<String>,
}

impl Lexicon {
    /// The shipped lexicon (parsed once; a broken file is a build-time bug,
    /// caught by the unit test, and gives an empty lexicon rather than a panic).
    pub fn get() -> &'static Lexicon {
        static L: OnceLock<Lexicon> = OnceLock::new();
        L.get_or_init(|| toml::from_str::<Raw>(DATA).map(Self::from_raw).unwrap_or_default())
    }

    fn from_raw(raw: Raw) -> Self {
        let mut out = Self { negations: raw.negations.iter().map(|w| w.to_lowercase()).collect(), ..Default::default() };
        for (g, entries) in raw.groups.iter().enumerate() {
            for e in entries {
                let e = e.to_lowercase();
                if e.contains(' ') {
                    out.phrases.push((e, g));
                } else {
                    let ids = out.words.entry(stem(&e)).or_default();
                    if !ids.contains(&g) {
                        ids.push(g);
                    }
                }
            }
        }
        out
    }

    /// The groups of a stem.
    pub fn groups(&self, stem: &str) -> &[usize] {
        self.words.get(stem).map_or(&[], Vec::as_slice)
    }

    /// Groups named by several-word phrases in `text` (lower case).
    pub fn phrase_groups(&self, text: &str) -> Vec<(usize, &str)> {
        self.phrases.iter().filter(|(p, _)| contains_words(text, p)).map(|(p, g)| (*g, p.as_str())).collect()
    }

    /// Whether a word (lower case) says "not"; also `…n't`.
    pub fn is_negation(&self, word: &str) -> bool {
        self.negations.iter().any(|n| n == word) || word.ends_with("n't")
    }
}

/// Whether `phrase` occurs in `text` on word boundaries.
fn contains_words(text: &str, phrase: &str) -> bool {
    let mut from = 0;
    while let Some(i) = text.get(from..).and_then(|t| t.find(phrase)) {
        let at = from + i;
        let before = text[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after = text[at + phrase.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before && after {
            return true;
        }
        from = at + 1;
    }
    false
}

/// A light English stemmer for matching, not for display: lower case, one
/// common suffix off (`-ing`, `-ed`, `-es`, `-s`, `-ion`, `-ly`), then a
/// final `e`. `addresses`/`address`, `sizes`/`size`, `deleted`/`deleting`/`delete`
/// meet; words of three letters or fewer stay as they are.
pub fn stem(word: &str) -> String {
    let w = word.to_lowercase();
    if w.chars().count() <= 3 || !w.chars().all(|c| c.is_alphabetic()) {
        return w;
    }
    let mut s = w.as_str();
    if let Some(x) = s.strip_suffix("sses") {
        return format!("{x}ss");
    }
    if s.ends_with("ss") {
        return w;
    }
    if let Some(x) = s.strip_suffix("ies").or_else(|| s.strip_suffix("ied")).filter(|x| x.len() >= 2) {
        return format!("{x}y");
    }
    for suf in ["ings", "ing", "ions", "ion", "edly", "ed", "es", "ly", "s"] {
        if let Some(x) = s.strip_suffix(suf).filter(|x| x.chars().count() >= 3) {
            s = x;
            break;
        }
    }
    let s = s.strip_suffix('e').filter(|x| x.chars().count() >= 3).unwrap_or(s);
    // `stopped`/`stopping` -> `stop`: a doubled final consonant after a cut.
    let b = s.as_bytes();
    if s.len() != w.len() && b.len() >= 4 && b[b.len() - 1] == b[b.len() - 2] && !b"aeiouls".contains(&b[b.len() - 1]) {
        return s[..s.len() - 1].to_owned();
    }
    s.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_meet() {
        for group in [
            &["deleted", "deleting", "delete", "deletes"][..],
            &["received", "receiving", "receive"],
            &["addresses", "address"],
            &["sizes", "size"],
            &["terminate", "terminating", "terminated"],
            &["connections", "connection"],
            &["stopped", "stop", "stopping"],
            &["entries", "entry"],
            &["failures", "failure"],
            &["tries", "tried", "try"],
        ] {
            let s = stem(group[0]);
            for w in group {
                assert_eq!(stem(w), s, "{w} vs {}", group[0]);
            }
        }
        assert_eq!(stem("status"), stem("status"));
        assert_eq!(stem("ssh2"), "ssh2", "not only letters: as is");
        assert_eq!(stem("ip"), "ip");
    }

    #[test]
    fn the_shipped_lexicon_parses_and_links_words() {
        let raw: Raw = toml::from_str(DATA).expect("assets/lexicon.toml");
        assert!(raw.groups.len() >= 30);
        let l = Lexicon::get();
        let shared = |a: &str, b: &str| l.groups(&stem(a)).iter().any(|g| l.groups(&stem(b)).contains(g));
        assert!(shared("login", "accepted"));
        assert!(shared("addresses", "ip"));
        assert!(shared("found", "find"));
        assert!(!shared("login", "deleted"));
        assert!(l.phrase_groups("which users got in today").iter().any(|(g, _)| l.groups(&stem("accepted")).contains(g)));
        assert!(l.phrase_groups("forgot in").is_empty(), "on word boundaries");
        assert!(l.is_negation("couldn't") && l.is_negation("not") && !l.is_negation("note"));
    }
}
