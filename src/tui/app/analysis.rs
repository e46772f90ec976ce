//! The app's side of an analysis of log lines: marking lines in the results
//! pane, the menu of what to ask (summary, root cause, action items,
//! interpretation, solution), and paging through the parts of a long
//! selection in the answer pane, each part analysed when first shown.

use std::time::{Duration, Instant};

use super::{App, Level, Overlay, PaneId};
use crate::analyze::Mode;
use crate::tui::action::Action;
use crate::tui::analysis::{AnalysisMsg, ChunkInfo};
use crate::tui::timefmt;
use crate::tui::worker::Job;

/// The analysis shown in the answer pane.
#[derive(Debug, Clone)]
pub struct AnalysisRun {
    pub id: u64,
    pub mode: Mode,
    pub lines: usize,
    pub marked: bool,
    pub chunks: Vec<ChunkInfo>,
    /// The text of each part so far.
    pub pages: Vec<String>,
    pub done: Vec<bool>,
    /// The part shown.
    pub current: usize,
    /// The part being analysed, and since when.
    pub running: Option<(usize, Instant)>,
    pub elapsed: Duration,
    pub tokens: u64,
    pub model: String,
    pub error: Option<String>,
}

/// The menu's keys, in its order.
pub const MENU: [(char, Mode, &str); 5] = [
    ('s', Mode::Summary, "summary: what happened"),
    ('r', Mode::RootCause, "root cause: why, and the chain of events"),
    ('a', Mode::ActionItems, "action items: what to do, most urgent first"),
    ('i', Mode::Interpret, "interpret: what each kind of line means"),
    ('o', Mode::Solution, "solution: how to fix what the lines show"),
];

fn title(m: Mode) -> &'static str {
    match m {
        Mode::Summary => "Summary",
        Mode::RootCause => "Root cause",
        Mode::ActionItems => "Action items",
        Mode::Interpret => "Interpretation",
        Mode::Solution => "Solution",
    }
}

impl App {
    pub(super) fn mark(&mut self) {
        if self.focus != PaneId::Results || !self.results.toggle_mark() {
            self.notice = Some(("marking works on log lines in the results pane".into(), Level::Warn));
        }
    }

    /// Opens the menu of analyses for the marked lines (or all shown).
    pub(super) fn open_analysis_menu(&mut self) {
        let n = self.results.analysis_lines().len();
        if n == 0 {
            self.notice = Some(("no log lines to analyse: run a log query first".into(), Level::Warn));
            return;
        }
        self.overlay = Overlay::Analyze { lines: n, marked: self.results.marked() > 0 };
    }

    pub(super) fn on_analysis_menu_key(&mut self, key: &crossterm::event::KeyEvent) {
        use crossterm::event::KeyCode;
        match key.code {
            KeyCode::Esc => self.overlay = Overlay::None,
            KeyCode::Char(c) => {
                if let Some((_, mode, _)) = MENU.iter().find(|(k, _, _)| *k == c.to_ascii_lowercase()) {
                    self.overlay = Overlay::None;
                    self.start_analysis(*mode);
                }
            }
            _ => {}
        }
    }

    fn start_analysis(&mut self, mode: Mode) {
        let lines = self.results.analysis_lines();
        if self.asking.is_some() || self.analysis.as_ref().is_some_and(|a| a.running.is_some()) {
            self.jobs.push(Job::Cancel);
            self.asking = None;
        }
        let id = self.next_id;
        self.next_id += 1;
        let run = AnalysisRun {
            id,
            mode,
            lines: lines.len(),
            marked: self.results.marked() > 0,
            chunks: Vec::new(),
            pages: Vec::new(),
            done: Vec::new(),
            current: 0,
            running: Some((0, Instant::now())),
            elapsed: Duration::ZERO,
            tokens: 0,
            model: String::new(),
            error: None,
        };
        self.jobs.push(Job::Analyze { id, mode, lines });
        self.answered = None;
        self.analysis = Some(run);
        self.focus = PaneId::Answer;
        self.refresh_analysis();
    }

