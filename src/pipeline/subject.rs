//! What a question is about, found in the log text: the question's subject
//! words are matched to the words of every template (stemmed, through the
//! lexicon, with "not" matched to the template's negation), the best template
//! is kept, and the runs of its words the question names become line
//! filters (`|= "Deleting block"`, `|= "PacketResponder" |= "terminating"`).
//!
//! The filters count the whole message family: every template that holds
//! them (`Failed password for …` and `message repeated 3 times: [ Failed
//! password for …]`), as an engineer's grep would, not only the best one.
//! Text the question quotes (`'Failed to'`) or says lines mention
//! (`lines mentioning HRESULT`) is a filter as written, in the log's case.

use std::collections::HashSet;

use super::lexicon::{Lexicon, stem};
use crate::knowledge::TemplateRecord;

/// Words between two named words of a run that do not break it.
const GLUE: &[&str] = &["for", "of", "to", "the", "a", "an", "in", "on", "by", "from", "with", "while", "at", "is", "was", "be", "and"];

/// Words after which the question names text to find as written.
const MENTION: &[&str] = &["mention", "mentions", "mentioning", "mentioned", "contain", "contains", "containing", "saying", "says", "word", "text", "string"];

/// Where the question's subject is in the logs.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    /// The best template.
    pub best: String,
    /// Every template whose text holds all the filters, the best first.
    pub family: Vec<String>,
    /// Line filters, in the log's case; regexes when `insensitive`.
    pub filters: Vec<String>,
    /// `(?i)` filters (`in any case`).
    pub insensitive: bool,
    /// The filters are regexes (`in any case`, or a family's alternatives `a|b`).
    pub regex: bool,
    /// Question words the template matched (lower case, as in the question).
    pub used: Vec<String>,
    pub score: f64,
}

/// One word of a template's constant text.
#[derive(Debug, Clone)]
struct Tok {
    start: usize,
    end: usize,
    lower: String,
    stem: String,
    /// CamelCase and snake_case parts, stemmed.
    parts: Vec<String>,
    /// A slot comes right before this word (a run cannot span it).
    after_slot: bool,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The words of a template's text, slots marked.
fn tokens(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut slot = false;
    let mut i = 0;
    let b = text.as_bytes();
    while i < text.len() {
        if text[i..].starts_with("<*>") {
            slot = true;
            i += 3;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        if !is_word(c) {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        while i < text.len() {
            let c = text[i..].chars().next().unwrap_or(' ');
            // `can't`: an apostrophe between letters is part of the word.
            let apostrophe = c == '\'' && start < i && b.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic());
            if !(is_word(c) || apostrophe) {
                break;
            }
            i += c.len_utf8();
        }
        let word = &text[start..i];
        out.push(Tok { start, end: i, lower: word.to_lowercase(), stem: stem(word), parts: parts(word), after_slot: slot });
        slot = false;
    }
    out
}

/// `PacketResponder` -> `packet`, `responder`; `REAL_GET_TASKS` -> `real`, `get`, `tasks`.
fn parts(word: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = word.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let boundary = c == '_' || (c.is_uppercase() && i > 0 && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_lowercase())));
        if boundary && !cur.is_empty() {
            out.push(stem(&cur));
            cur.clear();
        }
        if c != '_' {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(stem(&cur));
    }
    if out.len() < 2 { Vec::new() } else { out }
}

/// A question word to look for.
#[derive(Debug, Clone)]
struct Term {
    word: String,
    stem: String,
    groups: Vec<usize>,
    /// Says "not".
    negation: bool,
    /// Only through the lexicon (a phrase such as `got in`).
    synonym_only: bool,
}

/// How well `t` matches `term`: 1 for the word itself, less for a part or a synonym.
fn strength(term: &Term, t: &Tok, lex: &Lexicon) -> f64 {
    if term.negation {
        return if lex.is_negation(&t.lower) { 1.0 } else { 0.0 };
    }
    if !term.synonym_only {
        if t.lower == term.word || t.stem == term.stem {
            return 1.0;
        }
        if t.parts.iter().any(|p| *p == term.stem) {
            return 0.8;
        }
        if term.word.len() >= 5 && t.lower.len() >= 5 && (t.lower.starts_with(&term.stem) || term.word.starts_with(&t.stem)) {
            return 0.7;
        }
    }
    let tg = lex.groups(&t.stem);
    if !term.groups.is_empty() && term.groups.iter().any(|g| tg.contains(g)) {
        return 0.6;
    }
    0.0
}

