//! The `?` help overlay, generated from the key map so it always tells the
//! truth about the bindings in use.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::keys::KeyMap;
use crate::tui::theme::Theme;

/// Lines about keys the key map does not hold (the editors' own).
const FIXED: &[(&str, &str)] = &[
    ("Enter", "question: ask · knowledge: detail"),
    ("↑/↓", "question: earlier questions"),
    ("Ctrl-U", "editor: undo (Emacs keys edit)"),
    ("mouse", "click focuses a pane, wheel scrolls"),
];

/// A rectangle of `w`×`h` centred in `area` (clamped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// Draws the help from its row `scroll` (clamped): when the terminal is too
/// short for every row, the title says how to scroll.
pub fn draw(f: &mut Frame, area: Rect, keys: &KeyMap, theme: Theme, scroll: usize) {
    let mut rows: Vec<(String, String)> =
        keys.help_lines().into_iter().map(|(k, d)| (k, d.to_owned())).collect();
    rows.extend(FIXED.iter().map(|(k, d)| ((*k).to_owned(), (*d).to_owned())));
    let kw = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    let dw = rows.iter().map(|(_, d)| d.chars().count()).max().unwrap_or(0);
    let popup = centered(area, (kw + dw + 5) as u16, rows.len() as u16 + 2);
    let shown = popup.height.saturating_sub(2) as usize;
    let top = scroll.min(rows.len().saturating_sub(shown));
    let title = if shown < rows.len() {
        format!(" Keys {}-{} of {} · ↑/↓ scroll · Esc closes ", top + 1, (top + shown).min(rows.len()), rows.len())
    } else {
        " Keys · Esc or ? closes ".to_owned()
    };
    f.render_widget(Clear, popup);
    let b = Block::bordered().border_style(theme.border(true)).title(Line::styled(title, theme.title(true)));
    let inner = b.inner(popup);
    f.render_widget(b, popup);
    let lines: Vec<Line> = rows
        .into_iter()
        .skip(top)
        .map(|(k, d)| Line::from(vec![Span::styled(format!(" {k:<kw$} "), theme.key()), Span::raw(format!(" {d}"))]))
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
