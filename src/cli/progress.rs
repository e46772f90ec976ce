//! Renders indexing progress events with indicatif (lines/s, ETA by bytes).

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
            }
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
