//! What `index --from-loki` keeps in the app's folder:
//!
//! - `loki/lines.log`: the pulled lines, oldest first, one per line (line
//!   breaks inside an entry become spaces): the input the knowledge is
//!   indexed from, read on incrementally like any growing file;
//! - `loki/cursor.json` ([`PullState`]): the selector, the range asked for,
//!   the pull cursor (last timestamp and the entries taken at it) and how many
//!   bytes of `lines.log` it covers; written after each page's lines are on
//!   disk, so a pull cut short resumes there (bytes past it are cut off);
//! - `loki_patterns.json` ([`LokiPatternsFile`]) and `loki_fields.json`
//!   ([`LokiFieldsFile`]): Loki's own patterns and detected fields, beside
//!   ours, with where they agree; both are kept where they do not.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{AppStore, StorageError, read_json, write_json};
use crate::loki::pull::{Cursor, PullStats};

pub const PULL_VERSION: u32 = 1;
pub const PATTERNS_FILE: &str = "loki_patterns.json";
pub const FIELDS_FILE: &str = "loki_fields.json";

/// `loki/cursor.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullState {
    pub schema_version: u32,
    pub selector: String,
    /// The start of the first pull (unix ns).
    pub start_ns: i64,
    /// The end of the latest pull (exclusive).
    pub end_ns: i64,
    pub cursor: Cursor,
    /// Bytes of `lines.log` the cursor covers.
    pub spool_bytes: u64,
    /// Totals over all pulls.
    pub totals: PullStats,
    /// Entries whose line breaks became spaces.
    pub lines_flattened: u64,
    pub updated_at: String,
}

/// One pattern of Loki's, with our templates whose examples it matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LokiPattern {
    /// Loki's text (`<_>` for variable parts).
    pub pattern: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Lines in the range, by Loki's count.
    pub total: u64,
    /// `[unix seconds, lines]` per step.
    pub samples: Vec<(i64, u64)>,
    /// Our templates one of whose examples it matches.
    pub our_templates: Vec<String>,
    /// Their lines, by our count.
    pub our_count: u64,
}

/// What both Loki files say of where they come from (flattened into each).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LokiFetch {
    pub schema_version: u32,
    pub app: String,
    pub selector: String,
    pub start: String,
    pub end: String,
    pub fetched_at: String,
    /// False when the Loki does not offer it (404, or no pattern ingester).
    pub offered: bool,
    /// Why not, or what went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `loki_patterns.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LokiPatternsFile {
    #[serde(flatten)]
    pub fetch: LokiFetch,
    pub patterns: Vec<LokiPattern>,
    /// Our templates (with lines) that no pattern of Loki's matches.
    pub templates_without_pattern: Vec<String>,
}

/// One field Loki detects, and what we call it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LokiField {
    pub label: String,
    /// Loki's type: string, int, float, bytes, duration, boolean.
    pub r#type: String,
    pub cardinality: u64,
    pub parsers: Vec<String>,
    /// Where we have it: `label`, `field` (a structured field of some
    /// template) or `slot` (a parameter name), else absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ours: Option<String>,
}

/// `loki_fields.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LokiFieldsFile {
    #[serde(flatten)]
    pub fetch: LokiFetch,
    pub fields: Vec<LokiField>,
    /// Our structured fields Loki does not list.
    pub ours_not_detected: Vec<String>,
}

impl AppStore {
    /// `loki/lines.log`.
    pub fn spool_path(&self) -> PathBuf {
        self.dir().join("loki").join("lines.log")
    }

    fn cursor_path(&self) -> PathBuf {
        self.dir().join("loki").join("cursor.json")
    }

    /// The pull state, if there is a readable one of this version.
    pub fn pull_state(&self) -> Option<PullState> {
        read_json::<PullState>(&self.cursor_path()).ok().filter(|s| s.schema_version == PULL_VERSION)
    }

    /// Makes `loki/`; with `fresh`, drops an earlier pull (state and lines).
    pub fn prepare_spool(&self, fresh: bool) -> Result<(), StorageError> {
        let dir = self.dir().join("loki");
        std::fs::create_dir_all(&dir).map_err(|source| StorageError::CreateDir { path: dir.clone(), source })?;
        if fresh {
            let _ = std::fs::remove_file(self.cursor_path());
            let _ = std::fs::remove_file(self.spool_path());
        }
        Ok(())
    }

    /// Cuts `lines.log` back to what the state covers (lines of a page whose
    /// cursor was never saved). False when it is shorter than that (damaged).
    pub fn trim_spool(&self, covered: u64) -> Result<bool, StorageError> {
        let path = self.spool_path();
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if len < covered {
            return Ok(false);
        }
        if len > covered {
            let f = std::fs::OpenOptions::new().write(true).open(&path).map_err(|source| StorageError::Write { path: path.clone(), source })?;
            f.set_len(covered).map_err(|source| StorageError::Write { path: path.clone(), source })?;
        }
        Ok(true)
    }

    /// Appends lines to `lines.log` and syncs them; the file's new length.
    pub fn append_spool(&self, lines: &[String]) -> Result<u64, StorageError> {
        let path = self.spool_path();
        let err = |source| StorageError::Write { path: path.clone(), source };
        let f = std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(err)?;
        let mut w = std::io::BufWriter::new(&f);
        for l in lines {
            w.write_all(l.as_bytes()).map_err(err)?;
            w.write_all(b"\n").map_err(err)?;
        }
        w.flush().map_err(err)?;
        drop(w);
        f.sync_data().map_err(err)?;
        f.metadata().map(|m| m.len()).map_err(err)
    }

    pub fn write_pull_state(&self, s: &PullState) -> Result<(), StorageError> {
        write_json(&self.cursor_path(), s)
    }

    /// `loki_patterns.json`, when an `index --from-loki` wrote a readable one.
    pub fn loki_patterns(&self) -> Option<LokiPatternsFile> {
        read_json::<LokiPatternsFile>(&self.path(PATTERNS_FILE)).ok()
    }

    pub fn write_loki_patterns(&self, f: &LokiPatternsFile) -> Result<(), StorageError> {
        write_json(&self.path(PATTERNS_FILE), f)
    }

    pub fn write_loki_fields(&self, f: &LokiFieldsFile) -> Result<(), StorageError> {
        write_json(&self.path(FIELDS_FILE), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spool_appends_and_trims() {
        let d = tempfile::tempdir().unwrap();
        let s = AppStore::new(d.path(), "x");
        s.prepare().unwrap();
        s.prepare_spool(true).unwrap();
        assert_eq!(s.append_spool(&["a".into(), "bc".into()]).unwrap(), 5);
        assert_eq!(s.append_spool(&["d".into()]).unwrap(), 7);
        assert!(s.trim_spool(5).unwrap());
        assert_eq!(std::fs::read_to_string(s.spool_path()).unwrap(), "a\nbc\n");
        assert!(!s.trim_spool(9).unwrap(), "shorter than covered: damaged");
        let st = PullState {
            schema_version: PULL_VERSION,
            selector: "{app=\"x\"}".into(),
            start_ns: 1,
            end_ns: 2,
            cursor: Cursor { next_ns: 2, border_ts: Some(1), border: vec!["00ff".into()] },
            spool_bytes: 5,
            totals: PullStats::default(),
            lines_flattened: 0,
            updated_at: String::new(),
        };
        s.write_pull_state(&st).unwrap();
        assert_eq!(s.pull_state().unwrap(), st);
        s.prepare_spool(true).unwrap();
        assert!(s.pull_state().is_none() && !s.spool_path().exists());
    }
}
