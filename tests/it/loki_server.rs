//! A stand-in Loki for the client tests: an axum server on 127.0.0.1:0 that
//! replays the golden replies of a real Loki (tests/data/loki-golden:
//! responses.jsonl and api-samples.jsonl) matched on path and parameters, and
//! lets a test script other behaviours (errors, delays, paging, pushes). It
//! records every request it receives. Plain HTTP or TLS (optionally asking
//! for a client certificate).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// One request as the server saw it (a gzip body is decompressed).
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub params: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Request {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `start`/`end`/`time` as unix ns, whatever form they were sent in.
    pub fn time_param(&self, name: &str) -> Option<i64> {
        self.param(name).and_then(parse_time)
    }

    /// `step` in ns (a Go duration or seconds).
    pub fn step_ns(&self) -> Option<i64> {
        self.param("step").and_then(parse_duration_ns)
    }
}

/// A reply to send.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json; charset=UTF-8".into(),
            body: body.to_string(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8".into(),
            body: body.into(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// `{"status":"success","data":<data>}`.
    pub fn data(data: Value) -> Reply {
        Reply::json(200, &serde_json::json!({"status": "success", "data": data}))
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn with_delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

/// A scripted behaviour: `Some(reply)` answers the request, `None` falls
/// through to the golden replay.
pub type Script = Box<dyn Fn(&Request) -> Option<Reply> + Send + Sync>;

/// One golden reply.
#[derive(Debug, Clone)]
pub struct Golden {
    pub id: String,
    pub path: String,
    /// The recorded parameters (JSON values: strings, numbers, lists).
    pub params: Value,
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Golden {
    /// The body as JSON (errors are plain text and give `None`).
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    fn canon(&self) -> Canon {
        let mut pairs = Vec::new();
        if let Some(obj) = self.params.as_object() {
            for (k, v) in obj {
                match v {
                    Value::Array(items) => {
                        pairs.extend(items.iter().map(|i| (k.clone(), scalar(i))))
                    }
                    other => pairs.push((k.clone(), scalar(other))),
                }
            }
        }
        canon(&self.path, &pairs)
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every golden reply: responses.jsonl (v01-v36) and api-samples.jsonl (d01-d17).
pub fn golden() -> Vec<Golden> {
    let dir = crate::common::root().join("tests/data/loki-golden");
    let mut out = Vec::new();
    let mut text = std::fs::read_to_string(dir.join("responses.jsonl")).expect("read responses.jsonl");
    text.push('\n');
    text.push_str(&std::fs::read_to_string(dir.join("responses-ip-dedup.jsonl")).expect("read responses-ip-dedup.jsonl"));
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let r: Value = serde_json::from_str(line).expect("responses.jsonl line");
        let status = r["status"].as_u64().expect("status") as u16;
        let (content_type, body) = match r.get("response") {
            Some(resp) => (
                "application/json; charset=UTF-8".to_string(),
                resp.to_string(),
            ),
            None => (
                "text/plain; charset=utf-8".to_string(),
                r["error"].as_str().expect("error").to_string(),
            ),
        };
        out.push(Golden {
            id: r["id"].as_str().expect("id").into(),
            path: r["request"]["path"].as_str().expect("path").into(),
            params: r["request"]["params"].clone(),
            status,
            content_type,
            body,
        });
    }
    let text =
        std::fs::read_to_string(dir.join("api-samples.jsonl")).expect("read api-samples.jsonl");
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let r: Value = serde_json::from_str(line).expect("api-samples.jsonl line");
        out.push(Golden {
            id: r["id"].as_str().expect("id").into(),
            path: r["request"]["path"].as_str().expect("path").into(),
            params: r["request"]["params"].clone(),
            status: r["status"].as_u64().expect("status") as u16,
            content_type: r["content_type"].as_str().expect("content_type").into(),
            body: r["body"].as_str().expect("body").into(),
        });
    }
    out
}

/// A request reduced to what Loki looks at: times in ns, steps in ns, Loki's
/// defaults filled in, parameters a query type ignores dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Canon {
    path: String,
    params: BTreeMap<String, String>,
    matches: BTreeSet<String>,
}

fn canon(path: &str, pairs: &[(String, String)]) -> Canon {
    let mut params = BTreeMap::new();
    let mut matches = BTreeSet::new();
    for (k, v) in pairs {
        let value = match k.as_str() {
            "start" | "end" | "time" => parse_time(v).map_or(v.clone(), |t| t.to_string()),
            "step" => parse_duration_ns(v).map_or(v.clone(), |t| t.to_string()),
            "match[]" => {
                matches.insert(v.clone());
                continue;
            }
            _ => v.clone(),
        };
        params.insert(k.clone(), value);
    }
    let is_query = path.ends_with("/query_range") || path.ends_with("/query");
    if is_query {
        let log = params
            .get("query")
            .is_some_and(|q| q.trim_start().starts_with('{'));
        if log {
            params.entry("limit".into()).or_insert_with(|| "100".into());
            params
                .entry("direction".into())
                .or_insert_with(|| "backward".into());
            params.remove("step");
        } else {
            params.remove("limit");
            params.remove("direction");
            if path.ends_with("/query_range") && !params.contains_key("step") {
                let start: Option<i64> = params.get("start").and_then(|s| s.parse().ok());
                let end: Option<i64> = params.get("end").and_then(|s| s.parse().ok());
                if let (Some(s), Some(e)) = (start, end) {
                    params.insert(
                        "step".into(),
                        logcopilot::backend::default_step_ns(s, e).to_string(),
                    );
                }
            }
        }
    }
    Canon {
        path: path.to_string(),
        params,
        matches,
    }
}

/// RFC 3339, integer unix ns, or decimal unix seconds.
pub fn parse_time(v: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return t.timestamp_nanos_opt();
    }
    if let Ok(n) = v.parse::<i64>() {
        return Some(n);
    }
    v.parse::<f64>().ok().map(|s| (s * 1e9).round() as i64)
}

/// A Go/Prometheus duration (`1h`, `30m`, `1h30m`, `500ms`) or seconds (`3600`, `0.25`).
pub fn parse_duration_ns(v: &str) -> Option<i64> {
    if let Ok(secs) = v.parse::<f64>() {
        return Some((secs * 1e9).round() as i64);
    }
    let mut total = 0i64;
    let mut rest = v;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(digits);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let n: f64 = num.parse().ok()?;
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "d" => 86400e9,
            "w" => 604800e9,
            "y" => 31536000e9,
            _ => return None,
        };
        total += (n * scale).round() as i64;
        rest = tail;
    }
    Some(total)
}

