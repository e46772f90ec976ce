//! The Loki client against a replaying Loki (`loki_server`): errors,
//! retries, timeouts, auth, base URL and proxy; and the helpers the other
//! `loki_*` test modules share (golden replies: `loki_golden`, splitting and
//! paging: `loki_paging`, pushing: `loki_push`, TLS: `loki_tls`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use logcopilot::backend::{BackendError, Direction, RangeRequest};
use logcopilot::config::LokiConfig;
use logcopilot::logql::value::{Labels, QueryResult};
use logcopilot::loki::{ClientOptions, LokiClient};
use serde_json::json;

use crate::loki_server::{Golden, LokiServer, Reply, Request, golden, parse_time};

pub(crate) fn config(url: &str) -> LokiConfig {
    LokiConfig {
        base_url: Some(url.to_string()),
        ..LokiConfig::default()
    }
}

/// Options with millisecond backoffs so retry tests stay fast.
pub(crate) fn fast(cfg: &LokiConfig) -> ClientOptions {
    let mut o = ClientOptions::from_config(cfg).unwrap();
    o.retry.base_delay = Duration::from_millis(1);
    o.retry.max_delay = Duration::from_millis(4);
    o.retry.max_retry_after = Duration::from_millis(300);
    o
}

pub(crate) fn client_for(url: &str, max_retries: u32) -> LokiClient {
    let cfg = LokiConfig {
        max_retries,
        ..config(url)
    };
    LokiClient::with_options(&cfg, fast(&cfg)).unwrap()
}

pub(crate) fn ns(rfc3339: &str) -> i64 {
    parse_time(rfc3339).unwrap()
}

pub(crate) fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(crate) fn record<'a>(all: &'a [Golden], id: &str) -> &'a Golden {
    all.iter()
        .find(|g| g.id == id)
        .unwrap_or_else(|| panic!("no golden record {id}"))
}

/// The typed result of a recorded success body.
pub(crate) fn recorded_result(g: &Golden) -> QueryResult {
    QueryResult::from_loki_data(&g.json().unwrap()["data"]).unwrap()
}

