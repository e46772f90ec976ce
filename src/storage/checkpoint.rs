//! Where indexing of an app's input stopped, so the next run reads only what
//! was appended: `checkpoint.json` (the input, the byte offset, hashes of the
//! head and of the last bytes read, line count, what shaped the run) and
//! `index_state.json.gz` (the saved passes, see [`crate::index::incremental`]),
//! paired by the state file's hash. Both are written atomically, after the
//! knowledge files and before the manifest: a run cut short leaves the old
//! pair, and the next run reads on from it again.
//!
//! [`Checkpoint::check`] compares the input with the checkpoint: unchanged,
//! grown, truncated (shorter than the offset) or rotated (the head or the
//! last bytes read differ: another file under the same name).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{AppStore, StorageError, read_json, write_json};

/// The checkpoint file in the app's folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.json";
/// The saved passes in the app's folder.
pub const STATE_FILE: &str = "index_state.json.gz";
/// Version of both files' shapes.
pub const CHECKPOINT_VERSION: u32 = 1;
/// Bytes of the input's head that are hashed.
pub const HEAD_BYTES: u64 = 64 << 10;
/// Bytes before the offset that are hashed (the end of what was read).
pub const TAIL_BYTES: u64 = 4 << 10;

/// Where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub schema_version: u32,
    /// The input: a canonical path.
    pub input_path: String,
    /// The dataset's hash and the options: another value means a rebuild.
    pub dataset_hash: String,
    pub options: String,
    /// Bytes of the input read, from its start.
    pub offset: u64,
    /// Lines read.
    pub lines: u64,
    /// xxh3 of the first `head_len` bytes (up to [`HEAD_BYTES`]).
    pub head_len: u64,
    pub head_hash: String,
    /// xxh3 of the `tail_len` bytes before `offset` (up to [`TAIL_BYTES`]).
    pub tail_len: u64,
    pub tail_hash: String,
    /// Whether the last byte read ended a line.
    pub ends_with_newline: bool,
    /// xxh3 of [`STATE_FILE`] as written with this checkpoint.
    pub state_hash: String,
    /// Runs that made this state (1 for a run from the start).
    pub runs: u64,
    /// RFC 3339.
    pub updated_at: String,
}

/// How the input compares with its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing new.
    Unchanged,
    /// `new_bytes` were appended after `from`.
    Grown { from: u64, new_bytes: u64 },
    /// The input is shorter than what was read.
    Truncated { size: u64, offset: u64 },
    /// The bytes read before are no longer there (another file under the same name).
    Rotated,
}

impl Verdict {
    /// A sentence for the user.
    pub fn describe(&self) -> String {
        match self {
            Verdict::Unchanged => "nothing new since the checkpoint".into(),
            Verdict::Grown { from, new_bytes } => format!("{new_bytes} new bytes after byte {from}"),
            Verdict::Truncated { size, offset } => {
                format!("the input was truncated ({size} bytes, {offset} were read before): indexing it from the start")
            }
            Verdict::Rotated => "the input was replaced or rotated (its first bytes changed): indexing it from the start".into(),
        }
    }
}

fn hash_range(f: &mut File, from: u64, len: u64) -> std::io::Result<u64> {
    f.seek(SeekFrom::Start(from))?;
    let mut buf = Vec::with_capacity(len.min(HEAD_BYTES) as usize);
    f.take(len).read_to_end(&mut buf)?;
    if buf.len() as u64 != len {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the input is shorter than expected"));
    }
    Ok(xxhash_rust::xxh3::xxh3_64(&buf))
}

/// The head and tail hashes of the first `offset` bytes of `path`, and whether byte `offset - 1` is a line end.
pub fn fingerprint(path: &Path, offset: u64) -> std::io::Result<(u64, u64, u64, u64, bool)> {
    let mut f = File::open(path)?;
    let head_len = offset.min(HEAD_BYTES);
    let tail_len = offset.min(TAIL_BYTES);
    let head = hash_range(&mut f, 0, head_len)?;
    let tail = hash_range(&mut f, offset - tail_len, tail_len)?;
    let mut last = [0u8; 1];
    let newline = offset == 0 || {
        f.seek(SeekFrom::Start(offset - 1))?;
        f.read_exact(&mut last)?;
        last[0] == b'\n'
    };
    Ok((head_len, head, tail_len, tail, newline))
}

impl Checkpoint {
    /// Compares the input at `path` with this checkpoint.
    pub fn check(&self, path: &Path) -> std::io::Result<Verdict> {
        let size = std::fs::metadata(path)?.len();
        if size < self.offset {
            return Ok(Verdict::Truncated { size, offset: self.offset });
        }
        let mut f = File::open(path)?;
        let head = hash_range(&mut f, 0, self.head_len)?;
        let tail = hash_range(&mut f, self.offset - self.tail_len.min(self.offset), self.tail_len.min(self.offset))?;
        if format!("{head:016x}") != self.head_hash || format!("{tail:016x}") != self.tail_hash {
            return Ok(Verdict::Rotated);
        }
        Ok(if size == self.offset { Verdict::Unchanged } else { Verdict::Grown { from: self.offset, new_bytes: size - self.offset } })
    }
}

