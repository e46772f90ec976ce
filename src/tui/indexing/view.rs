//! The indexing screen: a gauge per phase with counts, lines (or items) per
//! second and an ETA, worked out from the [`IndexEvent`]s as they arrive;
//! a scrolling list of warnings; what to press to cancel or go back.

use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph};

use crate::index::{IndexEvent, Phase};
use crate::tui::panes::answer::word_wrap;
use crate::tui::panes::ellipsize;
use crate::tui::theme::Theme;
use crate::tui::timefmt;

const PHASES: [Phase; 6] = [Phase::Read, Phase::Finish, Phase::Write, Phase::Summarize, Phase::Embed, Phase::Lexical];

#[derive(Debug, Clone, PartialEq)]
pub enum PhaseState {
    Waiting,
    Running,
    Done { secs: f64 },
    Skipped(String),
}

/// One phase's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseRow {
    pub phase: Phase,
    pub state: PhaseState,
    /// Bytes (reading) or items (LLM phases) in all, when known.
    pub total: Option<u64>,
    /// Bytes or items done.
    pub done: u64,
    /// Lines (reading) or items.
    pub count: u64,
    /// Items: the count measures items, not lines.
    pub items: bool,
    /// Per second, of `count`.
    pub rate: f64,
    pub eta: Option<Duration>,
    pub tokens: Option<(u64, u64, f64)>,
    started: Option<Instant>,
    /// Done when the phase (re)started (cached items).
    base: u64,
}

impl PhaseRow {
    fn new(phase: Phase) -> PhaseRow {
        PhaseRow { phase, state: PhaseState::Waiting, total: None, done: 0, count: 0, items: false, rate: 0.0, eta: None, tokens: None, started: None, base: 0 }
    }

    fn ratio(&self) -> f64 {
        match (self.total, &self.state) {
            (_, PhaseState::Done { .. }) => 1.0,
            (Some(t), _) if t > 0 => (self.done as f64 / t as f64).clamp(0.0, 1.0),
            _ => 0.0,
        }
    }
}

/// Where the job is.
#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    Idle,
    Running,
    /// Built; now indexing what is appended (a summary of the build).
    Following(String),
    Cancelling,
    Done(String),
    Cancelled(String),
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct IndexView {
    pub app: String,
    pub phases: Vec<PhaseRow>,
    pub warnings: Vec<String>,
    /// Following: one line per update, oldest first (the last 1,000).
    pub updates: Vec<String>,
    /// Following: updates in all.
    pub update_count: usize,
    /// What the job is doing now (a Loki pull's progress), when it says.
    pub note: Option<String>,
    pub state: JobState,
    /// Time since the job started, updated on ticks.
    pub elapsed: Duration,
    pub started: Option<Instant>,
    warn_scroll: usize,
}

impl IndexView {
    pub fn new(app: &str) -> IndexView {
        IndexView {
            app: app.to_owned(),
            phases: PHASES.iter().map(|p| PhaseRow::new(*p)).collect(),
            warnings: Vec::new(),
            updates: Vec::new(),
            update_count: 0,
            note: None,
            state: JobState::Idle,
            elapsed: Duration::ZERO,
            started: None,
            warn_scroll: 0,
        }
    }

    /// A fresh run begins at `now`.
    pub fn start(&mut self, now: Instant) {
        *self = IndexView { state: JobState::Running, started: Some(now), ..IndexView::new(&self.app) };
    }

    pub fn is_running(&self) -> bool {
        matches!(self.state, JobState::Running | JobState::Following(_) | JobState::Cancelling)
    }

    /// Following: an update arrived (kept, the last 1,000).
    pub fn updated(&mut self, line: String) {
        if self.updates.len() >= 1000 {
            self.updates.remove(0);
        }
        self.updates.push(crate::terminal::sanitize(&line).into_owned());
        self.update_count += 1;
    }

    /// `1 update`, `3 updates`.
    pub fn updates_said(&self) -> String {
        match self.update_count {
            1 => "1 update".to_owned(),
            n => format!("{n} updates"),
        }
    }

