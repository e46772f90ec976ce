//! Engine-level tests on the bundled samples with hand-built queries.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::*;
use crate::backend::{InstantRequest, RangeRequest};
use crate::logql::*;

fn engine() -> Engine {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets");
    Engine::open(&dir, Some(&["hdfs".to_string(), "openssh".to_string(), "openstack".to_string()])).unwrap()
}

fn sel(pairs: &[(&str, &str)]) -> Vec<Matcher> {
    pairs.iter().map(|(n, v)| Matcher { name: n.to_string(), op: MatchOp::Eq, value: v.to_string() }).collect()
}

fn contains(v: &str) -> Stage {
    Stage::LineFilter(LineFilter { op: FilterOp::Contains, values: vec![v.to_string()] })
}

fn range(op: RangeOp, log: LogExpr, r: i64) -> SampleExpr {
    SampleExpr::Range(RangeAgg { op, param: None, range: LogRange { log, range: r, offset: 0, unwrap: None }, grouping: None })
}

const H: i64 = 3_600_000_000_000;
const S: i64 = 1_000_000_000;

#[test]
fn count_over_time_like_golden_v06() {
    let e = engine();
    let q = Expr::Sample(range(RangeOp::CountOverTime, LogExpr { matchers: sel(&[("app", "hdfs")]), pipeline: vec![contains("Deleting block")] }, H));
    let start = 1_226_260_800 * S; // 2008-11-09T20:00:00Z
    let end = 1_226_401_200 * S;
    let r = e.run_range(&q, start, end, H, 100, Direction::Backward, &AtomicBool::new(false)).unwrap();
    let QueryResult::Matrix(m) = r else { panic!("not a matrix") };
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].metric["component"], "dfs.FSDataset");
    assert_eq!(m[0].points[0].ts_ms, 1_226_268_000_000);
    assert_eq!(m[0].points[0].value, 1.0);
    assert_eq!(m[0].points[1].value, 68.0);
}

#[test]
fn log_query_newest_first() {
    let e = engine();
    let q = Expr::Log(LogExpr { matchers: sel(&[("app", "hdfs")]), pipeline: vec![] });
    let start = 1_226_260_800 * S;
    let end = 1_226_401_200 * S;
    let r = e.run_range(&q, start, end, 0, 100, Direction::Backward, &AtomicBool::new(false)).unwrap();
    let QueryResult::Streams(s) = r else { panic!() };
    assert_eq!(s.iter().map(|x| x.entries.len()).sum::<usize>(), 100);
    assert_eq!(s[0].labels["component"], "dfs.FSNamesystem");
    assert_eq!(s[0].entries[0].ts, 1_226_398_396_000_000_000);
    assert!(!s[0].entries[0].line.ends_with('\r'));
}

#[test]
fn instant_log_query_is_refused() {
    let e = engine();
    let q = Expr::Log(LogExpr { matchers: sel(&[("app", "hdfs")]), pipeline: vec![] });
    let err = e.run_instant(&q, 0, &AtomicBool::new(false)).unwrap_err();
    assert!(matches!(err, BackendError::BadParam { param: "query", .. }), "{err}");
}

// ---- through the parser, on bundled and in-memory logs ----

use std::sync::Arc;

fn range_req(q: &str, start: i64, end: i64, step: Option<i64>, limit: u32) -> RangeRequest {
    RangeRequest { query: q.into(), start_ns: start, end_ns: end, step_ns: step, limit, direction: Direction::Backward }
}

fn instant(e: &Engine, q: &str, t: i64) -> Result<QueryResult, BackendError> {
    e.query(&InstantRequest { query: q.into(), time_ns: t, limit: 100, direction: Direction::Backward })
}

fn vector(r: QueryResult) -> Vec<(Labels, f64)> {
    match r {
        QueryResult::Vector(v) => v.into_iter().map(|s| (s.metric, s.point.value)).collect(),
        other => panic!("not a vector: {other:?}"),
    }
}

/// OpenStack's window (00:00-00:20, 2017-05-16).
const OS_END: i64 = 1_494_894_000 * S;

