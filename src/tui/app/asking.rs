//! The app's side of a question: [`Action::Ask`] becomes a pipeline job, and
//! each [`PipelineEvent`] updates the panes as it arrives: retrieved items
//! (with scores) in the knowledge pane, each LogQL candidate in the editor,
//! each execution in the results pane, the steps and the streamed answer in
//! the answer pane, the stage, try and tokens in the status bar. A guard
//! that wants a confirmation opens a small overlay.

use std::time::{Duration, Instant};

use super::{App, Level, Overlay};
use crate::pipeline::event::{Outcome, Stage, Status, Usage};
use crate::pipeline::{Confirm, PipelineEvent};
use crate::tui::action::Action;
use crate::tui::timefmt;
use crate::tui::worker::Job;

/// The question being answered.
#[derive(Debug, Clone)]
pub struct AskRun {
    pub id: u64,
    pub question: String,
    pub started: Instant,
    pub elapsed: Duration,
    pub stage: Option<Stage>,
    pub attempt: u32,
    pub usage: Usage,
    /// The step log so far (one entry per step, maybe several lines).
    pub steps: Vec<String>,
    /// The answer so far.
    pub answer: String,
    /// The model's reasoning, one entry per reply that had some.
    pub reasoning: Vec<Thought>,
    /// The answer's reasoning as it streams (until its [`Thought`] arrives).
    pub thinking: String,
}

/// A model's reasoning before one of its replies.
#[derive(Debug, Clone, PartialEq)]
pub struct Thought {
    /// `query, try 1` or `answer`.
    pub before: String,
    pub text: String,
    pub tokens: u64,
    pub unterminated: bool,
}

impl App {
    /// Starts `q` through the pipeline (a running query or question is cancelled).
    pub(super) fn ask(&mut self, q: String) {
        let q = q.trim().to_owned();
        if q.is_empty() {
            self.notice = Some(("type a question first".into(), Level::Warn));
            return;
        }
        if self.running.is_some() || self.asking.is_some() || self.analysis.is_some() {
            self.jobs.push(Job::Cancel);
            self.running = None;
            self.results.running = None;
        }
        self.analysis = None;
        self.session.ask(&q);
        let id = self.next_id;
        self.next_id += 1;
        let (start_ns, end_ns) = match self.range {
            Some(r) => (Some(r.start_ns), Some(r.end_ns)),
            None => (None, None),
        };
        self.jobs.push(Job::Ask { id, question: q.clone(), start_ns, end_ns });
        let run = AskRun {
            id,
            question: q,
            started: Instant::now(),
            elapsed: Duration::ZERO,
            stage: None,
            attempt: 0,
            usage: Usage::default(),
            steps: Vec::new(),
            answer: String::new(),
            reasoning: Vec::new(),
            thinking: String::new(),
        };
        self.asking = Some(run);
        self.answered = None;
        self.knowledge.set_retrieved(Vec::new());
        self.refresh_answer();
        self.notice = None;
    }

    pub(super) fn ask_failed(&mut self, id: u64, error: String) {
        if self.asking.take_if(|a| a.id == id).is_none() {
            return;
        }
        self.answered = None;
        self.knowledge.end_retrieval();
        let how = if error.contains("index") {
            format!("\n\n{} opens the indexing screen.", self.settings.keys.keys_for(&Action::OpenIndex))
        } else {
            String::new()
        };
        self.answer.set_text(format!("The question could not start: {error}{how}"));
        self.notice = Some(("the question could not start".into(), Level::Error));
    }

