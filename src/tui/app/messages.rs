//! The app's side of the worker: query results become the results pane
//! (logs or a metric view) and a session step, the data's span becomes the
//! time range, knowledge and indexing events update their panes; and the
//! status bar's line.

use std::time::{Duration, Instant};

use super::{App, DEFAULT_LIMIT, JobState, KnowledgeState, Level, fallback_range, now_ns};
use crate::backend::{BackendError, Direction};
use crate::logql::value::QueryResult;
use crate::tui::action::Action;
use crate::tui::highlight::Matcher;
use crate::tui::indexing::IndexJob;
use crate::tui::panes::status::StatusLine;
use crate::tui::panes::timerange::QueryRange;
use crate::tui::results::logs::Logs;
use crate::tui::results::metric::Metric;
use crate::tui::results::{Body, Meta};
use crate::tui::timefmt;
use crate::tui::worker::{Job, WorkerMsg};

impl App {
    pub(super) fn on_worker(&mut self, m: WorkerMsg, now: Instant) {
        match m {
            WorkerMsg::QueryDone { id, result, elapsed } => {
                let Some(run) = self.running.take_if(|r| r.id == id) else { return };
                self.results.running = None;
                self.query_done(&run.query, result, elapsed);
            }
            WorkerMsg::Span(s) => {
                let r = match s {
                    // A minute of margin on each side: the range's end is exclusive for logs.
                    Some((a, b)) => QueryRange { start_ns: a.saturating_sub(60_000_000_000), end_ns: b.saturating_add(60_000_000_000), limit: DEFAULT_LIMIT },
                    None => fallback_range(now_ns()),
                };
                if self.range.is_none() {
                    self.set_range(r);
                }
                if std::mem::take(&mut self.run_on_span) && self.editor.error().is_none() {
                    self.run_query();
                }
            }
            WorkerMsg::Knowledge(k) => {
                let missing = matches!(k, KnowledgeState::Missing(_));
                self.knowledge.set(k);
                if missing && !self.auto_indexed {
                    self.auto_indexed = true;
                    self.open_index(IndexJob::new(&self.settings.app));
                }
            }
            WorkerMsg::LokiPatterns(p) => self.knowledge.set_loki(p),
            WorkerMsg::Index(e) => self.indexing.apply(e, now),
            WorkerMsg::Pipeline { id, event } => self.on_pipeline(id, event),
            WorkerMsg::AskFailed { id, error } => self.ask_failed(id, error),
            WorkerMsg::Analysis { id, msg } => self.on_analysis(id, msg),
            WorkerMsg::Scan { id, event } if id == self.scan_id => self.scan.apply(event),
            WorkerMsg::ScanFailed { id, error } if id == self.scan_id => self.scan.failed(error),
            WorkerMsg::Scan { .. } | WorkerMsg::ScanFailed { .. } => {}
            WorkerMsg::IndexFollowing(s) => {
                self.index_summary = Some(crate::terminal::sanitize(&s).into_owned());
                if self.indexing.state == JobState::Running {
                    self.indexing.state = JobState::Following(s);
                }
                if self.follow_behind && std::mem::take(&mut self.first_index) && self.screen == crate::tui::app::Screen::Indexing {
                    self.screen = crate::tui::app::Screen::Main;
                }
                self.jobs.push(Job::Knowledge);
            }
            WorkerMsg::IndexNote(n) => self.indexing.note = (!n.is_empty()).then(|| crate::terminal::sanitize(&n).into_owned()),
            WorkerMsg::IndexUpdate(line) => {
                self.indexing.updated(line);
                self.jobs.push(Job::Knowledge);
            }
            WorkerMsg::IndexDone(r) => {
                let first = std::mem::take(&mut self.first_index);
                if let Ok(s) = &r {
                    self.index_summary = Some(crate::terminal::sanitize(s).into_owned());
                    if first && self.screen == crate::tui::app::Screen::Indexing {
                        self.screen = crate::tui::app::Screen::Main;
                    }
                }
                self.indexing.state = match r {
                    Ok(s) => JobState::Done(s),
                    Err(e) if self.indexing.state == JobState::Cancelling => JobState::Cancelled(e),
                    Err(e) => JobState::Failed(e),
                };
                self.jobs.push(Job::Knowledge);
            }
        }
    }

