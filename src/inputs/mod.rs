//! A user's own logs as an app: files, a folder or stdin, opened without a
//! hand-written dataset. [`open`] expands folders (log-like files only, at
//! most `input.max_files`), orders a rotated set (`x.log.2.gz`, `x.log.1`,
//! `x.log`) oldest first, refuses binary files (the others still open), names
//! the app after the file (`api.log` → `api`, stdin → `stdin`; a name taken by
//! another dataset gets a suffix, `hdfs-2`), and writes the app's definition
//! to `<storage>/<app>/dataset.toml`: the `--format`/`--timestamp` given, else
//! a bundled dataset's format when the lines fit it, else the raw line as the
//! content with times in line order. Several files, and stdin, are copied in
//! order into `<storage>/<app>/input/` (temp file, then rename), so the
//! index reads one file. Its parts: [`files`] (which files, in what order),
//! [`copy`] (stdin and several files into storage), [`definition`] (the
//! format and the written `dataset.toml`), [`detect`] (the format found
//! from the lines).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::dataset::{Dataset, DatasetError};

mod copy;
mod definition;
pub mod detect;
mod files;

pub use copy::spool_stdin;
use copy::{concatenate, spool_live};
use definition::{Format, describe, guess_bundled, write_definition};
use files::{expand, file_name, head_lines, rotation};
#[cfg(test)]
use files::{in_time_order, log_like};

/// Why the inputs could not be opened. Each is one line for the user.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("no such file or folder: {0}")]
    Missing(PathBuf),
    #[error("the folder {0} holds no log files")]
    EmptyFolder(PathBuf),
    #[error("{0} is a binary file, not a log: nothing to open")]
    AllBinary(PathBuf),
    #[error("stdin is empty: nothing to open")]
    EmptyStdin,
    #[error("stdin can be given once, and only alone")]
    StdinTwice,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Dataset(#[from] DatasetError),
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InputError + '_ {
    move |source| InputError::Io { path: path.to_path_buf(), source }
}

/// What to open.
#[derive(Debug, Clone, Default)]
pub struct OpenRequest {
    /// Files, folders, or `-` for stdin.
    pub inputs: Vec<PathBuf>,
    /// The app's name (default: from the first file's name).
    pub app: Option<String>,
    /// A Loghub header pattern (`--format`), and `--timestamp`.
    pub format: Option<String>,
    pub timestamp: Option<String>,
    /// `input.max_files`.
    pub max_files: usize,
    /// Detect the format again, though the files were opened before.
    pub redetect: bool,
    /// The zone of stamps without one (`input.time_zone`).
    pub zone: String,
}

/// The opened app.
#[derive(Debug, Clone)]
pub struct Opened {
    pub app: String,
    pub dataset: Dataset,
    /// The one file the index and the engine read.
    pub log: PathBuf,
    /// The files it holds, in the order read.
    pub files: Vec<PathBuf>,
    /// What the user should know (skipped files, the format, a renamed app).
    pub notes: Vec<String>,
    /// A live stdin is still being copied into `log`: follow it.
    pub following: bool,
}

/// Where the definitions live.
#[derive(Debug, Clone)]
pub struct Folders<'a> {
    pub datasets: &'a Path,
    pub storage: &'a Path,
}

/// Where stdin comes from, when an input is `-`.
pub enum Stdin<'a> {
    /// Read to its end, then opened.
    Whole(&'a mut dyn Read),
    /// Copied into the app's file by a thread for as long as it stays open
    /// (`kubectl logs -f … | logcopilot -`): opened once it pauses or ends,
    /// and [`Opened::following`] says whether it is still open.
    Live(Box<dyn Read + Send>),
}

/// Opens `req`.
pub fn open(dirs: &Folders<'_>, req: &OpenRequest, stdin: &mut dyn Read) -> Result<Opened, InputError> {
    open_with(dirs, req, Stdin::Whole(stdin))
}