    pub(super) fn on_pipeline(&mut self, id: u64, event: PipelineEvent) {
        let Some(run) = self.asking.as_mut().filter(|a| a.id == id) else { return };
        if let Some(line) = event.step_line() {
            run.steps.push(line);
        }
        match event {
            PipelineEvent::StageStarted { stage, attempt } => {
                run.stage = Some(stage);
                run.attempt = run.attempt.max(attempt);
            }
            PipelineEvent::Retrieved { items, .. } => self.knowledge.set_retrieved(items),
            // `$__range` stays in the editor: Ctrl-R then runs the query as
            // the pipeline did (one instant query over the window).
            PipelineEvent::Candidate { logql, .. } => self.editor.set_text(&logql),
            PipelineEvent::ConfirmationNeeded { reason, .. } => self.overlay = Overlay::Confirm(reason),
            // The planned text, so Ctrl-R runs it as the pipeline did.
            PipelineEvent::Executed { logql, planned, ms, result, .. } => {
                self.editor.set_text(&planned);
                self.show_result(&logql, Ok(&result), Duration::from_millis(ms));
            }
            PipelineEvent::ExecutionFailed { logql, error, .. } => {
                self.results.set(
                    crate::tui::results::Body::Error(error.clone()),
                    Some(crate::tui::results::Meta { count: "error".into(), elapsed: Duration::ZERO, backend: self.settings.backend }),
                );
                self.session.ran(&logql, &[error]);
            }
            PipelineEvent::Reasoning { stage, attempt, text, tokens, unterminated } => {
                let before = if stage == Stage::Answer { "answer".to_owned() } else { format!("query, try {attempt}") };
                if stage == Stage::Answer {
                    run.thinking.clear();
                }
                run.reasoning.push(Thought { before, text, tokens, unterminated });
            }
            PipelineEvent::ReasoningDelta { text } => run.thinking.push_str(&text),
            PipelineEvent::AnswerDelta { text } => run.answer.push_str(&text),
            PipelineEvent::AnswerRestart => run.answer.clear(),
            PipelineEvent::Usage(u) => run.usage = u,
            PipelineEvent::Finished(o) => return self.finished(*o),
            _ => {}
        }
        self.refresh_answer();
    }

    /// Expands or folds the reasoning in the answer pane.
    pub(super) fn toggle_reasoning(&mut self) {
        let has = |r: &AskRun| !r.reasoning.is_empty() || !r.thinking.is_empty();
        if !self.asking.as_ref().is_some_and(has) && !self.answered.as_ref().is_some_and(|(r, _)| has(r)) {
            self.notice = Some(("no reasoning to show: the model's replies had none".into(), Level::Info));
            return;
        }
        self.reasoning_open = !self.reasoning_open;
        if self.asking.is_some() {
            self.refresh_answer();
        } else if let Some((run, o)) = self.answered.take() {
            self.show_answered(&run, &o);
            self.answered = Some((run, o));
        }
    }

    /// The reasoning as the answer pane shows it (folded, hidden or whole).
    fn reasoning_text(&self, run: &AskRun) -> String {
        use crate::config::ShowReasoning;
        use crate::tui::panes::markdown::aside;
        // (before, text, tokens, unterminated) of each reply, the streaming one last.
        let streaming = (!run.thinking.is_empty()).then_some(("answer", run.thinking.as_str(), 0, false));
        let all: Vec<(&str, &str, u64, bool)> =
            run.reasoning.iter().map(|t| (t.before.as_str(), t.text.as_str(), t.tokens, t.unterminated)).chain(streaming).collect();
        if all.is_empty() {
            return String::new();
        }
        if self.reasoning_open {
            let mut t = String::new();
            for (before, text, _, unterminated) in &all {
                let end = if *unterminated { " (it has no end: the reply was cut)" } else { "" };
                t.push_str(&aside(&format!("▾ reasoning before the {before}{end}\n{}", text.trim())));
            }
            t.push('\n');
            return t;
        }
        if self.settings.show_reasoning == ShowReasoning::Hide {
            return String::new();
        }
        let tokens: u64 = all.iter().map(|t| t.2).sum();
        let size = if tokens > 0 { format!("{tokens} tokens") } else { format!("{} characters", all.iter().map(|t| t.1.chars().count()).sum::<usize>()) };
        let key = self.settings.keys.keys_for(&Action::ToggleReasoning);
        let n = if all.len() > 1 { format!(" ({} replies)", all.len()) } else { String::new() };
        aside(&format!("▸ reasoning{n} · {size} · {key} expands it")) + "\n"
    }