struct Inner {
    records: Vec<(Canon, Golden)>,
    script: Mutex<Option<Script>>,
    seen: Mutex<Vec<Request>>,
}

/// The running server; stops when dropped.
pub struct LokiServer {
    /// `http://127.0.0.1:<port>` (or `https://`).
    pub url: String,
    pub addr: SocketAddr,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LokiServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LokiServer {
    /// A plain HTTP server replaying every golden reply.
    pub async fn start() -> LokiServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let inner = new_inner();
        let app = router(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        LokiServer {
            url: format!("http://{addr}"),
            addr,
            inner,
            task,
        }
    }

    /// A TLS server with `cert`/`key` (PEM); with `client_ca`, a client
    /// certificate signed by it is required.
    pub async fn start_tls(cert: &Path, key: &Path, client_ca: Option<&Path>) -> LokiServer {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .expect("server cert")
            .collect::<Result<_, _>>()
            .expect("server cert pem");
        let key = PrivateKeyDer::from_pem_file(key).expect("server key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("tls versions");
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for c in CertificateDer::pem_file_iter(ca).expect("client ca") {
                    roots.add(c.expect("client ca pem")).expect("add client ca");
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .expect("client verifier");
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let config = builder
            .with_single_cert(certs, key)
            .expect("server tls config");
        let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = tcp.local_addr().expect("addr");
        let listener = TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        };
        let inner = new_inner();
        let app = router(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        LokiServer {
            url: format!("https://{addr}"),
            addr,
            inner,
            task,
        }
    }

    /// Replaces the scripted behaviour.
    pub fn script(&self, f: impl Fn(&Request) -> Option<Reply> + Send + Sync + 'static) {
        *self.inner.script.lock().expect("script lock") = Some(Box::new(f));
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.inner.seen.lock().expect("seen lock").clone()
    }

    /// Requests whose path ends with `suffix`.
    pub fn count(&self, suffix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.path.ends_with(suffix))
            .count()
    }
}

fn new_inner() -> Arc<Inner> {
    let records = golden().into_iter().map(|g| (g.canon(), g)).collect();
    Arc::new(Inner {
        records,
        script: Mutex::new(None),
        seen: Mutex::new(Vec::new()),
    })
}

fn router(inner: Arc<Inner>) -> Router {
    Router::new().fallback(handle).with_state(inner)
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut body = body.to_vec();
    if headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        == Some("gzip")
    {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .is_err()
        {
            return (StatusCode::BAD_REQUEST, "bad gzip body").into_response();
        }
        body = out;
    }
    let req = Request {
        method: method.to_string(),
        path: uri.path().to_string(),
        params,
        headers,
        body,
    };
    inner.seen.lock().expect("seen lock").push(req.clone());
    let scripted = inner
        .script
        .lock()
        .expect("script lock")
        .as_ref()
        .and_then(|s| s(&req));
    let reply = scripted.unwrap_or_else(|| replay(&inner.records, &req));
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut resp = (
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        reply.body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&reply.content_type) {
        resp.headers_mut().insert("content-type", v);
    }
    for (k, v) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::try_from(k),
            HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().insert(name, value);
        }
    }
    resp
}

fn replay(records: &[(Canon, Golden)], req: &Request) -> Reply {
    let want = canon(&req.path, &req.params);
    match records.iter().find(|(c, _)| *c == want) {
        Some((_, g)) => Reply {
            status: g.status,
            content_type: g.content_type.clone(),
            body: g.body.clone(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        },
        None => Reply::text(404, &format!("no recorded reply for {want:?}")),
    }
}

/// Accepts TCP connections and completes the TLS handshake; failed
/// handshakes are dropped (the client sees the error).
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
