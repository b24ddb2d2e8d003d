//! Which plots a run gets (the curves it has data for, the per-case bars, one bar plot per
//! matrix axis with two values or more) and writing them as `plots/<stem>.png` and `.svg`.

use std::path::Path;

use plotters::prelude::*;

use super::backend::{both_backends, short};
use super::bars::{axis_groups, draw_bars};
use super::latency::{draw_latency, latency_curves};
use super::over_time::{draw_over_time, throughput_series};
use super::plot::{Plot, PlotError};
use crate::report::saved::{SavedCase, SavedRun};

/// Every plot the run has data for.
///
/// # Errors
/// When drawing fails (a plotters error, in words).
pub fn plots(run: &SavedRun) -> Result<Vec<Plot>, PlotError> {
    let mut out = Vec::new();
    curve_plots(run, &mut out)?;
    let measured: Vec<_> = run
        .summary
        .cases
        .iter()
        .filter(|c| c.error.is_none() && c.attempts > 0)
        .collect();
    if !measured.is_empty() {
        case_bars(&measured, &mut out)?;
        cpu_bars(&measured, &mut out)?;
    }
    axis_bars(run, &mut out)?;
    Ok(out)
}

/// The latency percentile curves and the handshakes per second over time, when there are any.
fn curve_plots(run: &SavedRun, out: &mut Vec<Plot>) -> Result<(), PlotError> {
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
    Ok(())
}

/// Handshakes per second and p99 latency, one bar per measured case.
fn case_bars(measured: &[&SavedCase], out: &mut Vec<Plot>) -> Result<(), PlotError> {
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
    Ok(())
}

/// Server and client CPU per handshake of the cases that measured both.
fn cpu_bars(measured: &[&SavedCase], out: &mut Vec<Plot>) -> Result<(), PlotError> {
    let mut cpu: Vec<(String, f64)> = Vec::new();
    for c in measured {
        if let (Some(s), Some(cl)) = (c.server_cpu_us_per_handshake, c.client_cpu_us_per_handshake)
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
    Ok(())
}

/// One bar plot per matrix axis: the mean handshakes per second of the cases with each value.
fn axis_bars(run: &SavedRun, out: &mut Vec<Plot>) -> Result<(), PlotError> {
    for (axis, values) in axis_groups(run) {
        let hs: Vec<(String, f64)> = values
            .iter()
            .map(|(v, cases)| {
                let mean = cases.iter().map(|c| c.handshakes_per_sec).sum::<f64>()
                    / cases.len().max(1) as f64;
                (format!("{axis}={}", short(v)), mean)
            })
            .collect();
        let stem = format!("by-{}", crate::report::files::file_safe(&axis));
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
    Ok(())
}

/// Writes every plot of `run` as `plots/<stem>.png` and `.svg` under `dir`; returns them.
///
/// # Errors
/// When drawing fails or a file cannot be written.
pub fn write_plots(run: &SavedRun, dir: &Path) -> Result<Vec<Plot>, PlotError> {
    let plots = plots(run)?;
    let plot_dir = dir.join("plots");
    // Never through a link: a `plots` link planted in the run directory is refused.
    crate::fsutil::ensure_dir(&plot_dir, 0o755).map_err(|source| PlotError::Dir {
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
