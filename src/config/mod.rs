//! The one `Config` of the app: its sections and keys, their defaults, and how a
//! `Config` is assembled from flags > environment > config file > defaults.
//!
//! Submodules: `file` finds and parses the config file, `env` applies the
//! environment, `paths` resolves the data folders, `error` holds
//! [`ConfigError`].
//!
//! Every default lives in the `Default` impls below; serde uses them for missing
//! keys and `config.example.toml` (checked by a unit test) documents them.

mod env;
mod error;
mod file;
pub mod keys;
mod paths;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use env::ENV_VARS;
pub use error::ConfigError;
pub use keys::{KeyChord, KeyName, KeysConfig};
pub use paths::{ResolvedPaths, find_checkout, resolve_paths, resolve_paths_with};

/// Name used for `directories::ProjectDirs` and the checkout detection.
pub const APP_NAME: &str = "logcopilot";

/// File name looked up in the current folder and in the user config folder.
pub const CONFIG_FILE_NAME: &str = "config.toml";

// ---------------------------------------------------------------------------
// The configuration itself
// ---------------------------------------------------------------------------

/// The whole configuration of the app.
///
/// `Debug` never prints secrets (`llm.api_key`, `loki.password`,
/// `loki.bearer_token`). `Serialize` does: use [`Config::redacted`] before
/// showing a serialized config to a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The app (dataset) opened by default. Default `"hdfs"`.
    pub app: String,
    pub paths: PathsConfig,
    pub loki: LokiConfig,
    pub llm: LlmConfig,
    pub index: IndexConfig,
    pub input: InputConfig,
    pub pipeline: PipelineConfig,
    pub analyze: AnalyzeConfig,
    pub scan: ScanConfig,
    pub ui: UiConfig,
    /// The config file that was loaded, if any (absolute when the cwd is).
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// Where each non-default key came from, by full key (`"loki.base_url"`).
    /// Keys absent here have their default value.
    #[serde(skip)]
    pub origins: BTreeMap<String, Origin>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            app: "hdfs".to_owned(),
            paths: PathsConfig::default(),
            loki: LokiConfig::default(),
            llm: LlmConfig::default(),
            index: IndexConfig::default(),
            input: InputConfig::default(),
            pipeline: PipelineConfig::default(),
            analyze: AnalyzeConfig::default(),
            scan: ScanConfig::default(),
            ui: UiConfig::default(),
            file: None,
            origins: BTreeMap::new(),
        }
    }
}

/// `[paths]`: where datasets, storage (indexes) and results live.
/// `None` = decided by [`resolve_paths`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PathsConfig {
    pub datasets: Option<PathBuf>,
    pub storage: Option<PathBuf>,
    pub results: Option<PathBuf>,
}

/// `[loki]`: the Loki server to query; `base_url = None` uses the embedded engine.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LokiConfig {
    pub base_url: Option<String>,
    pub username: Option<String>,
    /// Secret: hidden by `Debug`.
    pub password: Option<String>,
    /// Secret: hidden by `Debug`.
    pub bearer_token: Option<String>,
    /// Sent as `X-Scope-OrgID`.
    pub org_id: Option<String>,
    pub ca_cert_path: Option<PathBuf>,
    pub cert_path: Option<PathBuf>,
    pub key_path: Option<PathBuf>,
    pub tls_skip_verify: bool,
    pub proxy_url: Option<String>,
    pub timeout_secs: u64,
    pub max_retries: u32,
    /// Max entries per query request.
    pub query_limit: usize,
}

impl Default for LokiConfig {
    fn default() -> Self {
        LokiConfig {
            base_url: None,
            username: None,
            password: None,
            bearer_token: None,
            org_id: None,
            ca_cert_path: None,
            cert_path: None,
            key_path: None,
            tls_skip_verify: false,
            proxy_url: None,
            timeout_secs: 30,
            max_retries: 3,
            query_limit: 1000,
        }
    }
}

