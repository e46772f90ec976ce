//! Loki's reply bodies beyond query results: the `{"status","data"}` envelope,
//! error bodies (plain text or JSON), labels, series, patterns, build info,
//! detected fields/labels; and the labels a Loki at its defaults adds
//! (`service_name`, `detected_level`) with a helper to hide them.

use std::collections::HashMap;

use serde_json::Value;

use crate::backend::Direction;
use crate::logql::value::{Labels, QueryResult, Sample, Series, Stream};

/// One pattern of `GET /loki/api/v1/patterns` (Loki's own Drain mining).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The pattern text, `<_>` marking variable parts.
    pub pattern: String,
    /// `(unix seconds, lines matching in that step)`.
    pub samples: Vec<(i64, u64)>,
    /// The detected level, when Loki groups patterns by level.
    pub level: Option<String>,
}

/// `GET /loki/api/v1/status/buildinfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuildInfo {
    pub version: String,
    pub revision: String,
    pub branch: String,
    pub go_version: String,
}

/// One field of `GET /loki/api/v1/detected_fields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedField {
    pub label: String,
    /// `string`, `int`, `float`, `bytes`, `duration`, `boolean`.
    pub kind: String,
    pub cardinality: u64,
    /// Parsers that find it (`logfmt`, `json`); empty for labels and metadata.
    pub parsers: Vec<String>,
}

/// The labels a Loki left at its defaults adds to every stream:
/// `service_name` (from `discover_service_name`) and `detected_level` (from
/// `discover_log_levels`, which also splits a stream by the level found in each
/// line). See [`strip_labels`].
pub fn loki_added_labels() -> &'static [&'static str] {
    &["service_name", "detected_level"]
}

/// Removes `names` from every label set of `result` and merges what becomes
/// equal:
/// - streams with equal label sets are joined, entries ordered by time in
///   `direction` (the order Loki gives);
/// - series and samples are only renamed where that keeps their label sets
///   distinct; a metric value cannot be merged without knowing the
///   aggregation, so colliding ones keep their original labels.
///
/// Use with [`loki_added_labels`] to show a defaults Loki's answers like those
/// of a Loki with `discover_service_name: []` and `discover_log_levels: false`.
/// Beware that a dataset may carry a real label of that name.
pub fn strip_labels(result: QueryResult, names: &[&str], direction: Direction) -> QueryResult {
    let strip = |l: &Labels| -> Labels {
        l.iter()
            .filter(|(k, _)| !names.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    match result {
        QueryResult::Streams(streams) => {
            let mut out: Vec<Stream> = Vec::new();
            let mut index: HashMap<Labels, usize> = HashMap::new();
            for s in streams {
                let labels = strip(&s.labels);
                match index.get(&labels) {
                    Some(&i) => {
                        if let Some(target) = out.get_mut(i) {
                            target.entries.extend(s.entries);
                        }
                    }
                    None => {
                        index.insert(labels.clone(), out.len());
                        out.push(Stream {
                            labels,
                            entries: s.entries,
                        });
                    }
                }
            }
            for s in &mut out {
                match direction {
                    Direction::Forward => s.entries.sort_by_key(|e| e.ts),
                    Direction::Backward => s.entries.sort_by_key(|e| std::cmp::Reverse(e.ts)),
                }
            }
            QueryResult::Streams(out)
        }
        QueryResult::Matrix(series) => {
            let renamed = rename_distinct(series.iter().map(|s| &s.metric), &strip);
            QueryResult::Matrix(
                series
                    .into_iter()
                    .zip(renamed)
                    .map(|(s, metric)| Series {
                        metric,
                        points: s.points,
                    })
                    .collect(),
            )
        }
        QueryResult::Vector(samples) => {
            let renamed = rename_distinct(samples.iter().map(|s| &s.metric), &strip);
            QueryResult::Vector(
                samples
                    .into_iter()
                    .zip(renamed)
                    .map(|(s, metric)| Sample {
                        metric,
                        point: s.point,
                    })
                    .collect(),
            )
        }
        scalar @ QueryResult::Scalar(_) => scalar,
    }
}

/// The stripped label sets, keeping the original for those that would collide.
fn rename_distinct<'a>(
    metrics: impl Iterator<Item = &'a Labels>,
    strip: &dyn Fn(&Labels) -> Labels,
) -> Vec<Labels> {
    let pairs: Vec<(&Labels, Labels)> = metrics.map(|m| (m, strip(m))).collect();
    let mut counts: HashMap<&Labels, usize> = HashMap::new();
    for (_, stripped) in &pairs {
        *counts.entry(stripped).or_default() += 1;
    }
    pairs
        .iter()
        .map(|(orig, stripped)| {
            if counts.get(stripped).copied().unwrap_or(0) > 1 {
                (*orig).clone()
            } else {
                stripped.clone()
            }
        })
        .collect()
}

/// The `data` of a `{"status":"success","data":...}` body; `Err` says why the
/// body is not Loki's JSON.
pub(crate) fn success_data(body: &[u8]) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the reply is not JSON ({e}): {}", snippet(body)))?;
    match v.get("status").and_then(Value::as_str) {
        Some("success") => Ok(v.get("data").cloned().unwrap_or(Value::Null)),
        Some(other) => Err(format!(
            "the reply has status {other:?}: {}",
            v.get("error").and_then(Value::as_str).unwrap_or_default()
        )),
        None => Err(format!(
            "the reply is not Loki's JSON (no status): {}",
            snippet(body)
        )),
    }
}

