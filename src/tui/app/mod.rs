//! The app: every pane's state, the focus, the overlays, the job that is
//! running, and the routing of keys, mouse, worker messages and
//! [`Action`]s. It never waits on anything: work goes to the worker as
//! [`Job`]s (taken by the event loop), answers come back as messages.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use crate::tui::action::{Action, Scroll};
use crate::tui::event::Event;
use crate::tui::indexing::IndexJob;
use crate::tui::indexing::view::{IndexView, JobState};
use crate::tui::keys::KeyMap;
use crate::tui::layout::{self, Areas};
use crate::tui::panes::answer::AnswerPane;
use crate::tui::panes::editor::EditorPane;
use crate::tui::panes::knowledge::{KnowledgePane, KnowledgeState};
use crate::tui::panes::question::QuestionPane;
use crate::tui::panes::status::Level;
use crate::tui::panes::timerange::{FormResult, QueryRange, TimeRangeForm};
use crate::tui::panes::Pane;
use crate::tui::results::{Body, ResultsPane};
use crate::tui::session::Session;
use crate::tui::theme::Theme;
use crate::tui::worker::Job;
use crate::dataset::timestamp::Zone;

mod analysis;
mod asking;
mod messages;

pub use analysis::{AnalysisRun, MENU as ANALYSIS_MENU};
pub use asking::AskRun;

/// The panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Question,
    Editor,
    Results,
    Knowledge,
    Answer,
}

const ORDER: [PaneId; 5] = [PaneId::Question, PaneId::Editor, PaneId::Results, PaneId::Knowledge, PaneId::Answer];

/// What covers the main screen.
pub enum Overlay {
    None,
    Help,
    TimeRange(TimeRangeForm),
    /// The guard asks whether to run a query over the limits (the reason).
    Confirm(String),
    /// What to ask the model about `lines` log lines (marked or all shown).
    Analyze { lines: usize, marked: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Main,
    Indexing,
    Scan,
}

/// What the app is set up with (from the config).
pub struct Settings {
    pub app: String,
    pub zone: Zone,
    pub theme: Theme,
    pub keys: KeyMap,
    /// `embedded` or `loki`.
    pub backend: &'static str,
    /// `no Loki`, `no model`.
    pub missing: Vec<String>,
    pub grafana_url: Option<String>,
    /// Where session exports go.
    pub results_dir: PathBuf,
    /// Tries a question's query gets (1 + `pipeline.max_repairs`).
    pub max_tries: u32,
    /// `ui.show_reasoning`.
    pub show_reasoning: crate::config::ShowReasoning,
    /// What the app's format was detected as (a user's own logs).
    pub format: Option<String>,
}

/// The query being run.
#[derive(Debug, Clone)]
pub struct Running {
    pub id: u64,
    pub query: String,
    pub started: Instant,
    pub elapsed: Duration,
}

/// Default limit of log lines per query.
pub const DEFAULT_LIMIT: u32 = 1000;

pub struct App {
    pub settings: Settings,
    pub focus: PaneId,
    pub zoom: bool,
    pub overlay: Overlay,
    pub screen: Screen,
    pub question: QuestionPane,
    pub editor: EditorPane,
    pub results: ResultsPane,
    pub knowledge: KnowledgePane,
    pub answer: AnswerPane,
    pub indexing: IndexView,
    pub scan: crate::tui::scan::ScanView,
    /// The running scan's id.
    scan_id: u64,
    /// `None` until the data's time span is known.
    pub range: Option<QueryRange>,
    pub running: Option<Running>,
    /// The question being answered.
    pub asking: Option<AskRun>,
    /// The analysis of log lines in the answer pane.
    pub analysis: Option<AnalysisRun>,
    /// The last question answered, while the answer pane shows it (redrawn
    /// when its reasoning is expanded or folded).
    pub answered: Option<(AskRun, crate::pipeline::event::Outcome)>,
    /// The reasoning is shown whole (`ui.show_reasoning = "show"`, or the
    /// `reasoning` key).
    pub reasoning_open: bool,
    pub notice: Option<(String, Level)>,
    pub session: Session,
    pub quit: bool,
    /// Indexing opens by itself once, the first time knowledge is missing.
    auto_indexed: bool,
    /// The first indexing of the session goes back to the main screen by
    /// itself when it succeeds (later ones, opened by the user, stay).
    first_index: bool,
    /// A live stdin is followed: once its first lines are indexed the main
    /// screen shows, and the following goes on behind it.
    pub follow_behind: bool,
    /// The last successful indexing's summary, kept in the status bar.
    pub index_summary: Option<String>,
    /// Run the first query when the time span arrives.
    pub run_on_span: bool,
    /// The first row of the help shown (it scrolls when the terminal is short).
    pub help_scroll: usize,
    /// The terminal's size at the last draw (for the mouse).
    pub size: Rect,
    jobs: Vec<Job>,
    next_id: u64,
}

impl App {
    pub fn new(settings: Settings, initial_query: &str) -> App {
        let app = settings.app.clone();
        let reasoning_open = settings.show_reasoning == crate::config::ShowReasoning::Show;
        let mut knowledge = KnowledgePane::new(&app);
        knowledge.format.clone_from(&settings.format);
        let mut answer = AnswerPane::default();
        answer.set_text(welcome(&settings));
        let mut results = ResultsPane::default();
        let run = settings.keys.keys_for(&Action::RunQuery);
        results.body = Body::Empty(format!("Edit the LogQL above and press {run} to run it on the {} backend.", settings.backend));
        App {
            // A newcomer types a question first: the Question pane has the focus.
            focus: PaneId::Question,
            zoom: false,
            overlay: Overlay::None,
            screen: Screen::Main,
            question: QuestionPane::default(),
            editor: EditorPane::new(initial_query),
            results,
            knowledge,
            answer,
            indexing: IndexView::new(&app),
            scan: crate::tui::scan::ScanView::new(&app),
            scan_id: 0,
            range: None,
            running: None,
            asking: None,
            analysis: None,
            answered: None,
            reasoning_open,
            notice: None,
            session: Session::default(),
            quit: false,
            auto_indexed: false,
            first_index: true,
            follow_behind: false,
            index_summary: None,
            run_on_span: false,
            help_scroll: 0,
            size: Rect::new(0, 0, 80, 24),
            jobs: Vec::new(),
            next_id: 1,
            settings,
        }
    }