/// `[llm]`: the OpenAI-compatible endpoint used for answers and embeddings.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// `None` = the OpenAI default endpoint.
    pub base_url: Option<String>,
    /// Secret: hidden by `Debug`.
    pub api_key: Option<String>,
    pub chat_model: String,
    pub embedding_model: String,
    pub timeout_secs: u64,
    pub max_retries: u32,
    /// Max requests in flight.
    pub concurrency: usize,
    pub requests_per_second: f64,
    /// What is masked in log text before it is sent to the model. Unset: `off`
    /// for an endpoint on this host (loopback), `default` for any other.
    pub redaction: RedactionMode,
    /// Texts per embeddings request.
    pub embedding_batch_size: usize,
    /// The chat model's context window, in tokens (prompt and answer together):
    /// `analyze` and `scan` fit the log text they send under it.
    pub context_tokens: usize,
    /// USD per million tokens, by model name; models not listed cost 0 (shown as unknown).
    pub prices: BTreeMap<String, ModelPrice>,
}

/// `llm.prices.<model>`: what a model costs, in USD per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelPrice {
    /// Prompt (input) tokens.
    pub input: f64,
    /// Completion (output) tokens; 0 for embedding models.
    pub output: f64,
}

/// The price table shipped as the default (OpenAI list prices, USD per 1M tokens).
pub fn default_prices() -> BTreeMap<String, ModelPrice> {
    [
        ("gpt-4o-mini", 0.15, 0.60),
        ("gpt-4o", 2.50, 10.0),
        ("text-embedding-3-small", 0.02, 0.0),
        ("text-embedding-3-large", 0.13, 0.0),
    ]
    .into_iter()
    .map(|(m, input, output)| (m.to_owned(), ModelPrice { input, output }))
    .collect()
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            base_url: None,
            api_key: None,
            chat_model: "gpt-4o-mini".to_owned(),
            embedding_model: "text-embedding-3-small".to_owned(),
            timeout_secs: 120,
            max_retries: 3,
            concurrency: 4,
            requests_per_second: 5.0,
            redaction: RedactionMode::Default,
            embedding_batch_size: 64,
            context_tokens: 8192,
            prices: default_prices(),
        }
    }
}

/// `llm.redaction`: `off`, `default` or `strict`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedactionMode {
    Off,
    #[default]
    Default,
    Strict,
}

impl RedactionMode {
    pub const ALL: [RedactionMode; 3] = [Self::Off, Self::Default, Self::Strict];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Default => "default",
            Self::Strict => "strict",
        }
    }
}

impl fmt::Display for RedactionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of `RedactionMode::from_str`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown redaction mode {0:?} (expected one of: off, default, strict)")]
pub struct ParseRedactionModeError(pub String);

impl FromStr for RedactionMode {
    type Err = ParseRedactionModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseRedactionModeError(s.to_owned()))
    }
}

/// `[input]`: opening a user's own files (`logcopilot FILE…`, a folder, stdin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InputConfig {
    /// A folder opens at most this many log files (the rest are listed).
    pub max_files: usize,
    /// The zone of detected stamps that carry none (IANA name or `UTC`);
    /// written into the app's definition, so a later change never moves
    /// stored times. Not the display zone (`ui.time_zone`).
    pub time_zone: String,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig { max_files: 1000, time_zone: "UTC".to_owned() }
    }
}

/// `[index]`: template mining, sessions, workflows and field statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexConfig {
    /// Drain similarity threshold, in (0, 1].
    pub similarity_threshold: f64,
    /// Drain parse-tree depth, >= 3.
    pub tree_depth: usize,
    /// Max children per Drain tree node.
    pub max_children: usize,
    /// Example lines kept per template.
    pub examples_per_template: usize,
    /// A session with no line for this long is closed.
    pub session_idle_secs: u64,
    /// Max sessions kept open at once.
    pub max_open_sessions: usize,
    /// Min sessions for a workflow to be kept.
    pub workflow_min_support: u64,
    /// Example sessions kept per workflow.
    pub workflow_examples: usize,
    pub max_workflows: usize,
    /// Distinct values counted exactly up to this many, estimated beyond.
    pub distinct_exact_limit: usize,
    /// Most frequent values kept per parameter.
    pub top_values: usize,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    /// Read block size in KiB.
    pub block_size_kib: usize,
    /// Longer lines are truncated.
    pub max_line_bytes: usize,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            similarity_threshold: 0.7,
            tree_depth: 4,
            max_children: 100,
            examples_per_template: 3,
            session_idle_secs: 3600,
            max_open_sessions: 200_000,
            workflow_min_support: 2,
            workflow_examples: 5,
            max_workflows: 10_000,
            distinct_exact_limit: 4096,
            top_values: 10,
            threads: 0,
            block_size_kib: 1024,
            max_line_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What the query guard does with a query over a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuardAction {
    /// Run it over a narrower time window that fits the limits.
    Narrow,
    /// Ask the user (run as is, narrow, or stop); without a way to ask, narrow.
    Ask,
}

