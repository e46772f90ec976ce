//! JSON and logfmt datasets (datasets/jsonsvc, datasets/logfmtsvc, written by
//! datasets/gen_structured.py): template accuracy on the message against the
//! generator's ground truth, bad lines counted and the run going on,
//! structured fields as parameters, and the embedded engine reading the same
//! lines with the dataset's labels and timestamps.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use logcopilot::backend::embedded::Engine;
use logcopilot::backend::{Direction, RangeRequest};
use logcopilot::dataset::Dataset;
use logcopilot::index::{self, IndexOptions, IndexOutput};
use logcopilot::logql::value::QueryResult;

use crate::accuracy::score;
use crate::common::datasets;

fn index_app(app: &str) -> (Dataset, IndexOutput) {
    let ds = Dataset::load(&datasets(), app).unwrap();
    let opts = IndexOptions { use_known_templates: false, keep_line_templates: true, threads: 2, ..Default::default() };
    let input = ds.log_path.clone().unwrap();
    let out = index::run(&ds, &input, &[], &opts, &|_| {}, &AtomicBool::new(false)).unwrap();
    (ds, out)
}

/// (EventId, EventTemplate) per line of `<app>_structured.csv`.
fn truth(app: &str) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(datasets().join(app).join(format!("{app}_structured.csv"))).unwrap();
    r.records().map(|x| x.unwrap()).map(|x| (x[x.len() - 2].to_string(), x[x.len() - 1].to_string())).collect()
}

/// GA and PA over the lines that are not bad input (EventId `BAD`: a line
/// that is not valid, or has no message string, has no template to find).
fn accuracy(app: &str) -> (f64, f64, usize) {
    let (_, out) = index_app(app);
    let lt = out.line_templates.unwrap();
    let t = truth(app);
    assert_eq!(lt.len(), t.len(), "one template per line");
    let (mut tr, mut pr) = (Vec::new(), Vec::new());
    for (i, (id, text)) in t.iter().enumerate() {
        if id == "BAD" {
            continue;
        }
        let tpl = &out.knowledge.templates[lt[i] as usize];
        tr.push((id.clone(), text.clone()));
        pr.push((tpl.id.clone(), tpl.text.clone()));
    }
    let (ga, pa) = score(&tr, &pr);
    (ga, pa, tr.len())
}

#[test]
fn grouping_accuracy_on_the_synthetic_services() {
    for (app, floor) in [("jsonsvc", 0.99), ("logfmtsvc", 0.99)] {
        let (ga, pa, n) = accuracy(app);
        println!("{app}: GA {ga:.3} PA {pa:.3} over {n} lines");
        assert!(ga >= floor, "{app}: GA {ga:.3} < {floor}");
        assert!(n > 2900, "{app}: {n} scored lines");
    }
}

#[test]
fn bad_and_plain_lines_are_counted_and_the_run_goes_on() {
    let (_, out) = index_app("jsonsvc");
    let s = &out.stats;
    // The generator's plan: 11 plain lines (start-up banners, panics) and two
    // of each bad kind: truncated, `{` + text and a bad escape (not valid
    // JSON), a number as message, no message, a unix stamp where RFC 3339 is
    // expected.
    assert_eq!(s.lines, 3000);
    assert_eq!(s.lines_invalid_structured, 6, "{s:?}");
    assert_eq!(s.lines_not_fitting, 6 + 11, "{s:?}");
    assert_eq!(s.messages_not_string, 2);
    assert_eq!(s.messages_missing, 2);
    assert_eq!(s.timestamps_bad, 2);
    assert_eq!(s.structured_lines, 3000 - 17);
    assert_eq!(s.timestamps_missing, 17 + 2, "plain and invalid lines have no stamp, plus the two in another format");

    let (_, out) = index_app("logfmtsvc");
    let s = &out.stats;
    assert_eq!(s.lines_invalid_structured, 6, "unterminated quotes, bad escapes, a quoted key: {s:?}");
    assert_eq!(s.messages_missing, 2);
    assert_eq!(s.timestamps_bad, 2);
    assert_eq!(s.lines_not_fitting, 6 + 7);
}