    fn query_done(&mut self, query: &str, result: Result<QueryResult, BackendError>, elapsed: Duration) {
        self.show_result(query, result.as_ref(), elapsed);
    }

    /// A query's result (or error) in the results pane and the session.
    pub(super) fn show_result(&mut self, query: &str, result: Result<&QueryResult, &BackendError>, elapsed: Duration) {
        let backend = self.settings.backend;
        match result {
            Ok(r) => {
                let (body, count) = match Metric::build(r) {
                    Some(m) => {
                        let n = m.series.len();
                        (Body::Metric(m), format!("{n} series"))
                    }
                    None => {
                        let streams = match r {
                            QueryResult::Streams(s) => s.as_slice(),
                            _ => &[],
                        };
                        let logs = Logs::build(streams, Direction::Backward, self.settings.zone, Matcher::for_query(query));
                        let n = logs.rows.len();
                        (Body::Logs(logs), format!("{n} lines"))
                    }
                };
                self.results.set(body, Some(Meta { count, elapsed, backend }));
                self.session.ran(query, &self.results.excerpt(10));
            }
            Err(BackendError::Cancelled) => {
                self.notice = Some((format!("cancelled after {}", timefmt::elapsed(elapsed)), Level::Info));
            }
            Err(e) => {
                let text = match &e {
                    BackendError::Parse(p) => format!("{p}"),
                    other => other.to_string(),
                };
                self.notice = Some(("the query failed".into(), Level::Error));
                self.results.set(Body::Error(text.clone()), Some(Meta { count: "error".into(), elapsed, backend }));
                self.session.ran(query, &[text]);
            }
        }
    }


    /// What the status bar shows.
    pub fn status(&self) -> StatusLine {
        let keys = &self.settings.keys;
        let typing = self.screen == crate::tui::app::Screen::Main && self.pane(self.focus).is_text();
        let (stage, busy) = match (&self.running, self.screen) {
            (None, _) if self.asking.is_some() => (self.asking.as_ref().map(|a| self.ask_stage(a)).unwrap_or_default(), true),
            (None, _) if self.analysis.as_ref().is_some_and(|a| a.running.is_some()) => {
                (self.analysis.as_ref().and_then(|a| self.analysis_stage(a)).unwrap_or_default(), true)
            }
            (Some(r), _) => (format!("● running {} · {} cancels", timefmt::elapsed(r.elapsed), keys.keys_for(&Action::Cancel)), true),
            (None, _) if self.scan.is_running() => (format!("● scanning {}", timefmt::elapsed(self.scan.elapsed)), true),
            (None, _) if matches!(self.indexing.state, JobState::Following(_)) => {
                (format!("● following · {}", self.indexing.updates_said()), true)
            }
            (None, _) if self.indexing.is_running() => (format!("● indexing {}", timefmt::elapsed(self.indexing.elapsed)), true),
            (None, _) => match &self.index_summary {
                // The first clause (lines, templates, workflows); the rest
                // (the LLM phases, the lexical index) is on the indexing screen.
                Some(s) => (format!("ready · {}", s.split("; ").next().unwrap_or(s)), false),
                None => ("ready".to_owned(), false),
            },
        };
        // The indexing and scan screens say their own keys in their frame.
        let main = self.screen == crate::tui::app::Screen::Main;
        let hints = [
            (Action::FocusNext, "focus"),
            (Action::RunQuery, "run"),
            (Action::ToggleHelp, "help"),
            (Action::Quit, "quit"),
            (Action::OpenIndex, "indexing"),
        ]
        .into_iter()
        .filter(|_| main)
        .filter(|(a, _)| *a != Action::OpenIndex || self.index_summary.is_some())
        .filter_map(|(a, l)| Some((keys.key_for(&a, typing)?, l.to_owned())))
        .collect();
        StatusLine {
            stage,
            busy,
            notice: self.notice.clone(),
            missing: std::iter::once(format!("{} · {}", self.settings.backend, self.settings.app)).chain(self.settings.missing.iter().cloned()).collect(),
            hints,
        }
    }
}