    /// The answer pane while a question runs: the steps, then the answer so far.
    fn refresh_answer(&mut self) {
        let Some(run) = &self.asking else { return };
        let mut t = asked(&run.question);
        for s in &run.steps {
            t.push_str(s);
            t.push('\n');
        }
        let r = self.reasoning_text(run);
        if !r.is_empty() {
            t.push('\n');
            t.push_str(&r);
        }
        if !run.answer.is_empty() {
            t.push('\n');
            t.push_str(&run.answer);
        }
        self.answer.set_text(t);
        self.answer.follow();
    }

    fn finished(&mut self, o: Outcome) {
        let Some(run) = self.asking.take() else { return };
        self.knowledge.end_retrieval();
        if matches!(self.overlay, Overlay::Confirm(_)) {
            self.overlay = Overlay::None;
        }
        self.show_answered(&run, &o);
        self.session.answered(&o.answer);
        let secs = timefmt::elapsed(Duration::from_millis(o.ms));
        self.notice = Some(match o.status {
            Status::Answered => (format!("answered in {secs}{}", tokens(&o.usage)), Level::Info),
            Status::NoModel => (format!("no model: the query builder's answer ({secs})"), Level::Warn),
            Status::GaveUp => (format!("no working query after {} repairs", o.repairs), Level::Warn),
            Status::Failed => ("the question failed".to_owned(), Level::Error),
            Status::Cancelled => ("question cancelled".to_owned(), Level::Info),
        });
        self.answered = Some((run, o));
    }

    /// The answer pane for a finished question: the question, the
    /// reasoning (as set), the answer, its query and the steps.
    fn show_answered(&mut self, run: &AskRun, o: &Outcome) {
        // The question stays above its answer.
        let mut t = asked(&run.question);
        t.push_str(&self.reasoning_text(run));
        match o.status {
            Status::Cancelled if o.answer.is_empty() => t.push_str("Cancelled."),
            Status::Failed => {
                t.push_str(&format!("The question could not be answered: {}", o.error.as_deref().unwrap_or("unknown error")));
                if !o.answer.is_empty() && o.error.as_deref() != Some(o.answer.as_str()) {
                    t.push_str(&format!("\n\n{}", o.answer));
                }
            }
            _ => t.push_str(&o.answer),
        }
        if let Some(q) = o.logql.as_ref().filter(|q| !o.answer.contains(q.as_str())) {
            t.push_str(&format!("\n\n```logql\n{q}\n```"));
        }
        t.push_str("\n\n---\nSteps:\n");
        for s in &run.steps {
            t.push_str(s);
            t.push('\n');
        }
        if let Some(p) = &o.record {
            t.push_str(&format!("record: {}\n", p.display()));
        }
        self.answer.set_text(t);
    }

    /// A key while the guard's confirmation is open.
    pub(super) fn on_confirm_key(&mut self, key: &crossterm::event::KeyEvent) {
        use crossterm::event::KeyCode;
        let c = match key.code {
            KeyCode::Char('r' | 'R') => Confirm::Run,
            KeyCode::Char('n' | 'N') | KeyCode::Enter => Confirm::Narrow,
            KeyCode::Char('s' | 'S') | KeyCode::Esc => Confirm::Stop,
            _ => return,
        };
        self.overlay = Overlay::None;
        self.jobs.push(Job::Confirm(c));
    }

    /// The status bar's stage text while a question runs.
    pub(super) fn ask_stage(&self, run: &AskRun) -> String {
        let stage = run.stage.map_or("starting", Stage::name);
        let mut s = format!("● {stage}");
        if run.attempt > 0 {
            s.push_str(&format!(" · try {} of {}", run.attempt, self.settings.max_tries));
        }
        s.push_str(&tokens(&run.usage));
        s.push_str(&format!(" · {} · {} cancels", timefmt::elapsed(run.elapsed), self.settings.keys.keys_for(&Action::Cancel)));
        s
    }
}

fn tokens(u: &Usage) -> String {
    if u.requests == 0 {
        return String::new();
    }
    format!(" · {} tokens", u.tokens_in + u.tokens_out)
}

/// The question on one line, cut at 200 characters.
/// The heading of the answer pane: the question asked, on one line.
fn asked(q: &str) -> String {
    format!("Q: {}\n\n", one_line(q))
}

fn one_line(q: &str) -> String {
    let flat: String = q.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 200 { format!("{}…", flat.chars().take(200).collect::<String>()) } else { flat }
}

