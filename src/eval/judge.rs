//! Judging an answer against the sheet: a number within the question's
//! relative tolerance (default 1e-6; an empty count is 0, as Loki returns no
//! sample for a count of nothing), a list as a set (case and surrounding
//! space ignored), text by the gold LogQL's result when the sheet gives one
//! (the same lines, or the same series and values), else by the expected
//! lines (a list) or the expected text appearing in the answer. A number found in the answer's words counts too
//! when the result itself holds none (a model may compute it from a table).

use serde::Serialize;

use super::{AnswerKind, Question};
use crate::pipeline::event::Outcome;
use crate::pipeline::results::value_of;
use crate::pipeline::{PipelineContext, QueryMode, QueryPlan, Request};

/// Default relative tolerance of a number.
pub const TOLERANCE: f64 = 1e-6;

/// The verdict and how it was reached.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Judgement {
    pub matched: bool,
    /// `result number`, `answer text`, `set`, `gold result`, `text`.
    pub how: String,
    /// What was compared (the number, the set, ...).
    pub got: serde_json::Value,
}

/// Whether `got` is within `tol` of `want` (relative; absolute around 0).
pub fn close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs().max(1.0)
}

/// Numbers written in `text` (`1,234` and `1 234` read as one number).
pub fn numbers_in(text: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<f64>| {
        let t = cur.trim_end_matches(['.', ',']).replace(',', "");
        if let Ok(v) = t.parse::<f64>() {
            out.push(v);
        }
        cur.clear();
    };
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let digit_next = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_ascii_digit() || ((c == '.' || c == ',') && !cur.is_empty() && digit_next) || (c == '-' && cur.is_empty() && digit_next) {
            cur.push(c);
        } else if !cur.is_empty() {
            flush(&mut cur, &mut out);
        }
    }
    if !cur.is_empty() {
        flush(&mut cur, &mut out);
    }
    out
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Judges one outcome. `window` is the question's window (for the gold query).
pub async fn judge(ctx: &PipelineContext, q: &Question, o: &Outcome, window: (i64, i64)) -> Judgement {
    let value = o.result.as_deref().map(value_of).unwrap_or_default();
    match q.kind {
        AnswerKind::Number => {
            let Some(want) = q.answer.as_f64() else { return Judgement { how: "the sheet's answer is not a number".into(), ..Default::default() } };
            let tol = q.tolerance.unwrap_or(TOLERANCE);
            let empty_count = o.result.as_ref().is_some_and(|r| r.is_empty()) || (o.result.is_none() && o.error.as_deref() == Some("the query found nothing"));
            let got = value.number.or(empty_count.then_some(0.0));
            if let Some(g) = got {
                return Judgement { matched: close(g, want, tol), how: "result number".into(), got: g.into() };
            }
            let in_text = numbers_in(&o.answer);
            let hit = in_text.iter().find(|n| close(**n, want, tol)).copied();
            Judgement { matched: hit.is_some(), how: "answer text".into(), got: serde_json::json!(in_text) }
        }
        AnswerKind::List => {
            let want: Vec<String> = q.answer.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(norm)).collect()).unwrap_or_default();
            let mut got: Vec<String> = value.items.iter().map(|s| norm(s)).collect();
            got.sort();
            got.dedup();
            let mut w = want.clone();
            w.sort();
            w.dedup();
            Judgement { matched: !w.is_empty() && got == w, how: "set".into(), got: serde_json::json!(got) }
        }
        AnswerKind::Text => {
            if let Some(gold) = &q.logql {
                let plan = QueryPlan::guess(gold, ctx.config.line_limit);
                let req = plan.request(window.0, window.1);
                let r = match &req {
                    Request::Instant(r) => ctx.backend.query(r).await,
                    Request::Range(r) => ctx.backend.query_range(r).await,
                };
                return match (r, &o.result) {
                    (Ok(g), Some(ours)) => {
                        let (gv, ov) = (value_of(&g), value_of(ours));
                        let same = if plan.mode == QueryMode::Log {
                            let mut a = gv.items.clone();
                            let mut b = ov.items.clone();
                            a.sort();
                            b.sort();
                            a == b
                        } else {
                            gv.items == ov.items && gv.number.zip(ov.number).is_none_or(|(x, y)| close(x, y, TOLERANCE))
                        };
                        Judgement { matched: same, how: "gold result".into(), got: serde_json::json!(ov.items.iter().take(20).collect::<Vec<_>>()) }
                    }
                    (Ok(_), None) => Judgement { matched: false, how: "gold result".into(), got: serde_json::Value::Null },
                    (Err(e), _) => Judgement { matched: false, how: format!("the gold query failed: {e}"), got: serde_json::Value::Null },
                };
            }
            if let Some(lines) = q.answer.as_array() {
                let mut want: Vec<&str> = lines.iter().filter_map(|x| x.as_str()).collect();
                let mut got: Vec<&str> = value.items.iter().map(String::as_str).collect();
                want.sort_unstable();
                got.sort_unstable();
                return Judgement { matched: !want.is_empty() && got == want, how: "lines".into(), got: serde_json::json!(got.len()) };
            }
            let want = q.answer.as_str().map(norm).unwrap_or_default();
            Judgement { matched: !want.is_empty() && norm(&o.answer).contains(&want), how: "text".into(), got: serde_json::Value::Null }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_tolerance() {
        assert_eq!(numbers_in("263 blocks, 1,234 bytes and -2.5 on 2008-11-09."), vec![263.0, 1234.0, -2.5, 2008.0, 11.0, 9.0]);
        assert_eq!(numbers_in("no digits"), Vec::<f64>::new());
        assert!(close(263.0, 263.0, TOLERANCE));
        assert!(!close(262.0, 263.0, TOLERANCE));
        assert!(close(0.0, 0.0, TOLERANCE));
        assert!(close(99.0, 100.0, 0.01));
    }
}
