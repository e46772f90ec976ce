//! A dataset: one folder `datasets/<app>/` with a `dataset.toml` that says how
//! to read the system's logs. A new system is a new folder, never new code.

pub mod bundled;
pub mod header;
pub mod level;
mod structured_spec;
pub mod structured;
pub mod timestamp;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

pub use header::{FieldSpans, HeaderFormat};
pub use level::LevelMap;
pub use timestamp::{TimestampSpec, YearTracker};

/// Errors loading a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("no dataset {app:?} in {dir} (expected {dir}/{app}/dataset.toml){}", available_list(.available))]
    NotFound { app: String, dir: PathBuf, available: Vec<String> },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("{path}: key `{key}`: {message}")]
    BadValue { path: PathBuf, key: String, message: String },
}

fn available_list(a: &[String]) -> String {
    if a.is_empty() { String::new() } else { format!("; available: {}", a.join(", ")) }
}

/// `dataset.toml` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetFile {
    /// One paragraph on what the system is.
    pub description: String,
    /// The log file, relative to the dataset folder.
    pub log: String,
    /// The Loghub header pattern, or `json` / `logfmt`.
    pub format: String,
    /// json/logfmt: the key of the message (default: the first of msg, message, log).
    pub message_field: Option<String>,
    /// json/logfmt: the key of the timestamp (default: the first of ts, time,
    /// timestamp, @timestamp, t; `""` for none).
    pub timestamp_field: Option<String>,
    /// json/logfmt: `rfc3339`, `unix`, `unix_ms`, `unix_us`, `unix_ns`, `auto`
    /// (default) or a strftime format.
    pub timestamp_format: Option<String>,
    /// json/logfmt: the zone of stamps without an offset (default UTC).
    pub timestamp_zone: Option<String>,
    /// json/logfmt: the key of the level (default: the first of level, lvl,
    /// severity, loglevel; `""` for none).
    pub level_field: Option<String>,
    /// json/logfmt: keys whose values become Loki stream labels.
    #[serde(default)]
    pub label_fields: Vec<String>,
    /// Known templates (`EventId,EventTemplate` CSV), relative to the folder.
    pub templates: Option<String>,
    pub timestamp: Option<TimestampFile>,
    /// Loki label name -> header field.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub levels: LevelsFile,
    #[serde(default)]
    pub sessions: Vec<SessionFile>,
    #[serde(default)]
    pub masking: Vec<MaskFile>,
    #[serde(default)]
    pub multiline: MultilineFile,
    /// What the format was detected as, when the tool wrote this file for a
    /// user's own logs (e.g. `syslog (RFC 3164)`).
    pub detected: Option<String>,
    /// Several files of one app: queried each with a `filename` label (as
    /// promtail labels them); `log` is them all in order, for the index.
    #[serde(default)]
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimestampFile {
    /// Which fields make the stamp, e.g. `<Date> <Time>`.
    pub fields: String,
    /// A strftime format (chrono), e.g. `%y%m%d %H%M%S`; `%s` for epoch seconds.
    pub format: String,
    #[serde(default = "utc")]
    pub zone: String,
    /// The year of the first record, for formats without a year.
    pub year: Option<i32>,
}

