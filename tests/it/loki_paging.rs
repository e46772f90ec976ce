//! The Loki client's long queries: metric ranges split into pieces and
//! merged, log queries paged to their limit without duplicates.

use std::collections::BTreeMap;
use std::time::Duration;

use logcopilot::backend::{Direction, RangeRequest};
use logcopilot::config::LokiConfig;
use logcopilot::logql::value::QueryResult;
use logcopilot::loki::LokiClient;
use serde_json::{Value, json};

use crate::loki_client::{client_for, config, fast, labels};
use crate::loki_server::{LokiServer, Reply, Request};

const S: i64 = 1_000_000_000;

/// Serves `count_over_time(...)` range queries over a synthetic grid: series
/// `{s="a"}` at every step with value = seconds, `{s="b"}` at even seconds.
/// Each piece also repeats the point one step before its start (as a server
/// aligning differently would), which the merge must drop.
fn grid_matrix(req: &Request, overall_start: i64) -> Reply {
    let (start, end, step) = (
        req.time_param("start").unwrap(),
        req.time_param("end").unwrap(),
        req.step_ns().unwrap(),
    );
    let first = if start - step >= overall_start {
        start - step
    } else {
        start
    };
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut t = first;
    while t <= end {
        a.push(json!([t / S, (t / S).to_string()]));
        if (t / S) % 2 == 0 {
            b.push(json!([t / S, "1"]));
        }
        t += step;
    }
    Reply::data(json!({"resultType": "matrix", "result": [
        {"metric": {"s": "b"}, "values": b},
        {"metric": {"s": "a"}, "values": a},
    ]}))
}

#[tokio::test]
async fn a_long_metric_range_is_split_and_merged() {
    let server = LokiServer::start().await;
    let start = 1_600_000_000 * S;
    let end = start + 30_000 * S;
    server.script(move |r| {
        r.path
            .ends_with("/query_range")
            .then(|| grid_matrix(r, start))
    });
    let client = client_for(&server.url, 0);
    let req = RangeRequest {
        query: r#"count_over_time({app="x"}[1s])"#.into(),
        start_ns: start,
        end_ns: end,
        step_ns: Some(S),
        limit: 100,
        direction: Direction::Backward,
    };
    let QueryResult::Matrix(m) = client.query_range(&req).await.unwrap() else {
        panic!("not a matrix")
    };

    let seen = server.requests();
    assert_eq!(seen.len(), 3, "30,001 points need 3 requests");
    assert_eq!(seen[0].time_param("start"), Some(start));
    assert_eq!(seen[2].time_param("end"), Some(end));
    for pair in seen.windows(2) {
        assert_eq!(
            pair[1].time_param("start").unwrap(),
            pair[0].time_param("end").unwrap() + S,
            "contiguous pieces"
        );
    }
    for r in &seen {
        let pts =
            (r.time_param("end").unwrap() - r.time_param("start").unwrap()) / r.step_ns().unwrap();
        assert!(pts <= 11_000, "a piece over Loki's limit: {pts}");
        assert_eq!(r.param("step"), Some("1"));
    }

    assert_eq!(m.len(), 2);
    assert_eq!(m[0].metric, labels(&[("s", "b")]));
    assert_eq!(m[1].metric, labels(&[("s", "a")]));
    let a_ts: Vec<i64> = m[1].points.iter().map(|p| p.ts_ms).collect();
    let want: Vec<i64> = (0..=30_000).map(|i| (start / S + i) * 1000).collect();
    assert_eq!(a_ts, want, "every point once, in order");
    assert!(
        m[1].points
            .iter()
            .all(|p| p.value * 1000.0 == p.ts_ms as f64)
    );
    assert_eq!(m[0].points.len(), 15_001);

    // A configured split interval splits shorter ranges too.
    let server = LokiServer::start().await;
    let end = start + 3 * 3600 * S;
    server.script(move |r| {
        r.path
            .ends_with("/query_range")
            .then(|| grid_matrix(r, start))
    });
    let cfg = config(&server.url);
    let mut opts = fast(&cfg);
    opts.split_interval = Some(Duration::from_secs(3600));
    let client = LokiClient::with_options(&cfg, opts).unwrap();
    let req = RangeRequest {
        end_ns: end,
        step_ns: Some(60 * S),
        ..req
    };
    let QueryResult::Matrix(m) = client.query_range(&req).await.unwrap() else {
        panic!("not a matrix")
    };
    assert_eq!(server.requests().len(), 3);
    assert_eq!(m[1].points.len(), 181);
}

