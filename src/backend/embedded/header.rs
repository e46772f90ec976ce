//! A line's header fields and timestamp, as the dataset's format reads them
//! (the indexer's `LineParser` without the level normalisation the engine
//! does not need).

use crate::dataset::timestamp::CachedParser;
use crate::dataset::{Dataset, FieldSpans};

/// Parses headers of one dataset; keeps the last stamp text cached.
pub struct Header<'a> {
    ds: &'a Dataset,
    ts: Option<CachedParser>,
    /// Field spans, relative to the trimmed line.
    pub spans: FieldSpans,
    /// Whether the line fits the format.
    pub fit: bool,
    /// Offset of the trimmed line in the raw line.
    pub trim: usize,
    /// The stamp (before year roll-over), when the line has one.
    pub stamp: Option<i64>,
}

impl<'a> Header<'a> {
    pub fn new(ds: &'a Dataset) -> Self {
        Self { ds, ts: ds.timestamp.clone().map(CachedParser::new), spans: FieldSpans::default(), fit: false, trim: 0, stamp: None }
    }

    pub fn parse(&mut self, text: &str) {
        let start = text.len() - text.trim_start().len();
        let end = text.trim_end().len().max(start);
        let trimmed = &text[start..end];
        self.trim = start;
        self.stamp = None;
        self.fit = self.ds.header.match_line(trimmed, &mut self.spans);
        if !self.fit {
            return;
        }
        if let Some(tp) = &mut self.ts {
            let spans = self.spans.as_slice();
            self.stamp = tp.parse(|i| spans.get(i).map_or("", |&(a, b)| trimmed.get(a as usize..b as usize).unwrap_or("")));
        }
    }

    /// Field `i` of the line last parsed ("" when it did not fit).
    pub fn field<'t>(&self, text: &'t str, i: usize) -> &'t str {
        if !self.fit {
            return "";
        }
        match self.spans.as_slice().get(i) {
            Some(&(a, b)) => text.get(self.trim + a as usize..self.trim + b as usize).unwrap_or(""),
            None => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_stamp() {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets");
        let ds = Dataset::load(&dir, "hdfs").unwrap();
        let mut h = Header::new(&ds);
        let line = "081111 101316 29 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock";
        h.parse(line);
        assert!(h.fit);
        assert_eq!(h.stamp, Some(1_226_398_396_000_000_000));
        assert_eq!(h.field(line, 3), "INFO");
        h.parse("not a header");
        assert!(!h.fit);
        assert_eq!(h.field("not a header", 3), "");
    }
}
