//! The OpenAI wire format, with async-openai's types: request bodies for chat
//! completions and embeddings, and the replies parsed from them. A reply that
//! does not fit async-openai's (strict) types but still carries what we need
//! (some compatible servers leave out `object` or `created`) is read leniently;
//! anything else is [`LlmError::Malformed`].

use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestUserMessage, ChatCompletionStreamOptions, CreateChatCompletionRequest,
    CreateChatCompletionResponse, CreateChatCompletionStreamResponse, FinishReason, ResponseFormat,
};
use async_openai::types::embeddings::{CreateEmbeddingRequest, CreateEmbeddingResponse, EmbeddingInput, EncodingFormat};
use serde_json::Value;

use super::LlmError;
use super::client::{ChatOptions, Message, Role};

/// Tokens the server reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerUsage {
    pub prompt: u64,
    pub completion: u64,
}

/// A whole (non-streamed) chat reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatBody {
    pub text: String,
    /// The `reasoning_content` (or `reasoning`) field, when the server parsed it out.
    pub reasoning: String,
    pub finish_reason: Option<String>,
    pub usage: Option<ServerUsage>,
}

/// One chunk of a streamed chat reply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatChunk {
    pub delta: String,
    /// The delta's `reasoning_content` (or `reasoning`) field.
    pub reasoning: String,
    pub finish_reason: Option<String>,
    pub usage: Option<ServerUsage>,
}

/// The chat request body.
#[allow(deprecated)] // `max_tokens`: deprecated by OpenAI, still the one local servers know.
pub fn chat_request(model: &str, messages: &[Message], opts: &ChatOptions, stream: bool, openai: bool) -> Value {
    let messages = messages
        .iter()
        .map(|m| match m.role {
            Role::System => ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage::from(m.content.as_str())),
            Role::User => ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage::from(m.content.as_str())),
            Role::Assistant => {
                ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage::from(m.content.as_str()))
            }
        })
        .collect();
    let mut req = CreateChatCompletionRequest {
        messages,
        model: opts.model.clone().unwrap_or_else(|| model.to_owned()),
        temperature: opts.temperature,
        seed: opts.seed,
        response_format: opts.json_mode.then_some(ResponseFormat::JsonObject),
        ..Default::default()
    };
    if openai {
        req.max_completion_tokens = opts.max_tokens;
    } else {
        req.max_tokens = opts.max_tokens;
    }
    if stream {
        req.stream = Some(true);
        req.stream_options = Some(ChatCompletionStreamOptions { include_usage: Some(true), include_obfuscation: None });
    }
    serde_json::to_value(&req).unwrap_or(Value::Null)
}

/// The embeddings request body.
pub fn embedding_request(model: &str, inputs: Vec<String>) -> Value {
    let req = CreateEmbeddingRequest {
        model: model.to_owned(),
        input: EmbeddingInput::StringArray(inputs),
        encoding_format: Some(EncodingFormat::Float),
        ..Default::default()
    };
    serde_json::to_value(&req).unwrap_or(Value::Null)
}

fn finish_name(f: FinishReason) -> String {
    match f {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::FunctionCall => "function_call",
    }
    .to_owned()
}

/// The reasoning a server parsed out of a message or a delta: vLLM,
/// llama.cpp, LM Studio and DeepSeek's API send `reasoning_content`; newer
/// vLLM, Ollama and OpenRouter send `reasoning`.
fn reasoning_field(m: Option<&Value>) -> String {
    let Some(m) = m else { return String::new() };
    ["reasoning_content", "reasoning"]
        .iter()
        .find_map(|k| m.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()))
        .unwrap_or_default()
        .to_owned()
}

fn lenient_usage(v: &Value) -> Option<ServerUsage> {
    let u = v.get("usage")?;
    Some(ServerUsage {
        prompt: u.get("prompt_tokens")?.as_u64()?,
        completion: u.get("completion_tokens").and_then(Value::as_u64).unwrap_or(0),
    })
}

