//! A small text chart of a matrix for the terminal: one sparkline row per
//! series on a shared scale, with the time axis underneath. Shown under the
//! series table of metric range queries.

use std::io::{self, Write};

use crate::dataset::timestamp::Zone;
use crate::logql::value::{Series, format_value};
use crate::terminal::sanitize;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// At most this many series are drawn (the table lists them all).
const MAX_ROWS: usize = 12;

/// Draws up to [`MAX_ROWS`] series into `width` columns.
pub fn render(series: &[Series], zone: Zone, width: usize, w: &mut dyn Write) -> io::Result<()> {
    let (Some(t0), Some(t1)) = (
        series.iter().filter_map(|s| s.points.first()).map(|p| p.ts_ms).min(),
        series.iter().filter_map(|s| s.points.last()).map(|p| p.ts_ms).max(),
    ) else {
        return Ok(());
    };
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.value))
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let names: Vec<String> = series.iter().take(MAX_ROWS).map(name).collect();
    let label_w = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).min(28);
    let cols = width.saturating_sub(label_w + 2).clamp(10, 120);
    // The distinct sample times, bucketed into columns.
    let mut times: Vec<i64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.ts_ms)).collect();
    times.sort_unstable();
    times.dedup();
    let cols = cols.min(times.len().max(1));
    let col_of = |ts: i64| -> usize {
        if t1 == t0 { 0 } else { (((ts - t0) as f64 / (t1 - t0) as f64) * (cols - 1) as f64).round() as usize }
    };
    writeln!(w, "{:>label_w$}  max {}", "", format_value(max), label_w = label_w)?;
    for (s, n) in series.iter().zip(&names) {
        let mut cells: Vec<Option<f64>> = vec![None; cols];
        for p in &s.points {
            let c = col_of(p.ts_ms).min(cols - 1);
            let v = if p.value.is_finite() { p.value } else { 0.0 };
            cells[c] = Some(cells[c].map_or(v, |old: f64| old.max(v)));
        }
        let bars: String = cells
            .iter()
            .map(|c| match c {
                None => ' ',
                Some(v) if max <= 0.0 || *v <= 0.0 => '▁',
                Some(v) => BARS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize],
            })
            .collect();
        let n: String = n.chars().take(label_w).collect();
        writeln!(w, "{n:>label_w$}  {bars}", label_w = label_w)?;
    }
    if series.len() > MAX_ROWS {
        writeln!(w, "{:>label_w$}  … {} more series in the table", "", series.len() - MAX_ROWS, label_w = label_w)?;
    }
    let left = zone.format_ns(t0.saturating_mul(1_000_000));
    let right = zone.format_ns(t1.saturating_mul(1_000_000));
    let gap = cols.saturating_sub(left.len() + right.len()).max(1);
    writeln!(w, "{:>label_w$}  {left}{}{right}", "", " ".repeat(gap), label_w = label_w)
}

fn name(s: &Series) -> String {
    if s.metric.is_empty() {
        return "{}".into();
    }
    let parts: Vec<&str> = s.metric.values().map(String::as_str).collect();
    sanitize(&parts.join(",")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logql::value::{Labels, Point};

    #[test]
    fn bars_scale_to_the_largest_value() {
        let mut l = Labels::new();
        l.insert("component".into(), "dfs.DataNode".into());
        let s = Series { metric: l, points: (0..8).map(|i| Point { ts_ms: i * 60_000, value: i as f64 }).collect() };
        let mut out = Vec::new();
        render(&[s], Zone::parse("UTC").unwrap(), 40, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows.len(), 3, "{text}");
        assert!(rows[0].ends_with("max 7"));
        assert!(rows[1].ends_with("dfs.DataNode  ▁▂▃▄▅▆▇█"), "{text}");
        assert!(rows[2].contains("1970-01-01T00:00:00Z") && rows[2].contains("1970-01-01T00:07:00Z"));
    }
}