/// The question's terms: `content` (lower-case words without cue words),
/// minus `skip`; "not" from the raw question; lexicon phrases.
fn terms(question: &str, content: &[String], skip: &[String], lex: &Lexicon) -> Vec<Term> {
    let mut out: Vec<Term> = Vec::new();
    let lower = question.to_lowercase();
    let negated = lower.split(|c: char| !(c.is_alphanumeric() || c == '\'')).any(|w| lex.is_negation(w));
    let mut seen = HashSet::new();
    for w in content {
        if w.chars().count() < 2 || skip.contains(w) || lex.is_negation(w) || !seen.insert(w.clone()) {
            continue;
        }
        let s = stem(w);
        out.push(Term { word: w.clone(), groups: lex.groups(&s).to_vec(), stem: s, negation: false, synonym_only: false });
    }
    for (g, phrase) in lex.phrase_groups(&lower) {
        out.push(Term { word: phrase.to_owned(), stem: String::new(), groups: vec![g], negation: false, synonym_only: true });
    }
    if negated {
        out.push(Term { word: "not".into(), stem: String::new(), groups: Vec::new(), negation: true, synonym_only: false });
    }
    out
}

/// Text quoted in the question (`'Failed to'`, `"GET "`, `` `x` ``).
fn quoted(question: &str) -> Vec<String> {
    let mut out = Vec::new();
    for q in ['\'', '"', '`', '‘', '“'] {
        let close = match q {
            '‘' => '’',
            '“' => '”',
            c => c,
        };
        let mut rest = question;
        while let Some(i) = rest.find(q) {
            let after = &rest[i + q.len_utf8()..];
            // An apostrophe inside a word (`can't`, `today's`) opens nothing.
            let prev = rest[..i].chars().next_back();
            if q == '\'' && prev.is_some_and(char::is_alphanumeric) {
                rest = after;
                continue;
            }
            let Some(j) = after.find(close) else { break };
            let inner = &after[..j];
            if !inner.trim().is_empty() && inner.len() <= 120 {
                out.push(inner.to_owned());
            }
            rest = &after[j + close.len_utf8()..];
        }
    }
    out
}

/// Words the question says lines mention (`lines mentioning HRESULT`), as written.
fn mentioned(question: &str) -> Vec<String> {
    let ws: Vec<&str> = question.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        let lw = w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        if !MENTION.contains(&lw.as_str()) {
            continue;
        }
        let next = ws[i + 1..]
            .iter()
            .map(|x| x.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '(' || c == ')' || c == '.')))
            .find(|x| !matches!(x.to_lowercase().as_str(), "a" | "an" | "the" | "word" | "text" | "string" | ""));
        if let Some(x) = next {
            let x = x.trim_end_matches('.').trim_end_matches("()");
            if x.len() >= 2 {
                out.push(x.to_owned());
            }
        }
    }
    out
}

/// The quoted spans of the question, quotes included.
pub fn quoted_spans(question: &str) -> Vec<String> {
    let mut out = Vec::new();
    for inner in quoted(question) {
        for (o, c) in [('\'', '\''), ('"', '"'), ('`', '`'), ('‘', '’'), ('“', '”')] {
            let span = format!("{o}{inner}{c}");
            if question.contains(&span) {
                out.push(span);
                break;
            }
        }
    }
    out
}

/// The lower-case words of text the question quotes or says lines mention.
pub fn literal_words(question: &str) -> Vec<String> {
    let mut l = quoted(question);
    l.extend(mentioned(question));
    l.iter().flat_map(|x| x.split(|c: char| !is_word(c)).filter(|w| !w.is_empty()).map(str::to_lowercase).collect::<Vec<_>>()).collect()
}

