//! An app's indexing as the commands run it: the input, the options from
//! the config, the fingerprint that decides whether the stored knowledge is
//! up to date, then the run and the write. `logcopilot index` and the TUI's
//! indexing screen share it (each renders the progress events its own way).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::config::{self, Config};
use crate::dataset::Dataset;
use crate::index::drain::DrainConfig;
use crate::index::templates::KnownTemplate;
use crate::index::workflows::WorkflowConfig;
use crate::index::{IndexError, IndexEvent, IndexOptions, IndexOutput, Phase};
use crate::logs::reader::ReadError;
use crate::storage::{AppStore, Fingerprint, Manifest, SCHEMA_VERSION, StorageError};

/// Why an index job could not run.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("no input: give --input FILE (a --format dataset has no sample log)")]
    NoInput,
    #[error("input {0} does not exist or is not a file")]
    NotAFile(PathBuf),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("indexing {path}: {source}")]
    Index { path: String, source: IndexError },
    #[error("hashing {path}: {source}")]
    Hash { path: String, source: ReadError },
}

/// The options of an index run from the config.
pub fn options(cfg: &Config, use_known: bool) -> IndexOptions {
    let c = &cfg.index;
    IndexOptions {
        use_known_templates: use_known,
        threads: c.threads,
        block_size: c.block_size_kib.saturating_mul(1024),
        max_line_bytes: c.max_line_bytes,
        drain: DrainConfig { similarity: c.similarity_threshold, depth: c.tree_depth, max_children: c.max_children },
        examples_per_template: c.examples_per_template,
        workflow: WorkflowConfig {
            idle_ns: (c.session_idle_secs as i64).saturating_mul(1_000_000_000),
            max_open: c.max_open_sessions,
            max_workflows: c.max_workflows,
            examples: c.workflow_examples,
        },
        workflow_min_support: c.workflow_min_support,
        distinct_exact_limit: c.distinct_exact_limit,
        top_values: c.top_values,
        keep_line_templates: false,
    }
}

/// Everything an index run of one app needs, decided before it starts.
pub struct Plan {
    pub dataset: Dataset,
    pub known: Vec<KnownTemplate>,
    pub input: PathBuf,
    pub store: AppStore,
    pub opts: IndexOptions,
    pub fingerprint: Fingerprint,
}

impl Plan {
    /// `input`: the log to read (default: the dataset's sample log). Makes
    /// the storage folder.
    pub fn new(cfg: &Config, dataset: Dataset, known: Vec<KnownTemplate>, input: Option<&Path>, use_known: bool) -> Result<Plan, JobError> {
        let input = match (input, &dataset.log_path) {
            (Some(p), _) => p.to_path_buf(),
            (None, Some(p)) => p.clone(),
            (None, None) => return Err(JobError::NoInput),
        };
        if !input.is_file() {
            return Err(JobError::NotAFile(input));
        }
        let paths = config::resolve_paths(cfg);
        let store = AppStore::new(&paths.storage, &dataset.name);
        store.prepare()?;
        let opts = options(cfg, use_known);
        let fp_options = format!(
            "known={} {:?} examples={} idle={} max_open={} min_support={} wf_examples={} max_wf={} exact={} top={} max_line={}",
            opts.use_known_templates && !known.is_empty(),
            opts.drain,
            opts.examples_per_template,
            opts.workflow.idle_ns,
            opts.workflow.max_open,
            opts.workflow_min_support,
            opts.workflow.examples,
            opts.workflow.max_workflows,
            opts.distinct_exact_limit,
            opts.top_values,
            opts.max_line_bytes,
        );
        let input_path = std::fs::canonicalize(&input).unwrap_or_else(|_| input.clone()).display().to_string();
        let fingerprint = Fingerprint {
            input_path,
            input_hash: String::new(),
            dataset_hash: format!("{:016x}", dataset.spec_hash),
            options: fp_options,
            schema_version: SCHEMA_VERSION,
        };
        Ok(Plan { dataset, known, input, store, opts, fingerprint })
    }

    /// The stored manifest when nothing that shapes the result changed (the
    /// input's content hash included).
    pub fn up_to_date(&self) -> Result<Option<Manifest>, JobError> {
        let Some(m) = self.store.manifest() else { return Ok(None) };
        let same_but_hash = Fingerprint { input_hash: m.fingerprint.input_hash.clone(), ..self.fingerprint.clone() };
        if m.fingerprint != same_but_hash {
            return Ok(None);
        }
        let h = crate::logs::reader::hash_file(&self.input)
            .map_err(|source| JobError::Hash { path: self.input.display().to_string(), source })?;
        Ok((format!("{h:016x}") == m.fingerprint.input_hash).then_some(m))
    }

    /// Indexes the input and writes the knowledge; the run's output and the
    /// seconds the write took.
    pub fn run(&mut self, on_event: &(dyn Fn(IndexEvent) + Sync), cancel: &AtomicBool) -> Result<(IndexOutput, f64), JobError> {
        let out = crate::index::run(&self.dataset, &self.input, &self.known, &self.opts, on_event, cancel)
            .map_err(|source| JobError::Index { path: self.input.display().to_string(), source })?;
        self.fingerprint.input_hash = out.stats.input_hash.clone();
        let t = std::time::Instant::now();
        on_event(IndexEvent::Started { phase: Phase::Write, total_bytes: None });
        self.store.write(&out.knowledge, self.fingerprint.clone(), &out.stats)?;
        let secs = t.elapsed().as_secs_f64();
        on_event(IndexEvent::Finished { phase: Phase::Write, lines: out.knowledge.templates.len() as u64, secs });
        Ok((out, secs))
    }
}
