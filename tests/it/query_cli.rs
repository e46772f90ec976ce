//! The real binary's `query`, `labels`, `series` and `load` commands: output
//! equal to a real Loki's, Loki-style errors, exit codes, stdin input, and a
//! load into a local Loki stand-in.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::common::{datasets, text};
use super::loki_server::{LokiServer, Reply};

/// A datasets folder with exactly the three apps the golden Loki holds.
fn golden_datasets(dir: &Path) -> std::path::PathBuf {
    let d = dir.join("datasets");
    std::fs::create_dir_all(&d).unwrap();
    for app in ["hdfs", "openssh", "openstack"] {
        std::os::unix::fs::symlink(datasets().join(app), d.join(app)).unwrap();
    }
    d
}

fn run(dir: &Path, args: &[&str]) -> Output {
    cmd(dir, args).output().expect("run logcopilot")
}

fn cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_logcopilot"));
    c.args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join(".no-config"))
        .env("HOME", dir)
        .env_remove("LOKI_ADDR")
        .env_remove("LOKI_BASE_URL")
        .env_remove("NO_COLOR");
    c
}

fn golden_response(id: &str) -> Value {
    let text = std::fs::read_to_string(super::common::root().join("tests/data/loki-golden/responses.jsonl")).unwrap();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        if v["id"] == id {
            return v["response"].clone();
        }
    }
    panic!("no golden {id}");
}