    /// Jobs for the worker since the last call.
    pub fn take_jobs(&mut self) -> Vec<Job> {
        std::mem::take(&mut self.jobs)
    }

    pub fn push_job(&mut self, j: Job) {
        self.jobs.push(j);
    }

    /// Whether something runs whose clock the screen shows (ticks needed).
    pub fn is_busy(&self) -> bool {
        self.running.is_some()
            || self.asking.is_some()
            || self.analysis.as_ref().is_some_and(|a| a.running.is_some())
            || self.indexing.is_running()
            || self.scan.is_running()
    }

    pub fn areas(&self) -> Areas {
        layout::areas(self.size, self.focus, self.zoom, &|w| self.editor.rows_needed(w))
    }

    pub fn handle(&mut self, ev: Event, now: Instant) {
        match ev {
            Event::Key(k) => self.on_key(&k),
            Event::Mouse(m) => self.on_mouse(&m),
            Event::Paste(p) => self.on_paste(&p),
            Event::Resize => {}
            Event::Worker(m) => self.on_worker(m, now),
            Event::InputClosed(e) => {
                self.quit = true;
                if let Some(e) = e {
                    self.notice = Some((format!("terminal input failed: {e}"), Level::Error));
                }
            }
        }
    }

    /// Advances the clocks shown on screen.
    pub fn tick(&mut self, now: Instant) {
        if let Some(r) = &mut self.running {
            r.elapsed = now.duration_since(r.started);
            self.results.running = Some(r.elapsed);
        }
        if let Some(a) = &mut self.asking {
            a.elapsed = now.duration_since(a.started);
        }
        if let Some(a) = &mut self.analysis
            && let Some((_, since)) = a.running
        {
            a.elapsed = now.duration_since(since);
        }
        if let (true, Some(s)) = (self.scan.is_running(), self.scan.started) {
            self.scan.elapsed = now.duration_since(s);
        }
        if let (true, Some(s)) = (self.indexing.is_running(), self.indexing.started) {
            self.indexing.elapsed = now.duration_since(s);
        }
    }

