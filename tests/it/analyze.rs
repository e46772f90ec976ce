//! `analyze` against the scripted local LLM server: two chunks streamed one
//! after the other (library), a cancel, and the real binary with
//! OPENAI_BASE_URL: `--yes` analyses every chunk, without a terminal it stops
//! after the first and says so, a binary file is refused, no model exits 2.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use logcopilot::analyze::{AnalyzeError, AnalyzeOptions, Mode, chunk_lines, run_chunk};
use logcopilot::config::RedactionMode;
use logcopilot::llm::StreamEvent;
use tokio_util::sync::CancellationToken;

use crate::common::datasets;
use crate::llm::server::{MockLlm, Reply, Route};

fn openssh_lines(n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(datasets().join("openssh/OpenSSH_2k.log")).unwrap();
    text.lines().take(n).map(str::to_owned).collect()
}

fn opts() -> AnalyzeOptions {
    AnalyzeOptions { service: Some("OpenSSH on a lab server".into()), answer_tokens: 200, temperature: 0.2 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_chunks_are_streamed_one_after_the_other() {
    let s = MockLlm::start().await;
    let llm = s.client(RedactionMode::Default);
    crate::llm::client::known_plain(&s, &llm).await;
    s.clear_log();
    let lines = openssh_lines(40);
    let counter = llm.chat_tokens();
    let total: usize = lines.iter().map(|l| counter.count(l) + 1).sum();
    let chunks = chunk_lines(&lines, &counter, total / 2 + 20);
    assert_eq!(chunks.len(), 2);
    assert_eq!((chunks[0].first_line, chunks[1].last_line), (1, 40));
    assert_eq!(chunks[1].first_line, chunks[0].last_line + 1);
    s.push(Route::Chat, Reply::Text("First part: a break-in attempt from <IP_1>.".into()));
    s.push(Route::Chat, Reply::Text("Second part: failed passwords for root.".into()));
    let cancel = CancellationToken::new();
    let mut streamed = Vec::new();
    for c in &chunks {
        let mut deltas = Vec::new();
        let done = run_chunk(&llm, Mode::Summary, c, &opts(), &cancel, |e| {
            if let StreamEvent::Delta(t) = e {
                deltas.push(t.to_owned());
            }
        })
        .await
        .unwrap();
        assert!(deltas.len() > 1, "streamed in pieces: {deltas:?}");
        assert_eq!(deltas.concat(), done.text);
        streamed.push(done.text);
    }
    assert_eq!(streamed, vec!["First part: a break-in attempt from 173.234.31.186.", "Second part: failed passwords for root."]);
    let reqs = s.requests();
    assert_eq!(reqs.len(), 2);
    for (i, r) in reqs.iter().enumerate() {
        assert_eq!(r.body["stream"], true);
        let user = r.body["messages"][1]["content"].as_str().unwrap();
        assert!(user.contains(&format!("Part {} of 2", i + 1)), "{user}");
        assert!(user.contains("System: OpenSSH on a lab server") && user.contains("<<<DATA_"), "{user}");
        // Redaction (mode default) applies: the address is a placeholder on the wire.
        assert!(!user.contains("173.234.31.186") && user.contains("<IP_"), "{user}");
    }
    // ... and the placeholder the model quotes is mapped back in the answer.
    assert!(!streamed[0].contains("<IP_1>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_in_flight_is_cancelled() {
    let s = MockLlm::start().await;
    s.push(Route::Chat, Reply::Slow(Duration::from_secs(30), Box::new(Reply::Normal)));
    let llm = s.client(RedactionMode::Off);
    let chunks = chunk_lines(&openssh_lines(5), &llm.chat_tokens(), 1000);
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c2.cancel();
    });
    let t = std::time::Instant::now();
    let r = run_chunk(&llm, Mode::Interpret, &chunks[0], &opts(), &cancel, |_| {}).await;
    assert!(matches!(r, Err(AnalyzeError::Cancelled)), "{r:?}");
    assert!(t.elapsed() < Duration::from_secs(2));
}

/// Runs the binary in `dir` with the model at `base_url` (none when empty).
async fn analyze(dir: &Path, base_url: &str, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_logcopilot"));
    c.arg("analyze")
        .args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join(".no-config"))
        .env("HOME", dir)
        .env_remove("OPENAI_API_KEY")
        .stdin(std::process::Stdio::null());
    if base_url.is_empty() {
        c.env_remove("OPENAI_BASE_URL");
    } else {
        c.env("OPENAI_BASE_URL", base_url);
    }
    tokio::task::spawn_blocking(move || c.output().expect("run logcopilot")).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_streams_every_chunk_with_yes_and_asks_otherwise() {
    let s = MockLlm::start().await;
    let dir = tempfile::tempdir().unwrap();
    // A small context: 40 OpenSSH lines make a few chunks.
    std::fs::write(dir.path().join("config.toml"), "[llm]\ncontext_tokens = 1024\n[analyze]\nanswer_tokens = 100\n").unwrap();
    std::fs::write(dir.path().join("ssh.log"), openssh_lines(40).join("\n")).unwrap();
    let o = analyze(dir.path(), &s.base_url, &["--input", "ssh.log", "--mode", "action-items", "--yes"]).await;
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{out}\n{err}");
    let n = s.count(Route::Chat);
    assert!(n >= 2, "{err}");
    assert_eq!(out.matches("echo: System: unknown").count(), n, "every chunk's answer on stdout: {out}");
    assert!(err.contains(&format!("chunk {n} of {n}")), "{err}");
    assert!(s.requests()[0].body["messages"][0]["content"].as_str().unwrap().contains("action items"));

    // Without --yes and without a terminal: the first chunk, then a note.
    s.clear_log();
    let o = analyze(dir.path(), &s.base_url, &["--input", "ssh.log"]).await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(s.count(Route::Chat), 1);
    assert!(err.contains(&format!("stopped after chunk 1 of {n}")) && err.contains("--yes"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_refuses_binary_input_and_needs_a_model() {
    let s = MockLlm::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_logcopilot");
    let o = analyze(dir.path(), &s.base_url, &["--input", bin]).await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("looks like a binary file"), "{err}");
    assert_eq!(s.count(Route::Chat), 0);
    std::fs::write(dir.path().join("a.log"), "one line\n").unwrap();
    let o = analyze(dir.path(), "", &["--input", "a.log"]).await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no LLM endpoint configured"), "{err}");
}
