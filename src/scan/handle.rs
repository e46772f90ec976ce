//! Running a scan: [`start`] spawns it on the tokio runtime and returns a
//! [`ScanHandle`]: the events as they come (an unbounded channel, so a slow
//! reader never blocks the scan) and a cancel (a [`CancellationToken`]: the
//! read, the model call or the webhook in flight is dropped at once).
//! [`scan`] runs one to its end; [`template_signals`] runs one without a
//! model for the signals alone.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::context::{ScanContext, ScanRequest};
use super::event::{ScanEvent, ScanSummary};
use super::run::Run;
use super::signals::Signal;

/// A running scan.
pub struct ScanHandle {
    events: mpsc::UnboundedReceiver<ScanEvent>,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<ScanSummary>,
}

/// Starts `req` on the current tokio runtime.
pub fn start(ctx: Arc<ScanContext>, req: ScanRequest) -> ScanHandle {
    let (tx, events) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let task = tokio::spawn(async move { Run::new(&ctx, &req, tx, token).run(&req).await });
    ScanHandle { events, cancel, task }
}

impl ScanHandle {
    /// The next event; `None` after `Finished`.
    pub async fn next(&mut self) -> Option<ScanEvent> {
        self.events.recv().await
    }

    /// An event if one is waiting (for a UI's tick loop).
    pub fn try_next(&mut self) -> Option<ScanEvent> {
        self.events.try_recv().ok()
    }

    /// Stops the scan; it still ends with a `Finished` event (status cancelled).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A token that cancels the scan (e.g. for a Ctrl-C handler).
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Waits for the end; the summary (events not yet read are dropped).
    pub async fn finish(self) -> Option<ScanSummary> {
        drop(self.events);
        self.task.await.ok()
    }
}

/// Runs one scan to its end; `on` hears every event.
pub async fn scan(ctx: Arc<ScanContext>, req: ScanRequest, mut on: impl FnMut(&ScanEvent)) -> Option<ScanSummary> {
    let mut h = start(ctx, req);
    while let Some(e) = h.next().await {
        on(&e);
        if let ScanEvent::Finished(s) = e {
            return Some(*s);
        }
    }
    h.finish().await
}

/// The ranked template signals of a range, without a model (nothing is
/// written: no JSONL file, no webhook). The summary says why when there are none.
pub async fn template_signals(ctx: &ScanContext, req: ScanRequest) -> (Vec<Signal>, Option<ScanSummary>) {
    let req = ScanRequest { jsonl: None, ..req };
    let mut signals = Vec::new();
    let summary = scan(Arc::new(ctx.without_model()), req, |e| {
        if let ScanEvent::Signals { signals: s } = e {
            signals = s.clone();
        }
    })
    .await;
    (signals, summary)
}
