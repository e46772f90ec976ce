//! Why a query found nothing: the label names and values that exist, which
//! `|=` filters match no line at all, and a few lines that do exist. These
//! findings feed the repair request and decide whether retrieval is refined
//! (a filter that matches nothing means the context pointed at the wrong text).
//! Every lookup is bounded; a failing one becomes a finding, never an error.

use crate::backend::{Backend, Direction, InstantRequest, RangeRequest};
use crate::logql::Expr;
use crate::logql::value::QueryResult;

use super::inspect;
use super::plan::range_literal;

/// Filters checked one by one.
const MAX_FILTERS: usize = 4;
/// Values listed per label.
const MAX_VALUES: usize = 15;
/// Example lines shown.
const SAMPLE_LINES: u32 = 5;
/// Example lines are cut to this many characters.
const LINE_CHARS: usize = 200;

/// What exists, for a query that found nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnosis {
    /// One line each, for the user and the model.
    pub findings: Vec<String>,
    /// `|=` texts no line of the app contains.
    pub dead_filters: Vec<String>,
    /// Selector labels that do not exist, or whose value no stream has.
    pub bad_labels: Vec<String>,
}

impl Diagnosis {
    /// Whether the results show that the context was wrong (refine retrieval).
    pub fn context_was_wrong(&self) -> bool {
        !self.dead_filters.is_empty() || !self.bad_labels.is_empty()
    }
}

fn cut(s: &str) -> String {
    let one: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if one.chars().count() <= LINE_CHARS { one } else { format!("{}…", one.chars().take(LINE_CHARS).collect::<String>()) }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Looks at what exists for `app` in `[start, end]` that `expr` did not find.
pub async fn diagnose(backend: &Backend, expr: &Expr, app: &str, start: i64, end: i64) -> Diagnosis {
    let mut d = Diagnosis::default();
    let app_sel = format!("{{app={}}}", quote(app));
    let names = match backend.labels(start, end).await {
        Ok(n) => {
            d.findings.push(format!("labels that exist: {}", n.join(", ")));
            Some(n)
        }
        Err(e) => {
            d.findings.push(format!("could not list labels: {e}"));
            None
        }
    };
    for (name, value) in inspect::selector_labels(expr) {
        if let Some(n) = &names
            && !n.contains(&name)
        {
            d.findings.push(format!("label {name} does not exist"));
            d.bad_labels.push(name);
            continue;
        }
        let query = (name != "app").then_some(app_sel.as_str());
        match backend.label_values(&name, start, end, query).await {
            Ok(vals) if !vals.contains(&value) => {
                let shown: Vec<String> = vals.iter().take(MAX_VALUES).cloned().collect();
                let more = if vals.len() > MAX_VALUES { format!(" and {} more", vals.len() - MAX_VALUES) } else { String::new() };
                d.findings.push(format!("no stream has {name}={}; {name} has: {}{more}", quote(&value), shown.join(", ")));
                d.bad_labels.push(name);
            }
            Ok(_) => {}
            Err(e) => d.findings.push(format!("could not list the values of {name}: {e}")),
        }
    }
    let window = range_literal(end.saturating_sub(start));
    for f in inspect::contains_filters(expr).into_iter().take(MAX_FILTERS) {
        let q = format!("sum(count_over_time({app_sel} |= {} [{window}]))", quote(&f));
        let req = InstantRequest { query: q, time_ns: end, limit: 100, direction: Direction::Backward };
        match backend.query(&req).await {
            Ok(r) if r.is_empty() || total(&r) == 0.0 => {
                d.findings.push(format!("no line of {app} contains {}", quote(&f)));
                d.dead_filters.push(f);
            }
            Ok(r) => d.findings.push(format!("{} lines of {app} contain {}", total(&r), quote(&f))),
            Err(e) => d.findings.push(format!("could not count the lines with {}: {e}", quote(&f))),
        }
    }
    let req = RangeRequest { query: app_sel.clone(), start_ns: start, end_ns: end, step_ns: None, limit: SAMPLE_LINES, direction: Direction::Backward };
    match backend.query_range(&req).await {
        Ok(QueryResult::Streams(s)) => {
            let lines: Vec<String> = s.iter().flat_map(|s| s.entries.iter()).take(SAMPLE_LINES as usize).map(|e| cut(&e.line)).collect();
            if lines.is_empty() {
                d.findings.push(format!("{app} has no lines at all in this time window"));
            } else {
                d.findings.push(format!("lines that exist:\n{}", lines.join("\n")));
            }
        }
        Ok(_) => {}
        Err(e) => d.findings.push(format!("could not read example lines: {e}")),
    }
    d
}

fn total(r: &QueryResult) -> f64 {
    match r {
        QueryResult::Vector(v) => v.iter().map(|s| s.point.value).sum(),
        QueryResult::Scalar(p) => p.value,
        _ => 0.0,
    }
}
