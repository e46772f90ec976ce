//! Few-shot examples for LogQL generation, kept in
//! `assets/fewshot/logql.jsonl` (compiled in): a question on one of the
//! bundled systems and the LogQL that answers it. A prompt gets the examples
//! whose questions share the most words with the user's (the app's own first
//! on a tie), so the model sees the shapes that fit: counts, groupings,
//! `topk`, `unwrap`, log lines.

use std::collections::HashSet;

use serde::Deserialize;

use crate::retrieve::tokenize;

const FILE: &str = include_str!("../../assets/fewshot/logql.jsonl");

/// One example.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Example {
    pub app: String,
    pub question: String,
    pub logql: String,
}

/// Every example (lines that do not read are skipped; a unit test checks there are none).
pub fn all() -> Vec<Example> {
    FILE.lines().filter(|l| !l.trim().is_empty()).filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// The `n` examples closest to `question`, best first.
pub fn select(question: &str, app: &str, n: usize) -> Vec<Example> {
    let words: HashSet<String> = tokenize(question).into_iter().collect();
    let mut scored: Vec<(usize, bool, usize, Example)> = all()
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let shared = tokenize(&e.question).into_iter().collect::<HashSet<_>>().intersection(&words).count();
            (shared, e.app == app, i, e)
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    scored.into_iter().take(n).map(|x| x.3).collect()
}

/// Examples as prompt text: `Q: …` / `LogQL: …` pairs.
pub fn render(examples: &[Example]) -> String {
    examples.iter().map(|e| format!("Q ({}): {}\nLogQL: {}\n", e.app, e.question, e.logql)).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_examples_read_and_parse() {
        let all = all();
        assert_eq!(all.len(), FILE.lines().filter(|l| !l.trim().is_empty()).count(), "every line reads");
        assert!(all.len() >= 10);
        for e in &all {
            let q = e.logql.replace("$__range", "1h");
            assert!(crate::logql::parse(&q).is_ok(), "{}: {:?}", e.logql, crate::logql::parse(&q).err());
        }
        let s = select("Which IPs failed the most password attempts?", "openssh", 3);
        assert_eq!(s.len(), 3);
        assert!(s[0].logql.contains("Failed password"), "{s:?}");
        assert!(render(&s[..1]).starts_with("Q (openssh): Which 5 IP"));
    }
}
