//! The embedded engine against a real Loki 3.4.6: every query of
//! `loki-golden/queries.jsonl` on the same three samples must give the answer
//! in `responses.jsonl`, by the README's rules (equal-timestamp groups as
//! sets, limit cuts compared as candidates, values to 1e-9 relative,
//! `__error_details__` by presence, errors by status and position).

use std::collections::BTreeMap;
use std::path::PathBuf;

use logcopilot::backend::embedded::Engine;
use logcopilot::backend::{BackendError, DEFAULT_LIMIT, Direction, InstantRequest, QueryResult, RangeRequest};
use logcopilot::logql::value::{Labels, Stream};
use serde_json::Value;

use crate::common::{datasets, root};

fn golden_dir() -> PathBuf {
    root().join("tests/data/loki-golden")
}

fn read_jsonl(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(golden_dir().join(name)).expect("golden file");
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("json line")).collect()
}

fn ns(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).expect("rfc3339").timestamp_nanos_opt().expect("in range")
}

fn engine() -> Engine {
    let apps = ["hdfs", "openssh", "openstack"].map(String::from);
    Engine::open(&datasets(), Some(&apps)).expect("engine")
}

/// Labels compared with `__error_details__` by presence only.
fn norm(l: &Labels) -> Labels {
    l.iter()
        .map(|(k, v)| (k.clone(), if k == "__error_details__" { "<present>".to_string() } else { v.clone() }))
        .collect()
}

type Flat = Vec<(i64, Labels, String)>;

fn flatten(streams: &[Stream]) -> Flat {
    let mut out = Vec::new();
    for s in streams {
        for e in &s.entries {
            out.push((e.ts, norm(&s.labels), e.line.clone()));
        }
    }
    out
}

fn check_entry_order(streams: &[Stream], dir: Direction, problems: &mut Vec<String>) {
    for s in streams {
        let ok = s.entries.windows(2).all(|w| if dir == Direction::Backward { w[0].ts >= w[1].ts } else { w[0].ts <= w[1].ts });
        if !ok {
            problems.push(format!("stream {:?}: entries not in {} order", s.labels, dir.as_str()));
        }
    }
}

fn compare_streams(q: &Value, want: &[Stream], got: &[Stream], eng: &Engine, problems: &mut Vec<String>) {
    let limit = q["limit"].as_u64().unwrap_or(DEFAULT_LIMIT as u64) as usize;
    let dir = if q["direction"].as_str() == Some("forward") { Direction::Forward } else { Direction::Backward };
    check_entry_order(got, dir, problems);
    let mut w = flatten(want);
    let mut g = flatten(got);
    let cut = w.len() >= limit;
    // The boundary stamp: where a limit may cut a group of equal stamps.
    let boundary = if cut {
        w.iter().map(|e| e.0).reduce(|a, b| if dir == Direction::Backward { a.min(b) } else { a.max(b) })
    } else {
        None
    };
    let split = |v: &mut Flat| -> Flat {
        let (at, rest): (Flat, Flat) = v.drain(..).partition(|e| Some(e.0) == boundary);
        *v = rest;
        at
    };
    let w_at = split(&mut w);
    let g_at = split(&mut g);
    w.sort();
    g.sort();
    if w != g {
        let missing: Vec<_> = w.iter().filter(|e| !g.contains(e)).take(5).collect();
        let extra: Vec<_> = g.iter().filter(|e| !w.contains(e)).take(5).collect();
        problems.push(format!("entries differ ({} vs {} outside the cut group)\n  missing: {missing:?}\n  extra: {extra:?}", w.len(), g.len()));
    }
    if w_at.len() != g_at.len() {
        problems.push(format!("cut group at {boundary:?}: {} entries, want {}", g_at.len(), w_at.len()));
    } else if !g_at.is_empty() {
        // Our picks must be lines that really are at the boundary stamp.
        let req = RangeRequest {
            query: q["query"].as_str().unwrap_or_default().to_string(),
            start_ns: ns(q["start"].as_str().unwrap_or_default()),
            end_ns: ns(q["end"].as_str().unwrap_or_default()),
            step_ns: None,
            limit: 5000,
            direction: dir,
        };
        if let Ok(QueryResult::Streams(all)) = eng.query_range(&req) {
            let candidates = flatten(&all);
            for e in &g_at {
                if !candidates.contains(e) {
                    problems.push(format!("cut group entry {e:?} is not a line at that stamp"));
                }
            }
        }
    }
    // Stream order as Loki's frontend returns it (for streams both have).
    let order = |s: &[Stream]| -> Vec<Labels> { s.iter().map(|x| norm(&x.labels)).collect() };
    let (wo, go) = (order(want), order(got));
    let common_w: Vec<_> = wo.iter().filter(|l| go.contains(l)).collect();
    let common_g: Vec<_> = go.iter().filter(|l| wo.contains(l)).collect();
    if common_w != common_g {
        problems.push(format!("stream order differs:\n  want {common_w:?}\n  got  {common_g:?}"));
    }
}

