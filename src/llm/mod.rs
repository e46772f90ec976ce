//! The LLM layer: chat (streamed or not) and embeddings against any
//! OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, a llama.cpp server).
//!
//! - [`client`]: [`LlmClient`], the HTTP calls, with the wire format of
//!   async-openai's types and our own transport (status codes, Retry-After,
//!   a stream cut short are all visible to us).
//! - [`retry`]: which failures are retried and how long to wait.
//! - [`limiter`]: requests in flight and requests per second.
//! - `http`, `wire`, `stream`: the transport, the OpenAI wire format, the streamed chat.
//! - [`sse`]: server-sent events of a streamed chat.
//! - [`tokens`]: token counts with tiktoken-rs.
//! - [`usage`]: tokens in and out per phase, cost, redaction counts.
//! - [`json`]: JSON replies checked against a [`json::Shape`], one repair retry.
//! - [`reasoning`]: a reasoning model's thoughts kept apart from its answer
//!   (`<think>` blocks, an opening-less `</think>`, `reasoning_content` fields).
//! - [`redact`]: secrets replaced by placeholders before text leaves the machine.
//! - [`prompts`]: the task prompts in `assets/prompts/`, rendered with an item's data.

pub mod client;
mod http;
pub mod json;
pub mod limiter;
pub mod prompts;
pub mod reasoning;
pub mod redact;
pub mod retry;
pub mod sse;
mod stream;
pub mod tokens;
pub mod usage;
mod wire;

use std::time::Duration;

pub use client::{ChatOptions, ChatReply, ClientOptions, LlmClient, Message, Role, StreamEvent};
pub use json::{Shape, chat_json};
pub use redact::{RedactionCounts, Redactor};
pub use usage::{PhaseUsage, UsageMeter};

use crate::config::{Config, Origin, RedactionMode};

/// The OpenAI endpoint used when only an API key is configured.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// Errors of a call to the model. [`LlmError::is_retryable`] says which ones a
/// retry may cure; the client retries those itself, so a caller sees one only
/// after the bounded retries are spent.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("cannot reach the LLM endpoint {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("the LLM endpoint {url} did not answer within {secs}s")]
    Timeout { url: String, secs: u64 },
    #[error("the LLM endpoint is rate limiting (HTTP 429): {message}")]
    RateLimited { message: String, retry_after: Option<Duration> },
    #[error("the LLM endpoint failed (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    /// A 4xx other than 429: a bad key, an unknown model, a bad request.
    #[error("the LLM endpoint refused the request (HTTP {status}): {message}{hint}")]
    Refused { status: u16, message: String, hint: String },
    /// The reply is not what the API promises (HTML, bad JSON, missing fields, wrong count).
    #[error("malformed reply from the LLM endpoint: {0}")]
    Malformed(String),
    /// A streamed reply ended before its end marker.
    #[error("the streamed reply was cut short after {received} characters: {message}")]
    StreamCut { received: usize, message: String },
    /// Vectors of another dimension than the ones before them.
    #[error("the embedding model returned vectors of {got} dimensions, expected {expected} (did llm.embedding_model change?)")]
    Dimension { expected: usize, got: usize },
    /// A JSON reply still invalid after the repair retry.
    #[error("the model's reply is not the JSON asked for, even after a repair request: {error}")]
    InvalidJson { error: String, reply: String },
    /// The last error of a call whose retries are spent (its text is in `message`).
    #[error("{message} (after {attempts} attempts)")]
    GaveUp { attempts: u32, message: String, last: Box<LlmError> },
    #[error("invalid LLM configuration: {0}")]
    Config(String),
}

impl LlmError {
    /// Whether another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            LlmError::Unreachable { .. }
                | LlmError::Timeout { .. }
                | LlmError::RateLimited { .. }
                | LlmError::Server { .. }
                | LlmError::Malformed(_)
                | LlmError::StreamCut { .. }
        )
    }

    /// The error behind a [`LlmError::GaveUp`], else `self`.
    pub fn root(&self) -> &LlmError {
        match self {
            LlmError::GaveUp { last, .. } => last.root(),
            e => e,
        }
    }
}