/// An `{"error": ...}` object inside a 200 reply (some servers do this).
pub fn embedded_error(v: &Value) -> Option<String> {
    let e = v.get("error")?;
    Some(match e.get("message").and_then(Value::as_str) {
        Some(m) => m.to_owned(),
        None => excerpt(&e.to_string()),
    })
}

/// Parses a whole chat reply.
pub fn parse_chat(v: Value) -> Result<ChatBody, LlmError> {
    if let Some(e) = embedded_error(&v) {
        return Err(LlmError::Server { status: 200, message: e });
    }
    let message = v.get("choices").and_then(|c| c.get(0)).and_then(|c| c.get("message"));
    let reasoning = reasoning_field(message);
    match serde_json::from_value::<CreateChatCompletionResponse>(v.clone()) {
        Ok(r) => {
            let Some(c) = r.choices.into_iter().next() else {
                return Err(LlmError::Malformed("a chat reply without choices".into()));
            };
            Ok(ChatBody {
                text: c.message.content.unwrap_or_default(),
                reasoning,
                finish_reason: c.finish_reason.map(finish_name),
                usage: r.usage.map(|u| ServerUsage { prompt: u.prompt_tokens.into(), completion: u.completion_tokens.into() }),
            })
        }
        Err(strict) => {
            let c = v.get("choices").and_then(|c| c.get(0));
            let content = c.and_then(|c| c.get("message")).and_then(|m| m.get("content"));
            // A reasoning-only reply may have `content: null`.
            let text = match content {
                Some(Value::Null) | None if !reasoning.is_empty() => Some(""),
                _ => content.and_then(Value::as_str),
            };
            match text {
                Some(t) => Ok(ChatBody {
                    text: t.to_owned(),
                    reasoning,
                    finish_reason: c.and_then(|c| c.get("finish_reason")).and_then(Value::as_str).map(str::to_owned),
                    usage: lenient_usage(&v),
                }),
                None => Err(LlmError::Malformed(format!("not a chat completion ({strict}): {}", excerpt(&v.to_string())))),
            }
        }
    }
}

