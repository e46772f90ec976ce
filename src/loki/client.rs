//! `LokiClient`: the HTTP side of a real Loki. Builds the reqwest client from
//! `[loki]` (base URL, auth, tenant, TLS, proxy, timeout), sends requests with
//! Loki's parameter names, retries what is worth retrying, and turns replies
//! into typed results or `BackendError`s carrying Loki's own words. Splitting
//! long metric ranges lives in `split`, paging log queries in `paging`.

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::model::{self, BuildInfo, DetectedField, Pattern};
use super::paging::LogPager;
use super::retry::{RetryPolicy, parse_retry_after, retryable_status};
use super::split::{self, Plan};
use super::tls;
use crate::backend::{BackendError, InstantRequest, MAX_LIMIT, MAX_POINTS, RangeRequest};
use crate::config::LokiConfig;
use crate::logql::value::{Labels, QueryResult, Stream};

/// A stream to push: its labels and entries (oldest first is what Loki likes).
pub type PushStream = Stream;

/// Behaviour of the client beyond the server's address and credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOptions {
    /// Per-request timeout (connect, send and read the whole reply).
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// Entries asked for per log query request (at most [`MAX_LIMIT`]).
    pub page_size: u32,
    /// Also split metric range queries longer than this (`None`: only split
    /// past Loki's 11,000 points per series).
    pub split_interval: Option<Duration>,
}

impl ClientOptions {
    /// From `[loki]`: `timeout_secs` (at least 1), `max_retries`, `query_limit`
    /// (the page size, capped at [`MAX_LIMIT`]; 0 means the cap).
    pub fn from_config(cfg: &LokiConfig) -> Result<Self, BackendError> {
        if cfg.timeout_secs == 0 {
            return Err(bad("loki.timeout_secs", "must be at least 1 (seconds)".into()));
        }
        let page_size = match cfg.query_limit {
            0 => MAX_LIMIT,
            n => u32::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
        };
        Ok(ClientOptions {
            timeout: Duration::from_secs(cfg.timeout_secs),
            retry: RetryPolicy { max_retries: cfg.max_retries, ..RetryPolicy::default() },
            page_size,
            split_interval: None,
        })
    }
}

enum Auth {
    None,
    Basic { user: String, password: String },
}

/// A client for one Loki (one tenant). Cheap to clone.
#[derive(Clone)]
pub struct LokiClient {
    http: reqwest::Client,
    /// The base URL, its path ending in `/`.
    base: Url,
    auth: std::sync::Arc<Auth>,
    opts: ClientOptions,
}

impl fmt::Debug for LokiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LokiClient")
            .field("base", &redact(&self.base))
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

/// The body of a POST.
struct Body {
    bytes: Vec<u8>,
    content_type: &'static str,
    gzip: bool,
}

impl LokiClient {
    /// A client for the Loki of `cfg`, with options from `cfg`.
    pub fn new(cfg: &LokiConfig) -> Result<LokiClient, BackendError> {
        Self::with_options(cfg, ClientOptions::from_config(cfg)?)
    }

