//! Where datasets, storage and results live: explicit `[paths]` values (flag >
//! file), else the folders of a logcopilot checkout the cwd is in, else the user
//! data folder.

use std::path::{Path, PathBuf};

use super::{APP_NAME, Config, project_dirs};

/// The three data folders, absolute when the cwd is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPaths {
    pub datasets: PathBuf,
    pub storage: PathBuf,
    pub results: PathBuf,
}

/// [`resolve_paths_with`] for the running process (`std::env::current_dir`,
/// `ProjectDirs::data_dir`).
pub fn resolve_paths(cfg: &Config) -> ResolvedPaths {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let dirs = project_dirs();
    resolve_paths_with(cfg, &cwd, dirs.as_ref().map(|d| d.data_dir()))
}

/// For each folder: `cfg.paths.<name>` if set (relative = relative to `cwd`);
/// else `<checkout>/<name>` when `cwd` is inside a logcopilot checkout (see
/// [`find_checkout`]); else `<user_data_dir>/<name>`; else `<cwd>/<name>`.
pub fn resolve_paths_with(cfg: &Config, cwd: &Path, user_data_dir: Option<&Path>) -> ResolvedPaths {
    let mut fallback: Option<PathBuf> = None;
    let mut pick = |explicit: &Option<PathBuf>, name: &str| match explicit {
        Some(p) => cwd.join(p),
        None => fallback
            .get_or_insert_with(|| {
                find_checkout(cwd)
                    .or_else(|| user_data_dir.map(Path::to_path_buf))
                    .unwrap_or_else(|| cwd.to_path_buf())
            })
            .join(name),
    };
    ResolvedPaths {
        datasets: pick(&cfg.paths.datasets, "datasets"),
        storage: pick(&cfg.paths.storage, "storage"),
        results: pick(&cfg.paths.results, "results"),
    }
}

/// The nearest folder at or above `start` holding a `Cargo.toml` whose text
/// contains `name = "logcopilot"`.
pub fn find_checkout(start: &Path) -> Option<PathBuf> {
    let needle = format!("name = \"{APP_NAME}\"");
    start.ancestors().find_map(|dir| {
        let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        text.contains(&needle).then(|| dir.to_path_buf())
    })
}
