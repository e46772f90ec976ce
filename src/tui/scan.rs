//! The anomaly scan screen: the app's logs over the time range, cut into
//! windows that the model reports on ([`crate::scan`]). It shows the
//! progress, a health strip with one cell per window, the anomalies as they
//! are routed (severity, window, type, summary; the selected one with its
//! evidence, unsupported lines flagged, and the recommended action), and the
//! template signals of the range. The worker runs the scan; this draws.

use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::panes::answer::word_wrap;
use super::panes::ellipsize;
use super::theme::Theme;
use super::timefmt;
use crate::dataset::timestamp::Zone;
use crate::scan::event::{ScanEvent, ScanStatus, ScanSummary, SkipReason};
use crate::scan::report::{Anomaly, Health, Severity};
use crate::scan::signals::Signal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanState {
    Idle,
    Running,
    /// Ended: the one-line outcome.
    Ended(String),
}

/// One window's cell in the health strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Pending,
    Empty,
    Skipped,
    Health(Health),
}

/// What the screen shows.
pub struct ScanView {
    pub app: String,
    pub state: ScanState,
    pub started: Option<Instant>,
    pub elapsed: Duration,
    head: String,
    cells: Vec<Cell>,
    window_ns: i64,
    start_ns: i64,
    anomalies: Vec<(usize, i64, Anomaly)>,
    suppressed: u64,
    signals: Vec<Signal>,
    notes: Vec<String>,
    pub summary: Option<ScanSummary>,
    selected: usize,
}

impl ScanView {
    pub fn new(app: &str) -> ScanView {
        ScanView {
            app: app.to_owned(),
            state: ScanState::Idle,
            started: None,
            elapsed: Duration::ZERO,
            head: String::new(),
            cells: Vec::new(),
            window_ns: 1,
            start_ns: 0,
            anomalies: Vec::new(),
            suppressed: 0,
            signals: Vec::new(),
            notes: Vec::new(),
            summary: None,
            selected: 0,
        }
    }

    /// The scan could not start.
    pub fn failed(&mut self, error: String) {
        self.state = ScanState::Ended(format!("could not start: {error}"));
        self.notes.push(error);
    }

    pub fn is_running(&self) -> bool {
        self.state == ScanState::Running
    }

    /// A new scan: everything of the last one goes.
    pub fn start(&mut self, now: Instant) {
        *self = ScanView { state: ScanState::Running, started: Some(now), ..ScanView::new(&self.app) };
    }

    pub fn select(&mut self, down: bool) {
        let n = self.anomalies.len();
        self.selected = if down { (self.selected + 1).min(n.saturating_sub(1)) } else { self.selected.saturating_sub(1) };
    }

    fn cell(&mut self, index: usize, c: Cell) {
        if index >= self.cells.len() && index < 100_000 {
            self.cells.resize(index + 1, Cell::Pending);
        }
        if let Some(x) = self.cells.get_mut(index) {
            *x = c;
        }
    }

    pub fn apply(&mut self, e: ScanEvent) {
        match e {
            ScanEvent::Started { backend, start_ns, end_ns, window_ns, max_lines, model, .. } => {
                let n = ((end_ns - start_ns).max(0) / window_ns.max(1) + 1).min(100_000) as usize;
                self.cells = vec![Cell::Pending; n];
                self.window_ns = window_ns.max(1);
                self.start_ns = start_ns;
                let model = model.map_or_else(|| "no model: template signals only".to_owned(), |m| format!("model {m}"));
                self.head = format!("{} windows of {} (≤ {max_lines} lines) on {backend} · {model}", n, crate::logql::duration::format_duration(window_ns));
            }
            ScanEvent::Note { text } => self.notes.push(text),
            ScanEvent::WindowStarted { .. } => {}
            ScanEvent::WindowDone { report } => self.cell(report.index, Cell::Health(report.health)),
            ScanEvent::WindowSkipped { index, reason, .. } => {
                let c = if matches!(reason, SkipReason::Empty) { Cell::Empty } else { Cell::Skipped };
                if let SkipReason::InvalidReply { error, .. } | SkipReason::ModelFailed { error } = &reason {
                    self.notes.push(format!("window {} skipped: {error}", index + 1));
                }
                self.cell(index, c);
            }
            ScanEvent::Anomaly { window, start_ns, anomaly, .. } => self.anomalies.push((window, start_ns, anomaly)),
            ScanEvent::Suppressed { .. } => self.suppressed += 1,
            ScanEvent::WebhookFailed { window, kind, error } => self.notes.push(format!("webhook for {kind} (window {}) failed: {error}", window + 1)),
            ScanEvent::Signals { signals } => self.signals = signals,
            ScanEvent::Finished(s) => {
                let what = match s.status {
                    ScanStatus::Completed => "done".to_owned(),
                    ScanStatus::NoModel => "done without a model (signals only)".to_owned(),
                    ScanStatus::Cancelled => "cancelled".to_owned(),
                    ScanStatus::Failed => format!("failed: {}", s.error.as_deref().unwrap_or("unknown error")),
                };
                let mut t = format!("{what} · {} scanned, {} empty, {} skipped", s.scanned, s.empty, s.skipped);
                if let Some(p) = &s.jsonl {
                    t.push_str(&format!(" · {}", p.display()));
                }
                self.state = ScanState::Ended(t);
                self.summary = Some(*s);
            }
        }
    }