    fn row(&mut self, p: Phase) -> Option<&mut PhaseRow> {
        self.phases.iter_mut().find(|r| r.phase == p)
    }

    /// Applies one event seen at `now`.
    pub fn apply(&mut self, ev: IndexEvent, now: Instant) {
        match ev {
            IndexEvent::Started { phase, total_bytes } => {
                if let Some(r) = self.row(phase) {
                    *r = PhaseRow { state: PhaseState::Running, total: total_bytes, started: Some(now), ..PhaseRow::new(phase) };
                }
            }
            IndexEvent::Progress { phase, bytes, lines } => {
                if let Some(r) = self.row(phase) {
                    r.done = bytes;
                    r.count = lines;
                    let secs = r.started.map_or(0.0, |s| now.duration_since(s).as_secs_f64());
                    if secs > 0.0 {
                        r.rate = lines as f64 / secs;
                        let bps = bytes as f64 / secs;
                        r.eta = match r.total {
                            Some(t) if bps > 0.0 && t >= bytes => Some(Duration::from_secs_f64((t - bytes) as f64 / bps)),
                            _ => None,
                        };
                    }
                }
            }
            IndexEvent::ItemsStarted { phase, total, cached } => {
                if let Some(r) = self.row(phase) {
                    *r = PhaseRow {
                        state: PhaseState::Running,
                        total: Some(total),
                        done: cached,
                        count: cached,
                        items: true,
                        started: Some(now),
                        base: cached,
                        ..PhaseRow::new(phase)
                    };
                }
            }
            IndexEvent::Items { phase, done, total, tokens_in, tokens_out, cost_usd } => {
                if let Some(r) = self.row(phase) {
                    r.done = done;
                    r.count = done;
                    r.total = Some(total);
                    r.tokens = Some((tokens_in, tokens_out, cost_usd));
                    let secs = r.started.map_or(0.0, |s| now.duration_since(s).as_secs_f64());
                    let fresh = done.saturating_sub(r.base) as f64;
                    if secs > 0.0 && fresh > 0.0 {
                        r.rate = fresh / secs;
                        r.eta = Some(Duration::from_secs_f64(total.saturating_sub(done) as f64 / r.rate));
                    }
                }
            }
            IndexEvent::Finished { phase, lines, secs } => {
                if let Some(r) = self.row(phase) {
                    r.state = PhaseState::Done { secs };
                    r.count = lines;
                    r.eta = None;
                    if secs > 0.0 {
                        r.rate = lines as f64 / secs;
                    }
                }
            }
            IndexEvent::Skipped { phase, reason } => {
                if let Some(r) = self.row(phase) {
                    r.state = PhaseState::Skipped(reason);
                }
            }
            IndexEvent::Warning(w) => self.warnings.push(crate::terminal::sanitize(&w).into_owned()),
        }
    }

    pub fn scroll_warnings(&mut self, down: bool) {
        self.warn_scroll = if down {
            (self.warn_scroll + 1).min(self.warnings.len().saturating_sub(1))
        } else {
            self.warn_scroll.saturating_sub(1)
        };
    }
}

fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn gauge_label(r: &PhaseRow) -> String {
    let unit = if r.items { "items" } else { "lines" };
    let mut parts = vec![format!("{:.0}%", r.ratio() * 100.0)];
    match (&r.state, r.items, r.total) {
        (_, true, Some(t)) => parts.push(format!("{}/{} items", count(r.done), count(t))),
        _ if r.count > 0 => parts.push(format!("{} {unit}", count(r.count))),
        _ => {}
    }
    if r.rate > 0.0 {
        parts.push(format!("{} {unit}/s", count(r.rate as u64)));
    }
    if let (PhaseState::Running, Some(eta)) = (&r.state, r.eta) {
        parts.push(format!("ETA {}", timefmt::elapsed(eta)));
    }
    if let Some((i, o, cost)) = r.tokens {
        parts.push(format!("tokens {i} in {o} out ${cost:.4}"));
    }
    parts.join(" · ")
}

