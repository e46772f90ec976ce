//! Answers: streamed by the model from the results (`answer_results`) or
//! from the knowledge (`answer_knowledge`, also for pasted log lines), or,
//! without a model, written here from the same material with a note that no
//! model is configured. A stream cut by a cancel keeps what had arrived.

use std::sync::{Arc, Mutex};

use super::builder::Built;
use super::event::{PipelineEvent, Stage, Status};
use super::plan::{QueryMode, QueryPlan, range_literal};
use super::query::Tried;
use super::results::{number, summary, table, value_of};
use super::run::{Run, Stop};
use super::template_query::{TemplateQuery, selector};
use crate::llm::prompts::{Prompt, fence};
use crate::llm::{ChatOptions, Message, StreamEvent};
use crate::retrieve::{Packed, RetrievedItem};

/// Result rows in an answer written without a model.
const PLAIN_ROWS: usize = 20;

fn rfc3339(ns: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Run<'_> {
    fn window_text(&self) -> String {
        format!("{} to {} ({})", rfc3339(self.window.0), rfc3339(self.window.1), range_literal(self.window.1 - self.window.0))
    }

    /// `plain` replaces whatever was streamed of the answer.
    fn instead(&mut self, plain: String) -> Result<String, Stop> {
        self.emit(PipelineEvent::AnswerRestart)?;
        self.emit(PipelineEvent::AnswerDelta { text: plain.clone() })?;
        Ok(plain)
    }

    /// Streams `messages` as the answer; the text. A failed stream falls back to `fallback`.
    async fn stream(&mut self, messages: Vec<Message>, fallback: String) -> Result<String, Stop> {
        let Some(llm) = self.ctx.llm.clone() else { return Ok(fallback) };
        let t0 = self.begin(Stage::Answer, 1)?;
        let opts = ChatOptions { temperature: Some(0.2), max_tokens: Some(self.ctx.config.answer_max_tokens), ..Default::default() };
        let tx = self.tx.clone();
        let partial = Arc::new(Mutex::new(String::new()));
        let sink = partial.clone();
        let on = move |ev: StreamEvent<'_>| {
            let e = match ev {
                StreamEvent::Delta(t) => {
                    if let Ok(mut p) = sink.lock() {
                        p.push_str(t);
                    }
                    PipelineEvent::AnswerDelta { text: t.to_owned() }
                }
                StreamEvent::Reasoning(t) => PipelineEvent::ReasoningDelta { text: t.to_owned() },
                StreamEvent::Retract(t) => {
                    if let Ok(mut p) = sink.lock() {
                        p.clear();
                    }
                    let _ = tx.send(PipelineEvent::AnswerRestart);
                    PipelineEvent::ReasoningDelta { text: t.to_owned() }
                }
                StreamEvent::Restart { .. } => {
                    if let Ok(mut p) = sink.lock() {
                        p.clear();
                    }
                    PipelineEvent::AnswerRestart
                }
            };
            let _ = tx.send(e);
        };
        let r = match self.cancellable(llm.chat_stream("ask.answer", &messages, &opts, on)).await {
            Ok(r) => r,
            Err(stop) => {
                let got = partial.lock().map(|p| p.clone()).unwrap_or_default();
                if !got.is_empty() {
                    self.partial_answer = Some(got);
                }
                return Err(stop);
            }
        };
        match r {
            Ok(reply) => {
                self.count_chat(&reply, Stage::Answer, 1)?;
                if reply.text.trim().is_empty() {
                    let why = if reply.unterminated { "it ended inside its reasoning" } else { "it was empty" };
                    self.end(Stage::Answer, 1, t0, false, format!("no answer in the reply: {why}"))?;
                    self.note("the model wrote no answer; this is the plain one")?;
                    return self.instead(fallback);
                }
                self.end(Stage::Answer, 1, t0, true, format!("{} tokens", reply.tokens_out))?;
                Ok(reply.text)
            }
            Err(e) => {
                self.end(Stage::Answer, 1, t0, false, e.to_string())?;
                self.note(format!("the model could not write the answer ({e}); this is the plain one"))?;
                self.instead(fallback)
            }
        }
    }

    /// The answer to a query question, from the result in `self.result`.
    pub(super) async fn answer_query(&mut self, built: &Built, packed: Option<&Packed>) -> Result<String, Stop> {
        let plain = self.plain_query_answer(built);
        let (Some(_), Some(packed)) = (&self.ctx.llm, packed) else {
            let t0 = self.begin(Stage::Answer, 1)?;
            self.emit(PipelineEvent::AnswerDelta { text: plain.clone() })?;
            self.end(Stage::Answer, 1, t0, true, "written without a model")?;
            return Ok(plain);
        };
        let Some(result) = self.result.clone() else {
            let t0 = self.begin(Stage::Answer, 1)?;
            let text = format!(
                "I could not find out: no query worked{}.",
                self.error.as_ref().map(|e| format!(" (the last error: {e})")).unwrap_or_default()
            );
            self.emit(PipelineEvent::AnswerDelta { text: text.clone() })?;
            self.end(Stage::Answer, 1, t0, false, "no result")?;
            return Ok(text);
        };
        let counter = self.ctx.tokens();
        let rows = table(&result, Some(&counter), self.ctx.config.result_tokens, usize::MAX);
        let notes = if self.notes.is_empty() { "none".to_owned() } else { self.notes.join("\n") };
        let messages = Prompt::get("answer_results")
            .and_then(|p| {
                p.render(&[
                    ("app", self.ctx.app.clone()),
                    ("window", self.window_text()),
                    ("question", self.question.clone()),
                    ("logql", self.logql.clone().unwrap_or_default()),
                    ("summary", summary(&result)),
                    ("results", fence(if rows.is_empty() { "(empty)" } else { &rows })),
                    ("notes", notes),
                    ("context", fence(&packed.text)),
                ])
            })
            .map_err(|e| Stop::Failed(e.to_string()))?;
        self.stream(messages, plain).await
    }

    /// The answer without a model: the result first (what the engineer
    /// came for), then the query and its window, then why there are no words.
    fn plain_query_answer(&self, built: &Built) -> String {
        let mut s = String::new();
        match (&self.result, &self.error) {
            (Some(r), _) => {
                let v = value_of(r);
                match (v.number, built.plan.mode) {
                    (Some(n), QueryMode::Instant) if v.items.is_empty() => s.push_str(&format!("Answer: {}\n", number(n))),
                    _ => s.push_str(&format!("Result ({}):\n{}", summary(r), table(r, None, 0, PLAIN_ROWS))),
                }
            }
            (None, Some(e)) if e == "the query found nothing" && built.plan.mode == QueryMode::Instant => {
                s.push_str("Answer: 0 (no line matched in the window)\n")
            }
            (None, Some(e)) => s.push_str(&format!("No result: {e}\n")),
            (None, None) => s.push_str("No result.\n"),
        }
        s.push_str(&format!("\nQuery ({}):\n  {}\n", built.explanation, self.logql.as_deref().unwrap_or(&built.plan.logql)));
        s.push_str(&format!("Window: {}\n", self.window_text()));
        if self.ctx.llm.is_none() {
            s.push_str(&format!("\nNo model is configured ({}), so this is the deterministic query builder's answer.\n", self.ctx.no_model_reason));
        }
        s
    }

    /// A question about the knowledge itself.
    pub(super) async fn knowledge(&mut self, packed: Packed) -> Result<String, Stop> {
        let plain = format!(
            "{}What the knowledge base of {} has on this, best matches first:\n\n{}",
            self.no_model_line(),
            self.ctx.app,
            if packed.text.is_empty() { "(nothing matched)\n" } else { &packed.text }
        );
        if self.ctx.llm.is_none() {
            return self.plain_answer(plain);
        }
        let task = format!("Question: {}", self.question);
        let messages = self.knowledge_messages(&task, &packed, "")?;
        self.stream(messages, plain).await
    }

    /// Pasted log lines: the templates they match, how often the best one
    /// occurs in the window, and what it means.
    pub(super) async fn analysis(&mut self, items: Vec<RetrievedItem>, packed: Packed) -> Result<String, Stop> {
        let kb = self.ctx.kb.clone();
        let best = items.iter().find_map(|i| kb.template_of(&i.id, i.kind).map(|t| t.id.clone()));
        let mut extra = String::new();
        if let Some(id) = &best
            && let Some(t) = TemplateQuery::build(&kb, id, selector(&self.ctx.app, &[]), self.ctx.anchor.as_ref(), &[])
        {
            let plan = QueryPlan {
                logql: format!("sum(count_over_time({} [$__range]))", t.log_query(false)),
                mode: QueryMode::Instant,
                limit: 1,
            };
            self.emit(PipelineEvent::Candidate {
                attempt: 1,
                source: super::event::CandidateSource::Builder,
                logql: plan.logql.clone(),
                explanation: Some(format!("how often {id} occurs")),
            })?;
            let n = match self.try_plan(&plan, 1).await? {
                Tried::Data { result, logql } => {
                    self.logql = Some(logql);
                    let n = value_of(&result).number.unwrap_or(0.0);
                    self.result = Some(result);
                    n
                }
                Tried::Failed { logql, .. } => {
                    self.logql = Some(logql);
                    0.0
                }
            };
            extra = format!("The best matching event is {id} ({}); it occurs {} times in {}.", t.template, number(n), self.window_text());
        }
        let plain = format!(
            "{}The lines match these events of {}:\n\n{}\n{extra}\n",
            self.no_model_line(),
            self.ctx.app,
            if packed.text.is_empty() { "(nothing matched)\n" } else { &packed.text }
        );
        if self.ctx.llm.is_none() {
            return self.plain_answer(plain);
        }
        let task = format!(
            "Explain these log lines for an engineer on call: what they mean, whether they signal a problem, and what to check next.\n{}",
            fence(&self.question)
        );
        let messages = self.knowledge_messages(&task, &packed, &extra)?;
        self.stream(messages, plain).await
    }

    fn knowledge_messages(&self, task: &str, packed: &Packed, extra: &str) -> Result<Vec<Message>, Stop> {
        Prompt::get("answer_knowledge")
            .and_then(|p| {
                p.render(&[
                    ("app", self.ctx.app.clone()),
                    ("task", task.to_owned()),
                    ("context", fence(if packed.text.is_empty() { "(nothing matched)" } else { &packed.text })),
                    ("extra", extra.to_owned()),
                ])
            })
            .map_err(|e| Stop::Failed(e.to_string()))
    }

    fn no_model_line(&self) -> String {
        if self.ctx.llm.is_none() { format!("No model is configured ({}).\n", self.ctx.no_model_reason) } else { String::new() }
    }

    fn plain_answer(&mut self, text: String) -> Result<String, Stop> {
        let t0 = self.begin(Stage::Answer, 1)?;
        self.emit(PipelineEvent::AnswerDelta { text: text.clone() })?;
        self.end(Stage::Answer, 1, t0, true, "written without a model")?;
        if self.status == Status::Answered && self.ctx.llm.is_none() {
            self.status = Status::NoModel;
        }
        Ok(text)
    }
}
