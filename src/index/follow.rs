//! Following a growing file: the loop behind `logcopilot index --follow`
//! and the TUI's follow mode. The file's size and modification time are
//! checked every `every`; a change runs the [`Plan`] again (reading on from
//! its checkpoint, or from the start when the file was truncated or
//! replaced, which the report says); a last line without its line end waits
//! for it. Each outcome goes to a callback; the loop ends when `stop` is set.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::IndexEvent;
use super::job::{Plan, RunMode};
use crate::knowledge::Knowledge;

/// What a look at the file found.
#[derive(Debug)]
pub enum FollowUpdate {
    /// New lines were indexed (or the file was read again from the start).
    Indexed {
        /// What was read, as [`super::job::RunReport::describe`] says it.
        what: String,
        /// Whether the file was read from the start (truncated or replaced).
        restarted: bool,
        /// Lines, live templates and workflows of the knowledge now.
        lines: u64,
        templates: usize,
        workflows: usize,
        secs: f64,
        knowledge: Box<Knowledge>,
    },
    /// The file is gone (rotated away); it is waited for.
    Gone,
    /// A run failed; the next change tries again.
    Failed(String),
}

impl FollowUpdate {
    /// One line for a log of updates (without the clock).
    pub fn describe(&self, app: &str, path: &Path) -> String {
        match self {
            FollowUpdate::Indexed { what, lines, templates, workflows, secs, .. } => {
                format!("{app}: {what}; {lines} lines in all, {templates} templates, {workflows} workflows ({secs:.2}s)")
            }
            FollowUpdate::Gone => format!("{app}: {} is gone; waiting for it", path.display()),
            FollowUpdate::Failed(e) => format!("{app}: {e}; trying again at the next change"),
        }
    }
}

/// What identifies a version of the file: its length and modification time.
pub type Stamp = Option<(u64, Option<SystemTime>)>;

/// The file's stamp now (None when it cannot be read).
pub fn stamp(path: &Path) -> Stamp {
    std::fs::metadata(path).ok().map(|m| (m.len(), m.modified().ok()))
}

/// Sleeps `d` in small steps; false when `stop` was set meanwhile.
pub fn wait(d: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50).min(until.saturating_duration_since(Instant::now())));
    }
    !stop.load(Ordering::Relaxed)
}

/// Follows `plan.input` from `seen` (the stamp taken before the knowledge
/// the caller holds was built, so nothing appended since is missed) until
/// `stop`. `on_event` gets the progress of each run; `on_update` each
/// outcome, and may return an error to end the loop (e.g. the lexical index
/// could not be written). Returns the number of updates that indexed lines.
pub fn follow_file(
    plan: &mut Plan,
    mut seen: Stamp,
    every: Duration,
    stop: &AtomicBool,
    on_event: &(dyn Fn(IndexEvent) + Sync),
    on_update: &mut dyn FnMut(FollowUpdate) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    plan.hold_partial_line = true;
    let mut updates = 0;
    while wait(every, stop) {
        let now = stamp(&plan.input);
        if now == seen {
            continue;
        }
        if now.is_none() {
            seen = now;
            on_update(FollowUpdate::Gone)?;
            continue;
        }
        // Taken before reading: what is written during the run shows next time.
        seen = now;
        let out = match plan.run(on_event, stop) {
            Ok((out, _)) => out,
            Err(_) if stop.load(Ordering::Relaxed) => break,
            Err(e) => {
                on_update(FollowUpdate::Failed(format!("{e:#}")))?;
                continue;
            }
        };
        let Some(r) = plan.last.clone() else { continue };
        if r.lines == 0 && matches!(r.mode, RunMode::Appended { .. }) {
            continue; // only a line still being written
        }
        updates += 1;
        let templates = out.knowledge.templates.iter().filter(|t| t.count > 0).count();
        on_update(FollowUpdate::Indexed {
            what: r.describe(),
            restarted: !matches!(r.mode, RunMode::Appended { .. }),
            lines: out.stats.lines,
            templates,
            workflows: out.knowledge.workflows.len(),
            secs: out.stats.secs,
            knowledge: Box::new(out.knowledge),
        })?;
    }
    Ok(updates)
}
