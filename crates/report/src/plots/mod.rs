//! Plots of a run, each as PNG and SVG under `plots/`: latency percentile curves
//! (`latency.rs`), handshakes per second over time (`over_time.rs`), throughput, p99, CPU and
//! per-axis bars (`bars.rs`), all drawn through the shared backend plumbing (`backend.rs`).
//! This file says which plots a run gets and writes them (atomically, like every report file).

mod backend;
mod bars;
mod latency;
mod over_time;

use std::path::{Path, PathBuf};

use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;

use self::backend::both_backends;
use self::bars::{axis_groups, draw_bars};
use self::latency::{draw_latency, latency_curves};
use self::over_time::{draw_over_time, throughput_series};
use super::saved::SavedRun;

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

/// A plotters drawing error, in words (its backend error type differs per backend).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DrawingError(String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawingError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        Self(e.to_string())
    }
}

/// Why the plots of a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The font built into the binary was refused.
    #[error("the built-in plot font does not load")]
    Font,
    /// Drawing a plot failed.
    #[error("drawing plot {stem}: {source}")]
    Draw {
        /// The plot.
        stem: String,
        /// What plotters said.
        source: DrawingError,
    },
    /// Encoding a plot as PNG failed.
    #[error("encoding plot {stem} as PNG: {source}")]
    Png {
        /// The plot.
        stem: String,
        /// What the encoder said.
        source: png::EncodingError,
    },
    /// The plot directory could not be made.
    #[error("{path}: {source}")]
    Dir {
        /// `plots/` of the run.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A plot file could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// (case, points) of one line.
type Curve = (String, Vec<(f64, f64)>);

/// A case name cut to fit a legend or an axis label.
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
pub fn plots(run: &SavedRun) -> Result<Vec<Plot>, PlotError> {
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

/// Writes every plot of `run` as `plots/<stem>.png` and `.svg` under `dir`; returns them.
///
/// # Errors
/// When drawing fails or a file cannot be written.
pub fn write_plots(run: &SavedRun, dir: &Path) -> Result<Vec<Plot>, PlotError> {
    let plots = plots(run)?;
    let plot_dir = dir.join("plots");
    std::fs::create_dir_all(&plot_dir).map_err(|source| PlotError::Dir {
        path: plot_dir.clone(),
        source,
    })?;
    for p in &plots {
        for (ext, bytes) in [("png", p.png.as_slice()), ("svg", p.svg.as_bytes())] {
            let path = plot_dir.join(format!("{}.{ext}", p.stem));
            crate::fsutil::write_atomic(&path, bytes, 0o644).map_err(|source| {
                PlotError::Write {
                    path: path.clone(),
                    source,
                }
            })?;
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
}
