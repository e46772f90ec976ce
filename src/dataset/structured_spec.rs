//! `dataset.toml` for `format = "json"` / `"logfmt"`: the keys that play a
//! role (`message_field`, `timestamp_field` with `timestamp_format` and
//! `timestamp_zone`, `level_field`, `label_fields`, the `[labels]` table and
//! session fields) become the roles of a [`StructuredFormat`], and the
//! dataset is assembled as for a Loghub pattern.

use std::path::Path;

use super::structured::{LEVEL_KEYS, MESSAGE_KEYS, Role, StructKind, StructuredFormat, TIMESTAMP_KEYS};
use super::{Dataset, DatasetError, DatasetFile, HeaderFormat, TimestampSpec, valid_label_name};

/// The keys only a structured format takes, when a Loghub pattern sets one.
pub(super) fn refuse_structured_keys(f: &DatasetFile) -> Result<(), &'static str> {
    let set = [
        ("message_field", f.message_field.is_some()),
        ("timestamp_field", f.timestamp_field.is_some()),
        ("timestamp_format", f.timestamp_format.is_some()),
        ("timestamp_zone", f.timestamp_zone.is_some()),
        ("level_field", f.level_field.is_some()),
        ("label_fields", !f.label_fields.is_empty()),
    ];
    match set.iter().find(|(_, on)| *on) {
        Some((key, _)) => Err(key),
        None => Ok(()),
    }
}

/// A label name for a key: characters outside `[a-zA-Z0-9_]` become `_`, and
/// a leading digit gets a `_` before it (Loki's own sanitising).
pub fn label_name(key: &str) -> String {
    let mut s: String = key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

struct Roles {
    roles: Vec<Role>,
}

impl Roles {
    /// The role named `name` (added with `keys` when new).
    fn add(&mut self, name: &str, keys: Vec<String>) -> usize {
        if let Some(i) = self.roles.iter().position(|r| r.name == name) {
            return i;
        }
        self.roles.push(Role { name: name.into(), keys });
        self.roles.len() - 1
    }

    /// A role for one key, named after it.
    fn key(&mut self, key: &str) -> usize {
        self.add(key, vec![key.into()])
    }
}

fn owned(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|s| s.to_string()).collect()
}

/// The role of an optional key: `Some("")` none, `Some(k)` that key, `None` the usual names.
fn optional_role(roles: &mut Roles, set: Option<&str>, default_name: &str, defaults: &[&str]) -> (Option<usize>, Vec<String>) {
    match set {
        Some("") => (None, Vec::new()),
        Some(k) => (Some(roles.key(k)), vec![k.to_string()]),
        None => (Some(roles.add(default_name, owned(defaults))), owned(defaults)),
    }
}

