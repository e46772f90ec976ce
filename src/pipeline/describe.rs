//! How a [`PipelineEvent`] reads as a step in a log: the CLI's `ask` prints
//! these lines on stderr, the TUI's answer pane lists them while it runs.

use super::event::{GuardDecision, PipelineEvent, Stage};

impl PipelineEvent {
    /// One line (or a few, indented) telling a person what happened, for a
    /// step log; `None` for events that are not steps (answer text, stage
    /// boundaries, the end).
    pub fn step_line(&self) -> Option<String> {
        Some(match self {
            PipelineEvent::Dispatched { kind, reason } => format!("· dispatch: {kind:?} question, {reason}").to_lowercase(),
            PipelineEvent::Note { text } => format!("· note: {text}"),
            PipelineEvent::Retrieved { items, context_tokens, refined, .. } => {
                let mut s = format!("· {}: {} items, {context_tokens} tokens of context", if *refined { "refine" } else { "retrieve" }, items.len());
                for i in items.iter().take(5) {
                    let first = i.text.lines().next().unwrap_or("");
                    s.push_str(&format!("\n    {:<8} {:.3}  {}", i.id, i.score, first.chars().take(100).collect::<String>()));
                }
                s
            }
            PipelineEvent::Candidate { attempt, source, logql, explanation } => {
                let who = format!("{source:?}").to_lowercase();
                let why = explanation.as_ref().map(|x| format!("\n    ({x})")).unwrap_or_default();
                format!("· query from {who} (try {attempt}): {logql}{why}")
            }
            PipelineEvent::CheckFailed { error, .. } => format!("· check: {error}"),
            PipelineEvent::Guard { decision, checks, .. } => {
                let d = match decision {
                    GuardDecision::Allowed => "allowed".to_owned(),
                    GuardDecision::Narrowed { .. } => "narrowed".to_owned(),
                    GuardDecision::Confirmed => "run as is (confirmed)".to_owned(),
                    GuardDecision::Refused => "refused".to_owned(),
                };
                format!("· guard: {d} ({})", checks.join("; "))
            }
            PipelineEvent::Executed { attempt, backend, ms, summary, .. } => format!("· execute (try {attempt}) on {backend}: {summary} in {ms} ms"),
            PipelineEvent::ExecutionFailed { attempt, error, .. } => format!("· execute (try {attempt}) failed: {error}"),
            PipelineEvent::Diagnosis { findings } => format!("· diagnosis:\n    {}", findings.join("\n    ").replace('\n', "\n    ")),
            PipelineEvent::Repair { attempt, reason, .. } => format!("· repair for try {attempt}: {reason:?}").to_lowercase(),
            PipelineEvent::Usage(u) => format!(
                "· tokens: {} in, {} out{}{}",
                u.tokens_in,
                u.tokens_out,
                if u.estimated { " (estimated)" } else { "" },
                u.cost_usd.map(|c| format!(", ${c:.4}")).unwrap_or_default()
            ),
            PipelineEvent::StageFinished { stage: Stage::Answer, ok: false, detail, .. } => format!("· answer: {detail}"),
            PipelineEvent::Reasoning { stage, attempt, tokens, unterminated, .. } => format!(
                "· reasoning before the {} (try {attempt}): {tokens} tokens{}, kept in the record",
                if *stage == Stage::Answer { "answer" } else { "query" },
                if *unterminated { ", with no end" } else { "" }
            ),
            _ => return None,
        })
    }
}
