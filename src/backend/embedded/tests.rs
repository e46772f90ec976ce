//! Engine-level tests on the bundled samples with hand-built queries.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::*;
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
