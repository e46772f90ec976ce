//! Renders indexing progress events with indicatif: lines/s and ETA by bytes
//! for the reading phases; items, tokens and cost for the LLM phases.

use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::index::{IndexEvent, Phase};

/// An indicatif renderer for [`IndexEvent`]s; hidden when `quiet` or stderr is not a terminal.
pub struct Progress {
    bar: Mutex<Option<ProgressBar>>,
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Self { bar: Mutex::new(None), quiet }
    }

    pub fn handle(&self, ev: IndexEvent) {
        let mut slot = self.bar.lock().unwrap_or_else(|p| p.into_inner());
        match ev {
            IndexEvent::Started { phase, total_bytes } => {
                if let Some(b) = slot.take() {
                    b.finish_and_clear();
                }
                let bar = match total_bytes {
                    Some(n) => ProgressBar::new(n),
                    None => ProgressBar::new_spinner(),
                };
                if self.quiet {
                    bar.set_draw_target(ProgressDrawTarget::hidden());
                }
                let style = if total_bytes.is_some() {
                    ProgressStyle::with_template(
                        "{prefix:.bold} [{bar:30}] {bytes}/{total_bytes} {msg} ETA {eta}",
                    )
                } else {
                    ProgressStyle::with_template("{prefix:.bold} {spinner} {msg}")
                };
                if let Ok(s) = style {
                    bar.set_style(s.progress_chars("=> "));
                }
                bar.set_prefix(phase.name());
                *slot = Some(bar);
            }
            IndexEvent::Progress { bytes, lines, .. } => {
                if let Some(b) = slot.as_ref() {
                    b.set_position(bytes);
                    let secs = b.elapsed().as_secs_f64().max(1e-6);
                    b.set_message(format!("{lines} lines, {:.0} lines/s", lines as f64 / secs));
                }
            }
            IndexEvent::Finished { phase, lines, secs } => {
                if let Some(b) = slot.take() {
                    b.finish_and_clear();
                }
                if !self.quiet && phase == Phase::Read {
                    eprintln!("{}: {lines} lines in {secs:.2}s ({:.0} lines/s)", phase.name(), lines as f64 / secs.max(1e-9));
                }
                if !self.quiet && matches!(phase, Phase::Summarize | Phase::Embed) {
                    eprintln!("{}: {lines} items in {secs:.2}s", phase.name());
                }
            }
            IndexEvent::ItemsStarted { phase, total, cached } => {
                if let Some(b) = slot.take() {
                    b.finish_and_clear();
                }
                let bar = ProgressBar::new(total);
                if self.quiet {
                    bar.set_draw_target(ProgressDrawTarget::hidden());
                }
                if let Ok(s) = ProgressStyle::with_template("{prefix:.bold} [{bar:30}] {pos}/{len} {msg} ETA {eta}") {
                    bar.set_style(s.progress_chars("=> "));
                }
                bar.set_prefix(phase.name());
                bar.set_position(cached);
                bar.reset_eta();
                if cached > 0 {
                    bar.set_message(format!("({cached} from the cache)"));
                }
                *slot = Some(bar);
            }
            IndexEvent::Items { done, tokens_in, tokens_out, cost_usd, .. } => {
                if let Some(b) = slot.as_ref() {
                    b.set_position(done);
                    b.set_message(format!("tokens {tokens_in} in, {tokens_out} out, ${cost_usd:.4}"));
                }
            }
            // The command's report says which phases were skipped and why.
            IndexEvent::Skipped { .. } => {}
            IndexEvent::Warning(w) => {
                if let Some(b) = slot.as_ref() {
                    b.suspend(|| eprintln!("warning: {w}"));
                } else {
                    eprintln!("warning: {w}");
                }
            }
        }
    }
}
