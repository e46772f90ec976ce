//! A local OpenAI-compatible server for the tests, on 127.0.0.1 (real HTTP,
//! axum): `/v1/chat/completions` (whole or streamed as SSE) and
//! `/v1/embeddings`. It stands in for the model only. By default it answers
//! the summary prompts with valid JSON (built from what the prompt asks), a
//! scan window with "no anomalies", and embeds text as a deterministic
//! vector; scripted replies and faults (429, 500, a slow reply, malformed
//! JSON, HTML, wrong dimensions, a stream cut short) are queued per route.
//! Every request is logged.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::post;
use serde_json::{Value, json};

use logcopilot::config::{RedactionMode, default_prices};
use logcopilot::llm::retry::RetryPolicy;
use logcopilot::llm::{ClientOptions, Endpoint, LlmClient};

/// Which endpoint a scripted reply is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Chat,
    Embeddings,
}

/// A scripted reply.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The default answer.
    Normal,
    /// A status with a body and an optional `Retry-After`.
    Status(u16, String, Option<&'static str>),
    /// 200 with this body and content type.
    Raw(&'static str, String),
    /// The reply after a pause.
    Slow(Duration, Box<Reply>),
    /// Chat: this text as the whole reply (streamed if asked).
    Text(String),
    /// Chat stream: these deltas, then the end as given.
    Stream { deltas: Vec<String>, end: StreamEnd },
    /// Chat: reasoning in its own message field (`reasoning_content` as
    /// vLLM, DeepSeek and llama.cpp send it, `reasoning` as Ollama and
    /// OpenRouter do), then the text; streamed as deltas of each.
    Reasoned { field: &'static str, reasoning: String, text: String },
    /// Chat: this text, ended by the token limit (`finish_reason: length`).
    Cut(String),
    /// Embeddings of this dimension.
    Dims(usize),
    /// Embeddings with one vector fewer than asked.
    MissingVector,
}

/// How a scripted stream ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// finish_reason, usage, `[DONE]`.
    Done,
    /// The body just ends: no finish_reason, no `[DONE]`.
    Closed,
    /// The connection breaks in the middle of the body.
    Broken,
    /// The server goes silent for 10 s, then ends properly.
    Stall,
}

/// One logged request.
#[derive(Debug, Clone)]
pub struct Logged {
    pub route: Route,
    pub body: Value,
    /// `template:E5`, `parameter:E5`, `workflow:W3` for summary prompts.
    pub item: Option<String>,
}

#[derive(Default)]
struct Shared {
    log: Mutex<Vec<Logged>>,
    script: Mutex<VecDeque<(Route, Reply)>>,
    /// After this many requests, every request gets a 500 (0 = never).
    fail_after: AtomicUsize,
    /// Summary items (`template:E3`) answered with prose instead of JSON.
    bad_items: Mutex<Vec<String>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    dims: AtomicUsize,
}

/// A running server.
pub struct MockLlm {
    pub base_url: String,
    shared: Arc<Shared>,
}

impl MockLlm {
    /// Starts a server on a free port of 127.0.0.1 (on the current tokio runtime).
    pub async fn start() -> MockLlm {
        let shared = Arc::new(Shared::default());
        shared.dims.store(8, Ordering::SeqCst);
        let app = Router::new()
            .route("/v1/chat/completions", post(handle))
            .route("/v1/embeddings", post(handle))
            .fallback(|uri: Uri| async move { (StatusCode::NOT_FOUND, format!("<html><body>no route {uri}</body></html>")) })
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        MockLlm { base_url: format!("http://{addr}/v1"), shared }
    }

    /// Queues a reply for the next request on `route`.
    pub fn push(&self, route: Route, r: Reply) {
        self.shared.script.lock().unwrap().push_back((route, r));
    }

    /// Every request from the `n+1`-th on gets a 500 (0 = heal).
    pub fn fail_after(&self, n: usize) {
        self.shared.fail_after.store(n, Ordering::SeqCst);
    }

    /// Answers prose, never JSON, for this summary item.
    pub fn bad_item(&self, item: &str) {
        self.shared.bad_items.lock().unwrap().push(item.to_owned());
    }

    pub fn set_dims(&self, d: usize) {
        self.shared.dims.store(d, Ordering::SeqCst);
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.shared.log.lock().unwrap().clone()
    }

    pub fn count(&self, route: Route) -> usize {
        self.requests().iter().filter(|r| r.route == route).count()
    }

    pub fn clear_log(&self) {
        self.shared.log.lock().unwrap().clear();
    }

    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// A client of this server with short timeouts and quick retries.
    pub fn client(&self, redaction: RedactionMode) -> LlmClient {
        self.client_with(redaction, options())
    }

    pub fn client_with(&self, redaction: RedactionMode, opts: ClientOptions) -> LlmClient {
        let e = Endpoint {
            base_url: self.base_url.clone(),
            api_key: Some("sk-test-key-never-logged".into()),
            chat_model: "test-chat".into(),
            embedding_model: "test/embed:1".into(),
            redaction,
        };
        LlmClient::new(e, opts).expect("client")
    }
}

/// Test client options: 2 s timeout, 2 retries 10 ms apart, no real rate limit.
pub fn options() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(2),
        retry: RetryPolicy { max_retries: 2, base_delay: Duration::from_millis(10), max_delay: Duration::from_secs(2) },
        concurrency: 4,
        requests_per_second: 1000.0,
        prices: default_prices(),
        max_embedding_tokens: 8000,
    }
}