/// [`open`], with stdin read whole or followed.
pub fn open_with(dirs: &Folders<'_>, req: &OpenRequest, stdin: Stdin<'_>) -> Result<Opened, InputError> {
    let mut notes = Vec::new();
    let is_stdin = req.inputs.iter().any(|p| p.as_os_str() == "-");
    if is_stdin && req.inputs.len() > 1 {
        return Err(InputError::StdinTwice);
    }
    let files = if is_stdin { Vec::new() } else { expand(&req.inputs, req.max_files.max(1), &mut notes)? };
    let base = req.app.clone().unwrap_or_else(|| if is_stdin { "stdin".to_owned() } else { app_name(&files[0]) });
    // The file of a dataset that exists (e.g. a bundled sample's log) opens as that dataset.
    if req.format.is_none() && files.len() == 1 {
        if let Some(ds) = dataset_of_file(dirs, &files[0], req.app.as_deref()) {
            return Ok(Opened { app: ds.name.clone(), log: files[0].clone(), files, notes, dataset: ds, following: false });
        }
    }
    let source = Source { files: files.iter().map(|f| f.display().to_string()).collect(), format: req.format.clone(), timestamp: req.timestamp.clone() };
    let app = free_name(dirs, &base, &source, is_stdin, &mut notes);
    let dir = dirs.storage.join(&app);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let mut following = false;
    let log = if is_stdin {
        match stdin {
            Stdin::Whole(r) => spool_stdin(&dir, r)?,
            Stdin::Live(r) => {
                let (log, open) = spool_live(&dir, r)?;
                if open {
                    notes.push("stdin is still open: what comes next is indexed as it arrives".to_owned());
                }
                following = open;
                log
            }
        }
    } else if files.len() == 1 {
        files[0].clone()
    } else {
        concatenate(&dir, &files)?
    };
    // Opened before, from the same files and flags: the definition stands
    // (stored times never change under it), unless asked to detect again.
    let known: Option<Source> = std::fs::read(dir.join(SOURCE_FILE)).ok().and_then(|b| serde_json::from_slice(&b).ok());
    if !is_stdin && !req.redetect && known.as_ref() == Some(&source) {
        if let Ok(dataset) = Dataset::load(dirs.storage, &app) {
            if dataset.log_path.as_deref() == Some(log.as_path()) {
                notes.push(format!("read as before ({}; --redetect detects the format again)", dir.join("dataset.toml").display()));
                return Ok(Opened { app, dataset, log, files, notes, following });
            }
        }
    }
    let zone = if req.zone.trim().is_empty() { "UTC" } else { req.zone.as_str() };
    let format = match (&req.format, guess_bundled(dirs.datasets, &log)) {
        (Some(f), _) => Format::Given { format: f.clone(), timestamp: req.timestamp.clone() },
        (None, Some(ds)) => {
            notes.push(format!("the lines fit the format of the {} sample: read as {}", ds.name, ds.name));
            Format::Like(Box::new(ds))
        }
        (None, None) => match detect::detect(&head_lines(&log, 500), detect::year_of(&log)) {
            Some(d) => {
                notes.push(describe(&d));
                Format::Detected(d)
            }
            None => {
                notes.push(
                    "no known format fits: each line is read whole as the content, and times follow the order of the lines \
                     (pass --format and --timestamp for the real times)"
                        .to_owned(),
                );
                Format::Raw
            }
        },
    };
    // Different files (not one rotated set) are queried each with a `filename` label.
    let one_set = files.windows(2).all(|w| w[0].parent() == w[1].parent() && rotation(&file_name(&w[0])).0 == rotation(&file_name(&w[1])).0);
    let labelled: Vec<String> = if files.len() > 1 && !one_set { files.iter().map(|f| f.display().to_string()).collect() } else { Vec::new() };
    if !labelled.is_empty() {
        notes.push(format!("{} files: one app, each file's lines labelled filename", labelled.len()));
    }
    write_definition(&dir, &app, &log, &source, &format, zone, &labelled)?;
    let dataset = Dataset::load(dirs.storage, &app)?;
    Ok(Opened { app, dataset, log, files, notes, following })
}

/// Where the app's lines came from (kept beside its definition: the same
/// files open as the same app again).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub(crate) struct Source {
    files: Vec<String>,
    format: Option<String>,
    timestamp: Option<String>,
}

pub(crate) const SOURCE_FILE: &str = "source.json";

