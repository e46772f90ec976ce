//! A user's own logs through the real binary, run in a folder that is no
//! checkout with nothing configured (the user data folder is a temp one):
//! the bundled samples unpack and open; `index --input FILE` needs no
//! `--app` and finds a sample's format from the lines; stdin is indexed and
//! asked about headless; `--format` gives a custom format its real times; and
//! each bad input gives one clear line.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::common::datasets;

/// The binary in `dir` (no checkout), its data folder `dir/.data`, `stdin` piped in.
fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_logcopilot"));
    c.args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".config"))
        .env("XDG_DATA_HOME", dir.join(".data"))
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("LOKI_ADDR")
        .env_remove("LOKI_BASE_URL")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("run logcopilot");
    if let Some(bytes) = stdin {
        let mut w = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = w.write_all(&bytes);
        });
    }
    child.wait_with_output().unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn openssh(n: usize) -> String {
    let text = std::fs::read_to_string(datasets().join("openssh/OpenSSH_2k.log")).unwrap();
    text.lines().take(n).collect::<Vec<_>>().join("\n") + "\n"
}

/// The count of a LogQL query over all time, from `query -o json`.
fn count(dir: &Path, app: &str, filter: &str) -> f64 {
    let q = format!("sum(count_over_time({{app=\"{app}\"}} |= \"{filter}\" [20000d]))");
    let o = run_in(dir, &["query", &q, "--app", app, "--instant", "--time", "2030-01-01T00:00:00Z", "-o", "json"], None);
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out(&o)));
    let value = &v["data"]["result"][0]["value"][1];
    value.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no count in {v}"))
}

#[test]
fn outside_a_checkout_the_samples_and_a_users_file_open() {
    let d = tempfile::tempdir().unwrap();
    // The bundled sample, as the README's first command runs it.
    let o = run_in(d.path(), &["index", "--app", "hdfs", "--offline"], None);
    assert!(o.status.success(), "{}", err(&o));
    let samples = d.path().join(".data/logcopilot/datasets");
    assert!(samples.join("hdfs/dataset.toml").is_file() && samples.join("LICENSE").is_file() && samples.join("CITATION").is_file());
    assert!(out(&o).contains("indexed hdfs: 2000 lines"), "{}", out(&o));

    // A file of the user's: no --app, no format.
    std::fs::write(d.path().join("auth.log"), openssh(300)).unwrap();
    let o = run_in(d.path(), &["index", "--input", "./auth.log", "--offline"], None);
    assert!(o.status.success(), "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("opens as the app \"auth\"") && e.contains("format of the openssh sample"), "{e}");
    assert!(out(&o).contains("indexed auth: 300 lines"), "{}", out(&o));
    let expected = openssh(300).matches("Failed password").count() as f64;
    assert_eq!(count(d.path(), "auth", "Failed password"), expected);
    // Asked about without a model: the builder's answer, from this file.
    let o = run_in(d.path(), &["ask", "How many failed password attempts were there?", "--app", "auth"], None);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("Answer:"), "{}", out(&o));
}

#[test]
fn stdin_is_indexed_and_asked_about_headless() {
    let d = tempfile::tempdir().unwrap();
    let o = run_in(d.path(), &["index", "--input", "-", "--offline"], Some(openssh(200).as_bytes()));
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("stdin opens as the app \"stdin\""), "{}", err(&o));
    let kept = d.path().join(".data/logcopilot/storage/stdin/input/stdin.log");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), openssh(200), "the lines are kept for the engine");
    assert_eq!(count(d.path(), "stdin", "Invalid user"), openssh(200).matches("Invalid user").count() as f64);
    // `ask --input -`: indexed first when new, and said.
    let o = run_in(d.path(), &["ask", "How many invalid users were there?", "--input", "-", "--app", "piped"], Some(openssh(100).as_bytes()));
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("piped has no knowledge yet: indexing it first"), "{}", err(&o));
    assert!(!out(&o).is_empty());
}

#[test]
fn a_custom_format_gets_its_real_times() {
    let d = tempfile::tempdir().unwrap();
    let lines = "2024-03-01 10:00:00 INFO worker started\n2024-03-01 10:00:05 ERROR job 7 failed\n2024-03-01 10:01:00 ERROR job 9 failed\n";
    std::fs::write(d.path().join("jobs.log"), lines).unwrap();
    let o = run_in(
        d.path(),
        &["index", "--input", "jobs.log", "--format", "<Date> <Time> <Level> <Content>", "--timestamp", "<Date> <Time>=%Y-%m-%d %H:%M:%S", "--offline"],
        None,
    );
    assert!(o.status.success(), "{}", err(&o));
    let o = run_in(
        d.path(),
        &["query", "{app=\"jobs\", level=\"ERROR\"}", "--app", "jobs", "--start", "2024-03-01T10:00:01Z", "--end", "2024-03-01T10:00:59Z", "-o", "raw"],
        None,
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o).trim(), "2024-03-01 10:00:05 ERROR job 7 failed", "only the line inside the window");
}

