//! The transport: one POST to the endpoint, its status turned into an
//! [`LlmError`] that says whether a retry may help (429 with `Retry-After`,
//! 5xx, timeouts, an unreachable host), and bodies read under a deadline and a
//! size cap. HTML where JSON was expected gets a hint about `llm.base_url`.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde_json::Value;
use tokio::time::Instant;

use super::LlmError;
use super::retry::parse_retry_after;
use super::wire::excerpt;

/// The largest reply body read.
pub const MAX_BODY_BYTES: usize = 64 << 20;

const BASE_URL_HINT: &str = "is llm.base_url the API root, e.g. http://localhost:11434/v1 or https://api.openai.com/v1?";

/// A POST that succeeded (2xx), its body not read yet.
pub struct Reply {
    pub response: reqwest::Response,
    pub url: String,
}

/// Sends `body` to `url`; a non-2xx status becomes an error (body read for its message).
pub async fn post(
    http: &reqwest::Client,
    url: &str,
    api_key: Option<&str>,
    body: &Value,
    deadline: Instant,
    timeout: Duration,
) -> Result<Reply, LlmError> {
    let mut req = http.post(url).json(body);
    if let Some(k) = api_key {
        req = req.header(AUTHORIZATION, format!("Bearer {k}"));
    }
    let sent = tokio::time::timeout_at(deadline, req.send()).await;
    let response = match sent {
        Err(_) => return Err(timeout_error(url, timeout)),
        Ok(Err(e)) => return Err(transport_error(url, timeout, &e)),
        Ok(Ok(r)) => r,
    };
    let status = response.status();
    if status.is_success() {
        return Ok(Reply { response, url: url.to_owned() });
    }
    let headers = response.headers().clone();
    let text = read_text(response, url, deadline, timeout).await.unwrap_or_default();
    Err(status_error(status.as_u16(), &headers, &text))
}

/// The error for a non-2xx status.
pub fn status_error(status: u16, headers: &HeaderMap, body: &str) -> LlmError {
    let message = error_message(headers, body);
    match status {
        429 => LlmError::RateLimited {
            message,
            retry_after: headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after),
        },
        500..=599 => LlmError::Server { status, message },
        _ => {
            let hint = match status {
                401 | 403 => " (check llm.api_key / OPENAI_API_KEY)".to_owned(),
                404 | 405 => format!(" ({BASE_URL_HINT} Does the model exist there?)"),
                _ => String::new(),
            };
            LlmError::Refused { status, message, hint }
        }
    }
}

/// The server's own error text: `error.message` of an OpenAI error body, else an excerpt.
fn error_message(headers: &HeaderMap, body: &str) -> String {
    if is_html(headers, body) {
        return "an HTML page".to_owned();
    }
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        let m = v.get("error").and_then(|e| e.get("message").and_then(Value::as_str).or_else(|| e.as_str()));
        if let Some(m) = m.or_else(|| v.get("message").and_then(Value::as_str)) {
            return excerpt(m);
        }
    }
    if body.trim().is_empty() { "no details".to_owned() } else { excerpt(body) }
}

/// Whether a reply is an HTML page.
pub fn is_html(headers: &HeaderMap, body: &str) -> bool {
    let ct_html = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|c| c.contains("html"));
    let head: String = body.trim_start().chars().take(15).collect::<String>().to_ascii_lowercase();
    ct_html || head.starts_with("<!doctype") || head.starts_with("<html")
}

/// Reads a JSON body under the deadline: HTML and non-JSON are [`LlmError::Malformed`].
pub async fn read_json(reply: Reply, deadline: Instant, timeout: Duration) -> Result<Value, LlmError> {
    let headers = reply.response.headers().clone();
    let text = read_text(reply.response, &reply.url, deadline, timeout).await?;
    parse_json_body(&headers, &text)
}

/// `text` as JSON; HTML and other text are malformed replies.
pub fn parse_json_body(headers: &HeaderMap, text: &str) -> Result<Value, LlmError> {
    if is_html(headers, text) {
        return Err(LlmError::Malformed(format!("the endpoint returned an HTML page, not JSON ({BASE_URL_HINT})")));
    }
    serde_json::from_str(text).map_err(|e| LlmError::Malformed(format!("the reply is not JSON ({e}): {}", excerpt(text))))
}

async fn read_text(mut r: reqwest::Response, url: &str, deadline: Instant, timeout: Duration) -> Result<String, LlmError> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, r.chunk()).await {
            Err(_) => return Err(timeout_error(url, timeout)),
            Ok(Err(e)) => return Err(transport_error(url, timeout, &e)),
            Ok(Ok(None)) => break,
            Ok(Ok(Some(b))) => {
                if buf.len() + b.len() > MAX_BODY_BYTES {
                    return Err(LlmError::Malformed(format!("a reply larger than {MAX_BODY_BYTES} bytes")));
                }
                buf.extend_from_slice(&b);
            }
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

pub fn timeout_error(url: &str, timeout: Duration) -> LlmError {
    LlmError::Timeout { url: url.to_owned(), secs: timeout.as_secs().max(1) }
}

pub fn transport_error(url: &str, timeout: Duration, e: &reqwest::Error) -> LlmError {
    if e.is_timeout() {
        return timeout_error(url, timeout);
    }
    // The causes say what went wrong (refused, DNS, TLS, reset); the top
    // level only repeats the URL.
    let mut causes = Vec::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        causes.push(s.to_string());
        src = s.source();
    }
    let message = if causes.is_empty() { e.to_string() } else { causes.join(": ") };
    LlmError::Unreachable { url: url.to_owned(), message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn statuses_map_to_errors_with_the_servers_text() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        let e = status_error(429, &h, r#"{"error":{"message":"slow down","type":"rate_limit"}}"#);
        assert!(matches!(&e, LlmError::RateLimited { message, retry_after: Some(d) } if message == "slow down" && d.as_secs() == 3));
        assert!(e.is_retryable());
        let e = status_error(503, &HeaderMap::new(), "upstream down");
        assert!(matches!(&e, LlmError::Server { status: 503, message } if message == "upstream down"));
        let e = status_error(401, &HeaderMap::new(), r#"{"error":"bad key"}"#);
        assert!(!e.is_retryable());
        assert!(e.to_string().contains("bad key") && e.to_string().contains("OPENAI_API_KEY"), "{e}");
        let e = status_error(404, &HeaderMap::new(), "<html><body>nope</body></html>");
        assert!(e.to_string().contains("HTML page") && e.to_string().contains("llm.base_url"), "{e}");
    }

    #[test]
    fn html_and_garbage_bodies_are_malformed() {
        let mut h = HeaderMap::new();
        assert!(matches!(parse_json_body(&h, "  <!DOCTYPE html><html>"), Err(LlmError::Malformed(m)) if m.contains("HTML")));
        assert!(matches!(parse_json_body(&h, "{\"a\":"), Err(LlmError::Malformed(m)) if m.contains("not JSON")));
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        assert!(parse_json_body(&h, "{}").is_err());
        assert_eq!(parse_json_body(&HeaderMap::new(), "{\"a\":1}").unwrap()["a"], 1);
    }
}
