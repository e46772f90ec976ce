//! The results pane: log lines, a metric chart or table, a parse or
//! backend error, or a hint; its title says how many rows, how long the
//! query took and on which backend.

pub mod chart;
pub mod logs;
pub mod metric;

use std::cell::Cell;
use std::collections::BTreeSet;
use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::action::{Action, Scroll};
use super::panes::answer::word_wrap;
use super::panes::{DrawCx, Pane, block, title};
use super::timefmt;
use logs::Logs;
use metric::{Metric, MetricKind};

/// What the pane shows.
#[derive(Debug, Clone)]
pub enum Body {
    /// Nothing yet: a hint.
    Empty(String),
    Logs(Logs),
    Metric(Metric),
    /// The query failed: what happened.
    Error(String),
}

/// How the last query went.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    /// `100 lines`, `12 series`.
    pub count: String,
    pub elapsed: Duration,
    pub backend: &'static str,
}

/// Chart or table for metric results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricMode {
    #[default]
    Chart,
    Table,
}

pub struct ResultsPane {
    pub body: Body,
    pub meta: Option<Meta>,
    pub mode: MetricMode,
    /// A query is running: `running 1.2 s`.
    pub running: Option<Duration>,
    selected: usize,
    offset: Cell<usize>,
    hscroll: usize,
    page: Cell<usize>,
    /// Log rows marked for an analysis.
    marked: BTreeSet<usize>,
}

impl Default for ResultsPane {
    fn default() -> Self {
        ResultsPane {
            body: Body::Empty(String::new()),
            meta: None,
            mode: MetricMode::Chart,
            running: None,
            selected: 0,
            offset: Cell::new(0),
            hscroll: 0,
            page: Cell::new(1),
            marked: BTreeSet::new(),
        }
    }
}

impl ResultsPane {
    pub fn set(&mut self, body: Body, meta: Option<Meta>) {
        if let Body::Metric(m) = &body {
            // A vector or a scalar reads better as a table.
            self.mode = if m.kind == MetricKind::Matrix { MetricMode::Chart } else { MetricMode::Table };
        }
        self.body = body;
        self.meta = meta;
        self.selected = 0;
        self.offset.set(0);
        self.hscroll = 0;
        self.marked.clear();
    }

    /// Marks or unmarks the selected log line; whether the pane shows logs.
    pub fn toggle_mark(&mut self) -> bool {
        if !matches!(&self.body, Body::Logs(l) if !l.rows.is_empty()) {
            return false;
        }
        if !self.marked.remove(&self.selected) {
            self.marked.insert(self.selected);
        }
        self.scroll(Scroll::Down(1));
        true
    }

    pub fn marked(&self) -> usize {
        self.marked.len()
    }

    /// The lines to analyse, oldest first: the marked ones, or all shown.
    pub fn analysis_lines(&self) -> Vec<String> {
        let Body::Logs(l) = &self.body else { return Vec::new() };
        let mut rows: Vec<&logs::LogRow> = if self.marked.is_empty() {
            l.rows.iter().collect()
        } else {
            self.marked.iter().filter_map(|&i| l.rows.get(i)).collect()
        };
        rows.sort_by_key(|r| r.ts);
        rows.into_iter().map(|r| r.line.clone()).collect()
    }

    fn rows(&self) -> usize {
        match &self.body {
            Body::Logs(l) => l.rows.len(),
            Body::Metric(m) if self.mode == MetricMode::Table => m.series.len(),
            _ => 0,
        }
    }

    /// Scrolls horizontally (log lines), in characters.
    pub fn hscroll(&mut self, right: bool) {
        self.hscroll = if right { self.hscroll + 8 } else { self.hscroll.saturating_sub(8) };
    }

    fn head(&self) -> String {
        let mut t = "Results".to_owned();
        if let Some(m) = &self.meta {
            t.push_str(&format!(" · {} · {} · {}", m.count, timefmt::elapsed(m.elapsed), m.backend));
        }
        if !self.marked.is_empty() {
            t.push_str(&format!(" · {} marked", self.marked.len()));
        }
        if let Some(d) = self.running {
            t.push_str(&format!(" · running {}", timefmt::elapsed(d)));
        }
        t
    }

    /// Keeps the selection on screen for `h` rows; the first row to draw.
    fn top(&self, h: usize) -> usize {
        self.page.set(h.max(1));
        let mut off = self.offset.get();
        if self.selected < off {
            off = self.selected;
        } else if h > 0 && self.selected >= off + h {
            off = self.selected + 1 - h;
        }
        self.offset.set(off);
        off
    }
}

