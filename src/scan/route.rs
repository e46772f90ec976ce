//! Where results go besides the event stream: a JSONL file (one record per
//! line, appended and flushed as the scan goes, so a crash loses at most the
//! line being written) and a webhook that receives anomalies of the
//! configured severities as JSON (POST, with a timeout; a failure is
//! reported and never stops the scan).
//!
//! The records ([`record`]) are the same for the file, `--output jsonl` and
//! the webhook body.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::event::ScanEvent;
use super::report::Severity;

/// RFC 3339 (UTC, seconds) of unix nanoseconds.
pub fn rfc3339(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The JSONL record of an event, if it has one: `kind` is `window`,
/// `anomaly`, `suppressed`, `skipped`, `webhook_failed`, `signal` or `summary`.
pub fn record(app: &str, e: &ScanEvent) -> Vec<Value> {
    let span = |s: i64, e: i64| json!({"start": rfc3339(s), "end": rfc3339(e)});
    match e {
        ScanEvent::WindowDone { report: r } => vec![json!({
            "kind": "window", "app": app, "window": r.index, "time": span(r.start_ns, r.end_ns),
            "health": r.health, "anomalies": r.anomalies.len(), "lines": r.lines, "sent": r.sent,
            "sampled": r.sampled, "cut_lines": r.cut_lines, "repaired": r.repaired,
        })],
        ScanEvent::Anomaly { window, start_ns, end_ns, anomaly: a } => vec![json!({
            "kind": "anomaly", "app": app, "window": window, "time": span(*start_ns, *end_ns),
            "severity": a.severity, "type": a.kind, "summary": a.summary, "evidence": a.evidence,
            "recommended_action": a.recommended_action,
        })],
        ScanEvent::Suppressed { window, start_ns, kind, severity, since_ns } => vec![json!({
            "kind": "suppressed", "app": app, "window": window, "start": rfc3339(*start_ns),
            "type": kind, "severity": severity, "reported_at": rfc3339(*since_ns),
        })],
        ScanEvent::WindowSkipped { index, start_ns, end_ns, reason } => vec![json!({
            "kind": "skipped", "app": app, "window": index, "time": span(*start_ns, *end_ns), "reason": reason,
        })],
        ScanEvent::WebhookFailed { window, kind, error } => {
            vec![json!({"kind": "webhook_failed", "app": app, "window": window, "type": kind, "error": error})]
        }
        ScanEvent::Signals { signals } => signals
            .iter()
            .map(|s| {
                let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.insert("kind".into(), json!("signal"));
                    o.insert("app".into(), json!(app));
                }
                v
            })
            .collect(),
        ScanEvent::Finished(s) => {
            let mut v = serde_json::to_value(s.as_ref()).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert("kind".into(), json!("summary"));
            }
            vec![v]
        }
        _ => Vec::new(),
    }
}

/// A JSONL file, appended a line at a time and flushed after each.
#[derive(Debug)]
pub struct JsonlSink {
    path: PathBuf,
    file: std::fs::File,
    /// The first write error (later records are dropped).
    pub error: Option<String>,
}

impl JsonlSink {
    /// Creates `path` (and its folder); an existing file is appended to.
    pub fn create(path: &Path) -> Result<Self, String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        Ok(Self { path: path.to_path_buf(), file, error: None })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record per line, each whole line in one write, then flushes.
    pub fn write(&mut self, records: &[Value]) {
        if self.error.is_some() {
            return;
        }
        for r in records {
            let mut line = r.to_string();
            line.push('\n');
            if let Err(e) = self.file.write_all(line.as_bytes()).and_then(|_| self.file.flush()) {
                self.error = Some(format!("cannot write {}: {e}", self.path.display()));
                return;
            }
        }
    }

    /// Syncs the file to disk (at the end of a scan).
    pub fn sync(&mut self) {
        if let Err(e) = self.file.sync_all()
            && self.error.is_none()
        {
            self.error = Some(format!("cannot sync {}: {e}", self.path.display()));
        }
    }
}

/// `[scan] webhook_*`.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    pub url: String,
    pub severities: Vec<Severity>,
    pub timeout: Duration,
    /// Tries after the first when it may pass later (no answer, 429, 5xx).
    pub retries: u32,
}

/// The first wait between webhook tries (then twice as long each time).
const WEBHOOK_BACKOFF: Duration = Duration::from_millis(500);

/// Posts anomalies to a URL.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub config: WebhookConfig,
    http: reqwest::Client,
}

impl Webhook {
    pub fn new(config: WebhookConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("logcopilot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the webhook's HTTP client: {e}"))?;
        Ok(Self { config, http })
    }

    pub fn wants(&self, s: Severity) -> bool {
        self.config.severities.contains(&s)
    }

    /// POSTs `body`, trying again (after 0.5 s, 1 s, ...) up to `retries`
    /// times when there was no answer, or HTTP 429 or a 5xx; an error says
    /// why (status and the start of the body, a timeout, a refused
    /// connection) and how many tries were made.
    pub async fn send(&self, body: &Value, cancel: &CancellationToken) -> Result<(), String> {
        let mut wait = WEBHOOK_BACKOFF;
        let mut tries = 0;
        loop {
            tries += 1;
            let (error, again) = match self.send_once(body, cancel).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if !again || tries > self.config.retries {
                return Err(if tries > 1 { format!("{error} ({tries} tries)") } else { error });
            }
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err("cancelled".to_owned()),
                _ = tokio::time::sleep(wait) => {}
            }
            wait *= 2;
        }
    }

    /// One POST; on failure, why, and whether a later try may pass.
    async fn send_once(&self, body: &Value, cancel: &CancellationToken) -> Result<(), (String, bool)> {
        let url = &self.config.url;
        let timed_out = || format!("the webhook {url} did not answer within {}s", self.config.timeout.as_secs());
        let req = async {
            let r = self.http.post(url).json(body).send().await.map_err(|e| {
                if e.is_timeout() { (timed_out(), true) } else { (format!("cannot reach the webhook {url}: {e}"), true) }
            })?;
            let status = r.status();
            if status.is_success() {
                return Ok(());
            }
            let text = r.text().await.unwrap_or_default();
            let text: String = text.chars().take(200).collect();
            let again = status.is_server_error() || status.as_u16() == 429;
            Err((format!("the webhook {url} answered HTTP {}: {}", status.as_u16(), text.trim()), again))
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => Err(("cancelled".to_owned(), false)),
            // The client's timeout bounds the request; this bounds the body too.
            r = tokio::time::timeout(self.config.timeout + Duration::from_secs(1), req) => {
                r.unwrap_or_else(|_| Err((timed_out(), true)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_lines_are_appended_whole() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("results/x/scan.jsonl");
        let mut s = JsonlSink::create(&p).unwrap();
        s.write(&[json!({"a": 1}), json!({"b": "line\nbreak"})]);
        s.sync();
        let mut s = JsonlSink::create(&p).unwrap();
        s.write(&[json!({"c": 3})]);
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines, vec![json!({"a": 1}), json!({"b": "line\nbreak"}), json!({"c": 3})]);
        assert!(s.error.is_none());
        assert_eq!(rfc3339(1_449_730_546_000_000_000), "2015-12-10T06:55:46Z");
    }
}
