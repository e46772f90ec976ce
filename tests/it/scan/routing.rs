//! Suppression across windows, the webhook (only the configured severities;
//! a failing one does not stop the scan), the JSONL file, no model (template
//! signals only), cancel, Loki as the backend, and the whole OpenSSH sample.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use logcopilot::backend::Backend;
use logcopilot::backend::embedded::Engine;
use logcopilot::backend::{Direction, RangeRequest};
use logcopilot::config::{LokiConfig, RedactionMode};
use logcopilot::loki::LokiClient;
use logcopilot::scan::route::WebhookConfig;
use logcopilot::scan::{ScanContext, ScanEvent, ScanOptions, ScanRequest, ScanStatus, Severity, SignalKind, start};
use serde_json::{Value, json};

use super::{FIRST, T0, anomaly, ctx, run, scan_requests, windows};
use crate::common::datasets;
use crate::llm::server::{MockLlm, Reply, Route};
use crate::loki_server::{self, LokiServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_type_is_suppressed_across_windows() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Text(anomaly("high", "brute_force_login", &[FIRST])));
    s.push(Route::Chat, Reply::Text(anomaly("high", "Brute-force login", &[])));
    let (sum, ev) = run(ctx(Some(s.client(RedactionMode::Off)), ScanOptions::default()), windows(2)).await;
    let reported: Vec<usize> = ev.iter().filter_map(|e| if let ScanEvent::Anomaly { window, .. } = e { Some(*window) } else { None }).collect();
    let suppressed: Vec<(usize, i64)> =
        ev.iter().filter_map(|e| if let ScanEvent::Suppressed { window, since_ns, .. } = e { Some((*window, *since_ns)) } else { None }).collect();
    assert_eq!(reported, vec![0]);
    assert_eq!(suppressed, vec![(1, T0)]);
    assert_eq!((sum.anomalies.get(&Severity::High).copied(), sum.suppressed), (Some(1), 1));
    // With suppression off, both are reported.
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Text(anomaly("high", "brute_force_login", &[FIRST])));
    s.push(Route::Chat, Reply::Text(anomaly("high", "brute_force_login", &[])));
    let o = ScanOptions { suppress_ns: 0, ..Default::default() };
    let (sum, _) = run(ctx(Some(s.client(RedactionMode::Off)), o), windows(2)).await;
    assert_eq!((sum.anomalies_total(), sum.suppressed), (2, 0));
}

/// A webhook receiver on 127.0.0.1: the bodies it got.
async fn receiver(status: u16) -> (String, Arc<Mutex<Vec<Value>>>) {
    receiver_seq(&[status]).await
}

/// A receiver answering the statuses in turn (the last one from then on).
async fn receiver_seq(statuses: &[u16]) -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let statuses = statuses.to_vec();
    let app = Router::new()
        .route(
            "/hook",
            post(move |State(g): State<Arc<Mutex<Vec<Value>>>>, body: axum::Json<Value>| async move {
                let mut g = g.lock().unwrap();
                g.push(body.0);
                let status = statuses[(g.len() - 1).min(statuses.len() - 1)];
                axum::http::StatusCode::from_u16(status).unwrap()
            }),
        )
        .with_state(got.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (format!("http://{addr}/hook"), got)
}

fn hooked(url: &str) -> ScanOptions {
    let webhook = WebhookConfig { url: url.into(), severities: vec![Severity::High, Severity::Critical], timeout: Duration::from_secs(2), retries: 2 };
    ScanOptions { webhook: Some(webhook), ..Default::default() }
}

