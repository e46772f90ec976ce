//! The command line: argument definitions (clap) and the commands behind them.
//! `main.rs` parses a [`Cli`] and hands it to [`run`].

mod analyze;
mod ask;
mod backend_args;
mod eval;
mod chart;
mod index;
mod index_follow;
mod index_loki;
mod inputs;
mod labels;
mod load;
mod output;
mod parse;
mod progress;
mod query;
mod query_error;
mod scan;
mod timeargs;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, Config, ConfigOverrides};

/// logcopilot: ask questions about your logs in plain language.
#[derive(Debug, Parser)]
#[command(name = "logcopilot", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The app the TUI opens (no command); default: the config's `app`.
    #[arg(long)]
    pub app: Option<String>,
    /// Logs the TUI opens as an app of their own: files, a folder, or - for
    /// stdin (`kubectl logs deploy/api | logcopilot -`). A command name wins:
    /// write `./index` for a file named index.
    #[arg(value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// With FILE: a Loghub header pattern for the lines, e.g. '<Date> <Time> <Level> <Content>'.
    #[arg(long, value_name = "PATTERN", requires = "inputs")]
    pub format: Option<String>,
    /// With --format: the timestamp spec, e.g. '<Date> <Time>=%Y-%m-%d %H:%M:%S'.
    #[arg(long, value_name = "SPEC", requires = "format")]
    pub timestamp: Option<String>,
    /// No command opens the TUI.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags every command takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Config file (default: ./config.toml, then the user config dir).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder of datasets (<DIR>/<app>/dataset.toml).
    #[arg(long, global = true, value_name = "DIR")]
    pub datasets: Option<PathBuf>,
    /// Folder of knowledge (<DIR>/<app>/...).
    #[arg(long, global = true, value_name = "DIR")]
    pub storage: Option<PathBuf>,
    /// Folder of results.
    #[arg(long, global = true, value_name = "DIR")]
    pub results: Option<PathBuf>,
    /// Worker threads for indexing (0 = all cores).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// No progress bars and no summary table.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the knowledge (templates, parameters, workflows) of an app's logs.
    Index(index::IndexArgs),
    /// Write a Loghub-style structured CSV (one row per line, with its template).
    Parse(parse::ParseArgs),
    /// Run a LogQL query on the embedded engine or a Loki.
    Query(query::QueryArgs),
    /// List label names, or the values of one label.
    Labels(labels::LabelsArgs),
    /// List the streams (label sets) matching selectors.
    Series(labels::SeriesArgs),
    /// Push a dataset into a real Loki with the embedded engine's labels and timestamps.
    Load(load::LoadArgs),
    /// Ask a question in plain language: LogQL is generated, checked, run, repaired, and answered.
    Ask(ask::AskArgs),
    /// Run a Q&A sheet through the pipeline and score the answers.
    Eval(eval::EvalArgs),
    /// Analyse log lines with the model: summary, root cause, action items, interpretation or solution, chunk by chunk.
    Analyze(analyze::AnalyzeArgs),
    /// Scan an app's logs in time windows for anomalies with the model; rank template signals.
    Scan(scan::ScanArgs),
}

/// The message was already printed: exit with this code.
#[derive(Debug, thiserror::Error)]
#[error("exit code {0}")]
pub struct Exit(pub i32);

