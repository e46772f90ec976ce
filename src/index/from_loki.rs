//! Knowledge built from a live Loki (`index --from-loki`): the selector's
//! lines are pulled ([`crate::loki::pull`]) into the app's `loki/lines.log`,
//! which is then indexed like any growing file (the dataset's format applies
//! to each line; only the new part is read on the next run). The pull
//! resumes from its saved cursor. Loki's own patterns and detected fields,
//! when it offers them, are stored beside ours with where they agree
//! ([`loki_extras`]).

use std::sync::atomic::AtomicBool;

use crate::backend::BackendError;
use crate::dataset::Dataset;
use crate::dataset::timestamp::rfc3339;
use crate::knowledge::Knowledge;
use crate::loki::LokiClient;
use crate::loki::pull::{Cursor, PullError, PullOptions, PullStats, Pulled, pull};
use crate::storage::loki::{LokiFetch, LokiField, LokiFieldsFile, LokiPattern, LokiPatternsFile, PULL_VERSION, PullState};
use crate::storage::{AppStore, StorageError};

/// Why a pull could not run or stopped.
#[derive(Debug, thiserror::Error)]
pub enum FromLokiError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("pulling from Loki: {0} (the lines pulled so far are kept; run again to resume)")]
    Pull(#[from] PullError),
}

/// What to pull.
#[derive(Debug, Clone)]
pub struct LokiSource {
    pub selector: String,
    pub start_ns: i64,
    pub end_ns: i64,
    pub opts: PullOptions,
}