/// `[pipeline]`: question answering (`ask`, `eval`, the TUI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// Repairs of a generated query after a parse error, a backend error or an empty result.
    pub max_repairs: u32,
    /// Retrievals again with what a failed query taught.
    pub max_refinements: u32,
    /// Knowledge items retrieved per question.
    pub top_k: usize,
    /// Tokens of knowledge context in a prompt.
    pub context_tokens: usize,
    /// Tokens of query results in the answer prompt.
    pub result_tokens: usize,
    /// Longest answer, in tokens.
    pub answer_max_tokens: u32,
    /// Log lines a log query returns.
    pub line_limit: u32,
    /// Longest time window a query may cover on Loki (a Loki duration).
    pub max_range: String,
    /// Most streams a query may touch on Loki (from `index/volume`).
    pub max_series: usize,
    /// Most bytes a query may read on Loki (from `index/volume`), e.g. "10GB".
    pub max_bytes: String,
    /// Over a limit: `narrow` the window, or `ask` first.
    pub on_limit: GuardAction,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            max_repairs: 3,
            max_refinements: 1,
            top_k: 8,
            context_tokens: 3000,
            result_tokens: 2000,
            answer_max_tokens: 800,
            line_limit: 100,
            max_range: "30d".to_owned(),
            max_series: 500,
            max_bytes: "10GB".to_owned(),
            on_limit: GuardAction::Narrow,
        }
    }
}

/// `[analyze]`: `logcopilot analyze` (summary, root cause, ... over lines).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalyzeConfig {
    /// Tokens kept free for each chunk's answer (the rest of `llm.context_tokens`,
    /// less the prompt, holds the lines); at most half the context is used.
    pub answer_tokens: u32,
    pub temperature: f32,
}

impl Default for AnalyzeConfig {
    fn default() -> Self {
        AnalyzeConfig { answer_tokens: 1000, temperature: 0.2 }
    }
}

/// `[scan]`: `logcopilot scan` (anomaly reports over time windows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanConfig {
    /// Window length (a Loki duration).
    pub window: String,
    /// Most lines sent to the model per window (a busier window is sampled).
    pub max_lines: usize,
    /// An anomaly type already reported is not reported again for this long
    /// (log time), unless more severe; "0s" reports every one.
    pub suppress: String,
    pub temperature: f32,
    /// Tokens kept free for each window's JSON report (twice: a repair
    /// request resends the first reply); at most a quarter of the context is used.
    pub answer_tokens: u32,
    /// Anomalies of `webhook_severities` are POSTed here as JSON.
    pub webhook_url: Option<String>,
    pub webhook_severities: Vec<String>,
    pub webhook_timeout_secs: u64,
    /// Tries after a failed POST (no answer, HTTP 429 or 5xx), 0.5 s then
    /// twice as long between them; a 4xx other than 429 is not retried.
    pub webhook_retries: u32,
    /// A template "jumps" when its count in a window is at least this many times
    /// its count in the window before (counts + 1)...
    pub jump_ratio: f64,
    /// ...and at least this many lines.
    pub jump_min_lines: u64,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            window: "5m".to_owned(),
            max_lines: 200,
            suppress: "30m".to_owned(),
            temperature: 0.1,
            answer_tokens: 1500,
            webhook_url: None,
            webhook_severities: vec!["high".to_owned(), "critical".to_owned()],
            webhook_timeout_secs: 10,
            webhook_retries: 2,
            jump_ratio: 3.0,
            jump_min_lines: 10,
        }
    }
}

