//! The shipped Q&A sheets (`datasets/<app>/questions.jsonl`): at least 20
//! questions per system, and every gold LogQL query, run on the embedded
//! engine over the whole sample, gives the answer that `datasets/questions.py`
//! computed from the raw log with plain Python. The two computations check
//! each other.

use std::sync::Arc;

use logcopilot::backend::Backend;
use logcopilot::backend::embedded::Engine;
use logcopilot::eval::{AnswerKind, judge::close, read_sheet};
use logcopilot::pipeline::results::value_of;
use logcopilot::pipeline::{QueryPlan, Request};

use super::builder::knowledge_base;
use crate::common::{SYSTEMS, datasets};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gold_queries_give_the_sheet_answers() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (_, app) in SYSTEMS {
        let mut sheet = read_sheet(&datasets().join(app).join("questions.jsonl")).unwrap();
        assert!(sheet.len() >= 20, "{app}: {} questions", sheet.len());
        // The newer sheets (datasets/questions_more.py): tuning and held out.
        for more in ["questions-more.jsonl", "questions-holdout.jsonl"] {
            let extra = read_sheet(&datasets().join(app).join(more)).unwrap();
            assert!(extra.len() >= 6, "{app} {more}: {} questions", extra.len());
            sheet.extend(extra);
        }
        let (_, kb) = knowledge_base(app);
        let (first, last) = kb.span_ns().unwrap();
        let (start, end) = (first - 1_000_000_000, last + 1_000_000_000);
        let engine = Backend::Embedded(Arc::new(Engine::open(&datasets(), Some(&[app.to_string()])).unwrap()));
        for q in &sheet {
            total += 1;
            let gold = q.logql.as_deref().unwrap_or_else(|| panic!("{} has no gold query", q.id));
            let plan = QueryPlan::of(gold, 100).unwrap_or_else(|e| panic!("{}: {gold}: {e}", q.id));
            let r = match plan.request(start, end) {
                Request::Instant(r) => engine.query(&r).await,
                Request::Range(r) => engine.query_range(&r).await,
            };
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{}: {gold}: {e}", q.id));
                    continue;
                }
            };
            let v = value_of(&r);
            let ok = match q.kind {
                AnswerKind::Number => {
                    let got = v.number.or(r.is_empty().then_some(0.0));
                    got.zip(q.answer.as_f64()).is_some_and(|(g, w)| close(g, w, q.tolerance.unwrap_or(1e-6)))
                }
                AnswerKind::List => {
                    let mut got = v.items.clone();
                    got.sort();
                    let mut want: Vec<String> = q.answer.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_owned()).collect();
                    want.sort();
                    got == want
                }
                AnswerKind::Text => {
                    let mut got = v.items.clone();
                    got.sort();
                    let mut want: Vec<String> = q.answer.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_owned()).collect();
                    want.sort();
                    got == want
                }
            };
            if !ok {
                failures.push(format!("{}: {gold}\n    sheet {} / engine number {:?} items {:?}", q.id, q.answer, v.number, &v.items[..v.items.len().min(5)]));
            }
        }
    }
    assert!(total >= 240 + 150 + 90, "{total}");
    assert!(failures.is_empty(), "{} of {total} differ:\n{}", failures.len(), failures.join("\n"));
}
