//! The app's definition: which format its lines are read in (given, a
//! bundled sample's, detected, or the raw line) and `<storage>/<app>/dataset.toml`
//! written from it (with `source.json`, each beside, then renamed).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::files::head_lines;
use super::{InputError, SOURCE_FILE, Source, detect, io};
use crate::dataset::{Dataset, DatasetError};

/// `detected: syslog (RFC 3164), timestamp <Month> <Day> <Time>, year 2026 assumed, labels host and program; 99.8 % of lines fit`.
pub(super) fn describe(d: &detect::Detected) -> String {
    let mut s = format!("detected: {}", d.name);
    if let Some((fields, _, year)) = &d.timestamp {
        s.push_str(&format!(", timestamp {fields}"));
        if let Some(y) = year {
            s.push_str(&format!(", year {y} assumed"));
        }
    }
    if !d.labels.is_empty() {
        let names: Vec<&str> = d.labels.iter().map(|(l, _)| *l).collect();
        s.push_str(&format!(", labels {}", names.join(" and ")));
    }
    let (fit, of) = d.fit;
    s.push_str(&format!("; {:.1} % of the sampled lines fit", fit as f64 * 100.0 / of.max(1) as f64));
    s
}

/// How the app's lines are read.
pub(super) enum Format {
    Given {
        format: String,
        timestamp: Option<String>,
    },
    /// Found from the lines ([`detect`]).
    Detected(detect::Detected),
    /// A bundled sample's format (its header, stamp, labels, levels).
    Like(Box<Dataset>),
    Raw,
}

/// The words (letters only, 3 or more) of some lines.
pub(super) fn words(lines: &[String]) -> std::collections::HashSet<String> {
    lines.iter().flat_map(|l| l.split(|c: char| !c.is_ascii_alphabetic())).filter(|w| w.len() >= 3).map(str::to_ascii_lowercase).collect()
}

/// A bundled dataset whose format reads ≥ 90 % of the first 200 lines with
/// a timestamp; of several, the one whose sample shares the most words with
/// these lines (then the most header fields).
pub(super) fn guess_bundled(datasets: &Path, log: &Path) -> Option<Dataset> {
    let lines = head_lines(log, 200);
    if lines.is_empty() {
        return None;
    }
    let mine = words(&lines);
    let mut fits: Vec<((usize, usize), Dataset)> = Vec::new();
    for name in crate::dataset::list(datasets) {
        let Ok(ds) = Dataset::load(datasets, &name) else { continue };
        let Some(ts) = ds.timestamp.clone() else { continue };
        if ds.header.structured_format().is_some() {
            continue;
        }
        let mut spans = crate::dataset::FieldSpans::default();
        let ok = lines
            .iter()
            .filter(|l| {
                let l = l.trim();
                ds.header.match_line(l, &mut spans) && {
                    let sp = spans.as_slice();
                    ts.has_text(|i| sp.get(i).and_then(|&(a, b)| l.get(a as usize..b as usize)).unwrap_or("")) && {
                        let mut buf = String::new();
                        ts.stamp_text(|i| sp.get(i).and_then(|&(a, b)| l.get(a as usize..b as usize)).unwrap_or(""), &mut buf);
                        ts.parse_text(&buf).is_some()
                    }
                }
            })
            .count();
        if ok * 10 >= lines.len() * 9 {
            let theirs = ds.log_path.as_deref().map(|p| words(&head_lines(p, 200))).unwrap_or_default();
            let shared = mine.intersection(&theirs).count();
            fits.push(((shared, ds.header.fields().len()), ds));
        }
    }
    fits.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    fits.into_iter().next().map(|(_, d)| d)
}

#[derive(Serialize)]
pub(super) struct DefinitionFile<'a> {
    /// Simple values first: TOML puts tables last.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    files: &'a [String],
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    detected: Option<String>,
    log: String,
    format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<TimestampDef<'a>>,
    /// Loki labels from the header fields that make good ones.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    labels: std::collections::BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multiline: Option<MultilineDef>,
}

#[derive(Serialize)]
pub(super) struct MultilineDef {
    join: bool,
}