/// The severities of `scan.webhook_severities`, least severe first.
pub const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

/// `[ui]`: display settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// IANA name (e.g. `"Europe/Paris"`) or `"UTC"`.
    pub time_zone: String,
    /// Base URL of a Grafana to link to, if any.
    pub grafana_url: Option<String>,
    pub no_color: bool,
    /// How the answer pane shows a model's reasoning.
    pub show_reasoning: ShowReasoning,
    /// `[ui.keys]`: the TUI's key bindings.
    pub keys: KeysConfig,
}

/// `ui.show_reasoning`: a reasoning model's thoughts in the answer pane
/// (they are never part of the answer itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShowReasoning {
    /// One dim line with its size; the `reasoning` key expands it.
    #[default]
    Fold,
    /// Not shown (the `reasoning` key still shows it).
    Hide,
    /// Shown in full, dim, above the answer.
    Show,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            time_zone: "UTC".to_owned(),
            grafana_url: None,
            no_color: false,
            show_reasoning: ShowReasoning::default(),
            keys: KeysConfig::default(),
        }
    }
}

// ---------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------

const REDACTED: &str = "***";

/// `Debug` of an optional secret: `Some("***")` or `None`.
struct Secret<'a>(&'a Option<String>);

impl fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(_) => write!(f, "Some({REDACTED:?})"),
            None => f.write_str("None"),
        }
    }
}

impl fmt::Debug for LokiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LokiConfig")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("password", &Secret(&self.password))
            .field("bearer_token", &Secret(&self.bearer_token))
            .field("org_id", &self.org_id)
            .field("ca_cert_path", &self.ca_cert_path)
            .field("cert_path", &self.cert_path)
            .field("key_path", &self.key_path)
            .field("tls_skip_verify", &self.tls_skip_verify)
            .field("proxy_url", &self.proxy_url)
            .field("timeout_secs", &self.timeout_secs)
            .field("max_retries", &self.max_retries)
            .field("query_limit", &self.query_limit)
            .finish()
    }
}

impl fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &Secret(&self.api_key))
            .field("chat_model", &self.chat_model)
            .field("embedding_model", &self.embedding_model)
            .field("timeout_secs", &self.timeout_secs)
            .field("max_retries", &self.max_retries)
            .field("concurrency", &self.concurrency)
            .field("requests_per_second", &self.requests_per_second)
            .field("redaction", &self.redaction)
            .field("embedding_batch_size", &self.embedding_batch_size)
            .field("context_tokens", &self.context_tokens)
            .field("prices", &self.prices)
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Provenance
// ---------------------------------------------------------------------------

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    /// The config file, with the 1-based line of the key when known.
    File {
        path: PathBuf,
        line: Option<usize>,
    },
    /// An environment variable, by name.
    Env(String),
    /// A command-line flag, by its long name (`--loki-url`).
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("the default"),
            Origin::File {
                path,
                line: Some(line),
            } => {
                write!(f, "config file {}:{line}", path.display())
            }
            Origin::File { path, line: None } => write!(f, "config file {}", path.display()),
            Origin::Env(var) => write!(f, "environment variable {var}"),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Inputs: flags and the host environment
// ---------------------------------------------------------------------------

/// Values given on the command line; `None` = not given. Filled by `main` from clap.
/// Relative paths are relative to the current folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigOverrides {
    /// `--config PATH`: this file must exist.
    pub config_path: Option<PathBuf>,
    /// `--app`
    pub app: Option<String>,
    /// `--datasets`
    pub datasets_dir: Option<PathBuf>,
    /// `--storage`
    pub storage_dir: Option<PathBuf>,
    /// `--results`
    pub results_dir: Option<PathBuf>,
    /// `--loki-url`
    pub loki_url: Option<String>,
    /// `--org-id`
    pub loki_org_id: Option<String>,
    /// `--chat-model`
    pub chat_model: Option<String>,
    /// `--embedding-model`
    pub embedding_model: Option<String>,
    /// `--redaction`
    pub redaction: Option<RedactionMode>,
    /// `--similarity-threshold`
    pub similarity_threshold: Option<f64>,
    /// `--threads`
    pub threads: Option<usize>,
    /// `--time-zone`
    pub time_zone: Option<String>,
    /// `--grafana-url`
    pub grafana_url: Option<String>,
    /// `--no-color` (`Some(true)` when given).
    pub no_color: Option<bool>,
}

