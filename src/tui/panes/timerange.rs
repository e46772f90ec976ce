//! The time range popup: start, end and limit of the queries Ctrl-R runs,
//! typed in the configured zone (or RFC 3339, or unix seconds).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui_textarea::{CursorMove, TextArea};

use super::help::centered;
use crate::backend::MAX_LIMIT;
use crate::dataset::timestamp::Zone;
use crate::tui::theme::Theme;
use crate::tui::timefmt;

/// Start, end (unix ns) and the limit of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryRange {
    pub start_ns: i64,
    pub end_ns: i64,
    pub limit: u32,
}

impl QueryRange {
    /// `2008-11-09 20:36 → 11-11 10:21 UTC · limit 1000` (the end's year
    /// and date only when they differ).
    pub fn label(&self, zone: Zone) -> String {
        let f = |ns, fmt| timefmt::format(zone, ns, fmt);
        let end_fmt = if f(self.start_ns, "%Y-%m-%d") == f(self.end_ns, "%Y-%m-%d") {
            "%H:%M"
        } else if f(self.start_ns, "%Y") == f(self.end_ns, "%Y") {
            "%m-%d %H:%M"
        } else {
            "%Y-%m-%d %H:%M"
        };
        format!(
            "{} → {} {} · limit {}",
            f(self.start_ns, "%Y-%m-%d %H:%M"),
            f(self.end_ns, end_fmt),
            timefmt::zone_name(zone, self.end_ns),
            self.limit
        )
    }
}

/// What the form gives back on a key.
#[derive(Debug, Clone, PartialEq)]
pub enum FormResult {
    Editing,
    Done(QueryRange),
    Closed,
}

pub struct TimeRangeForm {
    fields: [TextArea<'static>; 3],
    focus: usize,
    error: Option<String>,
    zone: Zone,
}

const LABELS: [&str; 3] = ["start", "end", "limit"];

fn field(s: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![s.to_owned()]);
    t.move_cursor(CursorMove::End);
    t
}

impl TimeRangeForm {
    pub fn new(r: QueryRange, zone: Zone) -> TimeRangeForm {
        let f = |ns| timefmt::format(zone, ns, "%Y-%m-%d %H:%M:%S");
        TimeRangeForm {
            fields: [field(&f(r.start_ns)), field(&f(r.end_ns)), field(&r.limit.to_string())],
            focus: 0,
            error: None,
            zone,
        }
    }

    fn value(&self, i: usize) -> String {
        self.fields.get(i).map(|t| t.lines().join("")).unwrap_or_default()
    }

    fn parse(&self) -> Result<QueryRange, String> {
        let start_ns = timefmt::parse(self.zone, &self.value(0)).map_err(|e| format!("start: {e}"))?;
        let end_ns = timefmt::parse(self.zone, &self.value(1)).map_err(|e| format!("end: {e}"))?;
        if end_ns <= start_ns {
            return Err("end must be after start".into());
        }
        let limit: u32 = self.value(2).trim().parse().map_err(|_| format!("limit: a number from 1 to {MAX_LIMIT}"))?;
        if limit == 0 || limit > MAX_LIMIT {
            return Err(format!("limit: a number from 1 to {MAX_LIMIT}"));
        }
        Ok(QueryRange { start_ns, end_ns, limit })
    }

    pub fn on_key(&mut self, key: &KeyEvent) -> FormResult {
        if key.kind == KeyEventKind::Release {
            return FormResult::Editing;
        }
        match key.code {
            KeyCode::Esc => return FormResult::Closed,
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % 3,
            KeyCode::BackTab | KeyCode::Up => self.focus = (self.focus + 2) % 3,
            KeyCode::Enter => match self.parse() {
                Ok(r) => return FormResult::Done(r),
                Err(e) => self.error = Some(e),
            },
            _ => {
                if let Some(t) = self.fields.get_mut(self.focus) {
                    t.input(*key);
                }
                self.error = None;
            }
        }
        FormResult::Editing
    }

    pub fn on_paste(&mut self, text: &str) {
        if let Some(t) = self.fields.get_mut(self.focus) {
            t.insert_str(text.replace(['\n', '\r'], ""));
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, theme: Theme) {
        let popup = centered(area, 56, 8);
        f.render_widget(Clear, popup);
        let b = Block::bordered()
            .border_style(theme.border(true))
            .title(Line::styled(" Time range · Enter applies · Esc closes ", theme.title(true)));
        let inner = b.inner(popup);
        f.render_widget(b, popup);
        let mut lines = Vec::new();
        let mut cursor = None;
        for (i, label) in LABELS.iter().enumerate() {
            let v = self.value(i);
            let focused = i == self.focus;
            let style = if focused { theme.selected() } else { ratatui::style::Style::new() };
            lines.push(Line::from(vec![Span::styled(format!(" {label:<6}"), theme.key()), Span::styled(v, style)]));
            if focused && let Some(t) = self.fields.get(i) {
                cursor = Some((7 + t.cursor().1 as u16, i as u16));
            }
        }
        lines.push(Line::styled(
            format!(" zone {} · RFC 3339 or unix seconds also work", timefmt::zone_name(self.zone, 0)),
            theme.dim(),
        ));
        if let Some(e) = &self.error {
            lines.push(Line::styled(format!(" {e}"), theme.error()));
        }
        f.render_widget(Paragraph::new(lines), inner);
        if let Some((x, y)) = cursor
            && x < inner.width
            && y < inner.height
        {
            f.set_cursor_position((inner.x + x, inner.y + y));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_checks_and_applies() {
        let utc = Zone::parse("UTC").unwrap();
        let r = QueryRange { start_ns: 1_226_262_975_000_000_000, end_ns: 1_226_398_817_000_000_000, limit: 100 };
        assert_eq!(r.label(utc), "2008-11-09 20:36 → 11-11 10:20 UTC · limit 100");
        let same_day = QueryRange { end_ns: r.start_ns + 3_600_000_000_000, ..r };
        assert_eq!(same_day.label(utc), "2008-11-09 20:36 → 21:36 UTC · limit 100");
        let mut form = TimeRangeForm::new(r, utc);
        assert_eq!(form.on_key(&key(KeyCode::Enter)), FormResult::Done(r), "unchanged values round-trip");
        form.on_key(&key(KeyCode::Up)); // to limit
        form.on_key(&key(KeyCode::Backspace));
        form.on_key(&key(KeyCode::Backspace));
        form.on_key(&key(KeyCode::Char('5')));
        assert_eq!(form.on_key(&key(KeyCode::Enter)), FormResult::Done(QueryRange { limit: 15, ..r }));
        form.on_key(&key(KeyCode::Char('0')));
        form.on_key(&key(KeyCode::Char('0')));
        form.on_key(&key(KeyCode::Char('0')));
        assert_eq!(form.on_key(&key(KeyCode::Enter)), FormResult::Editing);
        assert!(form.error.as_deref().unwrap_or("").contains("limit"));
        form.on_key(&key(KeyCode::Tab)); // to start
        form.on_paste("2009-01-01");
        assert_eq!(form.on_key(&key(KeyCode::Enter)), FormResult::Editing, "bad start");
        assert_eq!(form.on_key(&key(KeyCode::Esc)), FormResult::Closed);
    }
}
