//! Copying what the index and the engine read: stdin (whole, or live by a
//! thread for as long as the pipe stays open) and several files one after
//! the other, into `<storage>/<app>/input/` (temp file, then rename).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::files::reader;
use super::{InputError, io};

/// How long a live stdin may pause before what came so far is opened.
pub(super) const QUIET: std::time::Duration = std::time::Duration::from_millis(400);

/// Stdin appended to `<dir>/input/stdin.log` by a thread until it ends;
/// returns once it ended or paused for [`QUIET`] (the path, and whether it is
/// still open). Nothing at all before the end is [`InputError::EmptyStdin`].
pub(super) fn spool_live(dir: &Path, mut r: Box<dyn Read + Send>) -> Result<(PathBuf, bool), InputError> {
    let input = dir.join("input");
    std::fs::create_dir_all(&input).map_err(io(&input))?;
    let target = input.join("stdin.log");
    let mut f = File::create(&target).map_err(io(&target))?;
    let (tx, rx) = std::sync::mpsc::channel::<usize>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) | Err(_) => 0,
                Ok(n) => n,
            };
            if n > 0 && (f.write_all(&buf[..n]).is_err() || f.flush().is_err()) {
                let _ = tx.send(0);
                return;
            }
            // The receiver is gone once the app opened: keep copying.
            let _ = tx.send(n);
            if n == 0 {
                return;
            }
        }
    });
    let mut total = 0;
    // The first piece (or the end) may take as long as it takes.
    match rx.recv() {
        Ok(n) if n > 0 => total += n,
        _ => return Err(InputError::EmptyStdin),
    }
    loop {
        match rx.recv_timeout(QUIET) {
            Ok(0) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok((target, false)),
            Ok(n) => total += n,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return Ok((target, total > 0)),
        }
    }
}

/// Stdin copied into `<dir>/input/stdin.log` (gunzipped); its path.
pub fn spool_stdin(dir: &Path, stdin: &mut dyn Read) -> Result<PathBuf, InputError> {
    let input = dir.join("input");
    std::fs::create_dir_all(&input).map_err(io(&input))?;
    let target = input.join("stdin.log");
    let mut tmp = tempfile::NamedTempFile::new_in(&input).map_err(io(&input))?;
    let (mut r, any) = crate::logs::reader::decoded(stdin).map_err(io(Path::new("stdin")))?;
    if !any {
        return Err(InputError::EmptyStdin);
    }
    std::io::copy(&mut r, &mut tmp).map_err(io(Path::new("stdin")))?;
    tmp.persist(&target).map_err(|e| InputError::Io { path: target.clone(), source: e.error })?;
    Ok(target)
}

/// `files` one after the other (gunzipped, a line end between them) into
/// `<dir>/input/combined.log`; its path.
pub(super) fn concatenate(dir: &Path, files: &[PathBuf]) -> Result<PathBuf, InputError> {
    let input = dir.join("input");
    std::fs::create_dir_all(&input).map_err(io(&input))?;
    let target = input.join("combined.log");
    let mut tmp = tempfile::NamedTempFile::new_in(&input).map_err(io(&input))?;
    for f in files {
        let mut r = BufReader::new(reader(f).map_err(io(f))?);
        let mut last = b'\n';
        loop {
            let buf = r.fill_buf().map_err(io(f))?;
            if buf.is_empty() {
                break;
            }
            last = buf[buf.len() - 1];
            tmp.write_all(buf).map_err(io(&target))?;
            let n = buf.len();
            r.consume(n);
        }
        if last != b'\n' {
            tmp.write_all(b"\n").map_err(io(&target))?;
        }
    }
    tmp.persist(&target).map_err(|e| InputError::Io { path: target.clone(), source: e.error })?;
    Ok(target)
}
