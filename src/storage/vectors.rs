//! Embedding vectors on disk: `storage/<app>/<kind>_embeddings_<model>.parquet`,
//! one row per document with the arrow schema
//! `id: Utf8, kind: Utf8, text: Utf8, vector: FixedSizeList<Float32>[dims], model: Utf8, dims: Int32`
//! (snappy-compressed; the schema metadata holds `model`, `dims` and
//! `schema_version`). Written to a temp file in the same folder, synced, then
//! renamed: a reader never sees a torn file. [`read_vectors`] loads one into a
//! row-major matrix for dense search.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, ArrayRef, FixedSizeListArray, Float32Array, Int32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::{SCHEMA_VERSION, StorageError};

/// One document and its vector.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorRow {
    pub id: String,
    pub kind: String,
    pub text: String,
    pub vector: Vec<f32>,
}

/// A file's vectors, as a row-major matrix.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VectorTable {
    pub model: String,
    pub dims: usize,
    pub ids: Vec<String>,
    pub kinds: Vec<String>,
    pub texts: Vec<String>,
    /// `ids.len() * dims` values.
    pub data: Vec<f32>,
}

impl VectorTable {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Row `i`'s vector.
    pub fn vector(&self, i: usize) -> Option<&[f32]> {
        self.data.get(i * self.dims..(i + 1) * self.dims)
    }
}

/// The arrow schema of a vectors file.
pub fn schema(model: &str, dims: usize) -> Schema {
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    let meta: HashMap<String, String> = [
        ("model".to_owned(), model.to_owned()),
        ("dims".to_owned(), dims.to_string()),
        ("schema_version".to_owned(), SCHEMA_VERSION.to_string()),
    ]
    .into();
    Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("text", DataType::Utf8, false),
        Field::new("vector", DataType::FixedSizeList(item, dims as i32), false),
        Field::new("model", DataType::Utf8, false),
        Field::new("dims", DataType::Int32, false),
    ])
    .with_metadata(meta)
}

/// Rows buffered before a record batch is written.
const BATCH_ROWS: usize = 4096;

/// Writes a vectors file row by row (in record batches of [`BATCH_ROWS`]) to a
/// temp file; [`VectorWriter::finish`] syncs it and renames it into place.
/// Dropped without `finish`, it leaves nothing behind.
pub struct VectorWriter {
    path: std::path::PathBuf,
    model: String,
    dims: usize,
    dims_i32: i32,
    schema: Arc<Schema>,
    tmp: tempfile::NamedTempFile,
    writer: ArrowWriter<File>,
    buf: Vec<VectorRow>,
    rows: usize,
}

impl VectorWriter {
    pub fn create(path: &Path, model: &str, dims: usize) -> Result<Self, StorageError> {
        let invalid = |message: String| StorageError::Invalid { path: path.to_path_buf(), message };
        let err = |source| StorageError::Write { path: path.to_path_buf(), source };
        let dims_i32 = i32::try_from(dims).map_err(|_| invalid(format!("{dims} dimensions")))?;
        let schema = Arc::new(schema(model, dims));
        let dir = path.parent().unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new().prefix(".tmp-").suffix(".parquet").tempfile_in(dir).map_err(err)?;
        let file = tmp.as_file().try_clone().map_err(err)?;
        let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| err(std::io::Error::other(e)))?;
        Ok(Self {
            path: path.to_path_buf(),
            model: model.to_owned(),
            dims,
            dims_i32,
            schema,
            tmp,
            writer,
            buf: Vec::with_capacity(BATCH_ROWS.min(1024)),
            rows: 0,
        })
    }

    /// Adds a row; its vector must have the file's dimension.
    pub fn push(&mut self, row: VectorRow) -> Result<(), StorageError> {
        if row.vector.len() != self.dims {
            return Err(StorageError::Invalid {
                path: self.path.clone(),
                message: format!("vector of {} has {} values, not {}", row.id, row.vector.len(), self.dims),
            });
        }
        self.buf.push(row);
        if self.buf.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StorageError> {
        let invalid = |message: String| StorageError::Invalid { path: self.path.clone(), message };
        let rows = std::mem::take(&mut self.buf);
        let n = rows.len();
        let item = Arc::new(Field::new("item", DataType::Float32, false));
        let values: Vec<f32> = rows.iter().flat_map(|r| r.vector.iter().copied()).collect();
        let vector = FixedSizeListArray::try_new(item, self.dims_i32, Arc::new(Float32Array::from(values)), None)
            .map_err(|e| invalid(e.to_string()))?;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.id.as_str()))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.kind.as_str()))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.text.as_str()))),
            Arc::new(vector),
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n(self.model.as_str(), n))),
            Arc::new(Int32Array::from(vec![self.dims_i32; n])),
        ];
        let batch = RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| invalid(e.to_string()))?;
        self.writer.write(&batch).map_err(|e| StorageError::Write { path: self.path.clone(), source: std::io::Error::other(e) })?;
        self.rows += n;
        Ok(())
    }

    /// Writes what is left, syncs and renames the file into place; the rows written.
    pub fn finish(mut self) -> Result<usize, StorageError> {
        if !self.buf.is_empty() {
            self.flush()?;
        }
        let path = self.path.clone();
        let err = |source| StorageError::Write { path: path.clone(), source };
        self.writer.close().map_err(|e| err(std::io::Error::other(e)))?;
        self.tmp.as_file().sync_all().map_err(err)?;
        self.tmp.persist(&path).map_err(|e| err(e.error))?;
        Ok(self.rows)
    }
}

