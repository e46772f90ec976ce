//! An app's indexing as the commands run it: the input, the options from
//! the config, the fingerprint that decides whether the stored knowledge is
//! up to date, then the run and the write. `logcopilot index` and the TUI's
//! indexing screen share it (each renders the progress events its own way).
//!
//! A plain-file input gets a checkpoint ([`crate::storage::checkpoint`]): when
//! the file grew since, only the new part is read ([`crate::index::incremental`]);
//! when it was truncated or replaced, that is said ([`RunReport`]) and it is
//! indexed from the start. Gzip inputs are always read whole.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::config::{self, Config};
use crate::dataset::Dataset;
use crate::index::drain::DrainConfig;
use crate::index::templates::KnownTemplate;
use crate::index::workflows::WorkflowConfig;
use crate::index::incremental::{self, Continued, Outcome, ResumeError, Resumable};
use crate::index::{IndexError, IndexEvent, IndexOptions, IndexOutput, Phase};
use crate::logs::reader::ReadError;
use crate::storage::checkpoint::{CHECKPOINT_VERSION, Checkpoint, Verdict, fingerprint};
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
    /// Index from the start even when a checkpoint would allow reading on.
    pub force: bool,
    /// Leave a last line without its line end for the next run (it may still
    /// be being written): what `--follow` wants.
    pub hold_partial_line: bool,
    /// What the last [`Plan::run`] did.
    pub last: Option<RunReport>,
    write_secs: f64,
}

/// How a run read its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunMode {
    /// From the start; why, when a checkpoint was there but not used.
    Full { why: Option<String> },
    /// Only what was appended: `bytes` after byte `from`.
    Appended { from: u64, bytes: u64, continued: Continued },
}

/// What a run did, for the user.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub mode: RunMode,
    /// Lines read this run.
    pub lines: u64,
    /// Where the checkpoint now stands (None: no checkpoint, e.g. gzip).
    pub offset: Option<u64>,
    /// Things to say (a partial last line, a checkpoint not written...).
    pub notes: Vec<String>,
}

impl RunReport {
    /// One line: how the input was read.
    pub fn describe(&self) -> String {
        match &self.mode {
            RunMode::Full { why: None } => format!("read from the start ({} lines)", self.lines),
            RunMode::Full { why: Some(w) } => format!("read from the start ({} lines): {w}", self.lines),
            RunMode::Appended { from, bytes, continued } => {
                let pass2 = match continued {
                    Continued::Appended => "",
                    Continued::NewTemplates => "; new templates were mined from it",
                    Continued::Rematched => "; the mined templates changed, so every line was matched again",
                };
                format!("read on from byte {from}: {bytes} new bytes, {} new lines{pass2}", self.lines)
            }
        }
    }
}

