//! The config file: which one is used, parsing it into a `Config`, turning toml
//! errors into `ConfigError`s that name the key and `path:line:column`, and making
//! its relative paths relative to the file's folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::{CONFIG_FILE_NAME, Config, ConfigError, Context, Origin};

/// The file to load: `explicit` (must exist), else `<cwd>/config.toml`, else
/// `<user config dir>/config.toml`, else none. Returned paths are joined to the cwd.
pub(super) fn discover(
    explicit: Option<&Path>,
    ctx: &Context<'_>,
) -> Result<Option<PathBuf>, ConfigError> {
    if let Some(p) = explicit {
        let p = ctx.cwd.join(p);
        if !p.exists() {
            return Err(ConfigError::FileNotFound { path: p });
        }
        return Ok(Some(p));
    }
    let local = ctx.cwd.join(CONFIG_FILE_NAME);
    if local.is_file() {
        return Ok(Some(local));
    }
    Ok(ctx
        .user_config_dir
        .as_ref()
        .map(|dir| dir.join(CONFIG_FILE_NAME))
        .filter(|p| p.is_file()))
}

/// Reads and parses the file at `path`.
pub(super) fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Parses `text`, the content of the file at `path`. Sets `file` and `origins`.
pub(super) fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let mut cfg: Config = toml::from_str(text).map_err(|e| convert_error(&e, text, path))?;

    let dir = path.parent().unwrap_or(Path::new(""));
    let relative_to_file = [
        &mut cfg.paths.datasets,
        &mut cfg.paths.storage,
        &mut cfg.paths.results,
        &mut cfg.loki.ca_cert_path,
        &mut cfg.loki.cert_path,
        &mut cfg.loki.key_path,
    ];
    for p in relative_to_file.into_iter().flatten() {
        if p.is_relative() {
            *p = dir.join(&*p);
        }
    }

    if let Ok(doc) = DeTable::parse(text) {
        let mut lines = BTreeMap::new();
        leaf_lines(doc.get_ref(), "", text, &mut lines);
        for (key, line) in lines {
            let origin = Origin::File {
                path: path.to_path_buf(),
                line: Some(line),
            };
            cfg.origins.insert(key, origin);
        }
    }
    cfg.file = Some(path.to_path_buf());
    Ok(cfg)
}

fn convert_error(e: &toml::de::Error, text: &str, path: &Path) -> ConfigError {
    let message = e.message().trim_end().to_owned();
    let span = e.span();
    let (line, column) = match span.as_ref().map(|s| line_column(text, s.start)) {
        Some((l, c)) => (Some(l), Some(c)),
        None => (None, None),
    };
    let key = span.and_then(|s| key_at_offset(text, s.start));
    if let Some(field) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        // "unknown field `x`, expected one of ..." -> "expected one of ..."
        let hint = message
            .split_once("`, ")
            .map_or(message.as_str(), |(_, h)| h);
        return ConfigError::UnknownKey {
            path: path.to_path_buf(),
            line,
            column,
            key: key.unwrap_or_else(|| field.to_owned()),
            message: hint.to_owned(),
        };
    }
    ConfigError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        key,
        message,
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The full dotted key (`"loki.base_url"`) whose key or value covers `offset`.
fn key_at_offset(text: &str, offset: usize) -> Option<String> {
    let doc = DeTable::parse(text).ok()?;
    key_path_at(doc.get_ref(), offset).map(|parts| parts.join("."))
}

fn key_path_at(table: &DeTable<'_>, offset: usize) -> Option<Vec<String>> {
    // Children first: the span of a `[section]` table need not cover its keys.
    for (k, v) in table.iter() {
        if let DeValue::Table(t) = v.get_ref() {
            if let Some(mut rest) = key_path_at(t, offset) {
                rest.insert(0, k.get_ref().to_string());
                return Some(rest);
            }
        }
    }
    table
        .iter()
        .find(|(k, v)| k.span().contains(&offset) || v.span().contains(&offset))
        .map(|(k, _)| vec![k.get_ref().to_string()])
}

/// Every non-table value of `table`, by full dotted key, with the line of its key.
fn leaf_lines(table: &DeTable<'_>, prefix: &str, text: &str, out: &mut BTreeMap<String, usize>) {
    for (k, v) in table.iter() {
        let key = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        match v.get_ref() {
            DeValue::Table(t) => leaf_lines(t, &key, text, out),
            _ => {
                out.insert(key, line_column(text, k.span().start).0);
            }
        }
    }
}
