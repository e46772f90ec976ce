//! The summarize and embed phases end to end on the HDFS sample against the
//! local server: files written and read back (Parquet with arrow), resume after
//! a cancel and after the endpoint dies half way (no finished item requested
//! twice), a wrong vector dimension, redaction over a whole run, offline mode.

use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use logcopilot::config::RedactionMode;
use logcopilot::dataset::Dataset;
use logcopilot::index::{self, EnrichError, EnrichOptions, IndexEvent, IndexOptions, Outcome, Phase};
use logcopilot::knowledge::{DocKind, Knowledge, documents};
use logcopilot::retrieve::Bm25Index;
use logcopilot::storage::vectors::read_vectors;
use logcopilot::storage::{AppStore, Fingerprint, SCHEMA_VERSION};

use super::server::{MockLlm, Route, options, vector_of};
use crate::common::datasets;

fn hdfs() -> Knowledge {
    let ds = Dataset::load(&datasets(), "hdfs").unwrap();
    let known = index::templates::load(ds.templates_path.as_ref().unwrap()).unwrap();
    let input = ds.log_path.clone().unwrap();
    let out = index::run(&ds, &input, &known, &IndexOptions::default(), &|_| {}, &AtomicBool::new(false)).unwrap();
    out.knowledge
}

fn store(dir: &std::path::Path, k: &Knowledge) -> AppStore {
    let s = AppStore::new(dir, "hdfs");
    let fp = Fingerprint {
        input_path: "x".into(),
        input_hash: "1".into(),
        dataset_hash: "2".into(),
        options: "o".into(),
        schema_version: SCHEMA_VERSION,
    };
    s.write(k, fp, &Default::default()).unwrap();
    s
}

fn opts() -> EnrichOptions {
    EnrichOptions {
        chat_model: "test-chat".into(),
        embedding_batch_size: 64,
        concurrency: 4,
        offline_reason: "no LLM endpoint configured".into(),
    }
}

/// Summary requests a run of `k` makes: templates, parameter sets, workflows.
fn items(k: &Knowledge) -> BTreeSet<String> {
    let mut s = BTreeSet::new();
    s.extend(k.templates.iter().map(|t| format!("template:{}", t.id)));
    s.extend(k.params.iter().filter(|p| !p.params.is_empty()).map(|p| format!("parameter:{}", p.template_id)));
    s.extend(k.workflows.iter().map(|w| format!("workflow:{}", w.id)));
    s
}

fn requested(s: &MockLlm) -> Vec<String> {
    s.requests().iter().filter(|r| r.route == Route::Chat).filter_map(|r| r.item.clone()).collect()
}

