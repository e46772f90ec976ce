//! `--backend` and `--loki`: which backend a command runs on, and building it
//! (a Loki client from the config, or the embedded engine over the datasets).

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use crate::backend::Backend;
use crate::backend::embedded::{Engine, Input, Source};
use crate::config::{self, Config};
use crate::dataset::Dataset;
use crate::loki::LokiClient;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// The embedded LogQL engine over datasets/<app>/ (the default without a Loki).
    Embedded,
    /// A real Loki (LOKI_BASE_URL / LOKI_ADDR, loki.base_url or --loki).
    Loki,
}

#[derive(Debug, Clone, Default, Args)]
pub struct BackendArgs {
    /// Where the query runs (default: loki when a Loki URL is configured, else embedded).
    #[arg(long, value_enum)]
    pub backend: Option<BackendKind>,
    /// Loki's base URL; implies --backend loki.
    #[arg(long, value_name = "URL")]
    pub loki: Option<String>,
}

impl BackendArgs {
    pub fn kind(&self, cfg: &Config) -> BackendKind {
        match (self.backend, &self.loki) {
            (Some(k), _) => k,
            (None, Some(_)) => BackendKind::Loki,
            (None, None) if cfg.loki.base_url.as_deref().is_some_and(|u| !u.is_empty()) => BackendKind::Loki,
            _ => BackendKind::Embedded,
        }
    }

    /// A Loki client from the config, with `--loki` overriding the URL.
    pub fn loki_client(&self, cfg: &Config) -> anyhow::Result<LokiClient> {
        let mut lc = cfg.loki.clone();
        if let Some(url) = &self.loki {
            lc.base_url = Some(url.clone());
        }
        if lc.base_url.as_deref().is_none_or(str::is_empty) {
            bail!("no Loki configured: set LOKI_BASE_URL (or logcli's LOKI_ADDR), loki.base_url in config.toml, or pass --loki URL");
        }
        Ok(LokiClient::new(&lc)?)
    }

    /// The backend for a query: Loki, or the embedded engine over every
    /// dataset (only `app` when given; `input` replaces its sample log).
    pub fn open(&self, cfg: &Config, app: Option<&str>, input: Option<&PathBuf>) -> anyhow::Result<Backend> {
        match self.kind(cfg) {
            BackendKind::Loki => {
                if input.is_some() {
                    bail!("--input works with the embedded backend only (a Loki has its own data)");
                }
                Ok(Backend::Loki(self.loki_client(cfg)?))
            }
            BackendKind::Embedded => Ok(Backend::Embedded(Arc::new(open_engine(cfg, app, input)?))),
        }
    }
}

/// The embedded engine over the datasets folder.
pub fn open_engine(cfg: &Config, app: Option<&str>, input: Option<&PathBuf>) -> anyhow::Result<Engine> {
    let paths = config::resolve_paths(cfg);
    match (app, input) {
        (None, Some(_)) => bail!("--input needs --app: the app's dataset says how to read the lines"),
        (Some(app), Some(path)) => {
            let dataset = Dataset::find(&paths.datasets, &paths.storage, app)?;
            let input = if path.as_os_str() == "-" {
                Input::Memory(read_stdin()?.into())
            } else {
                if !path.is_file() {
                    bail!("input {} does not exist or is not a file", path.display());
                }
                Input::Path(path.clone())
            };
            Ok(Engine::new(vec![Source { dataset, input }]))
        }
        (Some(app), None) => {
            // Load it first for a clear error on an unknown app.
            Dataset::find(&paths.datasets, &paths.storage, app)?;
            Ok(Engine::open_in(&paths.datasets, Some(&paths.storage), Some(&[app.to_string()]))?)
        }
        (None, None) => Engine::open_in(&paths.datasets, Some(&paths.storage), None)
            .with_context(|| format!("loading datasets from {}", paths.datasets.display())),
    }
}

/// All of stdin, gunzipped when it starts with gzip's magic bytes.
fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    crate::logs::reader::decoded(std::io::stdin().lock()).and_then(|(mut r, _)| r.read_to_end(&mut out)).context("reading stdin")?;
    Ok(out)
}
