//! What the app reacts to, on one channel: terminal input from a tokio task
//! reading crossterm's event stream, and the worker's messages. The input
//! task waits on the stream (no polling), so an idle app uses no CPU.

use crossterm::event::{Event as TermEvent, EventStream, KeyEvent, MouseEvent};
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use super::worker::WorkerMsg;

#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize,
    Worker(WorkerMsg),
    /// The terminal input ended or failed.
    InputClosed(Option<String>),
}

/// Forwards terminal events until the receiver is gone or input ends.
pub fn spawn_input(tx: UnboundedSender<Event>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut stream = EventStream::new();
        loop {
            let ev = match stream.next().await {
                Some(Ok(TermEvent::Key(k))) => Event::Key(k),
                Some(Ok(TermEvent::Mouse(m))) => Event::Mouse(m),
                Some(Ok(TermEvent::Paste(p))) => Event::Paste(p),
                Some(Ok(TermEvent::Resize(..))) => Event::Resize,
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    let _ = tx.send(Event::InputClosed(Some(e.to_string())));
                    return;
                }
                None => {
                    let _ = tx.send(Event::InputClosed(None));
                    return;
                }
            };
            if tx.send(ev).is_err() {
                return;
            }
        }
    })
}
