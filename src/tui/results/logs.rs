//! Log results: every stream's entries in one list ordered by time, each
//! row a time column (configured zone) and the line, stripped of terminal
//! control sequences, with the text the query's line filters matched
//! highlighted. Only the rows on screen are styled, so drawing costs the
//! same for ten lines or ten thousand.

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::backend::Direction;
use crate::dataset::timestamp::Zone;
use crate::logql::value::{Labels, Stream};
use crate::tui::highlight::Matcher;
use crate::tui::theme::Theme;
use crate::tui::timefmt;

/// Longest part of a line kept for display (a 1 MB line shows its start).
pub const MAX_SHOWN_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone)]
pub struct LogRow {
    pub ts: i64,
    /// `2008-11-09 20:36:15` in the zone.
    pub time: String,
    /// The stream labels that are not shared by every row.
    pub labels: String,
    pub line: String,
}

#[derive(Debug, Clone, Default)]
pub struct Logs {
    pub rows: Vec<LogRow>,
    /// Labels every row has, `{app="hdfs"}`.
    pub common: String,
    pub matcher: Matcher,
    /// Rows whose line was cut at [`MAX_SHOWN_BYTES`].
    pub cut: usize,
}

/// `{a="b", c="d"}` of the labels.
pub fn labels_text(l: &Labels) -> String {
    let inner: Vec<String> = l.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", inner.join(", "))
}

fn cut(s: &str) -> (&str, bool) {
    if s.len() <= MAX_SHOWN_BYTES {
        return (s, false);
    }
    let mut end = MAX_SHOWN_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (&s[..end], true)
}

impl Logs {
    pub fn build(streams: &[Stream], direction: Direction, zone: Zone, matcher: Matcher) -> Logs {
        let mut common: Labels = streams.first().map(|s| s.labels.clone()).unwrap_or_default();
        for s in streams.iter().skip(1) {
            common.retain(|k, v| s.labels.get(k) == Some(v));
        }
        let mut rows = Vec::with_capacity(streams.iter().map(|s| s.entries.len()).sum());
        let mut n_cut = 0;
        for s in streams {
            let own: Labels = s.labels.iter().filter(|(k, _)| !common.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
            let labels = if own.is_empty() { String::new() } else { crate::terminal::sanitize(&labels_text(&own)).into_owned() };
            for e in &s.entries {
                let (text, was_cut) = cut(&e.line);
                n_cut += usize::from(was_cut);
                rows.push(LogRow {
                    ts: e.ts,
                    time: timefmt::datetime(zone, e.ts),
                    labels: labels.clone(),
                    line: crate::terminal::sanitize(text).replace('\t', " "),
                });
            }
        }
        match direction {
            Direction::Backward => rows.sort_by(|a, b| b.ts.cmp(&a.ts)),
            Direction::Forward => rows.sort_by_key(|r| r.ts),
        }
        Logs { rows, common: crate::terminal::sanitize(&labels_text(&common)).into_owned(), matcher, cut: n_cut }
    }
}

/// Splits `text` (from char `skip`, at most `max` chars) into spans, the
/// `hits` (byte ranges of `text`) in `hit`.
fn styled<'a>(text: &'a str, hits: &[Range<usize>], skip: usize, max: usize, hit: ratatui::style::Style) -> Vec<Span<'a>> {
    let start = text.char_indices().nth(skip).map_or(text.len(), |(i, _)| i);
    let end = text[start..].char_indices().nth(max).map_or(text.len(), |(i, _)| start + i);
    let mut out = Vec::new();
    let mut at = start;
    for h in hits {
        let (hs, he) = (h.start.max(at), h.end.min(end));
        if hs >= he || !text.is_char_boundary(hs) || !text.is_char_boundary(he) {
            continue;
        }
        if hs > at {
            out.push(Span::raw(&text[at..hs]));
        }
        out.push(Span::styled(&text[hs..he], hit));
        at = he;
    }
    if at < end {
        out.push(Span::raw(&text[at..end]));
    }
    out
}

/// When the first hit would be cut off at `room` characters: the characters
/// to skip so that it shows with a little context before it, and the room
/// left after a `…` marker. Else `(0, room)`.
fn shift_to_hit(line: &str, hit: &Range<usize>, room: usize) -> (usize, usize) {
    let (Some(before), Some(upto)) = (line.get(..hit.start), line.get(..hit.end)) else { return (0, room) };
    let end = upto.chars().count();
    if end <= room || room < 12 {
        return (0, room);
    }
    let start = before.chars().count();
    (start.saturating_sub(8).max(1), room - 1)
}

