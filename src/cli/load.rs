//! `logcopilot load --app X [--loki URL]`: push a dataset into a real Loki
//! with the same labels and timestamps the embedded engine gives it, in
//! batches, with progress, retries and a resume point.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::GlobalArgs;
use super::backend_args::BackendArgs;
use super::query::runtime;
use crate::backend::embedded::records::Records;
use crate::backend::embedded::{Input, Source};
use crate::config::{self, Config};
use crate::dataset::Dataset;
use crate::loki::push::{PushError, PushOptions, push_all};

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// The dataset to push (datasets/<app>/, or a user's own app); with
    /// --input and no --app, the files open as an app of their own.
    #[arg(long)]
    pub app: Option<String>,
    /// Logs pushed instead of the dataset's sample log: files, a folder, or - for stdin.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub input: Vec<PathBuf>,
    #[command(flatten)]
    pub backend: BackendArgs,
    /// Start from the first line, ignoring the resume point of an earlier run.
    #[arg(long)]
    pub restart: bool,
    /// Most entries per push request.
    #[arg(long, default_value_t = 5000)]
    pub batch_entries: usize,
    /// Most bytes per push request (estimated JSON), in KiB.
    #[arg(long, default_value_t = 1024)]
    pub batch_kib: usize,
}

pub fn run(cfg: &Config, g: &GlobalArgs, a: LoadArgs) -> anyhow::Result<()> {
    let mut own = cfg.clone();
    let given = super::inputs::Given { inputs: &a.input, app: a.app.as_deref(), ..Default::default() };
    let opened = super::inputs::open(&mut own, &given, g.quiet)?;
    let cfg = &own;
    let app = match &opened {
        Some(o) => o.app.clone(),
        None => a.app.clone().unwrap_or_else(|| cfg.app.clone()),
    };
    let paths = config::resolve_paths(cfg);
    let dataset = Dataset::find(&paths.datasets, &paths.storage, &app)?;
    let input = match &opened {
        Some(o) => Some(o.log.clone()),
        None => a.input.first().cloned(),
    };
    let path = match (&input, &dataset.log_path) {
        (Some(p), _) | (None, Some(p)) => p.clone(),
        (None, None) => anyhow::bail!("dataset {app} has no sample log: give --input FILE"),
    };
    if !path.is_file() {
        anyhow::bail!("input {} does not exist or is not a file", path.display());
    }
    let client = a.backend.loki_client(cfg)?;
    // The resume point is only valid for the same input, format and labels.
    let input_hash = crate::logs::reader::hash_file(&path).with_context(|| format!("reading {}", path.display()))?;
    let fingerprint = input_hash ^ dataset.spec_hash.rotate_left(17);
    let state_dir = paths.storage.join(&dataset.name);
    std::fs::create_dir_all(&state_dir).with_context(|| format!("creating {}", state_dir.display()))?;
    let state = state_dir.join("load-state.json");
    if a.restart && state.exists() {
        std::fs::remove_file(&state).with_context(|| format!("removing {}", state.display()))?;
    }
    let source = Source { dataset, input: Input::Path(path.clone()) };
    let cancel = Arc::new(AtomicBool::new(false));
    let records = Records::open(&source, cancel.clone())?;
    let total = records.total_hint();
    let opts = PushOptions {
        max_batch_bytes: a.batch_kib.max(1) * 1024,
        max_batch_entries: a.batch_entries.max(1),
        fingerprint,
        gzip: true,
    };
    let bar = if g.quiet { ProgressBar::hidden() } else { ProgressBar::new(total) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} pushing {pos}/{len} lines ({per_sec}, eta {eta}) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let rt = runtime()?;
    {
        let cancel = cancel.clone();
        rt.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.store(true, Ordering::Relaxed);
            }
        });
    }
    let read_errors = records.errors();
    let result = rt.block_on(push_all(
        &client,
        records,
        &opts,
        &state,
        |p| {
            bar.set_position(p.done);
            if p.skipped > 0 {
                bar.set_message(format!("(resumed after {} already pushed)", p.skipped));
            }
        },
        &cancel,
    ));
    bar.finish_and_clear();
    if let Some(e) = read_errors.take() {
        anyhow::bail!("reading {}: {e} (the lines before it were pushed; run again to resume)", path.display());
    }
    match result {
        Ok(s) => {
            if !g.quiet {
                eprintln!(
                    "pushed {} lines of {} to Loki in {} batches ({} KiB){}",
                    s.pushed,
                    app,
                    s.batches,
                    s.bytes / 1024,
                    if s.skipped > 0 { format!("; {} were already there from an earlier run", s.skipped) } else { String::new() }
                );
            }
            Ok(())
        }
        Err(e @ PushError::Rejected { .. }) => Err(anyhow::anyhow!("{e}")),
        Err(e) => Err(anyhow::Error::new(e).context(format!("pushing {app} (state kept in {})", state.display()))),
    }
}
