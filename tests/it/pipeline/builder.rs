//! The deterministic builder on the twelve bundled datasets: every template's
//! query parses, runs on the embedded engine, and counts the template's lines.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use logcopilot::backend::embedded::Engine;
use logcopilot::backend::{Backend, Direction, InstantRequest};
use logcopilot::dataset::Dataset;
use logcopilot::index::{self, IndexOptions};
use logcopilot::knowledge::Summaries;
use logcopilot::logql::value::QueryResult;
use logcopilot::pipeline::template_query::{ContentAnchor, TemplateQuery, selector};
use logcopilot::pipeline::plan::range_literal;
use logcopilot::retrieve::KnowledgeBase;

use crate::common::{SYSTEMS, datasets};

pub fn knowledge_base(app: &str) -> (Dataset, KnowledgeBase) {
    let ds = Dataset::load(&datasets(), app).unwrap();
    let known = match &ds.templates_path {
        Some(p) => index::templates::load(p).unwrap(),
        None => Vec::new(),
    };
    let input = ds.log_path.clone().unwrap();
    let out = index::run(&ds, &input, &known, &IndexOptions::default(), &|_| {}, &AtomicBool::new(false)).unwrap();
    let kb = KnowledgeBase::from_knowledge(app, out.knowledge, Summaries::default());
    (ds, kb)
}

fn number(r: &QueryResult) -> f64 {
    match r {
        QueryResult::Vector(v) => v.iter().map(|s| s.point.value).sum(),
        QueryResult::Scalar(p) => p.value,
        other => panic!("not a number: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_template_query_parses_runs_and_counts_its_lines() {
    let mut exact = 0;
    let mut with_filter = 0;
    let mut total = 0;
    let mut report = Vec::new();
    for (_, app) in SYSTEMS {
        let (ds, kb) = knowledge_base(app);
        let anchor = ContentAnchor::of(&ds.header);
        let engine = Backend::Embedded(Arc::new(Engine::open(&datasets(), Some(&[app.to_string()])).unwrap()));
        let (first, last) = kb.span_ns().unwrap();
        let (start, end) = (first - 1_000_000_000, last + 1_000_000_000);
        let reserved: Vec<String> = ds.labels.iter().map(|l| l.0.clone()).collect();
        for t in kb.knowledge.templates.iter().filter(|t| t.count > 0) {
            let q = TemplateQuery::build(&kb, &t.id, selector(app, &[]), anchor.as_ref(), &reserved).unwrap();
            let log = q.log_query(true);
            let count = format!("sum(count_over_time({log} [{}]))", range_literal(end - start));
            logcopilot::logql::parse(&count).unwrap_or_else(|e| panic!("{app} {}: {count}: {e}", t.id));
            let req = InstantRequest { query: count.clone(), time_ns: end, limit: 100, direction: Direction::Backward };
            let got = number(&engine.query(&req).await.unwrap_or_else(|e| panic!("{app} {}: {count}: {e}", t.id)));
            total += 1;
            if q.pattern_filter.is_some() {
                with_filter += 1;
            }
            if got == t.count as f64 {
                exact += 1;
            } else {
                report.push(format!("{app} {} {:?}: {} lines, query counts {got}: {count}", t.id, t.text, t.count));
            }
        }
    }
    // Differences are Loghub's own: templates that overlap (a general one
    // also covers a specific one's lines), `<*>` spanning several words, and
    // repeated lines the engine drops as Loki's ingester does.
    assert!(total > 800, "{total}");
    assert!(exact * 100 >= total * 95, "{exact}/{total} exact, {with_filter} with |>\n{}", report.join("\n"));
    assert!(with_filter * 100 >= total * 90, "{with_filter}/{total} with |>");
}
