//! [`LlmClient`]: chat (whole or streamed) and embeddings against one
//! OpenAI-compatible endpoint. Every call: text redacted (placeholders mapped
//! back in the reply), each attempt through the [`Limiter`], bounded retries
//! ([`RetryPolicy`]), a timeout per attempt (for a stream: to the first byte and
//! between chunks), usage recorded under the caller's phase name.
//!
//! Cancel a call by dropping its future (e.g. in a `tokio::select!`): the
//! request is aborted and nothing more is recorded. The streamed chat is in
//! [`super::stream`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use super::http::{post, read_json};
use super::limiter::Limiter;
use super::redact::{RedactionCounts, Redactor};
use super::retry::RetryPolicy;
use super::tokens::TokenCounter;
use super::usage::UsageMeter;
use super::wire::{self, ServerUsage};
use super::{Endpoint, LlmError};
use crate::config::{Config, ModelPrice};

/// Who says a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn system(s: impl Into<String>) -> Self {
        Self { role: Role::System, content: s.into() }
    }
    pub fn user(s: impl Into<String>) -> Self {
        Self { role: Role::User, content: s.into() }
    }
    pub fn assistant(s: impl Into<String>) -> Self {
        Self { role: Role::Assistant, content: s.into() }
    }
}

/// Per-call settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatOptions {
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    pub seed: Option<i64>,
    /// Ask for `response_format: json_object` (not every server supports it).
    pub json_mode: bool,
    /// Another chat model than the configured one.
    pub model: Option<String>,
}

/// A finished chat reply (placeholders already mapped back).
#[derive(Debug, Clone, PartialEq)]
pub struct ChatReply {
    /// The answer, without the model's reasoning (see [`super::reasoning`]).
    pub text: String,
    /// The model's reasoning: its own field and any `<think>` blocks.
    pub reasoning: String,
    /// The reply was cut inside its reasoning (e.g. at max tokens): `text` is empty.
    pub unterminated: bool,
    /// Tokens of `reasoning` (tiktoken's count; servers report them inside `tokens_out`).
    pub reasoning_tokens: u64,
    pub finish_reason: Option<String>,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// Token counts are tiktoken estimates (the server reported none).
    pub estimated: bool,
    /// HTTP attempts it took.
    pub attempts: u32,
    pub redactions: RedactionCounts,
}

