//! The HTTP layer of the Loki client: the reqwest client built from `[loki]`
//! (base URL, basic auth or bearer token, `X-Scope-OrgID`, proxy, TLS),
//! endpoint URLs below the base, and sending with retries. Replies become
//! bodies or `BackendError`s: `Server` with Loki's text, `Timeout`,
//! `Transport` naming the URL.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{
    AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER,
};
use reqwest::{Method, Url};
use serde_json::Value;

use super::model;
use super::retry::{RetryPolicy, parse_retry_after, retryable_status};
use super::tls;
use crate::backend::BackendError;
use crate::config::LokiConfig;

enum Auth {
    None,
    Basic { user: String, password: String },
}

/// The body of a POST.
pub(crate) struct Body {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub gzip: bool,
}

/// Sends requests to one Loki. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    /// The base URL, its path ending in `/`.
    base: Url,
    auth: Arc<Auth>,
    timeout: Duration,
    retry: RetryPolicy,
}

impl Http {
    /// Checks every setting of `cfg`: a bad URL, unreadable or unparsable TLS
    /// files, or conflicting credentials give `BadParam` naming the setting.
    pub fn new(
        cfg: &LokiConfig,
        timeout: Duration,
        retry: RetryPolicy,
    ) -> Result<Http, BackendError> {
        let base = parse_base_url(cfg.base_url.as_deref())?;
        if timeout.is_zero() {
            return Err(bad(
                "loki.timeout_secs",
                "must be at least 1 (seconds)".into(),
            ));
        }
        let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let (user, password, token) = (
            set(&cfg.username),
            set(&cfg.password),
            set(&cfg.bearer_token),
        );

        let mut headers = HeaderMap::new();
        if let Some(org) = set(&cfg.org_id) {
            let v = HeaderValue::from_str(&org).map_err(|_| {
                bad(
                    "loki.org_id",
                    "holds characters not allowed in an HTTP header".into(),
                )
            })?;
            headers.insert("X-Scope-OrgID", v);
        }
        let auth = match (user, password, token) {
            (Some(_), _, Some(_)) | (None, Some(_), Some(_)) => {
                return Err(bad(
                    "loki.bearer_token",
                    "set either loki.username/loki.password (basic auth) or loki.bearer_token, not both"
                        .into(),
                ));
            }
            (None, Some(_), None) => {
                return Err(bad(
                    "loki.username",
                    "loki.password is set but loki.username is not".into(),
                ));
            }
            (Some(user), password, None) => Auth::Basic {
                user,
                password: password.unwrap_or_default(),
            },
            (None, None, Some(token)) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                    bad(
                        "loki.bearer_token",
                        "holds characters not allowed in an HTTP header".into(),
                    )
                })?;
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
            .connect_timeout(timeout.min(Duration::from_secs(10)));
        if let Some(proxy) = set(&cfg.proxy_url) {
            let p = reqwest::Proxy::all(&proxy).map_err(|e| {
                bad(
                    "loki.proxy_url",
                    format!("{proxy:?} is not a proxy URL: {}", tls::chain(&e)),
                )
            })?;
            builder = builder.proxy(p);
        }
        builder = tls::configure(builder, cfg)?;
        let client = builder.build().map_err(|e| {
            bad(
                "loki",
                format!("cannot set up the HTTP client: {}", tls::chain(&e)),
            )
        })?;
        Ok(Http {
            client,
            base,
            auth: Arc::new(auth),
            timeout,
            retry,
        })
    }

    /// The base URL, credentials removed.
    pub fn base_display(&self) -> String {
        redact(&self.base)
    }

    /// The URL of an API path below the base URL (segments are escaped).
    pub fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// GET with retries and unwrap Loki's `{"status":"success","data":...}`.
    pub async fn get_data(
        &self,
        url: Url,
        params: &[(&str, String)],
    ) -> Result<Value, BackendError> {
        let body = self
            .send(
                Method::GET,
                url.clone(),
                params,
                None,
                self.retry.max_retries,
            )
            .await?;
        model::success_data(&body).map_err(|e| not_loki(&url, &e))
    }

    /// GET with retries a JSON body that has no `data` envelope.
    pub async fn get_json(
        &self,
        url: Url,
        params: &[(&str, String)],
    ) -> Result<Value, BackendError> {
        let body = self
            .send(
                Method::GET,
                url.clone(),
                params,
                None,
                self.retry.max_retries,
            )
            .await?;
        serde_json::from_slice(&body).map_err(|e| {
            not_loki(
                &url,
                &format!("the reply is not JSON ({e}): {}", model::snippet(&body)),
            )
        })
    }

    /// POST with retries; the reply body is ignored.
    pub async fn post(&self, url: Url, body: &Body) -> Result<(), BackendError> {
        self.send(Method::POST, url, &[], Some(body), self.retry.max_retries)
            .await
            .map(|_| ())
    }

    /// Sends one request, retrying 429, 5xx and connection errors up to
    /// `max_retries` times (not timeouts, not TLS refusals); returns the body
    /// of a 2xx reply.
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        params: &[(&str, String)],
        body: Option<&Body>,
        max_retries: u32,
    ) -> Result<Vec<u8>, BackendError> {
        let mut retry = 0u32;
        loop {
            let mut rb = self
                .client
                .request(method.clone(), url.clone())
                .timeout(self.timeout);
            if !params.is_empty() {
                rb = rb.query(params);
            }
            if let Auth::Basic { user, password } = &*self.auth {
                rb = rb.basic_auth(user, Some(password));
            }
            if let Some(b) = body {
                rb = rb
                    .header(CONTENT_TYPE, b.content_type)
                    .body(b.bytes.clone());
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
                            let message = model::error_message(&bytes, status);
                            let err = BackendError::Server { status, message };
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
                    let retryable =
                        !e.is_timeout() && (e.is_connect() || e.is_request() || e.is_body());
                    let err = self.transport_error(e, &url);
                    if !retryable || is_tls_refusal(&err) {
                        return Err(err);
                    }
                    (err, None)
                }
            };
            if retry >= max_retries {
                return Err(err);
            }
            tokio::time::sleep(self.retry.delay(retry, wait)).await;
            retry += 1;
        }
    }

    fn transport_error(&self, e: reqwest::Error, url: &Url) -> BackendError {
        if e.is_timeout() {
            return BackendError::Timeout(self.timeout);
        }
        BackendError::Transport {
            url: redact(url),
            message: tls::chain(&e.without_url()),
        }
    }
}

