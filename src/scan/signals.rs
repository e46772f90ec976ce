//! Template signals: each line of the scanned range is matched to the
//! knowledge base's templates (the index's own matcher, known templates
//! first, mined ones with one-token slots, as the index matches them) and
//! given a level (the dataset's level field through its normalisation map,
//! else its `[levels.keywords]`). Per window that gives counts by template;
//! from them, ranked [`Signal`]s: templates whose count jumps between
//! consecutive windows, and templates with lines at warning level or above.
//!
//! Counting the lines already fetched for the scan is cheaper than a count
//! query per template and window (hundreds of templates times windows), and
//! it is the same matcher the index used, so the counts agree with it.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::dataset::Dataset;
use crate::dataset::level::{LEVELS, WARN};
use crate::index::known::KnownMatcher;
use crate::index::tokens;
use crate::knowledge::TemplateSource;
use crate::logs::{LineParser, Parsed};
use crate::retrieve::KnowledgeBase;

/// What a line is: its template (index into the knowledge base's templates) and level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineClass {
    pub template: Option<u32>,
    /// Index into [`LEVELS`] (0: unknown).
    pub level: u8,
}

/// Matches lines to templates and levels.
pub struct Classifier<'a> {
    ds: Option<&'a Dataset>,
    parser: Option<LineParser<'a>>,
    matcher: Option<KnownMatcher>,
    /// Matcher id -> template index.
    ids: Vec<u32>,
    /// Keyword level of each template's text (formats without a level field).
    template_levels: Vec<u8>,
    parsed: Parsed,
    toks: Vec<tokens::Span>,
    caps: Vec<tokens::Span>,
}

impl<'a> Classifier<'a> {
    pub fn new(kb: Option<&'a KnowledgeBase>, ds: Option<&'a Dataset>) -> Self {
        let templates = kb.map_or(&[][..], |k| k.knowledge.templates.as_slice());
        let mut order: Vec<u32> = (0..templates.len() as u32).collect();
        // Known templates first: their `<*>` may span words; mined ones after, one token per slot.
        order.sort_by_key(|&i| templates.get(i as usize).map_or(1, |t| u8::from(t.source == TemplateSource::Mined)));
        let texts: Vec<&str> = order.iter().filter_map(|&i| templates.get(i as usize)).map(|t| t.text.as_str()).collect();
        let known = templates.iter().filter(|t| t.source == TemplateSource::Known).count();
        let matcher = (!texts.is_empty()).then(|| KnownMatcher::with_token_slots(&texts, known));
        let template_levels = templates.iter().map(|t| ds.map_or(0, |d| d.keyword_level(&t.text))).collect();
        Self {
            ds,
            parser: ds.map(LineParser::new),
            matcher,
            ids: order,
            template_levels,
            parsed: Parsed::default(),
            toks: Vec::new(),
            caps: Vec::new(),
        }
    }

    /// Whether lines can be matched at all (a knowledge base with templates).
    pub fn has_templates(&self) -> bool {
        self.matcher.is_some()
    }

    pub fn classify(&mut self, line: &str) -> LineClass {
        let (content, mut level) = match &mut self.parser {
            Some(p) => {
                p.parse(line, &mut self.parsed);
                (self.parsed.content(line), self.parsed.level)
            }
            None => (line.trim(), 0),
        };
        let mut template = None;
        if let Some(m) = &self.matcher {
            tokens::split(content, &mut self.toks);
            template = m.find(content, &self.toks, &mut self.caps).and_then(|id| self.ids.get(id as usize).copied());
        }
        let has_field = self.ds.is_some_and(|d| d.level_field.is_some());
        if !has_field && level == 0 {
            level = match template {
                Some(t) => self.template_levels.get(t as usize).copied().unwrap_or(0),
                None => self.ds.map_or(0, |d| d.keyword_level(content)),
            };
        }
        LineClass { template, level }
    }
}

/// Counts of one window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowCounts {
    pub index: usize,
    pub start_ns: i64,
    pub end_ns: i64,
    pub lines: u64,
    pub unmatched: u64,
    /// Template index -> lines.
    pub by_template: FxHashMap<u32, u64>,
    /// Template index -> (lines at warn or above, highest level seen).
    pub alarms: FxHashMap<u32, (u64, u8)>,
    /// Lines by level id.
    pub levels: [u64; 7],
}

