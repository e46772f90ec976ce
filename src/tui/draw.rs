//! Drawing a frame from the app's state, and nothing else: no I/O, no
//! waiting. The main screen's panes at the places [`super::layout`] gives,
//! the status bar, then an overlay (help, time range) or the indexing
//! screen over everything.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::action::Action;
use super::app::{App, Overlay, Screen};
use super::indexing::view::{self, JobState};
use super::panes::{DrawCx, help, status};

pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    let s = &app.settings;
    if area.width == 0 || area.height == 0 {
        return;
    }
    if app.screen == Screen::Indexing {
        let (body, bar) = split_status(area);
        let keys = &s.keys;
        let hint = match &app.indexing.state {
            JobState::Following(_) => format!("{} stops following · q back (keeps following)", keys.keys_for(&Action::Cancel)),
            _ if app.indexing.is_running() => format!("{} cancels · q back (keeps running)", keys.keys_for(&Action::Cancel)),
            _ => {
                let follow = keys.key_for(&Action::Follow, false).map(|k| format!(" · {k} index and follow")).unwrap_or_default();
                let again = keys.key_for(&Action::OpenIndex, false).map(|k| format!(" · {k} index again")).unwrap_or_default();
                format!("Enter/{} back{again}{follow}", keys.keys_for(&Action::Cancel))
            }
        };
        view::draw(f, body, &app.indexing, &hint, s.theme);
        if let Some(bar) = bar {
            status::draw(f, bar, &app.status(), s.theme);
        }
        return;
    }
    if app.screen == Screen::Scan {
        let (body, bar) = split_status(area);
        let keys = &s.keys;
        let hint = if app.scan.is_running() {
            format!("{} cancels · q back (keeps running) · ↑/↓ anomalies", keys.keys_for(&Action::Cancel))
        } else {
            format!("Enter scans the time range · ↑/↓ anomalies · {} back", keys.keys_for(&Action::Cancel))
        };
        super::scan::draw(f, body, &app.scan, &hint, s.theme, s.zone);
        if let Some(bar) = bar {
            status::draw(f, bar, &app.status(), s.theme);
        }
        return;
    }
    let areas = app.areas();
    for (id, rect) in &areas.panes {
        let cx = DrawCx { theme: s.theme, focused: *id == app.focus, keys: &s.keys, zone: s.zone };
        app.pane(*id).draw(f, *rect, &cx);
    }
    if let Some(bar) = areas.status {
        status::draw(f, bar, &app.status(), s.theme);
    }
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help => help::draw(f, area, &s.keys, s.theme, app.help_scroll),
        Overlay::TimeRange(form) => form.draw(f, area, s.theme),
        Overlay::Confirm(reason) => confirm(f, area, reason, s.theme),
        Overlay::Analyze { lines, marked } => analyze_menu(f, area, *lines, *marked, s.theme),
    }
}

/// The guard's question: run a query over the limits, narrow it, or stop.
fn confirm(f: &mut Frame, area: Rect, reason: &str, theme: super::theme::Theme) {
    use ratatui::text::Line;
    use ratatui::widgets::{Block, Clear, Paragraph};
    let w = area.width.saturating_sub(4).clamp(1, 70);
    let text = format!("{}\n\nr run it anyway · n/Enter over a narrower window · s/Esc stop", crate::terminal::sanitize(reason));
    let rows = super::panes::answer::word_wrap(&text, w.saturating_sub(2) as usize);
    let popup = help::centered(area, w, rows.len() as u16 + 2);
    f.render_widget(Clear, popup);
    let b = Block::bordered().border_style(theme.border(true)).title(Line::styled(" The query is over the limits ", theme.title(true)));
    let inner = b.inner(popup);
    f.render_widget(b, popup);
    f.render_widget(Paragraph::new(rows.into_iter().map(Line::from).collect::<Vec<_>>()), inner);
}

fn split_status(area: Rect) -> (Rect, Option<Rect>) {
    if area.height < 2 {
        return (area, None);
    }
    let body = Rect { height: area.height - 1, ..area };
    let bar = Rect { y: area.y + area.height - 1, height: 1, ..area };
    (body, Some(bar))
}

/// What to ask the model about the marked (or shown) log lines.
fn analyze_menu(f: &mut Frame, area: Rect, lines: usize, marked: bool, theme: super::theme::Theme) {
    use ratatui::text::{Line, Span};
    use ratatui::widgets::{Block, Clear, Paragraph};
    let rows: Vec<Line> = super::app::ANALYSIS_MENU
        .iter()
        .map(|(k, _, what)| Line::from(vec![Span::styled(format!(" {k} "), theme.key()), Span::raw(format!(" {what}"))]))
        .collect();
    let w = rows.iter().map(|l| l.width()).max().unwrap_or(20) as u16 + 2;
    let popup = help::centered(area, w.max(40), rows.len() as u16 + 2);
    f.render_widget(Clear, popup);
    let which = if marked { "marked" } else { "shown" };
    let b = Block::bordered()
        .border_style(theme.border(true))
        .title(Line::styled(format!(" Analyse {lines} {which} lines · Esc closes "), theme.title(true)));
    let inner = b.inner(popup);
    f.render_widget(b, popup);
    f.render_widget(Paragraph::new(rows), inner);
}