fn distinct(v: &[String]) -> BTreeSet<String> {
    v.iter().cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summarize_and_embed_hdfs_end_to_end() {
    let s = MockLlm::start().await;
    let c = s.client(RedactionMode::Off);
    let k = hdfs();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path(), &k);
    let events = Mutex::new(Vec::new());
    let on_event = |e: IndexEvent| events.lock().unwrap().push(e);
    let t = Instant::now();
    let report = index::enrich::run(Some(&c), &st, "hdfs", &k, &opts(), &on_event, &AtomicBool::new(false)).await.unwrap();
    let secs = t.elapsed().as_secs_f64();

    let all = items(&k);
    let asked = requested(&s);
    assert_eq!(asked.len(), all.len(), "one request per item");
    assert_eq!(distinct(&asked), all);
    let n_params: usize = k.params.iter().map(|p| p.params.len()).sum();
    let n_docs = k.templates.len() + n_params + k.workflows.len();
    assert_eq!(s.count(Route::Embeddings), n_docs.div_ceil(64), "batched by 64");
    eprintln!(
        "hdfs end to end: {} summary items ({} templates, {} parameter sets, {} workflows), {} documents embedded; {} chat + {} embedding requests in {secs:.2}s",
        all.len(),
        k.templates.len(),
        k.params.iter().filter(|p| !p.params.is_empty()).count(),
        k.workflows.len(),
        n_docs,
        s.count(Route::Chat),
        s.count(Route::Embeddings)
    );
    assert!(matches!(report.summarize, Outcome::Done { requested, cached: 0, .. } if requested == all.len()));
    assert!(matches!(report.embed, Outcome::Done { items, requested, .. } if items == n_docs && requested == n_docs));

    // Summaries read back.
    let sums = st.load_summaries("test-chat").unwrap();
    assert_eq!(sums.templates.len(), k.templates.len());
    assert_eq!(sums.parameters.len(), n_params);
    assert_eq!(sums.workflows.len(), k.workflows.len());
    assert_eq!(sums.templates["E9"].summary, "Summary of E9.");
    assert_eq!(sums.templates["E9"].keywords, vec!["block", "hdfs"]);
    assert_eq!(sums.parameters["E9#0"].name.as_deref(), Some("p0"));
    assert_eq!(sums.workflows["W1"].name.as_deref(), Some("flow W1"));
    assert!(dir.path().join("hdfs/templates_test-chat.json").is_file());

    // Parquet read back with arrow: one row per document, its text and the vector the server gave it.
    let docs = documents(&k, &sums);
    for kind in DocKind::ALL {
        let path = st.embeddings_path(kind, "test/embed:1");
        assert!(path.ends_with(format!("{}_embeddings_test-embed-1.parquet", kind.plural())), "{}", path.display());
        let t = read_vectors(&path).unwrap();
        let expect: Vec<_> = docs.iter().filter(|d| d.kind == kind).collect();
        assert_eq!((t.model.as_str(), t.dims, t.len()), ("test/embed:1", 8, expect.len()));
        for (i, d) in expect.iter().enumerate() {
            assert_eq!(t.ids[i], d.id);
            assert_eq!(t.kinds[i], kind.as_str());
            assert_eq!(t.texts[i], d.text);
            assert_eq!(t.vector(i).unwrap(), vector_of(&d.text, 8).as_slice());
        }
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("hdfs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Progress: every item counted, tokens reported.
    let ev = events.lock().unwrap().clone();
    let last = |p: Phase| {
        ev.iter()
            .filter_map(|e| match e {
                IndexEvent::Items { phase, done, total, tokens_in, .. } if *phase == p => Some((*done, *total, *tokens_in)),
                _ => None,
            })
            .next_back()
            .unwrap()
    };
    assert_eq!(last(Phase::Summarize), (all.len() as u64, all.len() as u64, 100 * all.len() as u64));
    let (done, total, tokens) = last(Phase::Embed);
    assert_eq!((done, total), (n_docs as u64, n_docs as u64));
    assert!(tokens > 0);
    drop(ev);

    // BM25 over the same documents, with the summaries.
    let ix = Bm25Index::load(&st.bm25_path()).unwrap();
    assert_eq!(ix.len(), n_docs);
    let hit = ix.search("deleting block file", 3)[0];
    assert_eq!(ix.doc(hit.doc).unwrap().id, "E9");
    assert_eq!(st.manifest().unwrap().derived.len(), 7);

    // Usage accounting.
    let u = c.usage().phase("summarize");
    assert_eq!((u.requests, u.tokens_in, u.tokens_out), (all.len() as u64, 100 * all.len() as u64, 20 * all.len() as u64));

    // A second run, on the knowledge read back from storage (as `index` does
    // when the logs did not change), asks for nothing: everything is cached.
    s.clear_log();
    let loaded = st.load().unwrap();
    let again = index::enrich::run(Some(&c), &st, "hdfs", &loaded, &opts(), &|_| {}, &AtomicBool::new(false)).await.unwrap();
    assert!(s.requests().is_empty());
    assert!(matches!(again.summarize, Outcome::Done { requested: 0, .. }));

    // Offline, the cached summaries still feed the lexical index.
    let off = index::enrich::run(None, &st, "hdfs", &k, &opts(), &|_| {}, &AtomicBool::new(false)).await.unwrap();
    assert_eq!(off.summarize, Outcome::Skipped("no LLM endpoint configured".into()));
    assert_eq!(off.summaries, sums.len());
    assert!(s.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_resumes_without_asking_twice() {
    let s = MockLlm::start().await;
    let k = hdfs();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path(), &k);
    let all = items(&k);
    let half = all.len() as u64 / 2;
    let cancel = AtomicBool::new(false);
    let on_event = |e: IndexEvent| {
        if let IndexEvent::Items { phase: Phase::Summarize, done, .. } = e
            && done >= half
        {
            cancel.store(true, Ordering::SeqCst);
        }
    };
    let c = s.client(RedactionMode::Off);
    let f = index::enrich::run(Some(&c), &st, "hdfs", &k, &opts(), &on_event, &cancel).await.unwrap_err();
    assert!(matches!(f.error, EnrichError::Cancelled { phase: "summarize", .. }), "{}", f.error);
    assert!(f.error.to_string().contains("run index again to resume"));
    let first = requested(&s);
    assert_eq!(first.len(), distinct(&first).len(), "no item twice in the first run");
    assert!(first.len() as u64 >= half && first.len() < all.len(), "{} of {}", first.len(), all.len());
    assert!(!dir.path().join("hdfs/templates_test-chat.json").exists(), "no summary file from an unfinished run");
    assert!(st.bm25_path().exists(), "the lexical index is still written");
    assert_eq!(s.count(Route::Embeddings), 0);

    s.clear_log();
    let c2 = s.client(RedactionMode::Off);
    index::enrich::run(Some(&c2), &st, "hdfs", &k, &opts(), &|_| {}, &AtomicBool::new(false)).await.unwrap();
    let second = requested(&s);
    let (a, b) = (distinct(&first), distinct(&second));
    assert!(a.is_disjoint(&b), "asked twice: {:?}", a.intersection(&b).collect::<Vec<_>>());
    assert_eq!(second.len(), b.len());
    assert_eq!(a.union(&b).cloned().collect::<BTreeSet<_>>(), all);
    eprintln!("resume after cancel: run 1 asked {} items, run 2 asked {} ({} in all, none twice)", a.len(), b.len(), all.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_dies_half_way_keeps_the_work_done() {
    let s = MockLlm::start().await;
    let k = hdfs();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path(), &k);
    let mut o = options();
    o.retry.max_retries = 1;
    s.fail_after(10);
    let c = s.client_with(RedactionMode::Off, o);
    let f = index::enrich::run(Some(&c), &st, "hdfs", &k, &opts(), &|_| {}, &AtomicBool::new(false)).await.unwrap_err();
    let msg = f.error.to_string();
    assert!(msg.contains("HTTP 500") && msg.contains("the model crashed") && msg.contains("2 attempts"), "{msg}");
    assert!(matches!(f.report.summarize, Outcome::Failed(_)));
    assert!(matches!(f.report.embed, Outcome::Skipped(_)));
    assert!(f.report.lexical.is_some());
    let log = s.requests();
    let ok: HashSet<String> = log.iter().take(10).filter_map(|r| r.item.clone()).collect();
    assert_eq!(ok.len(), 10);
    let total_first = log.len();

    s.fail_after(0);
    s.clear_log();
    let c2 = s.client(RedactionMode::Off);
    index::enrich::run(Some(&c2), &st, "hdfs", &k, &opts(), &|_| {}, &AtomicBool::new(false)).await.unwrap();
    let second = distinct(&requested(&s));
    assert!(second.iter().all(|i| !ok.contains(i)), "a finished item was asked again");
    let expect: BTreeSet<String> = items(&k).into_iter().filter(|i| !ok.contains(i)).collect();
    assert_eq!(second, expect);
    eprintln!(
        "endpoint dies after 10 requests: run 1 sent {total_first} requests, kept 10 items; run 2 asked the other {}",
        second.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_vector_dimension_is_refused_and_old_files_stay_whole() {
    let s = MockLlm::start().await;
    let mut k = hdfs();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path(), &k);
    index::enrich::run(Some(&s.client(RedactionMode::Off)), &st, "hdfs", &k, &opts(), &|_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    let before = read_vectors(&st.embeddings_path(DocKind::Template, "test/embed:1")).unwrap();

    // The data changes (a new example line: a new prompt and a new document text) and the model now gives 4 dimensions.
    k.templates[0].examples[0].raw.push_str(" (changed)");
    s.set_dims(4);
    s.clear_log();
    let f = index::enrich::run(Some(&s.client(RedactionMode::Off)), &st, "hdfs", &k, &opts(), &|_| {}, &AtomicBool::new(false))
        .await
        .unwrap_err();
    assert!(matches!(f.error, EnrichError::Dimension { expected: 8, got: 4, .. }), "{}", f.error);
    assert!(f.error.to_string().contains("embeddings_test-embed-1.bin"), "{}", f.error);
    assert_eq!(requested(&s), vec![format!("template:{}", k.templates[0].id)], "only the changed item is asked");
    assert_eq!(read_vectors(&st.embeddings_path(DocKind::Template, "test/embed:1")).unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_that_never_gets_valid_json_is_left_out_not_fatal() {
    let s = MockLlm::start().await;
    let k = hdfs();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path(), &k);
    s.bad_item("template:E3");
    let warnings = Mutex::new(Vec::new());
    let on_event = |e: IndexEvent| {
        if let IndexEvent::Warning(w) = e {
            warnings.lock().unwrap().push(w)
        }
    };
    let r = index::enrich::run(Some(&s.client(RedactionMode::Off)), &st, "hdfs", &k, &opts(), &on_event, &AtomicBool::new(false))
        .await
        .unwrap();
    assert!(matches!(r.summarize, Outcome::Done { failed: 1, .. }), "{:?}", r.summarize);
    assert!(matches!(r.embed, Outcome::Done { failed: 0, .. }));
    let asked: Vec<String> = requested(&s).into_iter().filter(|i| i == "template:E3").collect();
    assert_eq!(asked.len(), 2, "the question and one repair request");
    let w = warnings.lock().unwrap();
    assert_eq!(w.len(), 1);
    assert!(w[0].starts_with("template E3: no summary") && w[0].contains("not JSON"), "{}", w[0]);
    let sums = st.load_summaries("test-chat").unwrap();
    assert_eq!(sums.templates.len(), k.templates.len() - 1);
    assert!(!sums.templates.contains_key("E3"));
    // The template still has its document (without a summary) and its vector.
    let t = read_vectors(&st.embeddings_path(DocKind::Template, "test/embed:1")).unwrap();
    assert!(t.ids.iter().any(|id| id == "E3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redaction_over_a_whole_run() {
    let s = MockLlm::start().await;
    let k = hdfs();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path(), &k);
    let c = s.client(RedactionMode::Default);
    index::enrich::run(Some(&c), &st, "hdfs", &k, &opts(), &|_| {}, &AtomicBool::new(false)).await.unwrap();
    let ip = regex::Regex::new(r"\b10\.\d+\.\d+\.\d+\b").unwrap();
    for r in s.requests() {
        let body = r.body.to_string();
        assert!(!ip.is_match(&body), "an IP reached the server: {}", ip.find(&body).unwrap().as_str());
    }
    let red = c.usage().total().redactions;
    assert!(red.total() > 100, "{red}");
    // The model quoted placeholders; the stored summaries hold the real values.
    let sums = st.load_summaries("test-chat").unwrap();
    let with_ip = sums.templates.values().filter(|x| ip.is_match(&x.summary)).count();
    assert!(with_ip > 0);
    assert!(sums.templates.values().all(|x| !x.summary.contains("<IP_")));
    eprintln!("redaction over hdfs: {red}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_builds_the_lexical_index_and_says_why() {
    let k = hdfs();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path(), &k);
    let events = Mutex::new(Vec::new());
    let r = index::enrich::run(None, &st, "hdfs", &k, &opts(), &|e| events.lock().unwrap().push(e), &AtomicBool::new(false))
        .await
        .unwrap();
    assert_eq!(r.summarize, Outcome::Skipped("no LLM endpoint configured".into()));
    assert_eq!(r.embed, Outcome::Skipped("no LLM endpoint configured".into()));
    let skipped: Vec<Phase> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| if let IndexEvent::Skipped { phase, .. } = e { Some(*phase) } else { None })
        .collect();
    assert_eq!(skipped, vec![Phase::Summarize, Phase::Embed]);
    let ix = Bm25Index::load(&st.bm25_path()).unwrap();
    assert_eq!(Some((ix.len(), ix.vocabulary())), r.lexical);
    // Parameter names and example values are searchable.
    let hit = ix.search("size 67108864", 1)[0];
    assert_eq!(ix.doc(hit.doc).unwrap().kind, DocKind::Parameter);
    let hit = ix.search("PacketResponder terminating", 1)[0];
    assert_eq!(ix.doc(hit.doc).unwrap().id, "E10");
    assert!(!dir.path().join("hdfs/templates_test-chat.json").exists());
    assert!(!st.embeddings_path(DocKind::Template, "text-embedding-3-small").exists());
}
