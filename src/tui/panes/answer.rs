//! The answer pane: wrapped, scrollable text with highlighted code blocks
//! ([`super::markdown`]). While a question runs it shows the steps and the
//! answer as it streams, following the end; then the answer, its query and
//! the steps.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::{DrawCx, Pane, block, title};
use crate::tui::action::Scroll;

#[derive(Default)]
pub struct AnswerPane {
    text: String,
    blocks: Vec<super::markdown::Block>,
    scroll: usize,
    rows: std::cell::Cell<(usize, usize)>,
}

impl AnswerPane {
    /// New text (Markdown; code blocks are highlighted now, not when drawn).
    pub fn set_text(&mut self, s: impl Into<String>) {
        self.text = s.into();
        self.blocks = super::markdown::parse(&self.text);
        self.scroll = 0;
    }

    /// Shows the end of the text (until the user scrolls).
    pub fn follow(&mut self) {
        self.scroll = usize::MAX;
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Greedy word wrap at `width` columns (a word longer than a row is cut).
pub fn word_wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut row = String::new();
        let mut w = 0;
        for word in para.split(' ') {
            let ww = word.width();
            if w > 0 && w + 1 + ww > width {
                out.push(std::mem::take(&mut row));
                w = 0;
            }
            if w > 0 {
                row.push(' ');
                w += 1;
            }
            for ch in word.chars() {
                let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
                if w + cw > width && w > 0 {
                    out.push(std::mem::take(&mut row));
                    w = 0;
                }
                row.push(ch);
                w += cw;
            }
        }
        out.push(row);
    }
    out
}

impl Pane for AnswerPane {
    fn draw(&self, f: &mut Frame, area: Rect, cx: &DrawCx) {
        let b = block(title("Answer"), cx);
        let inner = b.inner(area);
        f.render_widget(b, area);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let rows = super::markdown::render(&self.blocks, inner.width as usize, cx.theme);
        let max_top = rows.len().saturating_sub(inner.height as usize);
        self.rows.set((rows.len(), inner.height as usize));
        let top = self.scroll.min(max_top);
        let lines: Vec<Line> = rows.into_iter().skip(top).take(inner.height as usize).collect();
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn scroll(&mut self, s: Scroll) {
        let (rows, page) = self.rows.get();
        let max_top = rows.saturating_sub(page);
        self.scroll = match s {
            Scroll::Up(n) => self.scroll.min(max_top).saturating_sub(n),
            Scroll::Down(n) => self.scroll.saturating_add(n).min(max_top),
            Scroll::PageUp => self.scroll.min(max_top).saturating_sub(page.max(1)),
            Scroll::PageDown => self.scroll.saturating_add(page.max(1)).min(max_top),
            Scroll::Top => 0,
            Scroll::Bottom => max_top,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_words_and_cuts_long_ones() {
        assert_eq!(word_wrap("the quick brown fox", 10), ["the quick", "brown fox"]);
        assert_eq!(word_wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(word_wrap("a\n\nb", 5), ["a", "", "b"]);
        assert_eq!(word_wrap("", 0), [""]);
    }
}
