//! Plots of a run, each as PNG and SVG under `plots/`: latency percentile curves on a
//! logarithmic "1 / (1 - percentile)" axis (the HdrHistogram style, one line per case),
//! handshakes per second over time (from the interval logs), throughput and p99 bars across
//! cases, and CPU per handshake of each side. Text is drawn with a font built into the binary
//! (plotters' `ab_glyph` backend), so no system font library is needed; PNG files are encoded
//! here and written atomically like every report file.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::saved::SavedRun;

/// The font every plot uses (DejaVu Sans cut down to ASCII; see `harness/assets/README.md`).
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans-ascii.ttf");

const SIZE: (u32, u32) = (960, 540);
const FAMILY: &str = "sans-serif";

/// One plot: its file stem, a title, and the SVG text (for inlining into HTML).
#[derive(Clone, Debug)]
pub struct Plot {
    /// File stem under `plots/` (`latency`, `throughput-over-time`, ...).
    pub stem: String,
    /// What it shows.
    pub title: String,
    /// The SVG document.
    pub svg: String,
    /// The PNG file's bytes.
    pub png: Vec<u8>,
}

type DrawResult = Result<(), String>;

fn font_ready() -> Result<(), String> {
    static READY: OnceLock<bool> = OnceLock::new();
    let ok = *READY
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err("the built-in plot font does not load".into())
    }
}

/// Draws with `draw` into an SVG string and a PNG.
fn render(
    stem: String,
    title: String,
    draw: &dyn Fn(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult,
    draw_png: &dyn Fn(&DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult,
) -> Result<Plot, String> {
    font_ready()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut pixels = vec![255u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        draw_png(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, SIZE.0, SIZE.1);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Best);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| e.to_string())?;
    }
    Ok(Plot {
        stem,
        title,
        svg,
        png,
    })
}

macro_rules! both_backends {
    ($stem:expr, $title:expr, $f:expr) => {
        render($stem.to_string(), $title, &|a| $f(a), &|a| $f(a))
    };
}

fn short(name: &str) -> String {
    if name.chars().count() > 34 {
        let cut: String = name.chars().take(33).collect();
        format!("{cut}~")
    } else {
        name.to_string()
    }
}

/// Every plot the run has data for.
///
/// # Errors
/// When drawing fails (a plotters error, in words).
pub fn plots(run: &SavedRun) -> Result<Vec<Plot>, String> {
    let mut out = Vec::new();
    let curves = latency_curves(run);
    if !curves.is_empty() {
        out.push(both_backends!(
            "latency",
            "Latency by percentile (accepted handshakes)".to_string(),
            |a| draw_latency(a, &curves)
        )?);
    }
    let series = throughput_series(run);
    if !series.is_empty() {
        out.push(both_backends!(
            "throughput-over-time",
            "Handshakes per second over time".to_string(),
            |a| draw_over_time(a, &series)
        )?);
    }
    let measured: Vec<_> = run
        .summary
        .cases
        .iter()
        .filter(|c| c.error.is_none() && c.attempts > 0)
        .collect();
    if !measured.is_empty() {
        let bars: Vec<(String, f64)> = measured
            .iter()
            .map(|c| (short(&c.name), c.handshakes_per_sec))
            .collect();
        out.push(both_backends!(
            "throughput",
            "Handshakes per second by case".to_string(),
            |a| draw_bars(a, "handshakes / s", &bars, &[BLUE.mix(0.7)])
        )?);
        let p99: Vec<(String, f64)> = measured
            .iter()
            .filter_map(|c| {
                let p = c.latency_us.or(c.rejection_latency_us)?;
                Some((short(&c.name), p.p99 as f64 / 1000.0))
            })
            .collect();
        if !p99.is_empty() {
            out.push(both_backends!(
                "p99",
                "p99 latency by case (rejections: time to the alert)".to_string(),
                |a| draw_bars(a, "p99 latency (ms)", &p99, &[RED.mix(0.7)])
            )?);
        }
        let mut cpu: Vec<(String, f64)> = Vec::new();
        for c in &measured {
            if let (Some(s), Some(cl)) =
                (c.server_cpu_us_per_handshake, c.client_cpu_us_per_handshake)
            {
                cpu.push((format!("{} server", short(&c.name)), s));
                cpu.push((format!("{} client", short(&c.name)), cl));
            }
        }
        if !cpu.is_empty() {
            out.push(both_backends!(
                "cpu",
                "CPU per handshake, server and client".to_string(),
                |a| draw_bars(
                    a,
                    "CPU time per handshake (us)",
                    &cpu,
                    &[GREEN.mix(0.7), MAGENTA.mix(0.6)]
                )
            )?);
        }
    }
    for (axis, values) in axis_groups(run) {
        let hs: Vec<(String, f64)> = values
            .iter()
            .map(|(v, cases)| {
                let mean = cases.iter().map(|c| c.handshakes_per_sec).sum::<f64>()
                    / cases.len().max(1) as f64;
                (format!("{axis}={}", short(v)), mean)
            })
            .collect();
        let stem = format!("by-{}", super::files::file_safe(&axis));
        out.push(both_backends!(
            stem,
            format!("Handshakes per second by {axis} (mean over the cases with each value)"),
            |a| draw_bars(
                a,
                &format!("handshakes / s by {axis}"),
                &hs,
                &[CYAN.mix(0.8)]
            )
        )?);
    }
    Ok(out)
}

