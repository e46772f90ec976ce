//! The value a question reads out of its lines: which slot of which template
//! (`of size <*>` for "average size", `from <*> port` for "which IP"), the
//! `regexp` stage that captures it across a message family (the text before
//! the slot, then the value), a header field that is not a stream label
//! (`<Node>`, `<Pid>`), and values the question names as constraints
//! ("for root", "with status 404").

use super::lexicon::{Lexicon, stem};
use crate::dataset::header::HeaderFormat;
use crate::knowledge::ParamType;
use crate::retrieve::KnowledgeBase;

/// The value to read: the label its capture gets, and the `regexp` stage's
/// expression with that one named group.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub label: String,
    pub regex: String,
}

fn numeric_type(t: ParamType) -> bool {
    matches!(t, ParamType::Int | ParamType::Float)
}

/// Whether two words name the same thing (stems, the lexicon, `src_ip` parts).
pub fn same_thing(a: &str, b: &str) -> bool {
    let lex = Lexicon::get();
    let (sa, sb) = (stem(a), stem(b));
    if sa == sb || (sa.len() >= 4 && sb.starts_with(&sa)) || (sb.len() >= 4 && sa.starts_with(&sb)) {
        return true;
    }
    let ga = lex.groups(&sa);
    !ga.is_empty() && lex.groups(&sb).iter().any(|g| ga.contains(g))
}

/// The words just before slot `index` of `text` (lower case, up to 2).
fn words_before(text: &str, index: usize) -> Vec<String> {
    let pieces: Vec<&str> = text.split("<*>").collect();
    let Some(p) = pieces.get(index) else { return Vec::new() };
    p.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).map(str::to_lowercase).rev().take(2).collect()
}

