//! How `query`, `labels` and `series` print results: a table for people
//! (log lines, or series with a small text chart), `raw` lines, `jsonl` for
//! pipes, and `json`, Loki's own HTTP body. Log text is sanitised for the
//! terminal in the human formats.

use std::io::{self, Write};

use clap::ValueEnum;
use serde_json::json;

use super::chart;
use crate::dataset::timestamp::Zone;
use crate::logql::value::{Labels, QueryResult, Stream, format_value, seconds_json};
use crate::terminal::sanitize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people; metric range queries also as a chart.
    #[default]
    Table,
    /// Log lines only (metrics: labels and values).
    Raw,
    /// One JSON object per log line or sample.
    Jsonl,
    /// Loki's HTTP API body (`{"status":"success","data":{...}}`).
    Json,
}

/// Printing options.
pub struct Printer {
    pub format: OutputFormat,
    pub zone: Zone,
    /// Terminal width for the table and chart.
    pub width: usize,
    /// Sanitise log text (on for terminals and the table format).
    pub sanitize: bool,
}

impl Printer {
    fn text<'a>(&self, s: &'a str) -> std::borrow::Cow<'a, str> {
        if self.sanitize { sanitize(s) } else { std::borrow::Cow::Borrowed(s) }
    }

    pub fn query_result(&self, r: &QueryResult, w: &mut dyn Write) -> io::Result<()> {
        match self.format {
            OutputFormat::Json => writeln!(w, "{}", r.to_loki_json()),
            OutputFormat::Jsonl => self.jsonl(r, w),
            OutputFormat::Raw => self.raw(r, w),
            OutputFormat::Table => self.table(r, w),
        }
    }

    fn jsonl(&self, r: &QueryResult, w: &mut dyn Write) -> io::Result<()> {
        match r {
            QueryResult::Streams(streams) => {
                for (s, e) in merged_entries(streams) {
                    let o = json!({"time": self.zone.format_ns(e.ts), "ts_ns": e.ts.to_string(), "labels": s.labels, "line": e.line});
                    writeln!(w, "{o}")?;
                }
            }
            QueryResult::Vector(v) => {
                for s in v {
                    writeln!(w, "{}", json!({"metric": s.metric, "time": seconds_json(s.point.ts_ms), "value": format_value(s.point.value)}))?;
                }
            }
            QueryResult::Matrix(m) => {
                for s in m {
                    for p in &s.points {
                        writeln!(w, "{}", json!({"metric": s.metric, "time": seconds_json(p.ts_ms), "value": format_value(p.value)}))?;
                    }
                }
            }
            QueryResult::Scalar(p) => writeln!(w, "{}", json!({"time": seconds_json(p.ts_ms), "value": format_value(p.value)}))?,
        }
        Ok(())
    }

    fn raw(&self, r: &QueryResult, w: &mut dyn Write) -> io::Result<()> {
        match r {
            QueryResult::Streams(streams) => {
                for (_, e) in merged_entries(streams) {
                    writeln!(w, "{}", self.text(&e.line))?;
                }
            }
            QueryResult::Vector(v) => {
                for s in v {
                    writeln!(w, "{} {}", self.text(&labels_text(&s.metric)), format_value(s.point.value))?;
                }
            }
            QueryResult::Matrix(m) => {
                for s in m {
                    let l = labels_text(&s.metric);
                    for p in &s.points {
                        writeln!(w, "{} {} {}", self.text(&l), seconds_json(p.ts_ms), format_value(p.value))?;
                    }
                }
            }
            QueryResult::Scalar(p) => writeln!(w, "{}", format_value(p.value))?,
        }
        Ok(())
    }

    fn table(&self, r: &QueryResult, w: &mut dyn Write) -> io::Result<()> {
        match r {
            QueryResult::Streams(streams) => self.log_table(streams, w),
            QueryResult::Vector(v) => {
                let rows: Vec<(Labels, String)> =
                    v.iter().map(|s| (s.metric.clone(), format_value(s.point.value))).collect();
                if let Some(s) = v.first() {
                    writeln!(w, "instant vector at {}", self.zone.format_ns(s.point.ts_ms.saturating_mul(1_000_000)))?;
                }
                self.series_table(&rows, "VALUE", w)
            }
            QueryResult::Matrix(m) => {
                let rows: Vec<(Labels, String)> = m
                    .iter()
                    .map(|s| {
                        let (min, max, last) = stats(s.points.iter().map(|p| p.value));
                        (s.metric.clone(), format!("{:>5}  {:>10}  {:>10}  {:>10}", s.points.len(), short(min), short(max), short(last)))
                    })
                    .collect();
                self.series_table(&rows, "POINTS         MIN         MAX        LAST", w)?;
                if !m.is_empty() {
                    writeln!(w)?;
                    chart::render(m, self.zone, self.width, w)?;
                }
                Ok(())
            }
            QueryResult::Scalar(p) => writeln!(w, "scalar {} at {}", format_value(p.value), self.zone.format_ns(p.ts_ms.saturating_mul(1_000_000))),
        }
    }

    fn log_table(&self, streams: &[Stream], w: &mut dyn Write) -> io::Result<()> {
        // Labels every stream shares are printed once; the rest per line.
        let common = common_labels(streams.iter().map(|s| &s.labels));
        if !common.is_empty() {
            writeln!(w, "common labels: {}", self.text(&labels_text(&common)))?;
        }
        for (s, e) in merged_entries(streams) {
            let own: Labels = s.labels.iter().filter(|(k, _)| !common.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
            let time = self.zone.format_ns(e.ts);
            if own.is_empty() {
                writeln!(w, "{time}  {}", self.text(&e.line))?;
            } else {
                writeln!(w, "{time}  {}  {}", self.text(&labels_text(&own)), self.text(&e.line))?;
            }
        }
        Ok(())
    }

    fn series_table(&self, rows: &[(Labels, String)], value_header: &str, w: &mut dyn Write) -> io::Result<()> {
        let names: Vec<&String> = {
            let mut n: Vec<&String> = rows.iter().flat_map(|(l, _)| l.keys()).collect();
            n.sort();
            n.dedup();
            n
        };
        let cell = |l: &Labels, n: &str| self.text(l.get(n).map(String::as_str).unwrap_or("")).into_owned();
        let widths: Vec<usize> = names
            .iter()
            .map(|n| rows.iter().map(|(l, _)| cell(l, n).chars().count()).max().unwrap_or(0).max(n.len()).min(60))
            .collect();
        let mut header = String::new();
        for (n, wd) in names.iter().zip(&widths) {
            header.push_str(&format!("{:<wd$}  ", n.to_uppercase(), wd = wd));
        }
        writeln!(w, "{header}{value_header}")?;
        for (l, v) in rows {
            let mut line = String::new();
            for (n, wd) in names.iter().zip(&widths) {
                let c: String = cell(l, n).chars().take(*wd).collect();
                line.push_str(&format!("{c:<wd$}  ", wd = wd));
            }
            writeln!(w, "{line}{v:>5}")?;
        }
        writeln!(w, "({} series)", rows.len())
    }
}

