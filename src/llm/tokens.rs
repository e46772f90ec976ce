//! Token counts with tiktoken-rs: the model's own encoding when tiktoken knows
//! the model (`gpt-4o-mini` -> o200k_base, `text-embedding-3-small` ->
//! cl100k_base), else the stated fallback [`FALLBACK_ENCODING`] (o200k_base),
//! an estimate for models with other vocabularies (Llama, Qwen, bge-m3, ...).
//! Encodings load once per process (a few hundred ms for o200k_base).

use tiktoken_rs::CoreBPE;
use tiktoken_rs::tokenizer::{Tokenizer, get_tokenizer};

/// The encoding used for models tiktoken does not know.
pub const FALLBACK_ENCODING: &str = "o200k_base";

/// Tokens added per chat message by the chat format (role, separators), and
/// per reply (the primed assistant turn), as counted by OpenAI's cookbook.
pub const TOKENS_PER_MESSAGE: usize = 3;
pub const TOKENS_PER_REPLY: usize = 3;

/// Counts tokens for one model.
#[derive(Clone, Copy)]
pub struct TokenCounter {
    bpe: &'static CoreBPE,
    encoding: &'static str,
    exact: bool,
}

impl std::fmt::Debug for TokenCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCounter").field("encoding", &self.encoding).field("exact", &self.exact).finish()
    }
}

fn encoding_name(t: Tokenizer) -> &'static str {
    match t {
        Tokenizer::O200kHarmony => "o200k_harmony",
        Tokenizer::O200kBase => "o200k_base",
        Tokenizer::Cl100kBase => "cl100k_base",
        Tokenizer::P50kBase => "p50k_base",
        Tokenizer::R50kBase => "r50k_base",
        Tokenizer::P50kEdit => "p50k_edit",
        Tokenizer::Gpt2 => "gpt2",
    }
}

impl TokenCounter {
    /// The counter of `model`; the fallback encoding when tiktoken does not know it.
    pub fn for_model(model: &str) -> Self {
        // A provider prefix ("openai/gpt-4o") does not change the encoding.
        let bare = model.rsplit('/').next().unwrap_or(model);
        let (tok, exact) = match get_tokenizer(model).or_else(|| get_tokenizer(bare)) {
            Some(t) => (t, true),
            None => (Tokenizer::O200kBase, false),
        };
        match tiktoken_rs::bpe_for_tokenizer(tok) {
            Ok(bpe) => Self { bpe, encoding: encoding_name(tok), exact },
            Err(_) => Self { bpe: tiktoken_rs::o200k_base_singleton(), encoding: FALLBACK_ENCODING, exact: false },
        }
    }

    /// The encoding's name (`o200k_base`, ...).
    pub fn encoding(&self) -> &'static str {
        self.encoding
    }

    /// Whether this is the model's own encoding (false: the fallback, an estimate).
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// Tokens of `text` (special-token text counts as ordinary text).
    pub fn count(&self, text: &str) -> usize {
        self.bpe.encode_ordinary(text).len()
    }

    /// Tokens of a chat request with these message contents.
    pub fn count_chat<'a>(&self, contents: impl IntoIterator<Item = &'a str>) -> usize {
        contents.into_iter().map(|c| TOKENS_PER_MESSAGE + self.count(c)).sum::<usize>() + TOKENS_PER_REPLY
    }

    /// The longest prefix of `text` of at most `max` tokens, cut at a token
    /// boundary that is also a character boundary.
    pub fn truncate<'a>(&self, text: &'a str, max: usize) -> &'a str {
        let tokens = self.bpe.encode_ordinary(text);
        if tokens.len() <= max {
            return text;
        }
        let bytes = self.bpe.decode_bytes(tokens.get(..max).unwrap_or(&tokens)).unwrap_or_default();
        // Ordinary tokens decode to a prefix of the text's bytes.
        let mut n = bytes.len().min(text.len());
        while n > 0 && !text.is_char_boundary(n) {
            n -= 1;
        }
        text.get(..n).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_models_use_their_encoding_and_others_the_fallback() {
        let c = TokenCounter::for_model("gpt-4o-mini");
        assert_eq!((c.encoding(), c.is_exact()), ("o200k_base", true));
        let c = TokenCounter::for_model("text-embedding-3-small");
        assert_eq!((c.encoding(), c.is_exact()), ("cl100k_base", true));
        let c = TokenCounter::for_model("openai/gpt-4o");
        assert_eq!((c.encoding(), c.is_exact()), ("o200k_base", true));
        for m in ["llama3.1:8b", "BAAI/bge-m3", ""] {
            let c = TokenCounter::for_model(m);
            assert_eq!((c.encoding(), c.is_exact()), (FALLBACK_ENCODING, false), "{m}");
        }
    }

    #[test]
    fn counts_and_truncates_on_boundaries() {
        let c = TokenCounter::for_model("gpt-4o");
        assert_eq!(c.count(""), 0);
        assert_eq!(c.count("hello world"), 2);
        assert_eq!(c.count_chat(["hello world"]), 2 + TOKENS_PER_MESSAGE + TOKENS_PER_REPLY);
        let text = "Deleting block blk_123 file /mnt/hadoop/dfs/data/current/subdir9/blk_123 ééé 日本語";
        for max in 0..c.count(text) + 2 {
            let t = c.truncate(text, max);
            assert!(text.starts_with(t));
            assert!(c.count(t) <= max, "{max}: {t:?}");
        }
        assert_eq!(c.truncate(text, 10_000), text);
        // Special-token text is ordinary text, never an error.
        assert!(c.count("<|endoftext|>") > 1);
    }
}