/// The vector the server gives `text` (dimension `dims`).
pub fn vector_of(text: &str, dims: usize) -> Vec<f32> {
    (0..dims)
        .map(|i| (xxhash_rust::xxh3::xxh3_64_with_seed(text.as_bytes(), i as u64) % 1000) as f32 / 1000.0)
        .collect()
}

/// What a summary prompt is about: `template:E5`, `parameter:E5`, `workflow:W3`.
pub fn item_of(body: &Value) -> Option<String> {
    let msgs = body.get("messages")?.as_array()?;
    let system = msgs.first()?.get("content")?.as_str()?;
    let user = msgs.get(1)?.get("content")?.as_str()?;
    let after = |marker: &str| -> Option<String> {
        let rest = &user[user.find(marker)? + marker.len()..];
        Some(rest.split(|c: char| c == '.' || c == ':' || c.is_whitespace()).next()?.to_owned())
    };
    if system.contains("document the parameters") {
        Some(format!("parameter:{}", after("Log template ")?))
    } else if system.contains("document the log events") {
        Some(format!("template:{}", after("Log template ")?))
    } else if system.contains("document the workflows") {
        Some(format!("workflow:{}", after("Workflow ")?))
    } else {
        None
    }
}

/// Whether a chat request is a window of `logcopilot scan`.
pub fn is_scan(body: &Value) -> bool {
    body["messages"][0]["content"].as_str().is_some_and(|s| s.contains("for anomalies, one time window at a time"))
}

/// The default chat answer: valid JSON for the summary prompts (quoting the
/// first placeholder it saw, if any), a report of no anomalies for a scan
/// window, else an echo of the last message.
pub fn default_answer(body: &Value) -> String {
    if is_scan(body) {
        return json!({"anomalies": [], "window_health": "normal"}).to_string();
    }
    let all: String = body["messages"]
        .as_array()
        .map(|m| m.iter().filter(|x| x["role"] == "user").filter_map(|x| x["content"].as_str()).collect())
        .unwrap_or_default();
    let placeholder = all.find("<IP_").and_then(|i| all[i..].find('>').map(|j| all[i..i + j + 1].to_owned()));
    let seen = placeholder.map(|p| format!(" It mentions {p}.")).unwrap_or_default();
    match item_of(body) {
        Some(item) if item.starts_with("template:") => {
            json!({"summary": format!("Summary of {}.{seen}", &item[9..]), "keywords": ["block", "hdfs"]}).to_string()
        }
        Some(item) if item.starts_with("parameter:") => {
            let user = body["messages"][1]["content"].as_str().unwrap_or("");
            let slots: Vec<u64> = user
                .split("each of the slots ")
                .nth(1)
                .and_then(|r| r.split(':').next())
                .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
                .unwrap_or_default();
            let params: Vec<Value> = slots
                .iter()
                .map(|s| json!({"slot": s, "name": format!("p{s}"), "description": format!("slot {s} of {}", &item[10..])}))
                .collect();
            json!({ "parameters": params }).to_string()
        }
        Some(item) => json!({"name": format!("flow {}", &item[9..]), "summary": format!("What {} does.{seen}", &item[9..])}).to_string(),
        None => {
            let last = body["messages"].as_array().and_then(|m| m.last()).and_then(|m| m["content"].as_str()).unwrap_or("");
            format!("echo: {last}")
        }
    }
}

fn json_response(status: u16, body: String) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

fn completion(text: &str) -> Value {
    json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-chat",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}})
}

fn chunk(delta: Option<&str>, finish: Option<&str>, usage: bool) -> String {
    chunk_of(json!({"content": delta}), finish, usage)
}

fn chunk_of(delta: Value, finish: Option<&str>, usage: bool) -> String {
    let mut v = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "test-chat",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    if usage {
        v = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "test-chat", "choices": [],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}});
    }
    format!("data: {v}\n\n")
}

fn sse(deltas: Vec<String>, end: StreamEnd) -> Response {
    sse_of(deltas.iter().map(|d| json!({"content": d})).collect(), end, "stop")
}

