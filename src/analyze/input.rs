//! Bytes to lines for `analyze`: gzip is unpacked, a binary file is refused
//! (a NUL byte, or more than a tenth control bytes, in the first 8 KiB),
//! invalid UTF-8 is replaced line by line (and counted), `\r\n` endings are
//! taken as `\n`. Input is capped at [`MAX_INPUT_BYTES`].

use std::io::Read;
use std::path::Path;

/// The most bytes `analyze` reads (after gunzip): more is the job of `scan` or
/// of a query that narrows the lines first.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// Bytes looked at to tell text from binary.
const HEAD: usize = 8192;

/// Why input cannot be analysed.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{what} looks like a binary file ({why}), not a log: refusing to send it to the model")]
    Binary { what: String, why: String },
    #[error("{what} is larger than {} MB: narrow it first (e.g. with `logcopilot query` or grep), or use `logcopilot scan`", MAX_INPUT_BYTES / (1024 * 1024))]
    TooLarge { what: String },
    #[error("{what} holds no lines to analyse")]
    Empty { what: String },
    #[error("cannot read {what}: {message}")]
    Read { what: String, message: String },
}

/// Lines ready for chunking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InputLines {
    pub lines: Vec<String>,
    /// Lines whose invalid UTF-8 was replaced by `�`.
    pub lossy: usize,
    pub bytes: usize,
}

/// Reads a file, or stdin for `-`.
pub fn read_input(path: &Path) -> Result<InputLines, InputError> {
    let is_stdin = path.as_os_str() == "-";
    let what = if is_stdin { "stdin".to_owned() } else { path.display().to_string() };
    let err = |e: std::io::Error| InputError::Read { what: what.clone(), message: e.to_string() };
    let raw = if is_stdin {
        read_capped(std::io::stdin().lock(), &what)?
    } else {
        let f = std::fs::File::open(path).map_err(err)?;
        if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(InputError::Read { what, message: "it is a folder".into() });
        }
        read_capped(f, &what)?
    };
    read_lines(raw, &what)
}

fn read_capped(mut r: impl Read, what: &str) -> Result<Vec<u8>, InputError> {
    let io = |e: std::io::Error| InputError::Read { what: what.into(), message: e.to_string() };
    let mut out = Vec::new();
    // The head first: a binary file is refused before the rest is read.
    (&mut r).take(HEAD as u64).read_to_end(&mut out).map_err(io)?;
    if !out.starts_with(&[0x1f, 0x8b])
        && let Some(why) = binary_reason(&out)
    {
        return Err(InputError::Binary { what: what.into(), why });
    }
    r.take((MAX_INPUT_BYTES + 1 - out.len()) as u64).read_to_end(&mut out).map_err(io)?;
    if out.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge { what: what.into() });
    }
    Ok(out)
}

/// Why `head` is not text, if it is not: a NUL byte, or too many control bytes.
pub fn binary_reason(head: &[u8]) -> Option<String> {
    let head = head.get(..HEAD.min(head.len())).unwrap_or(head);
    if let Some(i) = memchr::memchr(0, head) {
        return Some(format!("a NUL byte at offset {i}"));
    }
    // Tab, new line, carriage return, form feed and escape (colours) are text.
    let control = head.iter().filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || b == 0x7f).count();
    (control * 10 > head.len()).then(|| format!("{control} control bytes in its first {} bytes", head.len()))
}

/// `raw` (plain or gzip) as lines; `what` names the input in errors.
pub fn read_lines(raw: Vec<u8>, what: &str) -> Result<InputLines, InputError> {
    let raw = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .take(MAX_INPUT_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| InputError::Read { what: what.into(), message: format!("not valid gzip: {e}") })?;
        if out.len() > MAX_INPUT_BYTES {
            return Err(InputError::TooLarge { what: what.into() });
        }
        out
    } else {
        raw
    };
    if let Some(why) = binary_reason(&raw) {
        return Err(InputError::Binary { what: what.into(), why });
    }
    let mut lines = Vec::new();
    let mut lossy = 0;
    let body = raw.strip_suffix(b"\n").unwrap_or(&raw);
    if !body.is_empty() {
        for l in body.split(|&b| b == b'\n') {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            match std::str::from_utf8(l) {
                Ok(s) => lines.push(s.to_owned()),
                Err(_) => {
                    lossy += 1;
                    lines.push(String::from_utf8_lossy(l).into_owned());
                }
            }
        }
    }
    if lines.iter().all(|l| l.trim().is_empty()) {
        return Err(InputError::Empty { what: what.into() });
    }
    Ok(InputLines { lines, lossy, bytes: raw.len() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn text_gzip_and_bad_utf8_become_lines() {
        let r = read_lines(b"a\r\nb\xff\n\nc\n".to_vec(), "t").unwrap();
        assert_eq!(r.lines, vec!["a", "b\u{fffd}", "", "c"]);
        assert_eq!(r.lossy, 1);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"x\ny").unwrap();
        assert_eq!(read_lines(gz.finish().unwrap(), "t").unwrap().lines, vec!["x", "y"]);
        // Colours are text.
        assert!(read_lines(b"\x1b[31mERROR\x1b[0m disk\n".to_vec(), "t").is_ok());
    }

    #[test]
    fn binary_and_empty_are_refused() {
        let e = read_lines(b"ELF\x00\x01\x02".to_vec(), "a.out").unwrap_err();
        assert!(matches!(e, InputError::Binary { .. }));
        assert!(e.to_string().contains("a.out looks like a binary file (a NUL byte at offset 3)"), "{e}");
        let noise: Vec<u8> = (0..1000u32).map(|i| if i % 5 == 0 { 0x01 } else { b'a' }).collect();
        assert!(matches!(read_lines(noise, "t"), Err(InputError::Binary { .. })));
        assert!(matches!(read_lines(b"\n \n".to_vec(), "t"), Err(InputError::Empty { .. })));
        assert!(matches!(read_lines(Vec::new(), "t"), Err(InputError::Empty { .. })));
        assert!(matches!(read_lines(vec![0x1f, 0x8b, 1, 2], "t"), Err(InputError::Read { .. })));
    }

    #[test]
    fn a_binary_file_is_refused_from_its_head() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("core.bin");
        let mut bytes = b"\x7fELF\x02\x01\x01\x00\x00".to_vec();
        bytes.extend(std::iter::repeat_n(b'a', 100_000));
        std::fs::write(&p, bytes).unwrap();
        let e = read_input(&p).unwrap_err();
        assert!(matches!(e, InputError::Binary { .. }) && e.to_string().contains("core.bin looks like a binary file"), "{e}");
        let p2 = d.path().join("ok.log");
        std::fs::write(&p2, "one\ntwo\n").unwrap();
        assert_eq!(read_input(&p2).unwrap().lines, vec!["one", "two"]);
        assert!(matches!(read_input(d.path()), Err(InputError::Read { .. })));
    }
}
