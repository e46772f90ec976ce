//! Typed query results (streams, vector, matrix, scalar), shared by the Loki
//! client and the embedded engine, and their exact Loki HTTP JSON form.
//!
//! Loki's JSON: stream entries are `["<unix ns>", "<line>"]`; samples are
//! `[<unix seconds, ms precision>, "<value>"]` with the value printed like Go's
//! `strconv.FormatFloat(v, 'f', -1, 64)`. Label maps print sorted by name.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// A label set, sorted by name (Loki's JSON prints maps sorted).
pub type Labels = BTreeMap<String, String>;

/// One log line of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Unix nanoseconds.
    pub ts: i64,
    pub line: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    pub labels: Labels,
    pub entries: Vec<Entry>,
}

/// One sample: unix milliseconds and a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub ts_ms: i64,
    pub value: f64,
}

/// One element of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub metric: Labels,
    pub point: Point,
}

/// One series of a range query's matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub metric: Labels,
    pub points: Vec<Point>,
}

/// What a query returns.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    Streams(Vec<Stream>),
    Vector(Vec<Sample>),
    Matrix(Vec<Series>),
    Scalar(Point),
}

impl QueryResult {
    /// Loki's `resultType`.
    pub fn result_type(&self) -> &'static str {
        match self {
            QueryResult::Streams(_) => "streams",
            QueryResult::Vector(_) => "vector",
            QueryResult::Matrix(_) => "matrix",
            QueryResult::Scalar(_) => "scalar",
        }
    }

    /// Number of log lines (streams) or series/samples (metrics).
    pub fn len(&self) -> usize {
        match self {
            QueryResult::Streams(s) => s.iter().map(|s| s.entries.len()).sum(),
            QueryResult::Vector(v) => v.len(),
            QueryResult::Matrix(m) => m.len(),
            QueryResult::Scalar(_) => 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `result` value of Loki's JSON.
    pub fn result_json(&self) -> Value {
        match self {
            QueryResult::Streams(streams) => Value::Array(
                streams
                    .iter()
                    .map(|s| {
                        json!({
                            "stream": labels_json(&s.labels),
                            "values": s.entries.iter()
                                .map(|e| json!([e.ts.to_string(), e.line]))
                                .collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            ),
            QueryResult::Vector(samples) => Value::Array(
                samples
                    .iter()
                    .map(|s| json!({"metric": labels_json(&s.metric), "value": point_json(s.point)}))
                    .collect(),
            ),
            QueryResult::Matrix(series) => Value::Array(
                series
                    .iter()
                    .map(|s| {
                        json!({
                            "metric": labels_json(&s.metric),
                            "values": s.points.iter().map(|p| point_json(*p)).collect::<Vec<_>>(),
                        })
                    })
                    .collect(),
            ),
            QueryResult::Scalar(p) => point_json(*p),
        }
    }

    /// Loki's HTTP body without `stats`:
    /// `{"status":"success","data":{"resultType":...,"result":...}}`.
    pub fn to_loki_json(&self) -> Value {
        json!({
            "status": "success",
            "data": {"resultType": self.result_type(), "result": self.result_json()},
        })
    }

    /// Reads Loki's `data` object (`{"resultType":..., "result":...}`).
    pub fn from_loki_data(data: &Value) -> Result<QueryResult, String> {
        let rt = data
            .get("resultType")
            .and_then(Value::as_str)
            .ok_or("no resultType")?;
        let result = data.get("result").ok_or("no result")?;
        match rt {
            "streams" => {
                let mut out = Vec::new();
                for s in array(result, "result")? {
                    let labels = labels_from(s.get("stream").ok_or("stream without labels")?)?;
                    let mut entries = Vec::new();
                    for v in array(s.get("values").unwrap_or(&Value::Null), "values")? {
                        let pair = array(v, "entry")?;
                        let ts = pair
                            .first()
                            .and_then(Value::as_str)
                            .and_then(|t| t.parse::<i64>().ok())
                            .ok_or("entry timestamp is not a nanosecond string")?;
                        let line = pair
                            .get(1)
                            .and_then(Value::as_str)
                            .ok_or("entry line is not a string")?;
                        entries.push(Entry { ts, line: line.to_string() });
                    }
                    out.push(Stream { labels, entries });
                }
                Ok(QueryResult::Streams(out))
            }
            "vector" => {
                let mut out = Vec::new();
                for s in array(result, "result")? {
                    out.push(Sample {
                        metric: labels_from(s.get("metric").unwrap_or(&Value::Null))?,
                        point: point_from(s.get("value").ok_or("sample without value")?)?,
                    });
                }
                Ok(QueryResult::Vector(out))
            }
            "matrix" => {
                let mut out = Vec::new();
                for s in array(result, "result")? {
                    let mut points = Vec::new();
                    for p in array(s.get("values").unwrap_or(&Value::Null), "values")? {
                        points.push(point_from(p)?);
                    }
                    out.push(Series {
                        metric: labels_from(s.get("metric").unwrap_or(&Value::Null))?,
                        points,
                    });
                }
                Ok(QueryResult::Matrix(out))
            }
            "scalar" => Ok(QueryResult::Scalar(point_from(result)?)),
            other => Err(format!("unknown resultType {other:?}")),
        }
    }
}

fn array<'a>(v: &'a Value, what: &str) -> Result<&'a Vec<Value>, String> {
    match v {
        Value::Array(a) => Ok(a),
        Value::Null => Err(format!("{what} is missing")),
        _ => Err(format!("{what} is not an array")),
    }
}

fn labels_json(l: &Labels) -> Value {
    Value::Object(
        l.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn labels_from(v: &Value) -> Result<Labels, String> {
    match v {
        Value::Null => Ok(Labels::new()),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|s| (k.clone(), s.to_string()))
                    .ok_or_else(|| format!("label {k} is not a string"))
            })
            .collect(),
        _ => Err("labels are not an object".into()),
    }
}

/// `[1226401200.5, "3"]`.
pub fn point_json(p: Point) -> Value {
    json!([seconds_json(p.ts_ms), format_value(p.value)])
}

/// Unix milliseconds as JSON seconds: an integer when whole, else a decimal
/// with up to three places (as Prometheus prints `model.Time`).
pub fn seconds_json(ts_ms: i64) -> Value {
    if ts_ms % 1000 == 0 {
        json!(ts_ms / 1000)
    } else {
        let text = format!("{}.{:03}", ts_ms.div_euclid(1000), ts_ms.rem_euclid(1000));
        let text = text.trim_end_matches('0');
        serde_json::from_str(text).unwrap_or(Value::Null)
    }
}

fn point_from(v: &Value) -> Result<Point, String> {
    let pair = array(v, "sample")?;
    let secs = pair.first().ok_or("sample without time")?;
    let ts_ms = match secs {
        Value::Number(n) => {
            // Parse the decimal text, not the f64, so ms stay exact.
            parse_seconds_ms(&n.to_string()).ok_or("bad sample time")?
        }
        Value::String(s) => parse_seconds_ms(s).ok_or("bad sample time")?,
        _ => return Err("sample time is not a number".into()),
    };
    let value = pair
        .get(1)
        .and_then(Value::as_str)
        .ok_or("sample value is not a string")?;
    Ok(Point { ts_ms, value: parse_value(value).ok_or("sample value is not a number")? })
}

/// `"1226401200.123"` -> 1226401200123.
fn parse_seconds_ms(s: &str) -> Option<i64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = int.parse().ok()?;
    let mut ms = 0i64;
    for (i, c) in frac.chars().take(3).enumerate() {
        ms += c.to_digit(10)? as i64 * 10i64.pow(2 - i as u32);
    }
    Some(if secs < 0 || int.starts_with('-') { secs * 1000 - ms } else { secs * 1000 + ms })
}

/// A sample value as Loki prints it (Go's `FormatFloat(v, 'f', -1, 64)`).
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else if v == 0.0 {
        "0".into()
    } else {
        format!("{v}")
    }
}

/// Reads a value printed by [`format_value`] (or by Go).
pub fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_like_go() {
        assert_eq!(format_value(1920.0), "1920");
        assert_eq!(format_value(0.1), "0.1");
        assert_eq!(format_value(-0.0), "0");
        assert_eq!(format_value(1e21), "1000000000000000000000");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(2.0 / 3.0), "0.6666666666666666");
    }

    #[test]
    fn seconds_keep_milliseconds() {
        assert_eq!(seconds_json(1_226_401_200_000).to_string(), "1226401200");
        assert_eq!(seconds_json(1_226_401_200_500).to_string(), "1226401200.5");
        assert_eq!(seconds_json(1_226_401_200_012).to_string(), "1226401200.012");
        assert_eq!(parse_seconds_ms("1226401200.012"), Some(1_226_401_200_012));
    }

    #[test]
    fn round_trips_through_loki_json() {
        let body = r#"{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1494893100,"649"],[1494893100.25,"0.5"]]}]}"#;
        let data: Value = serde_json::from_str(body).unwrap();
        let r = QueryResult::from_loki_data(&data).unwrap();
        assert_eq!(r.result_json(), data["result"]);
    }
}
