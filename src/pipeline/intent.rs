//! What a question asks for, read from its words without a model: lines, a
//! count, a statistic of a value (average, maximum, minimum, total), grouped
//! by something (`per component`, `which IP`), the top few. Used by the
//! deterministic builder; the model reads the question itself.
//!
//! The rules are plain English cue words, on purpose simple and predictable;
//! anything they do not recognise asks for log lines.

use serde::Serialize;

/// A statistic over a numeric value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stat {
    Avg,
    Max,
    Min,
    Sum,
}

/// What to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// Show the matching lines.
    Lines,
    /// Count the matching lines.
    Count,
    /// A statistic of a numeric parameter.
    Stat(Stat),
}

/// The reading of a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Intent {
    pub measure: Measure,
    /// The words naming the grouping (`component`, `source ip`), singular, lower case.
    pub group_by: Option<String>,
    /// Only the best N groups (`top 5`, `the most` = 1).
    pub top: Option<usize>,
    /// How many different values of `group_by` (`how many distinct IPs`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub distinct: bool,
    /// The question's words that are not cues: what to look for.
    pub content: Vec<String>,
}

/// Words that carry the intent, not the subject.
const CUES: &[&str] = &[
    "how", "many", "much", "often", "count", "counted", "number", "times", "time", "total", "sum", "average", "avg",
    "mean", "maximum", "max", "largest", "biggest", "highest", "longest", "minimum", "min", "smallest", "lowest",
    "shortest", "per", "by", "each", "every", "which", "what", "top", "most", "least", "frequent", "common", "show",
    "list", "give", "last", "latest", "recent", "lines", "line", "messages", "message", "logs", "log", "entries",
    "entry", "events", "event", "occur", "occurred", "occurrences", "happen", "happened", "appear", "appeared", "were",
    "was", "is", "are", "the", "a", "an", "of", "in", "on", "for", "to", "me", "there", "did", "do", "does", "with",
    "value", "values", "distinct", "different", "unique", "all", "and", "or", "at", "from", "that", "this", "these",
    "those", "has", "have", "had", "be", "been", "it", "its", "they", "their", "any", "some", "recorded", "reported",
    "logged", "seen", "observed", "whole", "sample", "file", "overall", "altogether", "please", "write", "writes",
    "wrote", "written",
];

/// Nouns of quantities a total sums ("total bytes", "the sum of the durations").
const QUANTITIES: &[&str] = &[
    "byte", "size", "time", "duration", "second", "ms", "millisecond", "minute", "hour", "amount", "value", "length", "memory", "latency",
    "kb", "mb", "gb", "cost", "step", "record", "weight",
];

/// Whether a lower-case word is a cue word (intent, not subject).
pub fn is_cue(w: &str) -> bool {
    CUES.contains(&w)
}