fn two_anomalies() -> String {
    json!({"anomalies": [
        {"severity": "low", "type": "reverse_dns", "summary": "a PTR lookup failed", "evidence": [FIRST], "recommended_action": "none"},
        {"severity": "high", "type": "break_in_attempt", "summary": "possible break-in", "evidence": [FIRST], "recommended_action": "block 173.234.31.186"}
    ], "window_health": "degraded"})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_gets_only_the_configured_severities() {
    let (url, got) = receiver(200).await;
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Text(two_anomalies()));
    let (sum, ev) = run(ctx(Some(s.client(RedactionMode::Off)), hooked(&url)), windows(1)).await;
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0]["severity"].as_str(), got[0]["type"].as_str()), (Some("high"), Some("break_in_attempt")));
    assert_eq!(got[0]["app"], "openssh");
    assert_eq!(got[0]["evidence"][0]["line"], FIRST);
    assert_eq!(got[0]["time"]["start"], "2015-12-10T06:55:00Z");
    assert_eq!((sum.webhook_sent, sum.webhook_failed), (1, 0));
    // Both go to the screen.
    assert_eq!(ev.iter().filter(|e| matches!(e, ScanEvent::Anomaly { .. })).count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_webhook_is_reported_and_the_scan_goes_on() {
    let (url, got) = receiver(500).await;
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Text(two_anomalies()));
    s.push(Route::Chat, Reply::Text(anomaly("critical", "outage", &[])));
    let (sum, ev) = run(ctx(Some(s.client(RedactionMode::Off)), hooked(&url)), windows(2)).await;
    assert_eq!(sum.status, ScanStatus::Completed);
    let failed: Vec<String> = ev.iter().filter_map(|e| if let ScanEvent::WebhookFailed { error, .. } = e { Some(error.clone()) } else { None }).collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed[0].contains("HTTP 500") && failed[0].contains("(3 tries)"), "{}", failed[0]);
    assert_eq!((got.lock().unwrap().len(), sum.webhook_failed, sum.scanned), (6, 2, 2), "3 tries a window");
    // Nobody listening: a refused connection, reported.
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Text(two_anomalies()));
    let (sum, ev) = run(ctx(Some(s.client(RedactionMode::Off)), hooked("http://127.0.0.1:9/hook")), windows(1)).await;
    assert_eq!((sum.status, sum.webhook_failed), (ScanStatus::Completed, 1));
    assert!(ev.iter().any(|e| matches!(e, ScanEvent::WebhookFailed { error, .. } if error.contains("cannot reach"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_fails_for_a_moment_gets_the_anomaly_on_a_later_try() {
    let (url, got) = receiver_seq(&[503, 429, 200]).await;
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Text(two_anomalies()));
    let (sum, _) = run(ctx(Some(s.client(RedactionMode::Off)), hooked(&url)), windows(1)).await;
    assert_eq!((sum.webhook_sent, sum.webhook_failed), (1, 0));
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "two failures, then the one that passed");
    assert!(got.iter().all(|b| b == &got[0]), "the same body each time");
    // A refusal of the body itself (400) is not tried again.
    let (url, got) = receiver(400).await;
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Text(two_anomalies()));
    let (sum, _) = run(ctx(Some(s.client(RedactionMode::Off)), hooked(&url)), windows(1)).await;
    assert_eq!((sum.webhook_failed, got.lock().unwrap().len()), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_appended_to_the_jsonl_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results/openssh/scan-test.jsonl");
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Text(two_anomalies()));
    let req = ScanRequest { jsonl: Some(path.clone()), ..windows(3) };
    let (sum, _) = run(ctx(Some(s.client(RedactionMode::Off)), ScanOptions::default()), req).await;
    assert_eq!(sum.jsonl.as_deref(), Some(path.as_path()));
    let text = std::fs::read_to_string(&path).unwrap();
    let recs: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = recs.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "window").count(), 3);
    assert_eq!(kinds.iter().filter(|k| **k == "anomaly").count(), 2);
    assert!(kinds.contains(&"signal"));
    assert_eq!(kinds.last(), Some(&"summary"));
    let last = recs.last().unwrap();
    assert_eq!((last["scanned"].as_u64(), last["anomalies"]["high"].as_u64()), (Some(3), Some(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_the_template_signals_still_come() {
    let (sum, ev) = run(ctx(None, ScanOptions::default()), ScanRequest::default()).await;
    assert_eq!(sum.status, ScanStatus::NoModel);
    assert!(sum.notes.iter().any(|n| n.contains("no LLM endpoint configured")), "{:?}", sum.notes);
    assert!(!ev.iter().any(|e| matches!(e, ScanEvent::WindowStarted { .. })));
    let signals = ev.iter().find_map(|e| if let ScanEvent::Signals { signals } = e { Some(signals.clone()) } else { None }).unwrap();
    assert!(signals.len() >= 10, "{signals:?}");
    // Jumps (a burst of failed passwords) and warning/error templates, ranked.
    assert!(signals.iter().any(|s| s.template_id == "E9" && matches!(s.kind, SignalKind::Jump { .. })), "{signals:#?}");
    assert!(signals.iter().any(|s| s.template_id == "E27" && matches!(&s.kind, SignalKind::Level { level, .. } if level == "warn")));
    assert!(signals.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!((sum.lines, sum.windows), (2000, 50));
    let (only, _) = logcopilot::scan::template_signals(&ctx(None, ScanOptions::default()), ScanRequest::default()).await;
    assert_eq!(only, signals);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_window_in_flight() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Slow(Duration::from_secs(30), Box::new(Reply::Normal)));
    let mut h = start(ctx(Some(s.client(RedactionMode::Off)), ScanOptions::default()), windows(3));
    let t = Instant::now();
    let mut status = None;
    while let Some(e) = tokio::time::timeout(Duration::from_secs(20), h.next()).await.unwrap() {
        match e {
            ScanEvent::WindowStarted { .. } => h.cancel(),
            ScanEvent::Finished(s) => {
                status = Some(s.status);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(status, Some(ScanStatus::Cancelled));
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_reads_from_loki_page_by_page() {
    // A Loki stand-in answering from the embedded engine, 1000 lines a page.
    let loki = LokiServer::start().await;
    let engine = Arc::new(Engine::open(&datasets(), Some(&["openssh".to_string()])).unwrap());
    let e = engine.clone();
    loki.script(move |r| {
        if !r.path.ends_with("/query_range") {
            return None;
        }
        let req = RangeRequest {
            query: r.param("query")?.to_owned(),
            start_ns: r.time_param("start")?,
            end_ns: r.time_param("end")?,
            step_ns: None,
            limit: r.param("limit")?.parse().ok()?,
            direction: if r.param("direction") == Some("forward") { Direction::Forward } else { Direction::Backward },
        };
        let res = e.query_range(&req).ok()?;
        Some(loki_server::Reply::data(json!({"resultType": res.result_type(), "result": res.result_json()})))
    });
    let client = LokiClient::new(&LokiConfig { base_url: Some(loki.url.clone()), ..Default::default() }).unwrap();
    let s = MockLlm::start().await;
    let base = ctx(Some(s.client(RedactionMode::Off)), ScanOptions::default());
    let c = Arc::new(ScanContext { backend: Backend::Loki(client), ..(*base).clone() });
    // 07:25 to 07:45: 84, 22 lines, then 1 and 6.
    let req = ScanRequest { start_ns: Some(T0 + 30 * super::MIN), end_ns: Some(T0 + 50 * super::MIN), ..Default::default() };
    let (sum, _) = run(c, req).await;
    assert_eq!(sum.status, ScanStatus::Completed, "{sum:?}");
    assert_eq!(sum.lines, 113);
    assert_eq!((sum.windows, sum.scanned), (4, 4));
    assert!(loki.count("/query_range") >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_openssh_sample_with_the_mock() {
    let s = MockLlm::start().await;
    let t = Instant::now();
    let (sum, _) = run(ctx(Some(s.client(RedactionMode::Off)), ScanOptions::default()), ScanRequest::default()).await;
    let ms = t.elapsed().as_millis();
    eprintln!(
        "openssh, 5m windows: {} windows ({} scanned, {} empty, {} sampled), {} lines, {} sent, {} requests, {} tokens in (server counts), {ms} ms",
        sum.windows, sum.scanned, sum.empty, sum.sampled_windows, sum.lines, sum.lines_sent, sum.requests, sum.tokens_in
    );
    assert_eq!(sum.status, ScanStatus::Completed);
    assert_eq!((sum.windows, sum.scanned + sum.empty, sum.lines), (50, 50, 2000));
    assert_eq!(sum.requests as usize, sum.scanned);
    assert_eq!(scan_requests(&s).len(), sum.scanned);
    // Busy windows (450+ lines) were sampled down to 200 lines.
    assert!(sum.sampled_windows >= 2 && sum.lines_sent < 2000, "{sum:?}");
}