/// Picks the slot the question's `wanted` words name (a grouping noun or the
/// value's name), among the `family` templates (best first). `numeric`: only
/// number slots (a statistic). Scores: the slot's name, the words before it,
/// its type (an address for "ip"/"host"/"client"), in that order.
pub fn choose(kb: &KnowledgeBase, family: &[String], wanted: &[String], numeric: bool, reserved: &[String]) -> Option<Slot> {
    let mut best: Option<(f64, String, usize, bool)> = None;
    for (rank, id) in family.iter().take(6).enumerate() {
        let Some(t) = kb.template(id) else { continue };
        let slots = t.text.matches("<*>").count();
        for index in 0..slots {
            let p = kb.params(id).iter().find(|p| p.index == index);
            let ty = p.map(|p| p.r#type);
            let is_num = ty.is_some_and(numeric_type) || decimal_at(&t.text, index);
            if numeric && !is_num {
                continue;
            }
            if ty == Some(ParamType::Empty) {
                continue;
            }
            // An id with a glued prefix (`blk_<*>`) is no quantity.
            let pieces: Vec<&str> = t.text.split("<*>").collect();
            if numeric && pieces.get(index).and_then(|p| p.chars().next_back()).is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name = kb.param_label(id, index);
            let before = words_before(&t.text, index);
            let mut score = 0.0;
            for (k, w) in wanted.iter().enumerate() {
                // The head noun of the phrase ("network interface": interface) counts most.
                let head = if k + 1 == wanted.len() || wanted.len() == 1 { 1.5 } else { 1.0 };
                let before_score = score;
                if name.split('_').any(|part| part.len() >= 2 && same_thing(part, w)) {
                    score += 2.0;
                }
                if before.first().is_some_and(|b| same_thing(b, w)) {
                    score += 1.5;
                } else if before.iter().any(|b| same_thing(b, w)) {
                    score += 0.8;
                }
                let addr = matches!(ty, Some(ParamType::Ip | ParamType::IpPort));
                if addr
                    && ["ip", "address", "addr", "client", "host", "source", "peer", "remote", "node", "datanode", "server", "machine"]
                        .iter()
                        .any(|x| same_thing(x, w))
                {
                    score += 1.0;
                }
                score = before_score + (score - before_score) * head;
            }
            if numeric && score == 0.0 {
                score = 0.1;
            }
            score -= 0.05 * rank as f64;
            if score > 0.0 && best.as_ref().is_none_or(|b| score > b.0 + 1e-9) {
                best = Some((score, id.clone(), index, is_num));
            }
        }
    }
    // Nothing names a slot, but the best template has just one: that one.
    if best.is_none()
        && !numeric
        && let Some(id) = family.first()
        && let Some(t) = kb.template(id)
        && t.text.matches("<*>").count() == 1
    {
        best = Some((0.1, id.clone(), 0, kb.params(id).first().is_some_and(|p| numeric_type(p.r#type))));
    }
    let (_, id, index, is_num) = best?;
    let t = kb.template(&id)?;
    let mut label = kb.param_label(&id, index);
    while reserved.contains(&label) || label == "app" {
        label.push('_');
    }
    // A number's pattern only when the value is summed or compared; an id
    // that is all digits (`30546173_4261722401`) keeps its whole text.
    let regex = capture(&t.text, index, &label, is_num && numeric)?;
    Some(Slot { label, regex })
}

/// `Took <*>.<*> seconds`: slot `index` and the next one form a decimal.
fn decimal_at(text: &str, index: usize) -> bool {
    text.split("<*>").nth(index + 1) == Some(".")
}

/// The `regexp` for slot `index` of template `text`: up to two words before
/// it, then the value (a number, or up to the character that follows the
/// slot). `None` when nothing constant comes before the slot.
pub fn capture(text: &str, index: usize, label: &str, numeric: bool) -> Option<String> {
    let pieces: Vec<&str> = text.split("<*>").collect();
    let before = *pieces.get(index)?;
    // Slots joined by one character (`<*>_<*>`, `<*>:<*>`): the chain's
    // other parts are matched loosely, and what follows the chain anchors it.
    let mut chain = String::new();
    let mut next = index + 1;
    while let Some(p) = pieces.get(next).filter(|p| !numeric && p.chars().count() == 1 && !p.starts_with(char::is_whitespace) && next + 1 < pieces.len()) {
        chain.push_str(&regex::escape(p));
        chain.push_str(r"\S+?");
        next += 1;
    }
    let after = pieces.get(next).copied().unwrap_or("");
    let joined = pieces.get(index + 1).copied().unwrap_or("");
    let value = if numeric {
        r"-?[0-9]+(?:\.[0-9]+)?".to_owned()
    } else if !chain.is_empty() {
        format!(r"[^\s{}]+", regex::escape(&joined.to_string()))
    } else {
        match after.chars().next() {
            None => r"\S+".to_owned(),
            Some(c) if c.is_whitespace() || c.is_alphanumeric() => r"\S+".to_owned(),
            Some(c) => format!(r"[^\s{}]+", regex::escape(&c.to_string())),
        }
    };
    let wordy = |c: char| c.is_alphanumeric() || c == '_';
    // A constant prefix glued to the slot (`attempt_<*>`, `blk_<*>`, `node-<*>`)
    // is part of the value, as Loghub's truth writes ids.
    let glued_at = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let glued = &before[glued_at..];
    let glued = if glued.chars().next().is_some_and(wordy) && !numeric { glued } else { "" };
    let before = &before[..before.len() - glued.len()];
    let head: String = after.split_inclusive(' ').take(2).collect::<String>();
    let head = head.trim_end();
    // An id of joined parts (`30546173_4261722401`) is one value; an address
    // and its port (`10.0.0.1:50010`) are two.
    let ids = !numeric && matches!(joined, "_" | "-" | ".");
    // Inside the value nothing follows to stop a lazy part: the last part is greedy.
    let (inside, outside) = if ids { (chain.replace(r"\S+?", r"[^\s,;]+"), String::new()) } else { (String::new(), chain.clone()) };
    if before.trim().is_empty() {
        // Nothing before (the slot starts the message): anchor on what follows.
        if head.trim().is_empty() {
            return None;
        }
        let anchor = regex::escape(head);
        return Some(format!("(?P<{label}>{}{value}{inside}){outside}{anchor}", regex::escape(glued)));
    }
    // Up to two words, and what follows them, at the end of the piece before.
    let starts: Vec<usize> =
        before.char_indices().filter(|&(i, c)| wordy(c) && before[..i].chars().next_back().is_none_or(|p| !wordy(p))).map(|(i, _)| i).collect();
    let cut = match starts.len() {
        0 => before.len() - before.trim_start().len(),
        1 => starts[0],
        n => starts[n - 2],
    };
    let tail = before.get(cut..)?.trim_start();
    if tail.trim().is_empty() {
        return None;
    }
    // With text before, that text anchors; an anchor after would tie the
    // capture to this template alone, not to its family.
    Some(format!("{}(?P<{label}>{}{value}{inside})", regex::escape(tail), regex::escape(glued)))
}

/// A `regexp` that captures header field `field` as `label`, from the header
/// format (Loghub's rules: fields lazy, runs of spaces `\s+`, anchored).
pub fn header_capture(header: &HeaderFormat, field: &str, label: &str) -> Option<String> {
    let pat = header.pattern();
    if header.structured_format().is_some() || !header.fields().iter().any(|f| f == field) {
        return None;
    }
    let mut out = String::from("^");
    let mut rest = pat;
    while let Some(i) = rest.find('<') {
        let Some(j) = rest[i..].find('>') else { break };
        out.push_str(&spaces(&rest[..i]));
        let name = &rest[i + 1..i + j];
        if name == field {
            out.push_str(&format!("(?P<{label}>.*?)"));
        } else if name == "Content" {
            out.push_str(".*");
        } else {
            out.push_str("(?:.*?)");
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(&spaces(rest));
    out.push('$');
    regex::Regex::new(&out).ok()?;
    Some(out)
}

fn spaces(s: &str) -> String {
    let mut out = String::new();
    let mut prev_space = false;
    for c in s.chars() {
        if c == ' ' {
            if !prev_space {
                out.push_str(r"\s+");
            }
            prev_space = true;
        } else {
            out.push(c);
            prev_space = false;
        }
    }
    out
}

/// The header field a grouping word names (`node` -> `Node`, `process` ->
/// `Pid`), among fields that are not stream labels and hold no time or content.
pub fn header_field<'a>(header: &'a HeaderFormat, word: &str, labels: &[String]) -> Option<&'a str> {
    header
        .fields()
        .iter()
        .filter(|f| !matches!(f.as_str(), "Content" | "Date" | "Time" | "Timestamp" | "Month" | "Day" | "Year"))
        .filter(|f| !labels.iter().any(|l| l.eq_ignore_ascii_case(f)))
        .find(|f| word.split(' ').any(|w| same_thing(w, &f.to_lowercase())))
        .map(String::as_str)
}

/// A value the question names that a slot of the family holds ("root" in
/// "failed passwords for root"): a line filter of the text before the slot
/// and the value (`for root`, `user=guest`, `status: 404`).
pub fn constraints(kb: &KnowledgeBase, family: &[String], words: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for w in words {
        if w.chars().count() < 2 && !w.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        // The value as written first, then in any case.
        'found: for exact in [true, false] {
            for id in family.iter().take(6) {
                let Some(t) = kb.template(id) else { continue };
                let pieces: Vec<&str> = t.text.split("<*>").collect();
                for p in kb.params(id) {
                    let Some(v) = p.top_values.iter().find(|v| if exact { v.value == *w } else { v.value.eq_ignore_ascii_case(w) }) else { continue };
                    let before = pieces.get(p.index).copied().unwrap_or("");
                    let tail: String = before.rsplit(' ').next().map(str::to_owned).unwrap_or_default();
                    // `for root`: the last word and its separator; `user=` and `status: ` keep theirs.
                    let tail = if tail.is_empty() {
                        let trimmed = before.trim_end();
                        let last = trimmed.rsplit(' ').next().unwrap_or("");
                        if last.is_empty() { String::new() } else { format!("{last} ") }
                    } else {
                        tail
                    };
                    if tail.trim().is_empty() {
                        out.push((w.clone(), format!(r"\b{}\b", regex::escape(&v.value))));
                    } else {
                        out.push((w.clone(), format!("{tail}{}", v.value)));
                    }
                    break 'found;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures() {
        assert_eq!(capture("Failed password for <*> from <*> port <*> ssh2", 1, "ip", false).as_deref(), Some(r"from (?P<ip>\S+)"));
        assert_eq!(capture("Received block <*> of size <*> from /<*>", 1, "size", true).as_deref(), Some(r"of size (?P<size>-?[0-9]+(?:\.[0-9]+)?)"));
        assert_eq!(capture("src: /<*>:<*> dest", 0, "src", false).as_deref(), Some(r"src: /(?P<src>[^\s:]+)"));
        assert_eq!(capture("[instance: <*>] Took <*>.<*> seconds", 1, "took", true).as_deref(), Some(r"Took (?P<took>-?[0-9]+(?:\.[0-9]+)?)"));
        assert_eq!(capture("<*> started", 0, "x", false).as_deref(), Some(r"(?P<x>\S+) started"), "nothing before: what follows");
        assert_eq!(capture("<*>", 0, "x", false), None, "nothing around");
        assert_eq!(
            capture("Progress of TaskAttempt attempt_<*> is : <*>", 0, "attempt", false).as_deref(),
            Some(r"of TaskAttempt (?P<attempt>attempt_\S+)"),
            "a glued prefix is the value's"
        );
        assert_eq!(capture("<*>:Got exception while serving", 0, "ip", false).as_deref(), Some(r"(?P<ip>[^\s:]+):Got exception"));
        // A chain of slots: the address alone, anchored past the port; an id of joined parts whole.
        let re = capture("<*>:<*>:Got exception while serving blk_<*>", 0, "ip", false).unwrap();
        let m = regex::Regex::new(&re).unwrap();
        assert_eq!(&m.captures("INFO dfs.DataNode$DataXceiver: 10.251.126.255:50010:Got exception while serving").unwrap()["ip"], "10.251.126.255", "{re}");
        let re = capture("Session: <*>_<*> initialized by client <*>.", 0, "session", false).unwrap();
        let m = regex::Regex::new(&re).unwrap();
        assert_eq!(
            &m.captures("CBS Session: 30546173_4261722401 initialized by client WindowsUpdateAgent.").unwrap()["session"],
            "30546173_4261722401",
            "{re}"
        );
        let re = regex::Regex::new(&capture("x ApplicableState: <*>, CurrentState:<*>", 0, "state", true).unwrap()).unwrap();
        assert_eq!(&re.captures("x ApplicableState: 112, CurrentState:112").unwrap()["state"], "112");
    }

    #[test]
    fn header_fields() {
        let h = HeaderFormat::new("<LogId> <Node> <Component> <State> <Time> <Flag> <Content>").unwrap();
        assert_eq!(header_field(&h, "node", &["component".into()]), Some("Node"));
        assert_eq!(header_field(&h, "component", &["component".into()]), None, "a stream label already");
        let re = regex::Regex::new(&header_capture(&h, "Node", "node").unwrap()).unwrap();
        assert_eq!(&re.captures("1 node-12 unix.hw state_change.unavailable 1077 1 Component is down").unwrap()["node"], "node-12");
        let h = HeaderFormat::new(r"<Date> <Day> <Time> <Component> sshd\[<Pid>\]: <Content>").unwrap();
        assert_eq!(header_field(&h, "process", &[]), Some("Pid"));
        let re = regex::Regex::new(&header_capture(&h, "Pid", "pid").unwrap()).unwrap();
        assert_eq!(&re.captures("Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping").unwrap()["pid"], "24200");
    }
}
