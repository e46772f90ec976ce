//! The loop of one scan: the range read forward page by page
//! ([`super::fetch`]), each line matched to its template and level
//! ([`super::signals`]) and put in its time window ([`super::window`]); each
//! window, once complete, sent to the model in JSON mode, its report
//! validated ([`super::report`]), its anomalies suppressed or routed
//! ([`super::suppress`], [`super::route`]). Every step is a [`ScanEvent`];
//! every wait stops on cancel. Without a model only counts and signals.

use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::context::{DEFAULT_LOKI_RANGE_NS, MAX_WINDOWS, ScanContext, ScanRequest};
use super::event::{ScanEvent, ScanStatus, ScanSummary, SkipReason, WindowReport};
use super::fetch::{Cursor, PAGE};
use super::report::{self, RawReport};
use super::route::{JsonlSink, Webhook, record, rfc3339};
use super::signals::{Classifier, WindowCounts, rank, window_text};
use super::suppress::{Suppressor, Verdict};
use super::window::WindowAcc;
use crate::analyze::chunk::{MARGIN, MIN_BUDGET};
use crate::backend::{Backend, QueryResult};
use crate::llm::prompts::{Prompt, fence};
use crate::llm::tokens::TokenCounter;
use crate::llm::{ChatOptions, LlmClient, LlmError, Message, chat_json};

/// The phase name of the usage meter.
pub const PHASE: &str = "scan";

/// Why a scan stops early.
pub(super) enum Stop {
    Cancelled,
    Failed(String),
}

pub(super) struct Run<'a> {
    ctx: &'a ScanContext,
    tx: mpsc::UnboundedSender<ScanEvent>,
    cancel: CancellationToken,
    pub summary: ScanSummary,
    suppressor: Suppressor,
    sink: Option<JsonlSink>,
    webhook: Option<Webhook>,
    /// Counts of the windows with lines, in order.
    counts: Vec<WindowCounts>,
    counter: TokenCounter,
    max_lines: usize,
    failures: usize,
    started: Instant,
}

/// The range: (start, end, origin at the first line, empty windows up to `end` count).
fn range(ctx: &ScanContext, req: &ScanRequest, now: i64) -> (i64, i64, bool, bool) {
    if let (Some(s), Some(e)) = (req.start_ns, req.end_ns) {
        return (s, e, false, true);
    }
    match &ctx.backend {
        Backend::Embedded(_) => match ctx.kb.as_ref().and_then(|k| k.span_ns()) {
            Some((a, b)) => (req.start_ns.unwrap_or(a - 1_000_000_000), req.end_ns.unwrap_or(b + 1_000_000_000), false, true),
            None => (req.start_ns.unwrap_or(0), req.end_ns.unwrap_or(now), req.start_ns.is_none(), req.end_ns.is_some()),
        },
        Backend::Loki(_) => {
            let end = req.end_ns.unwrap_or(now);
            (req.start_ns.unwrap_or(end.saturating_sub(DEFAULT_LOKI_RANGE_NS)), end, false, true)
        }
    }
}

fn selector(app: &str) -> String {
    format!("{{app=\"{}\"}}", app.replace('\\', "\\\\").replace('"', "\\\""))
}

impl<'a> Run<'a> {
    pub fn new(ctx: &'a ScanContext, req: &ScanRequest, tx: mpsc::UnboundedSender<ScanEvent>, cancel: CancellationToken) -> Self {
        let o = &ctx.options;
        let summary = ScanSummary {
            app: ctx.app.clone(),
            status: if ctx.llm.is_some() { ScanStatus::Completed } else { ScanStatus::NoModel },
            error: None,
            start_ns: 0,
            end_ns: 0,
            window_ns: req.window_ns.filter(|&w| w > 0).unwrap_or(o.window_ns),
            windows: 0,
            scanned: 0,
            skipped: 0,
            empty: 0,
            lines: 0,
            lines_sent: 0,
            sampled_windows: 0,
            cut_lines: 0,
            anomalies: Default::default(),
            suppressed: 0,
            unsupported_evidence: 0,
            webhook_sent: 0,
            webhook_failed: 0,
            requests: 0,
            tokens_in: 0,
            tokens_out: 0,
            tokens_estimated: false,
            jsonl: None,
            notes: Vec::new(),
            ms: 0,
        };
        Self {
            ctx,
            tx,
            cancel,
            summary,
            suppressor: Suppressor::new(o.suppress_ns),
            sink: None,
            webhook: None,
            counts: Vec::new(),
            counter: ctx.llm.as_ref().map_or_else(|| TokenCounter::for_model("gpt-4o-mini"), LlmClient::chat_tokens),
            max_lines: req.max_lines.filter(|&m| m > 0).unwrap_or(o.max_lines).min(5000),
            failures: 0,
            started: Instant::now(),
        }
    }

