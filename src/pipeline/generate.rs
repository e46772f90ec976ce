//! LogQL from the model: the first request (`assets/prompts/logql_generate.md`
//! with the stream labels, the packed knowledge, the builder's query as a
//! hint and few-shot examples), reading the query out of a reply, and the
//! repair requests that follow a failure (our parse error with a caret,
//! Loki's own error text, or what exists when the result was empty).

use std::collections::BTreeMap;

use super::event::RepairReason;
use super::fewshot;
use crate::llm::prompts::{Prompt, PromptError, fence};
use crate::llm::Message;
use crate::logql::ParseError;

/// Few-shot examples per request.
pub const EXAMPLES: usize = 4;

/// The first request for a query.
pub fn first_messages(
    app: &str,
    question: &str,
    labels: &BTreeMap<String, Vec<String>>,
    context: &str,
    hint: &str,
) -> Result<Vec<Message>, PromptError> {
    let labels_text = if labels.is_empty() {
        "(none besides app)".to_owned()
    } else {
        labels
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.iter().take(15).map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", ")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let context = if context.trim().is_empty() { "(nothing matched)".to_owned() } else { fence(context) };
    Prompt::get("logql_generate")?.render(&[
        ("app", app.to_owned()),
        ("labels", fence(&labels_text)),
        ("context", context),
        ("hint", hint.to_owned()),
        ("examples", fewshot::render(&fewshot::select(question, app, EXAMPLES))),
        ("question", question.to_owned()),
    ])
}

/// The query in a reply: the first ```logql (or ```) block, else the first
/// line that starts like a query; never from the model's reasoning (see
/// [`crate::llm::reasoning`]). `None` when there is none.
pub fn extract_logql(reply: &str) -> Option<String> {
    let answer = crate::llm::reasoning::answer_of(reply);
    let reply = answer.as_str();
    let mut rest = reply;
    while let Some(i) = rest.find("```") {
        let after = rest.get(i + 3..).unwrap_or("");
        let (lang, body) = after.split_once('\n').unwrap_or((after, ""));
        let Some(end) = body.find("```") else { break };
        let code = body.get(..end).unwrap_or("").trim();
        let lang = lang.trim().to_ascii_lowercase();
        if !code.is_empty() && (lang.is_empty() || lang == "logql" || lang == "promql") {
            return Some(code.to_owned());
        }
        rest = body.get(end + 3..).unwrap_or("");
    }
    let starts = ["{", "sum", "count", "rate", "topk", "bottomk", "avg", "max", "min", "bytes", "quantile", "sort", "absent", "stddev", "stdvar", "first_over", "last_over"];
    reply
        .lines()
        .map(|l| l.trim().trim_start_matches("LogQL:").trim().trim_matches('`'))
        .find(|l| starts.iter().any(|s| l.starts_with(s)) && l.contains('{') && l.contains('}'))
        .map(str::to_owned)
}

/// The short sentence after the block, if any.
pub fn explanation(reply: &str) -> Option<String> {
    let answer = crate::llm::reasoning::answer_of(reply);
    let reply = answer.as_str();
    let after = reply.rsplit("```").next()?.trim();
    (!after.is_empty() && reply.contains("```")).then(|| after.lines().next().unwrap_or("").chars().take(300).collect())
}

