//! The LogQL editor: ratatui-textarea keeps the text, the cursor, undo and
//! the Emacs keys; we draw it, highlighted from the `logql` lexer's tokens,
//! and parse it as it is typed to show a parse error with a caret.

use std::ops::Range;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui_textarea::{CursorMove, TextArea};

use super::wrap::{scroll_top, wrap};
use super::{DrawCx, Pane, block, ellipsize, title};
use crate::logql::{self, ParseError};
use crate::pipeline::plan::RANGE_VAR;
use crate::tui::action::Action;
use crate::tui::highlight::{self, Class};
use crate::tui::theme::Theme;


/// A duration as wide as [`RANGE_VAR`], read in its place.
const RANGE_STANDIN: &str = "9999999s";
/// Most rows the error under the editor takes.
const MAX_ERROR_ROWS: usize = 3;

pub struct EditorPane {
    ta: TextArea<'static>,
    text: String,
    classes: Vec<(Range<usize>, Class)>,
    error: Option<ParseError>,
    /// The time range shown in the bottom border.
    pub range_label: String,
}

impl EditorPane {
    pub fn new(initial: &str) -> EditorPane {
        let mut e = EditorPane {
            ta: TextArea::default(),
            text: String::new(),
            classes: Vec::new(),
            error: None,
            range_label: String::new(),
        };
        e.set_text(initial);
        e
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn error(&self) -> Option<&ParseError> {
        self.error.as_ref()
    }

    /// Replaces the text (undo keeps the old one) and puts the cursor at the end.
    pub fn set_text(&mut self, s: &str) {
        self.ta.select_all();
        self.ta.cut();
        self.ta.insert_str(s);
        self.ta.move_cursor(CursorMove::Bottom);
        self.ta.move_cursor(CursorMove::End);
        self.changed();
    }

    fn changed(&mut self) {
        self.text = self.ta.lines().join("\n");
        // `$__range` (the window's length when run) is read as a duration of
        // the same width, so colours and the caret keep their columns.
        let checked = self.text.replace(RANGE_VAR, RANGE_STANDIN);
        self.classes = highlight::classes(&checked);
        self.error = if self.text.trim().is_empty() { None } else { logql::parse(&checked).err() };
    }

    fn class_at(&self, at: usize) -> Option<Class> {
        let i = self.classes.partition_point(|(r, _)| r.end <= at);
        self.classes.get(i).filter(|(r, _)| r.start <= at).map(|(_, c)| *c)
    }

    /// Rows the pane needs inside its borders at `width` columns.
    pub fn rows_needed(&self, width: u16) -> u16 {
        let w = self.layout(width as usize, Theme::new(true));
        let last = w.rows.len().saturating_sub(1);
        let err = self.error_lines(width as usize, &w, last, Theme::new(true)).len();
        (w.rows.len() + err).min(u16::MAX as usize) as u16
    }

    fn layout(&self, width: usize, theme: Theme) -> super::wrap::Wrapped {
        let style_at = |at: usize| self.class_at(at).map_or(Style::new(), |c| theme.syntax(c));
        let mark = self.error.as_ref().map(|e| (e.offset, theme.error_mark()));
        let c = self.ta.cursor();
        wrap(self.ta.lines(), width, &style_at, mark, (c.0, c.1))
    }

    /// The error under the text: a caret under the error's column (when the
    /// error is on `last_row`, the row drawn just above) with the message
    /// beside it when it fits, else the position and the message.
    fn error_lines(&self, width: usize, w: &super::wrap::Wrapped, last_row: usize, theme: Theme) -> Vec<Line<'static>> {
        let Some(e) = &self.error else { return Vec::new() };
        let width = width.max(1);
        let msg = e.message.clone();
        let n = msg.chars().count();
        // Where the caret goes: the error's column on the last row, if it is there.
        let caret = w.mark.filter(|(r, _)| *r == last_row).map(|(_, c)| c);
        let err = theme.error();
        let wrapped = |text: &str, rows: usize| -> Vec<Line<'static>> {
            let chars: Vec<char> = text.chars().collect();
            let mut out: Vec<Line<'static>> =
                chars.chunks(width).take(rows).map(|c| Line::styled(c.iter().collect::<String>(), err)).collect();
            if chars.len() > width * rows
                && let Some(last) = out.last_mut()
            {
                let s: String = last.spans.iter().map(|s| s.content.as_ref()).collect();
                *last = Line::styled(ellipsize(&format!("{s}…"), width), err);
            }
            out
        };
        match caret {
            // `   ^ message` or `message ^` on one row when it fits.
            Some(col) if col + 2 + n <= width => {
                vec![Line::from(vec![Span::raw(" ".repeat(col)), Span::styled(format!("^ {msg}"), err)])]
            }
            Some(col) if col > n && col < width => {
                vec![Line::from(vec![Span::raw(" ".repeat(col - n - 1)), Span::styled(format!("{msg} ^"), err)])]
            }
            // The caret on its row, the message under it.
            Some(col) if col < width => {
                let mut rows = vec![Line::from(vec![Span::raw(" ".repeat(col)), Span::styled("^", err)])];
                rows.extend(wrapped(&msg, MAX_ERROR_ROWS - 1));
                rows
            }
            _ => wrapped(&format!("line {}, col {}: {msg}", e.line, e.col), MAX_ERROR_ROWS),
        }
    }
}

