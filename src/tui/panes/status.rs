//! The status bar: what is running and for how long, a notice, what is not
//! configured, and the keys that matter most. Segments drop out from the
//! right when the terminal is narrow.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::tui::theme::Theme;

/// How a notice reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// Everything the bar shows, decided by the app.
#[derive(Debug, Clone, Default)]
pub struct StatusLine {
    /// `● running 1.2 s` or `ready`.
    pub stage: String,
    pub busy: bool,
    pub notice: Option<(String, Level)>,
    /// `no Loki`, `no model`, ...
    pub missing: Vec<String>,
    /// `(keys, label)`: `Tab focus`, `? help`.
    pub hints: Vec<(String, String)>,
}

pub fn draw(f: &mut Frame, area: Rect, s: &StatusLine, theme: Theme) {
    let width = area.width as usize;
    let mut spans: Vec<Span> = Vec::new();
    let mut used = 0usize;
    let push = |spans: &mut Vec<Span<'static>>, text: String, style, used: &mut usize| -> bool {
        let w = text.width();
        if *used + w > width {
            return false;
        }
        *used += w;
        spans.push(Span::styled(text, style));
        true
    };
    let stage_style = if s.busy { theme.warn() } else { theme.ok() };
    let stage = format!(" {} ", s.stage);
    if !push(&mut spans, stage.clone(), stage_style, &mut used) {
        let cut = super::ellipsize(&stage, width);
        f.render_widget(Paragraph::new(Line::styled(cut, stage_style)).style(theme.status_bar()), area);
        return;
    }
    if let Some((n, level)) = &s.notice {
        let style = match level {
            Level::Info => ratatui::style::Style::new(),
            Level::Warn => theme.warn(),
            Level::Error => theme.error(),
        };
        let room = width.saturating_sub(used + 1);
        if room > 8 {
            push(&mut spans, format!("{} ", super::ellipsize(n, room)), style, &mut used);
        }
    }
    // Right side: what is missing, then key hints, as many as fit.
    let mut right: Vec<(String, ratatui::style::Style)> = Vec::new();
    let mut rw = 0usize;
    for m in &s.missing {
        let t = format!(" {m} ");
        if used + rw + t.width() > width {
            break;
        }
        rw += t.width();
        right.push((t, theme.dim()));
    }
    for (k, label) in &s.hints {
        let t = format!(" {k} {label} ");
        if used + rw + t.width() > width {
            break;
        }
        rw += t.width();
        right.push((t, theme.key()));
    }
    let gap = width.saturating_sub(used + rw);
    spans.push(Span::raw(" ".repeat(gap)));
    spans.extend(right.into_iter().map(|(t, st)| Span::styled(t, st)));
    f.render_widget(Paragraph::new(Line::from(spans)).style(theme.status_bar()), area);
}
