//! A client for a real Grafana Loki over HTTP, and a loader that pushes logs
//! into one.
//!
//! - [`client`]: [`LokiClient`], built from `[loki]` (base URL with or without
//!   a path prefix, basic auth or a bearer token, `X-Scope-OrgID`, TLS files,
//!   a proxy, a per-request timeout, retries). Queries, labels, series,
//!   patterns, `format_query`, push. Without `loki.proxy_url` the usual
//!   `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` environment applies, as in logcli.
//! - [`retry`]: 429, 5xx and connection errors are retried with exponential
//!   backoff and jitter, honouring `Retry-After` (bounded); other 4xx never,
//!   nor timeouts (the same query would time out again) nor TLS certificate
//!   refusals.
//! - [`split`]: metric range queries over 11,000 points per series (or a
//!   chosen interval) are sent in step-aligned pieces and merged.
//! - [`paging`]: log queries are read in pages of at most `query_limit`
//!   entries up to the request's `limit`, as logcli does.
//! - [`pull`]: every line of a selector over a range, in time slices that
//!   shrink when Loki refuses a page for its size, resumable from a cursor
//!   (`index --from-loki`).
//! - [`push`]: [`push_all`], the batching loader; `resume` keeps its resume
//!   point.
//! - [`model`]: Loki's non-query replies (patterns, build info, ...), error
//!   bodies, and the labels a defaults Loki adds.
//! - `metadata`: labels, series, patterns, `format_query`, volume, detected
//!   fields and labels, readiness, build info.
//! - `http`: the reqwest client (auth, tenant, proxy), endpoint URLs, sending
//!   with retries and turning failures into errors.
//! - `tls`: CA file, client certificate and key.
//!
//! Errors are [`BackendError`](crate::backend::BackendError)s: Loki's refusal
//! is `Server { status, message }` with Loki's exact text (a LogQL parse error
//! is a 400 with `parse error at line 1, col 17: ...`, a many-to-many match a
//! 500), no answer in time is `Timeout`, an unreachable server or a reply that
//! is not Loki's JSON is `Transport` naming the URL, and bad settings are
//! `BadParam` naming the setting (`loki.ca_cert_path`, ...) and file.
//!
//! # A Loki at its defaults
//! Unlike the golden setup (`discover_service_name: []`,
//! `discover_log_levels: false`), a Loki left at its defaults adds a
//! `service_name` label to every stream (taken from a `service_name`, `app`,
//! `job`, ... label) and a `detected_level` found in each line (kept as
//! structured metadata, shown in query replies as a label, so a pushed stream
//! comes back split into one stream per level). Such replies parse like any
//! other; they simply carry more labels (and `labels`/`series` list
//! `service_name`).
//! [`loki_added_labels`] names them and [`strip_labels`] removes them from a
//! result, joining the streams they split (series are only renamed where that
//! keeps them distinct). Queries can still select on the dataset's own labels.

pub mod client;
mod http;
mod metadata;
pub mod model;
pub mod paging;
pub mod pull;
pub mod push;
mod resume;
pub mod retry;
pub mod split;
mod tls;

pub use client::{ClientOptions, LokiClient, PushStream};
pub use model::{BuildInfo, DetectedField, Pattern, loki_added_labels, strip_labels};
pub use push::{
    PushError, PushOptions, PushProgress, PushSummary, Rejection, push_all, rejection_hint,
};
pub use retry::RetryPolicy;
