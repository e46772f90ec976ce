//! The knowledge store on disk: `storage/<app>/templates.json`,
//! `parameters.json`, `workflows.json` and `manifest.json` (schemas in
//! docs/STORAGE.md). Every file carries a schema version and is written
//! atomically (a temp file in the same folder, then a rename); the manifest
//! is written last, so a run cut short never looks finished.
//!
//! [`checkpoint`]: where reading of the input stopped, and the saved passes,
//! so that a grown input is read on (written between the knowledge files and
//! the manifest).
//!
//! The LLM-derived files: [`summaries`] (summary JSON, file names),
//! [`vectors`] (embeddings in Parquet), [`cache`] (replies, appended as they
//! come), [`vector_cache`] (vectors, appended as they come).

pub mod cache;
pub mod checkpoint;
pub mod loki;
pub mod summaries;
pub mod vector_cache;
pub mod vectors;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::index::RunStats;
use crate::knowledge::{Knowledge, SessionStats, TemplateParams, TemplateRecord, Transition, WorkflowRecord};

/// Version of the files' shapes; bump on any change.
pub const SCHEMA_VERSION: u32 = 1;

/// The knowledge files a build writes.
const KNOWLEDGE_FILES: [&str; 3] = ["templates.json", "parameters.json", "workflows.json"];

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot create storage folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path} has schema version {found}, this build reads {expected}: run `logcopilot index` again")]
    Version { path: PathBuf, found: u32, expected: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplatesFile {
    pub schema_version: u32,
    pub app: String,
    pub templates: Vec<TemplateRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParametersFile {
    pub schema_version: u32,
    pub app: String,
    pub templates: Vec<TemplateParams>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowsFile {
    pub schema_version: u32,
    pub app: String,
    pub sessions: SessionStats,
    pub workflows: Vec<WorkflowRecord>,
    pub transitions: Vec<Transition>,
}

/// What a build was made from; equal fingerprints mean the work can be skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub input_path: String,
    /// xxh3 of the decoded input bytes.
    pub input_hash: String,
    /// xxh3 of dataset.toml and templates.csv (or of `--format`/`--timestamp`).
    pub dataset_hash: String,
    /// The flags and settings that shape the result.
    pub options: String,
    pub schema_version: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    pub app: String,
    pub tool_version: String,
    pub fingerprint: Fingerprint,
    /// RFC 3339 time the build finished.
    pub built_at: String,
    pub stats: RunStats,
    pub files: Vec<String>,
    /// Files derived by the LLM and lexical phases, recorded after them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derived: Vec<DerivedFile>,
}

/// A file built from the knowledge by a later phase (summaries, vectors, BM25).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DerivedFile {
    pub file: String,
    /// `summaries`, `embeddings` or `bm25`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The prompt version, for summaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub items: usize,
    pub built_at: String,
}

/// The folder of one app.
#[derive(Debug, Clone)]
pub struct AppStore {
    dir: PathBuf,
    app: String,
}

impl AppStore {
    pub fn new(storage_root: &Path, app: &str) -> Self {
        Self { dir: storage_root.join(app), app: app.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Creates the folder and checks it can be written, before any long work.
    pub fn prepare(&self) -> Result<(), StorageError> {
        std::fs::create_dir_all(&self.dir).map_err(|source| StorageError::CreateDir { path: self.dir.clone(), source })?;
        let probe = tempfile::NamedTempFile::new_in(&self.dir)
            .map_err(|source| StorageError::Write { path: self.dir.clone(), source })?;
        drop(probe);
        Ok(())
    }

    /// The manifest, if there is a readable one.
    pub fn manifest(&self) -> Option<Manifest> {
        read_json::<Manifest>(&self.path("manifest.json")).ok().filter(|m| m.schema_version == SCHEMA_VERSION)
    }

    /// Writes the knowledge files, then the manifest.
    pub fn write(&self, k: &Knowledge, fp: Fingerprint, stats: &RunStats) -> Result<Manifest, StorageError> {
        self.write_knowledge(k)?;
        self.write_manifest(fp, stats)
    }

    /// The knowledge files (templates, parameters, workflows); without a
    /// manifest after them they are an unfinished build.
    pub fn write_knowledge(&self, k: &Knowledge) -> Result<(), StorageError> {
        self.prepare()?;
        let files = KNOWLEDGE_FILES;
        write_json(
            &self.path(files[0]),
            &TemplatesFile { schema_version: SCHEMA_VERSION, app: self.app.clone(), templates: k.templates.clone() },
        )?;
        write_json(
            &self.path(files[1]),
            &ParametersFile { schema_version: SCHEMA_VERSION, app: self.app.clone(), templates: k.params.clone() },
        )?;
        write_json(
            &self.path(files[2]),
            &WorkflowsFile {
                schema_version: SCHEMA_VERSION,
                app: self.app.clone(),
                sessions: k.sessions.clone(),
                workflows: k.workflows.clone(),
                transitions: k.transitions.clone(),
            },
        )
    }

    /// The manifest, written last: the build is finished.
    pub fn write_manifest(&self, fp: Fingerprint, stats: &RunStats) -> Result<Manifest, StorageError> {
        let files = KNOWLEDGE_FILES;
        let m = Manifest {
            schema_version: SCHEMA_VERSION,
            app: self.app.clone(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            fingerprint: fp,
            built_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            stats: stats.clone(),
            files: files.iter().map(|s| s.to_string()).collect(),
            derived: Vec::new(),
        };
        write_json(&self.path("manifest.json"), &m)?;
        Ok(m)
    }

    /// Records derived files in the manifest (an entry for the same file is
    /// replaced). Without a manifest (no finished build) nothing is recorded.
    pub fn record_derived(&self, entries: Vec<DerivedFile>) -> Result<(), StorageError> {
        let Some(mut m) = self.manifest() else { return Ok(()) };
        for e in entries {
            m.derived.retain(|d| d.file != e.file);
            m.derived.push(e);
        }
        m.derived.sort_by(|a, b| a.file.cmp(&b.file));
        write_json(&self.path("manifest.json"), &m)
    }

    /// Reads the knowledge back.
    pub fn load(&self) -> Result<Knowledge, StorageError> {
        let t: TemplatesFile = read_versioned(&self.path("templates.json"))?;
        let p: ParametersFile = read_versioned(&self.path("parameters.json"))?;
        let w: WorkflowsFile = read_versioned(&self.path("workflows.json"))?;
        Ok(Knowledge {
            templates: t.templates,
            params: p.templates,
            workflows: w.workflows,
            transitions: w.transitions,
            sessions: w.sessions,
        })
    }
}

/// Writes JSON atomically: a temp file in the same folder, fsync, rename.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StorageError> {
    write_json_as(path, value, true)
}

/// [`write_json`] without indentation, for large machine-read files.
pub fn write_json_compact<T: Serialize>(path: &Path, value: &T) -> Result<(), StorageError> {
    write_json_as(path, value, false)
}

fn write_json_as<T: Serialize>(path: &Path, value: &T, pretty: bool) -> Result<(), StorageError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let err = |source| StorageError::Write { path: path.to_path_buf(), source };
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir).map_err(err)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        let r = if pretty { serde_json::to_writer_pretty(&mut w, value) } else { serde_json::to_writer(&mut w, value) };
        r.map_err(|e| err(std::io::Error::other(e)))?;
        w.write_all(b"\n").map_err(err)?;
        w.flush().map_err(err)?;
    }
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, StorageError> {
    let text = std::fs::read_to_string(path).map_err(|source| StorageError::Read { path: path.to_path_buf(), source })?;
    serde_json::from_str(&text).map_err(|e| StorageError::Invalid { path: path.to_path_buf(), message: e.to_string() })
}

fn read_versioned<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, StorageError> {
    #[derive(Deserialize)]
    struct V {
        schema_version: u32,
    }
    let v: V = read_json(path)?;
    if v.schema_version != SCHEMA_VERSION {
        return Err(StorageError::Version { path: path.into(), found: v.schema_version, expected: SCHEMA_VERSION });
    }
    read_json(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_no_temp_files_left() {
        let d = tempfile::tempdir().unwrap();
        let s = AppStore::new(d.path(), "x");
        let fp = Fingerprint {
            input_path: "a".into(),
            input_hash: "1".into(),
            dataset_hash: "2".into(),
            options: "o".into(),
            schema_version: SCHEMA_VERSION,
        };
        let k = Knowledge::default();
        s.write(&k, fp.clone(), &RunStats::default()).unwrap();
        assert_eq!(s.load().unwrap(), k);
        assert_eq!(s.manifest().unwrap().fingerprint, fp);
        let names: Vec<_> = std::fs::read_dir(s.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 4, "{names:?}");
    }

    #[test]
    fn unwritable_dir_is_a_clear_error() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let s = AppStore::new(&file, "x");
        let e = s.prepare().unwrap_err().to_string();
        assert!(e.contains("cannot create storage folder"), "{e}");
    }
}