#[test]
fn folders_rotated_sets_and_bad_input_each_say_one_line() {
    let d = tempfile::tempdir().unwrap();
    let one_line = |o: &Output| {
        // (The first run also says where the bundled samples went.)
        let e: String = err(o).lines().filter(|l| !l.contains("the bundled samples")).map(|l| format!("{l}\n")).collect();
        assert_eq!(e.trim().lines().count(), 1, "one line: {e}");
        e
    };
    // A command name wins; `./index` is a file named index.
    std::fs::write(d.path().join("index"), openssh(5)).unwrap();
    let o = run_in(d.path(), &["./index"], None);
    assert!(err(&o).contains("opens as the app \"index\"") && err(&o).contains("the TUI needs a terminal"), "{}", err(&o));
    // Missing file, empty folder: exit 1, one line.
    let o = run_in(d.path(), &["index", "--input", "nope.log"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(one_line(&o).contains("no such file or folder: nope.log"));
    std::fs::create_dir(d.path().join("empty")).unwrap();
    let o = run_in(d.path(), &["index", "--input", "empty"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(one_line(&o).contains("holds no log files"));
    // Empty stdin: said, exit 0.
    let o = run_in(d.path(), &["index", "--input", "-"], Some(b""));
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(one_line(&o).contains("stdin is empty"));
    // A binary file alone is refused; beside logs it is left out.
    let logs = d.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(logs.join("core"), b"\x7fELF\x02\x01\x01\0\0\0\0").unwrap();
    let o = run_in(d.path(), &["index", "--input", "logs/core"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(one_line(&o).contains("is a binary file"));
    // A rotated set opens as one app, oldest first.
    let all = openssh(90);
    let parts: Vec<&str> = all.split_inclusive('\n').collect();
    std::fs::write(logs.join("sshd.log.2"), parts[..30].concat()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(parts[30..60].concat().as_bytes()).unwrap();
    std::fs::write(logs.join("sshd.log.1.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(logs.join("sshd.log"), parts[60..].concat()).unwrap();
    let o = run_in(d.path(), &["index", "--input", "logs", "--offline"], None);
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("core is a binary file: left out"), "{}", err(&o));
    assert!(out(&o).contains("indexed sshd: 90 lines"), "{}", out(&o));
    let combined = d.path().join(".data/logcopilot/storage/sshd/input/combined.log");
    assert_eq!(std::fs::read_to_string(combined).unwrap(), all, "in time order, gunzipped");
    // A folder of 10,000 files: at most input.max_files, the rest listed.
    let many = d.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..10_000 {
        std::fs::write(many.join(format!("part-{i:05}.log")), format!("line {i}\n")).unwrap();
    }
    std::fs::create_dir_all(d.path().join(".config/logcopilot")).unwrap();
    std::fs::write(d.path().join("config.toml"), "[input]\nmax_files = 50\n").unwrap();
    let o = run_in(d.path(), &["index", "--input", "many", "--offline"], None);
    assert!(o.status.success(), "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("50 of 10000 files opened (input.max_files); left out: part-00050.log") && e.contains("and 9940 more"), "{e}");
    assert!(out(&o).contains("50 lines"), "{}", out(&o));
}

/// Formats no sample has are found from the lines: each line's time and
/// level are right, a stack trace stays with its record, and JSON lines and
/// logfmt are read by their keys.
#[test]
fn formats_are_detected_from_the_lines() {
    let d = tempfile::tempdir().unwrap();
    let py = "2024-06-01 08:00:00,001 - api.db - INFO - pool ready\n\
              2024-06-01 08:00:03,250 - api.web - WARNING - slow request /a\n\
              2024-06-01 08:00:04,500 - api.db - ERROR - query failed\n\
              Traceback (most recent call last):\n  File \"db.py\", line 3, in run\nTimeoutError: timed out\n\
              2024-06-01 08:01:00,000 - api.web - INFO - request /b\n";
    std::fs::write(d.path().join("api.log"), py).unwrap();
    let o = run_in(d.path(), &["index", "--input", "api.log", "--offline"], None);
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("detected: Python logging, timestamp <Date> <Time>, labels level and logger"), "{}", err(&o));
    assert!(out(&o).contains("indexed api: 7 lines"), "{}", out(&o));
    // Again with -o json: read as before, the summary alone on stdout.
    let o = run_in(d.path(), &["index", "--input", "api.log", "--offline", "-o", "json"], None);
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("read as before"), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap_or_else(|e| panic!("{e}: {}", out(&o)));
    assert_eq!(v["app"], "api");
    assert_eq!((v["lines"].as_u64(), v["records"].as_u64(), v["records_without_timestamp"].as_u64()), (Some(7), Some(4), Some(0)), "{v}");
    assert_eq!(v["first_ts"], "2024-06-01T08:00:00.001Z");
    assert_eq!(v["last_ts"], "2024-06-01T08:01:00Z");
    assert_eq!(v["levels"], serde_json::json!({"info": 2, "warn": 1, "error": 1}), "{v}");
    assert_eq!(v["labels"], serde_json::json!(["app", "level", "logger"]));
    assert!(v["format"]["dataset_toml"].as_str().unwrap().contains("- <Logger> - <Level> - <Content>"), "{v}");
    assert_eq!(v["format"]["name"], "Python logging");
    // Every line's time at the format's precision (milliseconds), and its level.
    let o = run_in(
        d.path(),
        &[
            "query",
            "{app=\"api\"}",
            "--app",
            "api",
            "--start",
            "2024-06-01T00:00:00Z",
            "--end",
            "2024-06-02T00:00:00Z",
            "-o",
            "jsonl",
            "--direction",
            "forward",
        ],
        None,
    );
    assert!(o.status.success(), "{}", err(&o));
    let rows: Vec<serde_json::Value> = out(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let got: Vec<(i64, String)> =
        rows.iter().map(|r| (r["ts_ns"].as_str().and_then(|t| t.parse().ok()).unwrap_or(0), r["labels"]["level"].as_str().unwrap_or("").to_owned())).collect();
    let want =
        [("2024-06-01T08:00:00.001Z", "INFO"), ("2024-06-01T08:00:03.25Z", "WARNING"), ("2024-06-01T08:00:04.5Z", "ERROR"), ("2024-06-01T08:01:00Z", "INFO")];
    // The traceback's lines belong to the ERROR record: its time, no level of their own.
    assert_eq!(got.len(), 7, "{rows:?}");
    assert!(got[3..6].iter().all(|(ts, l)| *ts == got[2].0 && l.is_empty()), "{got:?}");
    let def = std::fs::read_to_string(d.path().join(".data/logcopilot/storage/api/dataset.toml")).unwrap();
    assert!(def.contains("[multiline]\njoin = true"), "{def}");
    let records: Vec<&(i64, String)> = got.iter().filter(|(_, l)| !l.is_empty()).collect();
    assert_eq!(records.len(), 4);
    for ((ts, level), (wts, wl)) in records.into_iter().zip(want) {
        let exact = chrono::DateTime::parse_from_rfc3339(wts).unwrap().timestamp_nanos_opt().unwrap();
        assert_eq!((*ts, level.as_str()), (exact, wl), "{wts}");
    }

    // Pino (numeric level, epoch-millisecond time) and journald (PRIORITY,
    // microsecond __REALTIME_TIMESTAMP, MESSAGE).
    let pino = "{\"level\":30,\"time\":1717228800500,\"pid\":1,\"msg\":\"up\"}\n{\"level\":50,\"time\":1717228801000,\"pid\":1,\"msg\":\"down\"}\n";
    std::fs::write(d.path().join("pino.log"), pino).unwrap();
    let journal = "{\"__REALTIME_TIMESTAMP\":\"1717228800250000\",\"PRIORITY\":\"4\",\"MESSAGE\":\"disk almost full\"}\n{\"__REALTIME_TIMESTAMP\":\"1717228802000000\",\"PRIORITY\":\"6\",\"MESSAGE\":\"ok\"}\n";
    std::fs::write(d.path().join("journal.json"), journal).unwrap();
    for (file, app, want) in
        [("pino.log", "pino", serde_json::json!({"info": 1, "error": 1})), ("journal.json", "journal", serde_json::json!({"warn": 1, "info": 1}))]
    {
        let o = run_in(d.path(), &["index", "--input", file, "--offline", "-o", "json"], None);
        assert!(o.status.success(), "{}", err(&o));
        let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
        assert_eq!((v["app"].as_str(), v["records_without_timestamp"].as_u64()), (Some(app), Some(0)), "{v}");
        assert_eq!(v["levels"], want, "{v}");
        assert!(v["first_ts"].as_str().unwrap().starts_with("2024-06-01T08:00:00."), "{v}");
    }
    // JSON lines (zap-like keys) and logfmt.
    let json =
        "{\"ts\":\"2024-06-01T08:00:00.5Z\",\"level\":\"info\",\"msg\":\"up\"}\n{\"ts\":\"2024-06-01T08:00:01Z\",\"level\":\"error\",\"msg\":\"down\"}\n";
    std::fs::write(d.path().join("svc.json"), json).unwrap();
    let o = run_in(d.path(), &["index", "--input", "svc.json", "--offline"], None);
    assert!(o.status.success() && err(&o).contains("detected: JSON lines"), "{}", err(&o));
    let fmt = "time=2024-06-01T08:00:00Z level=warn msg=\"disk 91%\" host=a\ntime=2024-06-01T08:00:05Z level=info msg=ok host=a\n";
    std::fs::write(d.path().join("node.logfmt"), fmt).unwrap();
    let o = run_in(d.path(), &["index", "--input", "node.logfmt", "--offline"], None);
    assert!(o.status.success() && err(&o).contains("detected: logfmt"), "{}", err(&o));
    let o =
        run_in(d.path(), &["query", "{app=\"node\"}", "--app", "node", "--start", "2024-06-01T08:00:01Z", "--end", "2024-06-01T08:00:09Z", "-o", "raw"], None);
    assert_eq!(out(&o).trim(), "time=2024-06-01T08:00:05Z level=info msg=ok host=a", "{}", err(&o));
}

/// A file whose format changes halfway keeps its first format: the other
/// lines are read, counted and said; a 2 MB line and stamps in mixed zones
/// are read too.
#[test]
fn a_format_that_changes_halfway_mixed_zones_and_a_huge_line() {
    let d = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..600 {
        text.push_str(&format!("2024-01-01T00:{:02}:{:02}+0{}:00 INFO job {i} done\n", i / 60 % 60, i % 60, i % 3));
    }
    for i in 0..400 {
        text.push_str(&format!("Jan  2 00:{:02}:{:02} web1 sshd[1]: login {i}\n", i / 60 % 60, i % 60));
    }
    text.push_str(&format!("2024-01-01T01:00:00Z WARN {}\n", "x".repeat(2 << 20)));
    std::fs::write(d.path().join("mixed.log"), &text).unwrap();
    let o = run_in(d.path(), &["index", "--input", "mixed.log", "--offline"], None);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("records without timestamp      400 (400 with a stamp in another format)"), "{}", out(&o));
    let o = run_in(d.path(), &["index", "--input", "mixed.log", "--offline", "-o", "json"], None);
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap_or_else(|e| panic!("{e}: {}", err(&o)));
    assert_eq!((v["lines"].as_u64(), v["records_without_timestamp"].as_u64()), (Some(1001), Some(400)), "{v}");
    // Offsets of +00, +01 and +02 hours, all read to UTC: the first line at
    // 00:00:00+00:00, the third (00:00:02+02:00) the day before.
    assert_eq!(v["first_ts"], "2023-12-31T22:00:02Z", "{v}");
    assert_eq!(v["levels"]["warn"], 1, "the 2 MB line is a record of its own: {v}");
}

/// Several different files are one app, each file's lines labelled
/// `filename` (as promtail does); the index reads them all.
#[test]
fn several_files_are_one_app_with_a_filename_label() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("api.log"), "2024-06-01T08:00:00Z INFO api up\n2024-06-01T08:00:02Z ERROR api down\n").unwrap();
    std::fs::write(d.path().join("worker.log"), "2024-06-01T08:00:01Z INFO worker up\n").unwrap();
    let o = run_in(d.path(), &["index", "--input", "api.log", "worker.log", "--offline", "--app", "svc"], None);
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("2 files: one app, each file's lines labelled filename"), "{}", err(&o));
    assert!(out(&o).contains("indexed svc: 3 lines"), "{}", out(&o));
    let o = run_in(
        d.path(),
        &["query", "sum by (filename) (count_over_time({app=\"svc\"}[1h]))", "--app", "svc", "--instant", "--time", "2024-06-01T08:30:00Z", "-o", "raw"],
        None,
    );
    assert!(o.status.success(), "{}", err(&o));
    let mut rows: Vec<String> = out(&o).lines().map(str::to_owned).collect();
    rows.sort();
    assert_eq!(rows, ["{filename=\"api.log\"} 2", "{filename=\"worker.log\"} 1"], "{}", out(&o));
    let o = run_in(
        d.path(),
        &["query", "{app=\"svc\", filename=\"worker.log\"}", "--app", "svc", "--start", "2024-06-01T08:00:00Z", "--end", "2024-06-01T09:00:00Z", "-o", "raw"],
        None,
    );
    assert_eq!(out(&o).trim(), "2024-06-01T08:00:01Z INFO worker up", "{}", err(&o));
}
