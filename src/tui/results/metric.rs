//! Metric results made ready to draw: one series per label set, its points
//! as `(unix seconds, value)` thinned to at most [`MAX_POINTS`] by keeping
//! each bucket's first, lowest, highest and last point (the shape of a
//! line survives), with min, max and last; and the table view of them.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use super::logs::labels_text;
use crate::logql::value::{Labels, Point, QueryResult};
use crate::tui::theme::Theme;

/// The labels of a scalar.
static NO_LABELS: Labels = Labels::new();

/// Most points kept per series (a frame never needs more).
pub const MAX_POINTS: usize = 4000;

#[derive(Debug, Clone)]
pub struct SeriesView {
    /// The labels that differ between series, `{level="INFO"}`.
    pub name: String,
    /// Their values only, `INFO` (`INFO · host1` for more than one).
    pub short: String,
    pub points: Vec<(f64, f64)>,
    /// Points in the result (before thinning).
    pub count: usize,
    pub min: f64,
    pub max: f64,
    pub last: f64,
}

/// What kind of metric result it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Matrix,
    Vector,
    Scalar,
}

#[derive(Debug, Clone)]
pub struct Metric {
    pub kind: MetricKind,
    pub series: Vec<SeriesView>,
    /// Labels every series has.
    pub common: String,
    /// The names of the labels that differ, `component, level`.
    pub keys: String,
    /// x (seconds) and y bounds over every finite point.
    pub x: (f64, f64),
    pub y: (f64, f64),
}

/// Thins `pts` to about `max` points, keeping each bucket's first, min, max
/// and last in time order.
pub fn thin(pts: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if pts.len() <= max || max < 8 {
        return pts.to_vec();
    }
    let buckets = max / 4;
    let per = pts.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(buckets * 4);
    for chunk in pts.chunks(per) {
        let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else { continue };
        let lo = chunk.iter().copied().fold(*first, |a, p| if p.1 < a.1 { p } else { a });
        let hi = chunk.iter().copied().fold(*first, |a, p| if p.1 > a.1 { p } else { a });
        let mut four = [*first, lo, hi, *last];
        four.sort_by(|a, b| a.0.total_cmp(&b.0));
        for p in four {
            if out.last() != Some(&p) {
                out.push(p);
            }
        }
    }
    out
}

fn series(metric: &Labels, common: &Labels, pts: &[Point]) -> SeriesView {
    let own: Labels = metric.iter().filter(|(k, _)| !common.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let finite: Vec<(f64, f64)> =
        pts.iter().filter(|p| p.value.is_finite()).map(|p| (p.ts_ms as f64 / 1000.0, p.value)).collect();
    let min = finite.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let max = finite.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let short: Vec<&str> = own.values().map(String::as_str).collect();
    SeriesView {
        name: crate::terminal::sanitize(&labels_text(&own)).into_owned(),
        short: crate::terminal::sanitize(&short.join(" · ")).into_owned(),
        count: pts.len(),
        min,
        max,
        last: pts.last().map_or(f64::NAN, |p| p.value),
        points: thin(&finite, MAX_POINTS),
    }
}

impl Metric {
    /// From a metric result; `None` for streams.
    pub fn build(r: &QueryResult) -> Option<Metric> {
        let (kind, list): (MetricKind, Vec<(&Labels, Vec<Point>)>) = match r {
            QueryResult::Streams(_) => return None,
            QueryResult::Matrix(m) => (MetricKind::Matrix, m.iter().map(|s| (&s.metric, s.points.clone())).collect()),
            QueryResult::Vector(v) => (MetricKind::Vector, v.iter().map(|s| (&s.metric, vec![s.point])).collect()),
            QueryResult::Scalar(p) => (MetricKind::Scalar, vec![(&NO_LABELS, vec![*p])]),
        };
        let mut common: Labels = list.first().map(|(l, _)| (*l).clone()).unwrap_or_default();
        for (l, _) in list.iter().skip(1) {
            common.retain(|k, v| l.get(k) == Some(v));
        }
        if list.len() < 2 {
            common.clear();
        }
        let series: Vec<SeriesView> = list.iter().map(|(l, p)| series(l, &common, p)).collect();
        let mut keys: Vec<&str> =
            list.iter().flat_map(|(l, _)| l.keys()).filter(|k| !common.contains_key(*k)).map(String::as_str).collect();
        keys.sort_unstable();
        keys.dedup();
        let keys = crate::terminal::sanitize(&keys.join(", ")).into_owned();
        let mut x = (f64::INFINITY, f64::NEG_INFINITY);
        let mut y = (f64::INFINITY, f64::NEG_INFINITY);
        for s in &series {
            for p in &s.points {
                x = (x.0.min(p.0), x.1.max(p.0));
            }
            if s.min.is_finite() {
                y = (y.0.min(s.min), y.1.max(s.max));
            }
        }
        Some(Metric { kind, series, common: crate::terminal::sanitize(&labels_text(&common)).into_owned(), keys, x, y })
    }
}

/// A number in a few characters: `12`, `0.25`, `1.5k`, `3.2M`, `NaN`.
pub fn short_num(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() { "NaN".into() } else if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let a = v.abs();
    let (d, suffix) = match a {
        a if a >= 1e12 => (1e12, "T"),
        a if a >= 1e9 => (1e9, "G"),
        a if a >= 1e6 => (1e6, "M"),
        a if a >= 1e4 => (1e3, "k"),
        _ => (1.0, ""),
    };
    let x = v / d;
    let s = if (x.fract() == 0.0 && x.abs() < 1e15) || x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}").trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        format!("{x:.3}").trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    format!("{s}{suffix}")
}