    pub(super) fn on_analysis(&mut self, id: u64, msg: AnalysisMsg) {
        let Some(run) = self.analysis.as_mut().filter(|a| a.id == id) else { return };
        match msg {
            AnalysisMsg::Started { chunks, model, .. } => {
                run.pages = vec![String::new(); chunks.len()];
                run.done = vec![false; chunks.len()];
                run.chunks = chunks;
                run.model = model;
            }
            AnalysisMsg::Delta { chunk, text } => {
                if let Some(p) = run.pages.get_mut(chunk) {
                    p.push_str(&text);
                }
            }
            AnalysisMsg::Restart { chunk } => {
                if let Some(p) = run.pages.get_mut(chunk) {
                    p.clear();
                }
            }
            AnalysisMsg::Done { chunk, result } => {
                run.running = None;
                match result {
                    Ok((i, o)) => {
                        run.tokens += i + o;
                        if let Some(d) = run.done.get_mut(chunk) {
                            *d = true;
                        }
                        let n = run.chunks.len();
                        self.notice = Some(if chunk + 1 < n {
                            let next = self.settings.keys.keys_for(&Action::NextPart);
                            (format!("part {} of {n} analysed · {next} analyses the next part", chunk + 1), Level::Info)
                        } else {
                            (format!("analysis done ({} tokens)", run.tokens), Level::Info)
                        });
                    }
                    Err(e) => {
                        self.notice = Some((format!("part {} failed", chunk + 1), Level::Error));
                        run.error = Some(e);
                    }
                }
            }
            AnalysisMsg::Failed(e) => {
                run.running = None;
                run.error = Some(e);
                self.notice = Some(("the analysis could not start".into(), Level::Error));
            }
        }
        self.refresh_analysis();
    }

    /// Shows the next (or previous) part; a part not analysed yet starts.
    pub(super) fn page_analysis(&mut self, forward: bool) {
        let Some(run) = self.analysis.as_mut() else {
            self.notice = Some(("no analysis: mark log lines in the results and press a".into(), Level::Warn));
            return;
        };
        let n = run.chunks.len();
        let k = if forward { run.current + 1 } else { run.current.saturating_sub(1) };
        if k >= n || k == run.current {
            return;
        }
        run.current = k;
        run.error = None;
        if !run.done[k] && run.pages[k].is_empty() && run.running.is_none() {
            run.running = Some((k, Instant::now()));
            self.jobs.push(Job::AnalyzeChunk { id: run.id, chunk: k });
        }
        self.refresh_analysis();
    }

    /// The answer pane for the analysis: a head line, the part's text, how to page.
    fn refresh_analysis(&mut self) {
        let Some(run) = &self.analysis else { return };
        let which = if run.marked { "marked" } else { "shown" };
        let mut t = format!("{} of {} {which} log lines", title(run.mode), run.lines);
        if let Some(c) = run.chunks.get(run.current) {
            t.push_str(&format!(" · part {} of {} (lines {}–{}, {} tokens)", run.current + 1, run.chunks.len(), c.first_line, c.last_line, c.tokens));
            if c.cut > 0 {
                t.push_str(&format!(" · {} long line(s) cut", c.cut));
            }
        }
        if !run.model.is_empty() {
            t.push_str(&format!(" · {}", run.model));
        }
        t.push_str("\n\n");
        let page = run.pages.get(run.current).map(String::as_str).unwrap_or("");
        match (&run.error, page.is_empty(), run.running) {
            (Some(e), _, _) => t.push_str(&format!("{page}\n\nThe analysis failed: {e}")),
            (None, true, Some(_)) => t.push_str("analysing…"),
            (None, true, None) => t.push_str("(nothing yet)"),
            (None, false, _) => t.push_str(page),
        }
        if run.chunks.len() > 1 {
            let keys = &self.settings.keys;
            t.push_str(&format!(
                "\n\n{} next part · {} previous part",
                keys.keys_for(&Action::NextPart),
                keys.keys_for(&Action::PrevPart)
            ));
        }
        self.answer.set_text(t);
        if run.running.is_some() {
            self.answer.follow();
        }
    }

    /// The status bar's stage while a part is analysed.
    pub(super) fn analysis_stage(&self, run: &AnalysisRun) -> Option<String> {
        let (k, _) = run.running?;
        let n = run.chunks.len().max(1);
        Some(format!(
            "● analysing part {} of {n} · {} · {} cancels",
            k + 1,
            timefmt::elapsed(run.elapsed),
            self.settings.keys.keys_for(&Action::Cancel)
        ))
    }
}
