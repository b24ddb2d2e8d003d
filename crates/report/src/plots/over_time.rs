//! Handshakes per second over time: one line per case with accepted handshakes, from the
//! complete intervals of its interval log.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::backend::{color, short, Curve, DrawResult, FAMILY};
use crate::report::saved::SavedRun;

/// (case, points of (seconds into the window, handshakes/s)), complete intervals only (an
/// interval that runs past the measured window is partly empty and would show a false drop).
pub(super) fn throughput_series(run: &SavedRun) -> Vec<Curve> {
    run.summary
        .cases
        .iter()
        .zip(&run.logs)
        .filter_map(|(c, log)| {
            let log = log.as_ref()?;
            // Accepted handshakes only (rejections have no throughput to show).
            c.latency_us?;
            let first = log.intervals.first()?.start_epoch_secs;
            let window = c.window_ms / 1000.0;
            let points: Vec<(f64, f64)> = log
                .intervals
                .iter()
                .filter(|i| i.length_secs > 0.0)
                .map(|i| (i.start_epoch_secs - first, i))
                .filter(|(t, i)| t + i.length_secs <= window + 1e-3)
                .map(|(t, i)| (t + i.length_secs, i.histogram.len() as f64 / i.length_secs))
                .collect();
            (!points.is_empty()).then(|| (short(&c.name), points))
        })
        .collect()
}

/// Draws the series.
pub(super) fn draw_over_time<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[Curve],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let max_x = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(x, _)| *x))
        .fold(1.0, f64::max);
    let max_y = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption("Handshakes per second over time", (FAMILY, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..max_x, 0.0..max_y * 1.1)?;
    chart
        .configure_mesh()
        .x_desc("seconds into the measured window (end of each interval)")
        .y_desc("accepted handshakes / s")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FAMILY, 13))
        .draw()?;
    for (i, (name, points)) in series.iter().enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, c.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