impl WindowCounts {
    pub fn new(index: usize, start_ns: i64, end_ns: i64) -> Self {
        Self { index, start_ns, end_ns, ..Default::default() }
    }

    pub fn add(&mut self, c: LineClass) {
        self.lines += 1;
        if let Some(l) = self.levels.get_mut(c.level as usize) {
            *l += 1;
        }
        match c.template {
            Some(t) => {
                *self.by_template.entry(t).or_default() += 1;
                if c.level >= WARN {
                    let e = self.alarms.entry(t).or_default();
                    e.0 += 1;
                    e.1 = e.1.max(c.level);
                }
            }
            None => self.unmatched += 1,
        }
    }

    pub fn count(&self, t: u32) -> u64 {
        self.by_template.get(&t).copied().unwrap_or(0)
    }
}

/// Thresholds of a jump.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalOptions {
    /// `(count + 1) / (count before + 1)` at least this.
    pub jump_ratio: f64,
    /// And at least this many lines in the window.
    pub jump_min_lines: u64,
}

impl Default for SignalOptions {
    fn default() -> Self {
        Self { jump_ratio: 3.0, jump_min_lines: 10 }
    }
}

/// What makes a template stand out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "signal", rename_all = "snake_case")]
pub enum SignalKind {
    /// Its biggest jump: `from` lines in the window before, `to` in window `window`.
    Jump { window: usize, start_ns: i64, from: u64, to: u64, ratio: f64, windows: usize },
    /// Lines at warning level or above over the range, the highest level.
    Level { level: String, lines: u64, windows: usize },
}

/// A template that stands out, with a score to rank by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub template_id: String,
    pub template: String,
    #[serde(flatten)]
    pub kind: SignalKind,
    pub score: f64,
}

impl Signal {
    /// One line for people.
    pub fn describe(&self) -> String {
        match &self.kind {
            SignalKind::Jump { window, from, to, ratio, windows, .. } => {
                let more = if *windows > 1 { format!(", jumps in {windows} windows") } else { String::new() };
                format!("{} jumps {from} -> {to} lines (x{ratio:.1}) in window {}{more}: {}", self.template_id, window + 1, self.template)
            }
            SignalKind::Level { level, lines, windows } => {
                format!("{} {level}: {lines} lines in {windows} windows: {}", self.template_id, self.template)
            }
        }
    }
}

/// The jump of template `t` into `cur` from `prev` (absent: an empty window), if it is one.
fn jump(t: u32, prev: Option<&WindowCounts>, cur: &WindowCounts, o: &SignalOptions) -> Option<(u64, u64, f64)> {
    let to = cur.count(t);
    let from = prev.map_or(0, |p| p.count(t));
    let ratio = (to + 1) as f64 / (from + 1) as f64;
    (to >= o.jump_min_lines && ratio >= o.jump_ratio).then_some((from, to, ratio))
}

/// `windows` must be in order; a window missing between two is empty.
fn previous(windows: &[WindowCounts], i: usize) -> Option<&WindowCounts> {
    let cur = windows.get(i)?;
    let prev = windows.get(i.checked_sub(1)?)?;
    (prev.index + 1 == cur.index).then_some(prev)
}

