//! The terminal, in one place: raw mode, the alternate screen, mouse
//! capture and bracketed paste on entering; all of it undone on leaving, on
//! drop, and by a panic hook, so a crash never leaves the user's terminal
//! broken. Frames are drawn inside synchronized updates (no tearing).

use std::io::{Stdout, Write, stdout};

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
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), DisableBracketedPaste, DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
}

impl Term {
    pub fn enter() -> std::io::Result<Term> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        enable_raw_mode()?;
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