fn utc() -> String {
    "UTC".into()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelsFile {
    /// The header field holding the level (default `Level` when the format
    /// has one; `""` for none).
    pub field: Option<String>,
    /// Raw level -> canonical level, added to the defaults.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
    /// For formats without a level field: words in the content (matched
    /// case-insensitively) -> canonical level, e.g. `"error:" = "error"`.
    /// Used by the template signals of `scan`; the most severe match wins.
    #[serde(default)]
    pub keywords: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFile {
    pub name: String,
    /// A regex over the field; the whole match (or group 1) is the session id.
    /// Default: the whole field.
    pub pattern: Option<String>,
    /// The header field the id is read from (default `Content`).
    pub field: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskFile {
    pub pattern: String,
    #[serde(default = "star")]
    pub replace: String,
}

fn star() -> String {
    "<*>".into()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultilineFile {
    /// Join a line that does not fit the format to the record before it.
    #[serde(default)]
    pub join: bool,
    /// At most this many lines are joined into one record.
    #[serde(default = "max_join")]
    pub max_lines: usize,
}

fn max_join() -> usize {
    500
}

/// A session-id pattern.
#[derive(Debug, Clone)]
pub struct SessionPattern {
    pub name: String,
    pub regex: Regex,
    /// Header field index; None means the content.
    pub field: Option<usize>,
}

/// A masking rule applied to content before template mining.
#[derive(Debug, Clone)]
pub struct MaskRule {
    pub regex: Regex,
    pub replace: String,
}

/// A loaded, validated dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: String,
    /// The folder, when loaded from one.
    pub dir: Option<PathBuf>,
    pub description: String,
    /// The default log file.
    pub log_path: Option<PathBuf>,
    pub header: HeaderFormat,
    pub timestamp: Option<TimestampSpec>,
    /// (label name, field index)
    pub labels: Vec<(String, usize)>,
    pub level_field: Option<usize>,
    pub levels: LevelMap,
    /// `[levels.keywords]`: (lower-case word, canonical level id).
    pub level_keywords: Vec<(String, u8)>,
    pub sessions: Vec<SessionPattern>,
    pub masking: Vec<MaskRule>,
    pub join_continuations: bool,
    pub max_join_lines: usize,
    pub templates_path: Option<PathBuf>,
    /// Hash of what shapes the result (the dataset.toml text, or the flags).
    pub spec_hash: u64,
    /// `detected` of a definition the tool wrote (see [`crate::inputs`]).
    pub detected: Option<String>,
    /// `files`: the embedded engine queries each, labelled `filename`.
    pub files: Vec<PathBuf>,
    /// Labels every line of this source has (`filename` of one of `files`).
    pub const_labels: Vec<(String, String)>,
}

impl Dataset {
    /// The level `[levels.keywords]` give `content` (the most severe word
    /// found), or 0 (unknown).
    pub fn keyword_level(&self, content: &str) -> u8 {
        if self.level_keywords.is_empty() {
            return 0;
        }
        let lower = content.to_lowercase();
        self.level_keywords.iter().filter(|(w, _)| lower.contains(w.as_str())).map(|(_, l)| *l).max().unwrap_or(0)
    }

    /// Loads `dir/<app>/dataset.toml`.
    pub fn load(datasets_dir: &Path, app: &str) -> Result<Self, DatasetError> {
        let folder = datasets_dir.join(app);
        let path = folder.join("dataset.toml");
        if !path.is_file() {
            return Err(DatasetError::NotFound {
                app: app.into(),
                dir: datasets_dir.to_path_buf(),
                available: list(datasets_dir),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| DatasetError::Io { path: path.clone(), source })?;
        let file: DatasetFile =
            toml::from_str(&text).map_err(|e| DatasetError::Toml { path: path.clone(), message: toml_message(&e) })?;
        let mut hash_input = text.clone();
        if let Some(t) = &file.templates {
            // Known templates shape the result too.
            if let Ok(tpl) = std::fs::read_to_string(folder.join(t)) {
                hash_input.push_str(&tpl);
            }
        }
        Self::from_file(app, Some(&folder), &path, file, xxhash_rust::xxh3::xxh3_64(hash_input.as_bytes()))
    }

    /// The dataset of `app`: a hand-written `<datasets>/<app>/dataset.toml`
    /// wins; else the one the tool wrote for a user's own files in
    /// `<storage>/<app>/dataset.toml` (see [`crate::inputs`]).
    pub fn find(datasets_dir: &Path, storage_dir: &Path, app: &str) -> Result<Self, DatasetError> {
        match Self::load(datasets_dir, app) {
            Err(DatasetError::NotFound { app, dir, mut available }) => {
                if storage_dir.join(&app).join("dataset.toml").is_file() {
                    return Self::load(storage_dir, &app);
                }
                available.extend(list(storage_dir));
                available.sort();
                available.dedup();
                Err(DatasetError::NotFound { app, dir, available })
            }
            other => other,
        }
    }

    /// Builds a dataset from a `--format` flag (and an optional `--timestamp`).
    /// `--format json` / `--format logfmt` take every default (the message,
    /// timestamp and level keys found by their usual names).
    pub fn from_flags(app: &str, format: &str, timestamp: Option<&str>) -> Result<Self, DatasetError> {
        let flag = PathBuf::from("--format");
        if let Some(kind) = structured::StructKind::from_format(format) {
            if timestamp.is_some() {
                return Err(DatasetError::BadValue {
                    path: PathBuf::from("--timestamp"),
                    key: "timestamp".into(),
                    message: "not with --format json/logfmt (the timestamp key is found by name)".into(),
                });
            }
            let file = DatasetFile {
                description: String::new(),
                log: String::new(),
                format: format.into(),
                message_field: None,
                timestamp_field: None,
                timestamp_format: None,
                timestamp_zone: None,
                level_field: None,
                label_fields: Vec::new(),
                templates: None,
                timestamp: None,
                labels: BTreeMap::new(),
                levels: LevelsFile::default(),
                sessions: Vec::new(),
                masking: Vec::new(),
                multiline: MultilineFile::default(),
                detected: None,
                files: Vec::new(),
            };
            let hash = xxhash_rust::xxh3::xxh3_64(format!("{format}\u{0}structured").as_bytes());
            let mut ds = structured_spec::build(app, None, &flag, file, kind, hash)?;
            ds.log_path = None;
            return Ok(ds);
        }
        let header = HeaderFormat::new(format).map_err(|e| DatasetError::BadValue {
            path: flag.clone(),
            key: "format".into(),
            message: e.to_string(),
        })?;
        let ts = match timestamp {
            Some(t) => Some(TimestampSpec::from_flag(t, header.fields(), None).map_err(|e| DatasetError::BadValue {
                path: PathBuf::from("--timestamp"),
                key: "timestamp".into(),
                message: e.to_string(),
            })?),
            None => None,
        };
        let level_field = header.field_index("Level");
        let spec_hash = xxhash_rust::xxh3::xxh3_64(format!("{format}\u{0}{timestamp:?}").as_bytes());
        Ok(Self {
            name: app.into(),
            dir: None,
            description: String::new(),
            log_path: None,
            header,
            timestamp: ts,
            labels: Vec::new(),
            level_field,
            levels: LevelMap::new(&BTreeMap::new()).expect("default level map is valid"),
            level_keywords: Vec::new(),
            sessions: Vec::new(),
            masking: Vec::new(),
            join_continuations: false,
            max_join_lines: max_join(),
            templates_path: None,
            spec_hash,
            detected: None,
            files: Vec::new(),
            const_labels: Vec::new(),
        })
    }

    fn from_file(app: &str, folder: Option<&Path>, path: &Path, f: DatasetFile, spec_hash: u64) -> Result<Self, DatasetError> {
        let bad = |key: &str, message: String| DatasetError::BadValue { path: path.to_path_buf(), key: key.into(), message };
        if let Some(kind) = structured::StructKind::from_format(&f.format) {
            return structured_spec::build(app, folder, path, f, kind, spec_hash);
        }
        structured_spec::refuse_structured_keys(&f).map_err(|key| {
            bad(key, format!("only for format = \"json\" or \"logfmt\" (this format is a Loghub pattern: {:?})", f.format))
        })?;
        let header = HeaderFormat::new(&f.format).map_err(|e| bad("format", e.to_string()))?;
        let timestamp = match &f.timestamp {
            Some(t) => Some(
                TimestampSpec::new(&t.fields, header.fields(), &t.format, &t.zone, t.year)
                    .map_err(|e| bad("timestamp", e.to_string()))?,
            ),
            None => None,
        };
        if let Some(ts) = &timestamp {
            if ts.is_yearless() && f.timestamp.as_ref().and_then(|t| t.year).is_none() {
                return Err(bad("timestamp.year", "the format has no year; set `year` for the first record".into()));
            }
        }
        let mut labels = Vec::new();
        for (label, field) in &f.labels {
            if !valid_label_name(label) {
                return Err(bad(&format!("labels.{label}"), "not a valid Loki label name ([a-zA-Z_][a-zA-Z0-9_]*)".into()));
            }
            let idx = header
                .field_index(field)
                .ok_or_else(|| bad(&format!("labels.{label}"), format!("the format has no field <{field}>")))?;
            labels.push((label.clone(), idx));
        }
        let level_field = match &f.levels.field {
            Some(name) if name.is_empty() => None,
            Some(name) => Some(
                header.field_index(name).ok_or_else(|| bad("levels.field", format!("the format has no field <{name}>")))?,
            ),
            None => header.field_index("Level"),
        };
        Self::assemble(app, folder, path, f, header, timestamp, labels, level_field, spec_hash)
    }

    /// The parts every format shares: levels, sessions, masking, paths.
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        app: &str,
        folder: Option<&Path>,
        path: &Path,
        f: DatasetFile,
        header: HeaderFormat,
        timestamp: Option<TimestampSpec>,
        labels: Vec<(String, usize)>,
        level_field: Option<usize>,
        spec_hash: u64,
    ) -> Result<Self, DatasetError> {
        let bad = |key: &str, message: String| DatasetError::BadValue { path: path.to_path_buf(), key: key.into(), message };
        let levels = LevelMap::new(&f.levels.map).map_err(|m| bad("levels.map", m))?;
        let mut level_keywords = Vec::new();
        for (word, level) in &f.levels.keywords {
            let id = level::canonical(level).ok_or_else(|| {
                bad(&format!("levels.keywords.{word}"), format!("{level:?} is not one of {}", level::LEVELS.join(", ")))
            })?;
            if word.trim().is_empty() {
                return Err(bad("levels.keywords", "an empty word".into()));
            }
            level_keywords.push((word.to_lowercase(), id));
        }
        let mut sessions = Vec::new();
        for (i, s) in f.sessions.iter().enumerate() {
            let regex = Regex::new(s.pattern.as_deref().unwrap_or(r"^.+$"))
                .map_err(|e| bad(&format!("sessions[{i}].pattern"), e.to_string()))?;
            let field = match s.field.as_deref() {
                None | Some("Content") => None,
                Some(name) => Some(
                    header
                        .field_index(name)
                        .ok_or_else(|| bad(&format!("sessions[{i}].field"), format!("the format has no field <{name}>")))?,
                ),
            };
            sessions.push(SessionPattern { name: s.name.clone(), regex, field });
        }
        let mut masking = Vec::new();
        for (i, m) in f.masking.iter().enumerate() {
            let regex = Regex::new(&m.pattern).map_err(|e| bad(&format!("masking[{i}].pattern"), e.to_string()))?;
            masking.push(MaskRule { regex, replace: m.replace.clone() });
        }
        let log_path = folder.map(|d| d.join(&f.log));
        let templates_path = match (folder, &f.templates) {
            (Some(d), Some(t)) => Some(d.join(t)),
            _ => None,
        };
        Ok(Self {
            name: app.into(),
            dir: folder.map(Path::to_path_buf),
            description: f.description,
            log_path,
            header,
            timestamp,
            labels,
            level_field,
            levels,
            level_keywords,
            sessions,
            masking,
            join_continuations: f.multiline.join,
            max_join_lines: f.multiline.max_lines.max(1),
            templates_path,
            spec_hash,
            detected: f.detected,
            files: f.files.iter().map(|p| folder.map_or_else(|| PathBuf::from(p), |d| d.join(p))).collect(),
            const_labels: Vec::new(),
        })
    }
}

pub(crate) fn valid_label_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// The apps in a datasets folder (sub-folders holding a dataset.toml).
/// Every app of [`Dataset::find`]: the datasets and the user's own apps in storage.
pub fn list_all(datasets_dir: &Path, storage_dir: &Path) -> Vec<String> {
    let mut all = list(datasets_dir);
    all.extend(list(storage_dir));
    all.sort();
    all.dedup();
    all
}

pub fn list(datasets_dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(datasets_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("dataset.toml").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    out.sort();
    out
}

/// A toml error as one line: the message and where.
pub fn toml_message(e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => format!("{msg} (at byte {})", span.start),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, app: &str, text: &str) {
        std::fs::create_dir_all(dir.join(app)).unwrap();
        std::fs::write(dir.join(app).join("dataset.toml"), text).unwrap();
    }

    const GOOD: &str = r#"
description = "test"
log = "x.log"
format = "<Date> <Time> <Level> <Component>: <Content>"
[timestamp]
fields = "<Date> <Time>"
format = "%y%m%d %H%M%S"
[labels]
level = "Level"
[[sessions]]
name = "block"
pattern = 'blk_-?\d+'
"#;

    #[test]
    fn loads_and_validates() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "ok", GOOD);
        let ds = Dataset::load(d.path(), "ok").unwrap();
        assert_eq!(ds.labels, vec![("level".to_string(), 2)]);
        assert_eq!(ds.level_field, Some(2));

        write(d.path(), "typo", &GOOD.replace("format = \"<Date>", "formatt = \"<Date>"));
        let e = Dataset::load(d.path(), "typo").unwrap_err().to_string();
        assert!(e.contains("formatt") && e.contains("dataset.toml"), "{e}");

        write(d.path(), "badlabel", &GOOD.replace("level = \"Level\"", "level = \"Lvl\""));
        let e = Dataset::load(d.path(), "badlabel").unwrap_err().to_string();
        assert!(e.contains("labels.level") && e.contains("<Lvl>"), "{e}");

        write(d.path(), "words", &format!("{GOOD}\n[levels.keywords]\n\"Error:\" = \"error\"\n\"retry\" = \"warn\"\n"));
        let ds = Dataset::load(d.path(), "words").unwrap();
        assert_eq!(level::LEVELS[ds.keyword_level("an ERROR: disk, retry later") as usize], "error");
        assert_eq!(level::LEVELS[ds.keyword_level("will Retry") as usize], "warn");
        assert_eq!(ds.keyword_level("fine"), 0);
        write(d.path(), "badword", &format!("{GOOD}\n[levels.keywords]\n\"x\" = \"loud\"\n"));
        let e = Dataset::load(d.path(), "badword").unwrap_err().to_string();
        assert!(e.contains("levels.keywords.x") && e.contains("loud"), "{e}");

        let e = Dataset::load(d.path(), "nope").unwrap_err().to_string();
        assert!(e.contains("available: badlabel, badword, ok, typo, words"), "{e}");
    }
}
