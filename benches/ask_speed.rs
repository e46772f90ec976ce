//! The deterministic query builder's time per question, without a model, on
//! the 12 bundled samples: every question of the shipped sheets
//! (`datasets/<app>/questions.jsonl`, `questions-more.jsonl`,
//! `questions-holdout.jsonl`) is retrieved for (BM25, top 8, as `ask` does
//! without embeddings) and built into LogQL ([`logcopilot::pipeline::build`]),
//! warm, R times; reports the median and the worst per question, for the
//! builder alone and with retrieval. Running the query is not counted (the
//! engine's own benches measure it).
//!
//! Also reports retrieval's hit rate without a model: a question's gold
//! templates are those whose text holds the first `|= "…"` literal of its
//! gold LogQL; a hit is one of them among the first 5 templates BM25
//! retrieves (and, for the builder, among the templates its filters cover).
//!
//! `cargo bench --bench ask_speed -- [--runs R]` (default 20). Not run in CI.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use logcopilot::backend::embedded::Engine;
use logcopilot::dataset::Dataset;
use logcopilot::eval::read_sheet;
use logcopilot::index::{self, IndexOptions};
use logcopilot::knowledge::{DocKind, Summaries};
use logcopilot::pipeline::template_query::ContentAnchor;
use logcopilot::pipeline::{BuildContext, build};
use logcopilot::retrieve::{KnowledgeBase, RetrieveOptions};