/// Header fields that make good labels (few values each), by their usual names.
pub(super) fn labels_of(format: &str) -> std::collections::BTreeMap<&'static str, String> {
    const NAMES: [(&str, &[&str]); 4] = [
        ("level", &["Level", "Severity", "Lvl"]),
        ("component", &["Component", "Logger", "Module"]),
        ("host", &["Host", "Hostname", "Node"]),
        ("service", &["Service", "Program", "App", "Process"]),
    ];
    let fields = crate::dataset::HeaderFormat::new(format).map(|h| h.fields().to_vec()).unwrap_or_default();
    NAMES.iter().filter_map(|(label, names)| fields.iter().find(|f| names.iter().any(|n| n.eq_ignore_ascii_case(f))).map(|f| (*label, f.clone()))).collect()
}

#[derive(Serialize)]
pub(super) struct TimestampDef<'a> {
    fields: &'a str,
    format: &'a str,
    zone: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    year: Option<i32>,
}

/// `<dir>/dataset.toml` (and `source.json`), each written beside and renamed.
pub(super) fn write_definition(dir: &Path, app: &str, log: &Path, source: &Source, format: &Format, zone: &str, labelled: &[String]) -> Result<(), InputError> {
    let files = source.files.join(", ");
    let from = if files.is_empty() { "stdin".to_owned() } else { files };
    let text = match format {
        Format::Like(ds) => {
            // The sample's own definition, pointed at these files.
            let own = ds.dir.as_ref().map(|d| d.join("dataset.toml")).ok_or_else(|| InputError::Missing(PathBuf::from(&ds.name)))?;
            let text = std::fs::read_to_string(&own).map_err(io(&own))?;
            let mut v: toml::Table =
                toml::from_str(&text).map_err(|e| InputError::Dataset(DatasetError::Toml { path: own.clone(), message: e.to_string() }))?;
            v.insert("description".into(), toml::Value::String(format!("{app}: the logs of {from}, read in the format of the {} sample.", ds.name)));
            v.insert("log".into(), toml::Value::String(log.display().to_string()));
            v.insert("detected".into(), toml::Value::String(format!("like the {} sample", ds.name)));
            if !labelled.is_empty() {
                v.insert("files".into(), toml::Value::Array(labelled.iter().map(|f| toml::Value::String(f.clone())).collect()));
            }
            if let Some(t) = v.get("templates").and_then(|t| t.as_str()).map(str::to_owned) {
                if let Some(d) = &ds.dir {
                    v.insert("templates".into(), toml::Value::String(d.join(t).display().to_string()));
                }
            }
            toml::to_string(&v).unwrap_or_default()
        }
        Format::Given { format, timestamp } => {
            let parts: Vec<&str> = timestamp.as_deref().map(|t| t.splitn(3, '=').collect()).unwrap_or_default();
            let ts = (parts.len() >= 2).then(|| TimestampDef { fields: parts[0], format: parts[1], zone: parts.get(2).copied().unwrap_or(zone), year: None });
            toml::to_string(&DefinitionFile {
                description: format!("{app}: the logs of {from}."),
                detected: None,
                log: log.display().to_string(),
                format: format.clone(),
                timestamp: ts,
                labels: labels_of(format),
                multiline: None,
                files: labelled,
            })
            .unwrap_or_default()
        }
        Format::Detected(d) => {
            let ts = d.timestamp.as_ref().map(|(fields, format, year)| TimestampDef { fields, format, zone, year: *year });
            toml::to_string(&DefinitionFile {
                description: format!("{app}: the logs of {from}, detected as {}.", d.name),
                detected: Some(d.name.clone()),
                log: log.display().to_string(),
                format: d.format.clone(),
                timestamp: ts,
                labels: d.labels.iter().map(|(l, f)| (*l, (*f).to_owned())).collect(),
                multiline: d.join.then_some(MultilineDef { join: true }),
                files: labelled,
            })
            .unwrap_or_default()
        }
        Format::Raw => toml::to_string(&DefinitionFile {
            description: format!("{app}: the logs of {from}, each line read whole (no known format fits)."),
            detected: Some("no known format (each line whole, in line order)".to_owned()),
            log: log.display().to_string(),
            format: "<Content>".into(),
            timestamp: None,
            labels: Default::default(),
            multiline: None,
            files: labelled,
        })
        .unwrap_or_default(),
    };
    let head = "# Written by logcopilot for a user's own files; a hand-written\n# datasets/<app>/dataset.toml of the same name wins over it.\n";
    let write = |path: PathBuf, bytes: &[u8]| crate::dataset::bundled::write_atomic(&path, bytes).map_err(io(&path));
    write(dir.join("dataset.toml"), format!("{head}{text}").as_bytes())?;
    write(dir.join(SOURCE_FILE), &serde_json::to_vec_pretty(source).unwrap_or_default())
}