fn close(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

fn compare_series(want: BTreeMap<Labels, Vec<(i64, f64)>>, got: BTreeMap<Labels, Vec<(i64, f64)>>, problems: &mut Vec<String>) {
    for (l, wp) in &want {
        match got.get(l) {
            None => problems.push(format!("missing series {l:?}")),
            Some(gp) => {
                if wp.len() != gp.len() || wp.iter().zip(gp).any(|(a, b)| a.0 != b.0 || !close(a.1, b.1)) {
                    problems.push(format!("series {l:?}:\n  want {wp:?}\n  got  {gp:?}"));
                }
            }
        }
    }
    for l in got.keys() {
        if !want.contains_key(l) {
            problems.push(format!("unexpected series {l:?}"));
        }
    }
}

fn points(r: &QueryResult) -> Option<BTreeMap<Labels, Vec<(i64, f64)>>> {
    match r {
        QueryResult::Matrix(m) => Some(m.iter().map(|s| (norm(&s.metric), s.points.iter().map(|p| (p.ts_ms, p.value)).collect())).collect()),
        QueryResult::Vector(v) => Some(v.iter().map(|s| (norm(&s.metric), vec![(s.point.ts_ms, s.point.value)])).collect()),
        QueryResult::Scalar(p) => Some([(Labels::new(), vec![(p.ts_ms, p.value)])].into()),
        QueryResult::Streams(_) => None,
    }
}

fn compare_result(q: &Value, want: &QueryResult, got: &QueryResult, eng: &Engine, problems: &mut Vec<String>) {
    if want.result_type() != got.result_type() {
        problems.push(format!("result type {} but Loki gave {}", got.result_type(), want.result_type()));
        return;
    }
    match (want, got) {
        (QueryResult::Streams(w), QueryResult::Streams(g)) => compare_streams(q, w, g, eng, problems),
        _ => {
            if let (Some(w), Some(g)) = (points(want), points(got)) {
                let q = q["query"].as_str().unwrap_or_default();
                if q.contains("topk(") || q.contains("bottomk(") {
                    compare_ranked(w, g, q.contains("topk("), problems);
                } else {
                    compare_series(w, g, problems);
                }
            }
        }
    }
}

/// topk/bottomk: Loki breaks ties at the k-th value in Go map order (random),
/// so series at the boundary value are compared by count, the rest exactly.
fn compare_ranked(want: BTreeMap<Labels, Vec<(i64, f64)>>, got: BTreeMap<Labels, Vec<(i64, f64)>>, top: bool, problems: &mut Vec<String>) {
    let by_ts = |m: &BTreeMap<Labels, Vec<(i64, f64)>>| -> BTreeMap<i64, Vec<(Labels, f64)>> {
        let mut out: BTreeMap<i64, Vec<(Labels, f64)>> = BTreeMap::new();
        for (l, ps) in m {
            for (t, v) in ps {
                out.entry(*t).or_default().push((l.clone(), *v));
            }
        }
        out
    };
    let (w, g) = (by_ts(&want), by_ts(&got));
    if w.keys().ne(g.keys()) {
        problems.push(format!("step times differ: want {:?}, got {:?}", w.keys().collect::<Vec<_>>(), g.keys().collect::<Vec<_>>()));
        return;
    }
    for (t, ws) in &w {
        let gs = &g[t];
        let mut wv: Vec<f64> = ws.iter().map(|x| x.1).collect();
        let mut gv: Vec<f64> = gs.iter().map(|x| x.1).collect();
        wv.sort_by(f64::total_cmp);
        gv.sort_by(f64::total_cmp);
        if wv.len() != gv.len() || wv.iter().zip(&gv).any(|(a, b)| !close(*a, *b)) {
            problems.push(format!("at {t}: values {gv:?}, want {wv:?}"));
            continue;
        }
        // The value where ties may be cut: the least extreme one kept.
        let boundary = if top { wv.first() } else { wv.last() };
        for (l, v) in ws {
            let tie = boundary.is_some_and(|b| close(*b, *v));
            if !tie && !gs.iter().any(|(gl, gv)| gl == l && close(*gv, *v)) {
                problems.push(format!("at {t}: missing {l:?} = {v}"));
            }
        }
    }
}

/// Runs one golden query; the problems found.
fn run_one(eng: &Engine, q: &Value, resp: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let kind = q["kind"].as_str().unwrap_or_default();
    let status = resp["status"].as_u64().unwrap_or(0);
    let dir = if q["direction"].as_str() == Some("forward") { Direction::Forward } else { Direction::Backward };
    let limit = q["limit"].as_u64().map_or(DEFAULT_LIMIT, |l| l as u32);
    let result: Result<Value, BackendError> = match kind {
        "query_range" => {
            let step = q["step"].as_str().map(|s| logcopilot::logql::parse_duration(s).expect("step"));
            let req = RangeRequest {
                query: q["query"].as_str().unwrap_or_default().into(),
                start_ns: ns(q["start"].as_str().unwrap_or_default()),
                end_ns: ns(q["end"].as_str().unwrap_or_default()),
                step_ns: step,
                limit,
                direction: dir,
            };
            eng.query_range(&req).map(|r| r.to_loki_json())
        }
        "query" => {
            let req = InstantRequest { query: q["query"].as_str().unwrap_or_default().into(), time_ns: ns(q["time"].as_str().unwrap_or_default()), limit, direction: dir };
            eng.query(&req).map(|r| r.to_loki_json())
        }
        "labels" => eng.labels(ns(q["start"].as_str().unwrap_or_default()), ns(q["end"].as_str().unwrap_or_default())).map(|v| serde_json::json!({"data": v})),
        "label_values" => eng
            .label_values(q["label"].as_str().unwrap_or_default(), ns(q["start"].as_str().unwrap_or_default()), ns(q["end"].as_str().unwrap_or_default()), None)
            .map(|v| serde_json::json!({"data": v})),
        "series" => {
            let m: Vec<String> = q["match"].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect()).unwrap_or_default();
            eng.series(&m, ns(q["start"].as_str().unwrap_or_default()), ns(q["end"].as_str().unwrap_or_default()))
                .map(|v| serde_json::json!({"data": v}))
        }
        other => {
            problems.push(format!("unknown kind {other}"));
            return problems;
        }
    };
    if status != 200 {
        let want_err = resp["error"].as_str().unwrap_or_default();
        match result {
            Ok(_) => problems.push(format!("expected an error ({status}: {want_err}), got a result")),
            Err(BackendError::Parse(e)) => {
                let pos = format!("line {}, col {}", e.line, e.col);
                if !want_err.contains(&pos) {
                    problems.push(format!("parse error at {pos}, Loki: {want_err}"));
                }
            }
            Err(e) if status == 400 && matches!(e, BackendError::BadParam { .. }) => {}
            Err(e) => problems.push(format!("error {e} but Loki said {status}: {want_err}")),
        }
        return problems;
    }
    let got = match result {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("error: {e}"));
            return problems;
        }
    };
    match kind {
        "labels" | "label_values" => {
            if got["data"] != resp["response"]["data"] {
                problems.push(format!("want {}\n  got  {}", resp["response"]["data"], got["data"]));
            }
        }
        "series" => {
            let set = |v: &Value| -> Vec<Labels> {
                let mut s: Vec<Labels> = v.as_array().map(|a| a.iter().map(|x| serde_json::from_value(x.clone()).unwrap_or_default()).collect()).unwrap_or_default();
                s.sort();
                s
            };
            let (w, g) = (set(&resp["response"]["data"]), set(&got["data"]));
            if w != g {
                problems.push(format!("series differ:\n  want {w:?}\n  got  {g:?}"));
            }
        }
        _ => {
            let want = QueryResult::from_loki_data(&resp["response"]["data"]).expect("golden data");
            let got = QueryResult::from_loki_data(&got["data"]).expect("our data");
            compare_result(q, &want, &got, eng, &mut problems);
        }
    }
    problems
}

