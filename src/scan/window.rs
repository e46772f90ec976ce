//! One time window of lines and what is sent of it.
//!
//! A window with more lines than `max_lines` is **sampled**, not split:
//! splitting makes the number of model calls grow with the volume (a burst,
//! often the anomaly itself, would cost the most calls, each seeing a slice of
//! it), while sampling keeps one call per window, a cost known in advance, and
//! the window as the unit of health and suppression. What a sample drops is
//! told to the model by the template counts of the whole window, and the
//! sample keeps what matters first: the first line of each template (rarest
//! template first) and lines matched to none, then lines at warning level or
//! above, then an even spread of the rest.
//!
//! While a window fills, memory is bounded: first-of-template and
//! warning lines up to [`hold`] each, the rest in a reservoir sample of that
//! size; a held line is cut at [`MAX_HELD_BYTES`].

use super::signals::{LineClass, WindowCounts};
use crate::analyze::cut_line;
use crate::dataset::level::WARN;
use crate::llm::tokens::TokenCounter;

/// A held line longer than this is cut (the prompt budget is far smaller).
pub const MAX_HELD_BYTES: usize = 64 * 1024;

/// A line kept while the window fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLine {
    /// Arrival order in the window.
    pub seq: u64,
    pub ts: i64,
    pub line: String,
    /// The line was longer than what is held.
    pub cut: bool,
    pub class: LineClassKey,
}

/// [`LineClass`] as stored.
pub type LineClassKey = (Option<u32>, u8);

/// Lines held per pool for a window of `max_lines`.
pub fn hold(max_lines: usize) -> usize {
    (max_lines * 5).max(1000)
}

/// A window being filled.
#[derive(Debug, Clone)]
pub struct WindowAcc {
    pub counts: WindowCounts,
    hold: usize,
    firsts: Vec<HeldLine>,
    alarms: Vec<HeldLine>,
    reservoir: Vec<HeldLine>,
    /// Lines offered to the reservoir.
    rest_seen: u64,
    seen_templates: rustc_hash::FxHashSet<u32>,
    rng: u64,
}

fn held(seq: u64, ts: i64, line: &str, c: LineClass) -> HeldLine {
    let mut end = line.len().min(MAX_HELD_BYTES);
    while end > 0 && !line.is_char_boundary(end) {
        end -= 1;
    }
    HeldLine { seq, ts, line: line.get(..end).unwrap_or("").to_owned(), cut: end < line.len(), class: (c.template, c.level) }
}

impl WindowAcc {
    pub fn new(index: usize, start_ns: i64, end_ns: i64, max_lines: usize) -> Self {
        Self {
            counts: WindowCounts::new(index, start_ns, end_ns),
            hold: hold(max_lines),
            firsts: Vec::new(),
            alarms: Vec::new(),
            reservoir: Vec::new(),
            rest_seen: 0,
            seen_templates: Default::default(),
            rng: 0x9E37_79B9_7F4A_7C15 ^ (index as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9),
        }
    }

    fn next_rand(&mut self) -> u64 {
        // xorshift64*: a deterministic sample for the same input.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn add(&mut self, ts: i64, line: &str, c: LineClass) {
        let seq = self.counts.lines;
        self.counts.add(c);
        let first = match c.template {
            Some(t) => self.seen_templates.insert(t),
            None => true,
        };
        if first && self.firsts.len() < self.hold {
            self.firsts.push(held(seq, ts, line, c));
        } else if c.level >= WARN && self.alarms.len() < self.hold {
            self.alarms.push(held(seq, ts, line, c));
        } else {
            self.rest_seen += 1;
            if self.reservoir.len() < self.hold {
                self.reservoir.push(held(seq, ts, line, c));
            } else {
                let j = self.next_rand() % self.rest_seen;
                if let Some(slot) = self.reservoir.get_mut(j as usize) {
                    *slot = held(seq, ts, line, c);
                }
            }
        }
    }

    pub fn lines(&self) -> u64 {
        self.counts.lines
    }

