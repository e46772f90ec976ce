//! Where LogQL runs: a real Loki over HTTP ([`crate::loki`]) or the embedded
//! engine over local dataset files ([`embedded`]). Both take the same requests
//! and return the same typed [`QueryResult`]s.

pub mod embedded;

use crate::logql::ParseError;
pub use crate::logql::value::{Labels, QueryResult};

/// Order of log lines: newest first (Loki's default) or oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Backward,
    Forward,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Backward => "backward",
            Direction::Forward => "forward",
        }
    }
}

/// The largest `limit` accepted (Loki's `max_entries_limit_per_query` in the
/// golden setup).
pub const MAX_LIMIT: u32 = 5000;
/// Loki's default `limit`.
pub const DEFAULT_LIMIT: u32 = 100;

/// `GET /loki/api/v1/query_range`. Times are unix nanoseconds; `start` is
/// inclusive and `end` inclusive for metric steps, as in Loki.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeRequest {
    pub query: String,
    pub start_ns: i64,
    pub end_ns: i64,
    /// `None`: Loki's default step for the range ([`default_step_ns`]).
    pub step_ns: Option<i64>,
    pub limit: u32,
    pub direction: Direction,
}

/// `GET /loki/api/v1/query` (an instant query at `time_ns`).
#[derive(Debug, Clone, PartialEq)]
pub struct InstantRequest {
    pub query: String,
    pub time_ns: i64,
    pub limit: u32,
    pub direction: Direction,
}

/// Loki's default step: `max(floor((end - start) / 250 s), 1 s)`.
pub fn default_step_ns(start_ns: i64, end_ns: i64) -> i64 {
    let secs = ((end_ns - start_ns) as f64 / 1e9 / 250.0).floor().max(1.0);
    secs as i64 * 1_000_000_000
}

/// Why a query (or a labels/series request) failed. Callers match on it: a
/// parse error is repaired by the pipeline, a bad parameter is the user's,
/// a server or transport error is retried or reported.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The LogQL does not parse (position inside).
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A request parameter is wrong (names the parameter).
    #[error("invalid parameter {param}: {message}")]
    BadParam { param: &'static str, message: String },
    /// The query parses but cannot run (e.g. many-to-many matching, an
    /// unwrap on a log query, a result over the size limit).
    #[error("{0}")]
    Execution(String),
    /// Loki answered with an error status; `message` is the server's own text.
    #[error("Loki returned {status}: {message}")]
    Server { status: u16, message: String },
    /// No answer within the timeout.
    #[error("Loki did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// Connection refused, DNS, TLS or a reply that is not Loki's JSON.
    #[error("cannot reach Loki at {url}: {message}")]
    Transport { url: String, message: String },
    /// Reading local files (embedded engine).
    #[error("{0}")]
    Io(String),
    /// The query was cancelled.
    #[error("cancelled")]
    Cancelled,
}

/// Loki's limit on points per series of a range query.
pub const MAX_POINTS: i64 = 11_000;

impl RangeRequest {
    /// The step in use: the given one or Loki's default.
    pub fn step(&self) -> i64 {
        self.step_ns.unwrap_or_else(|| default_step_ns(self.start_ns, self.end_ns))
    }

    /// The checks Loki makes before running a range query, with its words.
    /// Both backends call this, so both refuse the same requests.
    pub fn validate(&self) -> Result<(), BackendError> {
        if self.end_ns <= self.start_ns {
            return Err(BackendError::BadParam {
                param: "end",
                message: "end timestamp must not be before or equal to start time".into(),
            });
        }
        if let Some(step) = self.step_ns
            && step <= 0
        {
            return Err(BackendError::BadParam {
                param: "step",
                message: "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
            });
        }
        let points = (self.end_ns - self.start_ns) / self.step();
        if points > MAX_POINTS {
            return Err(BackendError::BadParam {
                param: "step",
                message: format!(
                    "exceeded maximum resolution of {MAX_POINTS} points per timeseries ({points}). Try increasing the step"
                ),
            });
        }
        validate_limit(self.limit)
    }
}

impl InstantRequest {
    pub fn validate(&self) -> Result<(), BackendError> {
        validate_limit(self.limit)
    }
}

fn validate_limit(limit: u32) -> Result<(), BackendError> {
    if limit > MAX_LIMIT {
        return Err(BackendError::BadParam {
            param: "limit",
            message: format!(
                "max entries limit per query exceeded, limit > max_entries_limit_per_query ({limit} > {MAX_LIMIT})"
            ),
        });
    }
    if limit == 0 {
        return Err(BackendError::BadParam { param: "limit", message: "limit must be a positive value".into() });
    }
    Ok(())
}

/// A backend the app can run LogQL on.
#[derive(Clone)]
pub enum Backend {
    /// The embedded engine over local dataset files.
    Embedded(std::sync::Arc<embedded::Engine>),
    /// A real Loki.
    Loki(crate::loki::LokiClient),
}

impl Backend {
    /// `embedded` or `loki`.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Embedded(_) => "embedded",
            Backend::Loki(_) => "loki",
        }
    }

    pub async fn query_range(&self, req: &RangeRequest) -> Result<QueryResult, BackendError> {
        match self {
            Backend::Embedded(e) => {
                let (e, req) = (e.clone(), req.clone());
                blocking(move || e.query_range(&req)).await
            }
            Backend::Loki(c) => c.query_range(req).await,
        }
    }

    pub async fn query(&self, req: &InstantRequest) -> Result<QueryResult, BackendError> {
        match self {
            Backend::Embedded(e) => {
                let (e, req) = (e.clone(), req.clone());
                blocking(move || e.query(&req)).await
            }
            Backend::Loki(c) => c.query(req).await,
        }
    }

    pub async fn labels(&self, start_ns: i64, end_ns: i64) -> Result<Vec<String>, BackendError> {
        match self {
            Backend::Embedded(e) => {
                let e = e.clone();
                blocking(move || e.labels(start_ns, end_ns)).await
            }
            Backend::Loki(c) => c.labels(start_ns, end_ns).await,
        }
    }

    pub async fn label_values(
        &self,
        name: &str,
        start_ns: i64,
        end_ns: i64,
        query: Option<&str>,
    ) -> Result<Vec<String>, BackendError> {
        match self {
            Backend::Embedded(e) => {
                let (e, name, query) = (e.clone(), name.to_string(), query.map(str::to_string));
                blocking(move || e.label_values(&name, start_ns, end_ns, query.as_deref())).await
            }
            Backend::Loki(c) => c.label_values(name, start_ns, end_ns, query).await,
        }
    }

    pub async fn series(&self, matchers: &[String], start_ns: i64, end_ns: i64) -> Result<Vec<Labels>, BackendError> {
        match self {
            Backend::Embedded(e) => {
                let (e, m) = (e.clone(), matchers.to_vec());
                blocking(move || e.series(&m, start_ns, end_ns)).await
            }
            Backend::Loki(c) => c.series(matchers, start_ns, end_ns).await,
        }
    }
}

/// Runs CPU-bound engine work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackendError> + Send + 'static,
) -> Result<T, BackendError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| BackendError::Execution(format!("engine task failed: {e}")))?
}