/// Loki's error text from an error reply: the `error` (or `message`) of a JSON
/// body (`{"status":"invalid-query","error":"..."}`), else the body's text
/// (queries answer with plain text). Trimmed and cut to 4 KiB.
pub(crate) fn error_message(body: &[u8], status: u16) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        for key in ["error", "message"] {
            if let Some(text) = v.get(key).and_then(Value::as_str) {
                return cut(text.trim(), 4096);
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        format!("HTTP {status} with an empty body")
    } else {
        cut(text, 4096)
    }
}

/// The first 200 bytes of a body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "(empty body)".into()
    } else {
        cut(text, 200)
    }
}

fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// `data` as a list of strings (labels, label values); null = none.
pub(crate) fn string_list(data: &Value) -> Result<Vec<String>, String> {
    match data {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{v} is not a string"))
            })
            .collect(),
        _ => Err("data is not a list".into()),
    }
}

/// `data` of `/series`: a list of label objects.
pub(crate) fn label_sets(data: &Value) -> Result<Vec<Labels>, String> {
    let items = match data {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err("data is not a list".into()),
    };
    items
        .iter()
        .map(|item| {
            let obj = item.as_object().ok_or("a series is not an object")?;
            obj.iter()
                .map(|(k, v)| {
                    v.as_str()
                        .map(|s| (k.clone(), s.to_owned()))
                        .ok_or_else(|| format!("label {k} is not a string"))
                })
                .collect()
        })
        .collect()
}

/// `data` of `/patterns`.
pub(crate) fn patterns(data: &Value) -> Result<Vec<Pattern>, String> {
    let items = match data {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err("data is not a list".into()),
    };
    items
        .iter()
        .map(|item| {
            let pattern = item
                .get("pattern")
                .and_then(Value::as_str)
                .ok_or("a pattern has no text")?
                .to_owned();
            let mut samples = Vec::new();
            if let Some(list) = item.get("samples").and_then(Value::as_array) {
                for s in list {
                    let pair = s.as_array().ok_or("a pattern sample is not a pair")?;
                    let ts = pair
                        .first()
                        .and_then(as_i64)
                        .ok_or("bad pattern sample time")?;
                    let n = pair
                        .get(1)
                        .and_then(as_i64)
                        .ok_or("bad pattern sample count")?;
                    samples.push((ts, u64::try_from(n).map_err(|_| "negative pattern count")?));
                }
            }
            let level = item.get("level").and_then(Value::as_str).map(str::to_owned);
            Ok(Pattern {
                pattern,
                samples,
                level,
            })
        })
        .collect()
}

/// An integer written as a JSON number or string (`1226253600`, `"28"`).
fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The `/status/buildinfo` body (not wrapped in `data`).
pub(crate) fn build_info(v: &Value) -> BuildInfo {
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    BuildInfo {
        version: field("version"),
        revision: field("revision"),
        branch: field("branch"),
        go_version: field("goVersion"),
    }
}

