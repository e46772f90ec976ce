//! `logcopilot labels [NAME]` and `logcopilot series --match SELECTOR`: what
//! label names, label values and streams exist in a time range.

use std::io::Write;

use clap::Args;
use serde_json::json;

use super::backend_args::BackendArgs;
use super::output::{OutputFormat, labels_text};
use super::query::runtime;
use super::query_error::{self, Reported};
use super::timeargs::{TimeArgs, now_ns};
use crate::config::Config;
use crate::logql::value::Labels;
use crate::terminal::sanitize;

/// Loki's default range for the labels and series APIs.
const SIX_HOURS_NS: i64 = 6 * 3_600_000_000_000;

#[derive(Debug, Clone, Args)]
pub struct LabelsArgs {
    /// A label name: list its values instead of the label names.
    pub name: Option<String>,
    /// Only values of streams matching this selector (with NAME).
    #[arg(long, value_name = "SELECTOR", requires = "name")]
    pub query: Option<String>,
    /// Only this app's dataset (embedded backend).
    #[arg(long)]
    pub app: Option<String>,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub time: TimeArgs,
    /// table, raw, jsonl, or json (Loki's HTTP body).
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Args)]
pub struct SeriesArgs {
    /// A stream selector, e.g. '{app="hdfs"}'; repeat for several (their union).
    #[arg(long = "match", value_name = "SELECTOR", required = true)]
    pub matchers: Vec<String>,
    /// Only this app's dataset (embedded backend).
    #[arg(long)]
    pub app: Option<String>,
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub time: TimeArgs,
    /// table, raw, jsonl, or json (Loki's HTTP body).
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

pub fn run_labels(cfg: &Config, a: LabelsArgs) -> anyhow::Result<()> {
    let (start, end) = a.time.resolve_with(now_ns(), SIX_HOURS_NS)?;
    let backend = a.backend.open(cfg, a.app.as_deref(), None)?;
    let rt = runtime()?;
    let result = rt.block_on(async {
        match &a.name {
            Some(n) => backend.label_values(n, start, end, a.query.as_deref()).await,
            None => backend.labels(start, end).await,
        }
    });
    let names = match result {
        Ok(n) => n,
        Err(e) => {
            query_error::print(a.query.as_deref().unwrap_or(""), &e, &mut std::io::stderr().lock())?;
            return Err(Reported.into());
        }
    };
    let mut out = std::io::stdout().lock();
    match a.output {
        OutputFormat::Json => writeln!(out, "{}", json!({"status": "success", "data": names}))?,
        OutputFormat::Jsonl => {
            for n in &names {
                writeln!(out, "{}", json!(n))?;
            }
        }
        OutputFormat::Raw | OutputFormat::Table => {
            for n in &names {
                writeln!(out, "{}", sanitize(n))?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

pub fn run_series(cfg: &Config, a: SeriesArgs) -> anyhow::Result<()> {
    let (start, end) = a.time.resolve_with(now_ns(), SIX_HOURS_NS)?;
    let backend = a.backend.open(cfg, a.app.as_deref(), None)?;
    let rt = runtime()?;
    let series = match rt.block_on(backend.series(&a.matchers, start, end)) {
        Ok(s) => s,
        Err(e) => {
            query_error::print(&a.matchers.join(" "), &e, &mut std::io::stderr().lock())?;
            return Err(Reported.into());
        }
    };
    let mut out = std::io::stdout().lock();
    match a.output {
        OutputFormat::Json => writeln!(out, "{}", json!({"status": "success", "data": series}))?,
        OutputFormat::Jsonl => {
            for s in &series {
                writeln!(out, "{}", json!(s))?;
            }
        }
        OutputFormat::Raw => {
            for s in &series {
                writeln!(out, "{}", sanitize(&labels_text(s)))?;
            }
        }
        OutputFormat::Table => series_table(&series, &mut out)?,
    }
    out.flush()?;
    Ok(())
}

fn series_table(series: &[Labels], w: &mut dyn Write) -> std::io::Result<()> {
    let mut names: Vec<&String> = series.iter().flat_map(|l| l.keys()).collect();
    names.sort();
    names.dedup();
    let width = |n: &str| series.iter().map(|l| l.get(n).map_or(0, |v| v.chars().count())).max().unwrap_or(0).max(n.len()).min(60);
    let widths: Vec<usize> = names.iter().map(|n| width(n)).collect();
    let header: Vec<String> = names.iter().zip(&widths).map(|(n, w)| format!("{:<w$}", n.to_uppercase(), w = w)).collect();
    writeln!(w, "{}", header.join("  ").trim_end())?;
    for l in series {
        let row: Vec<String> = names
            .iter()
            .zip(&widths)
            .map(|(n, wd)| {
                let v: String = sanitize(l.get(*n).map(String::as_str).unwrap_or("")).chars().take(*wd).collect();
                format!("{v:<wd$}", wd = wd)
            })
            .collect();
        writeln!(w, "{}", row.join("  ").trim_end())?;
    }
    writeln!(w, "({} stream{})", series.len(), if series.len() == 1 { "" } else { "s" })
}
