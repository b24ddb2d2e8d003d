//! The latency percentile curves: one line per case with accepted handshakes, on a
//! logarithmic "1 / (1 - percentile)" axis (the HdrHistogram style), from the interval logs.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::backend::{axis_number, color, short, Curve, DrawResult, FAMILY};
use crate::report::saved::SavedRun;

/// The curve of every case with accepted handshakes.
pub(super) fn latency_curves(run: &SavedRun) -> Vec<Curve> {
    run.summary
        .cases
        .iter()
        .zip(&run.logs)
        .filter_map(|(c, log)| {
            // Accepted handshakes only: a reject case's log holds times to the rejection.
            c.latency_us?;
            let h = log.as_ref()?.total();
            if h.is_empty() {
                return None;
            }
            let points: Vec<(f64, f64)> = h
                .iter_quantiles(5)
                .map(|v| (v.quantile_iterated_to(), v.value_iterated_to()))
                .filter(|(q, _)| *q < 1.0)
                .map(|(q, v)| (1.0 / (1.0 - q), v as f64 / 1000.0))
                .collect();
            (!points.is_empty()).then(|| (short(&c.name), points))
        })
        .collect()
}

fn percentile_label(x: f64) -> String {
    if x <= 1.0 {
        return "0%".into();
    }
    let pct = 100.0 * (1.0 - 1.0 / x);
    let text = format!("{pct:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// Draws the curves.
pub(super) fn draw_latency<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    curves: &[Curve],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let max_x = curves
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(x, _)| *x))
        .fold(10.0, f64::max);
    let decades = max_x.log10().ceil().clamp(1.0, 7.0);
    let max_y = curves
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
        .fold(0.001, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption("Latency by percentile", (FAMILY, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((1.0..10f64.powf(decades)).log_scale(), 0.0..max_y * 1.08)?;
    chart
        .configure_mesh()
        .x_desc("percentile (log scale of 1 / (1 - percentile))")
        .y_desc("latency (ms)")
        .y_label_formatter(&|v| axis_number(*v))
        .x_label_formatter(&|x| percentile_label(*x))
        .label_style((FAMILY, 13))
        .draw()?;
    for (i, (name, points)) in curves.iter().enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_labels() {
        assert_eq!(percentile_label(1.0), "0%");
        assert_eq!(percentile_label(10.0), "90%");
        assert_eq!(percentile_label(100.0), "99%");
        assert_eq!(percentile_label(1000.0), "99.9%");
    }
}