/// Draws rows `offset..` into `area`; `selected` is highlighted.
/// Draws the rows from `offset`; a marked row has `•` after its time.
#[allow(clippy::too_many_arguments)]
pub fn draw(
    f: &mut Frame,
    area: Rect,
    logs: &Logs,
    offset: usize,
    selected: Option<usize>,
    marked: &std::collections::BTreeSet<usize>,
    hscroll: usize,
    theme: Theme,
) {
    let width = area.width as usize;
    // Narrow panes show `11-09 20:36:15`.
    let time_from = if width < 70 { 5 } else { 0 };
    let lines: Vec<Line> = logs
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(area.height as usize)
        .map(|(i, r)| {
            let time = r.time.get(time_from..).unwrap_or(&r.time);
            let room = width.saturating_sub(time.chars().count() + 1);
            let hits = if logs.matcher.is_empty() { Vec::new() } else { logs.matcher.find(&r.line) };
            let gap = if marked.contains(&i) { Span::styled("•", theme.hit()) } else { Span::raw(" ") };
            let mut spans = vec![Span::styled(time, theme.time()), gap];
            let (skip, room) = match (hscroll, hits.first()) {
                (0, Some(h)) => shift_to_hit(&r.line, h, room),
                _ => (hscroll, room),
            };
            if skip > 0 && hscroll == 0 {
                spans.push(Span::styled("…", theme.dim()));
            }
            spans.extend(styled(&r.line, &hits, skip, room, theme.hit()));
            let line = Line::from(spans);
            if Some(i) == selected { line.style(theme.selected()) } else { line }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::value::Entry;
    use ratatui::style::Style;

    fn stream(labels: &[(&str, &str)], entries: &[(i64, &str)]) -> Stream {
        Stream {
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            entries: entries.iter().map(|(ts, l)| Entry { ts: *ts, line: l.to_string() }).collect(),
        }
    }

    #[test]
    fn rows_merge_streams_by_time_and_strip_escapes() {
        let utc = Zone::parse("UTC").unwrap();
        let s = [
            stream(&[("app", "a"), ("level", "INFO")], &[(3_000_000_000, "three"), (1_000_000_000, "one \x1b[31mred\x1b[0m")]),
            stream(&[("app", "a"), ("level", "WARN")], &[(2_000_000_000, "two")]),
        ];
        let logs = Logs::build(&s, Direction::Backward, utc, Matcher::default());
        let lines: Vec<&str> = logs.rows.iter().map(|r| r.line.as_str()).collect();
        assert_eq!(lines, ["three", "two", "one red"]);
        assert_eq!(logs.common, "{app=\"a\"}");
        assert_eq!(logs.rows[1].labels, "{level=\"WARN\"}");
        assert_eq!(logs.rows[0].time, "1970-01-01 00:00:03");
        let fwd = Logs::build(&s, Direction::Forward, utc, Matcher::default());
        assert_eq!(fwd.rows[0].line, "one red");
    }

    #[test]
    fn huge_lines_are_cut_for_display() {
        let utc = Zone::parse("UTC").unwrap();
        let big = "é".repeat(1 << 19); // 1 MiB
        let logs = Logs::build(&[stream(&[("app", "a")], &[(0, &big)])], Direction::Backward, utc, Matcher::default());
        assert_eq!(logs.cut, 1);
        assert!(logs.rows[0].line.len() <= MAX_SHOWN_BYTES);
    }

    #[test]
    fn a_hit_far_right_is_brought_into_view() {
        let line = format!("{}needle tail", "x".repeat(100));
        assert_eq!(shift_to_hit(&line, &(100..106), 40), (92, 39));
        assert_eq!(shift_to_hit(&line, &(100..106), 200), (0, 200));
        assert_eq!(shift_to_hit("needle", &(0..6), 4), (0, 4), "too narrow to bother");
    }

    #[test]
    fn hits_split_spans_within_the_window() {
        let hit = Style::new().add_modifier(ratatui::style::Modifier::REVERSED);
        let spans = styled("abcabc", &[0..1, 3..4], 0, 10, hit);
        let parts: Vec<(&str, bool)> = spans.iter().map(|s| (s.content.as_ref(), s.style == hit)).collect();
        assert_eq!(parts, [("a", true), ("bc", false), ("a", true), ("bc", false)]);
        let spans = styled("abcabc", &[0..1, 3..4], 2, 2, hit);
        let parts: Vec<(&str, bool)> = spans.iter().map(|s| (s.content.as_ref(), s.style == hit)).collect();
        assert_eq!(parts, [("c", false), ("a", true)]);
        assert!(styled("ab", &[], 5, 3, hit).is_empty());
    }
}
