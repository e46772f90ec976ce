//! The TUI as a person sees it: the real binary in a pseudo-terminal
//! (libc's openpty) at 100x30, its output read by a terminal emulator
//! (vt100). It indexes the app by itself on first start, runs a LogQL query
//! typed in the editor on the embedded engine and shows its lines, answers a
//! question through the pipeline (no model: the query builder), uses no
//! CPU while idle, and gives the terminal back on quit. Also `analyze` on a
//! terminal: it asks before each next chunk and stops when told.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::common::datasets;

const ROWS: u16 = 30;
const COLS: u16 = 100;

struct Pty {
    child: Child,
    writer: File,
    screen: Arc<Mutex<vt100::Parser>>,
}

/// Opens a pty of ROWS x COLS and runs the binary on it as a session leader
/// with the pty as its controlling terminal.
fn spawn(args: &[&str], dir: &std::path::Path) -> Pty {
    spawn_with(args, dir, &[], false)
}

/// [`spawn`] with more environment, and stderr on the pty too (else piped).
fn spawn_with(args: &[&str], dir: &std::path::Path, env: &[(&str, &str)], stderr_on_pty: bool) -> Pty {
    spawn_full(args, dir, env, stderr_on_pty, None)
}

/// [`spawn_with`], with stdin from `stdin` instead of the pty (the pty stays
/// the controlling terminal, as under `cat x.log | logcopilot -`).
fn spawn_full(args: &[&str], dir: &std::path::Path, env: &[(&str, &str)], stderr_on_pty: bool, stdin: Option<Stdio>) -> Pty {
    let (mut master, mut slave) = (0, 0);
    let ws = libc::winsize { ws_row: ROWS, ws_col: COLS, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: openpty writes two fds into the given ints; null name/termios are allowed.
    let rc = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &ws) };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: both fds were just opened by openpty and are owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logcopilot"));
    cmd.args(args)
        .current_dir(dir)
        .env("TERM", "xterm-256color")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".no-config"))
        .env_remove("NO_COLOR")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("LOKI_ADDR")
        .env_remove("LOKI_BASE_URL")
        .envs(env.iter().copied())
        .stdin(match stdin {
            Some(s) => s,
            None => Stdio::from(slave.try_clone().unwrap()),
        })
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(if stderr_on_pty { Stdio::from(slave.try_clone().unwrap()) } else { Stdio::piped() });
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // fd 1 is the pty in every case (stdin may be a log).
            if libc::setsid() < 0 || libc::ioctl(1, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().expect("start logcopilot");
    drop(slave);
    let writer = File::from(master.try_clone().unwrap());
    let mut reader = File::from(master);
    let screen = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
    let (s, mut answer) = (screen.clone(), writer.try_clone().unwrap());
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            let chunk = &buf[..n];
            // A real terminal answers a cursor position query.
            if chunk.windows(4).any(|w| w == b"\x1b[6n") {
                let _ = answer.write_all(b"\x1b[1;1R");
            }
            s.lock().unwrap().process(chunk);
        }
    });
    Pty { child, writer, screen }
}