    fn emit(&mut self, e: ScanEvent) -> Result<(), Stop> {
        if let Some(s) = &mut self.sink {
            s.write(&record(&self.ctx.app, &e));
        }
        self.tx.send(e).map_err(|_| Stop::Cancelled)
    }

    fn note(&mut self, text: String) -> Result<(), Stop> {
        self.summary.notes.push(text.clone());
        self.emit(ScanEvent::Note { text })
    }

    /// Runs the scan; the summary (also sent as `Finished`).
    pub async fn run(mut self, req: &ScanRequest) -> ScanSummary {
        let r = self.scan(req).await;
        match r {
            Ok(()) => {}
            Err(Stop::Cancelled) => self.summary.status = ScanStatus::Cancelled,
            Err(Stop::Failed(e)) => {
                self.summary.status = ScanStatus::Failed;
                self.summary.error = Some(e);
            }
        }
        if !matches!(self.summary.status, ScanStatus::Cancelled)
            && let Some(kb) = self.ctx.kb.clone()
        {
            let signals = rank(&kb, &self.counts, &self.ctx.options.signals);
            let _ = self.emit(ScanEvent::Signals { signals });
        }
        if let Some(s) = &mut self.sink {
            if let Some(e) = s.error.clone() {
                self.summary.notes.push(e);
            }
        }
        self.summary.ms = self.started.elapsed().as_millis() as u64;
        let summary = self.summary.clone();
        let _ = self.emit(ScanEvent::Finished(Box::new(summary.clone())));
        if let Some(s) = &mut self.sink {
            s.sync();
        }
        summary
    }