/// What a pull did.
#[derive(Debug, Clone, Default)]
pub struct PullReport {
    /// This pull.
    pub stats: PullStats,
    /// Where it started (a resumed pull starts at the saved cursor).
    pub from_ns: i64,
    pub to_ns: i64,
    pub resumed: bool,
    /// Why an earlier pull was dropped.
    pub restarted: Option<String>,
    /// The asked start lay after the saved cursor: the lines in between were skipped.
    pub gap: bool,
    /// All pulls so far.
    pub state: Option<PullState>,
    pub lines_flattened: u64,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One line per entry: line breaks inside an entry would make several.
fn flatten(line: &str) -> (String, bool) {
    if line.contains(['\n', '\r']) { (line.replace(['\n', '\r'], " "), true) } else { (line.to_owned(), false) }
}

/// Pulls the source's lines (from the saved cursor when the selector is the
/// same) and appends them to the store's `loki/lines.log`.
pub async fn pull_to_spool(
    client: &LokiClient,
    store: &AppStore,
    src: &LokiSource,
    on_page: &mut dyn FnMut(&PullStats, &Cursor),
    cancel: &AtomicBool,
) -> Result<PullReport, FromLokiError> {
    store.prepare()?;
    let mut report = PullReport::default();
    let saved = store.pull_state();
    let mut state = match saved {
        Some(s) if s.selector != src.selector => {
            report.restarted = Some(format!("the selector changed (it was {})", s.selector));
            None
        }
        Some(s) if !store.trim_spool(s.spool_bytes)? => {
            report.restarted = Some("loki/lines.log is shorter than its cursor says".into());
            None
        }
        other => other,
    };
    store.prepare_spool(state.is_none())?;
    let mut st = state.take().unwrap_or_else(|| PullState {
        schema_version: PULL_VERSION,
        selector: src.selector.clone(),
        start_ns: src.start_ns,
        end_ns: src.end_ns,
        cursor: Cursor { next_ns: src.start_ns, border_ts: None, border: Vec::new() },
        spool_bytes: 0,
        totals: PullStats::default(),
        lines_flattened: 0,
        updated_at: now(),
    });
    report.resumed = st.spool_bytes > 0 || st.cursor.next_ns > st.start_ns;
    if src.start_ns > st.cursor.next_ns {
        report.gap = report.resumed;
        st.cursor = Cursor { next_ns: src.start_ns, border_ts: None, border: Vec::new() };
    }
    st.start_ns = st.start_ns.min(src.start_ns);
    report.from_ns = st.cursor.next_ns;
    report.to_ns = src.end_ns.max(st.cursor.next_ns);
    let base = st.totals.clone();
    let flattened_before = st.lines_flattened;
    let mut cursor = st.cursor.clone();
    let add = |a: &PullStats, b: &PullStats| PullStats {
        requests: a.requests + b.requests,
        pages: a.pages + b.pages,
        entries: a.entries + b.entries,
        rejected: a.rejected + b.rejected,
        crowded: a.crowded + b.crowded,
    };
    let mut sink = |page: &[Pulled], next: &Cursor, so_far: &PullStats| -> Result<(), String> {
        let mut lines = Vec::with_capacity(page.len());
        for p in page {
            let (l, f) = flatten(&p.line);
            st.lines_flattened += u64::from(f);
            lines.push(l);
        }
        if !lines.is_empty() {
            st.spool_bytes = store.append_spool(&lines).map_err(|e| e.to_string())?;
        }
        st.cursor = next.clone();
        st.totals = add(&base, so_far);
        st.updated_at = now();
        store.write_pull_state(&st).map_err(|e| e.to_string())
    };
    let result = if cursor.next_ns < src.end_ns {
        pull(client, &src.selector, &mut cursor, src.end_ns, src.opts, &mut sink, on_page, cancel).await
    } else {
        Ok(PullStats::default())
    };
    let stats = result?;
    st.end_ns = st.end_ns.max(src.end_ns);
    st.totals = add(&base, &stats);
    st.updated_at = now();
    store.write_pull_state(&st)?;
    report.lines_flattened = st.lines_flattened - flattened_before;
    report.stats = stats;
    report.state = Some(st);
    Ok(report)
}

/// A pattern of Loki's as a regex: `<_>` matches anything, the rest literally.
fn pattern_regex(p: &str) -> Option<regex::Regex> {
    let parts: Vec<String> = p.split("<_>").map(regex::escape).collect();
    regex::RegexBuilder::new(&format!("^{}$", parts.join("(?s:.*?)"))).size_limit(1 << 20).build().ok()
}

/// "not offered" for a 404 (said once by the caller), else what failed.
fn unavailable(e: &BackendError) -> String {
    match e {
        BackendError::Server { status: 404, .. } => "not offered by this Loki (404)".into(),
        other => format!("not available: {other}"),
    }
}

/// Fetches Loki's patterns and detected fields for the pulled range,
/// compares them with our knowledge and writes both files.
pub async fn loki_extras(
    client: &LokiClient,
    store: &AppStore,
    ds: &Dataset,
    selector: &str,
    start_ns: i64,
    end_ns: i64,
    k: &Knowledge,
) -> Result<(LokiPatternsFile, LokiFieldsFile), StorageError> {
    let (start, end, fetched_at) = (rfc3339(start_ns), rfc3339(end_ns), now());
    let fetch = LokiFetch {
        schema_version: 1,
        app: ds.name.clone(),
        selector: selector.to_owned(),
        start,
        end,
        fetched_at,
        offered: false,
        note: None,
    };
    let mut pf = LokiPatternsFile { fetch: fetch.clone(), patterns: Vec::new(), templates_without_pattern: Vec::new() };
    match client.patterns(selector, start_ns, end_ns, None).await {
        Ok(ps) => {
            pf.fetch.offered = true;
            let mut matched = std::collections::BTreeSet::new();
            for p in ps {
                let re = pattern_regex(&p.pattern);
                let ours: Vec<&crate::knowledge::TemplateRecord> = k
                    .templates
                    .iter()
                    .filter(|t| t.count > 0 && re.as_ref().is_some_and(|re| t.examples.iter().any(|e| re.is_match(&e.raw))))
                    .collect();
                matched.extend(ours.iter().map(|t| t.id.clone()));
                pf.patterns.push(LokiPattern {
                    total: p.samples.iter().map(|s| s.1).sum(),
                    our_templates: ours.iter().map(|t| t.id.clone()).collect(),
                    our_count: ours.iter().map(|t| t.count).sum(),
                    pattern: p.pattern,
                    level: p.level,
                    samples: p.samples,
                });
            }
            pf.patterns.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.pattern.cmp(&b.pattern)));
            pf.templates_without_pattern =
                k.templates.iter().filter(|t| t.count > 0 && !matched.contains(&t.id)).map(|t| t.id.clone()).collect();
        }
        Err(e) => pf.fetch.note = Some(unavailable(&e)),
    }
    let mut ff = LokiFieldsFile { fetch, fields: Vec::new(), ours_not_detected: Vec::new() };
    let our_fields: std::collections::BTreeSet<&str> =
        k.params.iter().flat_map(|tp| tp.params.iter().filter(|p| p.field).map(|p| p.name.as_str())).collect();
    let our_slots: std::collections::BTreeSet<&str> =
        k.params.iter().flat_map(|tp| tp.params.iter().filter(|p| !p.field).map(|p| p.name.as_str())).collect();
    match client.detected_fields(selector, start_ns, end_ns).await {
        Ok(fs) => {
            ff.fetch.offered = true;
            for f in fs {
                let ours = if ds.labels.iter().any(|(n, _)| *n == f.label) {
                    Some("label")
                } else if our_fields.contains(f.label.as_str()) {
                    Some("field")
                } else if our_slots.contains(f.label.as_str()) {
                    Some("slot")
                } else {
                    None
                };
                ff.fields.push(LokiField {
                    label: f.label,
                    r#type: f.kind,
                    cardinality: f.cardinality,
                    parsers: f.parsers,
                    ours: ours.map(str::to_owned),
                });
            }
            ff.ours_not_detected =
                our_fields.iter().filter(|n| !ff.fields.iter().any(|f| f.label == **n)).map(|n| n.to_string()).collect();
        }
        Err(e) => ff.fetch.note = Some(unavailable(&e)),
    }
    store.write_loki_patterns(&pf)?;
    store.write_loki_fields(&ff)?;
    Ok((pf, ff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_as_regexes() {
        let re = pattern_regex("Dec 10 <_> LabSZ sshd[<_>]: Received disconnect from <_> 11: Bye Bye [preauth]").unwrap();
        assert!(re.is_match("Dec 10 07:02:47 LabSZ sshd[24318]: Received disconnect from 52.80.34.196 11: Bye Bye [preauth]"));
        assert!(!re.is_match("Dec 10 07:02:47 LabSZ sshd[24318]: Received disconnect from 52.80.34.196 3: bye"));
        assert!(pattern_regex("a (b) <_> [c]+").unwrap().is_match("a (b) x [c]+"));
    }

    #[test]
    fn lines_stay_lines() {
        assert_eq!(flatten("a\nb\r\nc"), ("a b  c".to_string(), true));
        assert_eq!(flatten("abc"), ("abc".to_string(), false));
    }
}