/// Draws the screen; `hint` says which keys cancel and close.
pub fn draw(f: &mut Frame, area: Rect, v: &IndexView, hint: &str, theme: Theme) {
    let status = match &v.state {
        JobState::Idle => "not started".to_owned(),
        JobState::Running => format!("running {}", timefmt::elapsed(v.elapsed)),
        JobState::Following(_) => format!("following · {} · {}", v.updates_said(), timefmt::elapsed(v.elapsed)),
        JobState::Cancelling => "cancelling after the work in flight".to_owned(),
        JobState::Done(_) => "done".to_owned(),
        JobState::Cancelled(_) => "cancelled".to_owned(),
        JobState::Failed(_) => "failed".to_owned(),
    };
    let b = Block::bordered()
        .border_style(theme.border(true))
        .title(Line::styled(format!(" Indexing {} · {status} ", v.app), theme.title(true)))
        .title_bottom(Line::styled(format!(" {hint} "), theme.dim()));
    let inner = b.inner(area);
    f.render_widget(b, area);
    if inner.width < 4 || inner.height == 0 {
        return;
    }
    // A row per phase, and a gauge under the running one(s) when there is room.
    let gauges = inner.height as usize >= PHASES.len() + 4;
    let heights: Vec<u16> = v
        .phases
        .iter()
        .map(|r| if gauges && r.state == PhaseState::Running { 2 } else { 1 })
        .collect();
    let phases_h = heights.iter().sum::<u16>().min(inner.height);
    let [top, rest] = Layout::vertical([Constraint::Length(phases_h), Constraint::Fill(1)]).areas(inner);
    let rows = Layout::vertical(heights.iter().map(|h| Constraint::Length(*h))).split(top);
    for (r, area) in v.phases.iter().zip(rows.iter()) {
        draw_phase(f, *area, r, theme);
    }
    if rest.height == 0 {
        return;
    }
    let mut lines: Vec<Line> = Vec::new();
    match &v.state {
        JobState::Done(s) | JobState::Following(s) => {
            lines.extend(word_wrap(s, rest.width as usize).into_iter().map(|l| Line::styled(l, theme.ok())))
        }
        JobState::Failed(e) => lines.extend(word_wrap(e, rest.width as usize).into_iter().map(|l| Line::styled(l, theme.error()))),
        JobState::Cancelled(e) => lines.extend(word_wrap(e, rest.width as usize).into_iter().map(|l| Line::styled(l, theme.warn()))),
        _ => {}
    }
    if let (Some(n), true) = (&v.note, v.is_running()) {
        lines.push(Line::styled(ellipsize(n, rest.width as usize), theme.dim()));
    }
    if !v.updates.is_empty() {
        // The newest updates, leaving room for the warnings' first lines.
        let room = (rest.height as usize).saturating_sub(lines.len() + 1 + if v.warnings.is_empty() { 0 } else { 2 });
        lines.push(Line::styled(format!("updates ({})", v.update_count), theme.title(false)));
        let skip = v.updates.len().saturating_sub(room);
        for u in &v.updates[skip..] {
            lines.push(Line::raw(ellipsize(u, rest.width as usize)));
        }
    }
    if !v.warnings.is_empty() {
        lines.push(Line::styled(format!("warnings ({})", v.warnings.len()), theme.warn()));
        let room = (rest.height as usize).saturating_sub(lines.len());
        let start = v.warn_scroll.min(v.warnings.len().saturating_sub(room.max(1)));
        for w in v.warnings.iter().skip(start).take(room) {
            lines.push(Line::raw(ellipsize(w, rest.width as usize)));
        }
    }
    f.render_widget(Paragraph::new(lines), rest);
}

fn unit(p: Phase) -> &'static str {
    match p {
        Phase::Read | Phase::Finish => "lines",
        Phase::Write => "templates",
        Phase::Summarize | Phase::Embed => "items",
        Phase::Lexical => "documents",
    }
}