/// Entries of all streams in result order: the streams' entries merged by
/// time, in the direction the streams hold them (Loki sorts each stream).
fn merged_entries(streams: &[Stream]) -> Vec<(&Stream, &crate::logql::value::Entry)> {
    let backward = streams
        .iter()
        .find(|s| s.entries.len() > 1)
        .map(|s| s.entries[0].ts > s.entries[s.entries.len() - 1].ts)
        .unwrap_or(true);
    let mut all: Vec<_> = streams.iter().flat_map(|s| s.entries.iter().map(move |e| (s, e))).collect();
    if backward {
        all.sort_by(|a, b| b.1.ts.cmp(&a.1.ts));
    } else {
        all.sort_by_key(|a| a.1.ts);
    }
    all
}

fn common_labels<'a>(mut sets: impl Iterator<Item = &'a Labels>) -> Labels {
    let Some(first) = sets.next() else { return Labels::new() };
    let mut common = first.clone();
    for s in sets {
        common.retain(|k, v| s.get(k) == Some(v));
    }
    common
}

/// `{a="b", c="d"}` as LogQL writes label sets.
pub fn labels_text(l: &Labels) -> String {
    let inner: Vec<String> = l.iter().map(|(k, v)| format!("{k}={}", serde_json::Value::String(v.clone()))).collect();
    format!("{{{}}}", inner.join(", "))
}

fn stats(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let (mut min, mut max, mut last) = (f64::INFINITY, f64::NEG_INFINITY, f64::NAN);
    for v in values {
        min = min.min(v);
        max = max.max(v);
        last = v;
    }
    (min, max, last)
}

/// A value in at most 10 characters.
fn short(v: f64) -> String {
    let s = format_value(v);
    if s.len() <= 10 { s } else { format!("{v:.4e}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::value::{Entry, Point, Sample};

    fn printer(format: OutputFormat) -> Printer {
        Printer { format, zone: Zone::parse("UTC").unwrap(), width: 80, sanitize: true }
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn out(p: &Printer, r: &QueryResult) -> String {
        let mut buf = Vec::new();
        p.query_result(r, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn log_table_merges_streams_and_strips_escapes() {
        let r = QueryResult::Streams(vec![
            Stream { labels: labels(&[("app", "x"), ("level", "INFO")]), entries: vec![Entry { ts: 3_000_000_000, line: "c".into() }, Entry { ts: 1_000_000_000, line: "a\x1b[31m!".into() }] },
            Stream { labels: labels(&[("app", "x"), ("level", "WARN")]), entries: vec![Entry { ts: 2_000_000_000, line: "b".into() }] },
        ]);
        let s = out(&printer(OutputFormat::Table), &r);
        assert_eq!(
            s,
            "common labels: {app=\"x\"}\n1970-01-01T00:00:03Z  {level=\"INFO\"}  c\n1970-01-01T00:00:02Z  {level=\"WARN\"}  b\n1970-01-01T00:00:01Z  {level=\"INFO\"}  a!\n"
        );
        assert_eq!(out(&printer(OutputFormat::Raw), &r), "c\nb\na!\n");
        let jsonl = out(&printer(OutputFormat::Jsonl), &r);
        assert_eq!(jsonl.lines().count(), 3);
        assert!(jsonl.starts_with(r#"{"time":"1970-01-01T00:00:03Z","ts_ns":"3000000000","labels":{"app":"x","level":"INFO"},"line":"c"}"#), "{jsonl}");
    }

    #[test]
    fn vector_table_has_a_column_per_label() {
        let r = QueryResult::Vector(vec![
            Sample { metric: labels(&[("component", "dfs.DataNode")]), point: Point { ts_ms: 1000, value: 12.0 } },
            Sample { metric: labels(&[]), point: Point { ts_ms: 1000, value: 0.5 } },
        ]);
        let s = out(&printer(OutputFormat::Table), &r);
        assert_eq!(s, "instant vector at 1970-01-01T00:00:01Z\nCOMPONENT     VALUE\ndfs.DataNode     12\n                0.5\n(2 series)\n");
        assert_eq!(out(&printer(OutputFormat::Json), &r), "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"component\":\"dfs.DataNode\"},\"value\":[1,\"12\"]},{\"metric\":{},\"value\":[1,\"0.5\"]}]}}\n");
    }
}