/// What a streamed chat tells its caller as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEvent<'a> {
    /// More text of the answer (never reasoning).
    Delta(&'a str),
    /// More of the model's reasoning.
    Reasoning(&'a str),
    /// The deltas so far (this text) were reasoning after all (an opening-less
    /// `</think>` came from a model that had answered plainly before): take
    /// them out of the answer.
    Retract(&'a str),
    /// The attempt that produced the deltas so far failed and is retried:
    /// forget them, the answer starts again.
    Restart { attempt: u32, reason: &'a str },
}

/// How the client behaves; [`ClientOptions::from_config`] reads `[llm]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOptions {
    /// Per attempt; for a stream, to the first byte and between chunks.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    pub concurrency: usize,
    pub requests_per_second: f64,
    pub prices: BTreeMap<String, ModelPrice>,
    /// Embedding inputs are cut to this many tokens.
    pub max_embedding_tokens: usize,
}

impl ClientOptions {
    pub fn from_config(cfg: &Config) -> Self {
        let l = &cfg.llm;
        Self {
            timeout: Duration::from_secs(l.timeout_secs.max(1)),
            retry: RetryPolicy { max_retries: l.max_retries, ..RetryPolicy::default() },
            concurrency: l.concurrency,
            requests_per_second: l.requests_per_second,
            prices: l.prices.clone(),
            max_embedding_tokens: 8000,
        }
    }
}

pub(super) struct Inner {
    pub(super) http: reqwest::Client,
    pub(super) endpoint: Endpoint,
    pub(super) opts: ClientOptions,
    pub(super) limiter: Limiter,
    pub(super) usage: UsageMeter,
    chat_tokens: OnceLock<TokenCounter>,
    embed_tokens: OnceLock<TokenCounter>,
    /// Dimension of the embedding model's vectors, once known.
    dims: Mutex<Option<usize>>,
    /// Per chat model: whether its replies showed reasoning (absent: not seen yet).
    reasons: Mutex<BTreeMap<String, bool>>,
}

/// A client of one endpoint; cheap to clone (shared limiter and usage).
#[derive(Clone)]
pub struct LlmClient {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient").field("endpoint", &self.inner.endpoint).finish_non_exhaustive()
    }
}

/// What a chat attempt returns before redaction is undone.
pub(super) struct RawReply {
    pub(super) text: String,
    /// The server's reasoning field, joined.
    pub(super) reasoning: String,
    pub(super) finish_reason: Option<String>,
    pub(super) usage: Option<ServerUsage>,
}

impl LlmClient {
    pub fn new(endpoint: Endpoint, opts: ClientOptions) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .connect_timeout(opts.timeout.min(Duration::from_secs(30)))
            .user_agent(concat!("logcopilot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::Config(format!("cannot build the HTTP client: {e}")))?;
        let limiter = Limiter::new(opts.concurrency, opts.requests_per_second);
        let usage = UsageMeter::new(opts.prices.clone());
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                endpoint,
                opts,
                limiter,
                usage,
                chat_tokens: OnceLock::new(),
                embed_tokens: OnceLock::new(),
                dims: Mutex::new(None),
                reasons: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// The client of `cfg`'s endpoint, or `None` when none is configured (offline).
    pub fn from_config(cfg: &Config) -> Result<Option<Self>, LlmError> {
        match Endpoint::from_config(cfg)? {
            Some(e) => Self::new(e, ClientOptions::from_config(cfg)).map(Some),
            None => Ok(None),
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    pub fn chat_model(&self) -> &str {
        &self.inner.endpoint.chat_model
    }

    pub fn embedding_model(&self) -> &str {
        &self.inner.endpoint.embedding_model
    }

    pub fn usage(&self) -> &UsageMeter {
        &self.inner.usage
    }

    /// Token counter of the chat model (loaded on first use).
    pub fn chat_tokens(&self) -> TokenCounter {
        *self.inner.chat_tokens.get_or_init(|| TokenCounter::for_model(&self.inner.endpoint.chat_model))
    }

    /// Token counter of the embedding model (loaded on first use).
    pub fn embedding_tokens(&self) -> TokenCounter {
        *self.inner.embed_tokens.get_or_init(|| TokenCounter::for_model(&self.inner.endpoint.embedding_model))
    }

    /// The embedding dimension seen so far (or set with [`Self::expect_dims`]).
    pub fn dims(&self) -> Option<usize> {
        *self.inner.dims.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Vectors of another dimension will be a [`LlmError::Dimension`] error
    /// (e.g. the dimension of stored vectors a question is compared with).
    pub fn expect_dims(&self, dims: usize) {
        *self.inner.dims.lock().unwrap_or_else(|p| p.into_inner()) = Some(dims);
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.inner.endpoint.base_url)
    }

    pub(super) fn is_openai(&self) -> bool {
        self.inner.endpoint.base_url.starts_with("https://api.openai.com")
    }

    pub(super) fn redact(&self, phase: &str, messages: &[Message]) -> (Redactor, Vec<Message>) {
        let mut r = Redactor::new(self.inner.endpoint.redaction);
        let sent: Vec<Message> =
            messages.iter().map(|m| Message { role: m.role, content: r.redact(&m.content) }).collect();
        self.inner.usage.redactions(phase, &r.counts());
        (r, sent)
    }

    /// Whether `model`'s replies may start with reasoning that has no opening
    /// tag: true until one of its replies showed none at all.
    pub(super) fn may_reason(&self, model: &str) -> bool {
        self.inner.reasons.lock().unwrap_or_else(|p| p.into_inner()).get(model).copied().unwrap_or(true)
    }

    pub(super) fn finish_chat(&self, phase: &str, model: &str, sent: &[Message], raw: RawReply, r: &Redactor, attempts: u32) -> ChatReply {
        let c = self.chat_tokens();
        let (tokens_in, tokens_out, estimated) = match raw.usage {
            Some(u) => (u.prompt, u.completion, false),
            None => (
                c.count_chat(sent.iter().map(|m| m.content.as_str())) as u64,
                (c.count(&raw.text) + c.count(&raw.reasoning)) as u64,
                true,
            ),
        };
        self.inner.usage.tokens(phase, model, tokens_in, tokens_out, estimated);
        let split = super::reasoning::split(&r.restore(&raw.text));
        let mut reasoning = r.restore(raw.reasoning.trim());
        if !split.reasoning.is_empty() {
            if !reasoning.is_empty() {
                reasoning.push_str("\n\n");
            }
            reasoning.push_str(&split.reasoning);
        }
        let seen = split.seen || !raw.reasoning.is_empty();
        {
            let mut m = self.inner.reasons.lock().unwrap_or_else(|p| p.into_inner());
            let e = m.entry(model.to_owned()).or_insert(false);
            *e |= seen;
        }
        ChatReply {
            text: split.answer,
            reasoning_tokens: if reasoning.is_empty() { 0 } else { c.count(&reasoning) as u64 },
            reasoning,
            unterminated: split.unterminated,
            finish_reason: raw.finish_reason,
            tokens_in,
            tokens_out,
            estimated,
            attempts,
            redactions: r.counts(),
        }
    }

    /// A whole chat reply.
    pub async fn chat(&self, phase: &str, messages: &[Message], opts: &ChatOptions) -> Result<ChatReply, LlmError> {
        let (r, sent) = self.redact(phase, messages);
        let model = opts.model.clone().unwrap_or_else(|| self.chat_model().to_owned());
        let body = wire::chat_request(&model, &sent, opts, false, self.is_openai());
        let url = self.url("chat/completions");
        let mut attempts = 0;
        let result = self
            .inner
            .opts
            .retry
            .run(
                |_| {
                    attempts += 1;
                    self.chat_once(phase, &url, &body)
                },
                |_, _| self.inner.usage.retry(phase),
            )
            .await;
        match result {
            Ok(raw) => Ok(self.finish_chat(phase, &model, &sent, raw, &r, attempts)),
            Err(e) => {
                self.inner.usage.failure(phase);
                Err(e)
            }
        }
    }

    async fn chat_once(&self, phase: &str, url: &str, body: &serde_json::Value) -> Result<RawReply, LlmError> {
        let _permit = self.inner.limiter.acquire().await;
        self.inner.usage.request(phase);
        let timeout = self.inner.opts.timeout;
        let deadline = Instant::now() + timeout;
        let reply = post(&self.inner.http, url, self.api_key(), body, deadline, timeout).await?;
        let v = read_json(reply, deadline, timeout).await?;
        let b = wire::parse_chat(v)?;
        Ok(RawReply { text: b.text, reasoning: b.reasoning, finish_reason: b.finish_reason, usage: b.usage })
    }

    pub(super) fn api_key(&self) -> Option<&str> {
        self.inner.endpoint.api_key.as_deref()
    }

    /// Vectors of `inputs` with the embedding model, in input order. Inputs are
    /// redacted and cut to `max_embedding_tokens`; the caller batches.
    pub async fn embed(&self, phase: &str, inputs: &[String]) -> Result<Vec<Vec<f32>>, LlmError> {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let mut r = Redactor::new(self.inner.endpoint.redaction);
        let counter = self.embedding_tokens();
        let max = self.inner.opts.max_embedding_tokens;
        let sent: Vec<String> = inputs
            .iter()
            .map(|t| {
                let t = r.redact(t);
                // Empty input is an error on some servers.
                let t = if t.trim().is_empty() { " ".to_owned() } else { t };
                counter.truncate(&t, max).to_owned()
            })
            .collect();
        self.inner.usage.redactions(phase, &r.counts());
        let model = self.embedding_model().to_owned();
        let body = wire::embedding_request(&model, sent.clone());
        let url = self.url("embeddings");
        let result = self
            .inner
            .opts
            .retry
            .run(|_| self.embed_once(phase, &url, &body, sent.len()), |_, _| self.inner.usage.retry(phase))
            .await;
        let (vectors, tokens) = match result {
            Ok(v) => v,
            Err(e) => {
                self.inner.usage.failure(phase);
                return Err(e);
            }
        };
        let got = vectors.first().map_or(0, Vec::len);
        {
            let mut dims = self.inner.dims.lock().unwrap_or_else(|p| p.into_inner());
            match *dims {
                Some(expected) if expected != got => {
                    self.inner.usage.failure(phase);
                    return Err(LlmError::Dimension { expected, got });
                }
                _ => *dims = Some(got),
            }
        }
        let (tokens, estimated) = match tokens {
            Some(t) => (t, false),
            None => (sent.iter().map(|s| counter.count(s) as u64).sum(), true),
        };
        self.inner.usage.tokens(phase, &model, tokens, 0, estimated);
        Ok(vectors)
    }

    async fn embed_once(
        &self,
        phase: &str,
        url: &str,
        body: &serde_json::Value,
        n: usize,
    ) -> Result<(Vec<Vec<f32>>, Option<u64>), LlmError> {
        let _permit = self.inner.limiter.acquire().await;
        self.inner.usage.request(phase);
        let timeout = self.inner.opts.timeout;
        let deadline = Instant::now() + timeout;
        let reply = post(&self.inner.http, url, self.api_key(), body, deadline, timeout).await?;
        let v = read_json(reply, deadline, timeout).await?;
        wire::parse_embeddings(v, n)
    }
}
