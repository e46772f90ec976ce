//! Property test of the engine: any query the parser accepts (generated
//! trees, their selectors pointed at the real samples so pipelines run on
//! real lines) gives a result or an error, never a panic or a hang.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::Config;

use super::Engine;
use crate::backend::{Direction, RangeRequest};
use crate::logql::proptests::expr;
use crate::logql::{Expr, LogExpr, MatchOp, Matcher, SampleExpr, parse};

/// Generated queries run per test run (each scans 4,000 real lines; set
/// PROP_TRACE=1 with --nocapture to see each query and its time).
const CASES: u32 = 400;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets");
        Engine::open(&dir, Some(&["hdfs".to_string(), "openssh".to_string()])).expect("datasets")
    })
}

/// Points every selector at both samples.
fn retarget_log(l: &mut LogExpr) {
    l.matchers = vec![Matcher { name: "app".into(), op: MatchOp::Re, value: "hdfs|openssh".into() }];
}

fn retarget(e: &mut SampleExpr) {
    match e {
        SampleExpr::Range(r) => retarget_log(&mut r.range.log),
        SampleExpr::Vector(v) => retarget(&mut v.inner),
        SampleExpr::BinOp(b) => {
            retarget(&mut b.lhs);
            retarget(&mut b.rhs);
        }
        SampleExpr::LabelReplace(l) => retarget(&mut l.inner),
        SampleExpr::Literal(_) | SampleExpr::VectorLit(_) => {}
    }
}

proptest! {
    #![proptest_config(Config { cases: CASES, failure_persistence: None, ..Config::default() })]

    #[test]
    fn any_parsed_query_runs_or_fails_cleanly(mut e in expr()) {
        match &mut e {
            Expr::Log(l) => retarget_log(l),
            Expr::Sample(s) => retarget(s),
        }
        let text = e.to_string();
        // Only what the parser accepts (retargeting can make a tree invalid).
        prop_assume!(parse(&text).is_ok());
        let req = RangeRequest {
            query: text.clone(),
            // Both samples: 2008-11-09 .. 2015-12-10, an hour a step would be
            // too many points; a day a step is ~2,600.
            start_ns: 1_226_188_800_000_000_000,
            end_ns: 1_449_792_000_000_000_000,
            step_ns: Some(86_400_000_000_000),
            limit: 50,
            direction: Direction::Backward,
        };
        let t = Instant::now();
        let _ = engine().query_range(&req);
        if std::env::var_os("PROP_TRACE").is_some() {
            eprintln!("{:>8.3}s {}", t.elapsed().as_secs_f64(), text);
        }
        prop_assert!(t.elapsed() < Duration::from_secs(5), "{} took {:?}", text, t.elapsed());
    }
}