#[test]
fn fields_become_parameters_of_their_template() {
    let (_, out) = index_app("jsonsvc");
    let k = &out.knowledge;
    let t = k.templates.iter().find(|t| t.text == "Handled request <*> in <*> with status <*>").expect("template mined");
    assert_eq!(t.count, 375);
    assert_eq!(t.levels.get("error").copied().unwrap_or(0) + t.levels.get("info").copied().unwrap_or(0), 375);
    assert!(t.first_seen.as_deref().is_some_and(|f| f.starts_with("2024-03-04T09:")));
    let p = k.params.iter().find(|p| p.template_id == t.id).unwrap();
    let slots: Vec<_> = p.params.iter().filter(|p| !p.field).collect();
    assert_eq!(slots.len(), 3);
    let field = |name: &str| p.params.iter().find(|x| x.field && x.name == name).unwrap_or_else(|| panic!("no field {name}"));
    let dur = field("duration_ms");
    assert_eq!(dur.r#type.as_str(), "int");
    let n = dur.numeric.as_ref().unwrap();
    assert!(n.min >= 2.0 && n.max <= 900.0 && n.count == 375, "{n:?}");
    assert_eq!(field("method").distinct, 3);
    assert_eq!(field("service").top_values[0].value, "api");
    assert_eq!(field("request_id").distinct, 375);
    // The message, timestamp and level keys are not fields.
    assert!(!p.params.iter().any(|x| x.field && ["msg", "ts", "level"].contains(&x.name.as_str())));
    // Field params are numbered after the slots.
    assert!(p.params.iter().filter(|x| x.field).all(|x| x.index >= 3));
    // Sessions from a field: a request's connection comes before its answer.
    let accepted = k.templates.iter().find(|t| t.text == "Accepted connection from <*>").unwrap();
    assert!(
        k.transitions.iter().any(|tr| tr.from == "^" && tr.to == accepted.id && tr.count > 300),
        "{:?}",
        &k.transitions[..k.transitions.len().min(5)]
    );
}

fn range(query: &str) -> RangeRequest {
    RangeRequest {
        query: query.into(),
        start_ns: 1_709_510_400_000_000_000, // 2024-03-04
        end_ns: 1_716_422_400_000_000_000,   // 2024-05-23
        step_ns: Some(86_400_000_000_000),
        limit: 5000,
        direction: Direction::Forward,
    }
}

#[test]
fn the_engine_reads_labels_and_stamps_from_the_fields() {
    let engine = Engine::open(&datasets(), Some(&["jsonsvc".to_string(), "logfmtsvc".to_string()])).unwrap();
    let QueryResult::Streams(s) = engine.query_range(&range(r#"{app="jsonsvc", service="billing"} |= "authorized""#)).unwrap() else {
        panic!("not streams")
    };
    let n: usize = s.iter().map(|s| s.entries.len()).sum();
    assert_eq!(n, 147, "E6 lines in the ground truth");
    let first = s.iter().flat_map(|s| s.entries.iter()).map(|e| e.ts).min().unwrap();
    let line = s.iter().flat_map(|s| s.entries.iter()).find(|e| e.ts == first).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line.line).unwrap();
    let ts = chrono::DateTime::parse_from_rfc3339(v["ts"].as_str().unwrap()).unwrap().timestamp_nanos_opt().unwrap();
    assert_eq!(first, ts, "the entry's time is its ts field");

    let QueryResult::Vector(v) = engine
        .query(&logcopilot::backend::InstantRequest {
            query: r#"sum by (component) (count_over_time({app="logfmtsvc"} | logfmt | level="warn" [30d]))"#.into(),
            time_ns: 1_716_422_400_000_000_000,
            limit: 100,
            direction: Direction::Backward,
        })
        .unwrap()
    else {
        panic!("not a vector")
    };
    let by: BTreeMap<String, f64> = v.iter().map(|s| (s.metric.get("component").cloned().unwrap_or_default(), s.point.value)).collect();
    assert!(by.contains_key("raft") && by.contains_key("storage"), "{by:?}");
    assert!(!by.contains_key("scheduler"), "no warn lines there: {by:?}");
}