/// A stream of these `delta` objects, ended as given (`finish` when it ends properly).
fn sse_of(deltas: Vec<Value>, end: StreamEnd, finish: &str) -> Response {
    let mut parts: Vec<Result<Bytes, std::io::Error>> =
        deltas.into_iter().map(|d| Ok(Bytes::from(chunk_of(d, None, false)))).collect();
    match end {
        StreamEnd::Done => {
            parts.push(Ok(Bytes::from(chunk(None, Some(finish), false))));
            parts.push(Ok(Bytes::from(chunk(None, None, true))));
            parts.push(Ok(Bytes::from("data: [DONE]\n\n")));
        }
        StreamEnd::Closed => {}
        StreamEnd::Broken => parts.push(Err(std::io::Error::other("connection reset"))),
        StreamEnd::Stall => {
            parts.push(Ok(Bytes::from_static(b"stall")));
            parts.push(Ok(Bytes::from("data: [DONE]\n\n")));
        }
    }
    // A short pause between chunks, so they arrive as separate reads.
    let stream = futures_util::stream::unfold(parts.into_iter(), |mut it| async move {
        let next = it.next()?;
        if matches!(&next, Ok(b) if b.as_ref() == b"stall") {
            tokio::time::sleep(Duration::from_secs(10)).await;
            return Some((Ok(Bytes::from_static(b": still here\n\n")), it));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        Some((next, it))
    });
    Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

fn split_text(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(7).map(|c| c.iter().collect()).collect()
}

async fn handle(State(s): State<Arc<Shared>>, uri: Uri, body: Bytes) -> Result<Response, Infallible> {
    let route = if uri.path().ends_with("/embeddings") { Route::Embeddings } else { Route::Chat };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let n = {
        let mut log = s.log.lock().unwrap();
        log.push(Logged { route, body: body.clone(), item: item_of(&body) });
        log.len()
    };
    let now = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    s.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let fail_after = s.fail_after.load(Ordering::SeqCst);
    let bad = item_of(&body).is_some_and(|i| s.bad_items.lock().unwrap().contains(&i));
    let reply = if fail_after > 0 && n > fail_after {
        Reply::Status(500, "the model crashed".into(), None)
    } else if bad {
        Reply::Text("I would rather write a poem about blocks.".into())
    } else {
        let mut script = s.script.lock().unwrap();
        match script.iter().position(|(r, _)| *r == route) {
            Some(i) => script.remove(i).map(|x| x.1).unwrap_or(Reply::Normal),
            None => Reply::Normal,
        }
    };
    // Let concurrent requests overlap, so the in-flight count means something.
    tokio::time::sleep(Duration::from_millis(15)).await;
    let r = respond(&s, route, &body, reply).await;
    s.in_flight.fetch_sub(1, Ordering::SeqCst);
    Ok(r)
}

async fn respond(s: &Shared, route: Route, body: &Value, mut reply: Reply) -> Response {
    if let Reply::Slow(d, inner) = reply {
        tokio::time::sleep(d).await;
        reply = *inner;
    }
    let stream = body["stream"].as_bool().unwrap_or(false);
    match (route, reply) {
        (_, Reply::Status(code, text, retry_after)) => {
            let mut b = Response::builder().status(code).header("content-type", "application/json");
            if let Some(ra) = retry_after {
                b = b.header("retry-after", ra);
            }
            b.body(Body::from(json!({"error": {"message": text, "type": "server_error"}}).to_string())).unwrap()
        }
        (_, Reply::Raw(ct, text)) => Response::builder().status(200).header("content-type", ct).body(Body::from(text)).unwrap(),
        (_, Reply::Slow(..)) => json_response(500, "{}".into()),
        (Route::Chat, Reply::Stream { deltas, end }) => sse(deltas, end),
        (Route::Chat, Reply::Reasoned { field, reasoning, text }) if stream => {
            let mut d: Vec<Value> = split_text(&reasoning).into_iter().map(|r| json!({ field: r })).collect();
            d.extend(split_text(&text).into_iter().map(|t| json!({"content": t})));
            sse_of(d, StreamEnd::Done, "stop")
        }
        (Route::Chat, Reply::Reasoned { field, reasoning, text }) => {
            let mut v = completion(&text);
            v["choices"][0]["message"][field] = json!(reasoning);
            json_response(200, v.to_string())
        }
        (Route::Chat, Reply::Cut(t)) if stream => sse_of(split_text(&t).into_iter().map(|t| json!({"content": t})).collect(), StreamEnd::Done, "length"),
        (Route::Chat, Reply::Cut(t)) => {
            let mut v = completion(&t);
            v["choices"][0]["finish_reason"] = json!("length");
            json_response(200, v.to_string())
        }
        (Route::Chat, Reply::Text(t)) if stream => sse(split_text(&t), StreamEnd::Done),
        (Route::Chat, Reply::Text(t)) => json_response(200, completion(&t).to_string()),
        (Route::Chat, _) if stream => sse(split_text(&default_answer(body)), StreamEnd::Done),
        (Route::Chat, _) => json_response(200, completion(&default_answer(body)).to_string()),
        (Route::Embeddings, r) => {
            let inputs: Vec<String> =
                body["input"].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default();
            let dims = match r {
                Reply::Dims(d) => d,
                _ => s.dims.load(Ordering::SeqCst),
            };
            let take = if matches!(r, Reply::MissingVector) { inputs.len().saturating_sub(1) } else { inputs.len() };
            let data: Vec<Value> = inputs
                .iter()
                .take(take)
                .enumerate()
                .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": vector_of(t, dims)}))
                .collect();
            let tokens: usize = inputs.iter().map(|t| t.split_whitespace().count()).sum();
            json_response(
                200,
                json!({"object": "list", "model": "test/embed:1", "data": data, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
                    .to_string(),
            )
        }
    }
}
