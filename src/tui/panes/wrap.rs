//! Text fields drawn by us (the editing model is ratatui-textarea's): the
//! lines are cut into rows of the pane's width, character by character,
//! styled per byte, with the cursor's row and column found on the way.
//! Tabs show as a space and control characters as `�`, so what is drawn
//! never moves the terminal's cursor.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// Text cut into screen rows.
#[derive(Debug, Default)]
pub struct Wrapped {
    pub rows: Vec<Line<'static>>,
    /// The cursor's `(row, column)` among `rows`.
    pub cursor: (usize, usize),
    /// Where the mark is drawn, `(row, column)`.
    pub mark: Option<(usize, usize)>,
}

/// Cuts `lines` into rows of `width` columns. `style_at(offset)` styles the
/// character at that byte offset of `lines.join("\n")`; `mark` is a byte
/// offset drawn with `mark_style` (a parse error; at a line's end it marks
/// a blank cell); `cursor` is `(line, char)` as the text area keeps it.
pub fn wrap(
    lines: &[String],
    width: usize,
    style_at: &dyn Fn(usize) -> Style,
    mark: Option<(usize, Style)>,
    cursor: (usize, usize),
) -> Wrapped {
    let width = width.max(1);
    let mut out = Wrapped::default();
    let mut base = 0usize;
    for (li, line) in lines.iter().enumerate() {
        let mut row: Vec<Span<'static>> = Vec::new();
        let mut cur = String::new();
        let mut cur_style = Style::new();
        let mut col = 0usize;
        let flush = |cur: &mut String, style: Style, row: &mut Vec<Span<'static>>| {
            if !cur.is_empty() {
                row.push(Span::styled(std::mem::take(cur), style));
            }
        };
        let mut ci = 0usize;
        for (bi, ch) in line.char_indices() {
            let shown = if ch == '\t' {
                ' '
            } else if ch.is_control() {
                '\u{fffd}'
            } else {
                ch
            };
            let w = shown.width().unwrap_or(1);
            if col + w > width && col > 0 {
                flush(&mut cur, cur_style, &mut row);
                out.rows.push(Line::from(std::mem::take(&mut row)));
                col = 0;
            }
            let at = base + bi;
            let style = match mark {
                Some((m, s)) if m == at => {
                    out.mark = Some((out.rows.len(), col));
                    s
                }
                _ => style_at(at),
            };
            if style != cur_style {
                flush(&mut cur, cur_style, &mut row);
                cur_style = style;
            }
            if (li, ci) == cursor {
                out.cursor = (out.rows.len(), col);
            }
            cur.push(shown);
            col += w;
            ci += 1;
        }
        flush(&mut cur, cur_style, &mut row);
        let end = base + line.len();
        let cursor_here = cursor.0 == li && cursor.1 >= ci;
        let mark_here = matches!(mark, Some((m, _)) if m == end);
        if (cursor_here || mark_here) && col >= width {
            out.rows.push(Line::from(std::mem::take(&mut row)));
            col = 0;
        }
        if mark_here && let Some((_, s)) = mark {
            out.mark = Some((out.rows.len(), col));
            row.push(Span::styled(" ", s));
        }
        if cursor_here {
            out.cursor = (out.rows.len(), col);
        }
        out.rows.push(Line::from(row));
        base = end + 1;
    }
    if out.rows.is_empty() {
        out.rows.push(Line::default());
    }
    out
}

/// The first row to show so that row `cursor_row` is visible in `height` rows.
pub fn scroll_top(cursor_row: usize, height: usize) -> usize {
    if height == 0 { cursor_row } else { cursor_row.saturating_sub(height - 1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(w: &Wrapped) -> Vec<String> {
        w.rows.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
    }

    #[test]
    fn cuts_rows_and_finds_the_cursor() {
        let lines = vec!["abcdef".to_string(), "xy".to_string()];
        let plain = |_| Style::new();
        let w = wrap(&lines, 4, &plain, None, (0, 5));
        assert_eq!(text(&w), ["abcd", "ef", "xy"]);
        assert_eq!(w.cursor, (1, 1));
        let w = wrap(&lines, 4, &plain, None, (1, 2));
        assert_eq!(w.cursor, (2, 2));
        // A cursor after a full row goes to the next row.
        let w = wrap(&["abcd".to_string()], 4, &plain, None, (0, 4));
        assert_eq!(text(&w), ["abcd", ""]);
        assert_eq!(w.cursor, (1, 0));
    }

    #[test]
    fn styles_marks_and_controls() {
        use ratatui::style::Modifier;
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let rev = Style::new().add_modifier(Modifier::REVERSED);
        let lines = vec!["a\tb\u{1b}".to_string()];
        let style_at = |i: usize| if i == 0 { bold } else { Style::new() };
        let w = wrap(&lines, 10, &style_at, Some((4, rev)), (0, 0));
        assert_eq!(text(&w), ["a b\u{fffd} "]);
        assert_eq!(w.rows[0].spans[0].style, bold);
        assert_eq!(w.rows[0].spans.last().unwrap().style, rev, "the error at the end marks a blank");
        assert_eq!(w.mark, Some((0, 4)));
        // Wide characters never split across the edge.
        let w = wrap(&["日本語".to_string()], 5, &|_| Style::new(), None, (0, 3));
        assert_eq!(text(&w), ["日本", "語"]);
        assert_eq!(w.cursor, (1, 2));
        let w = wrap(&[], 0, &|_| Style::new(), None, (0, 0));
        assert_eq!(w.rows.len(), 1);
    }

    #[test]
    fn scroll_keeps_the_cursor_visible() {
        assert_eq!(scroll_top(0, 3), 0);
        assert_eq!(scroll_top(2, 3), 0);
        assert_eq!(scroll_top(5, 3), 3);
        assert_eq!(scroll_top(5, 0), 5);
    }
}
