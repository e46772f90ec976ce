//! `index --follow` through the real binary: the knowledge follows a growing
//! file (one line per update), a line still being written waits for its end,
//! a truncated file is said and read from the start, Ctrl-C stops it cleanly;
//! with --from-loki, what a (local stand-in) Loki receives is pulled and indexed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::datasets;

fn hdfs_lines() -> Vec<String> {
    std::fs::read_to_string(datasets().join("hdfs/HDFS_2k.log")).unwrap().lines().map(|l| format!("{l}\n")).collect()
}

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Runs the binary with `args` after the data and storage flags; its stdout
/// lines arrive on the receiver.
fn spawn(dir: &std::path::Path, storage: &std::path::Path, args: &[&str]) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logcopilot"))
        .args(["--datasets", datasets().to_str().unwrap(), "--storage", storage.to_str().unwrap()])
        .args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join(".no-config"))
        .env("HOME", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Ctrl-C, then the exit status (within 10 s).
fn interrupt(child: &mut std::process::Child, seen: &[String]) -> std::process::ExitStatus {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("still running 10 s after Ctrl-C: {seen:#?}");
}

/// The next stdout line containing `needle`, within 15 s.
fn wait_for(rx: &mpsc::Receiver<String>, needle: &str, seen: &mut Vec<String>) -> String {
    loop {
        match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(l) => {
                seen.push(l.clone());
                if l.contains(needle) {
                    return l;
                }
            }
            Err(_) => panic!("no line with {needle:?} within 15 s; got {seen:#?}"),
        }
    }
}

#[test]
fn follow_indexes_what_is_appended_until_ctrl_c() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("f.log");
    let lines = hdfs_lines();
    std::fs::write(&input, lines[..500].concat()).unwrap();
    let storage = d.path().join("st");
    let (mut child, rx) = spawn(d.path(), &storage, &["index", "--app", "hdfs", "--offline", "--follow", "--input", input.to_str().unwrap()]);
    let mut seen = Vec::new();
    wait_for(&rx, "following", &mut seen);

    append(&input, &lines[500..1000].concat());
    let l = wait_for(&rx, "new lines", &mut seen);
    assert!(l.contains("500 new lines") && l.contains("1000 lines in all"), "{l}");

    // Half a line: nothing until its end is written.
    let (head, tail) = lines[1000].split_at(20);
    append(&input, head);
    std::thread::sleep(Duration::from_millis(1600));
    append(&input, tail);
    let l = wait_for(&rx, "new lines", &mut seen);
    assert!(l.contains("1 new lines") && l.contains("1001 lines in all"), "{l}");

    std::fs::write(&input, lines[..10].concat()).unwrap();
    let l = wait_for(&rx, "truncated", &mut seen);
    assert!(l.contains("10 lines in all"), "{l}");

    // Ctrl-C: it stops after the update in hand and exits cleanly.
    let status = interrupt(&mut child, &seen);
    assert!(status.success(), "{status:?}: {seen:#?}");
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(storage.join("hdfs/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["stats"]["lines"], 10);
}

/// `index --from-loki --follow`: Loki is asked every `--every` for what it
/// received since the cursor, and what arrived is indexed (the OpenSSH
/// sample restamped near now, served by a local Loki stand-in that grows).
#[test]
fn follow_from_loki_indexes_what_arrives() {
    use crate::index_loki::{GrowingLoki, now_ns};

    let rt = tokio::runtime::Runtime::new().unwrap();
    let loki = rt.block_on(GrowingLoki::start());
    loki.add(0..500, now_ns() - 60_000_000_000);
    let d = tempfile::tempdir().unwrap();
    let storage = d.path().join("st");
    let (mut child, rx) = spawn(
        d.path(),
        &storage,
        &["index", "--app", "openssh", "--offline", "--from-loki", r#"{app="openssh"}"#, "--since", "10m", "--follow", "--every", "1s", "--loki", &loki.server.url],
    );
    let mut seen = Vec::new();
    let l = wait_for(&rx, "pulled", &mut seen);
    assert!(l.contains("pulled 500 entries"), "{l}");
    wait_for(&rx, "following", &mut seen);

    // 500 more arrive, stamped now (after the cursor, before the next look's end).
    loki.add(500..1000, now_ns());
    let l = wait_for(&rx, "from Loki", &mut seen);
    assert!(l.contains("+500 entries from Loki") && l.contains("500 lines indexed"), "{l}");

    let status = interrupt(&mut child, &seen);
    assert!(status.success(), "{status:?}: {seen:#?}");
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(storage.join("openssh/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["stats"]["lines"], 1000);
}
