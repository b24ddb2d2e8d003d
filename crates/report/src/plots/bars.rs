//! Horizontal bar charts: throughput, p99 and CPU per handshake across cases, and
//! handshakes per second per value of each matrix axis (with the grouping of cases by axis).

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::backend::{axis_number, DrawResult, FAMILY};
use crate::report::saved::{SavedCase, SavedRun};

/// An axis and, per value, the cases that had it.
pub(super) type AxisGroup<'a> = (String, Vec<(String, Vec<&'a SavedCase>)>);

/// For each matrix axis with at least two values: the measured cases per value, in first-seen
/// order.
pub(super) fn axis_groups(run: &SavedRun) -> Vec<AxisGroup<'_>> {
    let mut axes: Vec<AxisGroup<'_>> = Vec::new();
    for c in run
        .summary
        .cases
        .iter()
        .filter(|c| c.error.is_none() && c.attempts > 0)
    {
        for (axis, value) in &c.axes {
            let pos = match axes.iter().position(|(a, _)| a == axis) {
                Some(p) => p,
                None => {
                    axes.push((axis.clone(), Vec::new()));
                    axes.len() - 1
                }
            };
            let values = &mut axes[pos].1;
            match values.iter_mut().find(|(v, _)| v == value) {
                Some((_, cases)) => cases.push(c),
                None => values.push((value.clone(), vec![c])),
            }
        }
    }
    axes.retain(|(_, values)| values.len() >= 2);
    axes
}

/// Horizontal bars, one per (label, value), coloured by cycling through `colors`.
pub(super) fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    axis: &str,
    bars: &[(String, f64)],
    colors: &[RGBAColor],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let n = bars.len();
    let max_v = bars.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1e-9);
    let y: Range<i32> = 0..i32::try_from(n).unwrap_or(i32::MAX);
    let mut chart = ChartBuilder::on(area)
        .caption(axis, (FAMILY, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(260)
        .build_cartesian_2d(0.0..max_v * 1.15, y.into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n.min(60))
        .x_desc(axis)
        .x_label_formatter(&|v| axis_number(*v))
        .label_style((FAMILY, 13))
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => usize::try_from(*i)
                .ok()
                .and_then(|i| n.checked_sub(i + 1))
                .and_then(|i| bars.get(i))
                .map(|(l, _)| l.clone())
                .unwrap_or_default(),
            SegmentValue::Last => String::new(),
        })
        .draw()?;
    let n_colors = colors.len().max(1);
    // The first bar on top: bar i sits in segment n - 1 - i.
    let top = |i: usize| i32::try_from(n - 1 - i).unwrap_or(0);
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
        let c = colors.get(i % n_colors).copied().unwrap_or(BLUE.mix(0.7));
        let i = top(i);
        let mut r = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(i)),
                (*v, SegmentValue::Exact(i + 1)),
            ],
            c.filled(),
        );
        r.set_margin(3, 3, 0, 0);
        r
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
        let i = top(i);
        Text::new(
            axis_number(*v),
            (*v, SegmentValue::CenterOf(i)),
            (FAMILY, 12).into_font(),
        )
    }))?;
    Ok(())
}
