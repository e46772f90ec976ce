//! Where each pane goes for a terminal size: the picture of DESIGN.md
//! (question, LogQL and results on the left; knowledge and answer on the
//! right; a status bar) when there is room, one column when narrow, and
//! only the focused pane when tiny or zoomed. Mouse clicks use the same
//! rectangles as drawing.

use ratatui::layout::{Constraint, Layout, Rect};

use super::app::PaneId;

/// Rectangles of the visible panes and of the status bar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Areas {
    pub panes: Vec<(PaneId, Rect)>,
    pub status: Option<Rect>,
}

impl Areas {
    /// The pane at a screen position.
    pub fn pane_at(&self, x: u16, y: u16) -> Option<PaneId> {
        self.panes.iter().find(|(_, r)| r.contains(ratatui::layout::Position::new(x, y))).map(|(p, _)| *p)
    }

    pub fn get(&self, p: PaneId) -> Option<Rect> {
        self.panes.iter().find(|(q, _)| *q == p).map(|(_, r)| *r)
    }
}

/// `editor_rows(width)`: rows the editor's text needs inside its borders.
pub fn areas(area: Rect, focus: PaneId, zoom: bool, editor_rows: &dyn Fn(u16) -> u16) -> Areas {
    let (body, status) = if area.height >= 2 {
        let [b, s] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
        (b, Some(s))
    } else {
        (area, None)
    };
    let tiny = body.width < 40 || body.height < 10;
    if zoom || tiny {
        return Areas { panes: vec![(focus, body)], status };
    }
    let wide = body.width >= 70;
    let (left, right) = if wide {
        let rw = (body.width * 2 / 5).clamp(24, 60);
        let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(rw)]).areas(body);
        (l, Some(r))
    } else {
        (body, None)
    };
    let max_editor = (left.height / 3).max(3);
    let editor_h = (editor_rows(left.width.saturating_sub(2)).max(1) + 2).min(max_editor);
    let [q, e, res] =
        Layout::vertical([Constraint::Length(3), Constraint::Length(editor_h), Constraint::Fill(1)]).areas(left);
    let mut panes = vec![(PaneId::Question, q), (PaneId::Editor, e)];
    match right {
        Some(r) => {
            let [k, a] = Layout::vertical([Constraint::Percentage(45), Constraint::Fill(1)]).areas(r);
            panes.extend([(PaneId::Results, res), (PaneId::Knowledge, k), (PaneId::Answer, a)]);
        }
        // One column: knowledge or answer take the results' place while focused.
        None => {
            let third = match focus {
                PaneId::Knowledge | PaneId::Answer => focus,
                _ => PaneId::Results,
            };
            panes.push((third, res));
        }
    }
    Areas { panes, status }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picture_at_80x24_and_fallbacks() {
        let a = areas(Rect::new(0, 0, 80, 24), PaneId::Editor, false, &|_| 1);
        assert_eq!(a.status, Some(Rect::new(0, 23, 80, 1)));
        assert_eq!(a.get(PaneId::Question), Some(Rect::new(0, 0, 48, 3)));
        assert_eq!(a.get(PaneId::Editor), Some(Rect::new(0, 3, 48, 3)));
        assert_eq!(a.get(PaneId::Results), Some(Rect::new(0, 6, 48, 17)));
        assert_eq!(a.get(PaneId::Knowledge).map(|r| r.x), Some(48));
        assert_eq!(a.pane_at(50, 20), Some(PaneId::Answer));
        assert_eq!(a.pane_at(5, 4), Some(PaneId::Editor));
        // The editor grows with its text, up to a third.
        let a = areas(Rect::new(0, 0, 80, 24), PaneId::Editor, false, &|_| 30);
        assert_eq!(a.get(PaneId::Editor).map(|r| r.height), Some(7));
        // Narrow: one column, knowledge replaces results while focused.
        let a = areas(Rect::new(0, 0, 60, 24), PaneId::Knowledge, false, &|_| 1);
        assert_eq!(a.panes.len(), 3);
        assert!(a.get(PaneId::Knowledge).is_some() && a.get(PaneId::Results).is_none());
        // Tiny or zoomed: the focused pane alone.
        let a = areas(Rect::new(0, 0, 20, 5), PaneId::Results, false, &|_| 1);
        assert_eq!(a.panes, vec![(PaneId::Results, Rect::new(0, 0, 20, 4))]);
        let a = areas(Rect::new(0, 0, 120, 40), PaneId::Answer, true, &|_| 1);
        assert_eq!(a.panes, vec![(PaneId::Answer, Rect::new(0, 0, 120, 39))]);
        let a = areas(Rect::new(0, 0, 1, 1), PaneId::Editor, false, &|_| 1);
        assert_eq!(a.status, None);
    }
}
