//! The chart view of metric results: a line per series (a dot for a series
//! of one point), time on x in the configured zone, and our own legend on
//! the right (ratatui's hides itself when series are many).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};

use super::metric::{Metric, short_num, thin};
use crate::dataset::timestamp::Zone;
use crate::tui::panes::ellipsize;
use crate::tui::theme::Theme;
use crate::tui::timefmt;

/// Bounds that a chart can draw: finite, and not empty.
fn span(b: (f64, f64)) -> (f64, f64) {
    match b {
        (a, z) if !a.is_finite() || !z.is_finite() => (0.0, 1.0),
        (a, z) if a == z => (a - 1.0, z + 1.0),
        b => b,
    }
}

fn time_labels(zone: Zone, x: (f64, f64), width: u16) -> Vec<Line<'static>> {
    let fmt = if x.1 - x.0 < 86_400.0 { "%H:%M:%S" } else { "%m-%d %H:%M" };
    let at = |s: f64| Line::from(timefmt::format(zone, (s * 1e9) as i64, fmt));
    if width < 50 { vec![at(x.0), at(x.1)] } else { vec![at(x.0), at((x.0 + x.1) / 2.0), at(x.1)] }
}

pub fn draw(f: &mut Frame, area: Rect, m: &Metric, zone: Zone, theme: Theme) {
    if area.width < 4 || area.height < 3 {
        return;
    }
    let legend_w = if area.width >= 40 {
        let longest = m.series.iter().map(|s| s.short.chars().count()).max().unwrap_or(0);
        (longest as u16 + 3).clamp(8, area.width * 35 / 100)
    } else {
        0
    };
    let [plot, legend] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(legend_w)]).areas(area);
    let x = span(m.x);
    let y = span((m.y.0.min(0.0), m.y.1));
    // Two points per braille column are all a frame can show.
    let budget = (plot.width as usize * 4).max(8);
    let data: Vec<Vec<(f64, f64)>> = m.series.iter().map(|s| thin(&s.points, budget)).collect();
    let datasets: Vec<Dataset> = data
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (style, marker, _) = theme.series(i);
            let kind = if d.len() < 2 { GraphType::Scatter } else { GraphType::Line };
            Dataset::default().data(d).style(style).marker(marker).graph_type(kind)
        })
        .collect();
    let y_labels = vec![Line::from(short_num(y.0)), Line::from(short_num((y.0 + y.1) / 2.0)), Line::from(short_num(y.1))];
    let chart = Chart::new(datasets)
        .legend_position(None)
        .x_axis(
            Axis::default()
                .bounds([x.0, x.1])
                .labels(time_labels(zone, x, plot.width))
                .labels_alignment(ratatui::layout::Alignment::Right)
                .style(theme.dim()),
        )
        .y_axis(Axis::default().bounds([y.0, y.1]).labels(y_labels).style(theme.dim()));
    f.render_widget(chart, plot);
    if legend_w == 0 {
        return;
    }
    let rows = legend.height as usize;
    let mut lines: Vec<Line> = m
        .series
        .iter()
        .enumerate()
        .take(if m.series.len() > rows { rows.saturating_sub(1) } else { rows })
        .map(|(i, s)| {
            let (style, _, mark) = theme.series(i);
            let name = if s.short.is_empty() { m.common.as_str() } else { s.short.as_str() };
            Line::from(vec![Span::styled(format!("{mark} "), style), Span::raw(ellipsize(name, legend_w as usize - 2))])
        })
        .collect();
    if m.series.len() > rows && rows > 0 {
        lines.push(Line::styled(format!("+{} more", m.series.len() - (rows - 1)), theme.dim()));
    }
    f.render_widget(Paragraph::new(lines), legend);
}
