//! The embedded LogQL engine: runs LogQL over local dataset files and
//! answers as a real Loki 3.4 does on the same data (checked against the
//! golden answers in `loki-golden/`).
//!
//! Each app is a [`Source`]: a dataset (header format, label fields,
//! timestamp spec) and its log. A line becomes a Loki entry: the raw line
//! without its line ending, stamped from its header, in the stream
//! `{app="<dataset>", <label>="<field>"...}`. Lines that do not fit the
//! header keep the stamp of the line before them and only the `app` label
//! (see [`scan`] for the exact rules). A dataset's `multiline.join` is not
//! applied: each physical line is an entry, as a line-by-line push would store.
//!
//! - [`scan`], [`feed`], [`source`]: the parallel block scan (filters,
//!   headers, streams, pipelines) and its input;
//! - [`pipeline`], [`stages`], [`label_filter`], [`template`]: Loki's log pipeline;
//! - [`range`], [`sampled`], [`vector`], [`binop`], [`eval`]: metric evaluation;
//! - [`logs`], [`frontend`]: log query results shaped as Loki's frontend
//!   returns them; [`meta`]: labels, values and series.
//!
//! Limits: `limit` ≤ 5000 and the step checks of [`RangeRequest::validate`];
//! at most 500 series in a metric result (Loki's `max_query_series`); range
//! aggregations hold at most [`range::MAX_BYTES`] of per-step cells or kept
//! samples. Regexes are compiled with size limits and run in linear time.

mod binop;
mod eval;
mod feed;
mod filter;
mod frontend;
mod header;
mod ip;
mod json;
mod label_filter;
mod labels;
mod logfmt;
mod logs;
mod matcher;
mod meta;
mod parse;
mod pattern;
mod pipeline;
mod range;
pub mod records;
#[cfg(test)]
mod proptests;
mod sampled;
mod scan;
mod series;
mod source;
mod stages;
mod streams;
mod template;
mod units;
mod vector;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

pub use source::{Input, Source};

use crate::backend::{BackendError, Direction, InstantRequest, Labels, QueryResult, RangeRequest};
use crate::dataset::Dataset;
use crate::logql::{Expr, LogExpr, ParseError};

use range::Steps;
use scan::{Leaf, LeafKind, LeafOut, ScanSource};
use source::YearIndex;

/// A query that parses but whose regex, template or pattern does not
/// compile: Loki answers these with a 400 parse error without a position.
pub(crate) fn compile_error(message: impl Into<String>) -> BackendError {
    BackendError::Parse(ParseError { line: 0, col: 0, offset: 0, message: message.into() })
}

/// Change stamp of an input: (length, modification time).
type Stamp = (u64, i64);

/// A year index cached with the stamp of the input it was built from.
type YearSlot = Mutex<Option<(Stamp, Arc<YearIndex>)>>;

/// The embedded engine over a fixed set of sources.
pub struct Engine {
    sources: Vec<Source>,
    years: Vec<YearSlot>,
}

impl Engine {
    pub fn new(sources: Vec<Source>) -> Engine {
        let years = sources.iter().map(|_| Mutex::new(None)).collect();
        Engine { sources, years }
    }

    /// Every `datasets/<app>/` folder with a log file (only `apps` when given).
    pub fn open(datasets_dir: &Path, apps: Option<&[String]>) -> Result<Engine, BackendError> {
        Self::open_in(datasets_dir, None, apps)
    }