/// An axis and, per value, the cases that had it.
type AxisGroup<'a> = (String, Vec<(String, Vec<&'a super::saved::SavedCase>)>);

/// For each matrix axis with at least two values: the measured cases per value, in first-seen
/// order.
fn axis_groups(run: &SavedRun) -> Vec<AxisGroup<'_>> {
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

/// (case, points of (1/(1-q), latency ms)) for every case with accepted handshakes.
type Curve = (String, Vec<(f64, f64)>);

fn latency_curves(run: &SavedRun) -> Vec<Curve> {
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

/// (case, points of (seconds into the window, handshakes/s)), complete intervals only (an
/// interval that runs past the measured window is partly empty and would show a false drop).
fn throughput_series(run: &SavedRun) -> Vec<Curve> {
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

/// A number for a label: no decimals from 10 up, two below.
fn axis_number(v: f64) -> String {
    if v.abs() >= 10.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn color(i: usize) -> RGBColor {
    let c = Palette99::pick(i).to_rgba();
    RGBColor(c.0, c.1, c.2)
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

fn draw_latency<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, curves: &[Curve]) -> DrawResult
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
        .build_cartesian_2d((1.0..10f64.powf(decades)).log_scale(), 0.0..max_y * 1.08)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("percentile (log scale of 1 / (1 - percentile))")
        .y_desc("latency (ms)")
        .y_label_formatter(&|v| axis_number(*v))
        .x_label_formatter(&|x| percentile_label(*x))
        .label_style((FAMILY, 13))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, (name, points)) in curves.iter().enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

fn draw_over_time<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, series: &[Curve]) -> DrawResult
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
        .build_cartesian_2d(0.0..max_x, 0.0..max_y * 1.1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("seconds into the measured window (end of each interval)")
        .y_desc("accepted handshakes / s")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FAMILY, 13))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, (name, points)) in series.iter().enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        chart
            .draw_series(points.iter().map(|p| Circle::new(*p, 3, c.filled())))
            .map_err(|e| e.to_string())?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

/// Horizontal bars, one per (label, value), coloured by cycling through `colors`.
fn draw_bars<DB: DrawingBackend>(
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
        .build_cartesian_2d(0.0..max_v * 1.15, y.into_segmented())
        .map_err(|e| e.to_string())?;
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
        .draw()
        .map_err(|e| e.to_string())?;
    let n_colors = colors.len().max(1);
    // The first bar on top: bar i sits in segment n - 1 - i.
    let top = |i: usize| i32::try_from(n - 1 - i).unwrap_or(0);
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
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
        }))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
            let i = top(i);
            Text::new(
                axis_number(*v),
                (*v, SegmentValue::CenterOf(i)),
                (FAMILY, 12).into_font(),
            )
        }))
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Writes every plot of `run` as `plots/<stem>.png` and `.svg` under `dir`; returns them.
///
/// # Errors
/// When drawing fails or a file cannot be written.
pub fn write_plots(run: &SavedRun, dir: &Path) -> Result<Vec<Plot>, String> {
    let plots = plots(run)?;
    let plot_dir = dir.join("plots");
    std::fs::create_dir_all(&plot_dir).map_err(|e| format!("{}: {e}", plot_dir.display()))?;
    for p in &plots {
        for (ext, bytes) in [("png", p.png.as_slice()), ("svg", p.svg.as_bytes())] {
            let path = plot_dir.join(format!("{}.{ext}", p.stem));
            crate::fsutil::write_atomic(&path, bytes, 0o644)
                .map_err(|e| format!("writing {}: {e}", path.display()))?;
        }
    }
    Ok(plots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_groups_need_two_values() {
        let case = |name: &str, key: &str, group: &str| {
            serde_json::json!({ "name": name, "attempts": 10, "handshakes_per_sec": 1.0,
                "axes": { "key": key, "group": group } })
        };
        let summary = serde_json::json!({ "cases": [
            case("a", "ecdsa-p256", "x25519"),
            case("b", "ed25519", "x25519"),
            case("c", "ecdsa-p256", "x25519"),
        ]});
        let run = SavedRun {
            dir: "x".into(),
            summary: serde_json::from_value(summary).unwrap(),
            logs: Vec::new(),
        };
        let groups = axis_groups(&run);
        assert_eq!(groups.len(), 1, "group has one value only");
        let (axis, values) = &groups[0];
        assert_eq!(axis, "key");
        let counts: Vec<(&str, usize)> =
            values.iter().map(|(v, c)| (v.as_str(), c.len())).collect();
        assert_eq!(counts, [("ecdsa-p256", 2), ("ed25519", 1)]);
        let plots = plots(&run).unwrap();
        assert!(plots.iter().any(|p| p.stem == "by-key"));
        assert!(!plots.iter().any(|p| p.stem == "by-group"));
    }

    #[test]
    fn percentile_labels() {
        assert_eq!(percentile_label(1.0), "0%");
        assert_eq!(percentile_label(10.0), "90%");
        assert_eq!(percentile_label(100.0), "99%");
        assert_eq!(percentile_label(1000.0), "99.9%");
    }
}