/// Parses one `data:` payload of a streamed chat reply.
pub fn parse_chunk(data: &str) -> Result<ChatChunk, LlmError> {
    let v: Value = serde_json::from_str(data)
        .map_err(|e| LlmError::Malformed(format!("a stream chunk is not JSON ({e}): {}", excerpt(data))))?;
    if let Some(e) = embedded_error(&v) {
        return Err(LlmError::Server { status: 200, message: e });
    }
    let reasoning = reasoning_field(v.get("choices").and_then(|c| c.get(0)).and_then(|c| c.get("delta")));
    match serde_json::from_value::<CreateChatCompletionStreamResponse>(v.clone()) {
        Ok(r) => {
            let c = r.choices.into_iter().next();
            Ok(ChatChunk {
                delta: c.as_ref().and_then(|c| c.delta.content.clone()).unwrap_or_default(),
                reasoning,
                finish_reason: c.and_then(|c| c.finish_reason).map(finish_name),
                usage: r.usage.map(|u| ServerUsage { prompt: u.prompt_tokens.into(), completion: u.completion_tokens.into() }),
            })
        }
        Err(strict) => {
            let choices = v.get("choices").and_then(Value::as_array);
            let usage = lenient_usage(&v);
            if choices.is_none() && usage.is_none() {
                return Err(LlmError::Malformed(format!("not a chat completion chunk ({strict}): {}", excerpt(data))));
            }
            let c = choices.and_then(|c| c.first());
            Ok(ChatChunk {
                delta: c
                    .and_then(|c| c.get("delta"))
                    .and_then(|d| d.get("content"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                reasoning,
                finish_reason: c.and_then(|c| c.get("finish_reason")).and_then(Value::as_str).map(str::to_owned),
                usage,
            })
        }
    }
}

/// Parses an embeddings reply: one vector per input, in input order, all of
/// one dimension, finite.
pub fn parse_embeddings(v: Value, inputs: usize) -> Result<(Vec<Vec<f32>>, Option<u64>), LlmError> {
    if let Some(e) = embedded_error(&v) {
        return Err(LlmError::Server { status: 200, message: e });
    }
    let (mut rows, tokens): (Vec<(usize, Vec<f32>)>, Option<u64>) =
        match serde_json::from_value::<CreateEmbeddingResponse>(v.clone()) {
            Ok(r) => (
                r.data.into_iter().map(|d| (d.index as usize, d.embedding)).collect(),
                Some(u64::from(r.usage.prompt_tokens)),
            ),
            Err(strict) => {
                let data = v.get("data").and_then(Value::as_array).ok_or_else(|| {
                    LlmError::Malformed(format!("not an embeddings reply ({strict}): {}", excerpt(&v.to_string())))
                })?;
                let mut rows = Vec::with_capacity(data.len());
                for (i, d) in data.iter().enumerate() {
                    let idx = d.get("index").and_then(Value::as_u64).map_or(i, |x| x as usize);
                    let vec: Vec<f32> = d
                        .get("embedding")
                        .and_then(Value::as_array)
                        .ok_or_else(|| LlmError::Malformed(format!("embedding {i} is not a list of numbers")))?
                        .iter()
                        .map(|x| x.as_f64().map(|f| f as f32))
                        .collect::<Option<_>>()
                        .ok_or_else(|| LlmError::Malformed(format!("embedding {i} holds a value that is not a number")))?;
                    rows.push((idx, vec));
                }
                (rows, v.get("usage").and_then(|u| u.get("prompt_tokens")).and_then(Value::as_u64))
            }
        };
    if rows.len() != inputs {
        return Err(LlmError::Malformed(format!("{} vectors for {inputs} inputs", rows.len())));
    }
    rows.sort_by_key(|r| r.0);
    if rows.iter().enumerate().any(|(i, r)| r.0 != i) {
        return Err(LlmError::Malformed("embedding indexes are not 0..n".into()));
    }
    let dims = rows.first().map_or(0, |r| r.1.len());
    if dims == 0 && inputs > 0 {
        return Err(LlmError::Malformed("empty vectors".into()));
    }
    for (i, r) in rows.iter().enumerate() {
        if r.1.len() != dims {
            return Err(LlmError::Malformed(format!("vector {i} has {} dimensions, vector 0 has {dims}", r.1.len())));
        }
        if r.1.iter().any(|x| !x.is_finite()) {
            return Err(LlmError::Malformed(format!("vector {i} holds a value that is not finite")));
        }
    }
    Ok((rows.into_iter().map(|r| r.1).collect(), tokens))
}

/// At most 300 characters of a reply, control characters replaced, for messages.
pub fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(300).map(|c| if c.is_control() && c != '\n' { ' ' } else { c }).collect();
    if s.chars().nth(300).is_some() {
        out.push_str("...");
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chat_request_uses_the_openai_wire_format() {
        let msgs = [Message::system("s"), Message::user("u"), Message::assistant("a")];
        let opts = ChatOptions { temperature: Some(0.0), max_tokens: Some(100), json_mode: true, ..Default::default() };
        let v = chat_request("m", &msgs, &opts, true, false);
        assert_eq!(v["model"], "m");
        assert_eq!(v["messages"][0], json!({"role": "system", "content": "s"}));
        assert_eq!(v["messages"][2]["role"], "assistant");
        assert_eq!(v["stream"], true);
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert_eq!(v["max_tokens"], 100);
        assert_eq!(v["response_format"]["type"], "json_object");
        let v = chat_request("m", &msgs, &ChatOptions { max_tokens: Some(5), ..Default::default() }, false, true);
        assert_eq!(v["max_completion_tokens"], 5);
        assert!(v.get("stream").is_none() && v.get("max_tokens").is_none());
        let e = embedding_request("e", vec!["a".into(), "b".into()]);
        assert_eq!(e, json!({"model": "e", "input": ["a", "b"], "encoding_format": "float"}));
    }

    #[test]
    fn chat_replies_strict_lenient_and_malformed() {
        let strict = json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}});
        let b = parse_chat(strict).unwrap();
        assert_eq!((b.text.as_str(), b.finish_reason.as_deref()), ("hi", Some("stop")));
        assert_eq!(b.usage, Some(ServerUsage { prompt: 5, completion: 1 }));
        let lenient = json!({"choices": [{"message": {"content": "yo"}}]});
        assert_eq!(parse_chat(lenient).unwrap().text, "yo");
        assert!(matches!(parse_chat(json!({"foo": 1})), Err(LlmError::Malformed(_))));
        // Reasoning fields, strict and lenient, and a reasoning-only reply.
        let vllm = json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "42", "reasoning_content": "count them"}, "finish_reason": "stop"}]});
        let b = parse_chat(vllm).unwrap();
        assert_eq!((b.text.as_str(), b.reasoning.as_str()), ("42", "count them"));
        let ollama = json!({"choices": [{"message": {"content": "7", "reasoning": "hmm"}}]});
        assert_eq!(parse_chat(ollama).unwrap().reasoning, "hmm");
        let cut = json!({"choices": [{"message": {"content": null, "reasoning_content": "so far"}, "finish_reason": "length"}]});
        let b = parse_chat(cut).unwrap();
        assert_eq!((b.text.as_str(), b.reasoning.as_str()), ("", "so far"));
        assert!(matches!(parse_chat(json!({"error": {"message": "boom"}})), Err(LlmError::Server { status: 200, .. })));
    }

    #[test]
    fn stream_chunks_and_embeddings() {
        let c = parse_chunk(r#"{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"He"},"finish_reason":null}]}"#).unwrap();
        assert_eq!(c.delta, "He");
        let c = parse_chunk(r#"{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"Let me"},"finish_reason":null}]}"#).unwrap();
        assert_eq!((c.delta.as_str(), c.reasoning.as_str()), ("", "Let me"));
        let c = parse_chunk(r#"{"choices":[{"delta":{"content":"","reasoning":"think"}}]}"#).unwrap();
        assert_eq!(c.reasoning, "think");
        let c = parse_chunk(r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}"#).unwrap();
        assert_eq!(c.usage, Some(ServerUsage { prompt: 3, completion: 2 }));
        assert!(parse_chunk("{not json").is_err());

        let ok = json!({"object": "list", "model": "e", "data": [
            {"object": "embedding", "index": 1, "embedding": [0.0, 1.0]},
            {"object": "embedding", "index": 0, "embedding": [1.0, 0.0]}],
            "usage": {"prompt_tokens": 4, "total_tokens": 4}});
        let (v, t) = parse_embeddings(ok, 2).unwrap();
        assert_eq!(v, vec![vec![1.0, 0.0], vec![0.0, 1.0]]);
        assert_eq!(t, Some(4));
        let no_usage = json!({"data": [{"embedding": [1.0]}]});
        assert_eq!(parse_embeddings(no_usage, 1).unwrap(), (vec![vec![1.0]], None));
        let ragged = json!({"data": [{"embedding": [1.0]}, {"embedding": [1.0, 2.0]}]});
        assert!(matches!(parse_embeddings(ragged, 2), Err(LlmError::Malformed(_))));
        let short = json!({"data": [{"embedding": [1.0]}]});
        assert!(matches!(parse_embeddings(short, 2), Err(LlmError::Malformed(_))));
        let text = json!({"data": [{"embedding": ["a"]}]});
        assert!(matches!(parse_embeddings(text, 1), Err(LlmError::Malformed(_))));
    }
}
