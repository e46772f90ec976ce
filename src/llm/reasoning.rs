//! A reasoning model's thoughts, kept apart from its answer: the one stripper
//! every reply goes through (whole replies, streamed deltas, query extraction
//! and JSON replies all use it).
//!
//! Reasoning reaches us in four shapes, as DeepSeek-R1, Qwen3, QwQ, gpt-oss and
//! others are served by Ollama, vLLM, llama.cpp and LM Studio:
//! - a `reasoning_content` or `reasoning` field beside `content` (the server
//!   parsed it out; see [`ReasoningFilter::push_field`]);
//! - a `<think>…</think>` or `<thinking>…</thinking>` block in the content;
//! - a `</think>` with no opening tag, because the chat template already put
//!   `<think>` in the prompt: everything before it is reasoning;
//! - gpt-oss's harmony channels left in the text
//!   (`<|channel|>analysis<|message|>…<|channel|>final<|message|>…`).
//!
//! A block with no end (a reply cut at max tokens) is not the answer: the
//! rest of the reply is reasoning and [`Split::unterminated`] says so.
//!
//! Tags are matched without regard to ASCII case, and a tag split across
//! stream deltas is held back until it is whole. A streamed answer is held
//! back until it is clear it is not reasoning (see [`ReasoningFilter::new`]).

/// A reply taken apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// The thoughts, blocks joined by a blank line.
    pub reasoning: String,
    /// What the model answered, leading white space removed.
    pub answer: String,
    /// A block was opened and never closed: the reply was cut inside its reasoning.
    pub unterminated: bool,
    /// Any sign of reasoning was seen (a tag, even around nothing, or a field).
    pub seen: bool,
}

/// What the filter lets out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// More of the answer.
    Answer(String),
    /// More of the reasoning.
    Reasoning(String),
    /// The answer text let out so far (this text) was reasoning after all: an
    /// opening-less `</think>` arrived after the filter had gone live.
    Retract(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Opens a block that the tag at this index of [`TAGS`] closes.
    Open(usize),
    /// Closes a block (or, with no block open, ends the reasoning before it).
    Close,
    /// A control token dropped wherever it is.
    Drop,
}

const TAGS: &[(&str, Kind)] = &[
    ("<think>", Kind::Open(2)),
    ("<thinking>", Kind::Open(3)),
    ("</think>", Kind::Close),
    ("</thinking>", Kind::Close),
    ("<|channel|>analysis<|message|>", Kind::Open(5)),
    ("<|channel|>final<|message|>", Kind::Close),
    ("<|start|>assistant", Kind::Drop),
    ("<|end|>", Kind::Drop),
    ("<|return|>", Kind::Drop),
];

/// Whether `s` starts with `tag`, ASCII case ignored.
fn starts_with_tag(s: &str, tag: &str) -> bool {
    s.len() >= tag.len() && s.as_bytes()[..tag.len()].eq_ignore_ascii_case(tag.as_bytes())
}

/// `s` (starting at a `<`) is a proper start of some tag: wait for more.
fn partial_tag(s: &str) -> bool {
    TAGS.iter().any(|(t, _)| s.len() < t.len() && t.as_bytes()[..s.len()].eq_ignore_ascii_case(s.as_bytes()))
}

/// The tag `s` starts with.
fn tag_at(s: &str) -> Option<(usize, Kind)> {
    TAGS.iter().find(|(t, _)| starts_with_tag(s, t)).map(|(t, k)| (t.len(), *k))
}

/// Takes a reply apart as it arrives.
#[derive(Debug, Clone)]
pub struct ReasoningFilter {
    /// Let answer text out at once; otherwise hold it until a block has been
    /// seen (or reasoning came in a field), or the reply ends.
    live: bool,
    /// The block being read: the index of its closing tag.
    inside: Option<usize>,
    /// Text not yet looked at (a tag that may be incomplete).
    pending: String,
    /// Answer text held back.
    held: String,
    /// Answer text let out (for a [`Piece::Retract`]).
    let_out: String,
    seen: bool,
    unterminated: bool,
}