/// `api.log` → `api`, `web-1.log.2.gz` → `web-1`, `My App.txt` → `my-app`.
pub fn app_name(p: &Path) -> String {
    let name = file_name(p).to_ascii_lowercase();
    let (stem, _) = rotation(&name);
    let stem = stem.strip_suffix(".log").or_else(|| Path::new(stem).file_stem().and_then(|s| s.to_str())).unwrap_or(stem);
    clean_name(stem)
}

/// `name` as an app name: lower case, letters, digits, `_` and `-` (`kube/nginx` → `kube-nginx`).
pub fn clean_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_ascii_lowercase().chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() { "log".to_owned() } else { out }
}

/// The dataset whose log `file` is (same path, or same bytes as its log).
fn dataset_of_file(dirs: &Folders<'_>, file: &Path, app: Option<&str>) -> Option<Dataset> {
    let names = match app {
        Some(a) => vec![a.to_owned()],
        None => crate::dataset::list(dirs.datasets),
    };
    let size = std::fs::metadata(file).ok()?.len();
    names.into_iter().find_map(|n| {
        let ds = Dataset::load(dirs.datasets, &n).ok()?;
        let log = ds.log_path.as_ref()?;
        let same = std::fs::canonicalize(log).ok().as_deref() == Some(file)
            || (std::fs::metadata(log).ok()?.len() == size && std::fs::read(log).ok()? == std::fs::read(file).ok()?);
        same.then_some(ds)
    })
}