/// What the checkpoint says about this run.
enum Start {
    Full(Option<String>),
    Resume(Checkpoint, Box<Resumable>, u64),
    UpToDate(Checkpoint),
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
        Ok(Plan { dataset, known, input, store, opts, fingerprint, force: false, hold_partial_line: false, last: None, write_secs: 0.0 })
    }

    /// The checkpoint when it is for this input and these settings.
    fn own_checkpoint(&self) -> Option<Checkpoint> {
        self.store.checkpoint().filter(|c| {
            c.input_path == self.fingerprint.input_path
                && c.dataset_hash == self.fingerprint.dataset_hash
                && c.options == self.fingerprint.options
        })
    }

    /// Whether to read on, and from where.
    fn decide(&self) -> Start {
        if self.force {
            return Start::Full(None);
        }
        let Some(cp) = self.own_checkpoint() else { return Start::Full(None) };
        match cp.check(&self.input) {
            Ok(Verdict::Unchanged) => Start::UpToDate(cp),
            Ok(Verdict::Grown { from, .. }) => match self.store.load_state::<Resumable>(&cp) {
                Ok(state) if state.consistent() => Start::Resume(cp, Box::new(state), from),
                Ok(_) => Start::Full(Some("the saved state does not hold together".into())),
                Err(e) => Start::Full(Some(format!("the saved state cannot be used ({e})"))),
            },
            Ok(v) => Start::Full(Some(v.describe())),
            Err(e) => Start::Full(Some(format!("the checkpoint cannot be checked ({e})"))),
        }
    }

    /// The end of what to read: with [`Plan::hold_partial_line`], just after
    /// the last line end at or after `from` (None: nothing complete to read).
    fn read_end(&self, from: u64) -> Result<Option<Option<u64>>, JobError> {
        if !self.hold_partial_line {
            return Ok(Some(None));
        }
        let size = std::fs::metadata(&self.input).map(|m| m.len()).unwrap_or(0);
        let end = last_line_end(&self.input, from, size).map_err(|source| JobError::Hash {
            path: self.input.display().to_string(),
            source: ReadError::Open { path: self.input.clone(), source },
        })?;
        Ok(end.map(|e| Some(e - from)))
    }

    /// The stored manifest when nothing that shapes the result changed (the
    /// input's content hash included).
    pub fn up_to_date(&self) -> Result<Option<Manifest>, JobError> {
        let Some(m) = self.store.manifest() else { return Ok(None) };
        let same_but_hash = Fingerprint { input_hash: m.fingerprint.input_hash.clone(), ..self.fingerprint.clone() };
        if m.fingerprint != same_but_hash {
            return Ok(None);
        }
        // With a checkpoint, it decides (the manifest's hash is then a chain over the runs).
        if let Some(cp) = self.own_checkpoint() {
            let fresh = matches!(cp.check(&self.input), Ok(Verdict::Unchanged)) && m.stats.lines == cp.lines;
            return Ok(fresh.then_some(m));
        }
        let h = crate::logs::reader::hash_file(&self.input)
            .map_err(|source| JobError::Hash { path: self.input.display().to_string(), source })?;
        Ok((format!("{h:016x}") == m.fingerprint.input_hash).then_some(m))
    }

    /// Indexes the input and writes the knowledge; the run's output and the
    /// seconds the write took.
    pub fn run(&mut self, on_event: &(dyn Fn(IndexEvent) + Sync), cancel: &AtomicBool) -> Result<(IndexOutput, f64), JobError> {
        let path = self.input.display().to_string();
        let index_err = |source| JobError::Index { path: path.clone(), source };
        let mut notes = Vec::new();
        let (outcome, mode, runs, from) = match self.decide() {
            Start::UpToDate(cp) | Start::Resume(cp, _, _) if self.read_end(cp.offset)?.is_none() => {
                // Nothing complete to read: the stored state stands; conclude it again.
                match self.store.load_state::<Resumable>(&cp) {
                    Ok(state) if state.consistent() => return self.rerun_from_state(cp, state, on_event, cancel),
                    _ => self.full(Some("the saved state cannot be used".into()), on_event, cancel)?,
                }
            }
            Start::UpToDate(cp) => match self.store.load_state::<Resumable>(&cp) {
                Ok(state) if state.consistent() => return self.rerun_from_state(cp, state, on_event, cancel),
                _ => self.full(Some("the saved state cannot be used".into()), on_event, cancel)?,
            },
            Start::Resume(cp, state, from) => {
                if !cp.ends_with_newline {
                    notes.push("the last line read before had no line end; if it was still being written, its rest is read as a new line".into());
                }
                let len = self.read_end(from)?.flatten();
                match incremental::resume(&self.dataset, &self.input, &self.known, &self.opts, *state, from, len, on_event, cancel) {
                    Ok(o) => {
                        let mode = RunMode::Appended { from, bytes: o.feed.bytes, continued: o.continued };
                        (o, mode, cp.runs + 1, from)
                    }
                    Err(ResumeError::Index(e)) => return Err(index_err(e)),
                    Err(e) => {
                        let why = format!("the saved state cannot be read on ({e})");
                        self.full(Some(why), on_event, cancel)?
                    }
                }
            }
            Start::Full(why) => self.full(why, on_event, cancel)?,
        };
        let lines = outcome.feed.lines;
        let offset = from + outcome.feed.bytes;
        self.write(&outcome, runs, offset, &mut notes, on_event)?;
        let secs = self.write_secs;
        self.last = Some(RunReport { mode, lines, offset: (!outcome.feed.gzip).then_some(offset), notes });
        Ok((outcome.output, secs))
    }

    /// A run from the start: (outcome, mode, runs, start offset).
    fn full(
        &self,
        why: Option<String>,
        on_event: &(dyn Fn(IndexEvent) + Sync),
        cancel: &AtomicBool,
    ) -> Result<(Outcome, RunMode, u64, u64), JobError> {
        let path = self.input.display().to_string();
        let len = match self.read_end(0)? {
            Some(l) => l,
            None => return Err(JobError::Index { path, source: IndexError::Empty { path: self.input.display().to_string() } }),
        };
        let o = incremental::start(&self.dataset, &self.input, &self.known, &self.opts, len, on_event, cancel)
            .map_err(|source| JobError::Index { path, source })?;
        Ok((o, RunMode::Full { why }, 1, 0))
    }

    /// Nothing new to read: the knowledge of the saved state, written again.
    fn rerun_from_state(
        &mut self,
        cp: Checkpoint,
        state: Resumable,
        on_event: &(dyn Fn(IndexEvent) + Sync),
        cancel: &AtomicBool,
    ) -> Result<(IndexOutput, f64), JobError> {
        let _ = cancel;
        let output = incremental::conclude_saved(&self.dataset, &self.known, &self.opts, &state, on_event);
        let feed = crate::index::pass::Feed::default();
        let outcome = Outcome { output, state, feed, continued: Continued::Appended };
        let mut notes = vec!["no new complete line since the checkpoint".to_string()];
        let offset = cp.offset;
        self.write(&outcome, cp.runs, offset, &mut notes, on_event)?;
        self.last = Some(RunReport { mode: RunMode::Appended { from: offset, bytes: 0, continued: Continued::Appended }, lines: 0, offset: Some(offset), notes });
        Ok((outcome.output, self.write_secs))
    }

    /// Writes the knowledge, the checkpoint (plain files), then the manifest.
    fn write(&mut self, o: &Outcome, runs: u64, offset: u64, notes: &mut Vec<String>, on_event: &(dyn Fn(IndexEvent) + Sync)) -> Result<(), JobError> {
        self.fingerprint.input_hash = o.output.stats.input_hash.clone();
        let t = std::time::Instant::now();
        on_event(IndexEvent::Started { phase: Phase::Write, total_bytes: None });
        self.store.write_knowledge(&o.output.knowledge)?;
        if o.feed.gzip || o.output.stats.gzip {
            self.store.remove_checkpoint();
            notes.push("gzip input: no checkpoint (it is read whole each time)".into());
        } else {
            match fingerprint(&self.input, offset) {
                Ok((head_len, head, tail_len, tail, ends_with_newline)) => {
                    let cp = Checkpoint {
                        schema_version: CHECKPOINT_VERSION,
                        input_path: self.fingerprint.input_path.clone(),
                        dataset_hash: self.fingerprint.dataset_hash.clone(),
                        options: self.fingerprint.options.clone(),
                        offset,
                        lines: o.state.lines(),
                        head_len,
                        head_hash: format!("{head:016x}"),
                        tail_len,
                        tail_hash: format!("{tail:016x}"),
                        ends_with_newline,
                        state_hash: String::new(),
                        runs,
                        updated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    };
                    self.store.write_checkpoint(cp, &o.state)?;
                }
                Err(e) => {
                    self.store.remove_checkpoint();
                    notes.push(format!("no checkpoint written: the input changed while it was read ({e}); the next run reads it whole"));
                }
            }
        }
        self.store.write_manifest(self.fingerprint.clone(), &o.output.stats)?;
        self.write_secs = t.elapsed().as_secs_f64();
        on_event(IndexEvent::Finished { phase: Phase::Write, lines: o.output.knowledge.templates.len() as u64, secs: self.write_secs });
        Ok(())
    }
}

/// Just after the last line end in `path` at or after byte `from` (reading
/// back from `size`); None when there is none.
fn last_line_end(path: &Path, from: u64, size: u64) -> std::io::Result<Option<u64>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    let mut end = size;
    let mut buf = vec![0u8; 64 << 10];
    while end > from {
        let start = end.saturating_sub(buf.len() as u64).max(from);
        let n = (end - start) as usize;
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut buf[..n])?;
        if let Some(i) = memchr::memrchr(b'\n', &buf[..n]) {
            return Ok(Some(start + i as u64 + 1));
        }
        end = start;
    }
    Ok(None)
}