#[test]
fn json_errors_only_matter_when_labels_are_needed() {
    let e = engine();
    // No label is needed: Loki's parser hints skip the json parser entirely.
    let v = vector(instant(&e, r#"sum(count_over_time({app="openstack"} | json [20m]))"#, OS_END).unwrap());
    assert_eq!(v[0].1, 2000.0);
    // Per stream, every line carries __error__: a pipeline error.
    let err = instant(&e, r#"count_over_time({app="openstack"} | json [20m])"#, OS_END).unwrap_err();
    assert!(err.to_string().contains("pipeline error: 'JSONParserErr'"), "{err}");
    // Filtering the error away leaves nothing.
    let v = vector(instant(&e, r#"count_over_time({app="openstack"} | json | __error__="" [20m])"#, OS_END).unwrap());
    assert!(v.is_empty());
    // Keeping the error as a grouping label is allowed.
    let v = vector(instant(&e, r#"sum by (__error__) (count_over_time({app="openstack"} | json [20m]))"#, OS_END).unwrap());
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].0["__error__"], "JSONParserErr");
}

#[test]
fn unknown_app_is_empty_not_an_error() {
    let e = engine();
    let r = e.query_range(&range_req(r#"{app="nope"}"#, 0, OS_END, None, 100)).unwrap();
    assert!(r.is_empty());
    let v = vector(instant(&e, r#"count_over_time({app="nope"}[1h])"#, OS_END).unwrap());
    assert!(v.is_empty());
    // absent_over_time answers 1 with the selector's equality labels.
    let v = vector(instant(&e, r#"absent_over_time({app="nope", level=~"x.*"}[1h])"#, OS_END).unwrap());
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].0.len(), 1);
    assert_eq!(v[0].0["app"], "nope");
}

#[test]
fn bad_parameters_name_the_parameter() {
    let e = engine();
    let bad = |r: Result<QueryResult, BackendError>, p: &str| match r {
        Err(BackendError::BadParam { param, .. }) => assert_eq!(param, p),
        other => panic!("expected a bad {p}, got {other:?}"),
    };
    bad(e.query_range(&range_req(r#"{app="hdfs"}"#, 0, H, None, 5001)), "limit");
    bad(e.query_range(&range_req(r#"count_over_time({app="hdfs"}[1h])"#, 0, H, Some(0), 100)), "step");
    bad(e.query_range(&range_req(r#"{app="hdfs"}"#, H, 0, None, 100)), "end");
    bad(e.query_range(&range_req(r#"count_over_time({app="hdfs"}[1h])"#, 0, 365 * 24 * H, Some(S), 100)), "step");
    assert!(matches!(e.query_range(&range_req(r#"{app="openstack""#, 0, H, None, 10)), Err(BackendError::Parse(p)) if p.col == 17));
}

#[test]
fn huge_and_pathological_regexes_are_bounded() {
    let e = engine();
    let t = std::time::Instant::now();
    let r = e.query_range(&range_req(r#"{app="hdfs"} |~ "(a{1000}){1000}""#, 0, 2_000_000_000 * S, None, 10));
    assert!(matches!(r, Err(BackendError::Parse(_))), "{r:?}");
    // Backtracking-heavy in other engines, linear here.
    let r = e.query_range(&range_req(r#"{app="hdfs"} |~ "(a|aa)*(b|bb)*c$" | regexp "(?P<x>(?:.*)*)z""#, 0, 2_000_000_000 * S, None, 10));
    assert!(r.is_ok(), "{r:?}");
    assert!(t.elapsed().as_secs() < 20);
}

#[test]
fn many_to_many_matching_is_refused_like_loki() {
    let e = engine();
    let q = r#"rate({app="hdfs"}[1h]) / on() group_left count_over_time({app="hdfs"}[1h])"#;
    let err = e.query_range(&range_req(q, 1_226_260_800 * S, 1_226_401_200 * S, Some(H), 100)).unwrap_err();
    assert!(matches!(err, BackendError::Execution(_)));
    assert_eq!(
        err.to_string(),
        "found duplicate series on the right hand-side;many-to-many matching not allowed: matching labels must be unique on one side"
    );
}

#[test]
fn offset_shifts_the_window() {
    let e = engine();
    let t = 1_226_401_200 * S;
    let a = vector(instant(&e, r#"sum(count_over_time({app="hdfs"}[1h] offset 2h))"#, t).unwrap());
    let b = vector(instant(&e, r#"sum(count_over_time({app="hdfs"}[1h]))"#, t - 2 * H).unwrap());
    assert_eq!(a[0].1, b[0].1);
    assert!(a[0].1 > 0.0);
}

#[test]
fn label_replace_and_sort_desc() {
    let e = engine();
    let t = 1_226_401_200 * S;
    let v = vector(instant(&e, r#"label_replace(sum by (component) (count_over_time({app="hdfs"}[2d])), "short", "$1", "component", "dfs\\.(.*)")"#, t).unwrap());
    assert!(v.iter().all(|(l, _)| l.contains_key("short") && !l["short"].starts_with("dfs.")));
    let v = vector(instant(&e, r#"sort_desc(sum by (component) (count_over_time({app="hdfs"}[2d])))"#, t).unwrap());
    assert!(v.windows(2).all(|w| w[0].1 >= w[1].1), "{v:?}");
    let v = vector(instant(&e, r#"sum(count_over_time({app="hdfs"}[2d])) > bool 1999"#, t).unwrap());
    assert_eq!(v[0].1, 1.0);
    let v = vector(instant(&e, r#"2 * sum(count_over_time({app="hdfs"}[2d])) - 1"#, t).unwrap());
    assert_eq!(v[0].1, 3999.0);
}

fn memory_engine(text: &str) -> Engine {
    let mut ds = Dataset::from_flags("mem", "<Date> <Time> <Level> <Content>", Some("<Date> <Time>=%Y-%m-%d %H:%M:%S")).unwrap();
    ds.labels = vec![("level".into(), 2)];
    let data: Arc<[u8]> = Arc::from(text.as_bytes().to_vec().into_boxed_slice());
    Engine::new(vec![Source { dataset: ds, input: Input::Memory(data) }])
}

const T0: i64 = 1_700_000_000 * S; // 2023-11-14T22:13:20Z

#[test]
fn a_regex_that_matches_nothing_at_all_keeps_every_line_and_ends() {
    // `x*` and `` match the empty string, also after the last newline: the
    // block search once looped there for ever.
    for text in ["2023-11-14 22:13:21 INFO a\n2023-11-14 22:13:22 INFO b\n", "2023-11-14 22:13:21 INFO a\n2023-11-14 22:13:22 INFO b"] {
        let e = memory_engine(text);
        for q in [r#"{app="mem"} |~ "x*""#, r#"{app="mem"} |~ """#, r#"{app="mem"} |~ "\\s*""#] {
            let r = e.query_range(&range_req(q, T0, T0 + H, None, 100)).unwrap();
            let QueryResult::Streams(s) = r else { panic!() };
            assert_eq!(s.iter().map(|s| s.entries.len()).sum::<usize>(), 2, "{q} on {text:?}");
        }
    }
}

#[test]
fn lines_without_a_header_take_the_stamp_before_them() {
    let text = "oops\n2023-11-14 22:13:21 INFO first\n  at frame\n\n2023-11-14 22:13:25 WARN second\ngarbage\n";
    let e = memory_engine(text);
    let r = e.query_range(&RangeRequest { direction: Direction::Forward, ..range_req(r#"{app="mem"}"#, T0, T0 + H, None, 100) }).unwrap();
    let QueryResult::Streams(s) = r else { panic!() };
    let app_only = s.iter().find(|x| x.labels.len() == 1).expect("a stream with only app");
    let stamps: Vec<(i64, &str)> = app_only.entries.iter().map(|e| (e.ts, e.line.as_str())).collect();
    assert_eq!(
        stamps,
        vec![(T0 + S, "oops"), (T0 + S, "  at frame"), (T0 + 5 * S, "garbage")]
    );
    // The empty line is no entry; 5 entries in all.
    assert_eq!(s.iter().map(|x| x.entries.len()).sum::<usize>(), 5);
    assert!(s.iter().any(|x| x.labels.get("level").map(String::as_str) == Some("WARN")));
}

#[test]
fn unwrap_conversions_and_errors() {
    let text = "2023-11-14 22:13:21 INFO took=1.5s size=2KB n=3\n2023-11-14 22:13:22 INFO took=500ms size=1KiB n=x\n";
    let e = memory_engine(text);
    let t = T0 + 60 * S;
    let v = vector(instant(&e, r#"sum(sum_over_time({app="mem"} | logfmt | unwrap duration(took) [1m]))"#, t).unwrap());
    assert_eq!(v[0].1, 2.0);
    let v = vector(instant(&e, r#"sum_over_time({app="mem"} | logfmt | unwrap duration(took) [1m])"#, t).unwrap());
    assert_eq!(v.len(), 2, "other labels keep the lines apart");
    assert!(!v[0].0.contains_key("took"), "the unwrapped label is dropped");
    let v = vector(instant(&e, r#"max_over_time({app="mem"} | logfmt | unwrap bytes(size) [1m]) by (app)"#, t).unwrap());
    assert_eq!(v[0].1, 2000.0);
    let err = instant(&e, r#"sum_over_time({app="mem"} | logfmt | unwrap n [1m])"#, t).unwrap_err();
    assert!(err.to_string().contains("SampleExtractionErr"), "{err}");
    let v = vector(instant(&e, r#"sum by (level) (sum_over_time({app="mem"} | logfmt | unwrap n | __error__="" [1m]))"#, t).unwrap());
    assert_eq!(v[0].1, 3.0);
    let v = vector(instant(&e, r#"quantile_over_time(0.5, {app="mem"} | logfmt | unwrap duration(took) [1m]) by (level)"#, t).unwrap());
    assert_eq!(v[0].1, 1.0);
    assert_eq!(v[0].0.len(), 1);
}

#[test]
fn log_pipeline_end_to_end() {
    let text = "2023-11-14 22:13:21 INFO {\"user\":{\"id\":7},\"msg\":\"hi\"}\n2023-11-14 22:13:22 WARN status=500 took=2s\n";
    let e = memory_engine(text);
    let q = r#"{app="mem"} | logfmt | status >= 400 | line_format "{{.level}} {{.status}} {{ .took | ToUpper }}""#;
    let r = e.query_range(&range_req(q, T0, T0 + H, None, 10)).unwrap();
    let QueryResult::Streams(s) = r else { panic!() };
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].entries[0].line, "WARN 500 2S");
    assert_eq!(s[0].labels["status"], "500");
    let q = r#"{app="mem", level="INFO"} | regexp "(?P<body>[{].*[}])" | line_format "{{.body}}" | json | keep user_id"#;
    let r = e.query_range(&range_req(q, T0, T0 + H, None, 10)).unwrap();
    let QueryResult::Streams(s) = r else { panic!() };
    assert_eq!(s[0].labels.len(), 1);
    assert_eq!(s[0].labels["user_id"], "7");
}

#[test]
fn metadata_over_time_ranges() {
    let e = engine();
    let all = e.labels(0, 2_000_000_000 * S).unwrap();
    assert_eq!(all, ["app", "component", "level"]);
    assert!(e.labels(0, S).unwrap().is_empty());
    let v = e.label_values("level", 0, 2_000_000_000 * S, Some(r#"{app="openstack"}"#)).unwrap();
    assert_eq!(v, ["INFO", "WARNING"]);
    let s = e.series(&[r#"{app="openssh"}"#.to_string(), r#"{app="hdfs", level="WARN"}"#.to_string()], 0, 2_000_000_000 * S).unwrap();
    assert_eq!(s.len(), 2);
}


#[test]
fn repeated_lines_are_stored_once_like_loki() {
    let a = "2023-11-14 22:13:21 INFO same";
    let text = format!("{a}\n{a}\r\n\n{a}\n2023-11-14 22:13:21 INFO other\n{a}\n");
    let e = memory_engine(&text);
    let v = vector(instant(&e, r#"count_over_time({app="mem"}[1m])"#, T0 + 30 * S).unwrap());
    // a, a (dropped), a (dropped: the empty line is no entry), other, a.
    assert_eq!(v[0].1, 3.0);
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    const QUERIES: &[&str] = &[
        r#"{app="mem"} | json"#,
        r#"{app="mem"} | logfmt --strict --keep-empty"#,
        r#"{app="mem"} | unpack"#,
        r#"{app="mem"} | json a="x.y[0]", b"#,
        r#"{app="mem"} | pattern "<a> <_>=<b>""#,
        r#"{app="mem"} | regexp "(?P<k>\\w+)=(?P<v>\\S*)" | v > 3 or k =~ "a.*""#,
        r#"{app="mem"} | logfmt | line_format "{{.a}} {{ .b | ToUpper | trunc 3 }} {{ printf \"%5.2f|%d\" 1.5 .c }}""#,
        r#"{app="mem"} | logfmt | label_format x="{{ __line__ | len }}", y=a | drop b | keep x, y"#,
        r#"{app="mem"} |> "<_> = <_>" != "zz" | decolorize"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
        #[test]
        fn arbitrary_lines_never_panic(body in proptest::collection::vec("[ -~\u{e9}\u{1b}{}\\[\\]\"=:,.\\\\]{0,60}", 1..12)) {
            let mut text = String::new();
            for (i, b) in body.iter().enumerate() {
                text.push_str(&format!("2023-11-14 22:13:{:02} INFO {b}\n", 20 + i));
            }
            let e = memory_engine(&text);
            for q in QUERIES {
                let r = e.query_range(&range_req(q, T0, T0 + H, None, 100));
                prop_assert!(r.is_ok(), "{q}: {r:?}");
                let m = format!("sum by (a) (count_over_time({} [1m]))", q.replace("| keep x, y", "").replace("| decolorize", ""));
                let _ = e.query_range(&range_req(&m, T0, T0 + H, Some(10 * S), 100));
            }
        }
    }
}