/// A TLS refusal (bad certificate, handshake alert) will not go away on retry.
fn is_tls_refusal(e: &BackendError) -> bool {
    matches!(e, BackendError::Transport { message, .. }
        if message.contains("invalid peer certificate") || message.contains("fatal alert"))
}

/// Checks `loki.base_url`: http(s), a host; the path (a prefix such as
/// `/loki-gateway`) is kept, with or without a trailing slash.
pub fn parse_base_url(base: Option<&str>) -> Result<Url, BackendError> {
    let Some(text) = base.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(bad(
            "loki.base_url",
            "is not set (the Loki address, e.g. http://localhost:3100)".into(),
        ));
    };
    let mut url = Url::parse(text).map_err(|e| {
        bad(
            "loki.base_url",
            format!("{text:?} is not a URL: {e} (expected e.g. http://localhost:3100)"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad(
            "loki.base_url",
            format!(
                "{text:?} is not an http(s) address with a host (expected e.g. http://localhost:3100)"
            ),
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

/// A reply that is not what Loki sends.
pub(crate) fn not_loki(url: &Url, message: &str) -> BackendError {
    BackendError::Transport {
        url: redact(url),
        message: message.to_owned(),
    }
}

fn bad(param: &'static str, message: String) -> BackendError {
    BackendError::BadParam { param, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(base: &str) -> Http {
        let cfg = LokiConfig {
            base_url: Some(base.into()),
            ..LokiConfig::default()
        };
        Http::new(&cfg, Duration::from_secs(1), RetryPolicy::default()).unwrap()
    }

    fn error(cfg: &LokiConfig) -> String {
        match Http::new(cfg, Duration::from_secs(1), RetryPolicy::default()) {
            Ok(_) => panic!("{cfg:?} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn endpoints_join_the_base_with_or_without_slash_or_prefix() {
        let api = ["loki", "api", "v1", "labels"];
        assert_eq!(
            http("http://h:3100").endpoint(&api).as_str(),
            "http://h:3100/loki/api/v1/labels"
        );
        assert_eq!(
            http("http://h:3100/").endpoint(&api).as_str(),
            "http://h:3100/loki/api/v1/labels"
        );
        assert_eq!(
            http("https://h/gw/loki-x").endpoint(&api).as_str(),
            "https://h/gw/loki-x/loki/api/v1/labels"
        );
        assert_eq!(
            http("https://h/gw/?a=1#f").endpoint(&api).as_str(),
            "https://h/gw/loki/api/v1/labels"
        );
        let url = http("http://h").endpoint(&["loki", "api", "v1", "label", "a/b c", "values"]);
        assert_eq!(url.as_str(), "http://h/loki/api/v1/label/a%2Fb%20c/values");
    }

    #[test]
    fn bad_base_urls_name_the_setting() {
        for bad_url in [
            None,
            Some(""),
            Some("localhost:3100"),
            Some("ftp://h"),
            Some("http://"),
        ] {
            let e = parse_base_url(bad_url).unwrap_err().to_string();
            assert!(e.contains("loki.base_url"), "{bad_url:?}: {e}");
        }
        assert_eq!(
            redact(&parse_base_url(Some("http://u:p@h:1/x")).unwrap()),
            "http://h:1/x/"
        );
        assert_eq!(http("http://u:p@h:1/x").base_display(), "http://h:1/x/");
    }

    #[test]
    fn credentials_conflicts_and_bad_headers_are_refused() {
        let base = LokiConfig {
            base_url: Some("http://h".into()),
            ..LokiConfig::default()
        };
        let both = LokiConfig {
            username: Some("u".into()),
            bearer_token: Some("t".into()),
            ..base.clone()
        };
        assert!(error(&both).contains("loki.bearer_token"));
        let pw_only = LokiConfig {
            password: Some("p".into()),
            ..base.clone()
        };
        assert!(error(&pw_only).contains("loki.username"));
        let org = LokiConfig {
            org_id: Some("a\nb".into()),
            ..base.clone()
        };
        assert!(error(&org).contains("loki.org_id"));
        let token = LokiConfig {
            bearer_token: Some("a\nb".into()),
            ..base.clone()
        };
        assert!(error(&token).contains("loki.bearer_token"));
        let proxy = LokiConfig {
            proxy_url: Some("::not a url::".into()),
            ..base.clone()
        };
        assert!(error(&proxy).contains("loki.proxy_url"));
        assert!(Http::new(&base, Duration::ZERO, RetryPolicy::default()).is_err());
        // Empty strings count as unset.
        let empty = LokiConfig {
            username: Some(String::new()),
            bearer_token: Some("t".into()),
            ..base
        };
        assert!(Http::new(&empty, Duration::from_secs(1), RetryPolicy::default()).is_ok());
    }

    #[test]
    fn query_params_use_loki_names() {
        let h = http("http://h:3100");
        let url = h.endpoint(&["loki", "api", "v1", "series"]);
        let params = [
            ("match[]", "{a=\"1\"}".to_string()),
            ("match[]", "{b=\"2\"}".to_string()),
            ("start", "1".to_string()),
            ("end", "2".to_string()),
        ];
        let req = h.client.get(url).query(&params).build().unwrap();
        assert_eq!(
            req.url().query(),
            Some("match%5B%5D=%7Ba%3D%221%22%7D&match%5B%5D=%7Bb%3D%222%22%7D&start=1&end=2")
        );
    }

    #[test]
    fn tls_refusals_are_recognised() {
        let t = |m: &str| BackendError::Transport {
            url: "u".into(),
            message: m.into(),
        };
        assert!(is_tls_refusal(&t(
            "client error (Connect): invalid peer certificate: UnknownIssuer"
        )));
        assert!(is_tls_refusal(&t(
            "connection error: received fatal alert: CertificateRequired"
        )));
        assert!(!is_tls_refusal(&t(
            "tcp connect error: Connection refused (os error 111)"
        )));
    }
}