    fn pane_mut(&mut self, p: PaneId) -> &mut dyn Pane {
        match p {
            PaneId::Question => &mut self.question,
            PaneId::Editor => &mut self.editor,
            PaneId::Results => &mut self.results,
            PaneId::Knowledge => &mut self.knowledge,
            PaneId::Answer => &mut self.answer,
        }
    }

    pub fn pane(&self, p: PaneId) -> &dyn Pane {
        match p {
            PaneId::Question => &self.question,
            PaneId::Editor => &self.editor,
            PaneId::Results => &self.results,
            PaneId::Knowledge => &self.knowledge,
            PaneId::Answer => &self.answer,
        }
    }

    fn on_key(&mut self, key: &KeyEvent) {
        if self.screen == Screen::Indexing {
            return self.on_indexing_key(key);
        }
        if self.screen == Screen::Scan {
            return self.on_scan_key(key);
        }
        if let Overlay::Confirm(_) = &self.overlay {
            return self.on_confirm_key(key);
        }
        if let Overlay::Analyze { .. } = &self.overlay {
            return self.on_analysis_menu_key(key);
        }
        if let Overlay::TimeRange(form) = &mut self.overlay {
            match form.on_key(key) {
                FormResult::Editing => {}
                FormResult::Closed => self.overlay = Overlay::None,
                FormResult::Done(r) => {
                    self.overlay = Overlay::None;
                    self.set_range(r);
                }
            }
            return;
        }
        if matches!(self.overlay, Overlay::Help) {
            // Scrolling keys scroll it; any other key closes the help and
            // does nothing else (but quit).
            let a = self.settings.keys.lookup(key, false);
            if let Some(Action::Scroll(s)) = a {
                self.help_scroll = match s {
                    Scroll::Up(n) => self.help_scroll.saturating_sub(n),
                    Scroll::Down(n) => self.help_scroll + n,
                    Scroll::PageUp => self.help_scroll.saturating_sub(10),
                    Scroll::PageDown => self.help_scroll + 10,
                    Scroll::Top => 0,
                    Scroll::Bottom => usize::MAX / 2,
                };
                return;
            }
            self.overlay = Overlay::None;
            if matches!(a, Some(Action::Quit)) {
                self.apply(Action::Quit);
            }
            return;
        }
        let typing = self.pane(self.focus).is_text();
        let action = match self.settings.keys.lookup(key, typing) {
            Some(a) => Some(a),
            None => self.pane_mut(self.focus).on_key(key),
        };
        if let Some(a) = action {
            self.apply(a);
        }
    }

    /// On the indexing screen: Esc cancels a running job, else goes back;
    /// `q` or Enter go back (a job keeps running); the index key goes back
    /// from a running job and indexes again after a finished one; Ctrl-C quits.
    fn on_indexing_key(&mut self, key: &KeyEvent) {
        use crossterm::event::{KeyCode, KeyModifiers};
        let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        match self.settings.keys.lookup(key, false) {
            Some(Action::Quit) if ctrl_c => self.apply(Action::Quit),
            Some(Action::Cancel) if matches!(self.indexing.state, JobState::Running | JobState::Following(_)) => {
                self.indexing.state = JobState::Cancelling;
                self.jobs.push(Job::CancelIndex);
            }
            Some(Action::Follow) if !self.indexing.is_running() => self.open_index(IndexJob { follow: true, ..IndexJob::new(&self.settings.app) }),
            Some(Action::OpenIndex) if !self.indexing.is_running() => self.open_index(IndexJob::new(&self.settings.app)),
            Some(Action::Scroll(Scroll::Up(_))) => self.indexing.scroll_warnings(false),
            Some(Action::Scroll(Scroll::Down(_))) => self.indexing.scroll_warnings(true),
            Some(Action::Cancel | Action::OpenIndex | Action::Quit) => self.screen = Screen::Main,
            _ if key.code == KeyCode::Enter => self.screen = Screen::Main,
            _ => {}
        }
    }

