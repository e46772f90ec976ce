//! The reply cache of the LLM phases: `storage/<app>/cache/<name>.jsonl`, one
//! JSON object per line (`{"key": ..., "value": ...}`), appended and synced to
//! disk as each item finishes, so a run that stops (a crash, Ctrl-C, an
//! endpoint that goes away) never asks for a finished item again. Each record
//! is one `write` of a whole line; a line cut short by a crash is dropped (and
//! cut off the file) when the cache is opened.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::StorageError;

#[derive(Serialize, Deserialize)]
struct Record {
    key: String,
    value: Value,
}

/// An append-only key -> JSON map on disk.
#[derive(Debug)]
pub struct ReplyCache {
    path: PathBuf,
    file: File,
    map: HashMap<String, Value>,
    /// Lines that did not parse (a torn last line, or damage).
    skipped: usize,
}

impl ReplyCache {
    /// Opens (creating) the cache at `path`; a torn last line is cut off.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let err = |source| StorageError::Write { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StorageError::CreateDir { path: dir.to_path_buf(), source })?;
        }
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(path).map_err(err)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|source| StorageError::Read { path: path.to_path_buf(), source })?;
        let mut map = HashMap::new();
        let mut skipped = 0;
        let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        for line in bytes.get(..whole).unwrap_or(&[]).split(|&b| b == b'\n') {
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice::<Record>(line) {
                Ok(r) => {
                    map.insert(r.key, r.value);
                }
                Err(_) => skipped += 1,
            }
        }
        if whole < bytes.len() {
            // A record cut short by a crash: drop it so the next one starts on a fresh line.
            skipped += 1;
            file.set_len(whole as u64).map_err(err)?;
            file.seek(SeekFrom::End(0)).map_err(err)?;
        }
        Ok(Self { path: path.to_path_buf(), file, map, skipped })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Lines dropped when opening.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Appends records in one write and syncs them to disk.
    pub fn put_all(&mut self, records: Vec<(String, Value)>) -> Result<(), StorageError> {
        if records.is_empty() {
            return Ok(());
        }
        let err = |source| StorageError::Write { path: self.path.clone(), source };
        let mut buf = Vec::new();
        for (key, value) in &records {
            let r = Record { key: key.clone(), value: value.clone() };
            serde_json::to_writer(&mut buf, &r).map_err(|e| err(std::io::Error::other(e)))?;
            buf.push(b'\n');
        }
        self.file.write_all(&buf).map_err(err)?;
        self.file.sync_data().map_err(err)?;
        for (key, value) in records {
            self.map.insert(key, value);
        }
        Ok(())
    }

    pub fn put(&mut self, key: String, value: Value) -> Result<(), StorageError> {
        self.put_all(vec![(key, value)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn survives_reopen_and_a_torn_last_line() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("cache/x.jsonl");
        let mut c = ReplyCache::open(&p).unwrap();
        assert!(c.is_empty());
        c.put("a".into(), json!({"s": 1})).unwrap();
        c.put_all(vec![("b".into(), json!([1.5, 2])), ("c".into(), json!("x"))]).unwrap();
        drop(c);
        // A crash in the middle of a write leaves half a line.
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(br#"{"key":"d","val"#).unwrap();
        drop(f);
        let mut c = ReplyCache::open(&p).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c.skipped(), 1);
        assert_eq!(c.get("b"), Some(&json!([1.5, 2])));
        assert!(!c.contains("d"));
        c.put("d".into(), json!(4)).unwrap();
        drop(c);
        let c = ReplyCache::open(&p).unwrap();
        assert_eq!((c.len(), c.skipped()), (4, 0));
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.ends_with('\n') && text.lines().count() == 4, "{text}");
    }
}
