//! Window reports: evidence checked against the window, an invalid reply
//! repaired, prose skipped (the scan goes on), a window with no anomalies,
//! empty windows without model calls, a window of one 5 MB line.

use logcopilot::config::RedactionMode;
use logcopilot::scan::{Health, ScanEvent, ScanOptions, ScanStatus, Severity, SkipReason};

use super::{FIRST, anomaly, ctx, ctx_over, run, scan_requests, window_label, windows};
use crate::llm::server::{MockLlm, Reply, Route};

fn reports(ev: &[ScanEvent]) -> Vec<&logcopilot::scan::WindowReport> {
    ev.iter().filter_map(|e| if let ScanEvent::WindowDone { report } = e { Some(report) } else { None }).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invented_evidence_is_flagged_unsupported() {
    let s = MockLlm::start().await;
    let invented = "Dec 10 06:55:47 LabSZ sshd[24200]: Accepted password for root from 173.234.31.186 port 22 ssh2";
    s.push(Route::Chat, Reply::Text(anomaly("high", "break_in_attempt", &[FIRST, invented])));
    let (sum, ev) = run(ctx(Some(s.client(RedactionMode::Off)), ScanOptions::default()), windows(1)).await;
    assert_eq!(sum.status, ScanStatus::Completed, "{sum:?}");
    let r = reports(&ev);
    assert_eq!(r.len(), 1);
    let a = &r[0].anomalies[0];
    assert_eq!((a.severity, a.kind.as_str(), r[0].health), (Severity::High, "break_in_attempt", Health::Degraded));
    assert_eq!(a.evidence.iter().map(|e| e.unsupported).collect::<Vec<_>>(), vec![false, true]);
    assert_eq!(sum.unsupported_evidence, 1);
    assert_eq!(sum.anomalies.get(&Severity::High), Some(&1));
    // The request: JSON mode at the configured temperature, the service's
    // description, the window, the template signals and the lines fenced as data.
    let req = &scan_requests(&s)[0];
    assert_eq!(req["response_format"]["type"], "json_object");
    assert!((req["temperature"].as_f64().unwrap() - 0.1).abs() < 1e-6, "{}", req["temperature"]);
    let system = req["messages"][0]["content"].as_str().unwrap();
    let user = req["messages"][1]["content"].as_str().unwrap();
    assert!(system.contains("OpenSSH's sshd on an Internet-facing lab server"), "{system}");
    assert!(user.contains(&window_label(0)), "{user}");
    assert!(user.contains("Busiest templates") && user.contains("E27"), "{user}");
    assert!(user.contains("<<<DATA_") && user.contains(FIRST), "{user}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_json_then_valid_takes_two_requests() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Text("{\"anomalies\": [{\"severity\": \"high\",".into()));
    s.push(Route::Chat, Reply::Text(anomaly("medium", "scanning", &[FIRST])));
    let (sum, ev) = run(ctx(Some(s.client(RedactionMode::Off)), ScanOptions::default()), windows(1)).await;
    let reqs = scan_requests(&s);
    assert_eq!(reqs.len(), 2, "the first reply and one repair");
    let repair = reqs[1]["messages"].as_array().unwrap();
    assert_eq!(repair.len(), 4);
    assert!(repair[3]["content"].as_str().unwrap().contains("could not be used"), "{}", repair[3]);
    let r = reports(&ev);
    assert_eq!(r.len(), 1);
    assert!(r[0].repaired);
    assert_eq!(r[0].anomalies[0].severity, Severity::Medium);
    assert_eq!((sum.scanned, sum.skipped, sum.requests), (1, 0, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prose_twice_skips_the_window_and_the_scan_goes_on() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Text("Everything looks fine in this window.".into()));
    s.push(Route::Chat, Reply::Text("As I said, it is fine.".into()));
    let (sum, ev) = run(ctx(Some(s.client(RedactionMode::Off)), ScanOptions::default()), windows(2)).await;
    assert_eq!(sum.status, ScanStatus::Completed);
    let skipped: Vec<&SkipReason> =
        ev.iter().filter_map(|e| if let ScanEvent::WindowSkipped { index: 0, reason, .. } = e { Some(reason) } else { None }).collect();
    match skipped.as_slice() {
        [SkipReason::InvalidReply { error, reply }] => {
            assert!(error.contains("not JSON"), "{error}");
            assert!(reply.contains("it is fine"), "{reply}");
        }
        other => panic!("{other:?}"),
    }
    let r = reports(&ev);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].index, 1, "the next window is reported");
    assert_eq!((sum.scanned, sum.skipped, scan_requests(&s).len()), (1, 1, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_with_no_anomalies() {
    let s = MockLlm::start().await;
    let (sum, ev) = run(ctx(Some(s.client(RedactionMode::Off)), ScanOptions::default()), windows(1)).await;
    let r = reports(&ev);
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].health, r[0].anomalies.len()), (Health::Normal, 0));
    assert!(r[0].lines > 0 && r[0].sent as u64 == r[0].lines && !r[0].sampled);
    assert!(!ev.iter().any(|e| matches!(e, ScanEvent::Anomaly { .. } | ScanEvent::Suppressed { .. })));
    assert_eq!(sum.anomalies_total(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_windows_are_counted_without_a_model_call() {
    let s = MockLlm::start().await;
    // 06:55 to 07:25: lines in the first four windows, none from 07:15 to 07:25.
    let (sum, ev) = run(ctx(Some(s.client(RedactionMode::Off)), ScanOptions::default()), windows(6)).await;
    let empty: Vec<usize> = ev
        .iter()
        .filter_map(|e| if let ScanEvent::WindowSkipped { index, reason: SkipReason::Empty, .. } = e { Some(*index) } else { None })
        .collect();
    assert_eq!(empty, vec![4, 5]);
    assert_eq!((sum.windows, sum.scanned, sum.empty, sum.skipped), (6, 4, 2, 0));
    assert_eq!(scan_requests(&s).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_of_one_5mb_line_is_cut_to_the_budget() {
    let s = MockLlm::start().await;
    let mut log = b"Dec 10 06:55:46 LabSZ sshd[24200]: Received disconnect from 1.2.3.4: ".to_vec();
    log.extend(b"payload ".repeat(650_000));
    log.extend(b"\nDec 10 07:01:00 LabSZ sshd[24201]: Invalid user admin from 1.2.3.4\n");
    assert!(log.len() > 5_000_000);
    let (sum, ev) = run(ctx_over(Some(s.client(RedactionMode::Off)), log), windows(2)).await;
    assert_eq!(sum.status, ScanStatus::Completed, "{sum:?}");
    let started: Vec<(usize, usize, usize)> = ev
        .iter()
        .filter_map(|e| if let ScanEvent::WindowStarted { index, sent, cut_lines, .. } = e { Some((*index, *sent, *cut_lines)) } else { None })
        .collect();
    assert_eq!(started, vec![(0, 1, 1), (1, 1, 0)]);
    assert_eq!((sum.scanned, sum.cut_lines), (2, 1));
    let user = scan_requests(&s)[0]["messages"][1]["content"].as_str().unwrap().to_owned();
    assert!(user.contains("1 long line(s) cut short"), "said in the prompt");
    // Under the context (8192 tokens): a few thousand tokens of the line, not 5 MB.
    assert!(user.len() > 5_000 && user.len() < 60_000, "{}", user.len());
    assert!(ev.iter().any(|e| matches!(e, ScanEvent::Note { text } if text.contains("no knowledge base"))));
}