    /// [`Engine::open`], with the user's own apps of `storage_dir` too
    /// (their `dataset.toml` written by [`crate::inputs`]).
    pub fn open_in(datasets_dir: &Path, storage_dir: Option<&Path>, apps: Option<&[String]>) -> Result<Engine, BackendError> {
        let names: Vec<String> = match (apps, storage_dir) {
            (Some(a), _) => a.to_vec(),
            (None, Some(st)) => crate::dataset::list_all(datasets_dir, st),
            (None, None) => crate::dataset::list(datasets_dir),
        };
        let mut sources = Vec::new();
        for app in names {
            let ds = match storage_dir {
                Some(st) => Dataset::find(datasets_dir, st, &app),
                None => Dataset::load(datasets_dir, &app),
            }
            .map_err(|e| BackendError::Io(e.to_string()))?;
            if !ds.files.is_empty() {
                // One source per file, each with its `filename` label.
                for f in ds.files.clone() {
                    if !f.is_file() {
                        continue;
                    }
                    let mut one = ds.clone();
                    let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    one.const_labels = vec![("filename".to_owned(), name)];
                    sources.push(Source { dataset: one, input: Input::Path(f) });
                }
                continue;
            }
            let Some(log) = ds.log_path.clone() else { continue };
            if !log.is_file() {
                if apps.is_some() {
                    return Err(BackendError::Io(format!("dataset {app}: no log file at {}", log.display())));
                }
                continue;
            }
            sources.push(Source { dataset: ds, input: Input::Path(log) });
        }
        Ok(Engine::new(sources))
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    pub fn query_range(&self, req: &RangeRequest) -> Result<QueryResult, BackendError> {
        self.query_range_cancellable(req, &AtomicBool::new(false))
    }

    pub fn query_range_cancellable(&self, req: &RangeRequest, cancel: &AtomicBool) -> Result<QueryResult, BackendError> {
        req.validate()?;
        let expr = parse::query(&req.query)?;
        self.run_range(&expr, req.start_ns, req.end_ns, req.step(), req.limit, req.direction, cancel)
    }

    pub fn query(&self, req: &InstantRequest) -> Result<QueryResult, BackendError> {
        self.query_cancellable(req, &AtomicBool::new(false))
    }

    pub fn query_cancellable(&self, req: &InstantRequest, cancel: &AtomicBool) -> Result<QueryResult, BackendError> {
        req.validate()?;
        let expr = parse::query(&req.query)?;
        self.run_instant(&expr, req.time_ns, cancel)
    }

    /// Label names of the streams with a line in `[start, end]`.
    pub fn labels(&self, start_ns: i64, end_ns: i64) -> Result<Vec<String>, BackendError> {
        check_range(start_ns, end_ns)?;
        let streams = self.streams(&[Vec::new()], start_ns, end_ns)?;
        Ok(meta::label_names(&streams))
    }

    /// Values of a label over those streams, optionally only streams matching `query`.
    pub fn label_values(&self, name: &str, start_ns: i64, end_ns: i64, query: Option<&str>) -> Result<Vec<String>, BackendError> {
        check_range(start_ns, end_ns)?;
        let matchers = match query.map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => parse::selector(q)?,
            None => Vec::new(),
        };
        let streams = self.streams(&[matchers], start_ns, end_ns)?;
        Ok(meta::label_values(&streams, name))
    }

    /// Label sets of the streams matching any of the selectors.
    pub fn series(&self, matchers: &[String], start_ns: i64, end_ns: i64) -> Result<Vec<Labels>, BackendError> {
        check_range(start_ns, end_ns)?;
        if matchers.is_empty() {
            return Err(BackendError::BadParam { param: "match[]", message: "at least one match[] selector is required".into() });
        }
        let sets = matchers.iter().map(|m| parse::selector(m)).collect::<Result<Vec<_>, _>>()?;
        self.streams(&sets, start_ns, end_ns)
    }

