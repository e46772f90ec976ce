//! The streamed chat of [`LlmClient`]: server-sent events read chunk by
//! chunk under an idle timeout, placeholders mapped back across chunk
//! boundaries, a stream that ends without `[DONE]` or a finish reason treated
//! as cut short and retried, the caller told to start over
//! ([`StreamEvent::Restart`]) when a retried attempt had already produced text.

use tokio::time::Instant;

use super::client::{ChatOptions, ChatReply, LlmClient, Message, RawReply, StreamEvent};
use super::http::{self, post, read_json};
use super::redact::{Redactor, StreamRestorer};
use super::sse::SseParser;
use super::wire::{self, ServerUsage};
use super::LlmError;

/// A whole stream may last this many timeouts.
const STREAM_TIMEOUTS: u32 = 10;

impl LlmClient {
    /// A streamed chat reply: `on` hears each piece of text as it arrives
    /// (placeholders already mapped back), and [`StreamEvent::Restart`] when a
    /// failed attempt is retried after it had produced text. Returns the whole reply.
    pub async fn chat_stream(
        &self,
        phase: &str,
        messages: &[Message],
        opts: &ChatOptions,
        mut on: impl FnMut(StreamEvent<'_>),
    ) -> Result<ChatReply, LlmError> {
        let (r, sent) = self.redact(phase, messages);
        let model = opts.model.clone().unwrap_or_else(|| self.chat_model().to_owned());
        let body = wire::chat_request(&model, &sent, opts, true, self.is_openai());
        let url = self.url("chat/completions");
        let policy = self.inner.opts.retry;
        let mut retry = 0u32;
        let mut emitted = false;
        loop {
            match self.stream_once(phase, &url, &body, &r, &mut on, &mut emitted).await {
                Ok(raw) => return Ok(self.finish_chat(phase, &model, &sent, raw, &r, retry + 1)),
                Err(e) if e.is_retryable() && retry < policy.max_retries => {
                    retry += 1;
                    self.inner.usage.retry(phase);
                    tokio::time::sleep(policy.delay(retry, &e)).await;
                    if emitted {
                        on(StreamEvent::Restart { attempt: retry + 1, reason: &e.to_string() });
                        emitted = false;
                    }
                }
                Err(e) => {
                    self.inner.usage.failure(phase);
                    return Err(if retry > 0 {
                        LlmError::GaveUp { attempts: retry + 1, message: e.to_string(), last: Box::new(e) }
                    } else {
                        e
                    });
                }
            }
        }
    }

    async fn stream_once(
        &self,
        phase: &str,
        url: &str,
        body: &serde_json::Value,
        r: &Redactor,
        on: &mut impl FnMut(StreamEvent<'_>),
        emitted: &mut bool,
    ) -> Result<RawReply, LlmError> {
        let _permit = self.inner.limiter.acquire().await;
        self.inner.usage.request(phase);
        let timeout = self.inner.opts.timeout;
        let reply = post(&self.inner.http, url, self.api_key(), body, Instant::now() + timeout, timeout).await?;
        let headers = reply.response.headers().clone();
        let ct = headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        if !ct.contains("event-stream") {
            // A server that ignores `stream: true` sends the whole reply as JSON.
            let v = read_json(reply, Instant::now() + timeout, timeout).await?;
            let b = wire::parse_chat(v)?;
            let text = r.restore(&b.text);
            if !text.is_empty() {
                *emitted = true;
                on(StreamEvent::Delta(&text));
            }
            return Ok(RawReply { text: b.text, finish_reason: b.finish_reason, usage: b.usage });
        }
        let mut resp = reply.response;
        let mut parser = SseParser::new();
        let mut restorer = StreamRestorer::new(r);
        let mut text = String::new();
        let mut finish: Option<String> = None;
        let mut usage: Option<ServerUsage> = None;
        let mut done = false;
        let cut = |text: &str, message: String| LlmError::StreamCut { received: text.chars().count(), message };
        // Idle: `timeout` between chunks; in all: STREAM_TIMEOUTS times it, so
        // a server that trickles keep-alives forever cannot hang the caller.
        let end = Instant::now() + timeout * STREAM_TIMEOUTS;
        while !done {
            let next = (Instant::now() + timeout).min(end);
            let chunk = match tokio::time::timeout_at(next, resp.chunk()).await {
                Err(_) if next == end => {
                    return Err(cut(&text, format!("the stream took longer than {}s", (timeout * STREAM_TIMEOUTS).as_secs())));
                }
                Err(_) => return Err(cut(&text, format!("no data for {}s", timeout.as_secs()))),
                Ok(Err(e)) => return Err(cut(&text, http::transport_error(url, timeout, &e).to_string())),
                Ok(Ok(None)) => break,
                Ok(Ok(Some(b))) => b,
            };
            let events = parser.feed(&chunk).map_err(LlmError::Malformed)?;
            for ev in events {
                if ev.data.trim() == "[DONE]" {
                    done = true;
                    break;
                }
                let c = wire::parse_chunk(&ev.data)?;
                if !c.delta.is_empty() {
                    text.push_str(&c.delta);
                    if text.len() > http::MAX_BODY_BYTES {
                        // A stream that never ends must not hang the caller or fill memory.
                        return Err(LlmError::Malformed(format!("a streamed reply longer than {} bytes", http::MAX_BODY_BYTES)));
                    }
                    let out = restorer.push(&c.delta);
                    if !out.is_empty() {
                        *emitted = true;
                        on(StreamEvent::Delta(&out));
                    }
                }
                finish = c.finish_reason.or(finish);
                usage = c.usage.or(usage);
            }
        }
        if !done {
            for ev in parser.finish() {
                if ev.data.trim() == "[DONE]" {
                    done = true;
                }
            }
        }
        // Without `[DONE]`, a stream that said why it finished is whole; one that did not was cut.
        if !done && finish.is_none() {
            return Err(cut(&text, "the connection closed before the end of the stream".into()));
        }
        let rest = restorer.finish();
        if !rest.is_empty() {
            *emitted = true;
            on(StreamEvent::Delta(&rest));
        }
        Ok(RawReply { text, finish_reason: finish, usage })
    }

}
