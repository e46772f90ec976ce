//! Knowledge from a Loki: the OpenSSH sample served as Loki would (the
//! engine's labels and timestamps, pages of `query_range` in Loki's JSON, one
//! page refused for its size, the server failing once mid-pull), pulled in
//! two runs (the second resuming the saved cursor, then a later range read on
//! incrementally); the knowledge equals indexing the file. Loki's real
//! patterns reply (loki-golden d10) is stored beside ours; detected fields
//! answer 404 and are said to be not offered.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use logcopilot::backend::embedded::records::Records;
use logcopilot::backend::embedded::{Input, Source};
use logcopilot::config::Config;
use logcopilot::dataset::Dataset;
use logcopilot::index::from_loki::{LokiSource, loki_extras, pull_to_spool};
use logcopilot::index::job::Plan;
use logcopilot::index::templates;
use logcopilot::knowledge::Knowledge;
use logcopilot::logql::value::{Entry, Labels};
use logcopilot::loki::pull::PullOptions;
use logcopilot::storage::AppStore;
use serde_json::json;

use crate::common::{assert_same_knowledge, datasets};
use crate::loki_client::{client_for, ns};
use crate::loki_server::{LokiServer, Reply, golden};

/// The sample as the engine (and `logcopilot load`) gives it to Loki.
pub(crate) fn entries() -> Vec<(Labels, Entry)> {
    let ds = Dataset::load(&datasets(), "openssh").unwrap();
    let path = ds.log_path.clone().unwrap();
    let mut v: Vec<_> = Records::open(&Source { dataset: ds, input: Input::Path(path) }, Arc::default()).unwrap().collect();
    v.sort_by_key(|(_, e)| e.ts); // stable: equal times keep the file's order, as Loki keeps a stream's
    v
}

/// `query_range` over `all` as Loki answers it: forward, `[start, end)`, at most `limit`.
pub(crate) fn page(all: &[(Labels, Entry)], start: i64, end: i64, limit: usize) -> Reply {
    let mut streams: Vec<(Labels, Vec<serde_json::Value>)> = Vec::new();
    for (l, e) in all.iter().filter(|(_, e)| e.ts >= start && e.ts < end).take(limit) {
        match streams.iter_mut().find(|s| &s.0 == l) {
            Some(s) => s.1.push(json!([e.ts.to_string(), e.line])),
            None => streams.push((l.clone(), vec![json!([e.ts.to_string(), e.line])])),
        }
    }
    let result: Vec<_> = streams.into_iter().map(|(l, v)| json!({"stream": l, "values": v})).collect();
    Reply::data(json!({"resultType": "streams", "result": result, "stats": {}}))
}

fn config(storage: &std::path::Path) -> Config {
    let mut c = Config::default();
    c.paths.storage = Some(storage.to_path_buf());
    c.paths.datasets = Some(datasets());
    c.index.threads = 2;
    c
}

