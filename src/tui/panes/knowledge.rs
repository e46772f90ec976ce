//! The knowledge pane: the app's templates by count from its stored
//! knowledge, and after a question the items retrieved for it (templates,
//! parameters, workflows) with their scores. Enter shows one in detail
//! (scrollable), a key puts a LogQL query for its template into the editor.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::answer::word_wrap;
use super::{DrawCx, Pane, block, ellipsize, title};
use crate::knowledge::TemplateRecord;
use crate::knowledge::documents::DocKind;
use crate::logql::{Expr, FilterOp, LineFilter, LogExpr, MatchOp, Matcher, Stage};
use crate::retrieve::RetrievedItem;
use crate::storage::loki::LokiPattern;
use crate::tui::action::{Action, Scroll};

/// What the pane knows.
#[derive(Debug, Default)]
pub enum KnowledgeState {
    #[default]
    Loading,
    /// No knowledge stored for the app (the reason).
    Missing(String),
    Failed(String),
    Loaded(Vec<TemplateRecord>),
}

#[derive(Default)]
pub struct KnowledgePane {
    pub app: String,
    state: KnowledgeState,
    selected: usize,
    offset: Cell<usize>,
    page: Cell<usize>,
    detail: bool,
    detail_top: usize,
    detail_rows: Cell<(usize, usize)>,
    /// Items retrieved for the last question (`Some(empty)`: retrieving);
    /// shown instead of the templates.
    retrieved: Option<Vec<RetrievedItem>>,
    /// Loki's own patterns (`index --from-loki`), listed after our
    /// templates as Loki's, most lines first.
    loki: Vec<LokiPattern>,
    /// The format a user's own logs were detected as, shown in the title.
    pub format: Option<String>,
}

impl KnowledgePane {
    pub fn new(app: &str) -> KnowledgePane {
        KnowledgePane { app: app.to_owned(), ..Default::default() }
    }

    /// New templates, sorted by count (most first). The selected template
    /// (and its open detail) stays selected when it is still there, so a
    /// reload while following a log does not move the list under the user.
    pub fn set(&mut self, state: KnowledgeState) {
        let keep = if self.retrieved.is_none() { self.templates().get(self.selected).map(|t| t.id.clone()) } else { None };
        self.state = match state {
            KnowledgeState::Loaded(mut t) => {
                t.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
                KnowledgeState::Loaded(t)
            }
            s => s,
        };
        let at = keep.and_then(|id| self.templates().iter().position(|t| t.id == id));
        match at {
            Some(i) if self.retrieved.is_none() => self.selected = i,
            _ => {
                self.selected = 0;
                self.offset.set(0);
                self.detail = false;
            }
        }
    }