    /// A client for the Loki of `cfg` with explicit options. Every setting is
    /// checked here: a bad URL, unreadable or unparsable TLS files, or
    /// conflicting credentials give `BadParam` naming the setting (and file).
    pub fn with_options(cfg: &LokiConfig, opts: ClientOptions) -> Result<LokiClient, BackendError> {
        let base = parse_base_url(cfg.base_url.as_deref())?;
        if opts.timeout.is_zero() {
            return Err(bad("loki.timeout_secs", "must be at least 1 (seconds)".into()));
        }
        let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let (user, password, token) = (set(&cfg.username), set(&cfg.password), set(&cfg.bearer_token));

        let mut headers = HeaderMap::new();
        if let Some(org) = set(&cfg.org_id) {
            let v = HeaderValue::from_str(&org)
                .map_err(|_| bad("loki.org_id", "holds characters not allowed in an HTTP header".into()))?;
            headers.insert("X-Scope-OrgID", v);
        }
        let auth = match (user, password, token) {
            (Some(_), _, Some(_)) | (None, Some(_), Some(_)) => {
                return Err(bad(
                    "loki.bearer_token",
                    "set either loki.username/loki.password (basic auth) or loki.bearer_token, not both".into(),
                ));
            }
            (None, Some(_), None) => {
                return Err(bad("loki.username", "loki.password is set but loki.username is not".into()));
            }
            (Some(user), password, None) => Auth::Basic { user, password: password.unwrap_or_default() },
            (None, None, Some(token)) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| bad("loki.bearer_token", "holds characters not allowed in an HTTP header".into()))?;
                v.set_sensitive(true);
                headers.insert(AUTHORIZATION, v);
                Auth::None
            }
            (None, None, None) => Auth::None,
        };

        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("logcopilot/", env!("CARGO_PKG_VERSION")))
            .gzip(true)
            .connect_timeout(opts.timeout.min(Duration::from_secs(10)));
        if let Some(proxy) = set(&cfg.proxy_url) {
            let p = reqwest::Proxy::all(&proxy)
                .map_err(|e| bad("loki.proxy_url", format!("{proxy:?} is not a proxy URL: {}", tls::chain(&e))))?;
            builder = builder.proxy(p);
        }
        builder = tls::configure(builder, cfg)?;
        let http = builder
            .build()
            .map_err(|e| bad("loki", format!("cannot set up the HTTP client: {}", tls::chain(&e))))?;
        Ok(LokiClient { http, base, auth: std::sync::Arc::new(auth), opts })
    }

    pub fn options(&self) -> &ClientOptions {
        &self.opts
    }

    /// The base URL, credentials removed.
    pub fn base_url(&self) -> String {
        redact(&self.base)
    }

    // -- queries -----------------------------------------------------------

    /// `GET /loki/api/v1/query_range`. Log queries (starting with a stream
    /// selector) are paged up to `req.limit`; metric queries too long for one
    /// request are split and merged. Each request sent passes
    /// [`RangeRequest::validate`] first.
    pub async fn query_range(&self, req: &RangeRequest) -> Result<QueryResult, BackendError> {
        if is_log_query(&req.query) {
            self.query_logs(req).await
        } else {
            self.query_metric(req).await
        }
    }

    async fn query_metric(&self, req: &RangeRequest) -> Result<QueryResult, BackendError> {
        let limit = req.limit.min(MAX_LIMIT);
        match split::plan(req.start_ns, req.end_ns, req.step(), self.opts.split_interval) {
            Plan::Whole => {
                let r = RangeRequest { limit, ..req.clone() };
                r.validate()?;
                self.range_once(&r).await
            }
            Plan::TooMany(n) => Err(BackendError::BadParam {
                param: "step",
                message: format!(
                    "the range would take {n} requests of at most {MAX_POINTS} points per series (over {}). Try increasing the step",
                    split::MAX_PIECES
                ),
            }),
            Plan::Pieces(pieces) => {
                let step = req.step();
                let mut parts = Vec::with_capacity(pieces.len());
                for p in pieces {
                    let r = RangeRequest {
                        start_ns: p.start_ns,
                        end_ns: p.end_ns,
                        step_ns: Some(step),
                        limit,
                        ..req.clone()
                    };
                    r.validate()?;
                    parts.push(self.range_once(&r).await?);
                }
                split::merge(parts).map_err(BackendError::Execution)
            }
        }
    }

    async fn query_logs(&self, req: &RangeRequest) -> Result<QueryResult, BackendError> {
        let page = self.opts.page_size.clamp(1, MAX_LIMIT);
        RangeRequest { limit: req.limit.min(page), ..req.clone() }.validate()?;
        let mut pager = LogPager::new(req.start_ns, req.end_ns, req.limit, page, req.direction);
        let mut first = true;
        while let Some(p) = pager.next_request() {
            let r = RangeRequest { start_ns: p.start_ns, end_ns: p.end_ns, limit: p.limit, ..req.clone() };
            r.validate()?;
            match self.range_once(&r).await? {
                QueryResult::Streams(s) => pager.accept(s, p.limit),
                other if first => return Ok(other),
                other => {
                    return Err(BackendError::Execution(format!(
                        "a later page of a log query answered {} instead of streams",
                        other.result_type()
                    )));
                }
            }
            first = false;
        }
        Ok(QueryResult::Streams(pager.finish()))
    }

    /// One `query_range` request, exactly as given.
    async fn range_once(&self, r: &RangeRequest) -> Result<QueryResult, BackendError> {
        let mut params = vec![
            ("query", r.query.clone()),
            ("start", r.start_ns.to_string()),
            ("end", r.end_ns.to_string()),
            ("limit", r.limit.to_string()),
            ("direction", r.direction.as_str().to_owned()),
        ];
        if let Some(step) = r.step_ns {
            params.push(("step", format_step(step)));
        }
        let url = self.endpoint(&["loki", "api", "v1", "query_range"]);
        let data = self.get_data(url.clone(), &params).await?;
        self.result(&url, &data)
    }

    /// `GET /loki/api/v1/query` (instant), after [`InstantRequest::validate`].
    pub async fn query(&self, req: &InstantRequest) -> Result<QueryResult, BackendError> {
        req.validate()?;
        let params = [
            ("query", req.query.clone()),
            ("time", req.time_ns.to_string()),
            ("limit", req.limit.to_string()),
            ("direction", req.direction.as_str().to_owned()),
        ];
        let url = self.endpoint(&["loki", "api", "v1", "query"]);
        let data = self.get_data(url.clone(), &params).await?;
        self.result(&url, &data)
    }

    fn result(&self, url: &Url, data: &Value) -> Result<QueryResult, BackendError> {
        QueryResult::from_loki_data(data).map_err(|e| not_loki(url, &format!("the reply is not a Loki query result: {e}")))
    }

    /// `GET /loki/api/v1/labels`: label names seen in `[start, end]`.
    pub async fn labels(&self, start_ns: i64, end_ns: i64) -> Result<Vec<String>, BackendError> {
        let url = self.endpoint(&["loki", "api", "v1", "labels"]);
        let data = self.get_data(url.clone(), &range_params(start_ns, end_ns)).await?;
        model::string_list(&data).map_err(|e| not_loki(&url, &e))
    }

    /// `GET /loki/api/v1/label/<name>/values`, optionally only for streams
    /// matching `query` (a stream selector).
    pub async fn label_values(
        &self,
        name: &str,
        start_ns: i64,
        end_ns: i64,
        query: Option<&str>,
    ) -> Result<Vec<String>, BackendError> {
        let url = self.endpoint(&["loki", "api", "v1", "label", name, "values"]);
        let mut params = range_params(start_ns, end_ns);
        if let Some(q) = query {
            params.push(("query", q.to_owned()));
        }
        let data = self.get_data(url.clone(), &params).await?;
        model::string_list(&data).map_err(|e| not_loki(&url, &e))
    }

    /// `GET /loki/api/v1/series` with one `match[]` per selector.
    pub async fn series(&self, matchers: &[String], start_ns: i64, end_ns: i64) -> Result<Vec<Labels>, BackendError> {
        let url = self.endpoint(&["loki", "api", "v1", "series"]);
        let mut params: Vec<(&str, String)> = matchers.iter().map(|m| ("match[]", m.clone())).collect();
        params.extend(range_params(start_ns, end_ns));
        let data = self.get_data(url.clone(), &params).await?;
        model::label_sets(&data).map_err(|e| not_loki(&url, &e))
    }

    /// `GET /loki/api/v1/patterns` (needs Loki's pattern ingester): patterns
    /// of the streams of `query` with counts per `step_ns` (Loki's default
    /// step when `None`).
    pub async fn patterns(
        &self,
        query: &str,
        start_ns: i64,
        end_ns: i64,
        step_ns: Option<i64>,
    ) -> Result<Vec<Pattern>, BackendError> {
        let url = self.endpoint(&["loki", "api", "v1", "patterns"]);
        let mut params = vec![("query", query.to_owned())];
        params.extend(range_params(start_ns, end_ns));
        if let Some(step) = step_ns {
            if step <= 0 {
                return Err(BackendError::BadParam {
                    param: "step",
                    message: "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
                });
            }
            params.push(("step", format_step(step)));
        }
        let data = self.get_data(url.clone(), &params).await?;
        model::patterns(&data).map_err(|e| not_loki(&url, &e))
    }

    /// `GET /loki/api/v1/format_query`: Loki's canonical text of `query`. A
    /// query that does not parse gives `Server { status: 400, message }` with
    /// Loki's parse error.
    pub async fn format_query(&self, query: &str) -> Result<String, BackendError> {
        let url = self.endpoint(&["loki", "api", "v1", "format_query"]);
        let data = self.get_data(url.clone(), &[("query", query.to_owned())]).await?;
        data.as_str()
            .map(str::to_owned)
            .ok_or_else(|| not_loki(&url, "format_query answered no string"))
    }

    /// `GET /loki/api/v1/index/volume`: bytes per stream (a vector).
    pub async fn volume(&self, query: &str, start_ns: i64, end_ns: i64) -> Result<QueryResult, BackendError> {
        let url = self.endpoint(&["loki", "api", "v1", "index", "volume"]);
        let mut params = vec![("query", query.to_owned())];
        params.extend(range_params(start_ns, end_ns));
        let data = self.get_data(url.clone(), &params).await?;
        self.result(&url, &data)
    }

    /// `GET /loki/api/v1/detected_fields`: fields Loki finds in the lines.
    pub async fn detected_fields(
        &self,
        query: &str,
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<DetectedField>, BackendError> {
        let url = self.endpoint(&["loki", "api", "v1", "detected_fields"]);
        let mut params = vec![("query", query.to_owned())];
        params.extend(range_params(start_ns, end_ns));
        let body = self.get_json(url.clone(), &params).await?;
        model::detected_fields(&body).map_err(|e| not_loki(&url, &e))
    }

    /// `GET /loki/api/v1/detected_labels`: `(label, cardinality)`.
    pub async fn detected_labels(
        &self,
        query: &str,
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<(String, u64)>, BackendError> {
        let url = self.endpoint(&["loki", "api", "v1", "detected_labels"]);
        let mut params = vec![("query", query.to_owned())];
        params.extend(range_params(start_ns, end_ns));
        let body = self.get_json(url.clone(), &params).await?;
        model::detected_labels(&body).map_err(|e| not_loki(&url, &e))
    }

    /// `GET /ready`, not retried: `Ok` when Loki says it is ready.
    pub async fn ready(&self) -> Result<(), BackendError> {
        self.send(Method::GET, self.endpoint(&["ready"]), &[], None, 0).await.map(|_| ())
    }

    /// `GET /loki/api/v1/status/buildinfo`.
    pub async fn buildinfo(&self) -> Result<BuildInfo, BackendError> {
        let url = self.endpoint(&["loki", "api", "v1", "status", "buildinfo"]);
        let body = self.get_json(url, &[]).await?;
        Ok(model::build_info(&body))
    }

    // -- push --------------------------------------------------------------

    /// `POST /loki/api/v1/push` with a JSON body.
    pub async fn push(&self, streams: &[PushStream]) -> Result<(), BackendError> {
        self.push_with(streams, false).await
    }

    /// `POST /loki/api/v1/push`, the JSON body gzip-compressed when `gzip`.
    pub async fn push_with(&self, streams: &[PushStream], gzip: bool) -> Result<(), BackendError> {
        let bytes = push_body(streams, gzip).map_err(|e| BackendError::Io(format!("cannot compress the push body: {e}")))?;
        let body = Body { bytes, content_type: "application/json", gzip };
        let url = self.endpoint(&["loki", "api", "v1", "push"]);
        self.send(Method::POST, url, &[], Some(&body), self.opts.retry.max_retries).await.map(|_| ())
    }

    // -- transport ---------------------------------------------------------

    /// The URL of an API path below the base URL (segments are escaped).
    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// GET and unwrap Loki's `{"status":"success","data":...}`.
    async fn get_data(&self, url: Url, params: &[(&str, String)]) -> Result<Value, BackendError> {
        let body = self.send(Method::GET, url.clone(), params, None, self.opts.retry.max_retries).await?;
        model::success_data(&body).map_err(|e| not_loki(&url, &e))
    }

    /// GET a JSON body that has no `data` envelope.
    async fn get_json(&self, url: Url, params: &[(&str, String)]) -> Result<Value, BackendError> {
        let body = self.send(Method::GET, url.clone(), params, None, self.opts.retry.max_retries).await?;
        serde_json::from_slice(&body)
            .map_err(|e| not_loki(&url, &format!("the reply is not JSON ({e}): {}", model::snippet(&body))))
    }

    /// Sends one request, retrying 429, 5xx and connection errors up to
    /// `max_retries` times; returns the body of a 2xx reply.
    async fn send(
        &self,
        method: Method,
        url: Url,
        params: &[(&str, String)],
        body: Option<&Body>,
        max_retries: u32,
    ) -> Result<Vec<u8>, BackendError> {
        let mut retry = 0u32;
        loop {
            let mut rb = self.http.request(method.clone(), url.clone()).timeout(self.opts.timeout);
            if !params.is_empty() {
                rb = rb.query(params);
            }
            if let Auth::Basic { user, password } = &*self.auth {
                rb = rb.basic_auth(user, Some(password));
            }
            if let Some(b) = body {
                rb = rb.header(CONTENT_TYPE, b.content_type).body(b.bytes.clone());
                if b.gzip {
                    rb = rb.header(CONTENT_ENCODING, "gzip");
                }
            }
            let (err, wait) = match rb.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = resp
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    match resp.bytes().await {
                        Ok(bytes) if (200..300).contains(&status) => return Ok(bytes.into()),
                        Ok(bytes) => {
                            let err = BackendError::Server { status, message: model::error_message(&bytes, status) };
                            if !retryable_status(status) {
                                return Err(err);
                            }
                            (err, retry_after)
                        }
                        Err(e) => {
                            let retryable = !e.is_timeout();
                            let err = self.transport_error(e, &url);
                            if !retryable {
                                return Err(err);
                            }
                            (err, None)
                        }
                    }
                }
                Err(e) => {
                    let retryable = !e.is_timeout() && (e.is_connect() || e.is_request() || e.is_body());
                    let err = self.transport_error(e, &url);
                    if !retryable {
                        return Err(err);
                    }
                    (err, None)
                }
            };
            if retry >= max_retries {
                return Err(err);
            }
            tokio::time::sleep(self.opts.retry.delay(retry, wait)).await;
            retry += 1;
        }
    }

    fn transport_error(&self, e: reqwest::Error, url: &Url) -> BackendError {
        if e.is_timeout() {
            return BackendError::Timeout(self.opts.timeout);
        }
        BackendError::Transport { url: redact(url), message: tls::chain(&e.without_url()) }
    }
}