/// What loading reads from the host: the current folder, the user config and
/// data folders, and environment variables. Injectable for tests.
pub struct Context<'a> {
    pub cwd: PathBuf,
    /// `ProjectDirs::config_dir()`; `<it>/config.toml` is the last file looked up.
    pub user_config_dir: Option<PathBuf>,
    /// `ProjectDirs::data_dir()`; the last resort for data folders.
    pub user_data_dir: Option<PathBuf>,
    /// Reads an environment variable.
    pub var: &'a dyn Fn(&str) -> Option<String>,
}

fn process_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", APP_NAME)
}

impl Context<'static> {
    /// The real process: `std::env::current_dir`, `ProjectDirs`, `std::env::var`.
    pub fn from_process() -> Self {
        let dirs = project_dirs();
        Context {
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            user_config_dir: dirs.as_ref().map(|d| d.config_dir().to_path_buf()),
            user_data_dir: dirs.as_ref().map(|d| d.data_dir().to_path_buf()),
            var: &process_var,
        }
    }
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("cwd", &self.cwd)
            .field("user_config_dir", &self.user_config_dir)
            .field("user_data_dir", &self.user_data_dir)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

/// Loads the config of the running process (see [`load_with`]).
pub fn load(overrides: &ConfigOverrides) -> Result<Config, ConfigError> {
    load_with(overrides, &Context::from_process())
}

/// Builds the `Config`: defaults, then the config file, then the environment,
/// then `overrides`; then validates it.
///
/// The file is `overrides.config_path` (an error if missing), else
/// `<cwd>/config.toml` if it exists, else `<user config dir>/config.toml` if it
/// exists, else none. Relative paths in the file are made relative to the file's
/// folder; relative paths in `overrides` to `ctx.cwd`.
pub fn load_with(overrides: &ConfigOverrides, ctx: &Context<'_>) -> Result<Config, ConfigError> {
    let mut cfg = match file::discover(overrides.config_path.as_deref(), ctx)? {
        Some(path) => file::load(&path)?,
        None => Config::default(),
    };
    env::apply(&mut cfg, ctx.var)?;
    apply_overrides(&mut cfg, overrides, &ctx.cwd);
    cfg.validate()?;
    Ok(cfg)
}

