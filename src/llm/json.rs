//! JSON replies: the JSON is found in the reply (code fences are skipped, and
//! a reasoning model's thoughts through [`super::reasoning`]), checked against a [`Shape`] and the
//! caller's own check, and when it fails the model gets one repair request that
//! quotes the error. A second failure is [`LlmError::InvalidJson`].

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::LlmError;
use super::client::{ChatOptions, LlmClient, Message};

/// The expected shape of a JSON value. Objects may hold more fields than listed.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Any,
    String,
    /// A string with something other than white space.
    Text,
    Integer,
    Number,
    Bool,
    Array(Box<Shape>),
    /// Fields: name, shape, required.
    Object(Vec<(&'static str, Shape, bool)>),
}

impl Shape {
    pub fn array(item: Shape) -> Shape {
        Shape::Array(Box::new(item))
    }

    /// An object whose listed fields are all required.
    pub fn object(fields: impl IntoIterator<Item = (&'static str, Shape)>) -> Shape {
        Shape::Object(fields.into_iter().map(|(n, s)| (n, s, true)).collect())
    }

    /// The first mismatch, as `$.path: expected X, got Y`.
    pub fn check(&self, v: &Value) -> Result<(), String> {
        self.check_at(v, "$")
    }

    fn check_at(&self, v: &Value, path: &str) -> Result<(), String> {
        let fail = |what: &str| Err(format!("{path}: expected {what}, got {}", describe(v)));
        match self {
            Shape::Any => Ok(()),
            Shape::String => if v.is_string() { Ok(()) } else { fail("a string") },
            Shape::Text => match v.as_str() {
                Some(s) if !s.trim().is_empty() => Ok(()),
                _ => fail("a non-empty string"),
            },
            Shape::Integer => if v.is_i64() || v.is_u64() { Ok(()) } else { fail("an integer") },
            Shape::Number => if v.is_number() { Ok(()) } else { fail("a number") },
            Shape::Bool => if v.is_boolean() { Ok(()) } else { fail("true or false") },
            Shape::Array(item) => match v.as_array() {
                Some(a) => {
                    for (i, x) in a.iter().enumerate() {
                        item.check_at(x, &format!("{path}[{i}]"))?;
                    }
                    Ok(())
                }
                None => fail("an array"),
            },
            Shape::Object(fields) => match v.as_object() {
                Some(o) => {
                    for (name, shape, required) in fields {
                        match o.get(*name) {
                            Some(x) => shape.check_at(x, &format!("{path}.{name}"))?,
                            None if *required => return Err(format!("{path}: the field \"{name}\" is missing")),
                            None => {}
                        }
                    }
                    Ok(())
                }
                None => fail("an object"),
            },
        }
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() > 40 => format!("a string \"{}...\"", s.chars().take(40).collect::<String>()),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(a) => format!("an array of {}", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

/// The JSON value in a model's reply: the whole text, else the text of a
/// fenced block, else the span from the first `{` (or `[`) to the last `}` (`]`).
pub fn extract_json(reply: &str) -> Result<Value, String> {
    let answer = super::reasoning::answer_of(reply);
    let text = answer.trim();
    if let Ok(v) = serde_json::from_str(text) {
        return Ok(v);
    }
    if let Some(start) = text.find("```") {
        let body = text.get(start + 3..).unwrap_or("");
        let body = body.split_once('\n').map_or(body, |(_, b)| b);
        if let Some(end) = body.find("```") {
            if let Ok(v) = serde_json::from_str(body.get(..end).unwrap_or("").trim()) {
                return Ok(v);
            }
        }
    }
    for (open, close) in [('{', '}'), ('[', ']')] {
        if let (Some(s), Some(e)) = (text.find(open), text.rfind(close)) {
            if s < e {
                if let Ok(v) = serde_json::from_str(text.get(s..=e).unwrap_or("")) {
                    return Ok(v);
                }
            }
        }
    }
    match serde_json::from_str::<Value>(text) {
        Err(e) if text.is_empty() => Err(format!("the reply is empty ({e})")),
        Err(e) => Err(format!("the reply is not JSON: {e}")),
        Ok(_) => Err("the reply is not JSON".into()),
    }
}

/// A checked JSON reply.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonReply<T> {
    pub value: T,
    /// The repair request was needed.
    pub repaired: bool,
}

fn parse<T: DeserializeOwned>(text: &str, shape: &Shape, check: &impl Fn(&T) -> Result<(), String>) -> Result<T, String> {
    let v = extract_json(text)?;
    shape.check(&v)?;
    let t: T = serde_json::from_value(v).map_err(|e| format!("the JSON does not fit: {e}"))?;
    check(&t)?;
    Ok(t)
}

/// Asks for JSON of `shape` that also passes `check`; one repair request that
/// quotes the error when the first reply does not.
pub async fn chat_json<T: DeserializeOwned>(
    client: &LlmClient,
    phase: &str,
    messages: &[Message],
    opts: &ChatOptions,
    shape: &Shape,
    check: impl Fn(&T) -> Result<(), String>,
) -> Result<JsonReply<T>, LlmError> {
    let first = client.chat(phase, messages, opts).await?;
    let error = match parse(&first.text, shape, &check) {
        Ok(value) => return Ok(JsonReply { value, repaired: false }),
        Err(e) => e,
    };
    let mut again = messages.to_vec();
    again.push(Message::assistant(first.text));
    again.push(Message::user(repair_prompt(&error)));
    let second = client.chat(phase, &again, opts).await?;
    match parse(&second.text, shape, &check) {
        Ok(value) => Ok(JsonReply { value, repaired: true }),
        Err(error) => Err(LlmError::InvalidJson { error, reply: super::wire::excerpt(&second.text) }),
    }
}

/// The repair request.
pub fn repair_prompt(error: &str) -> String {
    format!(
        "Your reply could not be used: {error}.\nReply again with only the corrected JSON object, in the shape asked for, and nothing else."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary_shape() -> Shape {
        Shape::object([("summary", Shape::Text), ("keywords", Shape::array(Shape::String))])
    }

    #[test]
    fn shape_errors_name_the_path() {
        let s = summary_shape();
        assert!(s.check(&json!({"summary": "x", "keywords": ["a"], "extra": 1})).is_ok());
        assert_eq!(s.check(&json!({"keywords": []})).unwrap_err(), "$: the field \"summary\" is missing");
        assert_eq!(
            s.check(&json!({"summary": "x", "keywords": ["a", 3]})).unwrap_err(),
            "$.keywords[1]: expected a string, got the number 3"
        );
        assert_eq!(s.check(&json!({"summary": " ", "keywords": []})).unwrap_err(), "$.summary: expected a non-empty string, got the string \" \"");
        assert_eq!(s.check(&json!([1])).unwrap_err(), "$: expected an object, got an array of 1");
        let opt = Shape::Object(vec![("n", Shape::Integer, false)]);
        assert!(opt.check(&json!({})).is_ok());
        assert!(opt.check(&json!({"n": 1.5})).is_err());
    }

    #[test]
    fn json_is_found_in_fences_prose_and_after_think() {
        assert_eq!(extract_json(r#"{"a":1}"#).unwrap(), json!({"a": 1}));
        assert_eq!(extract_json("```json\n{\"a\":1}\n```").unwrap(), json!({"a": 1}));
        assert_eq!(extract_json("Sure! Here it is: {\"a\": {\"b\": 2}} Hope it helps.").unwrap(), json!({"a": {"b": 2}}));
        assert_eq!(extract_json("<think>{maybe}</think>\n{\"a\":1}").unwrap(), json!({"a": 1}));
        // A draft inside the block is never the JSON: not after an
        // opening-less close, not in <thinking>, not in a block with no end.
        assert_eq!(extract_json("draft {\"a\":0}\n</think>\n{\"a\":1}").unwrap(), json!({"a": 1}));
        assert_eq!(extract_json("<thinking>```json\n{\"a\":0}\n```</thinking>```json\n{\"a\":2}\n```").unwrap(), json!({"a": 2}));
        assert!(extract_json("<think>so {\"a\":0} it is").unwrap_err().contains("empty"));
        assert!(extract_json("").unwrap_err().contains("empty"));
        assert!(extract_json("no json here").unwrap_err().contains("not JSON"));
    }
}
