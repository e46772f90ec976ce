//! The question pane: one line of plain language, Enter asks, Up/Down walk
//! the questions asked before. Until the pipeline is wired, asking records
//! the question and says so.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui_textarea::{CursorMove, TextArea};

use super::wrap::{scroll_top, wrap};
use super::{DrawCx, Pane, block, ellipsize, title};
use crate::tui::action::Action;

#[derive(Default)]
pub struct QuestionPane {
    ta: TextArea<'static>,
    history: Vec<String>,
    /// Position while walking the history; `None`: editing a new question.
    walking: Option<usize>,
    draft: String,
}

impl QuestionPane {
    pub fn text(&self) -> String {
        self.ta.lines().join(" ")
    }

    pub fn history(&self) -> &[String] {
        &self.history
    }

    fn set(&mut self, s: &str) {
        self.ta.select_all();
        self.ta.cut();
        self.ta.insert_str(s);
        self.ta.move_cursor(CursorMove::End);
    }

    fn walk(&mut self, back: bool) {
        if self.history.is_empty() {
            return;
        }
        let next = match (self.walking, back) {
            (None, true) => {
                self.draft = self.text();
                Some(self.history.len() - 1)
            }
            (None, false) => None,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i + 1 < self.history.len() => Some(i + 1),
            (Some(_), false) => None,
        };
        let text = match next {
            Some(i) => self.history.get(i).cloned().unwrap_or_default(),
            None => std::mem::take(&mut self.draft),
        };
        self.walking = next;
        self.set(&text);
    }
}

impl Pane for QuestionPane {
    fn draw(&self, f: &mut Frame, area: Rect, cx: &DrawCx) {
        let b = block(title("Question · Enter asks"), cx);
        let inner = b.inner(area);
        f.render_widget(b, area);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let width = inner.width as usize;
        if self.ta.is_empty() {
            let hint = ellipsize("ask about your logs in plain language", width);
            f.render_widget(Paragraph::new(Line::styled(hint, cx.theme.dim())), inner);
            if cx.focused {
                f.set_cursor_position(Position::new(inner.x, inner.y));
            }
            return;
        }
        let c = self.ta.cursor();
        let w = wrap(self.ta.lines(), width, &|_| ratatui::style::Style::new(), None, (c.0, c.1));
        let top = scroll_top(w.cursor.0, inner.height as usize);
        let rows: Vec<Line> = w.rows.into_iter().skip(top).take(inner.height as usize).collect();
        f.render_widget(Paragraph::new(rows), inner);
        if cx.focused {
            let y = inner.y + w.cursor.0.saturating_sub(top) as u16;
            let x = inner.x + w.cursor.1.min(width.saturating_sub(1)) as u16;
            f.set_cursor_position(Position::new(x, y));
        }
    }

    fn on_key(&mut self, key: &KeyEvent) -> Option<Action> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let plain = !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match key.code {
            KeyCode::Enter if plain => {
                let q = self.text().trim().to_owned();
                if q.is_empty() {
                    return None;
                }
                if self.history.last() != Some(&q) {
                    self.history.push(q.clone());
                }
                self.walking = None;
                self.set("");
                Some(Action::Ask(q))
            }
            KeyCode::Up if plain => {
                self.walk(true);
                None
            }
            KeyCode::Down if plain => {
                self.walk(false);
                None
            }
            _ => {
                self.ta.input(*key);
                None
            }
        }
    }

    fn on_paste(&mut self, text: &str) {
        // One line: newlines become spaces.
        let text: String = text.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
        self.ta.insert_str(text);
    }

    fn is_text(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn type_in(p: &mut QuestionPane, s: &str) {
        for c in s.chars() {
            p.on_key(&key(KeyCode::Char(c)));
        }
    }

    #[test]
    fn enter_asks_and_history_walks() {
        let mut p = QuestionPane::default();
        assert_eq!(p.on_key(&key(KeyCode::Enter)), None, "nothing to ask");
        type_in(&mut p, "how many errors?");
        assert_eq!(p.on_key(&key(KeyCode::Enter)), Some(Action::Ask("how many errors?".into())));
        assert_eq!(p.text(), "");
        type_in(&mut p, "which block");
        p.on_key(&key(KeyCode::Enter));
        type_in(&mut p, "draft");
        p.on_key(&key(KeyCode::Up));
        assert_eq!(p.text(), "which block");
        p.on_key(&key(KeyCode::Up));
        assert_eq!(p.text(), "how many errors?");
        p.on_key(&key(KeyCode::Up));
        assert_eq!(p.text(), "how many errors?", "stays at the oldest");
        p.on_key(&key(KeyCode::Down));
        p.on_key(&key(KeyCode::Down));
        assert_eq!(p.text(), "draft", "back to the draft");
        assert_eq!(p.history(), ["how many errors?", "which block"]);
        p.on_paste("a\nb");
        assert_eq!(p.text(), "drafta b");
    }
}
