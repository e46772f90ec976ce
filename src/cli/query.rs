//! `logcopilot query '<logql>'`: run LogQL on the embedded engine or a Loki
//! and print the result (table, raw, jsonl, or Loki's JSON).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::backend_args::BackendArgs;
use super::output::{OutputFormat, Printer};
use super::query_error::{self, Reported};
use super::timeargs::{TimeArgs, now_ns, parse_positive_duration, parse_time};
use crate::backend::{self, Direction, InstantRequest, RangeRequest};
use crate::config::Config;
use crate::dataset::timestamp::Zone;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    Backward,
    Forward,
}

#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// The LogQL query, e.g. 'sum by (level) (count_over_time({app="hdfs"}[1h]))'.
    pub query: String,
    /// Only this app's dataset (the embedded engine otherwise loads every dataset).
    #[arg(long)]
    pub app: Option<String>,
    /// Logs to query: files (plain, gzip), a folder, or - for stdin; with
    /// --app, one file read in that dataset's format instead of its sample.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub input: Vec<PathBuf>,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub time: TimeArgs,
    /// Step of a metric range query, e.g. 5m (default: Loki's, range / 250).
    #[arg(long, value_name = "DUR", conflicts_with = "instant")]
    pub step: Option<String>,
    /// Most log lines to return (at most 5000).
    #[arg(long, default_value_t = backend::DEFAULT_LIMIT)]
    pub limit: u32,
    /// Newest lines first (backward) or oldest first.
    #[arg(long, value_enum, default_value = "backward")]
    pub direction: DirectionArg,
    /// An instant query (at --time, default now) instead of a range query.
    #[arg(long, conflicts_with_all = ["start", "since"])]
    pub instant: bool,
    /// The time of an instant query: RFC 3339 or unix seconds / nanoseconds.
    #[arg(long = "time", value_name = "TIME", requires = "instant")]
    pub at: Option<String>,
    /// table, raw, jsonl, or json (Loki's HTTP body).
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

pub fn run(cfg: &Config, a: QueryArgs) -> anyhow::Result<()> {
    let now = now_ns();
    let direction = match a.direction {
        DirectionArg::Backward => Direction::Backward,
        DirectionArg::Forward => Direction::Forward,
    };
    let req = if a.instant {
        if a.time.end.is_some() {
            anyhow::bail!("--end does not apply to --instant; use --time");
        }
        let time_ns = match &a.at {
            Some(t) => parse_time(t).context("--time")?,
            None => now,
        };
        Req::Instant(InstantRequest { query: a.query.clone(), time_ns, limit: a.limit, direction })
    } else {
        let (start_ns, end_ns) = a.time.resolve(now)?;
        let step_ns = match &a.step {
            Some(s) => Some(parse_step(s)?),
            None => None,
        };
        Req::Range(RangeRequest { query: a.query.clone(), start_ns, end_ns, step_ns, limit: a.limit, direction })
    };
    let mut own = cfg.clone();
    let given = super::inputs::Given { inputs: &a.input, app: a.app.as_deref(), ..Default::default() };
    let (app, input) = match super::inputs::open(&mut own, &given, false)? {
        Some(o) => (Some(o.app), None),
        None => (a.app.clone(), a.input.first().cloned()),
    };
    let backend = a.backend.open(&own, app.as_deref(), input.as_ref())?;
    let rt = runtime()?;
    let result = rt.block_on(async {
        match &req {
            Req::Range(r) => backend.query_range(r).await,
            Req::Instant(r) => backend.query(r).await,
        }
    });
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            query_error::print(&a.query, &e, &mut std::io::stderr().lock())?;
            return Err(Reported.into());
        }
    };
    let printer = printer(cfg, a.output);
    let mut out = std::io::stdout().lock();
    printer.query_result(&result, &mut out)?;
    out.flush()?;
    if result.is_empty() && a.output == OutputFormat::Table {
        eprintln!("{}", empty_hint(&backend, &req_range(&req)));
    }
    Ok(())
}

enum Req {
    Range(RangeRequest),
    Instant(InstantRequest),
}

fn req_range(r: &Req) -> (i64, i64) {
    match r {
        Req::Range(r) => (r.start_ns, r.end_ns),
        Req::Instant(r) => (r.time_ns, r.time_ns),
    }
}

/// A step: a Loki duration (`5m`) or seconds (`300`); 0 is refused.
fn parse_step(s: &str) -> anyhow::Result<i64> {
    if s.trim().parse::<f64>().is_ok_and(|f| f <= 0.0) || s.trim() == "0s" {
        anyhow::bail!("--step: zero or negative query resolution step widths are not accepted; give a positive step such as 1m");
    }
    parse_positive_duration(s).context("--step")
}

/// What to say when nothing came back: the range asked, and for the
/// embedded engine where each app's data lies.
fn empty_hint(backend: &backend::Backend, (start, end): &(i64, i64)) -> String {
    let zone = Zone::parse("UTC").ok();
    let f = |t: i64| zone.map(|z| z.format_ns(t)).unwrap_or_default();
    let mut msg = format!("no results between {} and {} on the {} backend", f(*start), f(*end), backend.name());
    if let backend::Backend::Embedded(engine) = backend {
        let spans: Vec<(&str, i64, i64)> = engine
            .sources()
            .iter()
            .filter_map(|s| crate::backend::embedded::records::time_span(s).map(|(a, b)| (s.dataset.name.as_str(), a, b)))
            .collect();
        if !spans.is_empty() && spans.len() <= 4 {
            let list: Vec<String> = spans.iter().map(|(n, a, b)| format!("{n} {} .. {}", f(*a), f(*b))).collect();
            msg.push_str(&format!("; the data lies at {} (give --start/--end or --since)", list.join(", ")));
        } else if let (Some(a), Some(b)) = (spans.iter().map(|s| s.1).min(), spans.iter().map(|s| s.2).max()) {
            msg.push_str(&format!(
                "; the {} datasets hold lines from {} to {} (--app APP narrows this; give --start/--end or --since)",
                spans.len(),
                f(a),
                f(b)
            ));
        }
    }
    msg
}

pub(super) fn printer(cfg: &Config, format: OutputFormat) -> Printer {
    use std::io::IsTerminal;
    let zone = cfg.zone();
    let tty = std::io::stdout().is_terminal();
    let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(100);
    Printer { format, zone, width, sanitize: tty || format == OutputFormat::Table }
}

pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}