    /// On the scan screen: Enter starts a scan over the time range; Esc
    /// cancels a running one, else goes back; `q` or the scan key go back
    /// (a scan keeps running); arrows select an anomaly; Ctrl-C quits.
    fn on_scan_key(&mut self, key: &KeyEvent) {
        use crossterm::event::{KeyCode, KeyModifiers};
        let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        match self.settings.keys.lookup(key, false) {
            Some(Action::Quit) if ctrl_c => self.apply(Action::Quit),
            Some(Action::Cancel) if self.scan.is_running() => self.jobs.push(Job::CancelScan),
            Some(Action::Scroll(Scroll::Up(_))) => self.scan.select(false),
            Some(Action::Scroll(Scroll::Down(_))) => self.scan.select(true),
            Some(Action::Cancel | Action::OpenScan | Action::Quit) => self.screen = Screen::Main,
            _ if key.code == KeyCode::Enter && !self.scan.is_running() => self.start_scan(),
            _ => {}
        }
    }

    fn open_scan(&mut self) {
        self.screen = Screen::Scan;
    }

    fn start_scan(&mut self) {
        let r = self.range.unwrap_or_else(|| fallback_range(now_ns()));
        let id = self.next_id;
        self.next_id += 1;
        self.scan_id = id;
        self.scan.start(Instant::now());
        self.jobs.push(Job::Scan { id, start_ns: r.start_ns, end_ns: r.end_ns });
    }

    fn on_paste(&mut self, text: &str) {
        if let Overlay::TimeRange(form) = &mut self.overlay {
            return form.on_paste(text);
        }
        if self.screen == Screen::Main {
            self.pane_mut(self.focus).on_paste(text);
        }
    }

    fn on_mouse(&mut self, m: &MouseEvent) {
        if self.screen != Screen::Main || !matches!(self.overlay, Overlay::None) {
            return;
        }
        let Some(p) = self.areas().pane_at(m.column, m.row) else { return };
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => self.focus = p,
            MouseEventKind::ScrollUp => self.pane_mut(p).scroll(Scroll::Up(3)),
            MouseEventKind::ScrollDown => self.pane_mut(p).scroll(Scroll::Down(3)),
            _ => {}
        }
    }

