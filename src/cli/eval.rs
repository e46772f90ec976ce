//! `logcopilot eval --app X --questions FILE [--loc A B]`: runs a Q&A sheet
//! through the pipeline (questions A to B, 1-based, inclusive), prints one
//! line per question and a summary, and writes `results/<app>/eval_<timestamp>.json`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use super::ask::{context, safe};
use super::backend_args::BackendArgs;
use super::query::runtime;
use crate::config::{self, Config};
use crate::eval::{self, read_sheet, select};

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// The app (a dataset with a built knowledge base).
    #[arg(long)]
    pub app: Option<String>,
    /// The sheet (jsonl); default: datasets/<app>/questions.jsonl.
    #[arg(long, value_name = "FILE")]
    pub questions: Option<PathBuf>,
    /// Only questions A to B (1-based, inclusive).
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub loc: Option<Vec<usize>>,
    #[command(flatten)]
    pub backend: BackendArgs,
}

pub fn run(cfg: &Config, quiet: bool, a: EvalArgs) -> anyhow::Result<()> {
    let app = a.app.clone().unwrap_or_else(|| cfg.app.clone());
    let paths = config::resolve_paths(cfg);
    let sheet = a.questions.clone().unwrap_or_else(|| paths.datasets.join(&app).join("questions.jsonl"));
    let loc = match a.loc.as_deref() {
        Some([from, to]) => Some((*from, *to)),
        _ => None,
    };
    let questions = select(read_sheet(&sheet)?, loc)?;
    let ctx = Arc::new(context(cfg, &app, &a.backend)?);
    let rt = runtime()?;
    let n = questions.len();
    let report = rt.block_on(eval::run(ctx, &sheet.display().to_string(), &questions, |i, r| {
        if !quiet {
            let mark = if r.judgement.matched { "ok  " } else { "MISS" };
            let repaired = if r.repairs > 0 { format!(", {} repairs", r.repairs) } else { String::new() };
            println!(
                "{mark} {:>3}/{n} {:<14} {:?}{repaired}, {} ms: {}",
                i + 1,
                r.id,
                r.status,
                r.ms,
                safe(&r.question).chars().take(70).collect::<String>()
            );
            if !r.judgement.matched {
                println!("            expected {}, got {} ({})", r.expected, r.judgement.got, r.judgement.how);
            }
        }
    }));
    let s = &report.summary;
    let pct = |a: usize, b: usize| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };
    println!(
        "{app}: {} questions, {} executed, {} repaired, {} matching ({:.1}%: numbers {}/{}, lists {}/{}, text {}/{}), {} failed; tokens {} in, {} out{}; {:.1} s; model {}, {} backend",
        s.questions,
        s.executed,
        s.repaired,
        s.matched,
        pct(s.matched, s.questions),
        s.matched_number.0,
        s.matched_number.1,
        s.matched_list.0,
        s.matched_list.1,
        s.matched_text.0,
        s.matched_text.1,
        s.failed,
        s.tokens_in,
        s.tokens_out,
        s.cost_usd.map(|c| format!(", ${c:.4}")).unwrap_or_default(),
        s.ms as f64 / 1000.0,
        s.model.as_deref().unwrap_or("none"),
        s.backend,
    );
    let path = report.write(&paths.results.join(&app)).context("writing the eval report")?;
    if !quiet {
        println!("report: {}", path.display());
    }
    Ok(())
}