impl ReasoningFilter {
    /// `live`: let the answer out as it arrives. Pass `false` for a model that
    /// may start with opening-less reasoning (unknown, or known to reason):
    /// the answer is then held until a tag or a reasoning field shows where
    /// it starts, or the reply ends. With `true`, such reasoning is first let
    /// out as answer and then taken back with a [`Piece::Retract`].
    pub fn new(live: bool) -> Self {
        Self { live, inside: None, pending: String::new(), held: String::new(), let_out: String::new(), seen: false, unterminated: false }
    }

    /// Whether any sign of reasoning was seen so far.
    pub fn seen(&self) -> bool {
        self.seen
    }

    /// Reasoning the server sent in its own field.
    pub fn push_field(&mut self, text: &str, out: &mut Vec<Piece>) {
        if text.is_empty() {
            return;
        }
        self.seen = true;
        self.go_live(out);
        out.push(Piece::Reasoning(text.to_owned()));
    }

    /// More content.
    pub fn push(&mut self, text: &str, out: &mut Vec<Piece>) {
        self.pending.push_str(text);
        self.scan(false, out);
    }

    /// The reply ended.
    pub fn finish(&mut self, out: &mut Vec<Piece>) {
        self.scan(true, out);
        if self.inside.is_some() {
            self.unterminated = true;
        }
        let held = std::mem::take(&mut self.held);
        self.answer(&held, true, out);
    }

    /// The reply was cut inside a block (known after [`Self::finish`]).
    pub fn unterminated(&self) -> bool {
        self.unterminated
    }

    fn go_live(&mut self, out: &mut Vec<Piece>) {
        if !self.live {
            self.live = true;
            let held = std::mem::take(&mut self.held);
            self.answer(&held, false, out);
        }
    }

    /// Answer text: let out, or held.
    fn answer(&mut self, text: &str, force: bool, out: &mut Vec<Piece>) {
        let text = if self.let_out.is_empty() && self.held.is_empty() { text.trim_start() } else { text };
        if text.is_empty() {
            return;
        }
        if self.live || force {
            self.let_out.push_str(text);
            out.push(Piece::Answer(text.to_owned()));
        } else {
            self.held.push_str(text);
        }
    }

    fn reasoning(&mut self, text: &str, out: &mut Vec<Piece>) {
        if !text.is_empty() {
            out.push(Piece::Reasoning(text.to_owned()));
        }
    }

    fn scan(&mut self, end: bool, out: &mut Vec<Piece>) {
        let pending = std::mem::take(&mut self.pending);
        // `start`: the first byte not yet let out; `from`: where to look for the next `<`.
        let (mut start, mut from) = (0, 0);
        while let Some(off) = pending[from..].find('<') {
            let i = from + off;
            let rest = &pending[i..];
            if let Some((len, kind)) = tag_at(rest) {
                self.text(&pending[start..i], out);
                self.tag(kind, out);
                start = i + len;
                from = start;
            } else if !end && partial_tag(rest) {
                self.text(&pending[start..i], out);
                self.pending = rest.to_owned();
                return;
            } else {
                // A `<` that starts no tag is text.
                from = i + 1;
            }
        }
        self.text(&pending[start..], out);
    }

    /// Text between tags: reasoning inside a block, else answer.
    fn text(&mut self, s: &str, out: &mut Vec<Piece>) {
        if self.inside.is_some() { self.reasoning(s, out) } else { self.answer(s, false, out) }
    }