impl AppStore {
    /// The checkpoint, if there is a readable one of this version.
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        read_json::<Checkpoint>(&self.path(CHECKPOINT_FILE)).ok().filter(|c| c.schema_version == CHECKPOINT_VERSION)
    }

    /// The saved state of `cp`, checked against its hash.
    pub fn load_state<T: DeserializeOwned>(&self, cp: &Checkpoint) -> Result<T, StorageError> {
        let path = self.path(STATE_FILE);
        let bytes = std::fs::read(&path).map_err(|source| StorageError::Read { path: path.clone(), source })?;
        if format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes)) != cp.state_hash {
            return Err(StorageError::Invalid { path, message: "it does not belong to checkpoint.json (another run wrote it)".into() });
        }
        // Inflated whole, then parsed from the slice: much faster than a reader.
        let mut json = Vec::with_capacity(bytes.len() * 4);
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut json)
            .map_err(|e| StorageError::Invalid { path: path.clone(), message: e.to_string() })?;
        serde_json::from_slice(&json).map_err(|e| StorageError::Invalid { path, message: e.to_string() })
    }

    /// Writes the state, then the checkpoint pointing at it (`cp.state_hash` is set here).
    pub fn write_checkpoint<T: Serialize>(&self, mut cp: Checkpoint, state: &T) -> Result<(), StorageError> {
        let path = self.path(STATE_FILE);
        let err = |source| StorageError::Write { path: path.clone(), source };
        // JSON into memory first: the encoder pays a set-up for every write,
        // and serde writes a few bytes at a time.
        let json = serde_json::to_vec(state).map_err(|e| err(std::io::Error::other(e)))?;
        let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(json.len() / 4), flate2::Compression::fast());
        enc.write_all(&json).map_err(err)?;
        let bytes = enc.finish().map_err(err)?;
        cp.state_hash = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes));
        let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(self.dir()).map_err(err)?;
        tmp.write_all(&bytes).map_err(err)?;
        tmp.as_file().sync_all().map_err(err)?;
        tmp.persist(&path).map_err(|e| err(e.error))?;
        write_json(&self.path(CHECKPOINT_FILE), &cp)
    }

    /// Removes the checkpoint (the state file is then unpaired and ignored).
    pub fn remove_checkpoint(&self) {
        let _ = std::fs::remove_file(self.path(CHECKPOINT_FILE));
        let _ = std::fs::remove_file(self.path(STATE_FILE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp_for(path: &Path, offset: u64) -> Checkpoint {
        let (head_len, head, tail_len, tail, nl) = fingerprint(path, offset).unwrap();
        Checkpoint {
            schema_version: CHECKPOINT_VERSION,
            input_path: path.display().to_string(),
            dataset_hash: "d".into(),
            options: "o".into(),
            offset,
            lines: 2,
            head_len,
            head_hash: format!("{head:016x}"),
            tail_len,
            tail_hash: format!("{tail:016x}"),
            ends_with_newline: nl,
            state_hash: String::new(),
            runs: 1,
            updated_at: String::new(),
        }
    }

    #[test]
    fn grown_truncated_rotated() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        std::fs::write(&p, "one\ntwo\n").unwrap();
        let cp = cp_for(&p, 8);
        assert!(cp.ends_with_newline);
        assert_eq!(cp.check(&p).unwrap(), Verdict::Unchanged);
        std::fs::write(&p, "one\ntwo\nthree\n").unwrap();
        assert_eq!(cp.check(&p).unwrap(), Verdict::Grown { from: 8, new_bytes: 6 });
        std::fs::write(&p, "one\n").unwrap();
        assert_eq!(cp.check(&p).unwrap(), Verdict::Truncated { size: 4, offset: 8 });
        std::fs::write(&p, "ONE\ntwo\nthree\n").unwrap();
        assert_eq!(cp.check(&p).unwrap(), Verdict::Rotated);
        std::fs::write(&p, "one\ntwX\nthree\n").unwrap();
        assert_eq!(cp.check(&p).unwrap(), Verdict::Rotated, "the last bytes read changed");
    }

    #[test]
    fn state_round_trip_and_pairing() {
        let d = tempfile::tempdir().unwrap();
        let store = AppStore::new(d.path(), "x");
        store.prepare().unwrap();
        let p = d.path().join("a.log");
        std::fs::write(&p, "one\ntwo\n").unwrap();
        store.write_checkpoint(cp_for(&p, 8), &vec![1u32, 2, 3]).unwrap();
        let cp = store.checkpoint().unwrap();
        assert_eq!(store.load_state::<Vec<u32>>(&cp).unwrap(), [1, 2, 3]);
        // A state written by another run does not pair with this checkpoint.
        let mut other = cp.clone();
        other.state_hash = "0".into();
        assert!(store.load_state::<Vec<u32>>(&other).is_err());
        let names: Vec<_> = std::fs::read_dir(store.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temp files: {names:?}");
        store.remove_checkpoint();
        assert!(store.checkpoint().is_none());
    }
}
