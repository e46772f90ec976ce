//! The wording of a question, read without the knowledge base: shares
//! ("what percent of X are Y"), a family's listed variants, exclusions ("that
//! aren't about X"), rate units ("per hour"), quoted text, values and
//! identifiers the question names. The builder ([`super::builder`]) turns
//! what these find into LogQL.

use super::intent::{self, singular};
use super::subject;

/// Words that ask for a share of two counts.
const SHARE: &[&str] = &["percent", "percentage", "percentages", "%", "fraction", "share", "proportion", "ratio"];
/// Words that end the whole's description in "what percent of X are Y".
const SHARE_VERBS: &[&str] = &[
    "are",
    "were",
    "is",
    "was",
    "came",
    "come",
    "comes",
    "had",
    "have",
    "has",
    "ended",
    "end",
    "ends",
    "sat",
    "report",
    "reported",
    "reports",
    "did",
    "do",
    "does",
    "got",
    "went",
    "that",
    "which",
    "who",
    "mention",
    "mentioned",
    "resulted",
    "returned",
    "return",
    "returns",
    "gave",
    "hit",
    "triggered",
    "caused",
    "contained",
    "included",
    "belong",
    "belonged",
    "carried",
];

/// "what percent of X are Y", "of X, what share were Y": (the whole, the part, in percent).
/// The third value says the part is counted apart from the whole ("X as a
/// percentage of Y": X is no subset of Y's lines).
pub fn share_of(question: &str) -> Option<(String, String, bool, bool)> {
    let words: Vec<String> = question
        .split(|c: char| c.is_whitespace() || c == ',' || c == '?')
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '%' || c == '_' || c == '\'' || c == '.' || c == '-')).to_owned())
        .filter(|w| !w.is_empty())
        .collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let at = lower.iter().position(|w| SHARE.contains(&w.as_str()))?;
    let percent = lower.iter().any(|w| matches!(w.as_str(), "percent" | "percentage" | "%"));
    let verb_after = |from: usize| (from..lower.len()).find(|&i| SHARE_VERBS.contains(&lower[i].as_str())).unwrap_or(lower.len());
    let as_at = if at >= 2 && lower[at - 1] == "a" && lower[at - 2] == "as" {
        Some(at - 2)
    } else if at >= 1 && lower[at - 1] == "as" {
        Some(at - 1)
    } else {
        None
    };
    let apart = as_at.is_some() && lower.get(at + 1).is_some_and(|w| w == "of");
    let (whole, part) = if let Some(a) = as_at.filter(|_| lower.get(at + 1).is_some_and(|w| w == "of")) {
        (words[at + 2..].join(" "), words[..a].join(" "))
    } else if lower.get(at + 1).is_some_and(|w| w == "of") {
        // The whole has at least one word ("the failed attempts were …").
        let v = verb_after(at + 3);
        (words[at + 2..v.max(at + 2)].join(" "), words[v.min(words.len())..].join(" "))
    } else if lower.first().is_some_and(|w| w == "of") {
        let v = verb_after(at + 1);
        (words[1..at].join(" "), words[v.min(words.len())..].join(" "))
    } else {
        return None;
    };
    let clean = |s: &str| {
        s.split(' ')
            .filter(|w| !SHARE.contains(&w.to_lowercase().as_str()) && !matches!(w.to_lowercase().as_str(), "what" | "in" | "as" | "a" | "please"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (whole, part) = (clean(&whole), clean(&part));
    (!part.trim().is_empty()).then_some((whole, part, percent, apart))
}

/// The question without what lists a family's variants: a parenthesis
/// ("(suspended, resumed or cancelled)") or a clause after "including",
/// "with or without", "whether", "of any kind" … The rest names what the
/// variants share, so the filters cover them all.
pub fn family_core(question: &str) -> Option<String> {
    let mut q = question.to_owned();
    // A parenthesis that lists ("(a, b or c)"); one that names the text ("(onReceive SCREEN_ON)") stays.
    let mut from = 0;
    while let Some(a) = q[from..].find('(').map(|i| i + from) {
        let Some(b) = q[a..].find(')').map(|i| i + a) else { break };
        let inner = q[a + 1..b].to_lowercase();
        if inner.contains(',') || inner.contains(" or ") || inner.contains(" and ") {
            q.replace_range(a..=b, " ");
            from = a;
        } else {
            from = b + 1;
        }
    }
    let lower = q.to_lowercase();
    const CUT: &[&str] = &[
        ", including",
        " including ",
        " with or without",
        " whether ",
        " whichever ",
        " of any kind",
        " of any sort",
        " of any type",
        " counting every",
        " counting both",
        " every variant",
        " any variant",
        " all variants",
        " in any form",
        " in all forms",
        ", any ",
        " either ",
    ];
    if let Some(at) = CUT.iter().filter_map(|c| lower.find(c)).min() {
        // Offsets found in the lower-cased text hold in the original only where
        // lower-casing kept every byte length (ASCII text, the cue words').
        if lower.len() == q.len() && q.is_char_boundary(at) {
            q.truncate(at);
        }
    }
    let q = q.trim().trim_end_matches([',', '?', '.']).to_owned();
    (q != question.trim().trim_end_matches(['?', '.']) && q.split_whitespace().count() >= 2).then_some(q)
}

/// Words that ask for every variant of an event without listing them.
pub(super) fn asks_every_variant(question: &str) -> bool {
    let q = question.to_lowercase();
    [
        " both ",
        " either ",
        "any kind",
        "all kinds",
        "any sort",
        "all sorts",
        "any form",
        "every form",
        "variants",
        "whatever",
        "whichever",
        "of all types",
        "any type",
    ]
    .iter()
    .any(|p| q.contains(p))
}

/// One count, statistic, grouping or log query.
/// Words that open an exclusion: "that don't come from X", "excluding X".
const EXCLUDE: &[&str] = &[
    "that don't come from",
    "that do not come from",
    "that don't mention",
    "that aren't about",
    "that are not about",
    "that don't involve",
    "not mentioning",
    "not about",
    "not from",
    "excluding",
    "except for",
    "except",
    "other than",
    "apart from",
    "but not",
];

/// The question and the text it excludes ("WARNING lines that aren't about X": X).
pub fn exclusion(question: &str) -> (String, Option<String>) {
    let lower = question.to_lowercase();
    for e in EXCLUDE {
        if let Some(at) = lower.find(&format!(" {e} ")) {
            let Some(rest) = question.get(at + e.len() + 2..).filter(|_| lower.len() == question.len()) else { continue };
            let rest = rest.trim().trim_end_matches(['?', '.']).trim();
            let rest = rest.trim_start_matches("the ").trim_start_matches("a ");
            if !rest.is_empty() {
                return (question.get(..at).unwrap_or(question).trim().to_owned(), Some(rest.to_owned()));
            }
        }
    }
    (question.to_owned(), None)
}

/// The question with quoted text blanked: what it quotes is not its intent
/// ("the 'ignoring max retries' messages" asks for lines, not a maximum).
pub(super) fn unquoted(question: &str) -> String {
    let mut out = question.to_owned();
    for q in subject::quoted_spans(question) {
        out = out.replacen(&q, " ", 1);
    }
    out
}

/// `hour` -> 3600: a grouping word that is a time unit asks for a rate.
pub(super) fn rate_unit(g: &str) -> Option<u32> {
    match g.split(' ').next().unwrap_or("") {
        "second" | "sec" => Some(1),
        "minute" | "min" => Some(60),
        "hour" | "hr" => Some(3600),
        "day" => Some(86_400),
        _ => None,
    }
}

/// A single word in parentheses (`(rhost)`), lower case.
pub(super) fn paren_word(question: &str) -> Option<String> {
    let a = question.find('(')?;
    let b = question[a..].find(')')? + a;
    let inner = question[a + 1..b].trim();
    (!inner.is_empty() && inner.chars().all(|c| c.is_alphanumeric() || c == '_')).then(|| inner.to_lowercase())
}

/// "per hour", "an hour", "hourly" anywhere in the question: a rate's unit.
pub(super) fn per_unit(question: &str) -> Option<u32> {
    let w: Vec<String> = question.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|x| !x.is_empty()).map(str::to_owned).collect();
    for p in w.windows(2) {
        if matches!(p[0].as_str(), "per" | "an" | "a" | "each" | "every")
            && let Some(u) = rate_unit(&singular(&p[1]))
        {
            return Some(u);
        }
    }
    w.iter().find_map(|x| match x.as_str() {
        "hourly" => Some(3600),
        "daily" => Some(86_400),
        _ => None,
    })
}

pub(super) fn is_time_word(w: &str) -> bool {
    rate_unit(&singular(w)).is_some()
}

/// A token shaped like an identifier: letters and digits mixed
/// (`gige7`, `attempt_14_0`), an address, an inner capital (`LearnerHandler`),
/// or an upper-case name with `_` (`REAL_GET_TASKS`).
pub(super) fn identifier(t: &str) -> bool {
    let digit = t.chars().any(|c| c.is_ascii_digit());
    let alpha = t.chars().any(|c| c.is_alphabetic());
    let punct = t.chars().any(|c| matches!(c, '.' | ':' | '-' | '_' | '/'));
    let cs: Vec<char> = t.chars().collect();
    let inner_cap = cs.windows(2).any(|w| w[0].is_lowercase() && w[1].is_uppercase());
    let upper_snake = t.contains('_') && t.chars().all(|c| c.is_uppercase() || c == '_' || c.is_ascii_digit());
    t.len() >= 3
        && ((digit && (alpha || punct) && !t.chars().all(|c| c.is_ascii_digit() || c == '.'))
            || (digit && t.matches('.').count() == 3)
            || inner_cap
            || upper_snake)
}

/// Words and tokens of the question that may be slot values: words, numbers,
/// and tokens with dots or colons (`10.0.0.1`, `node-12`) as written.
pub(super) fn question_values(question: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in question.split_whitespace() {
        let raw = raw.trim_end_matches(|c: char| !c.is_alphanumeric());
        let raw = raw.strip_suffix("'s").or_else(|| raw.strip_suffix("’s")).unwrap_or(raw);
        let t = raw.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || c == ':' || c == '/'));
        let t = t.trim_end_matches(['.', ':']);
        let digits = !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
        if (t.len() < 2 && !digits) || intent::is_cue(&t.to_lowercase()) {
            continue;
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares() {
        let (whole, part, percent, apart) = share_of("What percentage of the failed password attempts were for root?").unwrap();
        assert_eq!((whole.as_str(), part.as_str(), percent, apart), ("the failed password attempts", "were for root", true, false));
        let (whole, part, _, _) = share_of("Of the ciod load errors, what percent were 'Permission denied'?").unwrap();
        assert_eq!((whole.as_str(), part.as_str()), ("the ciod load errors", "were 'Permission denied'"));
        let (whole, part, _, apart) = share_of("Expired sessions as a percentage of sessions established?").unwrap();
        assert_eq!((whole.as_str(), part.as_str(), apart), ("sessions established", "Expired sessions", true));
        assert_eq!(share_of("What fraction of lines are WARN?").map(|s| s.2), Some(false), "a fraction is not in percent");
        assert!(share_of("How many blocks were deleted?").is_none());
    }

    #[test]
    fn families_exclusions_units_and_identifiers() {
        assert_eq!(
            family_core("How many alignment exceptions (floating point, integer) were there?").as_deref(),
            Some("How many alignment exceptions   were there")
        );
        assert_eq!(family_core("How many times was the screen turned on (onReceive SCREEN_ON)?"), None, "a parenthesis that names the text stays");
        assert_eq!(family_core("How many sockets were closed, with or without a session?").as_deref(), Some("How many sockets were closed"));
        let (q, x) = exclusion("Show the WARNING lines that aren't about unknown base files.");
        assert_eq!((q.as_str(), x.as_deref()), ("Show the WARNING lines", Some("unknown base files")));
        assert_eq!(per_unit("How many logins per hour, on average?"), Some(3600));
        assert_eq!(per_unit("How many logins an hour?"), Some(3600));
        assert_eq!(per_unit("How many logins per user?"), None);
        for id in ["gige7", "attempt_14_0", "R30-M0-N9-C:J16-U01", "207.30.238.8", "LearnerHandler", "REAL_GET_TASKS"] {
            assert!(identifier(id), "{id}");
        }
        for word in ["PIDs", "root", "404", "Which", "3.75"] {
            assert!(!identifier(word), "{word}");
        }
        assert_eq!(
            question_values("How many ActivityManager's lines in slot 8?"),
            vec!["How", "many", "ActivityManager", "lines", "slot", "8"].into_iter().filter(|w| !intent::is_cue(&w.to_lowercase())).collect::<Vec<_>>()
        );
        assert_eq!(unquoted("Show the 'ignoring max retries' messages"), "Show the   messages");
        // Text whose lower case is longer than it (`İ`) never cuts inside a character.
        for q in ["İİİ lines, including İİ?", "Show İİ lines that aren't about İ", "What percent of İİ were İ?", "(İ, İ) and ’s ‘x’"] {
            let _ = (family_core(q), exclusion(q), share_of(q), unquoted(q), question_values(q), per_unit(q));
        }
    }
}