/// A parse error with the query and a caret under its position.
pub fn caret(query: &str, e: &ParseError) -> String {
    let line = query.lines().nth(e.line.saturating_sub(1)).unwrap_or(query);
    let pad: String = line.chars().take(e.col.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    if e.line == 0 {
        format!("{e}\n{line}")
    } else {
        format!("{e}\n{line}\n{pad}^")
    }
}

/// The user message asking for a repair.
pub fn repair_message(reason: RepairReason, detail: &str, backend: &str, more_context: Option<&str>) -> String {
    let mut m = match reason {
        RepairReason::NoQuery => "Your reply had no query.".to_owned(),
        RepairReason::ParseError => format!("The query does not parse:\n{detail}"),
        RepairReason::BackendError => format!("The query failed on the {backend} backend:\n{detail}"),
        RepairReason::EmptyResult => format!("The query ran and returned nothing. What exists:\n{}", fence(detail)),
        RepairReason::Contradicts => format!("The query ran, but it does not answer what was asked: {detail}"),
    };
    if let Some(c) = more_context.filter(|c| !c.trim().is_empty()) {
        m.push_str("\n\nKnowledge that may fit better:\n");
        m.push_str(&fence(c));
    }
    m.push_str("\n\nReply with a corrected query in one ```logql block.");
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_out_of_replies() {
        assert_eq!(extract_logql("Here:\n```logql\n{app=\"hdfs\"} |= \"x\"\n```\nCounts x.").as_deref(), Some("{app=\"hdfs\"} |= \"x\""));
        assert_eq!(explanation("```logql\nq\n```\nCounts x.\nMore.").as_deref(), Some("Counts x."));
        assert_eq!(extract_logql("```\nsum(rate({a=\"b\"}[5m]))\n```").as_deref(), Some("sum(rate({a=\"b\"}[5m]))"));
        assert_eq!(extract_logql("```json\n{}\n```\n```logql\n{a=\"b\"}\n```").as_deref(), Some("{a=\"b\"}"));
        assert_eq!(extract_logql("LogQL: `sum(count_over_time({app=\"x\"}[1h]))`").as_deref(), Some("sum(count_over_time({app=\"x\"}[1h]))"));
        assert_eq!(extract_logql("I cannot help with that."), None);
        assert_eq!(extract_logql("```logql\n"), None);
        assert_eq!(explanation("no block"), None);
    }

    #[test]
    fn a_query_in_the_reasoning_is_never_taken() {
        let draft = "{app=\"hdfs\"} |= \"Deleted block\"";
        let real = "sum(count_over_time({app=\"hdfs\"} |= \"Deleting block\" [$__range]))";
        let fenced = format!("```logql\n{real}\n```\nCounts deletions.");
        for reply in [
            format!("<think>\nMaybe:\n```logql\n{draft}\n```\nNo, better the other.\n</think>\n{fenced}"),
            format!("<THINKING>{draft}</THINKING>{fenced}"),
            // The template opened the block in the prompt: only its end is in the reply.
            format!("Let me see. {draft} would miss it.\n</think>\n\n{fenced}"),
            format!("<|channel|>analysis<|message|>```logql\n{draft}\n```<|end|><|start|>assistant<|channel|>final<|message|>{fenced}"),
        ] {
            assert_eq!(extract_logql(&reply).as_deref(), Some(real), "{reply}");
            assert_eq!(explanation(&reply).as_deref(), Some("Counts deletions."), "{reply}");
        }
        // Cut at max tokens inside the block: no query at all.
        assert_eq!(extract_logql(&format!("<think>first {draft}\nthen")), None);
    }

    #[test]
    fn carets_and_repairs() {
        let q = "{app=\"hdfs\"} |= ";
        let e = crate::logql::parse(q).unwrap_err();
        let c = caret(q, &e);
        assert!(c.starts_with("parse error at line 1"), "{c}");
        assert!(c.ends_with(&format!("{q}\n{}^", " ".repeat(e.col - 1))), "{c:?}");
        let m = repair_message(RepairReason::EmptyResult, "no line contains \"x\"", "embedded", Some("[E1] a"));
        assert!(m.contains("returned nothing") && m.contains("<<<DATA_") && m.contains("[E1] a") && m.ends_with("```logql block."));
        let labels: BTreeMap<String, Vec<String>> = [("level".to_owned(), vec!["INFO".to_owned()])].into();
        let msgs = first_messages("hdfs", "How many blocks were deleted?", &labels, "[E9] Deleting block blk_<*>", "sum(...)").unwrap();
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].content.contains("{app=\"hdfs\"}"));
        assert!(msgs[1].content.contains("level: \"INFO\"") && msgs[1].content.contains("Question: How many blocks were deleted?"));
        assert!(msgs[1].content.contains("Deleting block"), "few-shot examples");
    }
}