/// The table view: a row per series with its points, min, max and last.
pub fn draw_table(f: &mut Frame, area: Rect, m: &Metric, offset: usize, selected: Option<usize>, theme: Theme) {
    let first = if m.keys.is_empty() { "series".to_owned() } else { m.keys.clone() };
    let header = match m.kind {
        MetricKind::Matrix => Row::new([first, "points".into(), "min".into(), "max".into(), "last".into()]),
        _ => Row::new([first, "value".into()]),
    }
    .style(theme.title(false));
    let rows: Vec<Row> = m
        .series
        .iter()
        .enumerate()
        .skip(offset)
        .take(area.height.saturating_sub(1) as usize)
        .map(|(i, s)| {
            let name = if s.short.is_empty() { m.common.clone() } else { s.short.clone() };
            let cells: Vec<Cell> = match m.kind {
                MetricKind::Matrix => vec![
                    Cell::from(name),
                    Cell::from(s.count.to_string()),
                    Cell::from(short_num(s.min)),
                    Cell::from(short_num(s.max)),
                    Cell::from(short_num(s.last)),
                ],
                _ => vec![Cell::from(name), Cell::from(Line::from(Span::raw(short_num(s.last))))],
            };
            let row = Row::new(cells);
            if Some(i) == selected { row.style(theme.selected()) } else { row }
        })
        .collect();
    let widths: Vec<Constraint> = match m.kind {
        MetricKind::Matrix => vec![
            Constraint::Fill(1),
            Constraint::Length(7),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(8),
        ],
        _ => vec![Constraint::Fill(1), Constraint::Length(10)],
    };
    f.render_widget(Table::new(rows, widths).header(header), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::value::{Sample, Series};

    fn lab(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn series_named_by_their_differing_labels() {
        let r = QueryResult::Matrix(vec![
            Series { metric: lab(&[("app", "a"), ("level", "INFO")]), points: vec![Point { ts_ms: 1000, value: 1.0 }, Point { ts_ms: 2000, value: 3.0 }] },
            Series { metric: lab(&[("app", "a"), ("level", "WARN")]), points: vec![Point { ts_ms: 1000, value: f64::NAN }, Point { ts_ms: 2000, value: 5.0 }] },
        ]);
        let m = Metric::build(&r).unwrap();
        assert_eq!(m.common, "{app=\"a\"}");
        assert_eq!(m.series[0].name, "{level=\"INFO\"}");
        assert_eq!(m.series[0].short, "INFO");
        assert_eq!(m.keys, "level");
        assert_eq!((m.series[1].min, m.series[1].max, m.series[1].count), (5.0, 5.0, 2));
        assert_eq!(m.series[1].points, vec![(2.0, 5.0)], "NaN is not drawn");
        assert_eq!((m.x, m.y), ((1.0, 2.0), (1.0, 5.0)));
        let v = Metric::build(&QueryResult::Vector(vec![Sample { metric: lab(&[("a", "b")]), point: Point { ts_ms: 0, value: 2.0 } }])).unwrap();
        assert_eq!((v.kind, v.series[0].name.as_str(), v.series[0].last), (MetricKind::Vector, "{a=\"b\"}", 2.0));
        let s = Metric::build(&QueryResult::Scalar(Point { ts_ms: 0, value: 7.0 })).unwrap();
        assert_eq!((s.kind, s.series.len()), (MetricKind::Scalar, 1));
        assert!(Metric::build(&QueryResult::Streams(vec![])).is_none());
    }

    #[test]
    fn thinning_keeps_the_shape() {
        let pts: Vec<(f64, f64)> = (0..1_000_000).map(|i| (i as f64, if i == 500_123 { 99.0 } else { (i % 7) as f64 })).collect();
        let t = thin(&pts, 4000);
        assert!(t.len() <= 4000, "{}", t.len());
        assert!(t.iter().any(|p| p.1 == 99.0), "the spike survives");
        assert!(t.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
        assert_eq!(t.first(), pts.first());
        assert_eq!(t.last(), pts.last());
        assert_eq!(thin(&pts[..3], 4000).len(), 3);
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short_num(12.0), "12");
        assert_eq!(short_num(0.25), "0.25");
        assert_eq!(short_num(1.0 / 3.0), "0.333");
        assert_eq!(short_num(15_300.0), "15.3k");
        assert_eq!(short_num(3_200_000.0), "3.2M");
        assert_eq!(short_num(f64::NAN), "NaN");
        assert_eq!(short_num(-2.5), "-2.5");
    }
}
