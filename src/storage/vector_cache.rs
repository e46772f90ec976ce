//! The embedding cache: `storage/<app>/cache/embeddings_<model>.bin`, an
//! append-only log of vectors so an interrupted `embed` phase resumes. Each
//! record is `key (16 bytes) | dims (u32 LE) | dims x f32 LE | xxh3-64 of all
//! that (u64 LE)`, appended in one write and synced as each batch arrives.
//! Only keys and offsets are kept in memory; vectors are read back when the
//! Parquet files are written. A record cut short or damaged by a crash ends the
//! log: it is cut off when the cache is opened.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::StorageError;

const HEADER: usize = 16 + 4;
/// No vector is longer than this (the largest models use 4,096).
const MAX_DIMS: usize = 1 << 16;

/// An append-only key -> vector map on disk.
#[derive(Debug)]
pub struct VectorCache {
    path: PathBuf,
    file: File,
    /// Key -> (offset of the values, dims).
    index: HashMap<u128, (u64, usize)>,
    end: u64,
    dropped_bytes: u64,
}

fn checksum(key: u128, dims: u32, values: &[u8]) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&key.to_le_bytes());
    h.update(&dims.to_le_bytes());
    h.update(values);
    h.digest()
}

impl VectorCache {
    /// Opens (creating) the cache; a torn or damaged tail is cut off.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let werr = |source| StorageError::Write { path: path.to_path_buf(), source };
        let rerr = |source| StorageError::Read { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StorageError::CreateDir { path: dir.to_path_buf(), source })?;
        }
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(werr)?;
        let len = file.metadata().map_err(rerr)?.len();
        let mut index = HashMap::new();
        let mut at = 0u64;
        {
            let mut r = BufReader::with_capacity(1 << 20, &mut file);
            let mut head = [0u8; HEADER];
            let mut values = Vec::new();
            let mut sum = [0u8; 8];
            loop {
                if r.read_exact(&mut head).is_err() {
                    break;
                }
                let key = u128::from_le_bytes(head[..16].try_into().unwrap_or([0; 16]));
                let dims = u32::from_le_bytes(head[16..].try_into().unwrap_or([0; 4]));
                if dims as usize > MAX_DIMS {
                    break;
                }
                values.resize(dims as usize * 4, 0);
                if r.read_exact(&mut values).is_err() || r.read_exact(&mut sum).is_err() {
                    break;
                }
                if u64::from_le_bytes(sum) != checksum(key, dims, &values) {
                    break;
                }
                index.insert(key, (at + HEADER as u64, dims as usize));
                at += (HEADER + values.len() + 8) as u64;
            }
        }
        if at < len {
            file.set_len(at).map_err(werr)?;
        }
        Ok(Self { path: path.to_path_buf(), file, index, end: at, dropped_bytes: len - at })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn contains(&self, key: u128) -> bool {
        self.index.contains_key(&key)
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Bytes cut off when opening (a torn last record).
    pub fn dropped_bytes(&self) -> u64 {
        self.dropped_bytes
    }

    /// The dimension of `key`'s vector.
    pub fn dims(&self, key: u128) -> Option<usize> {
        self.index.get(&key).map(|e| e.1)
    }

    /// Reads `key`'s vector from disk.
    pub fn get(&mut self, key: u128) -> Result<Option<Vec<f32>>, StorageError> {
        let Some(&(offset, dims)) = self.index.get(&key) else { return Ok(None) };
        let rerr = |source| StorageError::Read { path: self.path.clone(), source };
        let mut buf = vec![0u8; dims * 4];
        self.file.seek(SeekFrom::Start(offset)).map_err(rerr)?;
        self.file.read_exact(&mut buf).map_err(rerr)?;
        Ok(Some(buf.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()))
    }

    /// Appends vectors in one write and syncs them to disk.
    pub fn put_all(&mut self, records: &[(u128, Vec<f32>)]) -> Result<(), StorageError> {
        if records.is_empty() {
            return Ok(());
        }
        let werr = |source| StorageError::Write { path: self.path.clone(), source };
        let mut buf = Vec::new();
        let mut entries = Vec::with_capacity(records.len());
        for (key, v) in records {
            if v.len() > MAX_DIMS {
                return Err(StorageError::Invalid { path: self.path.clone(), message: format!("a vector of {} dimensions", v.len()) });
            }
            let dims = v.len() as u32;
            let start = buf.len();
            buf.extend_from_slice(&key.to_le_bytes());
            buf.extend_from_slice(&dims.to_le_bytes());
            for x in v {
                buf.extend_from_slice(&x.to_le_bytes());
            }
            let sum = checksum(*key, dims, &buf[start + HEADER..]);
            buf.extend_from_slice(&sum.to_le_bytes());
            entries.push((*key, (self.end + (start + HEADER) as u64, v.len())));
        }
        self.file.seek(SeekFrom::Start(self.end)).map_err(werr)?;
        self.file.write_all(&buf).map_err(werr)?;
        self.file.sync_data().map_err(werr)?;
        self.end += buf.len() as u64;
        self.index.extend(entries);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_survive_reopen_and_a_torn_tail() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("cache/e.bin");
        let mut c = VectorCache::open(&p).unwrap();
        c.put_all(&[(1, vec![1.0, 2.0]), (2, vec![-0.5, 0.25])]).unwrap();
        c.put_all(&[(3, vec![9.0; 3])]).unwrap();
        assert_eq!(c.get(2).unwrap(), Some(vec![-0.5, 0.25]));
        drop(c);
        let whole = std::fs::metadata(&p).unwrap().len();
        // A crash in the middle of the next write.
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(&[7u8; 30]).unwrap();
        drop(f);
        let mut c = VectorCache::open(&p).unwrap();
        assert_eq!((c.len(), c.dropped_bytes()), (3, 30));
        assert_eq!(std::fs::metadata(&p).unwrap().len(), whole);
        assert_eq!(c.get(3).unwrap(), Some(vec![9.0; 3]));
        assert_eq!(c.dims(1), Some(2));
        assert_eq!(c.get(4).unwrap(), None);
        c.put_all(&[(4, vec![4.0])]).unwrap();
        drop(c);
        // A flipped byte inside a record: that record and what follows are dropped.
        let mut bytes = std::fs::read(&p).unwrap();
        let last = bytes.len() - 10;
        bytes[last] ^= 0xff;
        std::fs::write(&p, &bytes).unwrap();
        let mut c = VectorCache::open(&p).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c.get(1).unwrap(), Some(vec![1.0, 2.0]));
    }
}
