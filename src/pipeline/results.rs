//! Query results as the pipeline uses them: a one-line summary for events,
//! a table under a token budget for the answer prompt, the plain answer when
//! no model is configured, and the value an answer is judged by in `eval`
//! ([`AnswerValue`]: a number, a list of names, lines).

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::llm::tokens::TokenCounter;
use crate::logql::value::{Labels, QueryResult};

/// What a result says, reduced for comparison.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnswerValue {
    /// A scalar, or the value of a one-sample vector.
    pub number: Option<f64>,
    /// The label values of each sample or series (labels joined with `,`),
    /// highest value first; for log lines, the lines (at most 1,000).
    pub items: Vec<String>,
    /// Log lines returned.
    pub lines: usize,
}

fn label_text(l: &Labels) -> String {
    l.values().cloned().collect::<Vec<_>>().join(",")
}

fn labels_braces(l: &Labels) -> String {
    let inner: Vec<String> = l.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// A number as people read it: integers without a fraction, others with up to 6 significant decimals.
pub fn number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.is_finite() {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        v.to_string()
    }
}

/// The value of a result.
pub fn value_of(r: &QueryResult) -> AnswerValue {
    match r {
        QueryResult::Scalar(p) => AnswerValue { number: Some(p.value), ..Default::default() },
        QueryResult::Vector(v) => {
            let mut s: Vec<_> = v.iter().collect();
            s.sort_by(|a, b| b.point.value.total_cmp(&a.point.value));
            AnswerValue {
                number: (v.len() == 1).then(|| v.first().map(|x| x.point.value)).flatten(),
                items: s.iter().map(|x| label_text(&x.metric)).filter(|t| !t.is_empty()).collect(),
                lines: 0,
            }
        }
        QueryResult::Matrix(m) => {
            let total = |s: &crate::logql::value::Series| s.points.iter().map(|p| p.value).fold(0.0, f64::max);
            let mut s: Vec<_> = m.iter().collect();
            s.sort_by(|a, b| total(b).total_cmp(&total(a)));
            AnswerValue { number: None, items: s.iter().map(|x| label_text(&x.metric)).filter(|t| !t.is_empty()).collect(), lines: 0 }
        }
        QueryResult::Streams(st) => {
            let mut entries: Vec<_> = st.iter().flat_map(|s| s.entries.iter()).collect();
            entries.sort_by(|a, b| b.ts.cmp(&a.ts));
            AnswerValue { number: None, items: entries.iter().take(1000).map(|e| e.line.clone()).collect(), lines: entries.len() }
        }
    }
}

/// One line: `1 sample: 42`, `3 series`, `120 lines in 2 streams`, `no data`.
pub fn summary(r: &QueryResult) -> String {
    match r {
        _ if r.is_empty() => "no data".to_owned(),
        QueryResult::Scalar(p) => format!("scalar {}", number(p.value)),
        QueryResult::Vector(v) if v.len() == 1 => match v.first() {
            Some(s) if s.metric.is_empty() => format!("1 sample: {}", number(s.point.value)),
            Some(s) => format!("1 sample: {} {}", labels_braces(&s.metric), number(s.point.value)),
            None => "no data".to_owned(),
        },
        QueryResult::Vector(v) => format!("{} samples", v.len()),
        QueryResult::Matrix(m) => format!("{} series", m.len()),
        QueryResult::Streams(s) => format!("{} lines in {} streams", r.len(), s.len()),
    }
}