/// Whether `query` is a log query (a stream selector first), not a metric
/// query. Leading `#` comment lines are skipped.
pub fn is_log_query(query: &str) -> bool {
    let mut rest = query;
    loop {
        rest = rest.trim_start();
        match rest.strip_prefix('#') {
            Some(comment) => rest = comment.split_once('\n').map_or("", |(_, r)| r),
            None => return rest.starts_with('{'),
        }
    }
}

/// A step for Loki: whole seconds as `"3600"`, else decimal seconds
/// (`"0.25"`); Loki reads both as seconds.
pub fn format_step(step_ns: i64) -> String {
    let secs = step_ns.div_euclid(1_000_000_000);
    let frac = step_ns.rem_euclid(1_000_000_000);
    if frac == 0 {
        secs.to_string()
    } else {
        let text = format!("{secs}.{frac:09}");
        text.trim_end_matches('0').to_owned()
    }
}

fn range_params(start_ns: i64, end_ns: i64) -> Vec<(&'static str, String)> {
    vec![("start", start_ns.to_string()), ("end", end_ns.to_string())]
}

/// The JSON push body `{"streams":[{"stream":{..},"values":[["ns","line"]]}]}`.
pub(crate) fn push_body(streams: &[PushStream], gzip: bool) -> std::io::Result<Vec<u8>> {
    let streams: Vec<Value> = streams
        .iter()
        .map(|s| {
            json!({
                "stream": s.labels,
                "values": s.entries.iter().map(|e| json!([e.ts.to_string(), e.line])).collect::<Vec<_>>(),
            })
        })
        .collect();
    let json = serde_json::to_vec(&json!({ "streams": streams }))?;
    if !gzip {
        return Ok(json);
    }
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&json)?;
    enc.finish()
}