    /// What is sent: at most `max_lines` lines whose tokens (each cut to its
    /// share) fit `budget`, in arrival order.
    pub fn select(&self, max_lines: usize, counter: &TokenCounter, budget: usize) -> Selection {
        let mut firsts: Vec<&HeldLine> = self.firsts.iter().collect();
        // Rarest first; lines of no template count as rarest.
        firsts.sort_by_key(|h| (h.class.0.map_or(0, |t| self.counts.count(t)), h.seq));
        let mut alarms: Vec<&HeldLine> = self.alarms.iter().collect();
        alarms.sort_by_key(|h| (std::cmp::Reverse(h.class.1), h.seq));
        let mut rest: Vec<&HeldLine> = self.reservoir.iter().collect();
        rest.sort_by_key(|h| h.seq);
        let room = max_lines.saturating_sub(firsts.len() + alarms.len());
        let spread: Vec<&HeldLine> = if rest.len() <= room || room == 0 {
            rest.into_iter().take(room).collect()
        } else {
            (0..room).filter_map(|i| rest.get(i * rest.len() / room).copied()).collect()
        };
        let order: Vec<&HeldLine> = firsts.into_iter().chain(alarms).chain(spread).take(max_lines).collect();
        // One line may take the whole budget; with others, a quarter each.
        let cap = if order.len() <= 1 { budget } else { (budget / 4).max(64) };
        let mut used = 0usize;
        let mut picked: Vec<(&HeldLine, String, bool)> = Vec::new();
        for h in order {
            let text = cut_line(counter, &h.line, cap.min(budget.saturating_sub(1)));
            if text.is_empty() && !h.line.is_empty() {
                continue;
            }
            let tokens = counter.count(text) + 1;
            if used + tokens > budget {
                continue;
            }
            used += tokens;
            picked.push((h, text.to_owned(), h.cut || text.len() < h.line.len()));
        }
        picked.sort_by_key(|p| p.0.seq);
        Selection {
            cut: picked.iter().filter(|p| p.2).count(),
            sent: picked.iter().map(|p| p.1.clone()).collect(),
            originals: picked.iter().map(|p| p.0.line.clone()).collect(),
            tokens: used,
        }
    }
}

/// The lines of a window sent to the model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// As sent (cut lines cut), in arrival order.
    pub sent: Vec<String>,
    /// The same lines as held (for the evidence check).
    pub originals: Vec<String>,
    /// Lines cut to fit.
    pub cut: usize,
    pub tokens: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c() -> TokenCounter {
        TokenCounter::for_model("gpt-4o-mini")
    }

    #[test]
    fn a_busy_window_is_sampled_rare_and_alarming_lines_first() {
        // 5,000 routine lines, one of a rare template, one of none, five errors.
        let fill = || {
            let mut w = WindowAcc::new(0, 0, 100, 20);
            for i in 0..5000u64 {
                let (t, level, line) = match i {
                    1234 => (Some(7), 3, "rare template seven".to_owned()),
                    4000 => (None, 0, "a line of no template".to_owned()),
                    i if i % 1000 == 999 => (Some(2), WARN + 1, format!("error {i}")),
                    i => (Some(1), 3, format!("routine {i}")),
                };
                w.add(i as i64, &line, LineClass { template: t, level });
            }
            w
        };
        let w = fill();
        assert_eq!(w.lines(), 5000);
        let s = w.select(20, &c(), 10_000);
        assert_eq!(s.sent.len(), 20);
        for must in ["rare template seven", "a line of no template", "error 999", "error 4999"] {
            assert!(s.sent.iter().any(|l| l == must), "{must} kept: {:?}", s.sent);
        }
        let pos: Vec<usize> = s.sent.iter().filter_map(|l| l.strip_prefix("routine ")).filter_map(|n| n.parse().ok()).collect();
        assert!(pos.len() >= 13 && pos.windows(2).all(|p| p[0] < p[1]), "in order, spread: {pos:?}");
        assert!(pos.last().copied().unwrap_or(0) > 3000, "spread over the window: {pos:?}");
        // Deterministic.
        assert_eq!(fill().select(20, &c(), 10_000), s);
    }

    #[test]
    fn lines_fit_the_token_budget_and_a_huge_line_is_cut() {
        let mut w = WindowAcc::new(0, 0, 100, 200);
        let huge = "A".repeat(100) + &" payload".repeat(700_000);
        w.add(1, &huge, LineClass::default());
        let s = w.select(200, &c(), 2000);
        assert_eq!((s.sent.len(), s.cut), (1, 1));
        assert!(s.tokens <= 2000 && s.tokens > 1500, "{}", s.tokens);
        assert!(huge.starts_with(&s.sent[0]) && s.originals[0].len() == MAX_HELD_BYTES);
        let mut w = WindowAcc::new(0, 0, 100, 200);
        for i in 0..200 {
            w.add(i, &format!("line {i} {}", "word ".repeat(50)), LineClass { template: Some(1), level: 0 });
        }
        let s = w.select(200, &c(), 1000);
        assert!(s.tokens <= 1000 && s.sent.len() < 200 && !s.sent.is_empty(), "{} lines, {} tokens", s.sent.len(), s.tokens);
        assert_eq!(s.cut, 0);
    }
}