const APPS: [&str; 12] = ["android", "apache", "bgl", "hadoop", "hdfs", "healthapp", "hpc", "linux", "openssh", "openstack", "windows", "zookeeper"];
const SHEETS: [&str; 3] = ["questions", "questions-more", "questions-holdout"];

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args.iter().position(|a| a == "--runs").and_then(|i| args.get(i + 1)).and_then(|r| r.parse().ok()).unwrap_or(20);
    let datasets = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets");
    // per sheet: (median per question, worst per question), ms, builder alone and with retrieval
    let mut build_ms: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    let mut total_ms: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    // sheet -> (questions with gold templates, hit in BM25 top 5, hit in the builder's family)
    let mut hits: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for app in APPS {
        let ds = Dataset::load(&datasets, app).expect("dataset");
        let known = ds.templates_path.as_ref().map(|p| index::templates::load(p).expect("templates")).unwrap_or_default();
        let input = ds.log_path.clone().expect("log");
        let out = index::run(&ds, &input, &known, &IndexOptions::default(), &|_| {}, &AtomicBool::new(false)).expect("index");
        let kb = KnowledgeBase::from_knowledge(app, out.knowledge, Summaries::default());
        let eng = Engine::open(&datasets, Some(&[app.to_string()])).expect("engine");
        let (s, e) = kb.span_ns().expect("span");
        let mut labels = BTreeMap::new();
        for name in eng.labels(s - 1_000_000_000, e + 1_000_000_000).expect("labels") {
            if name != "app" {
                labels.insert(name.clone(), eng.label_values(&name, s - 1_000_000_000, e + 1_000_000_000, None).expect("values"));
            }
        }
        let ctx = BuildContext {
            app: app.to_owned(),
            labels,
            anchor: ContentAnchor::of(&ds.header),
            line_limit: 100,
            header: Some(ds.header.clone()),
            excluded: Vec::new(),
            within: Vec::new(),
        };
        let opts = RetrieveOptions::default();
        for sheet in SHEETS {
            for q in read_sheet(&datasets.join(app).join(format!("{sheet}.jsonl"))).expect("sheet") {
                let (mut b, mut t) = (Vec::new(), Vec::new());
                for _ in 0..runs {
                    let t0 = Instant::now();
                    let items = kb.retriever.retrieve(&q.question, None, &opts);
                    let t1 = Instant::now();
                    let built = build(&q.question, &kb, &items, &ctx);
                    let t2 = Instant::now();
                    std::hint::black_box(built);
                    b.push((t2 - t1).as_secs_f64() * 1e3);
                    t.push((t2 - t0).as_secs_f64() * 1e3);
                }
                if let Some(lit) = q.logql.as_deref().and_then(first_literal) {
                    let gold: Vec<&str> = kb.knowledge.templates.iter().filter(|t| t.count > 0 && t.text.contains(&lit)).map(|t| t.id.as_str()).collect();
                    if !gold.is_empty() {
                        let items = kb.retriever.retrieve(&q.question, None, &opts);
                        let mut top: Vec<String> = Vec::new();
                        for it in &items {
                            if let Some(t) = kb.template_of(&it.id, it.kind).filter(|_| it.kind != DocKind::Workflow)
                                && !top.contains(&t.id)
                            {
                                top.push(t.id.clone());
                            }
                        }
                        top.truncate(5);
                        let built = build(&q.question, &kb, &items, &ctx);
                        let h = hits.entry(sheet).or_default();
                        h.0 += 1;
                        h.1 += top.iter().any(|t| gold.contains(&t.as_str())) as usize;
                        h.2 += built.family.iter().any(|t| gold.contains(&t.as_str())) as usize;
                    }
                }
                let worst = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
                build_ms.entry(sheet).or_default().push((median(&mut b.clone()), worst(&b)));
                total_ms.entry(sheet).or_default().push((median(&mut t.clone()), worst(&t)));
            }
        }
    }
    println!("ask_speed: builder time per question, {runs} warm runs each, 12 apps");
    println!("| sheet | questions | builder median / worst of medians / worst run | retrieval + builder median / worst of medians |");
    println!("|---|---|---|---|");
    let mut all_b: Vec<(f64, f64)> = Vec::new();
    let mut all_t: Vec<(f64, f64)> = Vec::new();
    for sheet in SHEETS {
        let b = &build_ms[sheet];
        let t = &total_ms[sheet];
        all_b.extend(b);
        all_t.extend(t);
        let mut bm: Vec<f64> = b.iter().map(|x| x.0).collect();
        let mut tm: Vec<f64> = t.iter().map(|x| x.0).collect();
        let bw = bm.iter().copied().fold(0.0, f64::max);
        let br = b.iter().map(|x| x.1).fold(0.0, f64::max);
        let tw = tm.iter().copied().fold(0.0, f64::max);
        println!("| {sheet} | {} | {:.2} / {:.2} / {:.2} ms | {:.2} / {:.2} ms |", b.len(), median(&mut bm), bw, br, median(&mut tm), tw);
    }
    let mut bm: Vec<f64> = all_b.iter().map(|x| x.0).collect();
    let mut tm: Vec<f64> = all_t.iter().map(|x| x.0).collect();
    let bw = bm.iter().copied().fold(0.0, f64::max);
    let br = all_b.iter().map(|x| x.1).fold(0.0, f64::max);
    let tw = tm.iter().copied().fold(0.0, f64::max);
    println!("| all | {} | {:.2} / {:.2} / {:.2} ms | {:.2} / {:.2} ms |", all_b.len(), median(&mut bm), bw, br, median(&mut tm), tw);
    println!();
    println!("| sheet | questions with gold templates | BM25 top 5 holds one | the builder's family holds one |");
    println!("|---|---|---|---|");
    for sheet in SHEETS {
        let (n, r, f) = hits.get(sheet).copied().unwrap_or_default();
        let pct = |x: usize| if n == 0 { 0.0 } else { 100.0 * x as f64 / n as f64 };
        println!("| {sheet} | {n} | {r} ({:.0} %) | {f} ({:.0} %) |", pct(r), pct(f));
    }
}

/// The first `|= "…"` literal of a LogQL query, unescaped.
fn first_literal(logql: &str) -> Option<String> {
    let at = logql.find("|= \"")? + 4;
    let mut out = String::new();
    let mut chars = logql[at..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '"' => return Some(out),
            c => out.push(c),
        }
    }
    None
}