/// 57 entries in two streams, with groups sharing a timestamp.
fn paged_data() -> Vec<(String, i64, String)> {
    let mut out = Vec::new();
    for i in 0..40i64 {
        let ts = 1_000 + (i / 3) * 10; // three lines per timestamp
        out.push(("a".to_string(), ts, format!("a line {i}")));
    }
    for i in 0..17i64 {
        out.push(("b".to_string(), 1_000 + i * 7, format!("b line {i}")));
    }
    out
}

/// Answers a log query like Loki: entries in `[start, end)`, the `limit`
/// newest (backward) or oldest (forward), grouped into streams.
fn serve_logs(req: &Request, data: &[(String, i64, String)]) -> Reply {
    let (start, end) = (
        req.time_param("start").unwrap(),
        req.time_param("end").unwrap(),
    );
    let limit: usize = req.param("limit").unwrap().parse().unwrap();
    let forward = req.param("direction") == Some("forward");
    let mut hits: Vec<&(String, i64, String)> =
        data.iter().filter(|d| d.1 >= start && d.1 < end).collect();
    hits.sort_by(|x, y| {
        if forward {
            x.1.cmp(&y.1)
        } else {
            y.1.cmp(&x.1)
        }
        .then(x.2.cmp(&y.2))
    });
    hits.truncate(limit);
    let mut streams: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for (app, ts, line) in hits {
        streams
            .entry(app)
            .or_default()
            .push(json!([ts.to_string(), line]));
    }
    let result: Vec<Value> = streams
        .into_iter()
        .map(|(app, values)| json!({"stream": {"app": app}, "values": values}))
        .collect();
    Reply::data(json!({"resultType": "streams", "result": result}))
}

fn flatten(r: QueryResult) -> Vec<(String, i64, String)> {
    let QueryResult::Streams(streams) = r else {
        panic!("not streams")
    };
    streams
        .into_iter()
        .flat_map(|s| {
            let app = s.labels["app"].clone();
            s.entries
                .into_iter()
                .map(move |e| (app.clone(), e.ts, e.line))
        })
        .collect()
}

#[tokio::test]
async fn log_queries_page_to_the_limit_without_duplicates() {
    let server = LokiServer::start().await;
    let data = paged_data();
    let d = data.clone();
    server.script(move |r| r.path.ends_with("/query_range").then(|| serve_logs(r, &d)));
    let cfg = LokiConfig {
        query_limit: 10,
        ..config(&server.url)
    };
    let client = LokiClient::with_options(&cfg, fast(&cfg)).unwrap();
    let req = RangeRequest {
        query: r#"{app=~"a|b"}"#.into(),
        start_ns: 0,
        end_ns: 10_000,
        step_ns: None,
        limit: 35,
        direction: Direction::Backward,
    };
    let mut got = flatten(client.query_range(&req).await.unwrap());
    let seen = server.requests();
    assert!(
        seen.len() >= 4,
        "35 entries in pages of 10: {} requests",
        seen.len()
    );
    assert!(
        seen.iter()
            .all(|r| r.param("limit").unwrap().parse::<u32>().unwrap() <= 10)
    );
    assert_eq!(got.len(), 35, "stops at the limit");
    // Exactly the 35 newest (as a set where a timestamp group is cut).
    got.sort();
    let before = got.len();
    got.dedup();
    assert_eq!(got.len(), before, "no entry twice");
    let mut newest = data.clone();
    newest.sort_by(|x, y| y.1.cmp(&x.1));
    let cut_ts = newest[34].1;
    assert!(got.iter().all(|g| g.1 >= cut_ts));
    assert_eq!(
        got.iter().filter(|g| g.1 > cut_ts).count(),
        newest.iter().filter(|n| n.1 > cut_ts).count()
    );

    // Forward past the end of the data: everything once, then it stops.
    let server = LokiServer::start().await;
    let d = data.clone();
    server.script(move |r| r.path.ends_with("/query_range").then(|| serve_logs(r, &d)));
    let client =
        LokiClient::with_options(&cfg_for(&server.url, 10), fast(&cfg_for(&server.url, 10)))
            .unwrap();
    let req = RangeRequest {
        limit: 1000,
        direction: Direction::Forward,
        ..req
    };
    let got = flatten(client.query_range(&req).await.unwrap());
    let mut sorted_got = got.clone();
    sorted_got.sort();
    let mut all = data.clone();
    all.sort();
    assert_eq!(sorted_got, all);
    let a_ts: Vec<i64> = got.iter().filter(|g| g.0 == "a").map(|g| g.1).collect();
    assert!(
        a_ts.windows(2).all(|w| w[0] <= w[1]),
        "forward order within a stream"
    );
    let last = server.requests().last().unwrap().clone();
    assert!(
        last.time_param("start").unwrap() > 1_000,
        "continued from the last timestamp seen"
    );
}

fn cfg_for(url: &str, query_limit: usize) -> LokiConfig {
    LokiConfig {
        query_limit,
        ..config(url)
    }
}
