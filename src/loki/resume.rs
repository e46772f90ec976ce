//! The resume point of a push: a small JSON file holding how many entries of
//! an input (identified by a fingerprint) Loki has acknowledged, replaced
//! atomically (temp file in the same folder, synced, renamed over it).

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::push::PushError;

/// The resume point on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ResumeState {
    pub version: u32,
    /// 16 hex digits (a u64 would lose precision in some JSON readers).
    pub fingerprint: String,
    /// Entries of the input already acknowledged by Loki, from its start.
    pub pushed: u64,
}

pub(crate) const STATE_VERSION: u32 = 1;

pub(crate) fn read_state(path: &Path) -> Result<Option<ResumeState>, PushError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(state_error(path, format!("cannot read it: {e}"))),
    };
    let state: ResumeState = serde_json::from_str(&text).map_err(|e| {
        state_error(
            path,
            format!("it is not a logcopilot push state ({e}); delete it to push from the start"),
        )
    })?;
    if state.version != STATE_VERSION {
        return Err(state_error(
            path,
            format!(
                "unknown version {}; delete it to push from the start",
                state.version
            ),
        ));
    }
    Ok(Some(state))
}

/// Replaces the state file atomically: a temp file in the same folder, synced,
/// then renamed over it.
pub(crate) fn write_state(path: &Path, state: &ResumeState) -> Result<(), PushError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail =
        |what: &str, e: &dyn std::fmt::Display| state_error(path, format!("cannot {what}: {e}"));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| fail("create a temp file beside it", &e))?;
    let json = serde_json::to_vec_pretty(state).map_err(|e| fail("encode it", &e))?;
    tmp.write_all(&json).map_err(|e| fail("write it", &e))?;
    tmp.as_file().sync_all().map_err(|e| fail("sync it", &e))?;
    tmp.persist(path)
        .map_err(|e| fail("rename it into place", &e.error))?;
    Ok(())
}

fn state_error(path: &Path, message: String) -> PushError {
    PushError::State {
        path: path.to_path_buf(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_is_replaced_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("load.state.json");
        assert_eq!(read_state(&path).unwrap(), None);
        let s = ResumeState {
            version: 1,
            fingerprint: format!("{:016x}", u64::MAX),
            pushed: 42,
        };
        write_state(&path, &s).unwrap();
        write_state(
            &path,
            &ResumeState {
                pushed: 43,
                ..s.clone()
            },
        )
        .unwrap();
        assert_eq!(read_state(&path).unwrap().unwrap().pushed, 43);
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temp files left behind");
        std::fs::write(&path, "{garbage").unwrap();
        let e = read_state(&path).unwrap_err().to_string();
        assert!(
            e.contains("load.state.json") && e.contains("delete it"),
            "{e}"
        );
    }
}
