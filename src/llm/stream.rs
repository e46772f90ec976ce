//! The streamed chat of [`LlmClient`]: server-sent events read chunk by
//! chunk under an idle timeout, placeholders mapped back across chunk
//! boundaries, a stream that ends without `[DONE]` or a finish reason treated
//! as cut short and retried, the caller told to start over
//! ([`StreamEvent::Restart`]) when a retried attempt had already produced text.
//! Every delta goes through a [`ReasoningFilter`]: reasoning (a field or a
//! `<think>` block) is told as [`StreamEvent::Reasoning`], never as a delta.
//! A model not yet seen to answer without reasoning has its answer held back
//! until the reasoning has visibly ended (or the reply ends), so an
//! opening-less `</think>` never lets thoughts out as answer.

use tokio::time::Instant;

use super::client::{ChatOptions, ChatReply, LlmClient, Message, RawReply, StreamEvent};
use super::http::{self, post, read_json};
use super::reasoning::{Piece, ReasoningFilter};
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
            let filter = ReasoningFilter::new(!self.may_reason(&model));
            let mut told = |e: StreamEvent<'_>| {
                emitted = true;
                on(e);
            };
            let once = self.stream_once(phase, &url, &body, &r, filter, &mut told).await;
            match once {
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
        mut filter: ReasoningFilter,
        on: &mut impl FnMut(StreamEvent<'_>),
    ) -> Result<RawReply, LlmError> {
        let mut pieces = Vec::new();
        let mut tell = |pieces: &mut Vec<Piece>| {
            for p in pieces.drain(..) {
                match &p {
                    Piece::Answer(t) => on(StreamEvent::Delta(t)),
                    Piece::Reasoning(t) => on(StreamEvent::Reasoning(t)),
                    Piece::Retract(t) => on(StreamEvent::Retract(t)),
                }
            }
        };
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
            filter.push_field(&r.restore(&b.reasoning), &mut pieces);
            filter.push(&r.restore(&b.text), &mut pieces);
            filter.finish(&mut pieces);
            tell(&mut pieces);
            return Ok(RawReply { text: b.text, reasoning: b.reasoning, finish_reason: b.finish_reason, usage: b.usage });
        }
        let mut resp = reply.response;
        let mut parser = SseParser::new();
        let mut restorer = StreamRestorer::new(r);
        let mut thoughts = StreamRestorer::new(r);
        let mut text = String::new();
        let mut reasoning = String::new();
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
                if text.len() + reasoning.len() + c.delta.len() + c.reasoning.len() > http::MAX_BODY_BYTES {
                    // A stream that never ends must not hang the caller or fill memory.
                    return Err(LlmError::Malformed(format!("a streamed reply longer than {} bytes", http::MAX_BODY_BYTES)));
                }
                if !c.reasoning.is_empty() {
                    reasoning.push_str(&c.reasoning);
                    filter.push_field(&thoughts.push(&c.reasoning), &mut pieces);
                }
                if !c.delta.is_empty() {
                    text.push_str(&c.delta);
                    filter.push(&restorer.push(&c.delta), &mut pieces);
                }
                tell(&mut pieces);
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
        filter.push_field(&thoughts.finish(), &mut pieces);
        filter.push(&restorer.finish(), &mut pieces);
        filter.finish(&mut pieces);
        tell(&mut pieces);
        Ok(RawReply { text, reasoning, finish_reason: finish, usage })
    }

}
