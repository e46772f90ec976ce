//! The deterministic builder's answers on every shipped Q&A sheet, exactly as
//! `logcopilot eval` runs them with no model: the project's 253 questions
//! (`questions.jsonl`), the newer tuning sheets (`questions-more.jsonl`) and
//! the held-out sheets (`questions-holdout.jsonl`, never tuned on). Each
//! question the builder answered when these floors were set is listed in
//! `tests/data/builder-matches.txt`; losing one fails the test (one
//! regression test per question), and each sheet has a floor.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use logcopilot::backend::Backend;
use logcopilot::backend::embedded::Engine;
use logcopilot::config::PipelineConfig;
use logcopilot::eval::{self, read_sheet};
use logcopilot::pipeline::PipelineContext;

use super::builder::knowledge_base;
use crate::common::{SYSTEMS, datasets, root};

/// (sheet, floor of matching answers)
const SHEETS: [(&str, f64); 3] = [("questions", 0.90), ("questions-more", 0.70), ("questions-holdout", 0.52)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builder_answers_the_sheets_without_a_model() {
    let listed: BTreeSet<String> = std::fs::read_to_string(root().join("tests/data/builder-matches.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let mut report = String::new();
    let mut lost = Vec::new();
    let mut failures = Vec::new();
    // class -> (matched, total), over all sheets
    let mut classes: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut matched_ids = BTreeSet::new();
    let mut totals: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (_, app) in SYSTEMS {
        let (ds, kb) = knowledge_base(app);
        let engine = Backend::Embedded(Arc::new(Engine::open(&datasets(), Some(&[app.to_string()])).unwrap()));
        let ctx = Arc::new(PipelineContext::new(Arc::new(kb), engine, None, PipelineConfig::default(), Some(&ds)));
        for (sheet, _) in SHEETS {
            let path = datasets().join(app).join(format!("{sheet}.jsonl"));
            let questions = read_sheet(&path).unwrap();
            let raw: Vec<serde_json::Value> =
                std::fs::read_to_string(&path).unwrap().lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect();
            let r = eval::run(ctx.clone(), sheet, &questions, |_, _| {}).await;
            for (q, rec) in raw.iter().zip(&r.questions) {
                let ok = rec.judgement.matched;
                let t = totals.entry(sheet).or_default();
                t.1 += 1;
                if ok {
                    t.0 += 1;
                    matched_ids.insert(rec.id.clone());
                }
                if let Some(c) = q["class"].as_str() {
                    let e = classes.entry(c.to_owned()).or_default();
                    e.1 += 1;
                    e.0 += ok as usize;
                }
                if !ok && listed.contains(&rec.id) {
                    lost.push(format!("{}: {} -> {}", rec.id, rec.question, rec.logql.as_deref().unwrap_or("-")));
                }
            }
        }
    }
    for (sheet, floor) in SHEETS {
        let (m, n) = totals[sheet];
        let share = m as f64 / n as f64;
        report.push_str(&format!("{sheet}: {m}/{n} ({:.1} %, floor {:.0} %)\n", 100.0 * share, 100.0 * floor));
        if share < floor {
            failures.push(format!("{sheet}: {m}/{n} below {floor}"));
        }
    }
    for (c, (m, n)) in &classes {
        report.push_str(&format!("  class {c}: {m}/{n}\n"));
    }
    println!("{report}");
    let gained: Vec<&String> = matched_ids.iter().filter(|id| !listed.contains(*id) && !id.contains("-h")).collect();
    if !gained.is_empty() {
        println!("newly matched (add to tests/data/builder-matches.txt): {gained:?}");
    }
    assert!(lost.is_empty(), "{} listed questions no longer match:\n{}\n{report}", lost.len(), lost.join("\n"));
    assert!(failures.is_empty(), "{failures:?}\n{report}");
}
