//! The results file of one question, `results/<app>/<timestamp>.json`: the
//! question, the window, every step as it happened (the events, with the
//! milliseconds since the start), the answer, the tokens and the time spent
//! per stage. Built by folding [`PipelineEvent`]s, so it holds exactly what
//! the user saw, also for a run that failed or was cancelled. Written
//! atomically (a temp file in the same folder, then a rename).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::event::{PipelineEvent, Usage};
use crate::storage::{StorageError, write_json};

/// Version of the record's shape.
pub const RECORD_VERSION: u32 = 1;

/// One step: when, and the event as JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub at_ms: u64,
    #[serde(flatten)]
    pub event: serde_json::Value,
}

/// A question's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub schema_version: u32,
    pub tool_version: String,
    pub app: String,
    pub question: String,
    pub backend: String,
    /// Chat model, when one is configured.
    pub model: Option<String>,
    /// RFC 3339.
    pub started_at: String,
    pub window_start: String,
    pub window_end: String,
    pub steps: Vec<Step>,
    /// The answer as streamed.
    pub answer: String,
    /// Milliseconds per stage, summed over attempts.
    pub timings_ms: BTreeMap<String, u64>,
    pub usage: Usage,
    /// The `finished` event's outcome.
    pub outcome: Option<serde_json::Value>,
}

fn rfc3339(ns: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Record {
    pub fn new(app: &str, question: &str, backend: &str, model: Option<&str>, window: (i64, i64)) -> Self {
        Self {
            schema_version: RECORD_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            app: app.into(),
            question: question.into(),
            backend: backend.into(),
            model: model.map(str::to_owned),
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            window_start: rfc3339(window.0),
            window_end: rfc3339(window.1),
            steps: Vec::new(),
            answer: String::new(),
            timings_ms: BTreeMap::new(),
            usage: Usage::default(),
            outcome: None,
        }
    }

    pub fn set_window(&mut self, window: (i64, i64)) {
        self.window_start = rfc3339(window.0);
        self.window_end = rfc3339(window.1);
    }

    /// Adds what `e` says.
    pub fn apply(&mut self, e: &PipelineEvent, at_ms: u64) {
        match e {
            PipelineEvent::AnswerDelta { text } => self.answer.push_str(text),
            PipelineEvent::AnswerRestart => self.answer.clear(),
            PipelineEvent::Usage(u) => self.usage = *u,
            PipelineEvent::Finished(o) => {
                self.usage = o.usage;
                self.answer.clone_from(&o.answer);
                self.outcome = serde_json::to_value(o).ok();
            }
            other => {
                if let PipelineEvent::StageFinished { stage, ms, .. } = other {
                    *self.timings_ms.entry(stage.name().to_owned()).or_default() += ms;
                }
                if let Ok(v) = serde_json::to_value(other) {
                    self.steps.push(Step { at_ms, event: v });
                }
            }
        }
    }

    /// Writes the record to `dir/<timestamp>.json` (a new name if taken); the path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, StorageError> {
        std::fs::create_dir_all(dir).map_err(|source| StorageError::CreateDir { path: dir.to_path_buf(), source })?;
        let stamp = chrono::Utc::now().format("%Y-%m-%dT%H-%M-%S%.3fZ").to_string();
        let mut path = dir.join(format!("{stamp}.json"));
        let mut n = 1;
        while path.exists() {
            n += 1;
            path = dir.join(format!("{stamp}-{n}.json"));
        }
        write_json(&path, self)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::event::Stage;

    #[test]
    fn folds_events_and_writes_atomically() {
        let mut r = Record::new("hdfs", "q?", "embedded", None, (0, 1_000_000_000));
        r.apply(&PipelineEvent::StageFinished { stage: Stage::Execute, attempt: 1, ms: 5, ok: true, detail: String::new() }, 1);
        r.apply(&PipelineEvent::StageFinished { stage: Stage::Execute, attempt: 2, ms: 7, ok: true, detail: String::new() }, 2);
        r.apply(&PipelineEvent::AnswerDelta { text: "wrong".into() }, 3);
        r.apply(&PipelineEvent::AnswerRestart, 3);
        r.apply(&PipelineEvent::AnswerDelta { text: "42 blocks".into() }, 4);
        assert_eq!(r.answer, "42 blocks");
        assert_eq!(r.timings_ms.get("execute"), Some(&12));
        assert_eq!(r.steps.len(), 2, "deltas are folded into the answer");
        assert_eq!(r.steps[1].event["event"], "stage_finished");
        assert_eq!(r.window_end, "1970-01-01T00:00:01.000Z");
        let d = tempfile::tempdir().unwrap();
        let a = r.write(&d.path().join("results/hdfs")).unwrap();
        let b = r.write(&d.path().join("results/hdfs")).unwrap();
        assert_ne!(a, b);
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
        assert_eq!(v["answer"], "42 blocks");
        assert_eq!(v["steps"][0]["at_ms"], 1);
        let names: Vec<_> = std::fs::read_dir(d.path().join("results/hdfs")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temp file left: {names:?}");
    }
}
