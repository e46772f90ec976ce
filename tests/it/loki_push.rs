//! The push loader against a recording Loki: batching, gzip, retries,
//! failing half-way and resuming (every entry exactly once), cancellation,
//! and Loki's refusals of old or out-of-order samples.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use logcopilot::backend::BackendError;
use logcopilot::logql::value::{Entry, Labels, Stream};
use logcopilot::loki::{PushError, PushOptions, PushProgress, Rejection, push_all};
use serde_json::{Value, json};

use crate::loki_client::{client_for, labels};
use crate::loki_server::{LokiServer, Reply};

/// The first `n` lines of the HDFS sample as `(labels, entry)`, file order.
fn hdfs_entries(n: usize) -> Vec<(Labels, Entry)> {
    let text = std::fs::read_to_string(crate::common::datasets().join("hdfs/HDFS_2k.log")).unwrap();
    text.lines()
        .take(n)
        .enumerate()
        .map(|(i, line)| {
            let level = line.split_whitespace().nth(3).unwrap_or("INFO");
            let labels = labels(&[("app", "hdfs"), ("level", level)]);
            (
                labels,
                Entry {
                    ts: 1_226_260_800_000_000_000 + i as i64 * 1_000_000,
                    line: line.trim_end().to_string(),
                },
            )
        })
        .collect()
}