    fn counts(&self) -> String {
        let done = self.cells.iter().filter(|c| !matches!(c, Cell::Pending)).count();
        let mut by: Vec<String> = Vec::new();
        for sev in Severity::ALL.iter().rev() {
            let n = self.anomalies.iter().filter(|(_, _, a)| a.severity == *sev).count();
            if n > 0 {
                by.push(format!("{n} {}", sev.as_str()));
            }
        }
        let anomalies = if by.is_empty() { "no anomalies".to_owned() } else { format!("anomalies: {}", by.join(", ")) };
        let supp = if self.suppressed > 0 { format!(" · {} suppressed", self.suppressed) } else { String::new() };
        format!("windows {done} of {} · {anomalies}{supp} · {}", self.cells.len(), timefmt::elapsed(self.elapsed))
    }
}

fn severity_style(s: Severity, theme: Theme) -> Style {
    match s {
        Severity::Critical | Severity::High => theme.error(),
        Severity::Medium => theme.warn(),
        Severity::Low => theme.dim(),
    }
}

fn strip(cells: &[Cell], width: usize, theme: Theme) -> Vec<Line<'static>> {
    let width = width.max(1);
    cells
        .chunks(width)
        .take(3)
        .map(|row| {
            Line::from(
                row.iter()
                    .map(|c| match c {
                        Cell::Pending => Span::styled("·", theme.dim()),
                        Cell::Empty => Span::styled(" ", theme.dim()),
                        Cell::Skipped => Span::styled("?", theme.warn()),
                        Cell::Health(Health::Normal) => Span::styled("▪", theme.ok()),
                        Cell::Health(Health::Degraded) => Span::styled("▲", theme.warn()),
                        Cell::Health(Health::Critical) => Span::styled("✖", theme.error()),
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect()
}

pub fn draw(f: &mut Frame, area: Rect, v: &ScanView, hint: &str, theme: Theme, zone: Zone) {
    let b = Block::bordered()
        .border_style(theme.border(true))
        .title(Line::styled(format!(" Anomaly scan · {} ", v.app), theme.title(true)))
        .title_bottom(Line::styled(format!(" {hint} "), theme.dim()));
    let inner = b.inner(area);
    f.render_widget(b, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let w = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    match &v.state {
        ScanState::Idle => {
            for l in word_wrap(
                "The app's logs over the time range, in windows the model reports on (anomalies with severity, evidence and a recommended action), and the template signals of the range (counts that jump, warning and error templates). Enter starts a scan.",
                w,
            ) {
                lines.push(Line::styled(l, theme.dim()));
            }
        }
        state => {
            lines.push(Line::raw(ellipsize(&crate::terminal::sanitize(&v.head), w)));
            let status = match state {
                ScanState::Ended(t) => format!("{t} · {}", v.counts()),
                _ => format!("● {}", v.counts()),
            };
            lines.push(Line::styled(ellipsize(&status, w), if v.is_running() { theme.warn() } else { theme.ok() }));
            lines.extend(strip(&v.cells, w, theme));
        }
    }
    let rest = (inner.height as usize).saturating_sub(lines.len() + 1);
    if !v.anomalies.is_empty() && rest > 0 {
        lines.push(Line::raw(""));
        let list_rows = (rest / 2).max(1).min(v.anomalies.len());
        let top = v.selected.saturating_sub(list_rows.saturating_sub(1));
        for (i, (win, start, a)) in v.anomalies.iter().enumerate().skip(top).take(list_rows) {
            let sel = i == v.selected;
            let when = timefmt::format(zone, *start, "%m-%d %H:%M");
            let unsup = if a.unsupported() > 0 { format!(" ({} unsupported evidence)", a.unsupported()) } else { String::new() };
            let text = format!("{} w{} {when} {}: {}{unsup}", if sel { '▸' } else { ' ' }, win + 1, a.kind, a.summary);
            let sev = format!("{:<8}", a.severity.as_str().to_uppercase());
            let line = Line::from(vec![Span::styled(sev, severity_style(a.severity, theme)), Span::raw(ellipsize(&crate::terminal::sanitize(&text), w.saturating_sub(8)))]);
            lines.push(if sel { line.style(theme.selected()) } else { line });
        }
        if let Some((_, _, a)) = v.anomalies.get(v.selected) {
            let mut d = String::new();
            for e in &a.evidence {
                d.push_str(&format!("{} {}\n", if e.unsupported { "✗ not in the window:" } else { "›" }, e.line));
            }
            d.push_str(&format!("action: {}", a.recommended_action));
            let clean: Vec<String> = d.split('\n').map(|l| crate::terminal::sanitize(l).into_owned()).collect();
            for l in word_wrap(&clean.join("\n"), w) {
                lines.push(Line::styled(l, theme.dim()));
            }
        }
    }
    if !v.signals.is_empty() {
        lines.push(Line::styled("Template signals", theme.title(false)));
        for s in &v.signals {
            lines.push(Line::raw(ellipsize(&crate::terminal::sanitize(&s.describe()), w)));
        }
    }
    for n in &v.notes {
        lines.push(Line::styled(ellipsize(&crate::terminal::sanitize(n), w), theme.warn()));
    }
    f.render_widget(Paragraph::new(lines.into_iter().take(inner.height as usize).collect::<Vec<_>>()), inner);
}
