//! The client against the local server: chat whole and streamed, embeddings,
//! and every fault the issue names, each with bounded retries and a clear error.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use logcopilot::config::RedactionMode;
use logcopilot::llm::json::JsonReply;
use logcopilot::llm::{ChatOptions, LlmError, Message, Shape, StreamEvent, chat_json};
use serde_json::Value;

use super::server::{MockLlm, Reply, Route, StreamEnd, options, vector_of};

fn ask() -> Vec<Message> {
    vec![Message::system("You answer."), Message::user("say hello")]
}

/// One plain reply, so the client knows the model does not reason: its
/// streamed answers are then let out as they arrive.
pub async fn known_plain(s: &MockLlm, c: &logcopilot::llm::LlmClient) {
    s.push(Route::Chat, Reply::Text("ok".into()));
    c.chat("ask", &ask(), &ChatOptions::default()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_whole_and_usage_from_the_server() {
    let s = MockLlm::start().await;
    let c = s.client(RedactionMode::Off);
    let r = c.chat("ask", &ask(), &ChatOptions::default()).await.unwrap();
    assert_eq!(r.text, "echo: say hello");
    assert_eq!((r.tokens_in, r.tokens_out, r.estimated, r.attempts), (100, 20, false, 1));
    let req = &s.requests()[0];
    assert_eq!(req.body["model"], "test-chat");
    assert_eq!(req.body["messages"][1]["content"], "say hello");
    let u = c.usage().phase("ask");
    assert_eq!((u.requests, u.retries, u.tokens_in, u.tokens_out), (1, 0, 100, 20));
    assert!(u.cost_unknown, "test-chat has no price");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_streamed_arrives_in_pieces() {
    let s = MockLlm::start().await;
    let c = s.client(RedactionMode::Off);
    let text = "The blocks were deleted by dfs.FSDataset, 263 times.";
    // A model not seen yet may start with reasoning that has no opening tag:
    // its answer is held until the reply shows where the answer starts.
    s.push(Route::Chat, Reply::Text(text.into()));
    let mut held = Vec::new();
    c.chat_stream("ask", &ask(), &ChatOptions::default(), |e| held.push(format!("{e:?}"))).await.unwrap();
    assert_eq!(held, vec![format!("Delta({text:?})")], "held, then let out whole");
    // Now it is known to answer plainly: the pieces come as they arrive.
    s.push(Route::Chat, Reply::Text(text.into()));
    let mut pieces = Vec::new();
    let r = c
        .chat_stream("ask", &ask(), &ChatOptions::default(), |e| {
            if let StreamEvent::Delta(d) = e {
                pieces.push(d.to_owned())
            }
        })
        .await
        .unwrap();
    assert_eq!(r.text, text);
    assert!(pieces.len() > 3, "{pieces:?}");
    assert_eq!(pieces.concat(), text);
    assert_eq!((r.tokens_in, r.tokens_out, r.finish_reason.as_deref()), (100, 20, Some("stop")));
    assert_eq!(s.requests()[1].body["stream"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_waits_for_retry_after() {
    let s = MockLlm::start().await;
    let c = s.client(RedactionMode::Off);
    s.push(Route::Chat, Reply::Status(429, "slow down".into(), Some("1")));
    let t = Instant::now();
    let r = c.chat("ask", &ask(), &ChatOptions::default()).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(950), "Retry-After: 1 honoured, waited {:?}", t.elapsed());
    assert_eq!(r.attempts, 2);
    assert_eq!(s.count(Route::Chat), 2);
    assert_eq!(c.usage().phase("ask").retries, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_then_given_up_with_the_servers_text() {
    let s = MockLlm::start().await;
    let c = s.client(RedactionMode::Off);
    s.push(Route::Chat, Reply::Status(500, "boom".into(), None));
    s.push(Route::Chat, Reply::Status(503, "busy".into(), None));
    assert_eq!(c.chat("ask", &ask(), &ChatOptions::default()).await.unwrap().attempts, 3);

    s.clear_log();
    for _ in 0..3 {
        s.push(Route::Chat, Reply::Status(500, "CUDA out of memory".into(), None));
    }
    let e = c.chat("ask", &ask(), &ChatOptions::default()).await.unwrap_err();
    assert_eq!(s.count(Route::Chat), 3, "1 try + 2 retries");
    assert!(matches!(e, LlmError::GaveUp { attempts: 3, .. }), "{e:?}");
    assert!(e.to_string().contains("CUDA out of memory") && e.to_string().contains("HTTP 500"), "{e}");
    assert_eq!(c.usage().phase("ask").failures, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_endpoint_times_out() {
    let s = MockLlm::start().await;
    let mut o = options();
    o.timeout = Duration::from_millis(400);
    o.retry.max_retries = 1;
    let c = s.client_with(RedactionMode::Off, o);
    for _ in 0..2 {
        s.push(Route::Chat, Reply::Slow(Duration::from_secs(5), Box::new(Reply::Normal)));
    }
    let t = Instant::now();
    let e = c.chat("ask", &ask(), &ChatOptions::default()).await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(matches!(e.root(), LlmError::Timeout { .. }), "{e:?}");
    assert!(e.to_string().contains("did not answer within"), "{e}");
    assert_eq!(s.count(Route::Chat), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_and_html_are_retried_then_explained() {
    let s = MockLlm::start().await;
    let c = s.client(RedactionMode::Off);
    s.push(Route::Chat, Reply::Raw("application/json", "{\"choices\": [".into()));
    s.push(Route::Chat, Reply::Raw("application/json", "{\"unexpected\": true}".into()));
    let r = c.chat("ask", &ask(), &ChatOptions::default()).await.unwrap();
    assert_eq!((r.text.as_str(), r.attempts), ("echo: say hello", 3));

    for _ in 0..3 {
        s.push(Route::Chat, Reply::Raw("text/html", "<!DOCTYPE html><html><body>Welcome to nginx</body></html>".into()));
    }
    let e = c.chat("ask", &ask(), &ChatOptions::default()).await.unwrap_err();
    let m = e.to_string();
    assert!(m.contains("HTML page") && m.contains("llm.base_url"), "{m}");

    // A wrong base URL (no /v1): 404 with an HTML body, not retried, with a hint.
    let mut wrong = options();
    wrong.retry.max_retries = 2;
    let base = s.base_url.trim_end_matches("/v1").to_owned();
    let e2 = logcopilot::llm::LlmClient::new(
        logcopilot::llm::Endpoint {
            base_url: base,
            api_key: None,
            chat_model: "m".into(),
            embedding_model: "e".into(),
            redaction: RedactionMode::Off,
        },
        wrong,
    )
    .unwrap()
    .chat("ask", &ask(), &ChatOptions::default())
    .await
    .unwrap_err();
    assert!(matches!(e2, LlmError::Refused { status: 404, .. }), "{e2:?}");
    assert!(e2.to_string().contains("API root"), "{e2}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_are_not_retried_and_the_key_is_not_shown() {
    let s = MockLlm::start().await;
    let c = s.client(RedactionMode::Off);
    s.push(Route::Chat, Reply::Status(401, "Incorrect API key provided".into(), None));
    let e = c.chat("ask", &ask(), &ChatOptions::default()).await.unwrap_err();
    assert_eq!(s.count(Route::Chat), 1);
    let m = e.to_string();
    assert!(m.contains("HTTP 401") && m.contains("Incorrect API key") && m.contains("OPENAI_API_KEY"), "{m}");
    assert!(!m.contains("sk-test-key") && !format!("{c:?}").contains("sk-test-key"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_cut_short_is_retried_and_the_caller_told_to_restart() {
    let s = MockLlm::start().await;
    let c = s.client(RedactionMode::Off);
    known_plain(&s, &c).await;
    s.push(Route::Chat, Reply::Stream { deltas: vec!["Part".into(), "ial ".into()], end: StreamEnd::Closed });
    s.push(Route::Chat, Reply::Stream { deltas: vec!["Bro".into(), "ken".into()], end: StreamEnd::Broken });
    s.push(Route::Chat, Reply::Stream { deltas: vec!["Whole ".into(), "answer.".into()], end: StreamEnd::Done });
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let r = c
        .chat_stream("ask", &ask(), &ChatOptions::default(), move |e| {
            ev.lock().unwrap().push(match e {
                StreamEvent::Delta(d) => format!("+{d}"),
                StreamEvent::Restart { attempt, .. } => format!("restart {attempt}"),
                StreamEvent::Reasoning(r) => format!("~{r}"),
                StreamEvent::Retract(r) => format!("retract {r}"),
            })
        })
        .await
        .unwrap();
    assert_eq!(r.text, "Whole answer.");
    assert_eq!(r.attempts, 3);
    let ev = events.lock().unwrap().clone();
    assert_eq!(ev, vec!["+Part", "+ial ", "restart 2", "+Bro", "+ken", "restart 3", "+Whole ", "+answer."]);

    // Cut every time: a StreamCut error after the bounded retries.
    for _ in 0..3 {
        s.push(Route::Chat, Reply::Stream { deltas: vec!["x".into()], end: StreamEnd::Closed });
    }
    let e = c.chat_stream("ask", &ask(), &ChatOptions::default(), |_| {}).await.unwrap_err();
    assert!(matches!(e.root(), LlmError::StreamCut { received: 1, .. }), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_goes_silent_times_out() {
    let s = MockLlm::start().await;
    let mut o = options();
    o.timeout = Duration::from_millis(400);
    o.retry.max_retries = 0;
    let c = s.client_with(RedactionMode::Off, o);
    known_plain(&s, &c).await;
    s.push(Route::Chat, Reply::Stream { deltas: vec!["Hel".into(), "lo".into()], end: StreamEnd::Stall });
    let t = Instant::now();
    let mut got = String::new();
    let e = c
        .chat_stream("ask", &ask(), &ChatOptions::default(), |e| {
            if let StreamEvent::Delta(d) = e {
                got.push_str(d)
            }
        })
        .await
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(matches!(&e, LlmError::StreamCut { received: 5, message } if message.contains("no data")), "{e:?}");
    assert_eq!(got, "Hello", "what arrived was shown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_in_order_and_wrong_dimensions_or_counts() {
    let s = MockLlm::start().await;
    let c = s.client(RedactionMode::Off);
    let inputs: Vec<String> = (0..5).map(|i| format!("document {i}")).collect();
    let v = c.embed("embed", &inputs).await.unwrap();
    assert_eq!(v.len(), 5);
    assert_eq!(v[3], vector_of("document 3", 8));
    assert_eq!(c.dims(), Some(8));
    assert_eq!(s.requests()[0].body["model"], "test/embed:1");

    // One vector missing: malformed, retried; then fine.
    s.push(Route::Embeddings, Reply::MissingVector);
    assert_eq!(c.embed("embed", &inputs).await.unwrap().len(), 5);

    // Another dimension than before: a clear error, not retried.
    s.clear_log();
    s.push(Route::Embeddings, Reply::Dims(4));
    let e = c.embed("embed", &inputs).await.unwrap_err();
    assert!(matches!(e, LlmError::Dimension { expected: 8, got: 4 }), "{e:?}");
    assert_eq!(s.count(Route::Embeddings), 1);
    assert!(c.embed("embed", &[]).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_replies_get_one_repair_that_quotes_the_error() {
    let s = MockLlm::start().await;
    let c = s.client(RedactionMode::Off);
    let shape = Shape::object([("summary", Shape::Text), ("keywords", Shape::array(Shape::String))]);
    s.push(Route::Chat, Reply::Text("Sure! {\"summary\": \"x\", \"keywords\": [1]}".into()));
    s.push(Route::Chat, Reply::Text("```json\n{\"summary\": \"fixed\", \"keywords\": [\"a\"]}\n```".into()));
    let r: JsonReply<Value> = chat_json(&c, "ask", &ask(), &ChatOptions::default(), &shape, |_: &Value| Ok(())).await.unwrap();
    assert!(r.repaired);
    assert_eq!(r.value["summary"], "fixed");
    let reqs = s.requests();
    assert_eq!(reqs.len(), 2);
    let msgs = reqs[1].body["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 4, "question, bad answer, repair request");
    let repair = msgs[3]["content"].as_str().unwrap();
    assert!(repair.contains("$.keywords[0]: expected a string, got the number 1"), "{repair}");

    s.push(Route::Chat, Reply::Text("no".into()));
    s.push(Route::Chat, Reply::Text("still no".into()));
    let e = chat_json::<Value>(&c, "ask", &ask(), &ChatOptions::default(), &shape, |_| Ok(())).await.unwrap_err();
    assert!(matches!(e, LlmError::InvalidJson { .. }), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redaction_hides_secrets_from_the_server_and_maps_them_back() {
    let s = MockLlm::start().await;
    let c = s.client(RedactionMode::Default);
    let msg = vec![Message::user("block from 10.250.19.102 by bob@example.com password=hunter2")];
    let r = c.chat("ask", &msg, &ChatOptions::default()).await.unwrap();
    let sent = s.requests()[0].body.to_string();
    assert!(!sent.contains("10.250.19.102") && !sent.contains("bob@example.com") && !sent.contains("hunter2"), "{sent}");
    assert!(sent.contains("<IP_1>") && sent.contains("<EMAIL_1>") && sent.contains("<SECRET_1>"), "{sent}");
    assert_eq!(r.text, "echo: block from 10.250.19.102 by bob@example.com password=hunter2");
    assert_eq!(r.redactions.total(), 3);
    assert_eq!(c.usage().phase("ask").redactions.total(), 3);

    // Streamed: placeholders split across chunks are mapped back too.
    let mut out = String::new();
    c.chat_stream("ask", &msg, &ChatOptions::default(), |e| {
        if let StreamEvent::Delta(d) = e {
            out.push_str(d)
        }
    })
    .await
    .unwrap();
    assert_eq!(out, "echo: block from 10.250.19.102 by bob@example.com password=hunter2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_limit_holds_and_a_down_endpoint_fails_fast() {
    let s = MockLlm::start().await;
    let mut o = options();
    o.concurrency = 2;
    let c = s.client_with(RedactionMode::Off, o);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let c = c.clone();
        set.spawn(async move { c.chat("ask", &[Message::user(format!("q{i}"))], &ChatOptions::default()).await });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    assert_eq!(s.count(Route::Chat), 8);
    assert!(s.max_in_flight() <= 2, "{}", s.max_in_flight());
    assert_eq!(s.max_in_flight(), 2);

    // Nothing listens on this port (bound, then closed).
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let down = logcopilot::llm::LlmClient::new(
        logcopilot::llm::Endpoint {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            api_key: None,
            chat_model: "m".into(),
            embedding_model: "e".into(),
            redaction: RedactionMode::Off,
        },
        options(),
    )
    .unwrap();
    let t = Instant::now();
    let e = down.chat("ask", &ask(), &ChatOptions::default()).await.unwrap_err();
    assert!(matches!(e.root(), LlmError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("cannot reach"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(2));
}