    fn tag(&mut self, kind: Kind, out: &mut Vec<Piece>) {
        self.seen = true;
        match (kind, self.inside) {
            (Kind::Drop, _) => {}
            (Kind::Open(close), None) => self.inside = Some(close),
            // A nested opening tag is text of the block.
            (Kind::Open(_), Some(_)) => {}
            (Kind::Close, Some(_)) => {
                self.inside = None;
                self.go_live(out);
            }
            // No block open: everything so far was reasoning.
            (Kind::Close, None) => {
                let held = std::mem::take(&mut self.held);
                let let_out = std::mem::take(&mut self.let_out);
                if !let_out.is_empty() {
                    out.push(Piece::Retract(let_out));
                }
                self.reasoning(&held, out);
                self.go_live(out);
            }
        }
    }
}

/// A whole reply taken apart.
pub fn split(text: &str) -> Split {
    let mut f = ReasoningFilter::new(false);
    let mut pieces = Vec::new();
    f.push(text, &mut pieces);
    f.finish(&mut pieces);
    let mut s = collect(pieces);
    s.unterminated = f.unterminated();
    s.seen = f.seen();
    s
}

/// Folds pieces into a [`Split`] (without its flags).
pub fn collect(pieces: impl IntoIterator<Item = Piece>) -> Split {
    let mut s = Split::default();
    let mut fresh = true;
    for p in pieces {
        match p {
            Piece::Answer(t) => {
                s.answer.push_str(&t);
                fresh = true;
            }
            Piece::Reasoning(t) => {
                if fresh && !s.reasoning.is_empty() {
                    s.reasoning.push_str("\n\n");
                }
                s.reasoning.push_str(&t);
                fresh = false;
            }
            Piece::Retract(t) => {
                s.answer.truncate(s.answer.len().saturating_sub(t.len()));
                if !s.reasoning.is_empty() {
                    s.reasoning.push_str("\n\n");
                }
                s.reasoning.push_str(&t);
                fresh = false;
            }
        }
    }
    let reasoning = s.reasoning.trim();
    if reasoning.len() != s.reasoning.len() {
        s.reasoning = reasoning.to_owned();
    }
    s
}

