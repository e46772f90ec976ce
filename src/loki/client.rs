//! `LokiClient`: Loki's API as typed calls. Sends requests with Loki's
//! parameter names (through `http`, which owns auth, TLS and retries) and
//! turns replies into typed results or `BackendError`s carrying Loki's own
//! words. Splitting long metric ranges lives in `split`, paging log queries
//! in `paging`.

use std::fmt;
use std::time::Duration;

use reqwest::Url;
use serde_json::Value;

use super::http::{Body, Http, not_loki};
use super::paging::LogPager;
use super::push::push_body;
use super::retry::RetryPolicy;
use super::split::{self, Plan};
use crate::backend::{BackendError, InstantRequest, MAX_LIMIT, MAX_POINTS, RangeRequest};
use crate::config::LokiConfig;
use crate::logql::value::{QueryResult, Stream};

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
            return Err(bad(
                "loki.timeout_secs",
                "must be at least 1 (seconds)".into(),
            ));
        }
        let page_size = match cfg.query_limit {
            0 => MAX_LIMIT,
            n => u32::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
        };
        Ok(ClientOptions {
            timeout: Duration::from_secs(cfg.timeout_secs),
            retry: RetryPolicy {
                max_retries: cfg.max_retries,
                ..RetryPolicy::default()
            },
            page_size,
            split_interval: None,
        })
    }
}

/// A client for one Loki (one tenant). Cheap to clone.
#[derive(Clone)]
pub struct LokiClient {
    pub(super) http: Http,
    opts: ClientOptions,
}

impl fmt::Debug for LokiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LokiClient")
            .field("base", &self.http.base_display())
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
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
        let http = Http::new(cfg, opts.timeout, opts.retry.clone())?;
        Ok(LokiClient { http, opts })
    }

    pub fn options(&self) -> &ClientOptions {
        &self.opts
    }

    /// The base URL, credentials removed.
    pub fn base_url(&self) -> String {
        self.http.base_display()
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
        match split::plan(
            req.start_ns,
            req.end_ns,
            req.step(),
            self.opts.split_interval,
        ) {
            Plan::Whole => {
                let r = RangeRequest {
                    limit,
                    ..req.clone()
                };
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
        RangeRequest {
            limit: req.limit.min(page),
            ..req.clone()
        }
        .validate()?;
        let mut pager = LogPager::new(req.start_ns, req.end_ns, req.limit, page, req.direction);
        let mut first = true;
        while let Some(p) = pager.next_request() {
            let r = RangeRequest {
                start_ns: p.start_ns,
                end_ns: p.end_ns,
                limit: p.limit,
                ..req.clone()
            };
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
        let url = self.http.endpoint(&["loki", "api", "v1", "query_range"]);
        let data = self.http.get_data(url.clone(), &params).await?;
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
        let url = self.http.endpoint(&["loki", "api", "v1", "query"]);
        let data = self.http.get_data(url.clone(), &params).await?;
        self.result(&url, &data)
    }

    pub(super) fn result(&self, url: &Url, data: &Value) -> Result<QueryResult, BackendError> {
        QueryResult::from_loki_data(data)
            .map_err(|e| not_loki(url, &format!("the reply is not a Loki query result: {e}")))
    }

    // -- push --------------------------------------------------------------

    /// `POST /loki/api/v1/push` with a JSON body.
    pub async fn push(&self, streams: &[PushStream]) -> Result<(), BackendError> {
        self.push_with(streams, false).await
    }

    /// `POST /loki/api/v1/push`, the JSON body gzip-compressed when `gzip`.
    pub async fn push_with(&self, streams: &[PushStream], gzip: bool) -> Result<(), BackendError> {
        let bytes = push_body(streams, gzip)
            .map_err(|e| BackendError::Io(format!("cannot compress the push body: {e}")))?;
        let body = Body {
            bytes,
            content_type: "application/json",
            gzip,
        };
        let url = self.http.endpoint(&["loki", "api", "v1", "push"]);
        self.http.post(url, &body).await
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

pub(super) fn range_params(start_ns: i64, end_ns: i64) -> Vec<(&'static str, String)> {
    vec![("start", start_ns.to_string()), ("end", end_ns.to_string())]
}

fn bad(param: &'static str, message: String) -> BackendError {
    BackendError::BadParam { param, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_come_from_config() {
        let cfg = LokiConfig {
            timeout_secs: 7,
            max_retries: 2,
            query_limit: 100_000,
            ..LokiConfig::default()
        };
        let o = ClientOptions::from_config(&cfg).unwrap();
        assert_eq!(o.timeout, Duration::from_secs(7));
        assert_eq!(o.retry.max_retries, 2);
        assert_eq!(o.page_size, MAX_LIMIT);
        let cfg = LokiConfig {
            query_limit: 250,
            ..LokiConfig::default()
        };
        assert_eq!(ClientOptions::from_config(&cfg).unwrap().page_size, 250);
        let cfg = LokiConfig {
            query_limit: 0,
            ..LokiConfig::default()
        };
        assert_eq!(
            ClientOptions::from_config(&cfg).unwrap().page_size,
            MAX_LIMIT
        );
        let cfg = LokiConfig {
            timeout_secs: 0,
            base_url: Some("http://h".into()),
            ..LokiConfig::default()
        };
        assert!(
            LokiClient::new(&cfg)
                .unwrap_err()
                .to_string()
                .contains("loki.timeout_secs")
        );
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

    #[tokio::test]
    async fn invalid_requests_are_refused_before_sending() {
        // Port 9 (discard) on a documentation address: never contacted.
        let cfg = LokiConfig {
            base_url: Some("http://192.0.2.1:9".into()),
            ..LokiConfig::default()
        };
        let c = LokiClient::new(&cfg).unwrap();
        let range = RangeRequest {
            query: "{a=\"b\"}".into(),
            start_ns: 10,
            end_ns: 10,
            step_ns: None,
            limit: 10,
            direction: crate::backend::Direction::Backward,
        };
        let e = c.query_range(&range).await.unwrap_err();
        assert!(
            matches!(e, BackendError::BadParam { param: "end", .. }),
            "{e:?}"
        );
        let zero = RangeRequest {
            end_ns: 20,
            limit: 0,
            ..range.clone()
        };
        assert!(matches!(
            c.query_range(&zero).await,
            Err(BackendError::BadParam { param: "limit", .. })
        ));
        let tiny_step = RangeRequest {
            query: "count_over_time({a=\"b\"}[1m])".into(),
            start_ns: 0,
            end_ns: 100 * 365 * 86_400 * 1_000_000_000,
            step_ns: Some(1_000_000),
            ..range.clone()
        };
        let e = c.query_range(&tiny_step).await.unwrap_err();
        assert!(
            matches!(e, BackendError::BadParam { param: "step", .. }),
            "{e:?}"
        );
        let e = c.patterns("{a=\"b\"}", 0, 10, Some(0)).await.unwrap_err();
        assert!(
            matches!(e, BackendError::BadParam { param: "step", .. }),
            "{e:?}"
        );
        let instant = InstantRequest {
            query: "x".into(),
            time_ns: 0,
            limit: 6000,
            direction: range.direction,
        };
        assert!(matches!(
            c.query(&instant).await,
            Err(BackendError::BadParam { param: "limit", .. })
        ));
    }
}