    fn streams(&self, selectors: &[Vec<crate::logql::Matcher>], start: i64, end: i64) -> Result<Vec<Labels>, BackendError> {
        let mut leaves = Vec::new();
        for ms in selectors {
            leaves.push(Leaf {
                matchers: matcher::compile_all(ms)?,
                pipeline: pipeline::Pipeline::new(&[], false)?,
                hints: labels::Hints::all(),
                kind: LeafKind::Meta { start, end },
            });
        }
        let outs = self.scan(&leaves, &AtomicBool::new(false))?;
        let mut all = std::collections::BTreeSet::new();
        for o in outs {
            if let LeafOut::Meta(s) = o {
                all.extend(s);
            }
        }
        Ok(all.into_iter().collect())
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run_range(
        &self,
        expr: &Expr,
        start: i64,
        end: i64,
        step: i64,
        limit: u32,
        direction: Direction,
        cancel: &AtomicBool,
    ) -> Result<QueryResult, BackendError> {
        match expr {
            Expr::Log(l) => self.run_logs(l, start, end, limit, direction, cancel),
            Expr::Sample(s) => {
                // Loki's frontend aligns metric queries to the step: start down, end up.
                let step = step.max(1);
                let s0 = start - start.rem_euclid(step);
                let e0 = if end.rem_euclid(step) == 0 { end } else { (end - end.rem_euclid(step)).saturating_add(step) };
                let n = (e0.saturating_sub(s0) / step).saturating_add(1).clamp(1, 1 << 20) as usize;
                let steps = Steps { start: s0, step, n };
                let v = self.run_sample(s, &steps, cancel)?;
                eval::range_result(v, &steps)
            }
        }
    }

    pub(crate) fn run_instant(&self, expr: &Expr, t: i64, cancel: &AtomicBool) -> Result<QueryResult, BackendError> {
        match expr {
            Expr::Log(_) => Err(BackendError::BadParam {
                param: "query",
                message: "log queries are not supported as an instant query type, please change your query to a range query type".into(),
            }),
            Expr::Sample(s) => {
                let steps = Steps::instant(t);
                let v = self.run_sample(s, &steps, cancel)?;
                eval::instant_result(v, t, eval::sorts_by_value(s))
            }
        }
    }

    fn run_sample(&self, expr: &crate::logql::SampleExpr, steps: &Steps, cancel: &AtomicBool) -> Result<series::Val, BackendError> {
        let mut leaves = Vec::new();
        let node = eval::plan(expr, *steps, &mut leaves)?;
        let outs = if leaves.is_empty() { Vec::new() } else { self.scan(&leaves, cancel)? };
        let mut outs: Vec<Option<LeafOut>> = outs.into_iter().map(Some).collect();
        eval::eval(&node, &mut outs, steps)
    }

    fn run_logs(&self, l: &LogExpr, start: i64, end: i64, limit: u32, direction: Direction, cancel: &AtomicBool) -> Result<QueryResult, BackendError> {
        let leaf = Leaf {
            matchers: matcher::compile_all(&l.matchers)?,
            pipeline: pipeline::Pipeline::new(&l.pipeline, false)?,
            hints: labels::Hints::all(),
            kind: LeafKind::Log { start, end, limit: frontend::keep_for(limit as usize, start, end), direction },
        };
        let mut outs = self.scan(std::slice::from_ref(&leaf), cancel)?;
        let entries = match outs.pop() {
            Some(LeafOut::Log(h)) => h.into_sorted(),
            _ => Vec::new(),
        };
        Ok(QueryResult::Streams(frontend::assemble(entries, limit as usize, direction, start, end)))
    }

    fn scan(&self, leaves: &[Leaf], cancel: &AtomicBool) -> Result<Vec<LeafOut>, BackendError> {
        let mut srcs = Vec::with_capacity(self.sources.len());
        for (i, s) in self.sources.iter().enumerate() {
            let names: Vec<&str> =
                s.dataset.labels.iter().map(|(n, _)| n.as_str()).chain(s.dataset.const_labels.iter().map(|(n, _)| n.as_str())).collect();
            let wanted = leaves.iter().any(|l| l.may_match(&s.dataset.name, &names));
            let years = match &s.dataset.timestamp {
                Some(t) if t.is_yearless() && wanted => Some(self.year_index(i, cancel)?),
                _ => None,
            };
            srcs.push(ScanSource { source: s, years, default_ts: default_stamp(&s.input) });
        }
        scan::scan(&srcs, leaves, cancel)
    }

    fn year_index(&self, i: usize, cancel: &AtomicBool) -> Result<Arc<YearIndex>, BackendError> {
        let src = &self.sources[i];
        let stamp = input_stamp(&src.input);
        let slot = &self.years[i];
        if let Ok(g) = slot.lock() {
            if let Some((s, y)) = &*g {
                if *s == stamp {
                    return Ok(Arc::clone(y));
                }
            }
        }
        let built = Arc::new(YearIndex::build(&src.dataset, &src.input, cancel)?);
        if let Ok(mut g) = slot.lock() {
            *g = Some((stamp, Arc::clone(&built)));
        }
        Ok(built)
    }
}

fn check_range(start: i64, end: i64) -> Result<(), BackendError> {
    if end < start {
        return Err(BackendError::BadParam { param: "end", message: "end timestamp must not be before start time".into() });
    }
    Ok(())
}

fn input_stamp(input: &Input) -> Stamp {
    match input {
        Input::Path(p) => match std::fs::metadata(p) {
            Ok(m) => (m.len(), mtime_ns(&m).unwrap_or(0)),
            Err(_) => (0, 0),
        },
        Input::Memory(d) => (d.len() as u64, 0),
    }
}

fn mtime_ns(m: &std::fs::Metadata) -> Option<i64> {
    let t = m.modified().ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_nanos()).ok()
}

/// The stamp of lines that have none anywhere around them: the file's
/// modification time (now for stdin).
fn default_stamp(input: &Input) -> i64 {
    let now = || chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    match input {
        Input::Path(p) => std::fs::metadata(p).ok().and_then(|m| mtime_ns(&m)).unwrap_or_else(now),
        Input::Memory(_) => now(),
    }
}

#[cfg(test)]
mod tests;