    async fn scan(&mut self, req: &ScanRequest) -> Result<(), Stop> {
        let ctx = self.ctx;
        let window = self.summary.window_ns;
        let (start, end, align_first, trail) = range(ctx, req, crate::pipeline::context::now_ns());
        (self.summary.start_ns, self.summary.end_ns) = (start, end);
        if end <= start {
            return Err(Stop::Failed(format!("the range is empty: {} to {}", rfc3339(start), rfc3339(end))));
        }
        if !align_first && (end - start) / window >= MAX_WINDOWS {
            return Err(Stop::Failed(format!(
                "{} to {} makes more than {MAX_WINDOWS} windows of {}s: use a longer window or a shorter range",
                rfc3339(start),
                rfc3339(end),
                window / 1_000_000_000
            )));
        }
        if ctx.llm.is_some() {
            if let Some(p) = &req.jsonl {
                match JsonlSink::create(p) {
                    Ok(s) => {
                        self.summary.jsonl = Some(p.clone());
                        self.sink = Some(s);
                    }
                    Err(e) => self.note(format!("no JSONL file: {e}"))?,
                }
            }
            if let Some(w) = ctx.options.webhook.clone() {
                match Webhook::new(w) {
                    Ok(w) => self.webhook = Some(w),
                    Err(e) => self.note(format!("no webhook: {e}"))?,
                }
            }
        }
        self.emit(ScanEvent::Started {
            app: ctx.app.clone(),
            backend: ctx.backend.name().to_owned(),
            start_ns: start,
            end_ns: end,
            window_ns: window,
            max_lines: self.max_lines,
            model: ctx.llm.as_ref().map(|l| l.chat_model().to_owned()),
            jsonl: self.summary.jsonl.clone(),
        })?;
        if ctx.llm.is_none() {
            self.note(format!("{}: no anomaly reports, template signals only", crate::llm::NO_ENDPOINT))?;
        }
        if ctx.kb.is_none() {
            self.note(format!("no knowledge base for {}: no template signals (build it with `logcopilot index --app {}`)", ctx.app, ctx.app))?;
        }
        let mut classifier = Classifier::new(ctx.kb.as_deref(), ctx.dataset.as_deref());
        let mut cursor = Cursor::new(selector(&ctx.app), start, end, PAGE);
        let mut origin = (!align_first).then_some(start);
        let mut acc: Option<WindowAcc> = None;
        let mut next = 0usize;
        while let Some(r) = cursor.request() {
            let page = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Err(Stop::Cancelled),
                p = ctx.backend.query_range(&r) => p,
            };
            let streams = match page {
                Ok(QueryResult::Streams(s)) => s,
                Ok(other) => return Err(Stop::Failed(format!("the backend answered {} to a log query", other.result_type()))),
                Err(e) => return Err(Stop::Failed(format!("reading the lines of {} failed: {e}", ctx.app))),
            };
            for f in cursor.accept(streams) {
                let o = *origin.get_or_insert(f.ts - f.ts.rem_euclid(1_000_000_000));
                let Ok(idx) = usize::try_from((f.ts - o).div_euclid(window)) else { continue };
                if idx as i64 >= MAX_WINDOWS {
                    return Err(Stop::Failed(format!("more than {MAX_WINDOWS} windows: use a longer window or a shorter range")));
                }
                if acc.as_ref().is_none_or(|a| a.counts.index != idx) {
                    if let Some(done) = acc.take() {
                        self.close(done).await?;
                    }
                    self.empties(next, idx, o, window)?;
                    next = idx + 1;
                    let ws = o + idx as i64 * window;
                    acc = Some(WindowAcc::new(idx, ws, (ws + window).min(end.max(ws + 1)), self.max_lines));
                }
                let c = classifier.classify(&f.line);
                if let Some(a) = acc.as_mut() {
                    a.add(f.ts, &f.line, c);
                }
            }
        }
        if let Some(done) = acc.take() {
            self.close(done).await?;
        }
        if cursor.stepped_past > 0 {
            self.note(format!("{} timestamps held {PAGE} lines or more each: lines of them beyond {PAGE} may be unread", cursor.stepped_past))?;
        }
        if trail && let Some(o) = origin {
            let last = usize::try_from((end - 1 - o).div_euclid(window)).unwrap_or(0);
            self.empties(next, last + 1, o, window)?;
        }
        Ok(())
    }

    fn empties(&mut self, from: usize, to: usize, origin: i64, window: i64) -> Result<(), Stop> {
        for i in from..to {
            let s = origin + i as i64 * window;
            self.summary.windows += 1;
            self.summary.empty += 1;
            self.emit(ScanEvent::WindowSkipped { index: i, start_ns: s, end_ns: s + window, reason: SkipReason::Empty })?;
        }
        Ok(())
    }

    /// A complete window: counted, and reported on by the model when there is one.
    async fn close(&mut self, acc: WindowAcc) -> Result<(), Stop> {
        self.summary.windows += 1;
        self.summary.lines += acc.lines();
        let counts = acc.counts.clone();
        let r = match self.ctx.llm.clone() {
            Some(llm) => self.report(&llm, &acc).await,
            None => Ok(()),
        };
        self.counts.push(counts);
        r
    }

    async fn report(&mut self, llm: &LlmClient, acc: &WindowAcc) -> Result<(), Stop> {
        let t0 = Instant::now();
        let ctx = self.ctx;
        let o = &ctx.options;
        let c = &acc.counts;
        let prev = self.counts.last().filter(|p| p.index + 1 == c.index);
        let signals = fence(&window_text(ctx.kb.as_deref(), prev, c, &o.signals));
        let label = format!("{} to {}", rfc3339(c.start_ns), rfc3339(c.end_ns));
        let overhead = messages(ctx.service(), &label, "9999 lines; all shown", &signals, &[])
            .map(|m| self.counter.count_chat(m.iter().map(|x| x.content.as_str())))
            .unwrap_or(1000);
        // Room for two answers: the repair request resends the first one.
        let budget = o.context_tokens.saturating_sub(2 * o.answer_tokens as usize + overhead + MARGIN).max(MIN_BUDGET);
        let sel = acc.select(self.max_lines, &self.counter, budget);
        let sampled = (sel.sent.len() as u64) < c.lines;
        let mut info = if sampled {
            format!("{} lines; {} shown, a sample: the first line of each template, warnings and errors, then an even spread", c.lines, sel.sent.len())
        } else {
            format!("{} lines; all shown", c.lines)
        };
        if sel.cut > 0 {
            info.push_str(&format!("; {} long line(s) cut short", sel.cut));
        }
        self.summary.lines_sent += sel.sent.len() as u64;
        self.summary.cut_lines += sel.cut;
        self.summary.sampled_windows += usize::from(sampled);
        self.emit(ScanEvent::WindowStarted {
            index: c.index,
            start_ns: c.start_ns,
            end_ns: c.end_ns,
            lines: c.lines,
            sent: sel.sent.len(),
            sampled,
            cut_lines: sel.cut,
        })?;
        let msgs = messages(ctx.service(), &label, &info, &signals, &sel.sent).map_err(|e| Stop::Failed(e.to_string()))?;
        let opts = ChatOptions { temperature: Some(o.temperature), max_tokens: Some(o.answer_tokens), json_mode: true, ..Default::default() };
        let before = llm.usage().phase(PHASE);
        let shape = report::shape();
        let reply = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Err(Stop::Cancelled),
            r = chat_json::<RawReport>(llm, PHASE, &msgs, &opts, &shape, report::check) => r,
        };
        let after = llm.usage().phase(PHASE);
        let (tokens_in, tokens_out) = (after.tokens_in - before.tokens_in, after.tokens_out - before.tokens_out);
        self.summary.requests += after.requests - before.requests;
        self.summary.tokens_in += tokens_in;
        self.summary.tokens_out += tokens_out;
        self.summary.tokens_estimated |= after.tokens_estimated;
        let skip = |reason| ScanEvent::WindowSkipped { index: c.index, start_ns: c.start_ns, end_ns: c.end_ns, reason };
        let j = match reply {
            Ok(j) => j,
            Err(LlmError::InvalidJson { error, reply }) => {
                self.failures = 0;
                self.summary.skipped += 1;
                return self.emit(skip(SkipReason::InvalidReply { error, reply }));
            }
            Err(e) => {
                self.failures += 1;
                self.summary.skipped += 1;
                self.emit(skip(SkipReason::ModelFailed { error: e.to_string() }))?;
                if self.failures >= o.max_model_failures {
                    return Err(Stop::Failed(format!("the model failed on {} windows in a row, the last time: {e}", self.failures)));
                }
                return Ok(());
            }
        };
        self.failures = 0;
        let originals: Vec<&str> = sel.originals.iter().map(String::as_str).collect();
        let (health, anomalies) = report::validate(j.value, &originals);
        self.summary.scanned += 1;
        let report = WindowReport {
            index: c.index,
            start_ns: c.start_ns,
            end_ns: c.end_ns,
            health,
            anomalies,
            lines: c.lines,
            sent: sel.sent.len(),
            sampled,
            cut_lines: sel.cut,
            repaired: j.repaired,
            tokens_in,
            tokens_out,
            ms: t0.elapsed().as_millis() as u64,
        };
        let anomalies = report.anomalies.clone();
        self.emit(ScanEvent::WindowDone { report })?;
        for a in anomalies {
            self.route(c, a).await?;
        }
        Ok(())
    }

    async fn route(&mut self, c: &WindowCounts, a: report::Anomaly) -> Result<(), Stop> {
        self.summary.unsupported_evidence += a.unsupported() as u64;
        match self.suppressor.check(&a.kind, a.severity, c.start_ns) {
            Verdict::Suppressed { since_ns } => {
                self.summary.suppressed += 1;
                self.emit(ScanEvent::Suppressed { window: c.index, start_ns: c.start_ns, kind: a.kind, severity: a.severity, since_ns })
            }
            Verdict::Report => {
                *self.summary.anomalies.entry(a.severity).or_default() += 1;
                let (kind, severity) = (a.kind.clone(), a.severity);
                let e = ScanEvent::Anomaly { window: c.index, start_ns: c.start_ns, end_ns: c.end_ns, anomaly: a };
                let body = record(&self.ctx.app, &e).into_iter().next();
                self.emit(e)?;
                let Some(hook) = self.webhook.clone().filter(|w| w.wants(severity)) else { return Ok(()) };
                let Some(body) = body else { return Ok(()) };
                match hook.send(&body, &self.cancel).await {
                    Ok(()) => self.summary.webhook_sent += 1,
                    Err(_) if self.cancel.is_cancelled() => return Err(Stop::Cancelled),
                    Err(error) => {
                        self.summary.webhook_failed += 1;
                        self.emit(ScanEvent::WebhookFailed { window: c.index, kind, error })?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// The messages of one window; `signals` is already fenced.
fn messages(service: &str, window: &str, lines_info: &str, signals: &str, lines: &[String]) -> Result<Vec<Message>, crate::llm::prompts::PromptError> {
    let vars = [
        ("service", service.to_owned()),
        ("window", window.to_owned()),
        ("lines_info", lines_info.to_owned()),
        ("signals", signals.to_owned()),
        ("lines", fence(&lines.join("\n"))),
    ];
    Prompt::get("scan_window")?.render(&vars)
}
