//! The terminal, in one place: raw mode, the alternate screen, mouse
//! capture and bracketed paste on entering; all of it undone on leaving, on
//! drop, and by a panic hook, so a crash never leaves the user's terminal
//! broken. Frames are drawn inside synchronized updates (no tearing).
//!
//! While the TUI owns the screen, a panic on another thread (a worker task,
//! the engine, indexing) prints nothing over it: its owner reports it as an
//! error in the TUI. A panic of the main thread restores the terminal first,
//! then prints as usual.

use std::io::{Stdout, Write, stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode,
    enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;

use super::app::App;

pub struct Term {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    active: bool,
}

/// Puts the terminal back as it was (best effort, never fails).
fn restore() {
    ACTIVE.store(false, Ordering::SeqCst);
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), DisableBracketedPaste, DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
}

/// Whether the TUI owns the terminal now.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !ACTIVE.load(Ordering::SeqCst) {
                return previous(info);
            }
            if std::thread::current().name() == Some("main") {
                ACTIVE.store(false, Ordering::SeqCst);
                restore();
                previous(info);
            }
        }));
    });
}

impl Term {
    pub fn enter() -> std::io::Result<Term> {
        install_panic_hook();
        ACTIVE.store(true, Ordering::SeqCst);
        enable_raw_mode().inspect_err(|_| ACTIVE.store(false, Ordering::SeqCst))?;
        let mut out = stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, EnableMouseCapture, EnableBracketedPaste) {
            restore();
            return Err(e);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(out)) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok(Term { terminal, active: true })
    }

    pub fn size(&self) -> std::io::Result<Rect> {
        let s = self.terminal.size()?;
        Ok(Rect::new(0, 0, s.width, s.height))
    }

    pub fn draw(&mut self, app: &App) -> std::io::Result<()> {
        execute!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        let r = self.terminal.draw(|f| super::draw::draw(f, app)).map(|_| ());
        execute!(self.terminal.backend_mut(), EndSynchronizedUpdate)?;
        self.terminal.backend_mut().flush()?;
        r
    }

    pub fn leave(mut self) -> std::io::Result<()> {
        self.active = false;
        ACTIVE.store(false, Ordering::SeqCst);
        disable_raw_mode()?;
        execute!(stdout(), DisableBracketedPaste, DisableMouseCapture, LeaveAlternateScreen, cursor::Show)
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        if self.active {
            restore();
        }
    }
}