impl Pane for ResultsPane {
    fn draw(&self, f: &mut Frame, area: Rect, cx: &DrawCx) {
        let mut b = block(title(self.head()), cx);
        let bottom = match &self.body {
            Body::Logs(l) => {
                let own = l.rows.get(self.selected).map(|r| r.labels.as_str()).filter(|s| !s.is_empty());
                let mut s = match own {
                    Some(own) => format!("{} {own}", l.common),
                    None => l.common.clone(),
                };
                match l.cut {
                    0 => {}
                    1 => s.push_str(" · 1 long line cut"),
                    n => s.push_str(&format!(" · {n} long lines cut")),
                }
                Some(s)
            }
            Body::Metric(m) if m.kind == MetricKind::Matrix => {
                let other = if self.mode == MetricMode::Chart { "table" } else { "chart" };
                let common = if m.common == "{}" { String::new() } else { format!("{} · ", m.common) };
                Some(format!("{common}{} {other}", cx.keys.keys_for(&Action::ToggleView)))
            }
            _ => None,
        };
        if let Some(s) = bottom {
            b = b.title_bottom(Line::from(title(super::panes::ellipsize(&s, area.width.saturating_sub(4) as usize))).style(cx.theme.dim()));
        }
        let inner = b.inner(area);
        f.render_widget(b, area);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let sel = cx.focused.then_some(self.selected);
        match &self.body {
            Body::Empty(hint) => {
                let lines: Vec<Line> =
                    word_wrap(hint, inner.width as usize).into_iter().map(|l| Line::styled(l, cx.theme.dim())).collect();
                f.render_widget(Paragraph::new(lines), inner);
            }
            Body::Error(e) => {
                let lines: Vec<Line> =
                    word_wrap(e, inner.width as usize).into_iter().map(|l| Line::styled(l, cx.theme.error())).collect();
                f.render_widget(Paragraph::new(lines), inner);
            }
            Body::Logs(l) if l.rows.is_empty() => {
                f.render_widget(Paragraph::new(Line::styled("no log lines in the time range", cx.theme.dim())), inner);
            }
            Body::Logs(l) => {
                let top = self.top(inner.height as usize);
                logs::draw(f, inner, l, top, sel, &self.marked, self.hscroll, cx.theme);
            }
            Body::Metric(m) if m.series.is_empty() => {
                f.render_widget(Paragraph::new(Line::styled("no series in the time range", cx.theme.dim())), inner);
            }
            Body::Metric(m) => match self.mode {
                MetricMode::Chart => chart::draw(f, inner, m, cx.zone, cx.theme),
                MetricMode::Table => {
                    let top = self.top(inner.height.saturating_sub(1) as usize);
                    metric::draw_table(f, inner, m, top, sel, cx.theme);
                }
            },
        }
    }

    fn scroll(&mut self, s: Scroll) {
        let n = self.rows();
        if n == 0 {
            return;
        }
        let page = self.page.get().max(1);
        self.selected = match s {
            Scroll::Up(k) => self.selected.saturating_sub(k),
            Scroll::Down(k) => (self.selected + k).min(n - 1),
            Scroll::PageUp => self.selected.saturating_sub(page),
            Scroll::PageDown => (self.selected + page).min(n - 1),
            Scroll::Top => 0,
            Scroll::Bottom => n - 1,
        };
    }

    fn on_key(&mut self, key: &crossterm::event::KeyEvent) -> Option<Action> {
        use crossterm::event::KeyCode;
        match key.code {
            KeyCode::Left => self.hscroll(false),
            KeyCode::Right => self.hscroll(true),
            _ => {}
        }
        None
    }
}

impl ResultsPane {
    /// Switches chart and table.
    pub fn toggle_mode(&mut self) {
        self.mode = match self.mode {
            MetricMode::Chart => MetricMode::Table,
            MetricMode::Table => MetricMode::Chart,
        };
        self.selected = 0;
        self.offset.set(0);
    }

    /// The first rows as plain text (for the session export).
    pub fn excerpt(&self, max: usize) -> Vec<String> {
        match &self.body {
            Body::Empty(_) => Vec::new(),
            Body::Error(e) => vec![e.clone()],
            Body::Logs(l) => l.rows.iter().take(max).map(|r| format!("{} {}", r.time, r.line)).collect(),
            Body::Metric(m) => m
                .series
                .iter()
                .take(max)
                .map(|s| format!("{} points {} min {} max {} last {}", s.name, s.count, metric::short_num(s.min), metric::short_num(s.max), metric::short_num(s.last)))
                .collect(),
        }
    }
}