pub(super) fn build(
    app: &str,
    folder: Option<&Path>,
    path: &Path,
    f: DatasetFile,
    kind: StructKind,
    spec_hash: u64,
) -> Result<Dataset, DatasetError> {
    let bad = |key: &str, message: String| DatasetError::BadValue { path: path.to_path_buf(), key: key.into(), message };
    let fmt = kind.as_str();
    if f.timestamp.is_some() {
        return Err(bad("timestamp", format!("with format = \"{fmt}\" use timestamp_field, timestamp_format and timestamp_zone")));
    }
    if f.levels.field.is_some() {
        return Err(bad("levels.field", format!("with format = \"{fmt}\" use level_field")));
    }
    if f.multiline.join {
        return Err(bad("multiline.join", format!("format = \"{fmt}\" has one record per line")));
    }
    let mut roles = Roles { roles: Vec::new() };
    let message_keys = match f.message_field.as_deref() {
        Some("") => return Err(bad("message_field", "must name a key (leave it out for msg, message, log)".into())),
        Some(k) => vec![k.to_string()],
        None => owned(&MESSAGE_KEYS),
    };
    roles.add("Content", message_keys.clone());
    let (ts_role, ts_keys) = optional_role(&mut roles, f.timestamp_field.as_deref(), "ts", &TIMESTAMP_KEYS);
    let (level_field, level_keys) = optional_role(&mut roles, f.level_field.as_deref(), "level", &LEVEL_KEYS);
    let mut labels: Vec<(String, usize)> = Vec::new();
    for key in &f.label_fields {
        if key.is_empty() {
            return Err(bad("label_fields", "an empty key".into()));
        }
        let name = label_name(key);
        if labels.iter().any(|(n, _)| *n == name) {
            return Err(bad("label_fields", format!("two keys give the label {name:?}")));
        }
        labels.push((name, roles.key(key)));
    }
    for (label, key) in &f.labels {
        if !valid_label_name(label) {
            return Err(bad(&format!("labels.{label}"), "not a valid Loki label name ([a-zA-Z_][a-zA-Z0-9_]*)".into()));
        }
        if labels.iter().any(|(n, _)| n == label) {
            return Err(bad(&format!("labels.{label}"), "also given by label_fields".into()));
        }
        labels.push((label.clone(), roles.key(key)));
    }
    for s in &f.sessions {
        if let Some(k) = s.field.as_deref().filter(|k| *k != "Content") {
            roles.key(k);
        }
    }
    if roles.roles.len() > 16 {
        return Err(bad("label_fields", "at most 15 keys may play a role (labels, timestamp, level, sessions)".into()));
    }
    let names: Vec<String> = roles.roles.iter().map(|r| r.name.clone()).collect();
    let timestamp = match ts_role {
        Some(i) => {
            let format = f.timestamp_format.as_deref().unwrap_or("auto");
            let zone = f.timestamp_zone.as_deref().unwrap_or("UTC");
            let spec = TimestampSpec::new(&format!("<{}>", names[i]), &names, format, zone, None)
                .map_err(|e| bad("timestamp_format", e.to_string()))?;
            if spec.is_yearless() {
                return Err(bad("timestamp_format", format!("{format:?} has no year; structured stamps need a full date")));
            }
            Some(spec)
        }
        None => None,
    };
    let mut not_fields = message_keys;
    not_fields.extend(ts_keys);
    not_fields.extend(level_keys);
    let header = HeaderFormat::structured(StructuredFormat::new(kind, roles.roles, not_fields));
    Dataset::assemble(app, folder, path, f, header, timestamp, labels, level_field, spec_hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, app: &str, text: &str) {
        std::fs::create_dir_all(dir.join(app)).unwrap();
        std::fs::write(dir.join(app).join("dataset.toml"), text).unwrap();
    }

    #[test]
    fn json_dataset_roles_and_errors() {
        let d = tempfile::tempdir().unwrap();
        let good = r#"
description = "x"
log = "x.log"
format = "json"
timestamp_field = "time"
timestamp_format = "rfc3339"
level_field = "severity"
label_fields = ["service", "k8s.pod"]
[[sessions]]
name = "request"
field = "request_id"
"#;
        write(d.path(), "ok", good);
        let ds = Dataset::load(d.path(), "ok").unwrap();
        assert_eq!(ds.header.fields(), ["Content", "time", "severity", "service", "k8s.pod", "request_id"]);
        assert_eq!(ds.labels, vec![("service".to_string(), 3), ("k8s_pod".to_string(), 4)]);
        assert_eq!(ds.level_field, Some(2));
        assert_eq!(ds.sessions[0].field, Some(5));
        assert!(ds.header.structured_format().is_some());
        let ts = ds.timestamp.as_ref().unwrap();
        assert_eq!(ts.parse_text("2024-01-02T03:04:05Z"), Some(1_704_164_645_000_000_000));

        write(d.path(), "mixed", &good.replace("format = \"json\"", "format = \"<Date> <Content>\""));
        let e = Dataset::load(d.path(), "mixed").unwrap_err().to_string();
        assert!(e.contains("timestamp_field") && e.contains("only for format"), "{e}");

        write(d.path(), "tsold", &format!("{good}\n[timestamp]\nfields = \"<time>\"\nformat = \"%s\"\n"));
        let e = Dataset::load(d.path(), "tsold").unwrap_err().to_string();
        assert!(e.contains("use timestamp_field"), "{e}");

        write(d.path(), "yearless", &good.replace("\"rfc3339\"", "\"%H:%M:%S\""));
        let e = Dataset::load(d.path(), "yearless").unwrap_err().to_string();
        assert!(e.contains("has no year"), "{e}");

        // Defaults: the usual names.
        write(d.path(), "defaults", "description = \"x\"\nlog = \"x.log\"\nformat = \"logfmt\"\n");
        let ds = Dataset::load(d.path(), "defaults").unwrap();
        assert_eq!(ds.header.fields(), ["Content", "ts", "level"]);
        assert!(ds.timestamp.is_some());
    }

    #[test]
    fn label_names_are_sanitised() {
        assert_eq!(label_name("k8s.pod-name"), "k8s_pod_name");
        assert_eq!(label_name("1x"), "_1x");
        assert_eq!(label_name("@host"), "_host");
    }
}
