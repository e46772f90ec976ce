//! Lines cut into chunks at line boundaries, each under a token budget: the
//! model's context (`llm.context_tokens`) less the prompt and the answer's
//! reserve ([`chunk_budget`]). A line longer than the budget is cut to it
//! ([`cut_line`]) and the chunk says which lines were cut.

use super::Mode;
use crate::llm::prompts::{Prompt, fence};
use crate::llm::tokens::TokenCounter;

/// Tokens kept free besides the prompt and the answer (the chunk notes, the
/// chat format, the estimate of an unknown tokenizer).
pub const MARGIN: usize = 128;
/// The smallest budget handed out, whatever the config says.
pub const MIN_BUDGET: usize = 256;
/// A token is rarely longer than this many bytes: text is cut to this many
/// bytes per token before tiktoken sees it, so a 5 MB line costs little.
const MAX_TOKEN_BYTES: usize = 16;

/// Consecutive lines that fit the budget together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// 0-based.
    pub index: usize,
    /// How many chunks there are.
    pub of: usize,
    /// 1-based numbers of the first and last line in the input.
    pub first_line: usize,
    pub last_line: usize,
    /// The lines, joined by `\n` (cut lines cut).
    pub text: String,
    /// Tokens of `text` (the sum over its lines, each with its line break).
    pub tokens: usize,
    /// 1-based numbers of the lines cut to fit.
    pub cut_lines: Vec<usize>,
}

impl Chunk {
    pub fn lines(&self) -> usize {
        self.last_line + 1 - self.first_line
    }
}

/// The longest prefix of `line` of at most `max_tokens` tokens (the line
/// itself when it fits), cut at a character boundary.
pub fn cut_line<'a>(counter: &TokenCounter, line: &'a str, max_tokens: usize) -> &'a str {
    let mut end = line.len().min(max_tokens.saturating_mul(MAX_TOKEN_BYTES));
    while end > 0 && !line.is_char_boundary(end) {
        end -= 1;
    }
    counter.truncate(line.get(..end).unwrap_or(""), max_tokens)
}

/// Tokens of `mode`'s prompt without lines (for `service`).
pub fn prompt_tokens(counter: &TokenCounter, mode: Mode, service: &str) -> usize {
    let vars = super::run::prompt_vars(service, "1 of 1", "lines 1-1", "", fence(""));
    match Prompt::get(mode.prompt()).and_then(|p| p.render(&vars)) {
        Ok(m) => counter.count_chat(m.iter().map(|x| x.content.as_str())),
        Err(_) => 1000,
    }
}

/// Tokens of lines per chunk: the context less the prompt, the answer and a margin.
pub fn chunk_budget(context_tokens: usize, answer_tokens: u32, prompt_tokens: usize) -> usize {
    context_tokens.saturating_sub(answer_tokens as usize + prompt_tokens + MARGIN).max(MIN_BUDGET)
}

/// `lines` cut into chunks of at most `budget` tokens, at line boundaries;
/// a line longer than the budget is cut (and listed in its chunk's `cut_lines`).
/// No lines, no chunks.
pub fn chunk_lines<S: AsRef<str>>(lines: &[S], counter: &TokenCounter, budget: usize) -> Vec<Chunk> {
    let budget = budget.max(2);
    let mut out: Vec<Chunk> = Vec::new();
    let mut cur: Option<Chunk> = None;
    for (i, line) in lines.iter().enumerate() {
        let line = line.as_ref();
        let n = i + 1;
        // Each line costs its tokens plus one for its line break.
        let kept = cut_line(counter, line, budget - 1);
        let cut = kept.len() < line.len();
        let tokens = counter.count(kept) + 1;
        if let Some(c) = cur.as_mut().filter(|c| c.tokens + tokens <= budget) {
            c.text.push('\n');
            c.text.push_str(kept);
            c.tokens += tokens;
            c.last_line = n;
            if cut {
                c.cut_lines.push(n);
            }
            continue;
        }
        if let Some(c) = cur.take() {
            out.push(c);
        }
        cur = Some(Chunk {
            index: out.len(),
            of: 0,
            first_line: n,
            last_line: n,
            text: kept.to_owned(),
            tokens,
            cut_lines: if cut { vec![n] } else { Vec::new() },
        });
    }
    out.extend(cur);
    let of = out.len();
    for c in &mut out {
        c.of = of;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> TokenCounter {
        TokenCounter::for_model("gpt-4o-mini")
    }

    #[test]
    fn chunks_end_at_line_boundaries_under_the_budget() {
        let c = counter();
        let lines: Vec<String> = (0..500).map(|i| format!("081109 2036{:02} 148 INFO dfs.DataNode: Receiving block blk_{i} src: /10.0.0.{i}", i % 60)).collect();
        for budget in [40, 300, 1000, 5000] {
            let chunks = chunk_lines(&lines, &c, budget);
            assert!(!chunks.is_empty());
            let mut next = 1;
            for (k, ch) in chunks.iter().enumerate() {
                assert_eq!((ch.index, ch.of), (k, chunks.len()));
                assert_eq!(ch.first_line, next, "no line lost or repeated");
                next = ch.last_line + 1;
                assert!(ch.tokens <= budget, "{budget}: {}", ch.tokens);
                assert!(c.count(&ch.text) <= budget, "{budget}: the text itself fits");
                let want: Vec<&str> = lines[ch.first_line - 1..ch.last_line].iter().map(String::as_str).collect();
                assert_eq!(ch.text, want.join("\n"), "whole lines, in order");
                assert!(ch.cut_lines.is_empty());
            }
            assert_eq!(next, 501);
            // Greedy: a chunk could not have taken the next line.
            for w in chunks.windows(2) {
                assert!(w[0].tokens + c.count(&lines[w[1].first_line - 1]) + 1 > budget);
            }
        }
        assert!(chunk_lines::<String>(&[], &c, 100).is_empty());
    }

    #[test]
    fn a_5mb_line_is_cut_to_the_budget_quickly() {
        let c = counter();
        let big: String = "GET /index.html?q=".to_owned() + &"abcdefghij0123456789 ".repeat(250_000);
        assert!(big.len() > 5_000_000);
        let lines = vec!["before".to_owned(), big.clone(), "after".to_owned()];
        let t = std::time::Instant::now();
        let chunks = chunk_lines(&lines, &c, 1000);
        assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
        assert_eq!(chunks.len(), 3, "the cut line fills a chunk of its own");
        let mid = &chunks[1];
        assert_eq!((mid.first_line, mid.last_line, mid.cut_lines.clone()), (2, 2, vec![2]));
        assert!(mid.tokens <= 1000 && mid.tokens > 900, "{}", mid.tokens);
        assert!(big.starts_with(&mid.text));
        // One long word (no spaces) of 5 MB as well.
        let word = "x".repeat(5_000_000);
        let cut = cut_line(&c, &word, 500);
        assert!(c.count(cut) <= 500 && !cut.is_empty());
    }

    #[test]
    fn budget_is_context_less_prompt_and_answer() {
        assert_eq!(chunk_budget(8192, 1000, 300), 8192 - 1000 - 300 - MARGIN);
        assert_eq!(chunk_budget(1024, 1000, 300), MIN_BUDGET);
        let p = prompt_tokens(&counter(), Mode::Summary, "HDFS");
        assert!(p > 50 && p < 600, "{p}");
    }
}
