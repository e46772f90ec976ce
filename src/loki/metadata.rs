//! The metadata endpoints of `LokiClient`: labels, label values, series,
//! patterns, `format_query`, volume, detected fields and labels, readiness
//! and build info.

use reqwest::Method;

use super::client::{LokiClient, format_step, range_params};
use super::http::not_loki;
use super::model::{self, BuildInfo, DetectedField, Pattern};
use crate::backend::BackendError;
use crate::logql::value::{Labels, QueryResult};

impl LokiClient {
    /// `GET /loki/api/v1/labels`: label names seen in `[start, end]`.
    pub async fn labels(&self, start_ns: i64, end_ns: i64) -> Result<Vec<String>, BackendError> {
        let url = self.http.endpoint(&["loki", "api", "v1", "labels"]);
        let data = self
            .http
            .get_data(url.clone(), &range_params(start_ns, end_ns))
            .await?;
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
        let url = self
            .http
            .endpoint(&["loki", "api", "v1", "label", name, "values"]);
        let mut params = range_params(start_ns, end_ns);
        if let Some(q) = query {
            params.push(("query", q.to_owned()));
        }
        let data = self.http.get_data(url.clone(), &params).await?;
        model::string_list(&data).map_err(|e| not_loki(&url, &e))
    }

    /// `GET /loki/api/v1/series` with one `match[]` per selector.
    pub async fn series(
        &self,
        matchers: &[String],
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<Labels>, BackendError> {
        let url = self.http.endpoint(&["loki", "api", "v1", "series"]);
        let mut params: Vec<(&str, String)> =
            matchers.iter().map(|m| ("match[]", m.clone())).collect();
        params.extend(range_params(start_ns, end_ns));
        let data = self.http.get_data(url.clone(), &params).await?;
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
        let url = self.http.endpoint(&["loki", "api", "v1", "patterns"]);
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
        let data = self.http.get_data(url.clone(), &params).await?;
        model::patterns(&data).map_err(|e| not_loki(&url, &e))
    }

    /// `GET /loki/api/v1/format_query`: Loki's canonical text of `query`. A
    /// query that does not parse gives `Server { status: 400, message }` with
    /// Loki's parse error.
    pub async fn format_query(&self, query: &str) -> Result<String, BackendError> {
        let url = self.http.endpoint(&["loki", "api", "v1", "format_query"]);
        let data = self
            .http
            .get_data(url.clone(), &[("query", query.to_owned())])
            .await?;
        data.as_str()
            .map(str::to_owned)
            .ok_or_else(|| not_loki(&url, "format_query answered no string"))
    }

    /// `GET /loki/api/v1/index/volume`: bytes per stream (a vector).
    pub async fn volume(
        &self,
        query: &str,
        start_ns: i64,
        end_ns: i64,
    ) -> Result<QueryResult, BackendError> {
        let url = self
            .http
            .endpoint(&["loki", "api", "v1", "index", "volume"]);
        let mut params = vec![("query", query.to_owned())];
        params.extend(range_params(start_ns, end_ns));
        let data = self.http.get_data(url.clone(), &params).await?;
        self.result(&url, &data)
    }

    /// `GET /loki/api/v1/detected_fields`: fields Loki finds in the lines.
    pub async fn detected_fields(
        &self,
        query: &str,
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<DetectedField>, BackendError> {
        let url = self
            .http
            .endpoint(&["loki", "api", "v1", "detected_fields"]);
        let mut params = vec![("query", query.to_owned())];
        params.extend(range_params(start_ns, end_ns));
        let body = self.http.get_json(url.clone(), &params).await?;
        model::detected_fields(&body).map_err(|e| not_loki(&url, &e))
    }

    /// `GET /loki/api/v1/detected_labels`: `(label, cardinality)`.
    pub async fn detected_labels(
        &self,
        query: &str,
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<(String, u64)>, BackendError> {
        let url = self
            .http
            .endpoint(&["loki", "api", "v1", "detected_labels"]);
        let mut params = vec![("query", query.to_owned())];
        params.extend(range_params(start_ns, end_ns));
        let body = self.http.get_json(url.clone(), &params).await?;
        model::detected_labels(&body).map_err(|e| not_loki(&url, &e))
    }

    /// `GET /ready`, not retried: `Ok` when Loki says it is ready.
    pub async fn ready(&self) -> Result<(), BackendError> {
        let url = self.http.endpoint(&["ready"]);
        self.http
            .send(Method::GET, url, &[], None, 0)
            .await
            .map(|_| ())
    }

    /// `GET /loki/api/v1/status/buildinfo`.
    pub async fn buildinfo(&self) -> Result<BuildInfo, BackendError> {
        let url = self
            .http
            .endpoint(&["loki", "api", "v1", "status", "buildinfo"]);
        let body = self.http.get_json(url, &[]).await?;
        Ok(model::build_info(&body))
    }
}
