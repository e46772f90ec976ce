//! `ConfigError`: every way loading the config can fail, each naming the key,
//! the file (with line:column), the environment variable or the flag at fault.

use std::path::{Path, PathBuf};

use super::Origin;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--config PATH` names a file that does not exist.
    #[error("config file {} not found (given with --config)", .path.display())]
    FileNotFound { path: PathBuf },

    #[error("cannot read config file {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A key the config does not know. `line`/`column` are 1-based.
    #[error("{}: unknown key `{key}` ({message})", location(.path, *.line, *.column))]
    UnknownKey {
        path: PathBuf,
        line: Option<usize>,
        column: Option<usize>,
        key: String,
        message: String,
    },

    /// A TOML syntax error, or a value of the wrong type/shape; `key` is the full
    /// key (`"index.tree_depth"`) when known.
    #[error("{}: {}{message}", location(.path, *.line, *.column), key_prefix(.key.as_deref()))]
    Parse {
        path: PathBuf,
        line: Option<usize>,
        column: Option<usize>,
        key: Option<String>,
        message: String,
    },

    /// An environment variable holds a value that cannot be used.
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },

    /// A value out of range; `key` is the full key (`"index.similarity_threshold"`).
    #[error("invalid `{key}` (from {origin}): {message}")]
    Invalid {
        key: String,
        origin: Origin,
        message: String,
    },
}

fn location(path: &Path, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", path.display()),
        (Some(l), None) => format!("{}:{l}", path.display()),
        _ => path.display().to_string(),
    }
}

fn key_prefix(key: Option<&str>) -> String {
    key.map(|k| format!("bad value for `{k}`: "))
        .unwrap_or_default()
}
