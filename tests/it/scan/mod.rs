//! `scan` against the scripted local LLM server (`crate::llm::server`) and
//! the embedded engine on the OpenSSH sample: the reports and their
//! validation (`reports`), suppression, routing to a JSONL file and a
//! webhook, no model, cancel and a whole-sample scan (`routing`).

mod reports;
mod routing;

use std::sync::Arc;

use logcopilot::backend::Backend;
use logcopilot::backend::embedded::{Engine, Input, Source};
use logcopilot::llm::LlmClient;
use logcopilot::scan::{ScanContext, ScanEvent, ScanOptions, ScanRequest, ScanSummary, scan};
use logcopilot::scan::route::rfc3339;
use serde_json::{Value, json};

use crate::common::datasets;
use crate::llm::server::{MockLlm, Route};
use crate::pipeline::builder::knowledge_base;

/// 2015-12-10T06:55:00Z: the OpenSSH sample starts at 06:55:46.
pub const T0: i64 = 1_449_730_500_000_000_000;
pub const MIN: i64 = 60_000_000_000;
/// The first line of the sample (in the first 5-minute window).
pub const FIRST: &str = "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!";

/// OpenSSH on the embedded engine, with its knowledge base (indexed here).
pub fn ctx(llm: Option<LlmClient>, options: ScanOptions) -> Arc<ScanContext> {
    let (ds, kb) = knowledge_base("openssh");
    let engine = Backend::Embedded(Arc::new(Engine::open(&datasets(), Some(&["openssh".to_string()])).unwrap()));
    Arc::new(ScanContext { app: "openssh".into(), backend: engine, llm, dataset: Some(Arc::new(ds)), kb: Some(Arc::new(kb)), options })
}

/// OpenSSH's dataset over `log` instead of its sample (no knowledge base).
pub fn ctx_over(llm: Option<LlmClient>, log: Vec<u8>) -> Arc<ScanContext> {
    let (ds, _) = knowledge_base("openssh");
    let engine = Engine::new(vec![Source { dataset: ds.clone(), input: Input::Memory(log.into()) }]);
    Arc::new(ScanContext {
        app: "openssh".into(),
        backend: Backend::Embedded(Arc::new(engine)),
        llm,
        dataset: Some(Arc::new(ds)),
        kb: None,
        options: ScanOptions::default(),
    })
}

/// `n` 5-minute windows from 06:55.
pub fn windows(n: i64) -> ScanRequest {
    ScanRequest { start_ns: Some(T0), end_ns: Some(T0 + n * 5 * MIN), ..Default::default() }
}

pub async fn run(c: Arc<ScanContext>, req: ScanRequest) -> (ScanSummary, Vec<ScanEvent>) {
    let mut events = Vec::new();
    let s = tokio::time::timeout(std::time::Duration::from_secs(60), scan(c, req, |e| events.push(e.clone())))
        .await
        .expect("the scan ends")
        .expect("a summary");
    (s, events)
}

/// A report of one anomaly.
pub fn anomaly(severity: &str, kind: &str, evidence: &[&str]) -> String {
    json!({"anomalies": [{"severity": severity, "type": kind, "summary": format!("{kind} seen"),
        "evidence": evidence, "recommended_action": "look into it"}], "window_health": "degraded"})
    .to_string()
}

/// The scan requests the server got, in order.
pub fn scan_requests(s: &MockLlm) -> Vec<Value> {
    s.requests().into_iter().filter(|r| r.route == Route::Chat).map(|r| r.body).collect()
}

pub fn window_label(i: i64) -> String {
    format!("Window: {} to {}", rfc3339(T0 + i * 5 * MIN), rfc3339(T0 + (i + 1) * 5 * MIN))
}
