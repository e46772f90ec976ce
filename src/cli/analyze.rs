//! `logcopilot analyze --input FILE|- --mode summary|root-cause|...`: the
//! lines of a file (or stdin) in chunks under the model's context budget,
//! each chunk's analysis streamed to stdout. Between chunks it asks on the
//! terminal; `--yes` analyses them all; without a terminal to ask (stdin is
//! the input, or not a terminal) it stops after the first and says so.
//! Without a model it says so and exits 2.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use tokio_util::sync::CancellationToken;

use super::Exit;
use super::ask::safe;
use super::query::runtime;
use crate::analyze::{self, AnalyzeOptions, Mode, chunk_budget, chunk_lines, prompt_tokens, read_input};
use crate::config::{self, Config};
use crate::dataset::Dataset;
use crate::llm::{LlmClient, StreamEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// What happened, in a few bullet points.
    Summary,
    /// The most likely cause of the problems.
    RootCause,
    /// Concrete actions, most urgent first.
    ActionItems,
    /// What each kind of line means.
    Interpret,
    /// How to fix the problems shown.
    Solution,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Summary => Mode::Summary,
            ModeArg::RootCause => Mode::RootCause,
            ModeArg::ActionItems => Mode::ActionItems,
            ModeArg::Interpret => Mode::Interpret,
            ModeArg::Solution => Mode::Solution,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct AnalyzeArgs {
    /// The log lines: a file (plain or gzip), or - for stdin.
    #[arg(long, short, value_name = "FILE")]
    pub input: PathBuf,
    #[arg(long, short, value_enum, default_value = "summary")]
    pub mode: ModeArg,
    /// Analyse every chunk without asking.
    #[arg(long)]
    pub yes: bool,
    /// The app the lines come from: its dataset's description goes in the prompt.
    #[arg(long)]
    pub app: Option<String>,
}

pub fn run(cfg: &Config, quiet: bool, a: AnalyzeArgs) -> anyhow::Result<()> {
    let Some(llm) = LlmClient::from_config(cfg)? else {
        eprintln!("error: {}: `analyze` needs a model", crate::llm::NO_ENDPOINT);
        return Err(Exit(2).into());
    };
    let service = match &a.app {
        Some(app) => {
            let paths = config::resolve_paths(cfg);
            Some(Dataset::find(&paths.datasets, &paths.storage, app)?.description)
        }
        None => None,
    };
    let input = read_input(&a.input)?;
    let mode = Mode::from(a.mode);
    let counter = llm.chat_tokens();
    let opts = AnalyzeOptions::from_config(cfg, service);
    let budget = chunk_budget(cfg.llm.context_tokens, opts.answer_tokens, prompt_tokens(&counter, mode, opts.service_text()));
    let chunks = chunk_lines(&input.lines, &counter, budget);
    if !quiet {
        let lossy = if input.lossy > 0 { format!(" ({} with invalid UTF-8, replaced)", input.lossy) } else { String::new() };
        eprintln!(
            "· {mode} of {} lines{lossy}: {} chunk(s) of at most {budget} tokens (llm.context_tokens {} less the prompt and {} for the answer), model {}",
            input.lines.len(),
            chunks.len(),
            cfg.llm.context_tokens,
            opts.answer_tokens,
            llm.chat_model()
        );
    }
    for c in &chunks {
        for n in &c.cut_lines {
            eprintln!("· line {n} is longer than the budget: cut to {budget} tokens");
        }
    }
    let from_stdin = a.input.as_os_str() == "-";
    let can_ask = !from_stdin && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let rt = runtime()?;
    let cancel = CancellationToken::new();
    for c in &chunks {
        if !quiet {
            eprintln!("── chunk {} of {}: lines {}-{} ({} tokens) ──", c.index + 1, c.of, c.first_line, c.last_line, c.tokens);
        }
        let done = rt.block_on(analyze::run_chunk(&llm, mode, c, &opts, &cancel, |e| match e {
            StreamEvent::Delta(t) => {
                print!("{}", safe(t));
                let _ = std::io::stdout().flush();
            }
            StreamEvent::Restart { .. } => println!("\n[the answer starts again]"),
            // Reasoning never goes to stdout; its size is told when the part is done.
            StreamEvent::Reasoning(_) => {}
            StreamEvent::Retract(_) => println!("\n[that was the model's reasoning; the answer starts again]"),
        }));
        println!();
        let done = done.with_context(|| format!("chunk {} of {}", c.index + 1, c.of))?;
        if done.unterminated {
            eprintln!("! the model's reply to chunk {} ended inside its reasoning (cut at max tokens?): it held no answer", c.index + 1);
        }
        if !quiet {
            let est = if done.estimated { "~" } else { "" };
            if done.reasoning_tokens > 0 {
                eprintln!("· the model reasoned first: {} tokens, not shown", done.reasoning_tokens);
            }
            eprintln!("· {est}{} tokens in, {est}{} out, {:.1} s", done.tokens_in, done.tokens_out, done.ms as f64 / 1000.0);
        }
        let next = c.index + 2;
        if next > c.of || a.yes {
            continue;
        }
        if !can_ask {
            let why = if from_stdin { "stdin is the input" } else { "stdin is not a terminal" };
            eprintln!("· stopped after chunk {} of {}: {why}, so there is no one to ask; pass --yes to analyse all {} chunks", c.index + 1, c.of, c.of);
            break;
        }
        if !ask_next(next, c.of) {
            eprintln!("· stopped after chunk {} of {}", c.index + 1, c.of);
            break;
        }
    }
    if !quiet {
        eprintln!("· usage: {}", llm.usage().phase(analyze::run::PHASE).brief());
    }
    Ok(())
}

/// Asks on the terminal whether to go on; yes unless the answer starts with n.
fn ask_next(k: usize, n: usize) -> bool {
    eprint!("analyse the next chunk ({k} of {n})? [Y/n] ");
    let _ = std::io::stderr().flush();
    let mut s = String::new();
    match std::io::stdin().read_line(&mut s) {
        Ok(0) | Err(_) => false,
        Ok(_) => !s.trim().to_ascii_lowercase().starts_with('n'),
    }
}