fn draw_phase(f: &mut Frame, area: Rect, r: &PhaseRow, theme: Theme) {
    let (text, style) = match &r.state {
        PhaseState::Waiting => ("waiting".to_owned(), theme.dim()),
        PhaseState::Running => (gauge_label(r), theme.warn()),
        PhaseState::Done { secs } => {
            let mut t = format!("done in {}", timefmt::elapsed(Duration::from_secs_f64(secs.max(0.0))));
            if r.count > 0 {
                t.push_str(&format!(" · {} {}", count(r.count), unit(r.phase)));
            }
            if r.phase == Phase::Read && r.rate > 0.0 {
                t.push_str(&format!(" · {} lines/s", count(r.rate as u64)));
            }
            (t, theme.ok())
        }
        PhaseState::Skipped(why) => (format!("skipped: {why}"), theme.dim()),
    };
    let name = r.phase.name();
    let [head, bar] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let room = (head.width as usize).saturating_sub(name.chars().count() + 2);
    f.render_widget(
        Paragraph::new(Line::from(vec![Span::styled(format!("{name}: "), theme.title(false)), Span::styled(ellipsize(&text, room), style)])),
        head,
    );
    if bar.height > 0 {
        f.render_widget(Gauge::default().ratio(r.ratio()).label("").gauge_style(theme.gauge()), bar);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_make_rates_etas_and_states() {
        let mut v = IndexView::new("hdfs");
        let t0 = Instant::now();
        v.start(t0);
        v.apply(IndexEvent::Started { phase: Phase::Read, total_bytes: Some(1000) }, t0);
        v.apply(IndexEvent::Progress { phase: Phase::Read, bytes: 250, lines: 500 }, t0 + Duration::from_secs(1));
        let r = &v.phases[0];
        assert_eq!((r.state.clone(), r.done, r.count), (PhaseState::Running, 250, 500));
        assert_eq!(r.rate, 500.0);
        assert_eq!(r.eta, Some(Duration::from_secs(3)));
        assert_eq!(r.ratio(), 0.25);
        v.apply(IndexEvent::Finished { phase: Phase::Read, lines: 2000, secs: 2.0 }, t0 + Duration::from_secs(2));
        assert_eq!(v.phases[0].state, PhaseState::Done { secs: 2.0 });
        assert_eq!(v.phases[0].ratio(), 1.0);
        v.apply(IndexEvent::ItemsStarted { phase: Phase::Summarize, total: 10, cached: 4 }, t0);
        v.apply(IndexEvent::Items { phase: Phase::Summarize, done: 7, total: 10, tokens_in: 100, tokens_out: 20, cost_usd: 0.01 }, t0 + Duration::from_secs(3));
        let s = &v.phases[3];
        assert_eq!((s.rate, s.eta), (1.0, Some(Duration::from_secs(3))));
        assert!(gauge_label(s).contains("7/10 items"), "{}", gauge_label(s));
        v.apply(IndexEvent::Skipped { phase: Phase::Embed, reason: "offline".into() }, t0);
        assert_eq!(v.phases[4].state, PhaseState::Skipped("offline".into()));
        v.apply(IndexEvent::Warning("bad \x1b[31mline".into()), t0);
        assert_eq!(v.warnings, ["bad line"]);
        assert!(v.is_running());
    }

    #[test]
    fn updates_keep_the_last_thousand_and_count_all() {
        let mut v = IndexView::new("hdfs");
        v.updated("first".into());
        assert_eq!(v.updates_said(), "1 update");
        for i in 0..1000 {
            v.updated(format!("u{i} \x1b[2J"));
        }
        assert_eq!((v.updates.len(), v.update_count, v.updates_said()), (1000, 1001, "1001 updates".to_owned()));
        assert_eq!(v.updates[0], "u0 ", "the oldest went; escapes stripped");
    }

    #[test]
    fn counts_read_well() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(100), "100");
    }
}