/// The result as text for a prompt or a plain answer, rows added while they
/// fit `budget` tokens (`None`: no budget, at most `max_rows` rows).
pub fn table(r: &QueryResult, counter: Option<&TokenCounter>, budget: usize, max_rows: usize) -> String {
    let mut rows: Vec<String> = Vec::new();
    match r {
        QueryResult::Scalar(p) => rows.push(format!("scalar: {}", number(p.value))),
        QueryResult::Vector(v) => {
            let mut s: Vec<_> = v.iter().collect();
            s.sort_by(|a, b| b.point.value.total_cmp(&a.point.value));
            rows.extend(s.iter().map(|x| format!("{} {}", labels_braces(&x.metric), number(x.point.value))));
        }
        QueryResult::Matrix(m) => {
            for s in m {
                let vals: Vec<f64> = s.points.iter().map(|p| p.value).collect();
                let max = vals.iter().copied().fold(f64::NAN, f64::max);
                let sum: f64 = vals.iter().sum();
                rows.push(format!(
                    "{} {} points, sum {}, max {}, last {}",
                    labels_braces(&s.metric),
                    vals.len(),
                    number(sum),
                    number(max),
                    vals.last().map_or("-".to_owned(), |v| number(*v))
                ));
            }
        }
        QueryResult::Streams(st) => {
            let mut e: Vec<_> = st.iter().flat_map(|s| s.entries.iter().map(move |e| (e, &s.labels))).collect();
            e.sort_by(|a, b| b.0.ts.cmp(&a.0.ts));
            let zone = chrono::Utc;
            rows.extend(e.iter().map(|(e, _)| {
                let t = chrono::DateTime::<chrono::Utc>::from_timestamp_nanos(e.ts).with_timezone(&zone);
                format!("{} {}", t.format("%Y-%m-%dT%H:%M:%SZ"), clean(&e.line))
            }));
        }
    }
    let total = rows.len();
    let mut out = String::new();
    let mut used = 0;
    let mut shown = 0;
    for row in rows.into_iter().take(max_rows) {
        let n = counter.map_or(0, |c| c.count(&row) + 1);
        if counter.is_some() && used + n > budget {
            break;
        }
        used += n;
        out.push_str(&row);
        out.push('\n');
        shown += 1;
    }
    if shown < total {
        let _ = writeln!(out, "… {} more rows not shown", total - shown);
    }
    out
}

/// Control characters out (log text reaches terminals and prompts).
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() && c != '\t' { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::value::{Entry, Point, Sample, Series, Stream};

    fn sample(l: &[(&str, &str)], v: f64) -> Sample {
        Sample { metric: l.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), point: Point { ts_ms: 0, value: v } }
    }

    #[test]
    fn values_summaries_and_tables() {
        let one = QueryResult::Vector(vec![sample(&[], 42.0)]);
        assert_eq!(value_of(&one).number, Some(42.0));
        assert_eq!(summary(&one), "1 sample: 42");
        let many = QueryResult::Vector(vec![sample(&[("component", "a")], 1.0), sample(&[("component", "b")], 7.5)]);
        let v = value_of(&many);
        assert_eq!((v.number, v.items.clone()), (None, vec!["b".to_owned(), "a".to_owned()]));
        assert_eq!(table(&many, None, 0, 10), "{component=\"b\"} 7.5\n{component=\"a\"} 1\n");
        let top = QueryResult::Vector(vec![sample(&[("component", "x")], 3.0)]);
        assert_eq!((value_of(&top).number, value_of(&top).items), (Some(3.0), vec!["x".to_owned()]));

        let lines = QueryResult::Streams(vec![Stream {
            labels: Default::default(),
            entries: vec![Entry { ts: 2_000_000_000, line: "new\u{1b}[31m".into() }, Entry { ts: 1_000_000_000, line: "old".into() }],
        }]);
        assert_eq!(value_of(&lines).lines, 2);
        assert_eq!(summary(&lines), "2 lines in 1 streams");
        let t = table(&lines, None, 0, 1);
        assert!(t.starts_with("1970-01-01T00:00:02Z new [31m\n… 1 more rows not shown"), "{t}");
        let c = TokenCounter::for_model("gpt-4o-mini");
        assert!(table(&lines, Some(&c), 3, 10).starts_with("… 2 more rows"), "nothing fits 3 tokens");

        let m = QueryResult::Matrix(vec![Series { metric: [("a".to_owned(), "b".to_owned())].into(), points: vec![Point { ts_ms: 0, value: 1.0 }, Point { ts_ms: 1, value: 2.5 }] }]);
        assert_eq!(table(&m, None, 0, 5), "{a=\"b\"} 2 points, sum 3.5, max 2.5, last 2.5\n");
        assert_eq!(summary(&QueryResult::Vector(vec![])), "no data");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(1e20), "100000000000000000000");
    }
}