/// `base`, or `base-2`, `base-3`…: the first name no other dataset holds
/// (the same source opens as the same app again).
fn free_name(dirs: &Folders<'_>, base: &str, source: &Source, stdin: bool, notes: &mut Vec<String>) -> String {
    for n in 1.. {
        let name = if n == 1 { base.to_owned() } else { format!("{base}-{n}") };
        let bundled = dirs.datasets.join(&name).join("dataset.toml").is_file();
        let mine = dirs.storage.join(&name);
        let known: Option<Source> = std::fs::read(mine.join(SOURCE_FILE)).ok().and_then(|b| serde_json::from_slice(&b).ok());
        // The same files are the same app, whatever format they are read in.
        let same = known.as_ref().is_some_and(|k| k.files == source.files);
        let taken = bundled || (mine.join("dataset.toml").is_file() && !same && !stdin);
        if !taken {
            if n > 1 {
                notes.push(format!("the name {base:?} is taken by another dataset: this app is {name:?} (--app names it)"));
            }
            return name;
        }
    }
    unreachable!("some name is free")
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn folders(d: &Path) -> (PathBuf, PathBuf) {
        let ds = d.join("datasets");
        std::fs::create_dir_all(&ds).unwrap();
        crate::dataset::bundled::unpack_missing(&ds).unwrap();
        (ds, d.join("storage"))
    }

    fn req(inputs: &[&Path]) -> OpenRequest {
        OpenRequest { inputs: inputs.iter().map(|p| p.to_path_buf()).collect(), max_files: 1000, zone: "UTC".into(), ..Default::default() }
    }

    #[test]
    fn names_and_rotation_order() {
        assert_eq!(app_name(Path::new("/x/api.log")), "api");
        assert_eq!(app_name(Path::new("web-1.log.2.gz")), "web-1");
        assert_eq!(app_name(Path::new("My App.txt")), "my-app");
        assert_eq!(app_name(Path::new("syslog")), "syslog");
        assert_eq!(app_name(Path::new("...")), "log");
        let order = in_time_order(["x.log", "x.log.1", "x.log.2.gz", "x.log.10", "a.log"].iter().map(PathBuf::from).collect());
        let names: Vec<String> = order.iter().map(|p| file_name(p)).collect();
        assert_eq!(names, ["a.log", "x.log.10", "x.log.2.gz", "x.log.1", "x.log"]);
        assert!(log_like(Path::new("x.log.3.gz")) && log_like(Path::new("messages")) && log_like(Path::new("app.jsonl")));
        assert!(!log_like(Path::new("photo.png")) && !log_like(Path::new(".hidden.log")) && !log_like(Path::new("lib.so")));
    }

    #[test]
    fn a_file_in_a_samples_format_a_raw_file_and_a_taken_name() {
        let d = tempfile::tempdir().unwrap();
        let (ds, st) = folders(d.path());
        let dirs = Folders { datasets: &ds, storage: &st };
        // HDFS lines in a file of the user's, named like the sample.
        let text = std::fs::read_to_string(ds.join("hdfs/HDFS_2k.log")).unwrap();
        let mine = d.path().join("hdfs.log");
        std::fs::write(&mine, text.lines().take(300).collect::<Vec<_>>().join("\n")).unwrap();
        let o = open(&dirs, &req(&[&mine]), &mut std::io::empty()).unwrap();
        assert_eq!(o.app, "hdfs-2", "the sample's name is taken: {:?}", o.notes);
        assert!(o.notes.iter().any(|n| n.contains("format of the hdfs sample")), "{:?}", o.notes);
        assert!(o.dataset.timestamp.is_some() && o.dataset.templates_path.is_some());
        assert_eq!(Dataset::find(&ds, &st, "hdfs-2").unwrap().log_path.as_deref(), Some(o.log.as_path()));
        // Opened again: the same app, no new name.
        assert_eq!(open(&dirs, &req(&[&mine]), &mut std::io::empty()).unwrap().app, "hdfs-2");
        // The sample's own log is the sample.
        assert_eq!(open(&dirs, &req(&[&ds.join("hdfs/HDFS_2k.log")]), &mut std::io::empty()).unwrap().app, "hdfs");
        // No format fits: the raw line, said plainly.
        let raw = d.path().join("notes.txt");
        std::fs::write(&raw, "first thing happened\nsecond thing\n").unwrap();
        let o = open(&dirs, &req(&[&raw]), &mut std::io::empty()).unwrap();
        assert_eq!(o.app, "notes");
        assert!(o.dataset.timestamp.is_none() && o.notes.iter().any(|n| n.contains("no known format fits")), "{:?}", o.notes);
        // Opened again: read as before; --redetect detects again; the zone of
        // zone-less stamps is input.time_zone, written into the definition.
        let iso = d.path().join("iso.log");
        std::fs::write(&iso, "2024-01-02 03:04:05 ERROR boom\n2024-01-02 03:04:06 INFO ok\n").unwrap();
        let r = OpenRequest { zone: "Europe/Paris".into(), ..req(&[&iso]) };
        let o = open(&dirs, &r, &mut std::io::empty()).unwrap();
        assert!(o.notes.iter().any(|n| n.starts_with("detected: date time (ISO), level")), "{:?}", o.notes);
        let def = std::fs::read_to_string(st.join("iso/dataset.toml")).unwrap();
        assert!(def.contains("zone = \"Europe/Paris\""), "{def}");
        let again = open(&dirs, &req(&[&iso]), &mut std::io::empty()).unwrap();
        assert!(again.notes.iter().any(|n| n.starts_with("read as before")), "{:?}", again.notes);
        assert_eq!(std::fs::read_to_string(st.join("iso/dataset.toml")).unwrap(), def, "a later zone does not change stored times");
        let re = open(&dirs, &OpenRequest { redetect: true, ..req(&[&iso]) }, &mut std::io::empty()).unwrap();
        assert!(re.notes.iter().any(|n| n.starts_with("detected:")), "{:?}", re.notes);
        // --format and --timestamp give the real format.
        let fmt = d.path().join("app.log");
        std::fs::write(&fmt, "2024-01-02 03:04:05 ERROR boom\n").unwrap();
        let r =
            OpenRequest { format: Some("<Date> <Time> <Level> <Content>".into()), timestamp: Some("<Date> <Time>=%Y-%m-%d %H:%M:%S".into()), ..req(&[&fmt]) };
        let o = open(&dirs, &r, &mut std::io::empty()).unwrap();
        assert!(o.dataset.timestamp.is_some() && o.dataset.level_field.is_some(), "{:?}", o.dataset);
    }

    #[test]
    fn folders_rotated_sets_binary_files_and_stdin() {
        let d = tempfile::tempdir().unwrap();
        let (ds, st) = folders(d.path());
        let dirs = Folders { datasets: &ds, storage: &st };
        let logs = d.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        std::fs::write(logs.join("x.log.1"), "b\n").unwrap();
        std::fs::write(logs.join("x.log"), "c").unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"a\n").unwrap();
        std::fs::write(logs.join("x.log.2.gz"), gz.finish().unwrap()).unwrap();
        std::fs::write(logs.join("core"), b"\x7fELF\0\0\0").unwrap();
        std::fs::write(logs.join("picture.png"), b"\x89PNG").unwrap();
        let o = open(&dirs, &req(&[&logs]), &mut std::io::empty()).unwrap();
        assert_eq!(o.app, "x");
        assert_eq!(std::fs::read_to_string(&o.log).unwrap(), "a\nb\nc\n", "oldest first, gunzipped");
        assert!(o.notes.iter().any(|n| n.contains("core is a binary file")), "{:?}", o.notes);
        // Over max_files: the rest are listed.
        let r = OpenRequest { max_files: 2, ..req(&[&logs]) };
        let o = open(&dirs, &r, &mut std::io::empty()).unwrap();
        assert!(o.notes.iter().any(|n| n.contains("2 of 4 files opened") && n.contains("left out")), "{:?}", o.notes);
        // Errors, one line each.
        assert!(matches!(open(&dirs, &req(&[&d.path().join("nope.log")]), &mut std::io::empty()), Err(InputError::Missing(_))));
        let empty = d.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert_eq!(open(&dirs, &req(&[&empty]), &mut std::io::empty()).unwrap_err().to_string(), format!("the folder {} holds no log files", empty.display()));
        let bin = logs.join("core");
        assert!(matches!(open(&dirs, &req(&[&bin]), &mut std::io::empty()), Err(InputError::AllBinary(_))));
        // stdin: spooled into storage; empty stdin is said.
        let o = open(&dirs, &req(&[Path::new("-")]), &mut "l1\nl2\n".as_bytes()).unwrap();
        assert_eq!((o.app.as_str(), o.log.clone()), ("stdin", st.join("stdin/input/stdin.log")));
        assert_eq!(std::fs::read_to_string(&o.log).unwrap(), "l1\nl2\n");
        assert!(matches!(open(&dirs, &req(&[Path::new("-")]), &mut std::io::empty()), Err(InputError::EmptyStdin)));
    }

    /// A reader that gives `first`, pauses, then `rest`, then ends.
    struct Paused {
        parts: Vec<(std::time::Duration, Vec<u8>)>,
    }

    impl Read for Paused {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.parts.is_empty() {
                return Ok(0);
            }
            let (wait, bytes) = self.parts.remove(0);
            std::thread::sleep(wait);
            buf[..bytes.len()].copy_from_slice(&bytes);
            Ok(bytes.len())
        }
    }

    #[test]
    fn a_live_stdin_opens_when_it_pauses_and_is_copied_on() {
        let d = tempfile::tempdir().unwrap();
        let (ds, st) = folders(d.path());
        let dirs = Folders { datasets: &ds, storage: &st };
        let ms = std::time::Duration::from_millis;
        let live = Paused { parts: vec![(ms(0), b"one\n".to_vec()), (ms(1500), b"two\n".to_vec())] };
        let t = std::time::Instant::now();
        let o = open_with(&dirs, &req(&[Path::new("-")]), Stdin::Live(Box::new(live))).unwrap();
        assert!(t.elapsed() < ms(1200), "opened at the pause, not at the end: {:?}", t.elapsed());
        assert!(o.following && o.notes.iter().any(|n| n.contains("still open")), "{:?}", o.notes);
        assert_eq!(std::fs::read_to_string(&o.log).unwrap(), "one\n");
        std::thread::sleep(ms(2000));
        assert_eq!(std::fs::read_to_string(&o.log).unwrap(), "one\ntwo\n", "copied on after the open");
        // A pipe that ends at once opens whole, not followed.
        let o = open_with(&dirs, &req(&[Path::new("-")]), Stdin::Live(Box::new("a\nb\n".as_bytes()))).unwrap();
        assert!(!o.following);
        assert!(matches!(open_with(&dirs, &req(&[Path::new("-")]), Stdin::Live(Box::new(std::io::empty()))), Err(InputError::EmptyStdin)));
    }
}