/// The ranked signals over `windows` (in order; empty ones may be left out):
/// each template's biggest jump, and each template with warning-or-worse lines.
pub fn rank(kb: &KnowledgeBase, windows: &[WindowCounts], o: &SignalOptions) -> Vec<Signal> {
    let templates = &kb.knowledge.templates;
    let mut jumps: BTreeMap<u32, (usize, i64, u64, u64, f64, usize)> = BTreeMap::new();
    let mut alarms: BTreeMap<u32, (u64, u8, usize)> = BTreeMap::new();
    for (i, w) in windows.iter().enumerate() {
        let prev = previous(windows, i);
        for &t in w.by_template.keys() {
            if let Some((from, to, ratio)) = jump(t, prev, w, o) {
                let e = jumps.entry(t).or_insert((w.index, w.start_ns, from, to, ratio, 0));
                e.5 += 1;
                if jump_score(ratio, to) > jump_score(e.4, e.3) {
                    *e = (w.index, w.start_ns, from, to, ratio, e.5);
                }
            }
        }
        for (&t, &(n, lvl)) in &w.alarms {
            let e = alarms.entry(t).or_default();
            e.0 += n;
            e.1 = e.1.max(lvl);
            e.2 += 1;
        }
    }
    let text = |t: u32| templates.get(t as usize).map(|x| (x.id.clone(), x.text.clone()));
    let mut out = Vec::new();
    for (t, (window, start_ns, from, to, ratio, windows)) in jumps {
        if let Some((template_id, template)) = text(t) {
            let kind = SignalKind::Jump { window, start_ns, from, to, ratio, windows };
            out.push(Signal { template_id, template, kind, score: jump_score(ratio, to) });
        }
    }
    for (t, (lines, level, windows)) in alarms {
        if let Some((template_id, template)) = text(t) {
            let name = LEVELS.get(level as usize).copied().unwrap_or("warn").to_owned();
            // warn 10+, error 20+, critical 30+, more lines higher within.
            let score = 10.0 * f64::from(level.saturating_sub(WARN - 1)) + (lines as f64 + 1.0).log2();
            out.push(Signal { template_id, template, kind: SignalKind::Level { level: name, lines, windows }, score });
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.template_id.cmp(&b.template_id)));
    out
}

fn jump_score(ratio: f64, to: u64) -> f64 {
    ratio.log2() * ((to + 1) as f64).log2()
}

/// Templates listed per window in a prompt.
const PROMPT_TEMPLATES: usize = 12;
/// Template texts are cut to this many characters in a prompt.
const PROMPT_TEXT_CHARS: usize = 160;

