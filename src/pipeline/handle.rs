//! Running a question: [`start`] spawns the pipeline on the tokio runtime and
//! returns a [`PipelineHandle`]: the events as they come (an unbounded tokio
//! mpsc channel, so a slow reader never blocks the run), a cancel (a
//! [`CancellationToken`]: every wait of the run stops at once, an HTTP request
//! in flight is dropped), and the answer to a guard's confirmation request.
//! [`ask`] runs one question to its end (for `eval` and tests).

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::context::{AskRequest, PipelineContext};
use super::event::{Outcome, PipelineEvent};
use super::run::Run;

/// The answer to [`PipelineEvent::ConfirmationNeeded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Run the query as it is, over the limits.
    Run,
    /// Run it over the narrower window offered.
    Narrow,
    /// Do not run it; the run ends.
    Stop,
}

/// A running question.
pub struct PipelineHandle {
    events: mpsc::UnboundedReceiver<PipelineEvent>,
    cancel: CancellationToken,
    confirm: mpsc::UnboundedSender<Confirm>,
    task: tokio::task::JoinHandle<Outcome>,
}

/// Starts `req` on the current tokio runtime.
pub fn start(ctx: Arc<PipelineContext>, req: AskRequest) -> PipelineHandle {
    let (tx, events) = mpsc::unbounded_channel();
    let (confirm, confirm_rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let task = tokio::spawn(async move {
        let run = Run::new(&ctx, &req, tx, token, confirm_rx);
        run.run(req.record_dir.clone()).await
    });
    PipelineHandle { events, cancel, confirm, task }
}

impl PipelineHandle {
    /// The next event; `None` after `Finished`.
    pub async fn next(&mut self) -> Option<PipelineEvent> {
        self.events.recv().await
    }

    /// An event if one is waiting (for a UI's tick loop).
    pub fn try_next(&mut self) -> Option<PipelineEvent> {
        self.events.try_recv().ok()
    }

    /// Stops the run; it still ends with a `Finished` event (status cancelled).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A token that cancels the run (e.g. for a Ctrl-C handler).
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Answers a confirmation request of the guard.
    pub fn confirm(&self, c: Confirm) {
        let _ = self.confirm.send(c);
    }

    /// What answers confirmation requests, for a caller that moves the
    /// handle into a task reading the events (the TUI's worker).
    pub fn confirmer(&self) -> mpsc::UnboundedSender<Confirm> {
        self.confirm.clone()
    }

    /// Waits for the end; the outcome (events not yet read are dropped).
    pub async fn finish(self) -> Option<Outcome> {
        drop(self.events);
        self.task.await.ok()
    }
}

/// Runs one question to its end; `on` hears every event.
pub async fn ask(ctx: Arc<PipelineContext>, req: AskRequest, mut on: impl FnMut(&PipelineEvent)) -> Option<Outcome> {
    let mut h = start(ctx, req);
    while let Some(e) = h.next().await {
        on(&e);
        if let PipelineEvent::Finished(o) = e {
            return Some(*o);
        }
    }
    h.finish().await
}