/// Finds `needle` in the templates' text ignoring case; the text as the log writes it.
fn as_logged<'a>(templates: &'a [TemplateRecord], needle: &str) -> Option<(&'a TemplateRecord, String)> {
    let n = needle.to_lowercase();
    for t in templates.iter().filter(|t| t.count > 0) {
        for piece in t.text.split("<*>") {
            if let Some(i) = piece.to_lowercase().find(&n) {
                // Lower-casing keeps byte lengths for ASCII; otherwise use the question's text.
                if piece.is_ascii() {
                    return Some((t, piece[i..i + n.len()].to_owned()));
                }
                return Some((t, needle.to_owned()));
            }
        }
    }
    None
}

/// The question asks for any case (`in any case`, `case-insensitive`, `ignoring case`).
fn any_case(question: &str) -> bool {
    let q = question.to_lowercase();
    ["any case", "case-insensitive", "case insensitive", "ignoring case", "ignore case", "regardless of case", "upper or lower case"]
        .iter()
        .any(|p| q.contains(p))
}

/// Finds the subject of `question` among `templates`. `content` are its
/// subject words (from [`super::intent`]); `skip` words are already used
/// (label values).
/// `boost` are templates retrieval ranked first (BM25 and, when built, embeddings
/// and summaries): a small bonus that breaks near ties.
/// `valued` are templates with a slot value the question names (`gige7`, an attempt id).
/// `family`: the question asks for every variant of its event ("of any kind",
/// "with or without …"): templates that score nearly as well join with their
/// own words (`|~ "Served block|Got exception while serving"`), or with the
/// words they all share.
#[allow(clippy::too_many_arguments)]
pub fn find(
    question: &str,
    content: &[String],
    skip: &[String],
    templates: &[TemplateRecord],
    boost: &[String],
    valued: &[String],
    family: bool,
) -> Option<Subject> {
    let family_mode = family;
    let insensitive = any_case(question);
    let live: Vec<&TemplateRecord> = templates.iter().filter(|t| t.count > 0).collect();
    // Text named as written: the filters are that text.
    let mut literal: Vec<String> = quoted(question);
    let more: Vec<String> = mentioned(question).into_iter().filter(|m| !literal.iter().any(|l| l.to_lowercase().contains(&m.to_lowercase()))).collect();
    literal.extend(more);
    if !literal.is_empty() {
        let mut filters = Vec::new();
        let mut best = None;
        for l in &literal {
            match as_logged(templates, l) {
                Some((t, text)) => {
                    best.get_or_insert_with(|| t.id.clone());
                    filters.push(text);
                }
                None if !insensitive => filters.push(l.clone()),
                None => filters.push(l.clone()),
            }
        }
        let used: Vec<String> =
            literal.iter().flat_map(|l| l.split(|c: char| !is_word(c)).filter(|w| !w.is_empty()).map(str::to_lowercase).collect::<Vec<_>>()).collect();
        // Quoted text that is a whole message ("'warning'" and a template `<*> warning`):
        // that template's own filters, which hold it where the message has it.
        if let [one] = filters.as_slice()
            && !insensitive
            && let Some(t) = live.iter().find(|t| t.text.replace("<*>", " ").trim() == one.trim())
        {
            return Some(Subject {
                best: t.id.clone(),
                family: vec![t.id.clone()],
                filters: Vec::new(),
                insensitive,
                regex: false,
                used: literal_words(question),
                score: 1.0,
            });
        }
        if insensitive {
            filters = filters.iter().map(|f| format!("(?i){}", regex::escape(&f.to_lowercase()))).collect();
        }
        let family = family_of(&live, &filters, insensitive);
        let best = best.or_else(|| family.first().cloned())?;
        let mut family = family;
        if !family.contains(&best) {
            family.insert(0, best.clone());
        }
        return Some(Subject { best, family, filters, insensitive, regex: insensitive, used, score: 1.0 });
    }
    let lex = Lexicon::get();
    let terms = terms(question, content, skip, lex);
    if terms.iter().all(|t| t.negation) {
        return None;
    }
    let toks: Vec<Vec<Tok>> = live.iter().map(|t| tokens(&t.text)).collect();
    // Each term's best strength per template, and its weight (rarer is worth more).
    let n = live.len() as f64;
    let strengths: Vec<Vec<(f64, Option<usize>)>> = toks
        .iter()
        .map(|ts| {
            terms
                .iter()
                .map(|term| ts.iter().enumerate().map(|(i, t)| (strength(term, t, lex), Some(i))).fold((0.0, None), |a, b| if b.0 > a.0 { b } else { a }))
                .collect()
        })
        .collect();
    let weights: Vec<f64> = (0..terms.len())
        .map(|k| {
            let df = strengths.iter().filter(|s| s[k].0 > 0.0).count() as f64;
            if df == 0.0 { 0.0 } else { ((n + 1.0) / (df + 0.5)).ln().max(0.05) }
        })
        .collect();
    let negated = terms.iter().any(|t| t.negation);
    let mut best: Option<(usize, f64)> = None;
    let mut scored: Vec<(usize, f64)> = Vec::new();
    for (ti, ts) in toks.iter().enumerate() {
        let s = &strengths[ti];
        let mut score: f64 = s.iter().zip(&weights).map(|((st, _), w)| st * w).sum();
        if score <= 0.0 {
            continue;
        }
        if valued.contains(&live[ti].id) {
            score += 0.8;
        }
        // Named words next to each other, as the question writes them, are worth more.
        let mut at: Vec<usize> = s.iter().filter(|(st, _)| *st > 0.0).filter_map(|(_, i)| *i).collect();
        at.sort_unstable();
        at.dedup();
        for w in at.windows(2) {
            if w[1] == w[0] + 1 && !ts[w[1]].after_slot {
                score += 0.5;
            }
        }
        // Two words next to each other in the question and in the template
        // ("failed password") are worth both again, half.
        for k in 0..terms.len().saturating_sub(1) {
            if let ((a, Some(pa)), (b, Some(pb))) = (s[k], s[k + 1])
                && a > 0.0
                && b > 0.0
                && pb == pa + 1
                && !ts[pb].after_slot
            {
                score += 0.5 * (weights[k] + weights[k + 1]);
            }
        }
        if !negated && ts.iter().any(|t| lex.is_negation(&t.lower)) {
            score -= 0.3;
        }
        if let Some(r) = boost.iter().position(|b| *b == live[ti].id) {
            score += 1.0 / (1.0 + r as f64);
        }
        let unmatched = ts.len().saturating_sub(at.len());
        score -= 0.02 * unmatched as f64;
        scored.push((ti, score));
        if best.is_none_or(|(_, b)| score > b + 1e-9) {
            best = Some((ti, score));
        }
    }
    let (bi, score) = best?;
    let matched_weight: f64 = strengths[bi].iter().zip(&weights).filter(|((st, _), _)| *st > 0.0).map(|(_, w)| *w).sum();
    if matched_weight < 0.3 {
        return None;
    }
    let ts = &toks[bi];
    let text = &live[bi].text;
    let mut at: Vec<usize> = strengths[bi].iter().filter(|(st, _)| *st > 0.0).filter_map(|(_, i)| *i).collect();
    at.sort_unstable();
    at.dedup();
    let mut filters = runs(text, ts, &at);
    if filters.is_empty() {
        return None;
    }
    let used: Vec<String> =
        terms.iter().zip(&strengths[bi]).filter(|(t, (st, _))| *st > 0.0 && !t.negation && !t.synonym_only).map(|(t, _)| t.word.clone()).collect();
    let mut regex = insensitive;
    if family_mode {
        // Templates nearly as good that share the best's weightiest word.
        let top_w = strengths[bi].iter().zip(&weights).filter(|((st, _), _)| *st > 0.0).map(|(_, w)| *w).fold(0.0, f64::max);
        let core: Vec<usize> = (0..terms.len()).filter(|&k| strengths[bi][k].0 > 0.0 && weights[k] >= 0.5 * top_w).collect();
        let mut sibs: Vec<(usize, f64)> =
            scored.iter().copied().filter(|&(ti, sc)| ti != bi && sc >= 0.5 * score && core.iter().any(|&k| strengths[ti][k].0 > 0.0)).collect();
        sibs.sort_by(|a, b| b.1.total_cmp(&a.1));
        sibs.truncate(6);
        if !sibs.is_empty() {
            // Words every member holds: one `|=` filter.
            let shared: Option<String> = filters
                .iter()
                .filter(|f| f.split_whitespace().count() >= 1 && f.chars().count() >= 4)
                .filter(|f| sibs.iter().all(|&(ti, _)| live[ti].text.contains(f.as_str())))
                .max_by_key(|f| f.len())
                .cloned();
            match shared {
                Some(f) => filters = vec![f],
                None => {
                    let mut alts: Vec<String> = vec![filters.iter().max_by_key(|f| f.len()).cloned().unwrap_or_default()];
                    for &(ti, _) in &sibs {
                        let mut a: Vec<usize> = strengths[ti].iter().filter(|(st, _)| *st > 0.0).filter_map(|(_, i)| *i).collect();
                        a.sort_unstable();
                        a.dedup();
                        if let Some(r) = runs(&live[ti].text, &toks[ti], &a).into_iter().max_by_key(|r| r.len())
                            && !alts.iter().any(|x| r.contains(x.as_str()))
                        {
                            alts.retain(|x| !x.contains(r.as_str()));
                            alts.push(r);
                        }
                    }
                    let body: Vec<String> = alts.iter().map(|a| regex::escape(a)).collect();
                    let prefix = if insensitive { "(?i)" } else { "" };
                    filters = vec![format!("{prefix}{}", body.join("|"))];
                    regex = true;
                }
            }
        }
    }
    // `in any case`: literal runs become `(?i)` regexes (an alternation already is one).
    let filters = if insensitive && filters.iter().all(|f| !f.starts_with("(?i)")) {
        filters.iter().map(|f| format!("(?i){}", regex::escape(f))).collect()
    } else {
        filters
    };
    let mut family = family_of(&live, &filters, regex);
    let best_id = live[bi].id.clone();
    family.retain(|f| *f != best_id);
    family.insert(0, best_id.clone());
    Some(Subject { best: best_id, family, filters, insensitive, regex, used, score })
}