fn apply_overrides(cfg: &mut Config, o: &ConfigOverrides, cwd: &Path) {
    fn set<T: Clone>(
        origins: &mut BTreeMap<String, Origin>,
        slot: &mut T,
        value: &Option<T>,
        key: &str,
        flag: &str,
    ) {
        if let Some(v) = value {
            *slot = v.clone();
            origins.insert(key.to_owned(), Origin::Flag(flag.to_owned()));
        }
    }
    let abs = |p: &Option<PathBuf>| p.as_ref().map(|p| Some(cwd.join(p)));
    let origins = &mut cfg.origins;
    set(origins, &mut cfg.app, &o.app, "app", "--app");
    set(
        origins,
        &mut cfg.paths.datasets,
        &abs(&o.datasets_dir),
        "paths.datasets",
        "--datasets",
    );
    set(
        origins,
        &mut cfg.paths.storage,
        &abs(&o.storage_dir),
        "paths.storage",
        "--storage",
    );
    set(
        origins,
        &mut cfg.paths.results,
        &abs(&o.results_dir),
        "paths.results",
        "--results",
    );
    let some = |v: &Option<String>| v.as_ref().map(|s| Some(s.clone()));
    set(
        origins,
        &mut cfg.loki.base_url,
        &some(&o.loki_url),
        "loki.base_url",
        "--loki-url",
    );
    set(
        origins,
        &mut cfg.loki.org_id,
        &some(&o.loki_org_id),
        "loki.org_id",
        "--org-id",
    );
    set(
        origins,
        &mut cfg.llm.chat_model,
        &o.chat_model,
        "llm.chat_model",
        "--chat-model",
    );
    set(
        origins,
        &mut cfg.llm.embedding_model,
        &o.embedding_model,
        "llm.embedding_model",
        "--embedding-model",
    );
    set(
        origins,
        &mut cfg.llm.redaction,
        &o.redaction,
        "llm.redaction",
        "--redaction",
    );
    set(
        origins,
        &mut cfg.index.similarity_threshold,
        &o.similarity_threshold,
        "index.similarity_threshold",
        "--similarity-threshold",
    );
    set(
        origins,
        &mut cfg.index.threads,
        &o.threads,
        "index.threads",
        "--threads",
    );
    set(
        origins,
        &mut cfg.ui.time_zone,
        &o.time_zone,
        "ui.time_zone",
        "--time-zone",
    );
    set(
        origins,
        &mut cfg.ui.grafana_url,
        &some(&o.grafana_url),
        "ui.grafana_url",
        "--grafana-url",
    );
    set(
        origins,
        &mut cfg.ui.no_color,
        &o.no_color,
        "ui.no_color",
        "--no-color",
    );
}

impl Config {
    /// The zone of `ui.time_zone`, in which times are shown and typed times
    /// read (checked when the config was loaded; UTC if it still does not parse).
    pub fn zone(&self) -> crate::dataset::timestamp::Zone {
        crate::dataset::timestamp::Zone::parse(&self.ui.time_zone).unwrap_or_else(|_| crate::dataset::timestamp::Zone::utc())
    }

    /// Where `key` (full name, like `"loki.base_url"`) got its value.
    pub fn origin(&self, key: &str) -> Origin {
        self.origins.get(key).cloned().unwrap_or(Origin::Default)
    }

    /// A copy with secrets replaced by `"***"`, safe to serialize for display.
    pub fn redacted(&self) -> Config {
        let hide = |s: &Option<String>| s.as_ref().map(|_| REDACTED.to_owned());
        let mut c = self.clone();
        c.llm.api_key = hide(&c.llm.api_key);
        c.loki.password = hide(&c.loki.password);
        c.loki.bearer_token = hide(&c.loki.bearer_token);
        c
    }

