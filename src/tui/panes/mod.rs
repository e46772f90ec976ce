//! The panes of the main screen, gitui-style: each owns its state, draws
//! itself into the area it is given, and answers keys with an optional
//! [`Action`] for the app to route (panes never call each other).

pub mod answer;
pub mod editor;
pub mod help;
pub mod knowledge;
pub mod markdown;
pub mod question;
pub mod status;
pub mod timerange;
pub mod wrap;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};

use super::action::{Action, Scroll};
use super::keys::KeyMap;
use super::theme::Theme;
use crate::dataset::timestamp::Zone;

/// What every pane needs to draw.
pub struct DrawCx<'a> {
    pub theme: Theme,
    pub focused: bool,
    pub keys: &'a KeyMap,
    pub zone: Zone,
}

/// A pane of the main screen.
pub trait Pane {
    /// Draws into `area` (borders included).
    fn draw(&self, f: &mut Frame, area: Rect, cx: &DrawCx);
    /// A key the key map did not claim, while the pane has the focus.
    fn on_key(&mut self, _key: &KeyEvent) -> Option<Action> {
        None
    }
    /// Pasted text, while the pane has the focus.
    fn on_paste(&mut self, _text: &str) {}
    fn scroll(&mut self, _s: Scroll) {}
    /// Whether keys typed here are text (then plain-character bindings and
    /// arrows belong to the pane).
    fn is_text(&self) -> bool {
        false
    }
}

/// The bordered block of a pane, its title in the top border.
pub fn block<'a>(title: impl Into<Line<'a>>, cx: &DrawCx) -> Block<'a> {
    Block::bordered()
        .border_type(if cx.focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(cx.theme.border(cx.focused))
        .title(title.into().style(cx.theme.title(cx.focused)))
}

/// ` text ` as a title span.
pub fn title(text: impl Into<String>) -> Span<'static> {
    Span::raw(format!(" {} ", text.into()))
}

/// `s` cut to `max` characters with `…` when longer.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn ellipsize_cuts_on_characters() {
        assert_eq!(super::ellipsize("abcdef", 4), "abc…");
        assert_eq!(super::ellipsize("abc", 4), "abc");
        assert_eq!(super::ellipsize("日本語です", 3), "日本…");
        assert_eq!(super::ellipsize("abc", 0), "");
    }
}