pub(crate) fn server_error(r: Result<impl std::fmt::Debug, BackendError>) -> (u16, String) {
    match r {
        Err(BackendError::Server { status, message }) => (status, message),
        other => panic!("expected a server error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Errors and retries
// ---------------------------------------------------------------------------

fn v30() -> RangeRequest {
    RangeRequest {
        query: r#"{app="openstack""#.into(),
        start_ns: ns("2017-05-16T00:00:00Z"),
        end_ns: ns("2017-05-16T00:20:00Z"),
        step_ns: None,
        limit: 10,
        direction: Direction::Backward,
    }
}

#[tokio::test]
async fn a_parse_error_keeps_lokis_text_and_is_not_retried() {
    let server = LokiServer::start().await;
    let client = client_for(&server.url, 3);
    let (status, message) = server_error(client.query_range(&v30()).await);
    assert_eq!(status, 400);
    assert_eq!(
        message,
        "parse error at line 1, col 17: syntax error: unexpected $end, expecting } or ,"
    );
    assert_eq!(server.count("/query_range"), 1, "a 400 is never retried");
}

#[tokio::test]
async fn too_many_requests_is_retried_then_succeeds() {
    let server = LokiServer::start().await;
    let refusals = Arc::new(AtomicUsize::new(0));
    let r = refusals.clone();
    server.script(move |req| {
        (req.path.ends_with("/labels") && r.fetch_add(1, Ordering::SeqCst) < 2).then(|| {
            Reply::text(429, "Ingestion rate limit exceeded").with_header("Retry-After", "0")
        })
    });
    let client = client_for(&server.url, 3);
    let got = client
        .labels(ns("2008-11-01T00:00:00Z"), ns("2017-06-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(got, ["app", "component", "level"]);
    assert_eq!(server.count("/labels"), 3, "two 429s, then the answer");

    // Retry-After is honoured (capped at 300 ms by the test options), not the 1 ms backoff.
    let server = LokiServer::start().await;
    let once = Arc::new(AtomicBool::new(false));
    let o = once.clone();
    server.script(move |req| {
        (req.path.ends_with("/labels") && !o.swap(true, Ordering::SeqCst))
            .then(|| Reply::text(429, "slow down").with_header("Retry-After", "120"))
    });
    let client = client_for(&server.url, 1);
    let t = Instant::now();
    client
        .labels(ns("2008-11-01T00:00:00Z"), ns("2017-06-01T00:00:00Z"))
        .await
        .unwrap();
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(5),
        "{took:?}"
    );

    // Out of retries: the 429 is the error.
    let server = LokiServer::start().await;
    server.script(|_| Some(Reply::text(429, "too many outstanding requests")));
    let client = client_for(&server.url, 2);
    let e = client.labels(0, 1).await;
    assert_eq!(
        server_error(e),
        (429, "too many outstanding requests".to_string())
    );
    assert_eq!(server.count("/labels"), 3);
}

#[tokio::test]
async fn many_to_many_500_is_retried_up_to_max_retries_then_surfaced() {
    let server = LokiServer::start().await;
    let all = golden();
    let client = client_for(&server.url, 2);
    let req = RangeRequest {
        query: r#"rate({app="hdfs"}[1h]) / on() group_left count_over_time({app="hdfs"}[1h])"#
            .into(),
        start_ns: ns("2008-11-09T20:00:00Z"),
        end_ns: ns("2008-11-11T11:00:00Z"),
        step_ns: Some(3_600_000_000_000),
        limit: 100,
        direction: Direction::Backward,
    };
    let (status, message) = server_error(client.query_range(&req).await);
    assert_eq!(status, 500);
    assert_eq!(message, record(&all, "d15").body);
    assert!(message.contains("many-to-many matching not allowed"));
    assert_eq!(server.count("/query_range"), 3, "first attempt + 2 retries");
}

#[tokio::test]
async fn a_slow_reply_times_out_quickly() {
    let server = LokiServer::start().await;
    server.script(|_| Some(Reply::data(json!(["late"])).with_delay(Duration::from_secs(20))));
    let cfg = LokiConfig {
        max_retries: 3,
        ..config(&server.url)
    };
    let mut opts = fast(&cfg);
    opts.timeout = Duration::from_millis(300);
    let client = LokiClient::with_options(&cfg, opts).unwrap();
    let t = Instant::now();
    let e = client.labels(0, 1).await.unwrap_err();
    assert!(
        matches!(e, BackendError::Timeout(d) if d == Duration::from_millis(300)),
        "{e:?}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(server.count("/labels"), 1, "timeouts are not retried");
}

#[tokio::test]
async fn connection_refused_names_the_url() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = client_for(&format!("http://127.0.0.1:{port}/gw"), 2);
    let t = Instant::now();
    match client.labels(0, 1).await {
        Err(BackendError::Transport { url, message }) => {
            assert_eq!(
                url,
                format!("http://127.0.0.1:{port}/gw/loki/api/v1/labels")
            );
            assert!(
                message.to_lowercase().contains("refused") || message.contains("connect"),
                "{message}"
            );
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_200_that_is_not_loki_json_is_a_clear_error() {
    let server = LokiServer::start().await;
    server.script(|req| {
        if req.path.ends_with("/labels") {
            let mut r = Reply::text(200, "<html><body>Welcome to nginx!</body></html>");
            r.content_type = "text/html".into();
            Some(r)
        } else {
            Some(Reply::json(
                200,
                &json!({"data": {"resultType": "streams", "result": []}}),
            ))
        }
    });
    let client = client_for(&server.url, 0);
    match client.labels(0, 1).await {
        Err(BackendError::Transport { url, message }) => {
            assert!(url.ends_with("/loki/api/v1/labels"));
            assert!(
                message.contains("not JSON") && message.contains("Welcome to nginx"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    let e = client.query_range(&v30()).await.unwrap_err().to_string();
    assert!(e.contains("not Loki's JSON"), "{e}");
}

// ---------------------------------------------------------------------------
// Auth, tenant, base URL, proxy
// ---------------------------------------------------------------------------

/// Answers `/labels` only when `check` accepts the request, else 401.
fn guarded(server: &LokiServer, check: impl Fn(&Request) -> bool + Send + Sync + 'static) {
    server.script(move |req| {
        Some(if check(req) {
            Reply::data(json!(["app"]))
        } else {
            Reply::text(401, "no org id")
        })
    });
}

#[tokio::test]
async fn basic_auth_bearer_and_tenant_headers_are_sent() {
    let server = LokiServer::start().await;
    guarded(&server, |r| {
        r.header("authorization") == Some("Basic YWxpY2U6czNjcmV0")
            && r.header("x-scope-orgid") == Some("tenant-1")
    });
    let cfg = LokiConfig {
        username: Some("alice".into()),
        password: Some("s3cret".into()),
        org_id: Some("tenant-1".into()),
        ..config(&server.url)
    };
    assert_eq!(
        LokiClient::new(&cfg).unwrap().labels(0, 1).await.unwrap(),
        ["app"]
    );

    let server = LokiServer::start().await;
    guarded(&server, |r| {
        r.header("authorization") == Some("Bearer tok-123") && r.header("x-scope-orgid").is_none()
    });
    let cfg = LokiConfig {
        bearer_token: Some("tok-123".into()),
        ..config(&server.url)
    };
    assert_eq!(
        LokiClient::new(&cfg).unwrap().labels(0, 1).await.unwrap(),
        ["app"]
    );

    // Without credentials: no Authorization header, and Loki's 401 is surfaced.
    let server = LokiServer::start().await;
    guarded(&server, |r| r.header("authorization").is_some());
    let e = LokiClient::new(&config(&server.url))
        .unwrap()
        .labels(0, 1)
        .await;
    assert_eq!(server_error(e), (401, "no org id".to_string()));
    assert!(server.requests()[0].header("authorization").is_none());
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix_is_kept() {
    let server = LokiServer::start().await;
    server.script(|r| {
        (r.path == "/gateway/loki-x/loki/api/v1/labels").then(|| Reply::data(json!(["prefixed"])))
    });
    for base in [
        format!("{}/gateway/loki-x", server.url),
        format!("{}/gateway/loki-x/", server.url),
    ] {
        let client = client_for(&base, 0);
        assert_eq!(client.labels(0, 1).await.unwrap(), ["prefixed"], "{base}");
    }
}

#[tokio::test]
async fn requests_go_through_the_configured_proxy() {
    let proxy = LokiServer::start().await;
    proxy.script(|r| (r.path == "/loki/api/v1/labels").then(|| Reply::data(json!(["via-proxy"]))));
    let cfg = LokiConfig {
        proxy_url: Some(proxy.url.clone()),
        ..config("http://loki.invalid:3100")
    };
    let client = LokiClient::with_options(&cfg, fast(&cfg)).unwrap();
    assert_eq!(client.labels(0, 1).await.unwrap(), ["via-proxy"]);
    assert_eq!(
        proxy.requests()[0].header("host"),
        Some("loki.invalid:3100")
    );
}

#[tokio::test]
async fn ready_and_buildinfo() {
    let server = LokiServer::start().await;
    let up = Arc::new(AtomicBool::new(false));
    let u = up.clone();
    server.script(move |r| match r.path.as_str() {
        "/ready" if u.load(Ordering::SeqCst) => Some(Reply::text(200, "ready\n")),
        "/ready" => Some(Reply::text(503, "Ingester not ready: waiting for 15s after being ready")),
        "/loki/api/v1/status/buildinfo" => Some(Reply::json(
            200,
            &json!({"version": "3.4.6", "revision": "abc", "branch": "HEAD", "goVersion": "go1.23.7"}),
        )),
        _ => None,
    });
    let client = client_for(&server.url, 3);
    let (status, message) = server_error(client.ready().await);
    assert_eq!(status, 503);
    assert!(message.starts_with("Ingester not ready"), "{message}");
    assert_eq!(
        server.count("/ready"),
        1,
        "readiness is asked once, not retried"
    );
    up.store(true, Ordering::SeqCst);
    client.ready().await.unwrap();
    let info = client.buildinfo().await.unwrap();
    assert_eq!(
        (info.version.as_str(), info.go_version.as_str()),
        ("3.4.6", "go1.23.7")
    );
}