/// The signals of one window for its prompt: the busiest templates with the
/// count of the window before, jumps marked; templates at warning or above;
/// unmatched lines.
pub fn window_text(kb: Option<&KnowledgeBase>, prev: Option<&WindowCounts>, cur: &WindowCounts, o: &SignalOptions) -> String {
    let Some(kb) = kb else {
        return "(none: no knowledge base for this app)".to_owned();
    };
    let name = |t: u32| {
        kb.knowledge.templates.get(t as usize).map_or_else(
            || ("?".to_owned(), String::new()),
            |x| (x.id.clone(), x.text.chars().take(PROMPT_TEXT_CHARS).collect::<String>()),
        )
    };
    let mut busiest: Vec<(u32, u64)> = cur.by_template.iter().map(|(&t, &n)| (t, n)).collect();
    busiest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = format!("{} lines in the window, {} matched to no known template.\n", cur.lines, cur.unmatched);
    if !busiest.is_empty() {
        out.push_str("Busiest templates (lines here / in the window before):\n");
    }
    for &(t, n) in busiest.iter().take(PROMPT_TEMPLATES) {
        let (id, text) = name(t);
        let before = prev.map_or(0, |p| p.count(t));
        let mark = if jump(t, prev, cur, o).is_some() { "  JUMP" } else { "" };
        out.push_str(&format!("- {id} {n} / {before}{mark}: {text}\n"));
    }
    let mut jumps: Vec<u32> = busiest.iter().skip(PROMPT_TEMPLATES).map(|x| x.0).filter(|&t| jump(t, prev, cur, o).is_some()).collect();
    jumps.truncate(PROMPT_TEMPLATES);
    for t in jumps {
        let (id, text) = name(t);
        out.push_str(&format!("- {id} {} / {}  JUMP: {text}\n", cur.count(t), prev.map_or(0, |p| p.count(t))));
    }
    let mut alarms: Vec<(u32, u64, u8)> = cur.alarms.iter().map(|(&t, &(n, l))| (t, n, l)).collect();
    alarms.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    if !alarms.is_empty() {
        out.push_str("Templates at warning level or above:\n");
    }
    for (t, n, l) in alarms.into_iter().take(PROMPT_TEMPLATES) {
        let (id, text) = name(t);
        out.push_str(&format!("- {id} {} x{n}: {text}\n", LEVELS.get(l as usize).copied().unwrap_or("warn")));
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::{Knowledge, Summaries, TemplateRecord};

    fn kb() -> KnowledgeBase {
        let t = |id: &str, text: &str, source| TemplateRecord {
            id: id.into(),
            text: text.into(),
            source,
            count: 1,
            first_seen: None,
            last_seen: None,
            levels: Default::default(),
            examples: Vec::new(),
        };
        let knowledge = Knowledge {
            templates: vec![
                t("M1", "session opened for user <*>", TemplateSource::Mined),
                t("E1", "Failed password for <*> from <*> port <*> ssh2", TemplateSource::Known),
                t("E2", "error: Received disconnect from <*>: <*>", TemplateSource::Known),
            ],
            ..Default::default()
        };
        KnowledgeBase::from_knowledge("t", knowledge, Summaries::default())
    }

    fn ds() -> Dataset {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("t")).unwrap();
        std::fs::write(
            dir.path().join("t/dataset.toml"),
            "description = \"x\"\nlog = \"x.log\"\nformat = '<Time> <Component>: <Content>'\n[levels.keywords]\n\"error:\" = \"error\"\n\"failed\" = \"warn\"\n",
        )
        .unwrap();
        Dataset::load(dir.path(), "t").unwrap()
    }

    #[test]
    fn lines_get_templates_and_keyword_levels() {
        let (kb, ds) = (kb(), ds());
        let mut c = Classifier::new(Some(&kb), Some(&ds));
        let x = c.classify("10:00 sshd: Failed password for root from 1.2.3.4 port 22 ssh2");
        assert_eq!((x.template, LEVELS[x.level as usize]), (Some(1), "warn"));
        let x = c.classify("10:00 sshd: error: Received disconnect from 1.2.3.4: 3: bye bye");
        assert_eq!((x.template, LEVELS[x.level as usize]), (Some(2), "error"));
        let x = c.classify("10:00 sshd: session opened for user bob");
        assert_eq!((x.template, x.level), (Some(0), 0));
        let x = c.classify("10:00 sshd: something else failed");
        assert_eq!((x.template, LEVELS[x.level as usize]), (None, "warn"));
        assert!(!Classifier::new(None, Some(&ds)).has_templates());
    }

    #[test]
    fn jumps_and_levels_are_ranked() {
        let kb = kb();
        let o = SignalOptions::default();
        let mut w0 = WindowCounts::new(0, 0, 10);
        let mut w1 = WindowCounts::new(1, 10, 20);
        let mut w3 = WindowCounts::new(3, 30, 40);
        for _ in 0..2 {
            w0.add(LineClass { template: Some(1), level: WARN });
        }
        for _ in 0..40 {
            w1.add(LineClass { template: Some(1), level: WARN });
            w1.add(LineClass { template: Some(0), level: 3 });
        }
        for _ in 0..12 {
            w3.add(LineClass { template: Some(0), level: 3 });
        }
        w3.add(LineClass { template: Some(2), level: 5 });
        let s = rank(&kb, &[w0.clone(), w1.clone(), w3.clone()], &o);
        let ids: Vec<(&str, &str)> =
            s.iter().map(|x| (x.template_id.as_str(), if matches!(x.kind, SignalKind::Jump { .. }) { "jump" } else { "level" })).collect();
        // E1 jumps 2 -> 40 (x13.7); M1 0 -> 40 in window 1 (the bigger of its two jumps);
        // E2 is an error, E1 a warning with 42 lines.
        assert_eq!(ids, vec![("M1", "jump"), ("E2", "level"), ("E1", "jump"), ("E1", "level")], "{s:#?}");
        match &s[0].kind {
            SignalKind::Jump { window, from, to, windows, .. } => assert_eq!((*window, *from, *to, *windows), (1, 0, 40, 2)),
            k => panic!("{k:?}"),
        }
        assert!(s[2].describe().contains("E1 jumps 2 -> 40 lines (x13.7) in window 2"), "{}", s[2].describe());
        // A window after a gap jumps from zero.
        let text = window_text(Some(&kb), None, &w3, &o);
        assert!(text.contains("13 lines in the window") && text.contains("- M1 12 / 0  JUMP"), "{text}");
        assert!(text.contains("- E2 error x1"), "{text}");
        let text = window_text(Some(&kb), Some(&w0), &w1, &o);
        assert!(text.contains("- E1 40 / 2  JUMP"), "{text}");
    }
}