fn words(q: &str) -> Vec<String> {
    q.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `ips` -> `ip`, `addresses` -> `address`, `components` -> `component`.
pub fn singular(w: &str) -> String {
    if let Some(s) = w.strip_suffix("sses") {
        return format!("{s}ss");
    }
    if let Some(s) = w.strip_suffix("ies")
        && s.len() > 2
    {
        return format!("{s}y");
    }
    match w.strip_suffix('s') {
        Some(s) if s.len() > 1 && !s.ends_with('s') && !s.ends_with('u') => s.to_owned(),
        _ => w.to_owned(),
    }
}

/// Reads `question`.
pub fn read(question: &str) -> Intent {
    let w = words(question);
    let has = |x: &str| w.iter().any(|y| y == x);
    let pair = |a: &str, b: &str| w.windows(2).any(|p| p[0] == a && p[1] == b);
    let stat = if has("average") || has("avg") || has("mean") {
        Some(Stat::Avg)
    } else if ["maximum", "max", "largest", "biggest", "highest", "longest"].iter().any(|x| has(x)) {
        Some(Stat::Max)
    } else if ["minimum", "min", "smallest", "lowest", "shortest"].iter().any(|x| has(x)) {
        Some(Stat::Min)
    } else if (has("total") || has("sum")) && !pair("total", "number") && !pair("in", "total") && QUANTITIES.iter().any(|q| w.iter().any(|x| singular(x) == *q)) {
        Some(Stat::Sum)
    } else if pair("how", "long") {
        // "how long … all together": a sum of durations; else their average.
        let all = has("altogether") || pair("all", "together") || has("combined") || pair("in", "total") || has("overall");
        Some(if all { Stat::Sum } else { Stat::Avg })
    } else {
        None
    };
    // "Total failed logins": a total of lines, when no quantity is named.
    let count = pair("how", "many") || pair("how", "often") || has("count") || pair("number", "of") || has("times") || ((has("total") || has("sum")) && stat.is_none());
    // "top 5 …", and "which 2 … the most", "the 3 most …".
    let ranked = has("top") || has("most") || has("least");
    let after_opener = w
        .windows(2)
        .find(|p| matches!(p[0].as_str(), "which" | "what" | "the" | "first") && p[1].parse::<usize>().is_ok_and(|n| (1..=1000).contains(&n)))
        .and_then(|p| p[1].parse::<usize>().ok())
        .filter(|_| ranked);
    let top = w.iter().position(|x| x == "top").and_then(|i| w.get(i + 1)).and_then(|n| n.parse::<usize>().ok()).or(after_opener).or_else(|| {
        (has("top") || has("most") || has("least") || pair("most", "frequent") || pair("most", "common")).then_some(1)
    });
    // The grouping: up to two words after "per", "by", "each", "every",
    // "which" or "top N" (cue words skipped before them, not between them).
    let mut group_by = None;
    // "how many different/distinct/unique X": the number of values of X.
    let distinct_at = w.iter().position(|x| matches!(x.as_str(), "different" | "distinct" | "unique"));
    let distinct = count && stat.is_none() && distinct_at.is_some();
    for (i, x) in w.iter().enumerate() {
        // "closed by the client", "initialized by X": an agent, not a grouping
        // (but "grouped by", "broken down by", "sorted by" group).
        // "every variant", "each time": no grouping.
        let not_group = matches!(x.as_str(), "every" | "each")
            && w.get(i + 1).is_some_and(|n| matches!(n.as_str(), "variant" | "variants" | "kind" | "kinds" | "form" | "forms" | "type" | "types" | "sort" | "one" | "time"));
        let agent = not_group || x == "by"
            && i > 0
            && {
                let prev = w[i - 1].as_str();
                let participle = prev.ends_with("ed") || matches!(prev, "sent" | "made" | "done" | "written" | "thrown" | "run" | "seen" | "taken" | "held" | "caught");
                participle && !matches!(prev, "grouped" | "sorted" | "ordered" | "aggregated" | "bucketed" | "counted" | "split" | "broken" | "partitioned" | "ranked")
            };
        let opens = (matches!(x.as_str(), "per" | "by" | "each" | "every" | "which" | "top") && !agent) || (distinct && Some(i) == distinct_at);
        if !opens {
            continue;
        }
        let rest: Vec<&String> =
            w.iter().skip(i + 1).skip_while(|y| CUES.contains(&y.as_str()) || y.parse::<usize>().is_ok()).collect();
        let phrase: Vec<String> = rest.iter().take_while(|y| !CUES.contains(&y.as_str())).take(2).map(|y| singular(y)).collect();
        if !phrase.is_empty() {
            group_by = Some(phrase.join(" "));
            break;
        }
    }
    // "Show …", "List …": lines, whatever else the question mentions.
    let shows = w.first().is_some_and(|x| matches!(x.as_str(), "show" | "list" | "display" | "print" | "fetch"))
        || (w.len() >= 2 && matches!(w[0].as_str(), "give" | "get") && w[1] == "me");
    let measure = match (stat, count) {
        _ if shows && !count => Measure::Lines,
        (Some(s), _) => Measure::Stat(s),
        (None, true) => Measure::Count,
        (None, false) if group_by.is_some() || top.is_some() => Measure::Count,
        _ => Measure::Lines,
    };
    let content = w.iter().filter(|x| !CUES.contains(&x.as_str())).cloned().collect();
    let distinct = distinct && group_by.is_some();
    Intent { measure, group_by, top, distinct, content }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_stats_groups_and_lines() {
        let i = read("How many blocks were deleted?");
        assert_eq!(i.measure, Measure::Count);
        assert_eq!(i.content, vec!["blocks", "deleted"]);
        assert_eq!(i.group_by, None);

        let i = read("What is the average size of received blocks?");
        assert_eq!(i.measure, Measure::Stat(Stat::Avg));
        assert!(i.content.contains(&"size".to_owned()));

        let i = read("Which component logged the most warnings?");
        assert_eq!((i.measure, i.group_by.as_deref(), i.top), (Measure::Count, Some("component"), Some(1)));

        let i = read("Top 5 IPs with failed passwords");
        assert_eq!((i.group_by.as_deref(), i.top), (Some("ip"), Some(5)));
        let i = read("Which source ip sent the most received blocks?");
        assert_eq!((i.group_by.as_deref(), i.top), (Some("source ip"), Some(1)));

        let i = read("How many errors per level?");
        assert_eq!((i.measure, i.group_by.as_deref()), (Measure::Count, Some("level")));

        let i = read("show me the exceptions while serving blocks");
        assert_eq!(i.measure, Measure::Lines);
        assert_eq!(read("What is the total number of sessions opened?").measure, Measure::Count);
        assert_eq!(read("total bytes sent").measure, Measure::Stat(Stat::Sum));
        assert_eq!(read("Wie viele Blöcke wurden gelöscht?").measure, Measure::Lines, "other languages: lines");
        assert_eq!(read("").measure, Measure::Lines);
        assert_eq!(read("How many lines are there in total?").measure, Measure::Count, "in total: a count");

        let i = read("How many distinct IP addresses failed a password?");
        assert_eq!((i.measure, i.group_by.as_deref(), i.distinct), (Measure::Count, Some("ip address"), true));
        let i = read("How many different components wrote lines?");
        assert_eq!((i.group_by.as_deref(), i.distinct, i.content.is_empty()), (Some("component"), true, false));
        assert!(!read("Show the different errors").distinct, "not a count");
    }

    #[test]
    fn singulars() {
        assert_eq!(singular("ips"), "ip");
        assert_eq!(singular("addresses"), "address");
        assert_eq!(singular("entries"), "entry");
        assert_eq!(singular("status"), "status");
        assert_eq!(singular("class"), "class");
    }
}