fn index(cfg: &Config, input: &std::path::Path) -> Knowledge {
    let ds = Dataset::load(&datasets(), "openssh").unwrap();
    let known = templates::load(ds.templates_path.as_ref().unwrap()).unwrap();
    let mut plan = Plan::new(cfg, ds, known, Some(input), true).unwrap();
    plan.run(&|_| {}, &AtomicBool::new(false)).unwrap().0.knowledge
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knowledge_from_loki_equals_indexing_the_file() {
    let all = Arc::new(entries());
    assert_eq!(all.len(), 2000);
    let server = LokiServer::start().await;
    let requests = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicBool::new(false));
    let (a, r, f) = (all.clone(), requests.clone(), refused.clone());
    let d10 = golden().into_iter().find(|g| g.id == "d10").expect("the recorded patterns reply");
    server.script(move |req| {
        if req.path.ends_with("/patterns") {
            return Some(Reply { status: d10.status, content_type: d10.content_type.clone(), body: d10.body.clone(), headers: vec![], delay: Default::default() });
        }
        if req.path.ends_with("/detected_fields") {
            return Some(Reply::text(404, "404 page not found"));
        }
        if !req.path.ends_with("/query_range") {
            return None;
        }
        let n = r.fetch_add(1, Ordering::SeqCst) + 1;
        if n == 3 {
            return Some(Reply::text(500, "ingester unavailable")); // once, mid-pull
        }
        let (start, end) = (req.time_param("start").unwrap(), req.time_param("end").unwrap());
        if end - start > 90 * 60 * 1_000_000_000 && !f.swap(true, Ordering::SeqCst) {
            return Some(Reply::text(400, "the query would read too many bytes (query: 2.1 GiB, limit: 1.0 GiB)"));
        }
        let limit: usize = req.param("limit").unwrap().parse().unwrap();
        Some(page(&a, start, end, limit))
    });

    let d = tempfile::tempdir().unwrap();
    let cfg = config(&d.path().join("st"));
    let store = AppStore::new(&d.path().join("st"), "openssh");
    let client = client_for(&server.url, 0);
    let selector = r#"{app="openssh"}"#;
    let opts = PullOptions { page: 150, slice_ns: 2 * 3600 * 1_000_000_000, ..Default::default() };
    let first = LokiSource { selector: selector.into(), start_ns: ns("2015-12-10T06:00:00Z"), end_ns: ns("2015-12-10T09:00:00Z"), opts };
    let cancel = AtomicBool::new(false);

    // The server fails mid-pull: the pages before are kept.
    let e = pull_to_spool(&client, &store, &first, &mut |_, _| {}, &cancel).await.unwrap_err();
    assert!(e.to_string().contains("500") && e.to_string().contains("kept"), "{e}");
    let kept = store.pull_state().unwrap();
    assert!(kept.spool_bytes > 0 && kept.cursor.next_ns > first.start_ns);

    // Run again: resumed at the cursor, to the end of the range.
    let r1 = pull_to_spool(&client, &store, &first, &mut |_, _| {}, &cancel).await.unwrap();
    assert!(r1.resumed && r1.from_ns == kept.cursor.next_ns, "{r1:?}");
    let totals = &r1.state.as_ref().unwrap().totals;
    assert_eq!(totals.rejected, 1, "the page refused for its size was halved and asked again: {totals:?}");
    assert!(totals.pages >= 2 && totals.entries == r1.stats.entries + kept.totals.entries, "{totals:?}");
    let spool = store.spool_path();
    let k_mid = index(&cfg, &spool);
    let mid_lines = all.iter().filter(|(_, e)| e.ts < first.end_ns).count() as u64;
    assert_eq!(k_mid.templates.iter().map(|t| t.count).sum::<u64>(), mid_lines);

    // Later: the rest of the range, indexed by reading on.
    let second = LokiSource { end_ns: ns("2015-12-10T12:00:00Z"), ..first.clone() };
    let r2 = pull_to_spool(&client, &store, &second, &mut |_, _| {}, &cancel).await.unwrap();
    assert_eq!(r2.stats.entries, 2000 - mid_lines);
    let k = index(&cfg, &spool);

    // The pulled lines are the file's lines, in its order.
    let file = std::fs::read_to_string(datasets().join("openssh/OpenSSH_2k.log")).unwrap();
    let pulled = std::fs::read_to_string(&spool).unwrap();
    assert_eq!(pulled.lines().collect::<Vec<_>>(), file.lines().collect::<Vec<_>>());
    // The same knowledge as the file's.
    let whole = index(&config(&d.path().join("file")), &datasets().join("openssh/OpenSSH_2k.log"));
    assert_same_knowledge(&k, &whole, "pulled from Loki");

    // Loki's own patterns beside ours; detected fields not offered.
    let (pf, ff) = loki_extras(&client, &store, &Dataset::load(&datasets(), "openssh").unwrap(), selector, first.start_ns, second.end_ns, &k)
        .await
        .unwrap();
    assert!(pf.fetch.offered && pf.patterns.len() > 10, "{pf:?}");
    let disconnect = pf.patterns.iter().find(|p| p.pattern.contains("Received disconnect from <_> 11: Bye Bye [preauth]")).unwrap();
    assert_eq!(disconnect.our_templates.len(), 1, "{disconnect:?}");
    let ours = k.templates.iter().find(|t| t.id == disconnect.our_templates[0]).unwrap();
    assert!(ours.text.contains("Received disconnect from"), "{}", ours.text);
    assert!(!ff.fetch.offered && ff.fetch.note.as_deref().unwrap_or("").contains("404"), "{ff:?}");
    let stored: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(store.path("loki_patterns.json")).unwrap()).unwrap();
    assert_eq!(stored["patterns"].as_array().unwrap().len(), pf.patterns.len());
    assert!(store.path("loki_fields.json").is_file());
}

/// A Loki stand-in whose entries grow as a test adds them: the OpenSSH
/// sample restamped near now (see [`GrowingLoki::add`]); `query_range` is
/// answered from what was added so far, anything else with 404.
pub(crate) struct GrowingLoki {
    pub server: LokiServer,
    all: Vec<(Labels, Entry)>,
    live: Arc<std::sync::Mutex<Vec<(Labels, Entry)>>>,
}

pub(crate) fn now_ns() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as i64
}

impl GrowingLoki {
    pub(crate) async fn start() -> GrowingLoki {
        let server = LokiServer::start().await;
        let live: Arc<std::sync::Mutex<Vec<(Labels, Entry)>>> = Arc::default();
        let served = live.clone();
        server.script(move |req| {
            if req.path.ends_with("/query_range") {
                let (start, end) = (req.time_param("start").unwrap(), req.time_param("end").unwrap());
                let limit: usize = req.param("limit").unwrap().parse().unwrap();
                return Some(page(&served.lock().unwrap(), start, end, limit));
            }
            Some(Reply::text(404, "404 page not found"))
        });
        GrowingLoki { server, all: entries(), live }
    }

    /// Adds the sample's entries `range`, stamped from `t0` on, a microsecond apart.
    pub(crate) fn add(&self, range: std::ops::Range<usize>, t0: i64) {
        let mut live = self.live.lock().unwrap();
        for (i, (l, e)) in self.all[range].iter().enumerate() {
            live.push((l.clone(), Entry { ts: t0 + i as i64 * 1000, line: e.line.clone() }));
        }
    }
}