    /// Does what an action says.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Quit => {
                if self.running.is_some() || self.asking.is_some() || self.analysis.as_ref().is_some_and(|a| a.running.is_some()) {
                    self.jobs.push(Job::Cancel);
                }
                if self.indexing.is_running() {
                    self.jobs.push(Job::CancelIndex);
                }
                if self.scan.is_running() {
                    self.jobs.push(Job::CancelScan);
                }
                self.quit = true;
            }
            Action::ToggleHelp => {
                self.overlay = Overlay::Help;
                self.help_scroll = 0;
            }
            Action::FocusNext | Action::FocusPrev => {
                let i = ORDER.iter().position(|p| *p == self.focus).unwrap_or(0);
                let n = ORDER.len();
                let next = if action == Action::FocusNext { (i + 1) % n } else { (i + n - 1) % n };
                self.focus = ORDER[next];
            }
            Action::Focus(p) => self.focus = p,
            Action::RunQuery => self.run_query(),
            Action::Cancel => self.cancel(),
            // A finished indexing is shown again (its summary and warnings);
            // the index key there runs it again.
            Action::OpenIndex if self.indexing.state != JobState::Idle => self.screen = Screen::Indexing,
            Action::OpenIndex => self.open_index(IndexJob::new(&self.settings.app)),
            // Only on the indexing screen (a stray key elsewhere starts no job).
            Action::Follow => {}
            Action::TimeRange => {
                let r = self.range.unwrap_or_else(|| fallback_range(now_ns()));
                self.overlay = Overlay::TimeRange(TimeRangeForm::new(r, self.settings.zone));
            }
            Action::ToggleView => self.results.toggle_mode(),
            Action::Zoom => self.zoom = !self.zoom,
            Action::Export => self.export(),
            Action::CopyLogql => self.copy_logql(),
            Action::InsertTemplate => match self.knowledge.selected_logql() {
                Some(q) => self.apply(Action::SetLogql(q)),
                None => self.notice = Some(("no template selected".into(), Level::Warn)),
            },
            Action::Scroll(s) => self.pane_mut(self.focus).scroll(s),
            Action::Ask(q) => self.ask(q),
            Action::Mark => self.mark(),
            Action::Analyze => self.open_analysis_menu(),
            Action::NextPart => self.page_analysis(true),
            Action::PrevPart => self.page_analysis(false),
            Action::ToggleReasoning => self.toggle_reasoning(),
            Action::OpenScan => self.open_scan(),
            Action::SetLogql(q) => {
                self.editor.set_text(&q);
                self.focus = PaneId::Editor;
            }
        }
    }

    fn cancel(&mut self) {
        if !matches!(self.overlay, Overlay::None) {
            self.overlay = Overlay::None;
        } else if self.knowledge.close_detail() {
        } else if self.running.is_some() || self.asking.is_some() || self.analysis.as_ref().is_some_and(|a| a.running.is_some()) {
            self.jobs.push(Job::Cancel);
            self.notice = Some(("cancelling…".into(), Level::Info));
        } else if self.zoom {
            self.zoom = false;
        }
    }

    fn set_range(&mut self, r: QueryRange) {
        self.range = Some(r);
        self.editor.range_label = r.label(self.settings.zone);
    }

    pub fn run_query(&mut self) {
        let query = self.editor.text().trim().to_owned();
        if query.is_empty() {
            self.notice = Some(("type a LogQL query first".into(), Level::Warn));
            return;
        }
        if let Some(e) = self.editor.error() {
            self.notice = Some((format!("not run: {e}"), Level::Error));
            return;
        }
        if self.running.is_some() {
            self.jobs.push(Job::Cancel);
        }
        let r = match self.range {
            Some(r) => r,
            None => {
                let r = fallback_range(now_ns());
                self.set_range(r);
                r
            }
        };
        let id = self.next_id;
        self.next_id += 1;
        // `$__range` (as the pipeline writes counts over the window): one
        // instant query at the window's end; other metric queries: a range
        // query at Loki's default step; log queries: the newest lines.
        let req = crate::pipeline::QueryPlan::guess(&query, r.limit).request(r.start_ns, r.end_ns);
        self.jobs.push(Job::Query { id, req });
        self.running = Some(Running { id, query, started: Instant::now(), elapsed: Duration::ZERO });
        self.results.running = Some(Duration::ZERO);
        self.notice = None;
    }

    pub fn open_index(&mut self, job: IndexJob) {
        self.screen = Screen::Indexing;
        if !self.indexing.is_running() {
            self.indexing.start(Instant::now());
            self.jobs.push(Job::Index(job));
        }
    }

    fn export(&mut self) {
        match self.session.export(&self.settings.results_dir, &self.settings.app, self.answer.text()) {
            Ok(p) => self.notice = Some((format!("session written to {}", p.display()), Level::Info)),
            Err(e) => self.notice = Some((format!("export failed: {e}"), Level::Error)),
        }
    }

    fn copy_logql(&mut self) {
        let q = self.editor.text().to_owned();
        if q.trim().is_empty() {
            self.notice = Some(("nothing to copy".into(), Level::Warn));
            return;
        }
        self.session.clipboard = Some(q.clone());
        let mut msg = "LogQL copied (OSC 52)".to_owned();
        if let (Some(base), Some(r)) = (&self.settings.grafana_url, self.range) {
            msg.push_str(&format!(" · Grafana: {}", crate::tui::session::grafana_explore_url(base, &q, r.start_ns, r.end_ns)));
        }
        self.notice = Some((msg, Level::Info));
    }
}

/// The answer pane's text before the first question.
fn welcome(s: &Settings) -> String {
    let mut t = format!(
        "Ask a question above and press Enter: it becomes LogQL, runs on the {} backend, and each step shows here. Or edit the LogQL and run it.",
        s.backend
    );
    if !s.missing.is_empty() {
        t.push_str(&format!("\n\nNot configured: {}.", s.missing.join(", ")));
    }
    if s.missing.iter().any(|m| m == "no model") {
        t.push_str(" Without a model, a question gets the best template's query and its result; set OPENAI_API_KEY or llm.base_url for answers in words.");
    }
    t
}

/// Loki's default: the last hour.
pub fn fallback_range(now: i64) -> QueryRange {
    QueryRange { start_ns: now.saturating_sub(3_600_000_000_000), end_ns: now, limit: DEFAULT_LIMIT }
}

pub fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}