#[test]
fn embedded_engine_answers_like_loki() {
    // The first recordings, and those of `ip()` filters and identical entries.
    for (qs, rs, n) in [("queries.jsonl", "responses.jsonl", 0), ("queries-ip-dedup.jsonl", "responses-ip-dedup.jsonl", 15)] {
        let queries = read_jsonl(qs);
        let responses = read_jsonl(rs);
        assert_eq!(queries.len(), responses.len());
        assert!(n == 0 || queries.len() == n, "{qs}: {} queries", queries.len());
        let eng = engine();
        let mut report = String::new();
        let mut passed = 0;
        for (q, r) in queries.iter().zip(responses.iter()) {
            let id = q["id"].as_str().unwrap_or("?");
            assert_eq!(Some(id), r["id"].as_str(), "responses out of order");
            let problems = run_one(&eng, q, r);
            if problems.is_empty() {
                passed += 1;
            } else {
                report.push_str(&format!("\n=== {id}: {}\n", q["query"].as_str().unwrap_or(q["kind"].as_str().unwrap_or(""))));
                for p in problems {
                    report.push_str(&format!("  - {p}\n"));
                }
            }
        }
        println!("golden {qs}: {passed}/{} equal to Loki", queries.len());
        assert!(report.is_empty(), "{qs}: {passed}/{} golden queries match Loki; differences:{report}", queries.len());
    }
}
