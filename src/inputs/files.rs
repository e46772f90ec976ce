//! Which files a user's inputs are: folders expanded to their log-like
//! files, rotated sets oldest first, binary files told apart; and reading
//! them (gzip or plain).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::{InputError, io};

/// Files of `inputs`, folders expanded; skipped ones go to `notes`.
pub(super) fn expand(inputs: &[PathBuf], max_files: usize, notes: &mut Vec<String>) -> Result<Vec<PathBuf>, InputError> {
    let mut files = Vec::new();
    for p in inputs {
        let meta = std::fs::metadata(p).map_err(|_| InputError::Missing(p.clone()))?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p).map_err(io(p))?.flatten().map(|e| e.path()).filter(|f| f.is_file() && log_like(f)).collect();
            if found.is_empty() {
                return Err(InputError::EmptyFolder(p.clone()));
            }
            found = in_time_order(found);
            if found.len() > max_files {
                let rest: Vec<String> = found.split_off(max_files).iter().map(|f| file_name(f)).collect();
                let shown = rest.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
                let more = if rest.len() > 10 { format!(" and {} more", rest.len() - 10) } else { String::new() };
                notes.push(format!("{} of {} files opened (input.max_files); left out: {shown}{more}", max_files, max_files + rest.len()));
            }
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    let mut kept = Vec::new();
    for f in in_time_order(files) {
        match is_binary(&f) {
            Ok(false) => kept.push(std::fs::canonicalize(&f).unwrap_or(f)),
            Ok(true) => notes.push(format!("{} is a binary file: left out", f.display())),
            Err(e) => return Err(InputError::Io { path: f, source: e }),
        }
    }
    if kept.is_empty() {
        return Err(InputError::AllBinary(inputs[0].clone()));
    }
    Ok(kept)
}

pub(super) fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A file name a log has: `.log`, `.txt`, `.out`, `.err`, `.json(l)`, a
/// rotation number, gzip, or no extension; not hidden.
pub(super) fn log_like(p: &Path) -> bool {
    let name = file_name(p).to_ascii_lowercase();
    if name.starts_with('.') {
        return false;
    }
    let (stem, _) = rotation(&name);
    let ext = Path::new(stem).extension().map(|e| e.to_string_lossy().into_owned());
    match ext.as_deref() {
        None => true,
        Some(e) => {
            ["log", "txt", "out", "err", "json", "jsonl", "ndjson", "csv", "tsv", "logfmt", "syslog"].contains(&e) || e.chars().all(|c| c.is_ascii_digit())
        }
    }
}

/// `x.log.2.gz` → (`x.log`, 2); `x.log` → (`x.log`, 0).
pub(super) fn rotation(name: &str) -> (&str, u32) {
    let name = name.strip_suffix(".gz").unwrap_or(name);
    match name.rsplit_once('.') {
        Some((stem, n)) if !n.is_empty() && n.len() <= 4 && n.chars().all(|c| c.is_ascii_digit()) => (stem, n.parse().unwrap_or(0)),
        _ => (name, 0),
    }
}

/// A rotated set oldest first (`x.log.3`, `x.log.2.gz`, `x.log.1`, `x.log`),
/// other files by name.
pub(super) fn in_time_order(mut files: Vec<PathBuf>) -> Vec<PathBuf> {
    files.sort_by(|a, b| {
        let (na, nb) = (file_name(a), file_name(b));
        let ((sa, ra), (sb, rb)) = (rotation(&na), rotation(&nb));
        (a.parent(), sa).cmp(&(b.parent(), sb)).then(rb.cmp(&ra))
    });
    files
}

/// A NUL byte in the first 8 KiB (after gunzip).
pub(super) fn is_binary(p: &Path) -> std::io::Result<bool> {
    // Read to 8 KiB: one `read` may stop short (the sniffed bytes come first).
    let mut head = Vec::with_capacity(8192);
    reader(p)?.take(8192).read_to_end(&mut head)?;
    Ok(head.contains(&0))
}

/// The file's bytes, gunzipped when it starts with gzip's magic.
pub(super) fn reader(p: &Path) -> std::io::Result<Box<dyn Read>> {
    Ok(crate::logs::reader::decoded(File::open(p)?)?.0)
}

/// The first `n` non-blank lines of a file.
pub(super) fn head_lines(p: &Path, n: usize) -> Vec<String> {
    let Ok(r) = reader(p) else { return Vec::new() };
    BufReader::new(r)
        .split(b'\n')
        .map_while(Result::ok)
        .map(|l| String::from_utf8_lossy(&l).trim_end_matches('\r').to_owned())
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .collect()
}