/// The `/detected_fields` body: `{"fields":[{label,type,cardinality,parsers}]}`.
pub(crate) fn detected_fields(v: &Value) -> Result<Vec<DetectedField>, String> {
    let Some(fields) = v.get("fields") else {
        return Err("the reply has no fields".into());
    };
    let fields = match fields {
        Value::Null => return Ok(Vec::new()),
        Value::Array(f) => f,
        _ => return Err("fields is not a list".into()),
    };
    fields
        .iter()
        .map(|f| {
            Ok(DetectedField {
                label: f
                    .get("label")
                    .and_then(Value::as_str)
                    .ok_or("a field has no label")?
                    .to_owned(),
                kind: f
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                cardinality: f.get("cardinality").and_then(Value::as_u64).unwrap_or(0),
                parsers: f
                    .get("parsers")
                    .and_then(Value::as_array)
                    .map(|p| {
                        p.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// The `/detected_labels` body: `{"detectedLabels":[{label,cardinality}]}`.
pub(crate) fn detected_labels(v: &Value) -> Result<Vec<(String, u64)>, String> {
    let labels = match v.get("detectedLabels") {
        Some(Value::Array(l)) => l,
        Some(Value::Null) => return Ok(Vec::new()),
        _ => return Err("the reply has no detectedLabels list".into()),
    };
    labels
        .iter()
        .map(|l| {
            let name = l
                .get("label")
                .and_then(Value::as_str)
                .ok_or("a label has no name")?;
            Ok((
                name.to_owned(),
                l.get("cardinality").and_then(Value::as_u64).unwrap_or(0),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::value::{Entry, Point};

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn error_text_from_json_or_plain_bodies() {
        let json = br#"{"status":"invalid-query","error":"parse error at line 1, col 57: syntax error: unexpected $end"}"#;
        assert_eq!(
            error_message(json, 400),
            "parse error at line 1, col 57: syntax error: unexpected $end"
        );
        let text = b"found duplicate series on the right hand-side;many-to-many matching not allowed: matching labels must be unique on one side\n";
        assert_eq!(
            error_message(text, 500),
            "found duplicate series on the right hand-side;many-to-many matching not allowed: matching labels must be unique on one side"
        );
        assert_eq!(error_message(b"", 502), "HTTP 502 with an empty body");
        let long = "é".repeat(5000);
        let m = error_message(long.as_bytes(), 500);
        assert!(m.len() <= 4096 + 3 && m.ends_with("..."));
    }

    #[test]
    fn envelope_errors_say_why() {
        assert_eq!(
            success_data(br#"{"status":"success","data":["a"]}"#).unwrap(),
            serde_json::json!(["a"])
        );
        let e = success_data(b"<html>gateway</html>").unwrap_err();
        assert!(e.contains("not JSON") && e.contains("<html>gateway"), "{e}");
        let e = success_data(br#"{"hello":1}"#).unwrap_err();
        assert!(e.contains("no status"), "{e}");
        let e = success_data(br#"{"status":"error","error":"boom"}"#).unwrap_err();
        assert!(e.contains("boom"), "{e}");
    }

    #[test]
    fn patterns_parse_with_and_without_level() {
        let data = serde_json::json!([
            {"pattern": "<_> INFO <_>", "samples": [[1226253600, 28], [1226275200, 31]]},
            {"pattern": "x", "samples": [], "level": "warn"}
        ]);
        let p = patterns(&data).unwrap();
        assert_eq!(p[0].samples, vec![(1226253600, 28), (1226275200, 31)]);
        assert_eq!(p[0].level, None);
        assert_eq!(p[1].level.as_deref(), Some("warn"));
        assert!(patterns(&serde_json::json!([{"samples": []}])).is_err());
        assert!(patterns(&serde_json::json!([{"pattern": "x", "samples": [[1, -2]]}])).is_err());
    }

    #[test]
    fn stripping_added_labels_merges_streams_in_direction_order() {
        let e = |ts: i64| Entry {
            ts,
            line: format!("l{ts}"),
        };
        let r = QueryResult::Streams(vec![
            Stream {
                labels: labels(&[
                    ("app", "hdfs"),
                    ("detected_level", "info"),
                    ("service_name", "hdfs"),
                ]),
                entries: vec![e(9), e(5), e(1)],
            },
            Stream {
                labels: labels(&[
                    ("app", "hdfs"),
                    ("detected_level", "warn"),
                    ("service_name", "hdfs"),
                ]),
                entries: vec![e(7), e(3)],
            },
            Stream {
                labels: labels(&[("app", "ssh")]),
                entries: vec![e(2)],
            },
        ]);
        let QueryResult::Streams(s) = strip_labels(r, loki_added_labels(), Direction::Backward)
        else {
            panic!("not streams")
        };
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].labels, labels(&[("app", "hdfs")]));
        assert_eq!(
            s[0].entries.iter().map(|e| e.ts).collect::<Vec<_>>(),
            vec![9, 7, 5, 3, 1]
        );
        assert_eq!(s[1].labels, labels(&[("app", "ssh")]));
    }

    #[test]
    fn stripping_keeps_metric_series_that_would_collide() {
        let p = Point {
            ts_ms: 1000,
            value: 1.0,
        };
        let r = QueryResult::Vector(vec![
            Sample {
                metric: labels(&[("detected_level", "INFO"), ("service_name", "hdfs")]),
                point: p,
            },
            Sample {
                metric: labels(&[("detected_level", "WARN"), ("service_name", "hdfs")]),
                point: p,
            },
            Sample {
                metric: labels(&[("app", "x"), ("service_name", "x")]),
                point: p,
            },
        ]);
        let QueryResult::Vector(v) = strip_labels(r, loki_added_labels(), Direction::Backward)
        else {
            panic!("not a vector")
        };
        assert_eq!(
            v[0].metric.get("detected_level").map(String::as_str),
            Some("INFO")
        );
        assert_eq!(
            v[1].metric.get("detected_level").map(String::as_str),
            Some("WARN")
        );
        assert_eq!(v[2].metric, labels(&[("app", "x")]));
    }

    #[test]
    fn series_and_lists_parse() {
        let s = label_sets(&serde_json::json!([{"app": "a"}, {}])).unwrap();
        assert_eq!(s, vec![labels(&[("app", "a")]), Labels::new()]);
        assert!(label_sets(&serde_json::json!([{"app": 1}])).is_err());
        assert_eq!(string_list(&Value::Null).unwrap(), Vec::<String>::new());
        assert!(string_list(&serde_json::json!([1])).is_err());
    }
}