impl Pane for EditorPane {
    fn draw(&self, f: &mut Frame, area: Rect, cx: &DrawCx) {
        let run = cx.keys.keys_for(&Action::RunQuery);
        let mut b = block(title(format!("LogQL · {run} runs")), cx);
        if !self.range_label.is_empty() {
            b = b.title_bottom(Line::from(title(self.range_label.clone())).style(cx.theme.dim()));
        }
        let inner = b.inner(area);
        f.render_widget(b, area);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let width = inner.width as usize;
        let height = inner.height as usize;
        if self.text.is_empty() {
            let hint = Line::styled(ellipsize("{app=\"hdfs\"} |= \"error\"  — type LogQL", width), cx.theme.dim());
            f.render_widget(Paragraph::new(hint), inner);
            if cx.focused {
                f.set_cursor_position(Position::new(inner.x, inner.y));
            }
            return;
        }
        let w = self.layout(width, cx.theme);
        // All of it fits: the caret can point under the last row. Else the
        // text keeps at least one row and the error gets what is left.
        let last = w.rows.len().saturating_sub(1);
        let mut errs = self.error_lines(width, &w, last, cx.theme);
        let top = if w.rows.len() + errs.len() <= height {
            0
        } else {
            errs = self.error_lines(width, &w, usize::MAX, cx.theme);
            errs.truncate(height.saturating_sub(1));
            scroll_top(w.cursor.0, height - errs.len())
        };
        let text_rows = height - errs.len();
        let mut lines: Vec<Line> = w.rows.iter().skip(top).take(text_rows).cloned().collect();
        while lines.len() < text_rows {
            lines.push(Line::default());
        }
        lines.extend(errs);
        f.render_widget(Paragraph::new(lines), inner);
        if cx.focused {
            let (r, c) = w.cursor;
            let y = inner.y + (r - top).min(text_rows.saturating_sub(1)) as u16;
            let x = inner.x + (c.min(width.saturating_sub(1))) as u16;
            f.set_cursor_position(Position::new(x, y));
        }
    }

    fn on_key(&mut self, key: &KeyEvent) -> Option<Action> {
        if self.ta.input(*key) {
            self.changed();
        }
        None
    }

    fn on_paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        if self.ta.insert_str(text) {
            self.changed();
        }
    }

    fn is_text(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn typed(s: &str) -> EditorPane {
        let mut e = EditorPane::new("");
        for c in s.chars() {
            e.on_key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        e
    }

    #[test]
    fn parses_as_you_type() {
        let mut e = typed("{app=\"hdfs\"");
        let err = e.error().expect("unterminated selector");
        assert_eq!((err.line, err.col), (1, 12));
        e.on_key(&KeyEvent::new(KeyCode::Char('}'), KeyModifiers::NONE));
        assert!(e.error().is_none(), "{:?}", e.error());
        assert_eq!(e.text(), "{app=\"hdfs\"}");
        e.on_key(&KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        assert!(e.error().is_some());
        assert!(EditorPane::new("").error().is_none(), "empty is not an error");
    }

    #[test]
    fn range_variable_is_a_duration_that_keeps_its_columns() {
        assert_eq!(RANGE_STANDIN.len(), RANGE_VAR.len());
        let e = EditorPane::new("sum(count_over_time({app=\"hdfs\"} [$__range]))");
        assert!(e.error().is_none(), "{:?}", e.error());
        let at = e.text().find("$__range").unwrap();
        assert_eq!(e.class_at(at), Some(Class::Duration), "highlighted as the duration it stands for");
        // An error after it is still placed at its own column.
        let e = EditorPane::new("sum(count_over_time({app=\"hdfs\"} [$__range])) !");
        assert_eq!(e.error().map(|p| p.col), Some(e.text().find('!').unwrap() + 1));
    }

    #[test]
    fn set_text_and_paste_replace_and_insert() {
        let mut e = EditorPane::new("{a=\"b\"}");
        e.set_text("{app=\"x\"}\n|= \"y\"");
        assert_eq!(e.text(), "{app=\"x\"}\n|= \"y\"");
        assert!(e.error().is_none());
        e.on_paste(" |= \"z\"\r\n");
        assert_eq!(e.text(), "{app=\"x\"}\n|= \"y\" |= \"z\"\n");
    }

    #[test]
    fn rows_grow_with_wrapping_and_errors() {
        let e = EditorPane::new("{app=\"hdfs\"} |= \"a long filter text\"");
        assert_eq!(e.rows_needed(80), 1);
        assert_eq!(e.rows_needed(20), 2);
        let e = EditorPane::new("{app=\"hdfs\"");
        assert_eq!(e.rows_needed(80), 2, "a row for the caret and the message");
        let e = EditorPane::new("{app=\"hdfs\" |= \"x\"");
        assert_eq!(e.rows_needed(30), 4, "the caret's row and the message wrapped under it");
    }
}