/// The answer part of a reply (what a query or JSON is read from).
pub fn answer_of(text: &str) -> String {
    split(text).answer
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `deltas` to a filter; the split and the pieces.
    fn feed(live: bool, deltas: &[&str]) -> (Split, Vec<Piece>) {
        let mut f = ReasoningFilter::new(live);
        let mut pieces = Vec::new();
        for d in deltas {
            f.push(d, &mut pieces);
        }
        f.finish(&mut pieces);
        let mut s = collect(pieces.clone());
        s.unterminated = f.unterminated();
        s.seen = f.seen();
        (s, pieces)
    }

    #[test]
    fn blocks_of_both_names_are_reasoning() {
        let s = split("<think>draft: {app=\"x\"}</think>\n\n```logql\n{app=\"hdfs\"}\n```");
        assert_eq!(s.reasoning, "draft: {app=\"x\"}");
        assert_eq!(s.answer, "```logql\n{app=\"hdfs\"}\n```");
        assert!(s.seen && !s.unterminated);
        let s = split("<THINKING>hmm</Thinking>42");
        assert_eq!((s.reasoning.as_str(), s.answer.as_str()), ("hmm", "42"));
        let s = split("first <think>a</think> middle <think>b</think> end");
        assert_eq!(s.answer, "first  middle  end");
        assert_eq!(s.reasoning, "a\n\nb");
    }

    #[test]
    fn a_close_without_an_opening_ends_the_reasoning() {
        let s = split("The user wants a count.\nMaybe {app=\"x\"}.\n</think>\n\nThere were 7 errors.");
        assert_eq!(s.reasoning, "The user wants a count.\nMaybe {app=\"x\"}.");
        assert_eq!(s.answer, "There were 7 errors.");
        // Live: the text let out is taken back.
        let (s, pieces) = feed(true, &["The user wants", " a count.</th", "ink>7 errors"]);
        assert_eq!(s.answer, "7 errors");
        assert_eq!(s.reasoning, "The user wants a count.");
        assert!(pieces.contains(&Piece::Retract("The user wants a count.".into())), "{pieces:?}");
        // Held (the default for a model that may reason): nothing taken back.
        let (s, pieces) = feed(false, &["The user wants", " a count.</th", "ink>7 errors"]);
        assert_eq!(s.answer, "7 errors");
        assert!(!pieces.iter().any(|p| matches!(p, Piece::Retract(_))), "{pieces:?}");
        assert!(!pieces.iter().any(|p| matches!(p, Piece::Answer(a) if a.contains("user"))));
    }

    #[test]
    fn tags_split_across_deltas() {
        for cut in 1.."<think>".len() {
            let a = &"<think>"[..cut];
            let b = &"<think>"[cut..];
            let (s, pieces) = feed(true, &[a, b, "secret plan</thi", "nk>", "answer"]);
            assert_eq!(s.answer, "answer", "cut at {cut}");
            assert_eq!(s.reasoning, "secret plan");
            assert!(pieces.iter().all(|p| !matches!(p, Piece::Answer(t) if t.contains('<'))), "{pieces:?}");
        }
        // Byte by byte, with multi-byte characters.
        let text = "<think>pensée é</think>Réponse: 3 ✓";
        let mut f = ReasoningFilter::new(true);
        let mut pieces = Vec::new();
        let mut buf = [0u8; 4];
        for c in text.chars() {
            f.push(c.encode_utf8(&mut buf), &mut pieces);
        }
        f.finish(&mut pieces);
        let s = collect(pieces);
        assert_eq!((s.reasoning.as_str(), s.answer.as_str()), ("pensée é", "Réponse: 3 ✓"));
    }

    #[test]
    fn a_block_without_an_end_is_no_answer() {
        let s = split("<think>The user asks how many. Let me count the lines of");
        assert!(s.unterminated);
        assert_eq!(s.answer, "");
        assert!(s.reasoning.starts_with("The user asks"));
        let (s, _) = feed(true, &["<thi", "nk>still thinking </thin"]);
        assert!(s.unterminated);
        assert_eq!(s.answer, "");
        assert_eq!(s.reasoning, "still thinking </thin");
    }

    #[test]
    fn plain_replies_and_stray_angles_pass() {
        let s = split("count < 5 and <b>bold</b> {app=\"x\"} |~ \"<th\"");
        assert_eq!(s.answer, "count < 5 and <b>bold</b> {app=\"x\"} |~ \"<th\"");
        assert!(!s.seen && s.reasoning.is_empty());
        // A trailing partial tag at the end of the reply is text.
        assert_eq!(split("a <thin").answer, "a <thin");
        // An empty block (Qwen3 with thinking off) still says the model reasons.
        let s = split("<think>\n\n</think>\n\n12");
        assert_eq!((s.answer.as_str(), s.reasoning.as_str(), s.seen), ("12", "", true));
    }

    #[test]
    fn reasoning_fields_and_holding() {
        let mut f = ReasoningFilter::new(false);
        let mut pieces = Vec::new();
        f.push("", &mut pieces);
        f.push_field("thinking in a field", &mut pieces);
        f.push("The answer", &mut pieces);
        assert_eq!(pieces.last(), Some(&Piece::Answer("The answer".into())), "live once the field showed");
        // Held: nothing is let out before the end.
        let mut f = ReasoningFilter::new(false);
        let mut pieces = Vec::new();
        f.push("no tags at all", &mut pieces);
        assert!(pieces.is_empty());
        f.finish(&mut pieces);
        assert_eq!(pieces, vec![Piece::Answer("no tags at all".into())]);
    }

    #[test]
    fn harmony_channels() {
        let s = split("<|channel|>analysis<|message|>User wants count.<|end|><|start|>assistant<|channel|>final<|message|>There are 4.<|return|>");
        assert_eq!(s.reasoning, "User wants count.");
        assert_eq!(s.answer, "There are 4.");
    }
}
