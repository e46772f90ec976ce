//! Evaluation on a Q&A sheet (`datasets/<app>/questions.jsonl`): each
//! question goes through the pipeline like `ask`, and its answer is judged
//! against the sheet's ([`judge`]). One record per question and a summary
//! (executed, repaired, matching, tokens, time) go to
//! `results/<app>/eval_<timestamp>.json`.
//!
//! A sheet line: `{"id", "question", "kind": "number"|"list"|"text",
//! "answer", "logql"?, "tolerance"?, "start"?, "end"?}` (times RFC 3339;
//! `logql` is the gold query, with `$__range` for the whole window).

pub mod judge;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::pipeline::event::{PipelineEvent, Status, Usage};
use crate::pipeline::{AskRequest, PipelineContext, ask};
use crate::storage::{StorageError, write_json};

pub use judge::{Judgement, judge};

/// What kind of answer a question has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    Number,
    List,
    Text,
}

/// One question of a sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub question: String,
    pub kind: AnswerKind,
    pub answer: serde_json::Value,
    #[serde(default)]
    pub logql: Option<String>,
    /// Relative tolerance of a number (default 1e-6).
    #[serde(default)]
    pub tolerance: Option<f64>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    /// How the answer was computed (documentation only).
    #[serde(default)]
    pub how: Option<String>,
}

/// Why a sheet cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Line { path: PathBuf, line: usize, message: String },
    #[error("{path} has no questions")]
    Empty { path: PathBuf },
    #[error("--loc {from} {to}: the sheet has {len} questions (1-based, inclusive, from <= to)")]
    Range { from: usize, to: usize, len: usize },
}

/// Reads a sheet; every line must be a question (blank lines and `//` comments skipped).
pub fn read_sheet(path: &Path) -> Result<Vec<Question>, SheetError> {
    let text = std::fs::read_to_string(path).map_err(|source| SheetError::Read { path: path.into(), source })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with("//") {
            continue;
        }
        let q: Question = serde_json::from_str(l).map_err(|e| SheetError::Line { path: path.into(), line: i + 1, message: e.to_string() })?;
        if q.question.trim().is_empty() {
            return Err(SheetError::Line { path: path.into(), line: i + 1, message: "empty question".into() });
        }
        out.push(q);
    }
    if out.is_empty() {
        return Err(SheetError::Empty { path: path.into() });
    }
    Ok(out)
}

/// Questions `from` to `to` (1-based, inclusive).
pub fn select(qs: Vec<Question>, loc: Option<(usize, usize)>) -> Result<Vec<Question>, SheetError> {
    let Some((from, to)) = loc else { return Ok(qs) };
    if from == 0 || from > to || to > qs.len() {
        return Err(SheetError::Range { from, to, len: qs.len() });
    }
    Ok(qs.into_iter().skip(from - 1).take(to - from + 1).collect())
}

/// One question's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionRecord {
    pub id: String,
    pub question: String,
    pub kind: AnswerKind,
    pub expected: serde_json::Value,
    pub status: Status,
    /// A query ran (without an error).
    pub executed: bool,
    pub repairs: u32,
    pub logql: Option<String>,
    pub answer: String,
    pub judgement: Judgement,
    pub error: Option<String>,
    pub usage: Usage,
    pub ms: u64,
}

/// The totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub questions: usize,
    pub executed: usize,
    pub repaired: usize,
    pub matched: usize,
    pub matched_number: (usize, usize),
    pub matched_list: (usize, usize),
    pub matched_text: (usize, usize),
    pub failed: usize,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost_usd: Option<f64>,
    pub ms: u64,
    pub model: Option<String>,
    pub backend: String,
}

/// The file `eval` writes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub app: String,
    pub sheet: String,
    pub started_at: String,
    pub summary: Summary,
    pub questions: Vec<QuestionRecord>,
}

fn time(s: &Option<String>) -> Option<i64> {
    s.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).and_then(|d| d.timestamp_nanos_opt())
}