impl Pty {
    fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(30));
    }

    /// Waits until the screen shows `what` (20 s at most).
    fn wait_for(&mut self, what: &str) -> String {
        let t = Instant::now();
        loop {
            let text = self.text();
            if text.contains(what) {
                return text;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut err = String::new();
                if let Some(e) = self.child.stderr.as_mut() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("logcopilot exited ({status}) before showing {what:?}; stderr: {err}\nscreen:\n{text}");
            }
            if t.elapsed() > Duration::from_secs(20) {
                let _ = self.child.kill();
                panic!("no {what:?} on screen after 20 s; screen:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Ctrl-C, and the process ends within 10 s.
    fn quit(&mut self) {
        self.send(b"\x03");
        let t = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(t.elapsed() < Duration::from_secs(10), "did not quit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// User + system CPU time of the process so far, in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = after.split_whitespace().collect();
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    }
}

#[test]
fn types_a_query_and_a_question_and_finds_their_results_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "app = \"hdfs\"\n").unwrap();
    let (ds, st, res) = (datasets(), dir.path().join("storage"), dir.path().join("results"));
    let args = ["--config", config.to_str().unwrap(), "--datasets", ds.to_str().unwrap(), "--storage", st.to_str().unwrap(), "--results", res.to_str().unwrap()];
    let mut p = spawn(&args, dir.path());

    // No knowledge yet: the indexing screen opens by itself, indexes the
    // sample, and goes on to the main screen by itself, with the app's query
    // already run over the sample's span and the summary in the status bar.
    p.wait_for("Results · 1000 lines");
    let s = p.wait_for("Knowledge · 16 templates");
    assert!(st.join("hdfs/manifest.json").is_file());
    assert!(s.contains("Results · 1000 lines"), "{s}");
    assert!(s.contains("no Loki") && s.contains("no model"), "{s}");
    assert!(s.contains("hdfs: 2000 lines in"), "the indexing summary in the status bar:\n{s}");

    // The focus is in the Question pane: a newcomer's first typed words are a
    // question. Without a model the query builder answers, and the question,
    // the steps, the query and its result show.
    p.send(b"How many blocks were deleted?\r");
    let s = p.wait_for("Answer: 263");
    assert!(s.contains("Q: How many blocks were deleted?"), "the question stays above its answer:\n{s}");
    assert!(s.contains("Knowledge · 8 retrieved"), "retrieved items replace the templates:\n{s}");
    assert!(s.contains("Results · 1 series"), "the query ran:\n{s}");
    assert!(s.contains(r#"|= "Deleting block" [$__"#), "the query is in the editor:\n{s}");
    let records = std::fs::read_dir(res.join("hdfs")).unwrap().count();
    assert_eq!(records, 1, "the question's record is written");

    // Tab to the editor, clear it (Ctrl-A, Ctrl-K), type a query, Ctrl-R.
    p.send(b"\t");
    p.send(b"\x01\x0b");
    p.send(br#"{app="hdfs"} |= "Deleting block" |= "blk_-1""#);
    p.send(b"\x12");
    let s = p.wait_for("Results · 25 lines");
    assert!(s.contains("embedded"), "{s}");
    let shown: Vec<&str> = s.lines().filter(|l| l.contains("Deleting block blk_-1")).collect();
    assert!(shown.len() >= 10, "result lines on screen:\n{s}");
    assert!(s.contains("11-11 10:02:10"), "the newest line first, with its time:\n{s}");

    // A parse error shows under the editor, with nothing run.
    p.send(b"\x01\x0b");
    p.send(br#"{app="hdfs""#);
    let s = p.wait_for("syntax error");
    assert!(s.contains("Results · 25 lines"), "{s}");

    // Idle: no busy loop.
    std::thread::sleep(Duration::from_millis(300));
    let before = p.cpu_ticks();
    std::thread::sleep(Duration::from_secs(2));
    let used = p.cpu_ticks() - before;
    assert!(used <= 3, "{used} clock ticks of CPU in 2 s of idling");

    // The index key (Ctrl-G) shows the finished indexing again; Esc goes back.
    p.send(b"\x07");
    let s = p.wait_for("Indexing hdfs · done");
    assert!(s.contains("2,000 lines"), "{s}");
    assert!(s.contains("skipped: no LLM endpoint configured"), "{s}");
    p.send(b"\x1b");
    p.wait_for("Results · 25 lines");

    // Ctrl-C quits and gives the terminal back.
    p.send(b"\x03");
    let t = Instant::now();
    let status = loop {
        if let Some(s) = p.child.try_wait().unwrap() {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "did not quit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    std::thread::sleep(Duration::from_millis(100));
    assert!(!p.screen.lock().unwrap().screen().alternate_screen(), "left the alternate screen");
}

#[test]
fn without_a_terminal_it_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_logcopilot"))
        .args(["--datasets", datasets().to_str().unwrap()])
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join(".no-config"))
        .env("HOME", dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the TUI needs a terminal"), "{err}");
}

/// `analyze` on a terminal asks before each next chunk: yes streams the next
/// one, no stops there, and only the chunks agreed to reach the model.
#[test]
fn analyze_asks_before_each_next_chunk_on_a_terminal() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(crate::llm::server::MockLlm::start());
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("config.toml"), "[llm]\ncontext_tokens = 1024\n[analyze]\nanswer_tokens = 100\n").unwrap();
    let text = std::fs::read_to_string(datasets().join("openssh/OpenSSH_2k.log")).unwrap();
    let lines: Vec<&str> = text.lines().take(120).collect();
    std::fs::write(d.path().join("ssh.log"), lines.join("\n")).unwrap();
    let mut p = spawn_with(
        &["analyze", "--input", "ssh.log", "--mode", "summary"],
        d.path(),
        &[("OPENAI_BASE_URL", s.base_url.as_str()), ("OPENAI_API_KEY", "test")],
        true,
    );
    let screen = p.wait_for("? [Y/n]");
    assert!(screen.contains("analyse the next chunk (2 of "), "{screen}");
    assert_eq!(s.count(crate::llm::server::Route::Chat), 1, "only the first chunk so far");
    p.send(b"y\n");
    let screen = p.wait_for("(3 of ");
    assert_eq!(s.count(crate::llm::server::Route::Chat), 2, "{screen}");
    p.send(b"n\n");
    let screen = p.wait_for("stopped after chunk 2 of");
    let t = Instant::now();
    let status = loop {
        if let Some(st) = p.child.try_wait().unwrap() {
            break st;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "still running after no: {screen}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}: {screen}");
    assert_eq!(s.count(crate::llm::server::Route::Chat), 2, "the third chunk was not sent");
}

/// 300 lines of the OpenSSH sample in a file of the user's.
fn users_log(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(datasets().join("openssh/OpenSSH_2k.log")).unwrap();
    let p = dir.join("auth.log");
    std::fs::write(&p, text.lines().take(300).collect::<Vec<_>>().join("\n")).unwrap();
    p
}

/// `logcopilot ./auth.log` in a folder that is no checkout, with nothing
/// configured: the file opens as the app `auth` (in the OpenSSH sample's
/// format, found from its lines), is indexed, and a question is answered.
#[test]
fn a_users_file_opens_in_the_tui_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    users_log(dir.path());
    let data = dir.path().join(".data");
    let mut p = spawn_with(&["./auth.log"], dir.path(), &[("XDG_DATA_HOME", data.to_str().unwrap())], false);
    let s = p.wait_for("templates · like");
    assert!(s.contains("auth"), "the app is named after the file:\n{s}");
    assert!(data.join("logcopilot/storage/auth/dataset.toml").is_file());
    p.wait_for("Results · 300 lines");
    p.send(b"How many failed password attempts were there?\r");
    let s = p.wait_for("Answer:");
    assert!(s.contains("Q: How many failed password attempts"), "{s}");
    p.quit();
}

/// `logcopilot - < auth.log`: the log comes on stdin, the keys from the
/// terminal; the lines are kept under storage/stdin/input/.
#[test]
fn piped_stdin_opens_in_the_tui_and_the_keys_come_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let log = users_log(dir.path());
    let data = dir.path().join(".data");
    let mut p = spawn_full(&["-"], dir.path(), &[("XDG_DATA_HOME", data.to_str().unwrap())], false, Some(Stdio::from(File::open(&log).unwrap())));
    p.wait_for("Results · 300 lines");
    assert!(data.join("logcopilot/storage/stdin/input/stdin.log").is_file());
    // Keys still work: Tab moves to the editor, a query runs.
    p.send(b"\t");
    p.send(b"\x01\x0b");
    p.send(br#"{app="stdin"} |= "Failed password""#);
    p.send(b"\x12");
    let s = p.wait_for("Results · ");
    assert!(s.contains("Failed password"), "{s}");
    p.quit();
}

/// `kubectl logs -f … | logcopilot -`: a pipe that stays open. The TUI opens
/// on what came first, and what comes later is indexed as it arrives (the
/// knowledge pane's template count and the query's lines grow).
#[test]
fn a_live_pipe_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(datasets().join("openssh/OpenSSH_2k.log")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let data = dir.path().join(".data");
    let (reader, mut writer) = std::io::pipe().unwrap();
    writer.write_all((lines[..100].join("\n") + "\n").as_bytes()).unwrap();
    let mut p = spawn_full(&["-"], dir.path(), &[("XDG_DATA_HOME", data.to_str().unwrap())], false, Some(Stdio::from(reader)));
    p.wait_for("Results · 100 lines");
    writer.write_all((lines[100..400].join("\n") + "\n").as_bytes()).unwrap();
    writer.flush().unwrap();
    // The status bar counts the update; Ctrl-R then finds more lines in the
    // window on screen (the first lines' span).
    p.wait_for("following · 1 update");
    p.send(b"\t\x12");
    let t = Instant::now();
    let shown = loop {
        let s = p.text();
        let n = s.split("Results · ").nth(1).and_then(|r| r.split(' ').next()).and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
        if n > 100 {
            break n;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "the new lines never showed:\n{s}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(shown <= 400, "{shown}");
    let kept = std::fs::read_to_string(data.join("logcopilot/storage/stdin/input/stdin.log")).unwrap();
    assert_eq!(kept.lines().count(), 400);
    drop(writer);
    p.quit();
}