    /// Loki's patterns for the app (none: not pulled from Loki, or not offered).
    pub fn set_loki(&mut self, mut patterns: Vec<LokiPattern>) {
        patterns.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.pattern.cmp(&b.pattern)));
        self.loki = patterns;
        if self.retrieved.is_none() {
            self.selected = self.selected.min(self.len().saturating_sub(1));
        }
    }

    /// The selected row's Loki pattern (rows after our templates).
    fn selected_loki(&self) -> Option<&LokiPattern> {
        if self.retrieved.is_some() {
            return None;
        }
        self.loki.get(self.selected.checked_sub(self.templates().len())?)
    }

    /// Items retrieved for a question, best first (empty: retrieval runs).
    pub fn set_retrieved(&mut self, items: Vec<RetrievedItem>) {
        self.retrieved = Some(items);
        self.selected = 0;
        self.offset.set(0);
        self.detail = false;
    }

    /// Back to the templates when a question ended without retrieving anything.
    pub fn end_retrieval(&mut self) {
        if self.retrieved.as_ref().is_some_and(Vec::is_empty) {
            self.retrieved = None;
        }
    }

    pub fn retrieved(&self) -> Option<&[RetrievedItem]> {
        self.retrieved.as_deref()
    }

    pub fn state(&self) -> &KnowledgeState {
        &self.state
    }

    pub fn is_missing(&self) -> bool {
        matches!(self.state, KnowledgeState::Missing(_))
    }

    /// Closes the detail view; whether it was open.
    pub fn close_detail(&mut self) -> bool {
        std::mem::take(&mut self.detail)
    }

    fn templates(&self) -> &[TemplateRecord] {
        match &self.state {
            KnowledgeState::Loaded(t) => t,
            _ => &[],
        }
    }

    fn selected_template(&self) -> Option<&TemplateRecord> {
        match &self.retrieved {
            Some(items) => {
                let item = items.get(self.selected)?;
                let id = item.id.split('#').next().unwrap_or(&item.id);
                (item.kind != DocKind::Workflow).then(|| self.templates().iter().find(|t| t.id == id)).flatten()
            }
            None => self.templates().get(self.selected),
        }
    }

    fn len(&self) -> usize {
        match &self.retrieved {
            Some(items) => items.len(),
            None if matches!(self.state, KnowledgeState::Loaded(_)) => self.templates().len() + self.loki.len(),
            None => 0,
        }
    }

    fn draw_retrieved(&self, f: &mut Frame, inner: Rect, cx: &DrawCx, items: &[RetrievedItem]) {
        let h = inner.height as usize;
        self.page.set(h);
        let off = self.scrolled_offset(h);
        let idw = items.iter().map(|t| t.id.len()).max().unwrap_or(1).min(7);
        let lines: Vec<Line> = items
            .iter()
            .enumerate()
            .skip(off)
            .take(h)
            .map(|(i, t)| {
                let sel = i == self.selected;
                let first = t.text.lines().next().unwrap_or("");
                // The document text starts with its kind and id; drop them.
                let first = first.split_once(": ").map_or(first, |(_, rest)| rest);
                let head = format!("{} {:<idw$} {:.3} ", if sel { '▸' } else { ' ' }, ellipsize(&t.id, idw), t.score);
                row(head, first, Style::default(), sel, inner.width, cx)
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }

    /// The first row shown so that the selection is visible.
    fn scrolled_offset(&self, h: usize) -> usize {
        let mut off = self.offset.get();
        if self.selected < off {
            off = self.selected;
        } else if self.selected >= off + h {
            off = self.selected + 1 - h;
        }
        self.offset.set(off);
        off
    }

    fn detail_text(&self) -> String {
        let mut text = String::new();
        if let Some(item) = self.retrieved.as_ref().and_then(|r| r.get(self.selected)) {
            let how = |r: &Option<crate::retrieve::RankScore>| r.as_ref().map_or("-".to_owned(), |r| format!("#{} ({:.3})", r.rank, r.score));
            text.push_str(&format!(
                "{} · {} · score {:.3} (lexical {}, dense {})\n{}\n\n",
                item.id,
                item.kind.as_str(),
                item.score,
                how(&item.bm25),
                how(&item.dense),
                item.text
            ));
        }
        if let Some(t) = self.selected_template() {
            text.push_str(&format!("{} · {} lines · {:?}\n{}\n", t.id, t.count, t.source, t.text));
            if let (Some(a), Some(b)) = (&t.first_seen, &t.last_seen) {
                text.push_str(&format!("seen {a} → {b}\n"));
            }
            if !t.levels.is_empty() {
                let lv: Vec<String> = t.levels.iter().map(|(k, v)| format!("{k} {v}")).collect();
                text.push_str(&format!("levels: {}\n", lv.join(", ")));
            }
            text.push_str(&format!("LogQL: {}\n", template_logql(&self.app, &t.text)));
            for e in &t.examples {
                text.push_str(&format!("e.g. line {}: {}\n", e.line, e.raw));
            }
            for p in self.loki.iter().filter(|p| p.our_templates.contains(&t.id)) {
                text.push_str(&format!("Loki's pattern for it: {} ({} lines by Loki's count)\n", p.pattern, p.total));
            }
        }
        if let Some(p) = self.selected_loki() {
            text.push_str(&format!("Loki's pattern (Loki's own mining, not ours) · {} lines by Loki's count\n{}\n", p.total, p.pattern));
            if let Some(l) = &p.level {
                text.push_str(&format!("level: {l}\n"));
            }
            if p.our_templates.is_empty() {
                text.push_str("matches none of our templates\n");
            } else {
                text.push_str(&format!("matches our {} ({} lines by our count)\n", p.our_templates.join(", "), p.our_count));
            }
            text.push_str(&format!("LogQL: {}\n", pattern_logql(&self.app, &p.pattern)));
        }
        text
    }

    /// Our templates, then Loki's patterns (marked `loki`, dimmed).
    fn draw_list(&self, f: &mut Frame, inner: Rect, cx: &DrawCx, templates: &[TemplateRecord]) {
        let h = inner.height as usize;
        self.page.set(h);
        let off = self.scrolled_offset(h);
        let idw = templates.iter().map(|t| t.id.len()).max().unwrap_or(1).min(6);
        let idw = if self.loki.is_empty() { idw } else { idw.max(4) };
        let cw = templates.first().map_or(1, |t| t.count.to_string().len());
        let cw = self.loki.first().map_or(cw, |p| cw.max(p.total.to_string().len()));
        let ours = templates.iter().map(|t| (t.id.as_str(), t.count, t.text.as_str(), Style::default()));
        let lokis = self.loki.iter().map(|p| ("loki", p.total, p.pattern.as_str(), cx.theme.dim()));
        let lines: Vec<Line> = ours
            .chain(lokis)
            .enumerate()
            .skip(off)
            .take(h)
            .map(|(i, (id, count, text, style))| {
                let sel = i == self.selected;
                let head = format!("{} {:<idw$} {count:>cw$} ", if sel { '▸' } else { ' ' }, ellipsize(id, idw));
                row(head, text, style, sel, inner.width, cx)
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_detail(&self, f: &mut Frame, inner: Rect) {
        let text: Vec<String> = self.detail_text().split('\n').map(|l| crate::terminal::sanitize(l).into_owned()).collect();
        let rows = word_wrap(&text.join("\n"), inner.width as usize);
        let h = inner.height as usize;
        self.detail_rows.set((rows.len(), h));
        let top = self.detail_top.min(rows.len().saturating_sub(h));
        let lines: Vec<Line> = rows.into_iter().skip(top).take(h).map(Line::from).collect();
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// One list row: the dimmed head (marker, id, number), then the text cut to
/// the width (control sequences stripped), highlighted when selected.
fn row(head: String, text: &str, style: Style, selected: bool, width: u16, cx: &DrawCx) -> Line<'static> {
    let rest = (width as usize).saturating_sub(head.chars().count());
    let text = ellipsize(&crate::terminal::sanitize(text), rest);
    let line = Line::from(vec![Span::styled(head, cx.theme.dim()), Span::styled(text, style)]);
    if selected && cx.focused { line.style(cx.theme.selected()) } else { line }
}

/// A LogQL query for the lines of one of Loki's patterns (`<_>` parts):
/// the app's stream and the pattern as a `|>` filter.
pub fn pattern_logql(app: &str, pattern: &str) -> String {
    let pipeline = vec![Stage::LineFilter(LineFilter { op: FilterOp::Pattern, values: vec![pattern.to_owned()] })];
    let matchers = vec![Matcher { name: "app".into(), op: MatchOp::Eq, value: app.to_owned() }];
    Expr::Log(LogExpr { matchers, pipeline }).to_string()
}

/// A LogQL query for a template's lines: the app's stream and a `|=` filter
/// per literal part (the two longest, in order), printed canonically.
pub fn template_logql(app: &str, template: &str) -> String {
    let mut parts: Vec<(usize, &str)> = template
        .split("<*>")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .enumerate()
        .collect();
    parts.sort_by_key(|(i, p)| (std::cmp::Reverse(p.len()), *i));
    parts.truncate(2);
    parts.sort_by_key(|(i, _)| *i);
    let pipeline = parts
        .into_iter()
        .map(|(_, p)| Stage::LineFilter(LineFilter { op: FilterOp::Contains, values: vec![p.to_owned()] }))
        .collect();
    let matchers = vec![Matcher { name: "app".into(), op: MatchOp::Eq, value: app.to_owned() }];
    Expr::Log(LogExpr { matchers, pipeline }).to_string()
}

impl Pane for KnowledgePane {
    fn draw(&self, f: &mut Frame, area: Rect, cx: &DrawCx) {
        let head = match (&self.retrieved, &self.state) {
            (Some(r), _) if !r.is_empty() => format!("Knowledge · {} retrieved", r.len()),
            (Some(_), _) => "Knowledge · retrieving…".to_owned(),
            (None, KnowledgeState::Loaded(t)) if !self.loki.is_empty() => {
                format!("Knowledge · {} + {} from Loki", t.len(), self.loki.len())
            }
            (None, KnowledgeState::Loaded(t)) => match &self.format {
                Some(f) => format!("Knowledge · {} templates · {f}", t.len()),
                None => format!("Knowledge · {} templates", t.len()),
            },
            _ => "Knowledge".to_owned(),
        };
        let mut b = block(title(head), cx);
        if cx.focused && self.len() > 0 {
            let hint = if self.detail {
                "Esc back".to_owned()
            } else {
                format!("Enter detail · {} → LogQL", cx.keys.keys_for(&Action::InsertTemplate))
            };
            b = b.title_bottom(Line::from(title(hint)).style(cx.theme.dim()));
        }
        let inner = b.inner(area);
        f.render_widget(b, area);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let note = |f: &mut Frame, s: String, st| {
            let lines: Vec<Line> = word_wrap(&s, inner.width as usize).into_iter().map(|l| Line::styled(l, st)).collect();
            f.render_widget(Paragraph::new(lines), inner);
        };
        if self.detail && self.len() > 0 {
            return self.draw_detail(f, inner);
        }
        if let Some(items) = &self.retrieved {
            if items.is_empty() {
                return note(f, "retrieving knowledge for the question…".into(), cx.theme.dim());
            }
            return self.draw_retrieved(f, inner, cx, items);
        }
        match &self.state {
            KnowledgeState::Loading => note(f, "loading…".into(), cx.theme.dim()),
            KnowledgeState::Missing(why) => note(
                f,
                format!("{why}\n{} indexes the app.", cx.keys.keys_for(&Action::OpenIndex)),
                cx.theme.dim(),
            ),
            KnowledgeState::Failed(e) => note(f, e.clone(), cx.theme.error()),
            KnowledgeState::Loaded(t) if t.is_empty() => note(f, "no templates".into(), cx.theme.dim()),
            KnowledgeState::Loaded(t) => self.draw_list(f, inner, cx, t),
        }
    }

    fn on_key(&mut self, key: &KeyEvent) -> Option<Action> {
        if key.kind != KeyEventKind::Release && key.code == KeyCode::Enter && self.len() > 0 {
            self.detail = !self.detail;
            self.detail_top = 0;
        }
        None
    }

    fn scroll(&mut self, s: Scroll) {
        let n = self.len();
        if n == 0 {
            return;
        }
        if self.detail {
            let (rows, page) = self.detail_rows.get();
            let max_top = rows.saturating_sub(page);
            self.detail_top = match s {
                Scroll::Up(k) => self.detail_top.saturating_sub(k),
                Scroll::Down(k) => (self.detail_top + k).min(max_top),
                Scroll::PageUp => self.detail_top.saturating_sub(page.max(1)),
                Scroll::PageDown => (self.detail_top + page.max(1)).min(max_top),
                Scroll::Top => 0,
                Scroll::Bottom => max_top,
            };
            return;
        }
        let page = self.page.get().max(1);
        self.selected = match s {
            Scroll::Up(k) => self.selected.saturating_sub(k),
            Scroll::Down(k) => (self.selected + k).min(n - 1),
            Scroll::PageUp => self.selected.saturating_sub(page),
            Scroll::PageDown => (self.selected + page).min(n - 1),
            Scroll::Top => 0,
            Scroll::Bottom => n - 1,
        };
    }
}

impl KnowledgePane {
    /// The LogQL of the selected template, for [`Action::InsertTemplate`].
    pub fn selected_logql(&self) -> Option<String> {
        match self.selected_loki() {
            Some(p) => Some(pattern_logql(&self.app, &p.pattern)),
            None => self.selected_template().map(|t| template_logql(&self.app, &t.text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, count: u64) -> TemplateRecord {
        TemplateRecord {
            id: id.into(),
            text: format!("text {id}"),
            source: crate::knowledge::TemplateSource::Known,
            count,
            first_seen: None,
            last_seen: None,
            levels: Default::default(),
            examples: vec![],
        }
    }

    #[test]
    fn a_reload_keeps_the_selected_template_and_its_detail() {
        let mut k = KnowledgePane::new("x");
        k.set(KnowledgeState::Loaded(vec![rec("A", 9), rec("B", 5), rec("C", 1)]));
        k.scroll(Scroll::Down(1));
        k.on_key(&KeyEvent::new(KeyCode::Enter, crossterm::event::KeyModifiers::NONE));
        assert_eq!((k.selected_template().map(|t| t.id.as_str()), k.detail), (Some("B"), true));
        // B grew past A (following a log): still B, detail still open.
        k.set(KnowledgeState::Loaded(vec![rec("A", 9), rec("B", 20), rec("C", 1)]));
        assert_eq!((k.selected, k.selected_template().map(|t| t.id.as_str()), k.detail), (0, Some("B"), true));
        // Gone: back to the top, detail closed.
        k.set(KnowledgeState::Loaded(vec![rec("A", 9), rec("C", 1)]));
        assert_eq!((k.selected, k.detail), (0, false));
    }

    #[test]
    fn template_logql_filters_on_the_longest_literals() {
        assert_eq!(
            template_logql("hdfs", "Deleting block <*> file <*>"),
            r#"{app="hdfs"} |= "Deleting block" |= "file""#
        );
        assert_eq!(
            template_logql("hdfs", "PacketResponder <*> for block <*> terminating"),
            r#"{app="hdfs"} |= "PacketResponder" |= "terminating""#
        );
        assert_eq!(template_logql("a", "<*>"), r#"{app="a"}"#);
        let q = template_logql("a", r#"say "hi" \ <*>"#);
        assert!(crate::logql::parse(&q).is_ok(), "{q}");
    }
}
