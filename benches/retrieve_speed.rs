//! Retrieval speed over synthetic documents: N items (default 10,000) shaped
//! like an app's documents (templates, parameters, workflows, with words drawn
//! from a log vocabulary) and random embeddings of D dimensions (default
//! 1536, text-embedding-3-small's), searched with questions of a few words.
//! Reports the warm time of one hybrid retrieval (BM25 + cosine + fusion,
//! top 8), of each half, and of packing the result into 3,000 tokens. The
//! question's own embedding call is not counted (it is the model's time).
//!
//! `cargo bench --bench retrieve_speed -- [ITEMS] [--dims D] [--runs N]`
//! (each measure is the median of N runs, default 200). Not run in CI.

use std::time::Instant;

use logcopilot::knowledge::{DocKind, Document, Example, Knowledge, Summaries, TemplateRecord, TemplateSource};
use logcopilot::llm::tokens::TokenCounter;
use logcopilot::retrieve::{Bm25Index, DenseIndex, KnowledgeBase, RetrieveOptions, Retriever, pack};

const WORDS: &[&str] = &[
    "block", "received", "deleting", "served", "exception", "replicate", "datanode", "namenode", "packet", "responder",
    "terminating", "allocate", "verification", "succeeded", "socket", "timeout", "connection", "refused", "session",
    "closed", "opened", "user", "password", "failed", "accepted", "invalid", "kernel", "error", "warning", "cache",
    "parity", "corrected", "instance", "spawned", "deleted", "image", "network", "interface", "request", "response",
    "status", "memory", "disk", "quota", "thread", "worker", "leader", "election", "follower", "snapshot", "transaction",
    "heartbeat", "lost", "restart", "shutdown", "mount", "volume", "token", "authentication", "authorization",
];

/// A deterministic pseudo-random generator (xorshift), so runs compare.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn word(&mut self) -> &'static str {
        WORDS[(self.next() % WORDS.len() as u64) as usize]
    }
    fn unit(&mut self) -> f32 {
        (self.next() % 20_000) as f32 / 10_000.0 - 1.0
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|n| n.parse::<usize>().ok());
    let items: usize = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || !args[i - 1].starts_with("--"))
        .find_map(|(_, a)| a.replace('_', "").parse().ok())
        .unwrap_or(10_000);
    let dims = flag("--dims").unwrap_or(1536);
    let runs = flag("--runs").unwrap_or(200).max(1);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    let t = Instant::now();
    let mut docs = Vec::with_capacity(items);
    let mut dense = DenseIndex::new("synthetic", dims);
    let mut v = vec![0f32; dims];
    let mut templates = Vec::new();
    for i in 0..items {
        let (id, kind) = match i % 4 {
            0 | 1 => (format!("E{i}"), DocKind::Template),
            2 => (format!("E{}#{}", i - 2, i % 3), DocKind::Parameter),
            _ => (format!("W{i}"), DocKind::Workflow),
        };
        let n = 8 + (rng.next() % 24) as usize;
        let text: Vec<&str> = (0..n).map(|_| rng.word()).collect();
        let text = format!("{} {id}: {} <*> {}", kind.as_str(), text.join(" "), rng.next() % 100_000);
        for x in v.iter_mut() {
            *x = rng.unit();
        }
        dense.push(id.clone(), Some(kind), &v);
        if kind == DocKind::Template {
            templates.push(TemplateRecord {
                id: id.clone(),
                text: text.clone(),
                source: TemplateSource::Mined,
                count: rng.next() % 1000,
                first_seen: Some("2008-11-09T20:35:18Z".into()),
                last_seen: Some("2008-11-11T11:01:50Z".into()),
                levels: [("info".to_owned(), 1)].into(),
                examples: vec![Example { line: 1, raw: format!("081109 203518 35 INFO dfs.DataNode: {text}") }],
            });
        }
        docs.push(Document { id, kind, text });
    }
    let retriever = Retriever::new(Bm25Index::build("synthetic", docs), Some(dense));
    let build_secs = t.elapsed().as_secs_f64();
    let kb = KnowledgeBase::new("synthetic", Knowledge { templates, ..Default::default() }, Summaries::default(), retriever, Vec::new());
    let questions: Vec<(String, Vec<f32>)> = (0..runs)
        .map(|_| {
            let q: Vec<&str> = (0..4 + rng.next() % 6).map(|_| rng.word()).collect();
            (format!("how many {} in the last hour?", q.join(" ")), (0..dims).map(|_| rng.unit()).collect())
        })
        .collect();
    let opts = RetrieveOptions::default();
    let r = &kb.retriever;
    // Warm-up: caches, page faults, allocator.
    for (q, e) in questions.iter().take(10) {
        std::hint::black_box(r.retrieve(q, Some(e), &opts));
    }
    let time = |f: &mut dyn FnMut(&str, &[f32])| {
        median(
            questions
                .iter()
                .map(|(q, e)| {
                    let t = Instant::now();
                    f(q, e);
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        )
    };
    let hybrid = time(&mut |q, e| {
        std::hint::black_box(r.retrieve(q, Some(e), &opts));
    });
    let bm25 = time(&mut |q, _| {
        std::hint::black_box(r.bm25.search(q, 50));
    });
    let cosine = time(&mut |_, e| {
        std::hint::black_box(r.dense.as_ref().map(|d| d.search(e, 50, None)));
    });
    let counter = TokenCounter::for_model("gpt-4o-mini");
    counter.count("warm up the encoding");
    let hits = r.retrieve(&questions[0].0, Some(&questions[0].1), &opts);
    let packing = time(&mut |_, _| {
        std::hint::black_box(pack(&kb, &hits, 3000, &counter));
    });
    println!("retrieve_speed: {items} items, {dims} dims, built in {build_secs:.2} s, median of {runs} runs (warm)");
    println!("  hybrid retrieve (BM25 + cosine + RRF, top 8): {hybrid:.3} ms");
    println!("  BM25 alone (top 50):                         {bm25:.3} ms");
    println!("  cosine alone (top 50):                        {cosine:.3} ms");
    println!("  packing 8 items into 3,000 tokens:            {packing:.3} ms");
    if hybrid >= 10.0 {
        println!("  over the 10 ms target");
    }
}