/// Checks `loki.base_url`: http(s), a host; the path (a prefix such as
/// `/loki-gateway`) is kept, with or without a trailing slash.
pub fn parse_base_url(base: Option<&str>) -> Result<Url, BackendError> {
    let Some(text) = base.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(bad("loki.base_url", "is not set (the Loki address, e.g. http://localhost:3100)".into()));
    };
    let mut url = Url::parse(text)
        .map_err(|e| bad("loki.base_url", format!("{text:?} is not a URL: {e} (expected e.g. http://localhost:3100)")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad(
            "loki.base_url",
            format!("{text:?} is not an http(s) address with a host (expected e.g. http://localhost:3100)"),
        ));
    }
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// The URL without credentials and query, for messages.
fn redact(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.to_string()
}

fn not_loki(url: &Url, message: &str) -> BackendError {
    BackendError::Transport { url: redact(url), message: message.to_owned() }
}

fn bad(param: &'static str, message: String) -> BackendError {
    BackendError::BadParam { param, message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::value::Entry;

    fn client(base: &str) -> LokiClient {
        let cfg = LokiConfig { base_url: Some(base.into()), ..LokiConfig::default() };
        LokiClient::new(&cfg).unwrap()
    }

    #[test]
    fn endpoints_join_the_base_with_or_without_slash_or_prefix() {
        let api = ["loki", "api", "v1", "labels"];
        assert_eq!(client("http://h:3100").endpoint(&api).as_str(), "http://h:3100/loki/api/v1/labels");
        assert_eq!(client("http://h:3100/").endpoint(&api).as_str(), "http://h:3100/loki/api/v1/labels");
        assert_eq!(client("https://h/gw/loki-x").endpoint(&api).as_str(), "https://h/gw/loki-x/loki/api/v1/labels");
        assert_eq!(client("https://h/gw/?a=1#f").endpoint(&api).as_str(), "https://h/gw/loki/api/v1/labels");
        let c = client("http://h");
        let url = c.endpoint(&["loki", "api", "v1", "label", "a/b c", "values"]);
        assert_eq!(url.as_str(), "http://h/loki/api/v1/label/a%2Fb%20c/values");
    }

    #[test]
    fn bad_base_urls_name_the_setting() {
        for bad_url in [None, Some(""), Some("localhost:3100"), Some("ftp://h"), Some("http://")] {
            let e = parse_base_url(bad_url).unwrap_err().to_string();
            assert!(e.contains("loki.base_url"), "{bad_url:?}: {e}");
        }
        assert_eq!(redact(&parse_base_url(Some("http://u:p@h:1/x")).unwrap()), "http://h:1/x/");
    }

    #[test]
    fn credentials_conflicts_and_bad_headers_are_refused() {
        let base = LokiConfig { base_url: Some("http://h".into()), ..LokiConfig::default() };
        let both = LokiConfig { username: Some("u".into()), bearer_token: Some("t".into()), ..base.clone() };
        assert!(LokiClient::new(&both).unwrap_err().to_string().contains("loki.bearer_token"));
        let pw_only = LokiConfig { password: Some("p".into()), ..base.clone() };
        assert!(LokiClient::new(&pw_only).unwrap_err().to_string().contains("loki.username"));
        let org = LokiConfig { org_id: Some("a\nb".into()), ..base.clone() };
        assert!(LokiClient::new(&org).unwrap_err().to_string().contains("loki.org_id"));
        let zero = LokiConfig { timeout_secs: 0, ..base.clone() };
        assert!(LokiClient::new(&zero).unwrap_err().to_string().contains("loki.timeout_secs"));
        let proxy = LokiConfig { proxy_url: Some("::not a url::".into()), ..base.clone() };
        assert!(LokiClient::new(&proxy).unwrap_err().to_string().contains("loki.proxy_url"));
        // Empty strings count as unset.
        let empty = LokiConfig { username: Some(String::new()), bearer_token: Some("t".into()), ..base };
        assert!(LokiClient::new(&empty).is_ok());
    }

    #[test]
    fn options_come_from_config() {
        let cfg = LokiConfig { timeout_secs: 7, max_retries: 2, query_limit: 100_000, ..LokiConfig::default() };
        let o = ClientOptions::from_config(&cfg).unwrap();
        assert_eq!(o.timeout, Duration::from_secs(7));
        assert_eq!(o.retry.max_retries, 2);
        assert_eq!(o.page_size, MAX_LIMIT);
        let cfg = LokiConfig { query_limit: 250, ..LokiConfig::default() };
        assert_eq!(ClientOptions::from_config(&cfg).unwrap().page_size, 250);
    }

    #[test]
    fn steps_are_sent_as_seconds() {
        assert_eq!(format_step(3_600_000_000_000), "3600");
        assert_eq!(format_step(250_000_000), "0.25");
        assert_eq!(format_step(1_000_000_001), "1.000000001");
    }

    #[test]
    fn log_and_metric_queries_are_told_apart() {
        assert!(is_log_query(r#"{app="hdfs"} |= "x""#));
        assert!(is_log_query("  \n{app=\"hdfs\"}"));
        assert!(is_log_query("# a comment\n{app=\"x\"}"));
        assert!(!is_log_query(r#"sum(count_over_time({app="hdfs"}[1h]))"#));
        assert!(!is_log_query("vector(0)"));
        assert!(!is_log_query("# only a comment"));
    }

    #[test]
    fn push_body_is_loki_json_and_gzips() {
        let s = Stream {
            labels: [("app".to_string(), "hdfs".to_string())].into(),
            entries: vec![Entry { ts: 1_226_398_396_000_000_000, line: "a \"q\"".into() }],
        };
        let plain = push_body(std::slice::from_ref(&s), false).unwrap();
        let v: Value = serde_json::from_slice(&plain).unwrap();
        assert_eq!(
            v,
            json!({"streams":[{"stream":{"app":"hdfs"},"values":[["1226398396000000000","a \"q\""]]}]})
        );
        let gz = push_body(&[s], true).unwrap();
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out).unwrap();
        assert_eq!(out, plain);
    }

    #[test]
    fn query_params_use_loki_names() {
        // The request a range query sends, checked through reqwest's own encoding.
        let c = client("http://h:3100");
        let url = c.endpoint(&["loki", "api", "v1", "series"]);
        let params = [("match[]", "{a=\"1\"}".to_string()), ("match[]", "{b=\"2\"}".to_string())];
        let req = c.http.get(url).query(&params).query(&range_params(1, 2)).build().unwrap();
        assert_eq!(
            req.url().query(),
            Some("match%5B%5D=%7Ba%3D%221%22%7D&match%5B%5D=%7Bb%3D%222%22%7D&start=1&end=2")
        );
    }
}