/// The literal runs of `text` over the matched words `at` (sorted): words
/// next to each other, or with glue words between, and no slot.
fn runs(text: &str, ts: &[Tok], at: &[usize]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < at.len() {
        let (first, mut last) = (at[i], at[i]);
        let mut j = i + 1;
        while j < at.len() {
            let next = at[j];
            let between = &ts[last + 1..next];
            let glued = between.len() <= 2 && between.iter().all(|t| GLUE.contains(&t.lower.as_str()));
            let no_slot = ts[last + 1..=next].iter().all(|t| !t.after_slot);
            if glued && no_slot {
                last = next;
                j += 1;
            } else {
                break;
            }
        }
        let lit = &text[ts[first].start..ts[last].end];
        if lit.chars().count() >= 3 && !out.iter().any(|o| o.contains(lit)) {
            out.push(lit.to_owned());
        }
        i = j;
    }
    out
}

/// The templates that hold every filter, in the given order.
fn family_of(live: &[&TemplateRecord], filters: &[String], insensitive: bool) -> Vec<String> {
    let res: Vec<regex::Regex> = if insensitive { filters.iter().filter_map(|f| regex::Regex::new(f).ok()).collect() } else { Vec::new() };
    live.iter()
        .filter(|t| {
            // A filter may span a slot's text in lines; test against the template's
            // text and its examples.
            let holds = |hay: &str| if insensitive { res.iter().all(|r| r.is_match(hay)) } else { filters.iter().all(|f| hay.contains(f.as_str())) };
            holds(&t.text) || t.examples.iter().any(|e| holds(&e.raw))
        })
        .map(|t| t.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::{Example, TemplateSource};

    fn t(id: &str, text: &str) -> TemplateRecord {
        TemplateRecord {
            id: id.into(),
            text: text.into(),
            source: TemplateSource::Known,
            count: 1,
            first_seen: None,
            last_seen: None,
            levels: Default::default(),
            examples: vec![Example { line: 1, raw: text.replace("<*>", "x") }],
        }
    }

    fn content(q: &str) -> Vec<String> {
        super::super::intent::read(q).content
    }

    fn find_in(q: &str, ts: &[TemplateRecord]) -> Option<Subject> {
        find(q, &content(q), &[], ts, &[], &[], super::super::phrasing::family_core(q).is_some())
    }

    fn hdfs() -> Vec<TemplateRecord> {
        vec![
            t("E9", "Deleting block blk_<*> file <*>"),
            t("E3", "BLOCK* NameSystem.delete: blk_<*> is added to invalidSet of <*>"),
            t("E11", "PacketResponder <*> for block blk_<*> terminating"),
            t("E5", "Received block blk_<*> of size <*> from /<*>"),
            t("E6", "Receiving block blk_<*> src: /<*>:<*> dest: /<*>:<*>"),
        ]
    }

    #[test]
    fn words_become_filters_over_the_family() {
        let s = find_in("How many blocks were deleted?", &hdfs()).unwrap();
        assert_eq!((s.best.as_str(), s.filters.clone()), ("E9", vec!["Deleting block".to_owned()]));
        let s = find_in("How many times did a PacketResponder terminate?", &hdfs()).unwrap();
        assert_eq!(s.filters, vec!["PacketResponder", "terminating"]);
        let s = find_in("how many blocks got thrown away", &hdfs()).unwrap();
        assert_eq!(s.best, "E9", "a lexicon phrase: {s:?}");

        let ssh = [
            t("A", "Failed password for <*> from <*> port <*> ssh2"),
            t("B", "message repeated <*> times: [ Failed password for <*> from <*> port <*> ssh2]"),
            t("C", "Accepted password for <*> from <*> port <*> ssh2"),
            t("D", "Failed none for invalid user <*> from <*> port <*> ssh2"),
        ];
        let s = find_in("How many failed password attempts were there?", &ssh).unwrap();
        assert_eq!(s.filters, vec!["Failed password"]);
        assert_eq!(s.family, vec!["A", "B"], "the wrapper is in the family");
        assert_eq!(find_in("how many times did someone log in", &ssh).unwrap().best, "C", "login ~ accepted");
    }

    #[test]
    fn negation_and_quotes_and_mentions() {
        let ts = [t("F", "jk2_init() Found child <*> in scoreboard slot <*>"), t("N", "jk2_init() Can't find child <*> in scoreboard")];
        assert_eq!(find_in("How many times was a child found in the scoreboard?", &ts).unwrap().best, "F");
        let s = find_in("How many times could a child not be found in the scoreboard?", &ts).unwrap();
        assert_eq!((s.best.as_str(), s.filters[0].as_str()), ("N", "Can't find child"));

        let w = [t("W", "SQM: Failed to start upload. [HRESULT = <*> - E_FAIL]"), t("X", "Failed to get session: <*>")];
        let s = find_in("How many 'failed to' lines were logged?", &w).unwrap();
        assert_eq!(s.filters, vec!["Failed to"], "quoted, in the log's case");
        assert_eq!(s.family, vec!["W", "X"]);
        let s = find_in("How many lines mention an HRESULT?", &w).unwrap();
        assert_eq!(s.filters, vec!["HRESULT"]);
        let s = find_in("How many lines mention an error, in any case?", &[t("E", "Error in <*>"), t("G", "got error <*>")]).unwrap();
        assert!(s.insensitive);
        assert_eq!(s.filters, vec!["(?i)error"]);
        assert_eq!(s.family.len(), 2);
        assert_eq!(quoted("can't find 'x y' or \"z\""), vec!["x y", "z"]);
        assert!(find_in("zzz qqq", &hdfs()).is_none());
    }

    #[test]
    fn words_of_templates() {
        let ts = tokens("jk2_init() Can't find <*>child");
        let w: Vec<&str> = ts.iter().map(|t| t.lower.as_str()).collect();
        assert_eq!(w, vec!["jk2_init", "can't", "find", "child"]);
        assert!(ts[3].after_slot && !ts[2].after_slot);
        assert_eq!(parts("PacketResponder"), vec!["packet", "responder"]);
        assert_eq!(parts("REAL_GET_TASKS"), vec!["real", "get", "task"]);
    }
}
