//! Usage accounting: per phase (`summarize`, `embed`, `ask`, ...) the requests,
//! retries, tokens in and out, cost (from `llm.prices`) and redaction counts.
//! Tokens are the server's own `usage` when it reports one, else counted with
//! tiktoken-rs ([`super::tokens`]) and marked as estimated.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::redact::RedactionCounts;
use crate::config::ModelPrice;

/// What one phase used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseUsage {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    pub retries: u64,
    /// Calls that failed after their retries.
    pub failures: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// Some token counts are tiktoken estimates (the server reported none).
    pub tokens_estimated: bool,
    /// USD, from the price table.
    pub cost_usd: f64,
    /// A model without a price was used: the cost is a lower bound.
    pub cost_unknown: bool,
    pub redactions: RedactionCounts,
}

impl PhaseUsage {
    pub fn add(&mut self, o: &PhaseUsage) {
        self.requests += o.requests;
        self.retries += o.retries;
        self.failures += o.failures;
        self.tokens_in += o.tokens_in;
        self.tokens_out += o.tokens_out;
        self.tokens_estimated |= o.tokens_estimated;
        self.cost_usd += o.cost_usd;
        self.cost_unknown |= o.cost_unknown;
        self.redactions.add(&o.redactions);
    }

    /// `12 requests (1 retry), 3.1k tokens in, 240 out, $0.0012`.
    pub fn brief(&self) -> String {
        let est = if self.tokens_estimated { "~" } else { "" };
        let cost = if self.cost_unknown && self.cost_usd == 0.0 {
            "cost unknown".to_owned()
        } else if self.cost_unknown {
            format!(">= ${:.4}", self.cost_usd)
        } else {
            format!("${:.4}", self.cost_usd)
        };
        format!(
            "{} requests ({} retries), {est}{} tokens in, {est}{} out, {cost}",
            self.requests,
            self.retries,
            short(self.tokens_in),
            short(self.tokens_out)
        )
    }
}

fn short(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// Shared, thread-safe usage of one client, by phase.
#[derive(Debug, Clone, Default)]
pub struct UsageMeter {
    inner: Arc<Mutex<BTreeMap<String, PhaseUsage>>>,
    prices: Arc<BTreeMap<String, ModelPrice>>,
}

impl UsageMeter {
    pub fn new(prices: BTreeMap<String, ModelPrice>) -> Self {
        Self { inner: Arc::default(), prices: Arc::new(prices) }
    }

    fn with(&self, phase: &str, f: impl FnOnce(&mut PhaseUsage)) {
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(m.entry(phase.to_owned()).or_default());
    }

    pub fn request(&self, phase: &str) {
        self.with(phase, |u| u.requests += 1);
    }

    pub fn retry(&self, phase: &str) {
        self.with(phase, |u| u.retries += 1);
    }

    pub fn failure(&self, phase: &str) {
        self.with(phase, |u| u.failures += 1);
    }

    pub fn redactions(&self, phase: &str, c: &RedactionCounts) {
        self.with(phase, |u| u.redactions.add(c));
    }

    /// Records tokens of a finished call of `model`; prices it.
    pub fn tokens(&self, phase: &str, model: &str, tokens_in: u64, tokens_out: u64, estimated: bool) {
        let price = self.price(model);
        self.with(phase, |u| {
            u.tokens_in += tokens_in;
            u.tokens_out += tokens_out;
            u.tokens_estimated |= estimated;
            match price {
                Some(p) => u.cost_usd += (tokens_in as f64 * p.input + tokens_out as f64 * p.output) / 1e6,
                None => u.cost_unknown = true,
            }
        });
    }

    /// The price of `model`: an exact entry, else one for its name without a
    /// provider prefix (`openai/gpt-4o` -> `gpt-4o`).
    pub fn price(&self, model: &str) -> Option<ModelPrice> {
        let bare = model.rsplit('/').next().unwrap_or(model);
        self.prices.get(model).or_else(|| self.prices.get(bare)).copied()
    }

    /// One phase's usage so far.
    pub fn phase(&self, phase: &str) -> PhaseUsage {
        let m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        m.get(phase).cloned().unwrap_or_default()
    }

    /// Every phase's usage so far.
    pub fn snapshot(&self) -> BTreeMap<String, PhaseUsage> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The sum over phases.
    pub fn total(&self) -> PhaseUsage {
        let mut t = PhaseUsage::default();
        for u in self.snapshot().values() {
            t.add(u);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_prices;

    #[test]
    fn cost_by_phase_from_the_price_table() {
        let m = UsageMeter::new(default_prices());
        m.request("summarize");
        m.tokens("summarize", "gpt-4o-mini", 1_000_000, 500_000, false);
        m.tokens("embed", "openai/text-embedding-3-small", 2_000_000, 0, false);
        let s = m.phase("summarize");
        assert!((s.cost_usd - (0.15 + 0.30)).abs() < 1e-9, "{s:?}");
        assert_eq!((s.requests, s.tokens_in, s.tokens_out), (1, 1_000_000, 500_000));
        assert!((m.phase("embed").cost_usd - 0.04).abs() < 1e-9);
        m.tokens("embed", "BAAI/bge-m3", 10, 0, true);
        let e = m.phase("embed");
        assert!(e.cost_unknown && e.tokens_estimated);
        let t = m.total();
        assert_eq!(t.tokens_in, 3_000_010);
        assert!(t.brief().contains(">= $0.4900"), "{}", t.brief());
        assert!(t.brief().contains("~3.0M tokens in"), "{}", t.brief());
    }
}