/// Every entry in the push bodies the server accepted (2xx).
fn pushed_entries(
    server: &LokiServer,
    accepted: &dyn Fn(usize) -> bool,
) -> Vec<(Labels, i64, String)> {
    let mut out = Vec::new();
    for (i, r) in server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/push"))
        .enumerate()
    {
        if !accepted(i) {
            continue;
        }
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        for s in body["streams"].as_array().unwrap() {
            let l: Labels = serde_json::from_value(s["stream"].clone()).unwrap();
            for v in s["values"].as_array().unwrap() {
                out.push((
                    l.clone(),
                    v[0].as_str().unwrap().parse().unwrap(),
                    v[1].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

fn as_expected(entries: &[(Labels, Entry)]) -> Vec<(Labels, i64, String)> {
    entries
        .iter()
        .map(|(l, e)| (l.clone(), e.ts, e.line.clone()))
        .collect()
}

fn state_pushed(path: &Path) -> u64 {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["pushed"].as_u64().unwrap()
}

#[tokio::test]
async fn push_batches_fail_half_way_and_resume_pushing_each_entry_once() {
    let server = LokiServer::start().await;
    let pushes = Arc::new(AtomicUsize::new(0));
    let p = pushes.clone();
    // The 4th push fails (500, no retries left).
    server.script(move |r| {
        r.path.ends_with("/push").then(|| {
            if p.fetch_add(1, Ordering::SeqCst) == 3 {
                Reply::text(500, "ingester unavailable")
            } else {
                Reply::text(204, "")
            }
        })
    });
    let client = client_for(&server.url, 0);
    let entries = hdfs_entries(2000);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("hdfs.push.json");
    let opts = PushOptions {
        max_batch_entries: 300,
        fingerprint: 0xfeed_beef_0123_4567,
        ..PushOptions::default()
    };
    let cancel = AtomicBool::new(false);

    let mut progress: Vec<PushProgress> = Vec::new();
    let e = push_all(
        &client,
        entries.clone(),
        &opts,
        &state,
        |p| progress.push(p),
        &cancel,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            &e,
            PushError::Backend {
                pushed: 900,
                source: BackendError::Server { status: 500, .. }
            }
        ),
        "{e:?}"
    );
    assert_eq!(state_pushed(&state), 900);
    assert_eq!(progress.last().unwrap().done, 900);
    assert!(
        progress
            .windows(2)
            .all(|w| w[0].done < w[1].done && w[0].bytes < w[1].bytes)
    );

    // Each batch groups its entries into streams (one per level).
    let first: Value = serde_json::from_slice(&server.requests()[0].body).unwrap();
    let streams = first["streams"].as_array().unwrap();
    assert!(
        streams.len() >= 2 && streams.len() <= 3,
        "{}",
        streams.len()
    );
    assert_eq!(
        streams
            .iter()
            .map(|s| s["values"].as_array().unwrap().len())
            .sum::<usize>(),
        300
    );

    let mut progress: Vec<PushProgress> = Vec::new();
    let summary = push_all(
        &client,
        entries.clone(),
        &opts,
        &state,
        |p| progress.push(p),
        &cancel,
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.skipped, summary.pushed, summary.batches),
        (900, 1100, 4)
    );
    assert_eq!(progress[0].skipped, 900);
    assert_eq!(progress.last().unwrap().done, 2000);
    assert_eq!(state_pushed(&state), 2000);

    let mut got = pushed_entries(&server, &|i| i != 3);
    let mut want = as_expected(&entries);
    got.sort();
    want.sort();
    assert_eq!(got.len(), 2000, "every entry exactly once overall");
    assert_eq!(got, want);

    // A third run pushes nothing; a different input (fingerprint) starts over.
    let before = server.count("/push");
    let summary = push_all(&client, entries.clone(), &opts, &state, |_| {}, &cancel)
        .await
        .unwrap();
    assert_eq!((summary.pushed, summary.skipped), (0, 2000));
    assert_eq!(server.count("/push"), before);
    let other = PushOptions {
        fingerprint: 1,
        ..opts.clone()
    };
    let summary = push_all(
        &client,
        entries.iter().take(10).cloned(),
        &other,
        &state,
        |_| {},
        &cancel,
    )
    .await
    .unwrap();
    assert_eq!((summary.pushed, summary.skipped), (10, 0));
}

#[tokio::test]
async fn push_retries_gzips_and_cancels_between_batches() {
    let server = LokiServer::start().await;
    let pushes = Arc::new(AtomicUsize::new(0));
    let p = pushes.clone();
    server.script(move |r| {
        r.path.ends_with("/push").then(|| {
            if p.fetch_add(1, Ordering::SeqCst) == 1 {
                Reply::text(503, "try later")
            } else {
                Reply::text(204, "")
            }
        })
    });
    let client = client_for(&server.url, 2);
    let entries = hdfs_entries(500);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let opts = PushOptions {
        max_batch_entries: 100,
        gzip: true,
        fingerprint: 7,
        ..PushOptions::default()
    };

    // Cancelled after the second batch: the state file holds 200.
    let cancel = AtomicBool::new(false);
    let e = push_all(
        &client,
        entries.clone(),
        &opts,
        &state,
        |p| {
            if p.done >= 200 {
                cancel.store(true, Ordering::SeqCst);
            }
        },
        &cancel,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, PushError::Cancelled { pushed: 200 }), "{e:?}");
    assert_eq!(state_pushed(&state), 200);

    let cancel = AtomicBool::new(false);
    let summary = push_all(&client, entries.clone(), &opts, &state, |_| {}, &cancel)
        .await
        .unwrap();
    assert_eq!(summary.pushed, 300);
    let seen = server.requests();
    assert!(
        seen.iter()
            .all(|r| r.header("content-encoding") == Some("gzip"))
    );
    assert!(
        seen.iter()
            .all(|r| r.header("content-type") == Some("application/json"))
    );
    // Push #2 got a 503 and was retried: 5 batches, 6 requests.
    assert_eq!(seen.len(), 6);
    let mut got = pushed_entries(&server, &|i| i != 1);
    let mut want = as_expected(&entries);
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn old_samples_rejection_names_the_loki_limits() {
    let server = LokiServer::start().await;
    server.script(|r| {
        r.path.ends_with("/push").then(|| {
            Reply::text(
                400,
                "entry for stream '{app=\"hdfs\", level=\"INFO\"}' has timestamp too old: 2008-11-09T20:35:32Z, oldest acceptable timestamp is: 2025-11-13T22:00:00Z",
            )
        })
    });
    let client = client_for(&server.url, 3);
    let dir = tempfile::tempdir().unwrap();
    let cancel = AtomicBool::new(false);
    let e = push_all(
        &client,
        hdfs_entries(10),
        &PushOptions::default(),
        &dir.path().join("s.json"),
        |_| {},
        &cancel,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            PushError::Rejected {
                pushed: 0,
                kind: Rejection::TooOld,
                ..
            }
        ),
        "{e:?}"
    );
    let text = e.to_string();
    for needle in [
        "timestamp too old",
        "limits_config.reject_old_samples: false",
        "reject_old_samples_max_age",
        "max_query_lookback: 0",
        "max_query_length: 0",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in: {text}");
    }
    assert_eq!(server.count("/push"), 1, "a 400 is not retried");
    assert_eq!(
        state_pushed(&dir.path().join("s.json")),
        0,
        "nothing acknowledged"
    );

    // A state file that cannot be written fails before anything is pushed.
    let e = push_all(
        &client,
        hdfs_entries(3),
        &PushOptions::default(),
        &dir.path().join("no/such/dir/s.json"),
        |_| {},
        &cancel,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, PushError::State { path, .. } if path.ends_with("no/such/dir/s.json")),
        "{e:?}"
    );
    assert_eq!(server.count("/push"), 1);

    let server = LokiServer::start().await;
    server.script(|r| {
        r.path.ends_with("/push").then(|| {
            Reply::text(400, "entry with timestamp 2015-12-10 06:55:46 +0000 UTC ignored, reason: 'entry out of order' for stream: {app=\"openssh\"}")
        })
    });
    let client = client_for(&server.url, 0);
    let e = push_all(
        &client,
        hdfs_entries(3),
        &PushOptions::default(),
        &dir.path().join("t.json"),
        |_| {},
        &cancel,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            PushError::Rejected {
                kind: Rejection::OutOfOrder,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("unordered_writes: true"), "{e}");
}

#[tokio::test]
async fn push_sends_lokis_json() {
    let server = LokiServer::start().await;
    server.script(|r| r.path.ends_with("/push").then(|| Reply::text(204, "")));
    let client = client_for(&server.url, 0);
    let stream = Stream {
        labels: labels(&[("app", "openssh")]),
        entries: vec![Entry {
            ts: 1_449_730_800_000_000_000,
            line: "Dec 10 06:55:46 LabSZ sshd[24200]: x".into(),
        }],
    };
    client.push(&[stream]).await.unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/loki/api/v1/push");
    assert!(r.header("content-encoding").is_none());
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body,
        json!({"streams": [{"stream": {"app": "openssh"}, "values": [["1449730800000000000", "Dec 10 06:55:46 LabSZ sshd[24200]: x"]]}]})
    );
}
