//! The sample datasets built into the binary (`build.rs` embeds
//! `datasets/<app>/` with Loghub's LICENSE and CITATION), so that an
//! installed `logcopilot` run outside a checkout has them: the first run
//! unpacks each missing app into the datasets folder (the user data folder),
//! one app folder at a time (written beside, then renamed), never over files
//! that are already there.

use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The bundled apps, sorted.
pub fn apps() -> Vec<&'static str> {
    let mut a: Vec<&str> = FILES.iter().filter_map(|(p, _)| p.strip_suffix("/dataset.toml")).collect();
    a.sort_unstable();
    a
}

/// The bundled files of `app`: (file name, contents).
pub fn files(app: &str) -> impl Iterator<Item = (&'static str, &'static [u8])> + '_ {
    FILES.iter().filter_map(move |(p, b)| p.strip_prefix(app).and_then(|r| r.strip_prefix('/')).map(|n| (n, *b)))
}

/// Unpacks every bundled app that `dir` lacks (and the top-level LICENSE,
/// CITATION and README); the apps written.
pub fn unpack_missing(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut written = Vec::new();
    let missing: Vec<&str> = apps().into_iter().filter(|a| !dir.join(a).join("dataset.toml").is_file()).collect();
    if missing.is_empty() {
        return Ok(written);
    }
    std::fs::create_dir_all(dir)?;
    for (p, bytes) in FILES.iter().filter(|(p, _)| !p.contains('/')) {
        let target = dir.join(p);
        if !target.exists() {
            write_atomic(&target, bytes)?;
        }
    }
    for app in missing {
        let target = dir.join(app);
        if target.exists() {
            // A folder of the user's without a dataset.toml: not ours to touch.
            continue;
        }
        let tmp = tempfile::Builder::new().prefix(&format!(".{app}.")).tempdir_in(dir)?;
        for (name, bytes) in files(app) {
            std::fs::write(tmp.path().join(name), bytes)?;
        }
        let tmp = tmp.keep();
        if let Err(e) = std::fs::rename(&tmp, &target) {
            let _ = std::fs::remove_dir_all(&tmp);
            // Another process unpacked it first.
            if target.join("dataset.toml").is_file() {
                continue;
            }
            return Err(e);
        }
        written.push(app.to_owned());
    }
    Ok(written)
}

/// `bytes` written beside `target`, then renamed over it (never a torn file).
pub(crate) fn write_atomic(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = target.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut f = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut f, bytes)?;
    f.persist(target).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_samples_are_built_in_and_unpack_once() {
        let apps = apps();
        assert!(apps.len() >= 12 && apps.contains(&"hdfs") && apps.contains(&"openssh"), "{apps:?}");
        assert!(FILES.iter().all(|(p, _)| !p.ends_with("_structured.csv")), "the ground truth stays out");
        let d = tempfile::tempdir().unwrap();
        // A folder of the user's is left alone.
        std::fs::create_dir(d.path().join("hdfs")).unwrap();
        std::fs::write(d.path().join("hdfs/notes.txt"), "mine").unwrap();
        let written = unpack_missing(d.path()).unwrap();
        assert_eq!(written.len(), apps.len() - 1, "{written:?}");
        assert!(!d.path().join("hdfs/dataset.toml").exists());
        assert!(d.path().join("LICENSE").is_file() && d.path().join("CITATION").is_file());
        let ds = crate::dataset::Dataset::load(d.path(), "openssh").unwrap();
        assert!(ds.log_path.as_ref().is_some_and(|p| p.is_file()), "{:?}", ds.log_path);
        assert!(unpack_missing(d.path()).unwrap().is_empty(), "a second run writes nothing");
        assert!(!std::fs::read_dir(d.path()).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with('.')), "no temp folders left");
    }
}
