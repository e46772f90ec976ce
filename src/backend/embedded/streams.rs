//! Streams of one source as a worker meets them: the label set a line's
//! header fields give (`app` plus the dataset's label fields), and what each
//! query leaf decided about it, computed once per distinct label set.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHasher};

use crate::logql::value::Labels;

/// One distinct label set.
#[derive(Debug)]
pub struct StreamInfo {
    /// Sorted by name.
    pub labels: Vec<(String, String)>,
    pub labels_map: Arc<Labels>,
    /// Whether each leaf's stream selector matches.
    pub leaf_ok: Vec<bool>,
    /// Per leaf: the series index in its accumulator when the series depends
    /// on the stream alone (no pipeline stages).
    pub series: Vec<u32>,
    /// Seen with a line in the metadata range.
    pub seen: bool,
}

pub const NO_SERIES: u32 = u32::MAX;

/// The streams of one source in one worker.
#[derive(Debug, Default)]
pub struct StreamTable {
    by_hash: FxHashMap<u64, Vec<u32>>,
    pub streams: Vec<StreamInfo>,
    values: Vec<Vec<String>>,
    unfit: Option<u32>,
    /// The stream found last (consecutive lines mostly share it).
    last: Option<u32>,
}

impl StreamTable {
    /// The stream of the given label field values (one per dataset label,
    /// in the dataset's order); `make` builds a new one.
    pub fn lookup(&mut self, values: &[&str], make: impl FnOnce(&[&str]) -> StreamInfo) -> u32 {
        if let Some(id) = self.last {
            if self.values[id as usize].iter().map(String::as_str).eq(values.iter().copied()) {
                return id;
            }
        }
        let id = self.lookup_hashed(values, make);
        self.last = Some(id);
        id
    }

    fn lookup_hashed(&mut self, values: &[&str], make: impl FnOnce(&[&str]) -> StreamInfo) -> u32 {
        let mut h = FxHasher::default();
        for v in values {
            v.hash(&mut h);
        }
        let key = h.finish();
        if let Some(ids) = self.by_hash.get(&key) {
            for &id in ids {
                if self.values[id as usize].iter().map(String::as_str).eq(values.iter().copied()) {
                    return id;
                }
            }
        }
        let id = self.streams.len() as u32;
        self.streams.push(make(values));
        self.values.push(values.iter().map(|s| s.to_string()).collect());
        self.by_hash.entry(key).or_default().push(id);
        id
    }

    /// The stream of lines that do not fit the header (only `app`).
    pub fn unfit(&mut self, make: impl FnOnce() -> StreamInfo) -> u32 {
        if let Some(id) = self.unfit {
            return id;
        }
        let id = self.streams.len() as u32;
        self.streams.push(make());
        self.values.push(Vec::new());
        self.unfit = Some(id);
        id
    }

    pub fn get_mut(&mut self, id: u32) -> &mut StreamInfo {
        &mut self.streams[id as usize]
    }
}

/// Builds a stream's sorted labels from `app` and (label, value) pairs;
/// empty values are left out, as Loki drops empty labels at push.
pub fn stream_labels(app: &str, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![("app".to_string(), app.to_string())];
    for (n, v) in pairs {
        if v.is_empty() || *n == "app" || out.iter().any(|(o, _)| o == n) {
            continue;
        }
        out.push((n.to_string(), v.to_string()));
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(labels: Vec<(String, String)>) -> StreamInfo {
        let map = labels.iter().cloned().collect();
        StreamInfo { labels, labels_map: Arc::new(map), leaf_ok: vec![], series: vec![], seen: false }
    }

    #[test]
    fn one_stream_per_label_set() {
        let mut t = StreamTable::default();
        let a = t.lookup(&["INFO", "dfs.X"], |v| info(stream_labels("hdfs", &[("level", v[0]), ("component", v[1])])));
        let b = t.lookup(&["WARN", "dfs.X"], |v| info(stream_labels("hdfs", &[("level", v[0]), ("component", v[1])])));
        let a2 = t.lookup(&["INFO", "dfs.X"], |_| unreachable!());
        assert_eq!(a, a2);
        assert_ne!(a, b);
        assert_eq!(t.get_mut(a).labels[0].0, "app");
        let u = t.unfit(|| info(stream_labels("hdfs", &[])));
        assert_eq!(t.unfit(|| unreachable!()), u);
        assert_eq!(stream_labels("x", &[("level", ""), ("app", "y")]).len(), 1);
    }
}