/// Where the input format comes from: a dataset, or flags.
#[derive(Debug, Clone, Args)]
pub struct FormatArgs {
    /// The app: a dataset folder name, or a name for `--format`.
    #[arg(long)]
    pub app: Option<String>,
    /// A Loghub header pattern instead of a dataset, e.g. '<Date> <Time> <Level>: <Content>'.
    #[arg(long, value_name = "PATTERN")]
    pub format: Option<String>,
    /// With --format: which fields make the timestamp and how to read them,
    /// e.g. '<Date> <Time>=%y%m%d %H%M%S' (UTC unless '=ZONE' follows).
    #[arg(long, value_name = "SPEC", requires = "format")]
    pub timestamp: Option<String>,
    /// Mine every template; ignore the dataset's templates.csv.
    #[arg(long)]
    pub no_known_templates: bool,
}

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match dispatch(cli) {
        Ok(()) => 0,
        Err(e) if e.is::<query_error::Reported>() => 1,
        Err(e) if e.is::<Exit>() => e.downcast_ref::<Exit>().map_or(1, |x| x.0),
        // Nothing to do is not a failure.
        Err(e) if matches!(e.downcast_ref::<crate::inputs::InputError>(), Some(crate::inputs::InputError::EmptyStdin)) => {
            eprintln!("{e}");
            0
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let app = match &cli.command {
        None => cli.app.clone(),
        Some(Command::Index(a)) => a.format.app.clone(),
        Some(Command::Parse(a)) => a.format.app.clone(),
        Some(Command::Query(a)) => a.app.clone(),
        Some(Command::Labels(a)) => a.app.clone(),
        Some(Command::Series(a)) => a.app.clone(),
        Some(Command::Load(a)) => a.app.clone(),
        Some(Command::Ask(a)) => a.app.clone(),
        Some(Command::Eval(a)) => a.app.clone(),
        Some(Command::Analyze(a)) => a.app.clone(),
        Some(Command::Scan(a)) => a.app.clone(),
    };
    let overrides = ConfigOverrides {
        config_path: cli.global.config.clone(),
        app,
        datasets_dir: cli.global.datasets.clone(),
        storage_dir: cli.global.storage.clone(),
        results_dir: cli.global.results.clone(),
        threads: cli.global.threads,
        ..Default::default()
    };
    let mut cfg: Config = config::load(&overrides)?;
    unpack_samples(&cfg, cli.global.quiet);
    match cli.command {
        None => {
            let given = inputs::Given {
                inputs: &cli.inputs,
                app: cli.app.as_deref(),
                format: cli.format.as_deref(),
                timestamp: cli.timestamp.as_deref(),
                redetect: false,
            };
            let stdin = cli.inputs.iter().any(|p| p.as_os_str() == "-");
            let opened = inputs::open_stdin(&mut cfg, &given, cli.global.quiet, stdin)?;
            // A stdin that is still open is indexed as it arrives.
            let index = opened.filter(|o| o.following).map(|o| crate::tui::indexing::IndexJob { follow: true, ..crate::tui::indexing::IndexJob::new(&o.app) });
            crate::tui::run(&cfg, crate::tui::Options { keys_from_tty: stdin, index })
        }
        Some(Command::Index(a)) => index::run(&cfg, &cli.global, a),
        Some(Command::Parse(a)) => parse::run(&cfg, &cli.global, a),
        Some(Command::Query(a)) => query::run(&cfg, a),
        Some(Command::Labels(a)) => labels::run_labels(&cfg, a),
        Some(Command::Series(a)) => labels::run_series(&cfg, a),
        Some(Command::Load(a)) => load::run(&cfg, &cli.global, a),
        Some(Command::Ask(a)) => ask::run(&cfg, cli.global.quiet, a),
        Some(Command::Eval(a)) => eval::run(&cfg, cli.global.quiet, a),
        Some(Command::Analyze(a)) => analyze::run(&cfg, cli.global.quiet, a),
        Some(Command::Scan(a)) => scan::run(&cfg, cli.global.quiet, a),
    }
}

/// Outside a checkout, with no datasets folder configured, the bundled
/// samples are unpacked into the user data folder on first use.
fn unpack_samples(cfg: &Config, quiet: bool) {
    let cwd = std::env::current_dir().unwrap_or_default();
    if cfg.paths.datasets.is_some() || config::find_checkout(&cwd).is_some() {
        return;
    }
    let dir = config::resolve_paths(cfg).datasets;
    match crate::dataset::bundled::unpack_missing(&dir) {
        Ok(w) if !w.is_empty() && !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()) => eprintln!("· the bundled samples ({}) are in {}", w.join(", "), dir.display()),
        Ok(_) => {}
        Err(e) => eprintln!("! the bundled samples could not be unpacked into {}: {e}", dir.display()),
    }
}

/// The options of an index run from the config.
pub fn index_options(cfg: &Config, use_known: bool) -> crate::index::IndexOptions {
    crate::index::job::options(cfg, use_known)
}

/// Loads the dataset named by the flags: `--format` builds one from flags, else
/// `<datasets>/<app>/dataset.toml`.
pub fn load_dataset(
    cfg: &Config,
    f: &FormatArgs,
) -> anyhow::Result<(crate::dataset::Dataset, Vec<crate::index::templates::KnownTemplate>)> {
    use anyhow::Context;
    let app = f.app.clone().unwrap_or_else(|| cfg.app.clone());
    if let Some(fmt) = &f.format {
        let ds = crate::dataset::Dataset::from_flags(&app, fmt, f.timestamp.as_deref())?;
        return Ok((ds, Vec::new()));
    }
    let paths = config::resolve_paths(cfg);
    let ds = crate::dataset::Dataset::find(&paths.datasets, &paths.storage, &app)?;
    let known = match (&ds.templates_path, f.no_known_templates) {
        (Some(p), false) => crate::index::templates::load(p).with_context(|| format!("dataset {app}"))?,
        _ => Vec::new(),
    };
    Ok((ds, known))
}