    /// The checks of `llm.context_tokens`, `[analyze]` and `[scan]`.
    fn check_analysis(&self) -> Result<(), (&'static str, String)> {
        let ctx = self.llm.context_tokens;
        if ctx < 1024 {
            return Err(("llm.context_tokens", format!("must be >= 1024, got {ctx}")));
        }
        for (key, answer) in [("analyze.answer_tokens", self.analyze.answer_tokens), ("scan.answer_tokens", self.scan.answer_tokens)] {
            if answer == 0 {
                return Err((key, "must be >= 1, got 0".to_owned()));
            }
        }
        for (key, t) in [("analyze.temperature", self.analyze.temperature), ("scan.temperature", self.scan.temperature)] {
            if !(0.0..=2.0).contains(&t) {
                return Err((key, format!("must be in 0..=2, got {t}")));
            }
        }
        let sc = &self.scan;
        if crate::logql::parse_duration(&sc.window).is_none_or(|d| d <= 0) {
            return Err(("scan.window", format!("must be a positive duration such as 5m or 1h, got {:?}", sc.window)));
        }
        if crate::logql::parse_duration(&sc.suppress).is_none_or(|d| d < 0) {
            return Err(("scan.suppress", format!("must be a duration such as 30m (0s: never suppress), got {:?}", sc.suppress)));
        }
        if sc.max_lines == 0 || sc.max_lines > 5000 {
            return Err(("scan.max_lines", format!("must be in 1..=5000, got {}", sc.max_lines)));
        }
        if let Some(bad) = sc.webhook_severities.iter().find(|s| !SEVERITIES.contains(&s.trim().to_ascii_lowercase().as_str())) {
            return Err(("scan.webhook_severities", format!("{bad:?} is not one of {}", SEVERITIES.join(", "))));
        }
        if let Some(u) = sc.webhook_url.as_deref().filter(|u| !u.trim().is_empty()) {
            match reqwest::Url::parse(u.trim()) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => {}
                _ => return Err(("scan.webhook_url", format!("must be an http or https URL, got {u:?}"))),
            }
        }
        if sc.webhook_timeout_secs == 0 {
            return Err(("scan.webhook_timeout_secs", "must be >= 1, got 0".to_owned()));
        }
        if !(sc.jump_ratio >= 1.0 && sc.jump_ratio.is_finite()) {
            return Err(("scan.jump_ratio", format!("must be >= 1, got {}", sc.jump_ratio)));
        }
        Ok(())
    }

    /// Checks value ranges; the error names the full key and where the value came from.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, message: String| {
            Err(ConfigError::Invalid {
                key: key.to_owned(),
                origin: self.origin(key),
                message,
            })
        };
        let ix = &self.index;
        if !(ix.similarity_threshold > 0.0 && ix.similarity_threshold <= 1.0) {
            let v = ix.similarity_threshold;
            return fail(
                "index.similarity_threshold",
                format!("must be in (0, 1], got {v}"),
            );
        }
        if ix.tree_depth < 3 {
            return fail(
                "index.tree_depth",
                format!("must be >= 3, got {}", ix.tree_depth),
            );
        }
        let at_least_one = [
            ("index.max_children", ix.max_children),
            ("index.block_size_kib", ix.block_size_kib),
            ("index.max_line_bytes", ix.max_line_bytes),
            ("input.max_files", self.input.max_files),
            ("llm.concurrency", self.llm.concurrency),
            ("llm.embedding_batch_size", self.llm.embedding_batch_size),
        ];
        for (key, v) in at_least_one {
            if v == 0 {
                return fail(key, "must be >= 1, got 0".to_owned());
            }
        }
        let pl = &self.pipeline;
        for (key, v) in [("pipeline.top_k", pl.top_k), ("pipeline.context_tokens", pl.context_tokens), ("pipeline.max_series", pl.max_series)] {
            if v == 0 {
                return fail(key, "must be >= 1, got 0".to_owned());
            }
        }
        if pl.line_limit == 0 || pl.line_limit > 5000 {
            return fail("pipeline.line_limit", format!("must be in 1..=5000, got {}", pl.line_limit));
        }
        if crate::logql::parse_duration(&pl.max_range).is_none_or(|d| d <= 0) {
            return fail("pipeline.max_range", format!("must be a positive duration such as 30d or 12h, got {:?}", pl.max_range));
        }
        if crate::logql::parse_bytes(&pl.max_bytes).is_none_or(|b| b == 0) {
            return fail("pipeline.max_bytes", format!("must be a positive size such as 10GB or 500MB, got {:?}", pl.max_bytes));
        }
        if let Err((key, message)) = self.check_analysis() {
            return fail(key, message);
        }
        let rps = self.llm.requests_per_second;
        if !(rps > 0.0 && rps.is_finite()) {
            return fail("llm.requests_per_second", format!("must be > 0, got {rps}"));
        }
        for (model, p) in &self.llm.prices {
            if !(p.input >= 0.0 && p.input.is_finite() && p.output >= 0.0 && p.output.is_finite()) {
                return fail(
                    "llm.prices",
                    format!("prices of {model:?} must be finite and >= 0, got input {} output {}", p.input, p.output),
                );
            }
        }
        if let Err(e) = crate::dataset::timestamp::Zone::parse(&self.input.time_zone) {
            return fail("input.time_zone", e.to_string());
        }
        for (key, v) in [("app", &self.app), ("ui.time_zone", &self.ui.time_zone)] {
            if v.trim().is_empty() {
                return fail(key, "must not be empty".to_owned());
            }
        }
        if let Err((key, message)) = self.ui.keys.check() {
            return fail(&key, message);
        }
        Ok(())
    }
}
