//! The query path: the builder's query, then either the model's queries with
//! a bounded repair loop, or (no model) the builder's query alone. Each
//! candidate is checked by our parser, guarded, run; an empty result is
//! diagnosed, and when it shows the context was wrong, retrieval is refined.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::builder::{BuildContext, Built, build};
use super::diagnose::{Diagnosis, diagnose};
use super::event::{CandidateSource, GuardDecision, PipelineEvent, RepairReason, Stage, Status};
use super::generate::{caret, explanation, extract_logql, first_messages, repair_message};
use super::guard::{self, Limits};
use super::handle::Confirm;
use super::plan::{QueryPlan, Request};
use super::results::summary;
use super::run::{Run, Stop};
use crate::backend::BackendError;
use crate::config::GuardAction;
use crate::llm::{ChatOptions, Message};
use crate::logql::value::QueryResult;
use crate::retrieve::{Packed, RetrievedItem};

/// Streams listed when collecting the app's labels.
const MAX_LABEL_VALUES: usize = 30;

/// How one candidate went.
pub(super) enum Tried {
    Data { result: Arc<QueryResult>, logql: String },
    Failed { reason: RepairReason, detail: String, logql: String, diagnosis: Option<Diagnosis> },
}

impl Run<'_> {
    /// The app's stream labels and values (from its series), `app` left out.
    async fn labels(&mut self) -> Result<BTreeMap<String, Vec<String>>, Stop> {
        let ctx = self.ctx;
        let sel = format!("{{app={}}}", serde_json::to_string(&ctx.app).unwrap_or_default());
        let (s, e) = self.window;
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        match self.cancellable(ctx.backend.series(&[sel], s, e)).await? {
            Ok(series) => {
                for labels in series {
                    for (k, v) in labels {
                        if k == "app" || k.starts_with("__") {
                            continue;
                        }
                        let vals = out.entry(k).or_default();
                        if vals.len() < MAX_LABEL_VALUES && !vals.contains(&v) {
                            vals.push(v);
                        }
                    }
                }
            }
            Err(e) => self.note(format!("could not list the streams of {} ({e})", ctx.app))?,
        }
        Ok(out)
    }

    /// Check, guard, run; an empty result is diagnosed.
    pub(super) async fn try_plan(&mut self, plan: &QueryPlan, attempt: u32) -> Result<Tried, Stop> {
        let ctx = self.ctx;
        let (mut s, mut e) = self.window;
        let rendered = plan.render(e.saturating_sub(s));
        let t0 = self.begin(Stage::Check, attempt)?;
        let expr = match plan.check(e.saturating_sub(s)) {
            Ok(x) => x,
            Err(pe) => {
                let detail = caret(&rendered, &pe);
                self.emit(PipelineEvent::CheckFailed { attempt, logql: rendered.clone(), error: pe.to_string() })?;
                self.end(Stage::Check, attempt, t0, false, pe.to_string())?;
                return Ok(Tried::Failed { reason: RepairReason::ParseError, detail, logql: rendered, diagnosis: None });
            }
        };
        self.end(Stage::Check, attempt, t0, true, "parses")?;

        let t0 = self.begin(Stage::Guard, attempt)?;
        let limits = Limits::from_config(&ctx.config);
        let report = self.cancellable(guard::check(&ctx.backend, &expr, s, e, &limits)).await?;
        let mut checks = report.checks.clone();
        let decision = match report.over {
            None => GuardDecision::Allowed,
            Some((reason, ns, ne)) => {
                checks.push(reason.clone());
                let choice = if limits.action == GuardAction::Ask && self.interactive {
                    self.emit(PipelineEvent::ConfirmationNeeded { reason: reason.clone(), narrowed_start_ns: ns, narrowed_end_ns: ne })?;
                    self.confirmation().await?
                } else {
                    Confirm::Narrow
                };
                match choice {
                    Confirm::Run => GuardDecision::Confirmed,
                    Confirm::Narrow => {
                        (s, e) = (ns, ne);
                        self.window = (ns, ne);
                        self.note(format!("the window was narrowed to fit the limits: {reason}"))?;
                        GuardDecision::Narrowed { start_ns: ns, end_ns: ne }
                    }
                    Confirm::Stop => {
                        self.emit(PipelineEvent::Guard { attempt, logql: rendered.clone(), decision: GuardDecision::Refused, checks })?;
                        self.end(Stage::Guard, attempt, t0, false, reason.clone())?;
                        return Err(Stop::Failed(format!("stopped before running the query: {reason}")));
                    }
                }
            }
        };
        self.emit(PipelineEvent::Guard { attempt, logql: rendered.clone(), decision, checks })?;
        self.end(Stage::Guard, attempt, t0, true, "")?;

        let req = plan.request(s, e);
        let logql = req.query().to_owned();
        let t0 = self.begin(Stage::Execute, attempt)?;
        let res = match &req {
            Request::Instant(r) => self.cancellable(ctx.backend.query(r)).await?,
            Request::Range(r) => self.cancellable(ctx.backend.query_range(r)).await?,
        };
        let ms = t0.elapsed().as_millis() as u64;
        let result = match res {
            Ok(r) => Arc::new(r),
            Err(err) => {
                self.emit(PipelineEvent::ExecutionFailed { attempt, logql: logql.clone(), error: err.to_string() })?;
                self.end(Stage::Execute, attempt, t0, false, err.to_string())?;
                let (reason, detail) = match &err {
                    BackendError::Parse(pe) => (RepairReason::ParseError, caret(&logql, pe)),
                    BackendError::BadParam { .. } | BackendError::Execution(_) => (RepairReason::BackendError, err.to_string()),
                    BackendError::Server { status, .. } if *status < 500 => (RepairReason::BackendError, err.to_string()),
                    BackendError::Cancelled => return Err(Stop::Cancelled),
                    _ => return Err(Stop::Failed(format!("the {} backend failed: {err}", ctx.backend.name()))),
                };
                return Ok(Tried::Failed { reason, detail, logql, diagnosis: None });
            }
        };
        let text = summary(&result);
        self.emit(PipelineEvent::Executed {
            attempt,
            logql: logql.clone(),
            planned: plan.logql.clone(),
            backend: ctx.backend.name().to_owned(),
            ms,
            rows: result.len(),
            summary: text.clone(),
            result: result.clone(),
        })?;
        self.end(Stage::Execute, attempt, t0, true, text)?;
        if !result.is_empty() {
            return Ok(Tried::Data { result, logql });
        }
        let t0 = self.begin(Stage::Diagnose, attempt)?;
        let d = self.cancellable(diagnose(&ctx.backend, &expr, &ctx.app, s, e)).await?;
        self.emit(PipelineEvent::Diagnosis { findings: d.findings.clone() })?;
        self.end(Stage::Diagnose, attempt, t0, true, format!("{} findings", d.findings.len()))?;
        let detail = d.findings.join("\n");
        Ok(Tried::Failed { reason: RepairReason::EmptyResult, detail, logql, diagnosis: Some(d) })
    }

    fn take(&mut self, t: &Tried) -> bool {
        match t {
            Tried::Data { result, logql } => {
                self.result = Some(result.clone());
                self.logql = Some(logql.clone());
                self.error = None;
                true
            }
            Tried::Failed { detail, logql, reason, .. } => {
                self.logql = Some(logql.clone());
                self.error = Some(if *reason == RepairReason::EmptyResult { "the query found nothing".to_owned() } else { detail.clone() });
                false
            }
        }
    }

    /// Templates whose text holds a filter that matched nothing.
    fn blamed(&self, d: Option<&Diagnosis>, items: &[RetrievedItem]) -> Vec<String> {
        let Some(d) = d else { return Vec::new() };
        items
            .iter()
            .filter(|i| d.dead_filters.iter().any(|f| i.text.contains(f.as_str())))
            .map(|i| i.id.clone())
            .collect()
    }

    /// The query path.
    pub(super) async fn query(&mut self, items: Vec<RetrievedItem>, packed: Packed) -> Result<String, Stop> {
        let labels = self.labels().await?;
        let bctx = BuildContext {
            app: self.ctx.app.clone(),
            labels: labels.clone(),
            anchor: self.ctx.anchor.clone(),
            line_limit: self.ctx.config.line_limit,
            header: self.ctx.header.clone(),
            excluded: Vec::new(),
            within: Vec::new(),
        };
        let t0 = self.begin(Stage::Generate, 0)?;
        let built = build(&self.question, &self.ctx.kb, &items, &bctx);
        self.emit(PipelineEvent::Candidate {
            attempt: 0,
            source: CandidateSource::Builder,
            logql: built.plan.logql.clone(),
            explanation: Some(built.explanation.clone()),
        })?;
        self.end(Stage::Generate, 0, t0, true, built.explanation.clone())?;
        if self.ctx.llm.is_some() {
            self.with_model(&built, &items, &packed, &labels).await
        } else {
            self.builder_only(built, items, bctx).await
        }
    }

    /// No model: the builder's query; refined once the results show its template was wrong.
    async fn builder_only(&mut self, mut built: Built, mut items: Vec<RetrievedItem>, mut bctx: BuildContext) -> Result<String, Stop> {
        let mut excluded: Vec<String> = Vec::new();
        let mut attempt = 1;
        loop {
            let tried = self.try_plan(&built.plan, attempt).await?;
            if self.take(&tried) {
                break;
            }
            let Tried::Failed { reason, detail, diagnosis, .. } = tried else { break };
            let wrong = diagnosis.as_ref().is_some_and(Diagnosis::context_was_wrong);
            if !wrong || attempt > self.ctx.config.max_refinements || built.template.is_none() {
                break;
            }
            excluded.extend(built.template.as_ref().map(|t| t.template_id.clone()));
            excluded.extend(self.blamed(diagnosis.as_ref(), &items));
            self.emit(PipelineEvent::Repair { attempt: attempt + 1, reason, detail })?;
            self.repairs += 1;
            let question = self.question.clone();
            items = self.retrieve(&question, &excluded, true).await?.0;
            bctx.excluded = excluded.clone();
            built = build(&question, &self.ctx.kb, &items, &bctx);
            attempt += 1;
            self.emit(PipelineEvent::Candidate {
                attempt,
                source: CandidateSource::Builder,
                logql: built.plan.logql.clone(),
                explanation: Some(built.explanation.clone()),
            })?;
        }
        self.answer_query(&built, None).await
    }

    /// The model writes the query; repairs are bounded by `pipeline.max_repairs`.
    async fn with_model(&mut self, built: &Built, items: &[RetrievedItem], packed: &Packed, labels: &BTreeMap<String, Vec<String>>) -> Result<String, Stop> {
        let Some(llm) = self.ctx.llm.clone() else { return self.answer_query(built, Some(packed)).await };
        let hint = format!("{}\n({})\nThe question read: {}", built.plan.logql, built.explanation, super::builder::analysis(built));
        let mut messages = first_messages(&self.ctx.app, &self.question, labels, &packed.text, &hint).map_err(|e| Stop::Failed(e.to_string()))?;
        let opts = ChatOptions { temperature: Some(0.0), max_tokens: Some(800), ..Default::default() };
        let max = self.ctx.config.max_repairs;
        let mut refinements = 0;
        let mut tried: Vec<String> = Vec::new();
        let mut last = String::new();
        let mut ok = false;
        let mut model_failed = false;
        let mut attempt = 1;
        while attempt <= max + 1 {
            let t0 = self.begin(Stage::Generate, attempt)?;
            let reply = match self.cancellable(llm.chat("ask.generate", &messages, &opts)).await? {
                Ok(r) => r,
                Err(e) => {
                    self.end(Stage::Generate, attempt, t0, false, e.to_string())?;
                    self.note(format!("the model failed ({e}); the builder's query is used instead"))?;
                    last = e.to_string();
                    model_failed = true;
                    break;
                }
            };
            self.count_chat(&reply, Stage::Generate, attempt)?;
            messages.push(Message::assistant(reply.text.clone()));
            let (reason, detail, diagnosis) = match extract_logql(&reply.text) {
                None => {
                    self.end(Stage::Generate, attempt, t0, false, "no query in the reply")?;
                    (RepairReason::NoQuery, "the reply held no query".to_owned(), None)
                }
                Some(q) => {
                    let source = if attempt == 1 { CandidateSource::Model } else { CandidateSource::Repair };
                    self.emit(PipelineEvent::Candidate { attempt, source, logql: q.clone(), explanation: explanation(&reply.text) })?;
                    self.end(Stage::Generate, attempt, t0, true, "")?;
                    let plan = QueryPlan::guess(&q, self.ctx.config.line_limit);
                    tried.push(plan.logql.clone());
                    let t = self.try_plan(&plan, attempt).await?;
                    if self.take(&t) {
                        ok = true;
                        // Its shape contradicts the question: one repair, with the reason;
                        // the query is kept when the repair gives nothing better.
                        if attempt <= max && let Some(why) = super::builder::contradiction(&built.intent, &plan.logql) {
                            let kept = (self.result.clone(), self.logql.clone());
                            self.emit(PipelineEvent::Repair { attempt: attempt + 1, reason: RepairReason::Contradicts, detail: why.clone() })?;
                            self.repairs += 1;
                            messages.push(Message::user(repair_message(RepairReason::Contradicts, &why, self.ctx.backend.name(), None)));
                            attempt += 1;
                            let t0 = self.begin(Stage::Generate, attempt)?;
                            let better = match self.cancellable(llm.chat("ask.generate", &messages, &opts)).await? {
                                Ok(reply) => {
                                    self.count_chat(&reply, Stage::Generate, attempt)?;
                                    self.end(Stage::Generate, attempt, t0, true, "")?;
                                    match extract_logql(&reply.text) {
                                        Some(q2) => {
                                            self.emit(PipelineEvent::Candidate { attempt, source: CandidateSource::Repair, logql: q2.clone(), explanation: explanation(&reply.text) })?;
                                            let p2 = QueryPlan::guess(&q2, self.ctx.config.line_limit);
                                            tried.push(p2.logql.clone());
                                            let t2 = self.try_plan(&p2, attempt).await?;
                                            self.take(&t2)
                                        }
                                        None => false,
                                    }
                                }
                                Err(e) => {
                                    self.end(Stage::Generate, attempt, t0, false, e.to_string())?;
                                    false
                                }
                            };
                            if !better {
                                (self.result, self.logql) = kept;
                                self.error = None;
                                self.note("the repair gave nothing; the model's first query is kept")?;
                            }
                        }
                        break;
                    }
                    match t {
                        Tried::Failed { reason, detail, diagnosis, .. } => (reason, detail, diagnosis),
                        Tried::Data { .. } => break,
                    }
                }
            };
            last = detail.clone();
            if attempt > max {
                break;
            }
            let mut more = None;
            if diagnosis.as_ref().is_some_and(Diagnosis::context_was_wrong) && refinements < self.ctx.config.max_refinements {
                refinements += 1;
                let exclude = self.blamed(diagnosis.as_ref(), items);
                let question = self.question.clone();
                more = Some(self.retrieve(&question, &exclude, true).await?.1.text);
            }
            self.emit(PipelineEvent::Repair { attempt: attempt + 1, reason, detail: detail.clone() })?;
            self.repairs += 1;
            messages.push(Message::user(repair_message(reason, &detail, self.ctx.backend.name(), more.as_deref())));
            attempt += 1;
        }
        if !ok {
            if !model_failed {
                self.status = Status::GaveUp;
                self.note(format!("no working query after {attempt} tries; the last error: {last}"))?;
            }
            let err = last.clone();
            if !tried.contains(&built.plan.logql) {
                self.note("the builder's query is tried instead")?;
                let t = self.try_plan(&built.plan, attempt + 1).await?;
                self.take(&t);
            }
            if self.status == Status::GaveUp {
                self.error = Some(err);
            }
        }
        self.answer_query(built, Some(packed)).await
    }
}
