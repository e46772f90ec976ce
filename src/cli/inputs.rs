//! `--input FILE…` (and `logcopilot FILE…`) for every command: a user's own
//! files, a folder or stdin opened as an app by [`crate::inputs`], the notes
//! said on stderr, `cfg.app` set to the app; and, for `ask` and `scan`, an
//! index built first when the app has no knowledge yet.

use std::path::PathBuf;

use crate::config::{self, Config};
use crate::dataset::Dataset;
use crate::inputs::{Folders, OpenRequest, Opened};

/// What a command was given to open.
#[derive(Debug, Clone, Default)]
pub struct Given<'a> {
    pub inputs: &'a [PathBuf],
    pub app: Option<&'a str>,
    pub format: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    /// `index --redetect`.
    pub redetect: bool,
}

/// Opens `g` as an app and points `cfg` at it. `None` when there is nothing
/// to open, or when `--app` names a dataset and one file (or stdin) is given
/// in its format (the dataset reads it, as before).
pub fn open(cfg: &mut Config, g: &Given<'_>, quiet: bool) -> anyhow::Result<Option<Opened>> {
    open_stdin(cfg, g, quiet, false)
}

/// [`open`]; `live`: a stdin that stays open is followed (the TUI).
pub fn open_stdin(cfg: &mut Config, g: &Given<'_>, quiet: bool, live: bool) -> anyhow::Result<Option<Opened>> {
    if g.inputs.is_empty() {
        return Ok(None);
    }
    let paths = config::resolve_paths(cfg);
    if let (Some(app), None, 1) = (g.app, g.format, g.inputs.len()) {
        if Dataset::find(&paths.datasets, &paths.storage, app).is_ok() {
            return Ok(None);
        }
    }
    let req = OpenRequest {
        inputs: g.inputs.to_vec(),
        app: g.app.map(str::to_owned),
        format: g.format.map(str::to_owned),
        timestamp: g.timestamp.map(str::to_owned),
        max_files: cfg.input.max_files,
        redetect: g.redetect,
        zone: cfg.input.time_zone.clone(),
    };
    let dirs = Folders { datasets: &paths.datasets, storage: &paths.storage };
    let opened = if live {
        crate::inputs::open_with(&dirs, &req, crate::inputs::Stdin::Live(Box::new(std::io::stdin())))?
    } else {
        crate::inputs::open(&dirs, &req, &mut std::io::stdin().lock())?
    };
    if !quiet {
        let what = match opened.files.len() {
            0 => "stdin".to_owned(),
            1 => opened.files[0].display().to_string(),
            n => format!("{n} files"),
        };
        eprintln!("· {what} opens as the app {:?}", opened.app);
        for n in &opened.notes {
            eprintln!("· {n}");
        }
    }
    cfg.app.clone_from(&opened.app);
    Ok(Some(opened))
}

/// Stdin kept as `<storage>/<app>/input/stdin.log` for a dataset's format
/// (`index --app X --input -`); its path.
pub fn keep_stdin(cfg: &Config, app: &str) -> anyhow::Result<PathBuf> {
    let dir = config::resolve_paths(cfg).storage.join(app);
    Ok(crate::inputs::spool_stdin(&dir, &mut std::io::stdin().lock())?)
}

/// The config and app `ask` and `scan` work on: `--input` opened as an
/// app of its own and indexed first when new, else `--app` (or the config's).
pub fn app_to_ask(cfg: &Config, inputs: &[PathBuf], app: Option<&str>, quiet: bool) -> anyhow::Result<(Config, String)> {
    let mut own = cfg.clone();
    let opened = open(&mut own, &Given { inputs, app, ..Default::default() }, quiet)?;
    let Some(o) = opened else {
        let app = app.map_or_else(|| own.app.clone(), str::to_owned);
        if !inputs.is_empty() {
            anyhow::bail!("--input opens logs as an app of their own: leave out --app {app} (its logs are its sample), or name the new app with --app NEW");
        }
        return Ok((own, app));
    };
    index_if_missing(&own, quiet, &o.app)?;
    Ok((own, o.app))
}

/// Builds the app's knowledge when it has none (offline: the LLM phases are
/// for `index`), saying so.
pub fn index_if_missing(cfg: &Config, quiet: bool, app: &str) -> anyhow::Result<()> {
    let paths = config::resolve_paths(cfg);
    if crate::retrieve::KnowledgeBase::load(&paths.storage, app, None, None).is_ok() {
        return Ok(());
    }
    if !quiet {
        eprintln!("· {app} has no knowledge yet: indexing it first (logcopilot index adds the model's summaries)");
    }
    let ds = Dataset::find(&paths.datasets, &paths.storage, app)?;
    let known = match &ds.templates_path {
        Some(p) => crate::index::templates::load(p)?,
        None => Vec::new(),
    };
    let mut plan = crate::index::job::Plan::new(cfg, ds, known, None, true)?;
    let g = super::GlobalArgs { config: None, datasets: None, storage: None, results: None, threads: None, quiet: true };
    let k = super::index::build(&g, &mut plan)?;
    super::index::enrich(cfg, &g, true, &plan.store, app, &k)
}
