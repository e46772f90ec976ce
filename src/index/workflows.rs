//! Workflows: lines grouped into sessions by session-id patterns, the template
//! sequence of each session (repeats collapsed), the frequent sequences, and
//! the template transition graph.
//!
//! Memory stays bounded: a session idle for longer than the limit (in log
//! time) is closed and folded into the sequence table; when more than
//! `max_open` sessions are open the least recently active are closed early; a
//! sequence keeps at most [`MAX_SEQ`] steps; the sequence table keeps at most
//! `max_workflows` rows (rare sequences are pruned). An open session costs
//! about 120 bytes plus its id and steps (see docs/STORAGE.md).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::knowledge::SessionStats;

/// Longest sequence kept per session (after collapsing repeats).
pub const MAX_SEQ: usize = 64;
/// Marker template ids for a session's start and end in the transition graph.
pub const START: u32 = u32::MAX;
pub const END: u32 = u32::MAX - 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Open {
    id: Box<str>,
    kind: u8,
    seq: Vec<u32>,
    last_ts: i64,
    truncated: bool,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct SeqAcc {
    pub support: u64,
    pub examples: Vec<Box<str>>,
    pub first_order: u64,
}

/// Settings for session tracking.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WorkflowConfig {
    pub idle_ns: i64,
    pub max_open: usize,
    pub max_workflows: usize,
    pub examples: usize,
}

/// Tracks open sessions and folds closed ones into sequences and transitions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tracker {
    cfg: WorkflowConfig,
    #[serde(with = "super::snapshot::pairs")]
    open: FxHashMap<u64, Open>,
    #[serde(with = "super::snapshot::pairs")]
    pub seqs: FxHashMap<(u8, Vec<u32>), SeqAcc>,
    #[serde(with = "super::snapshot::pairs")]
    pub transitions: FxHashMap<(u32, u32), u64>,
    pub stats: SessionStats,
    now: i64,
    since_sweep: u64,
    order: u64,
}

impl Tracker {
    pub fn new(cfg: WorkflowConfig) -> Self {
        Self {
            cfg,
            open: FxHashMap::default(),
            seqs: FxHashMap::default(),
            transitions: FxHashMap::default(),
            stats: SessionStats::default(),
            now: i64::MIN,
            since_sweep: 0,
            order: 0,
        }
    }

    /// Records that the session `key` (id text `id`, pattern `kind`) logged `template` at `ts`.
    pub fn event(&mut self, key: u64, kind: u8, id: &str, template: u32, ts: Option<i64>) {
        if let Some(t) = ts {
            self.now = self.now.max(t);
        }
        let now = self.now;
        let s = self.open.entry(key).or_insert_with(|| {
            self.stats.sessions += 1;
            Open { id: id.into(), kind, seq: Vec::with_capacity(4), last_ts: now, truncated: false }
        });
        s.last_ts = now;
        let prev = s.seq.last().copied();
        if prev != Some(template) {
            *self.transitions.entry((prev.unwrap_or(START), template)).or_default() += 1;
            if s.seq.len() < MAX_SEQ {
                s.seq.push(template);
            } else if !s.truncated {
                s.truncated = true;
                self.stats.truncated += 1;
            }
        }
        self.stats.peak_open = self.stats.peak_open.max(self.open.len() as u64);
        self.since_sweep += 1;
        if self.since_sweep >= 1 << 16 {
            self.since_sweep = 0;
            self.sweep();
        }
    }

    /// Closes idle sessions, then the oldest ones if too many are open.
    fn sweep(&mut self) {
        if self.now != i64::MIN {
            let cutoff = self.now.saturating_sub(self.cfg.idle_ns);
            let mut idle: Vec<(i64, u64)> =
                self.open.iter().filter(|(_, s)| s.last_ts < cutoff).map(|(k, s)| (s.last_ts, *k)).collect();
            // In a fixed order (not the map's), so a state saved and read back folds alike.
            idle.sort_unstable();
            self.stats.closed_idle += idle.len() as u64;
            for (_, k) in idle {
                if let Some(s) = self.open.remove(&k) {
                    self.fold(s);
                }
            }
        }
        if self.open.len() > self.cfg.max_open {
            let mut by_age: Vec<(i64, u64)> = self.open.iter().map(|(k, s)| (s.last_ts, *k)).collect();
            by_age.sort_unstable();
            let excess = self.open.len() - self.cfg.max_open * 9 / 10;
            for &(_, k) in by_age.iter().take(excess) {
                if let Some(s) = self.open.remove(&k) {
                    self.stats.evicted += 1;
                    self.fold(s);
                }
            }
        }
    }

    fn fold(&mut self, s: Open) {
        if let Some(&last) = s.seq.last() {
            *self.transitions.entry((last, END)).or_default() += 1;
        }
        self.order += 1;
        let order = self.order;
        let acc = self.seqs.entry((s.kind, s.seq)).or_insert_with(|| SeqAcc { first_order: order, ..Default::default() });
        acc.support += 1;
        if acc.examples.len() < self.cfg.examples {
            acc.examples.push(s.id);
        }
        if self.seqs.len() > self.cfg.max_workflows.saturating_mul(4).max(1024) {
            // Keep memory bounded: drop the sequences seen once.
            let before = self.seqs.len();
            self.seqs.retain(|_, a| a.support > 1);
            self.stats.sequences_pruned += (before - self.seqs.len()) as u64;
        }
    }

    /// Closes every open session (end of input).
    pub fn finish(&mut self) {
        let mut all: Vec<(u64, Open)> = self.open.drain().collect();
        // Deterministic order: by last activity, then key.
        all.sort_by_key(|(k, s)| (s.last_ts, *k));
        for (_, s) in all {
            self.fold(s);
        }
    }

    pub fn open_sessions(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> WorkflowConfig {
        WorkflowConfig { idle_ns: 10, max_open: 100, max_workflows: 100, examples: 2 }
    }

    #[test]
    fn sequences_collapse_and_count() {
        let mut t = Tracker::new(cfg());
        for (k, id) in [(1u64, "a"), (2, "b")] {
            t.event(k, 0, id, 5, Some(0));
            t.event(k, 0, id, 5, Some(1));
            t.event(k, 0, id, 7, Some(2));
        }
        t.event(3, 0, "c", 7, Some(3));
        t.finish();
        assert_eq!(t.seqs[&(0, vec![5, 7])].support, 2);
        assert_eq!(t.seqs[&(0, vec![5, 7])].examples.len(), 2);
        assert_eq!(t.transitions[&(START, 5)], 2);
        assert_eq!(t.transitions[&(5, 7)], 2);
        assert_eq!(t.transitions[&(7, END)], 3);
        assert_eq!(t.stats.sessions, 3);
    }

    #[test]
    fn open_sessions_stay_bounded() {
        let mut t = Tracker::new(WorkflowConfig { idle_ns: i64::MAX, max_open: 1000, max_workflows: 10, examples: 1 });
        for i in 0..200_000u64 {
            t.event(i, 0, "x", (i % 3) as u32, Some(i as i64));
        }
        assert!(t.open_sessions() <= 1000 + (1 << 16), "{}", t.open_sessions());
        assert!(t.stats.evicted > 0);
        t.finish();
        let total: u64 = t.seqs.values().map(|a| a.support).sum::<u64>() + t.stats.sequences_pruned;
        assert!(total <= 200_000);
    }
}