/// Writes `rows` (all of `dims` values) to `path` atomically.
pub fn write_vectors(path: &Path, model: &str, dims: usize, rows: &[VectorRow]) -> Result<(), StorageError> {
    let mut w = VectorWriter::create(path, model, dims)?;
    for r in rows {
        w.push(r.clone())?;
    }
    w.finish().map(|_| ())
}

/// Reads a vectors file written by [`write_vectors`] (or any file of that schema).
pub fn read_vectors(path: &Path) -> Result<VectorTable, StorageError> {
    let invalid = |message: String| StorageError::Invalid { path: path.to_path_buf(), message };
    let file = File::open(path).map_err(|source| StorageError::Read { path: path.to_path_buf(), source })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| invalid(e.to_string()))?;
    let meta = builder.schema().metadata().clone();
    let mut t = VectorTable { model: meta.get("model").cloned().unwrap_or_default(), ..Default::default() };
    let dims_field = builder.schema().field_with_name("vector").map(|f| f.data_type().clone());
    t.dims = match dims_field {
        Ok(DataType::FixedSizeList(_, n)) => usize::try_from(n).map_err(|_| invalid(format!("vector size {n}")))?,
        Ok(other) => return Err(invalid(format!("vector is {other}, not a FixedSizeList<Float32>"))),
        Err(e) => return Err(invalid(e.to_string())),
    };
    let reader = builder.build().map_err(|e| invalid(e.to_string()))?;
    for batch in reader {
        let batch = batch.map_err(|e| invalid(e.to_string()))?;
        let string = |name: &str| -> Result<Vec<String>, StorageError> {
            let col = batch.column_by_name(name).ok_or_else(|| invalid(format!("no column {name}")))?;
            let a = col.as_string_opt::<i32>().ok_or_else(|| invalid(format!("column {name} is not text")))?;
            Ok(a.iter().map(|s| s.unwrap_or_default().to_owned()).collect())
        };
        t.ids.extend(string("id")?);
        t.kinds.extend(string("kind")?);
        t.texts.extend(string("text")?);
        let col = batch.column_by_name("vector").ok_or_else(|| invalid("no column vector".into()))?;
        let list = col.as_fixed_size_list_opt().ok_or_else(|| invalid("vector is not a fixed-size list".into()))?;
        let values = list.values().as_primitive_opt::<Float32Type>().ok_or_else(|| invalid("vector values are not Float32".into()))?;
        let start = list.offset() * t.dims;
        let slice = values.values().get(start..start + list.len() * t.dims).ok_or_else(|| invalid("short vector data".into()))?;
        t.data.extend_from_slice(slice);
    }
    if t.data.len() != t.ids.len() * t.dims {
        return Err(invalid(format!("{} values for {} rows of {}", t.data.len(), t.ids.len(), t.dims)));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_record_batches_and_no_file_without_finish() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("v.parquet");
        let mut w = VectorWriter::create(&p, "m", 2).unwrap();
        for i in 0..BATCH_ROWS + 10 {
            w.push(VectorRow { id: i.to_string(), kind: "parameter".into(), text: String::new(), vector: vec![i as f32, 1.0] })
                .unwrap();
        }
        assert_eq!(w.finish().unwrap(), BATCH_ROWS + 10);
        let t = read_vectors(&p).unwrap();
        assert_eq!(t.len(), BATCH_ROWS + 10);
        assert_eq!(t.vector(BATCH_ROWS + 5), Some(&[(BATCH_ROWS + 5) as f32, 1.0][..]));
        assert_eq!(t.ids[BATCH_ROWS + 9], (BATCH_ROWS + 9).to_string());

        let q = d.path().join("never.parquet");
        let mut w = VectorWriter::create(&q, "m", 2).unwrap();
        w.push(VectorRow { id: "a".into(), kind: "k".into(), text: String::new(), vector: vec![0.0, 0.0] }).unwrap();
        drop(w);
        assert!(!q.exists());
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1, "only v.parquet");
    }

    #[test]
    fn round_trip_through_parquet() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("templates_embeddings_m.parquet");
        let rows: Vec<VectorRow> = (0..5)
            .map(|i| VectorRow { id: format!("E{i}"), kind: "template".into(), text: format!("text {i}"), vector: vec![i as f32, 0.5, -1.0] })
            .collect();
        write_vectors(&p, "BAAI/bge-m3", 3, &rows).unwrap();
        let t = read_vectors(&p).unwrap();
        assert_eq!((t.model.as_str(), t.dims, t.len()), ("BAAI/bge-m3", 3, 5));
        assert_eq!(t.ids[4], "E4");
        assert_eq!(t.texts[2], "text 2");
        assert_eq!(t.vector(3), Some(&[3.0, 0.5, -1.0][..]));
        assert_eq!(t.vector(5), None);
        let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "no temp file left: {names:?}");
        assert!(write_vectors(&p, "m", 2, &rows).is_err());
        write_vectors(&p, "m", 4, &[]).unwrap();
        assert_eq!(read_vectors(&p).unwrap().dims, 4);
        std::fs::write(&p, b"not parquet").unwrap();
        assert!(matches!(read_vectors(&p), Err(StorageError::Invalid { .. })));
    }
}