/// Runs `questions`; `progress` hears each finished record.
pub async fn run(ctx: Arc<PipelineContext>, sheet: &str, questions: &[Question], mut progress: impl FnMut(usize, &QuestionRecord)) -> EvalReport {
    let mut records = Vec::new();
    let mut s = Summary {
        model: ctx.llm.as_ref().map(|c| c.chat_model().to_owned()),
        backend: ctx.backend.name().to_owned(),
        ..Default::default()
    };
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for (i, q) in questions.iter().enumerate() {
        let req = AskRequest { question: q.question.clone(), start_ns: time(&q.start), end_ns: time(&q.end), record_dir: None, interactive: false };
        let mut executed = false;
        let window = ctx.window(&req, crate::pipeline::context::now_ns());
        let outcome = ask(ctx.clone(), req, |e| {
            if matches!(e, PipelineEvent::Executed { .. }) {
                executed = true;
            }
        })
        .await;
        let Some(o) = outcome else { continue };
        let j = judge(&ctx, q, &o, window).await;
        let r = QuestionRecord {
            id: q.id.clone(),
            question: q.question.clone(),
            kind: q.kind,
            expected: q.answer.clone(),
            status: o.status,
            executed,
            repairs: o.repairs,
            logql: o.logql.clone(),
            answer: o.answer.clone(),
            judgement: j,
            error: o.error.clone(),
            usage: o.usage,
            ms: o.ms,
        };
        s.questions += 1;
        s.executed += usize::from(r.executed);
        s.repaired += usize::from(r.repairs > 0);
        s.failed += usize::from(matches!(r.status, Status::Failed | Status::Cancelled));
        let m = r.judgement.matched;
        s.matched += usize::from(m);
        let slot = match q.kind {
            AnswerKind::Number => &mut s.matched_number,
            AnswerKind::List => &mut s.matched_list,
            AnswerKind::Text => &mut s.matched_text,
        };
        slot.0 += usize::from(m);
        slot.1 += 1;
        s.tokens_in += r.usage.tokens_in;
        s.tokens_out += r.usage.tokens_out;
        if let Some(c) = r.usage.cost_usd {
            s.cost_usd = Some(s.cost_usd.unwrap_or(0.0) + c);
        }
        s.ms += r.ms;
        progress(i, &r);
        records.push(r);
    }
    EvalReport { app: ctx.app.clone(), sheet: sheet.to_owned(), started_at, summary: s, questions: records }
}

impl EvalReport {
    /// Writes `dir/eval_<timestamp>.json` atomically; the path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, StorageError> {
        std::fs::create_dir_all(dir).map_err(|source| StorageError::CreateDir { path: dir.to_path_buf(), source })?;
        let stamp = chrono::Utc::now().format("%Y-%m-%dT%H-%M-%S%.3fZ");
        let path = dir.join(format!("eval_{stamp}.json"));
        write_json(&path, self)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheets_and_ranges() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("q.jsonl");
        std::fs::write(
            &p,
            "{\"id\":\"a\",\"question\":\"How many?\",\"kind\":\"number\",\"answer\":3}\n\n// note\n{\"id\":\"b\",\"question\":\"Which?\",\"kind\":\"list\",\"answer\":[\"x\"],\"tolerance\":0.1}\n",
        )
        .unwrap();
        let qs = read_sheet(&p).unwrap();
        assert_eq!(qs.len(), 2);
        assert_eq!(qs[1].tolerance, Some(0.1));
        assert_eq!(select(qs.clone(), Some((2, 2))).unwrap()[0].id, "b");
        assert!(matches!(select(qs.clone(), Some((0, 1))), Err(SheetError::Range { .. })));
        assert!(matches!(select(qs, Some((2, 3))), Err(SheetError::Range { .. })));
        std::fs::write(&p, "{\"id\":\"a\"}\n").unwrap();
        let e = read_sheet(&p).unwrap_err().to_string();
        assert!(e.contains("q.jsonl:1:"), "{e}");
        std::fs::write(&p, "\n").unwrap();
        assert!(matches!(read_sheet(&p), Err(SheetError::Empty { .. })));
    }
}