#[test]
fn json_output_is_lokis_body() {
    let dir = tempfile::tempdir().unwrap();
    let ds = golden_datasets(dir.path());
    let ds = ds.to_str().unwrap();
    // v09: an instant vector; v07: a matrix with step alignment; v34-v36: metadata.
    let cases: [(&str, Vec<&str>); 5] = [
        ("v09", vec!["query", r#"sum(count_over_time({app="hdfs"} |= "Served block" [2d]))"#, "--instant", "--time", "2008-11-11T11:00:00Z"]),
        ("v07", vec!["query", r#"sum by (component) (count_over_time({app="hdfs"}[6h]))"#, "--step", "6h", "--start", "2008-11-09T20:00:00Z", "--end", "2008-11-11T11:00:00Z"]),
        ("v34", vec!["labels", "--start", "2008-11-01T00:00:00Z", "--end", "2017-06-01T00:00:00Z"]),
        ("v35", vec!["labels", "component", "--start", "2008-11-01T00:00:00Z", "--end", "2017-06-01T00:00:00Z"]),
        ("v36", vec!["series", "--match", r#"{app="hdfs"}"#, "--start", "2008-11-09T20:00:00Z", "--end", "2008-11-11T11:00:00Z"]),
    ];
    for (id, args) in cases {
        let mut all = vec!["--datasets", ds];
        all.extend(args);
        all.extend(["-o", "json"]);
        let o = run(dir.path(), &all);
        assert!(o.status.success(), "{id}: {}", text(&o));
        let got: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{id}: {e}: {}", text(&o)));
        let mut want = golden_response(id);
        if let Some(d) = want.get_mut("data").and_then(Value::as_object_mut) {
            d.remove("stats");
        }
        if id == "v36" {
            // Series order is not part of Loki's contract.
            let sort = |v: &Value| {
                let mut a: Vec<String> = v["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| serde_json::to_string(&serde_json::from_value::<std::collections::BTreeMap<String, String>>(x.clone()).unwrap()).unwrap())
                    .collect();
                a.sort();
                a
            };
            assert_eq!(sort(&got), sort(&want), "{id}");
        } else {
            assert_eq!(got, want, "{id}");
        }
    }
}

#[test]
fn a_log_query_prints_a_table_a_raw_form_and_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let ds = golden_datasets(dir.path());
    let base = ["--datasets", ds.to_str().unwrap(), "query", r#"{app="openssh"} |= "Failed" or "Invalid""#, "--start", "2015-12-10T06:00:00Z", "--end", "2015-12-10T12:00:00Z", "--limit", "15", "--direction", "forward"];
    let o = run(dir.path(), &base);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], r#"common labels: {app="openssh", component="LabSZ"}"#);
    assert_eq!(lines.len(), 16);
    assert_eq!(lines[1], "2015-12-10T06:55:46Z  Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186");
    let mut raw = base.to_vec();
    raw.extend(["-o", "raw"]);
    let o = run(dir.path(), &raw);
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(out.lines().count(), 15);
    assert!(out.lines().all(|l| l.contains("Failed") || l.contains("Invalid")));
    let mut jl = base.to_vec();
    jl.extend(["-o", "jsonl"]);
    let o = run(dir.path(), &jl);
    let rows: Vec<Value> = String::from_utf8(o.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 15);
    assert_eq!(rows[0]["labels"]["component"], "LabSZ");
    assert!(rows.windows(2).all(|w| w[0]["ts_ns"].as_str().unwrap().parse::<i64>().unwrap() <= w[1]["ts_ns"].as_str().unwrap().parse::<i64>().unwrap()));
}

#[test]
fn a_metric_range_query_prints_a_series_table_and_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["--datasets", datasets().to_str().unwrap(), "query", r#"sum by (level) (count_over_time({app="openstack"}[5m]))"#, "--step", "5m", "--start", "2017-05-16T00:00:00Z", "--end", "2017-05-16T00:20:00Z"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.starts_with("LEVEL"), "{out}");
    assert!(out.contains("(2 series)") || out.contains("(3 series)"), "{out}");
    assert!(out.contains('█'), "the chart's tallest bar: {out}");
    assert!(out.contains("2017-05-16T00:"), "the time axis: {out}");
}

#[test]
fn a_bad_query_is_a_loki_style_error_with_a_caret() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["query", r#"{app="openstack""#]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(
        err,
        "parse error at line 1, col 17: syntax error: unexpected $end, expecting } or ,\n  {app=\"openstack\"\n                  ^\n"
    );
}

#[test]
fn bad_parameters_name_the_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["query", "{app=\"hdfs\"}", "--limit", "5001"], "limit"),
        (&["query", "rate({app=\"hdfs\"}[1m])", "--step", "0"], "step"),
        (&["query", "{app=\"hdfs\"}", "--start", "2008-11-11T00:00:00Z", "--end", "2008-11-10T00:00:00Z"], "end"),
        (&["query", "{app=\"hdfs\"}", "--since", "soon"], "--since"),
        (&["query", "{app=\"hdfs\"}", "--app", "nope"], "nope"),
        (&["query", "{app=\"hdfs\"}", "--backend", "loki"], "LOKI_BASE_URL"),
    ];
    for (args, word) in cases {
        let o = run(dir.path(), args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(word), "{args:?}: {err}");
    }
}

#[test]
fn input_from_stdin_replaces_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let ds = datasets();
    let mut c = cmd(dir.path(), &["--datasets", ds.to_str().unwrap(), "query", r#"count_over_time({app="hdfs", level="WARN"}[1d])"#, "--app", "hdfs", "--input", "-", "--instant", "--time", "2008-11-10T00:00:00Z", "-o", "raw"]);
    let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating\n081109 203807 222 WARN dfs.DataNode$DataXceiver: 10.251.30.6:50010:Got exception while serving blk_-7 to /10.251.90.64:\n081109 204005 35 WARN dfs.DataNode$DataXceiver: 10.251.30.6:50010:Got exception while serving blk_-8 to /10.251.90.64:\n").unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8(o.stdout).unwrap(), "{app=\"hdfs\", component=\"dfs.DataNode$DataXceiver\", level=\"WARN\"} 2\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_pushes_every_line_once_and_resumes() {
    let server = LokiServer::start().await;
    let fail_third = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let f = fail_third.clone();
    server.script(move |r| {
        r.path.ends_with("/push").then(|| {
            // The third push is refused for good (a 400 is not retried).
            if f.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 2 {
                Reply::text(400, "entry for stream '{app=\"hdfs\"}' has timestamp too old: 2008-11-09T20:35:18Z, oldest acceptable timestamp is: 2026-11-13T00:00:00Z")
            } else {
                Reply::text(204, "")
            }
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let url = server.url.clone();
    let d = dir.path().to_path_buf();
    let load = move |d: std::path::PathBuf, url: String| {
        let storage = d.join("storage");
        run(&d, &["--storage", storage.to_str().unwrap(), "--datasets", datasets().to_str().unwrap(), "load", "--app", "hdfs", "--loki", &url, "--batch-entries", "500", "-q"])
    };
    let (d1, u1) = (d.clone(), url.clone());
    let first = tokio::task::spawn_blocking(move || load(d1, u1)).await.unwrap();
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    let err = text(&first);
    assert!(err.contains("reject_old_samples"), "{err}");
    let second = tokio::task::spawn_blocking(move || load(d, url)).await.unwrap();
    assert!(second.status.success(), "{}", text(&second));
    // Every line of the sample reached the server exactly once over both runs.
    let mut lines: Vec<(String, String)> = Vec::new();
    for (i, r) in server.requests().iter().filter(|r| r.path.ends_with("/push")).enumerate() {
        if i == 2 {
            continue;
        }
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        for s in body["streams"].as_array().unwrap() {
            assert_eq!(s["stream"]["app"], "hdfs");
            assert!(s["stream"]["level"].is_string() && s["stream"]["component"].is_string());
            for v in s["values"].as_array().unwrap() {
                lines.push((v[0].as_str().unwrap().to_string(), v[1].as_str().unwrap().to_string()));
            }
        }
    }
    assert_eq!(lines.len(), 2000);
    let sample = std::fs::read_to_string(datasets().join("hdfs/HDFS_2k.log")).unwrap();
    let mut want: Vec<&str> = sample.lines().map(|l| l.trim_end_matches('\r')).collect();
    let mut got: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    let first = lines.iter().find(|(_, l)| l.starts_with("081109 203615 148")).unwrap();
    assert_eq!(first.0, "1226262975000000000", "{first:?}");
}

/// `load --input FILE` without `--app`: a user's own file is pushed as the
/// app named after it, with the labels and times of its detected format.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_pushes_a_users_own_file() {
    let server = LokiServer::start().await;
    server.script(|r| r.path.ends_with("/push").then(|| Reply::text(204, "")));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("jobs.log"), "2024-03-01 10:00:00 INFO worker started\n2024-03-01 10:00:05 ERROR job 7 failed\n").unwrap();
    let (d, url) = (dir.path().to_path_buf(), server.url.clone());
    let o = tokio::task::spawn_blocking(move || {
        let storage = d.join("storage");
        run(&d, &["--storage", storage.to_str().unwrap(), "--datasets", datasets().to_str().unwrap(), "load", "--input", "jobs.log", "--loki", &url, "-q"])
    })
    .await
    .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let mut pushed = Vec::new();
    for r in server.requests().iter().filter(|r| r.path.ends_with("/push")) {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        for s in body["streams"].as_array().unwrap() {
            for v in s["values"].as_array().unwrap() {
                pushed.push((s["stream"]["app"].as_str().unwrap().to_owned(), s["stream"]["level"].as_str().unwrap_or("").to_owned(), v[0].as_str().unwrap().to_owned()));
            }
        }
    }
    pushed.sort();
    assert_eq!(
        pushed,
        vec![("jobs".to_owned(), "ERROR".to_owned(), "1709287205000000000".to_owned()), ("jobs".to_owned(), "INFO".to_owned(), "1709287200000000000".to_owned())]
    );
}