/// Where the model lives, resolved from `[llm]`.
#[derive(Clone)]
pub struct Endpoint {
    /// API root, without a trailing `/` (e.g. `http://localhost:11434/v1`).
    pub base_url: String,
    /// Secret: never printed.
    pub api_key: Option<String>,
    pub chat_model: String,
    pub embedding_model: String,
    /// The redaction actually applied (see [`effective_redaction`]).
    pub redaction: RedactionMode,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("chat_model", &self.chat_model)
            .field("embedding_model", &self.embedding_model)
            .field("redaction", &self.redaction)
            .finish()
    }
}

/// Why there is no endpoint, for the offline message.
pub const NO_ENDPOINT: &str =
    "no LLM endpoint configured (set llm.base_url or OPENAI_BASE_URL for a local or compatible server, or OPENAI_API_KEY for OpenAI)";

impl Endpoint {
    /// The endpoint of `cfg`, or `None` when none is configured (neither a base
    /// URL nor an API key): offline mode.
    pub fn from_config(cfg: &Config) -> Result<Option<Endpoint>, LlmError> {
        let l = &cfg.llm;
        let base = match (&l.base_url, &l.api_key) {
            (Some(u), _) if !u.trim().is_empty() => u.trim().to_owned(),
            (_, Some(k)) if !k.trim().is_empty() => OPENAI_BASE_URL.to_owned(),
            _ => return Ok(None),
        };
        let url = reqwest::Url::parse(&base)
            .map_err(|e| LlmError::Config(format!("llm.base_url {base:?} is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(LlmError::Config(format!("llm.base_url {base:?} must be http or https")));
        }
        Ok(Some(Endpoint {
            base_url: base.trim_end_matches('/').to_owned(),
            api_key: l.api_key.clone().filter(|k| !k.trim().is_empty()),
            chat_model: l.chat_model.clone(),
            embedding_model: l.embedding_model.clone(),
            redaction: effective_redaction(cfg, &base),
        }))
    }

    /// Whether the endpoint is on this host (a loopback address or `localhost`).
    pub fn is_local(&self) -> bool {
        is_local_url(&self.base_url)
    }
}

/// `llm.redaction` when set; when left at its default: `off` for an endpoint on
/// this host, `default` for any other.
pub fn effective_redaction(cfg: &Config, base_url: &str) -> RedactionMode {
    if cfg.origin("llm.redaction") == Origin::Default && is_local_url(base_url) {
        RedactionMode::Off
    } else {
        cfg.llm.redaction
    }
}

/// Whether `url`'s host is `localhost` or a loopback address.
pub fn is_local_url(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else { return false };
    let Some(host) = u.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host == "localhost" || host.ends_with(".localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_urls() {
        assert!(is_local_url("http://localhost:11434/v1"));
        assert!(is_local_url("http://127.0.0.1:8000/v1"));
        assert!(is_local_url("http://127.1.2.3/v1"));
        assert!(is_local_url("http://[::1]:8080/v1"));
        assert!(!is_local_url("https://api.openai.com/v1"));
        assert!(!is_local_url("http://10.0.0.5:11434/v1"));
        assert!(!is_local_url("not a url"));
    }

    #[test]
    fn no_endpoint_is_offline_and_key_alone_means_openai() {
        let mut cfg = Config::default();
        assert!(Endpoint::from_config(&cfg).unwrap().is_none());
        cfg.llm.api_key = Some("sk-x".into());
        let e = Endpoint::from_config(&cfg).unwrap().unwrap();
        assert_eq!(e.base_url, OPENAI_BASE_URL);
        assert_eq!(e.redaction, RedactionMode::Default);
        assert!(!format!("{e:?}").contains("sk-x"));
    }

    #[test]
    fn redaction_defaults_off_for_loopback_unless_set() {
        let mut cfg = Config::default();
        cfg.llm.base_url = Some("http://127.0.0.1:9/v1/".into());
        let e = Endpoint::from_config(&cfg).unwrap().unwrap();
        assert_eq!(e.base_url, "http://127.0.0.1:9/v1");
        assert_eq!(e.redaction, RedactionMode::Off);
        cfg.origins.insert("llm.redaction".into(), Origin::Flag("--redaction".into()));
        assert_eq!(Endpoint::from_config(&cfg).unwrap().unwrap().redaction, RedactionMode::Default);
        cfg.llm.base_url = Some("ftp://x".into());
        assert!(Endpoint::from_config(&cfg).is_err());
    }
}
