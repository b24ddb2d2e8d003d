//! Baselines and compare: `run --save-baseline` stores a run, `run --baseline` compares a rerun
//! with it (no regression: exit 0) and a run with a planted regression (exit 1, the metric
//! named regressed, significant over the per-interval samples); `compare` takes names or
//! directories and exits 2 for something that is neither.
//!
//! Wall-clock figures on a shared 2-core machine move by tens of percent between identical
//! runs (other jobs), so the rerun is judged with a wide noise threshold (150%); the planted
//! regression (every latency ten times longer, throughput divided by ten) is far beyond it. The
//! instruction-count gate (`scripts/callgrind.sh`) is the one with a tight threshold.

use std::path::Path;
use std::process::{Command, Output};

use mtls_harness::report::{auto_histogram, read_hlog, render_hlog};
use serde_json::Value;

use super::support::harness_exe;

const SCENARIO: &str = r#"
version = 1
name = "cmp"
[pki]
identities = 5
[defaults]
load = { concurrency = 2, duration = "2s", warmup = "300ms" }
[[case]]
name = "valid"
"#;

fn harness(dir: &Path, args: &[&str]) -> Output {
    Command::new(harness_exe())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Copies run `from` to `to` with every latency multiplied by `factor` and the throughput
/// divided by it (each interval keeps one in `factor` of its handshakes, as a closed loop
/// would): a planted slowdown with the real runs' sample shape.
fn plant_slowdown(from: &Path, to: &Path, factor: u64) {
    std::fs::create_dir_all(to).unwrap();
    let mut summary: Value =
        serde_json::from_slice(&std::fs::read(from.join("summary.json")).unwrap()).unwrap();
    let case = &mut summary["cases"][0];
    for p in ["p50", "p90", "p99", "p999", "max", "min"] {
        let v = case["latency_us"][p].as_u64().unwrap();
        case["latency_us"][p] = Value::from(v * factor);
    }
    let hs = case["handshakes_per_sec"].as_f64().unwrap();
    case["handshakes_per_sec"] = Value::from(hs / factor as f64);
    let hlog = case["hlog_file"].as_str().unwrap().to_string();
    std::fs::write(
        to.join("summary.json"),
        serde_json::to_vec(&summary).unwrap(),
    )
    .unwrap();
    let log = read_hlog(&from.join(&hlog)).unwrap();
    let base = log.intervals[0].start_epoch_secs;
    let slowed: Vec<_> = log
        .intervals
        .iter()
        .map(|i| {
            let mut h = auto_histogram();
            let mut carry = 0;
            for v in i.histogram.iter_recorded() {
                carry += v.count_at_value();
                if carry >= factor {
                    h.record_n(v.value_iterated_to() * factor, carry / factor)
                        .unwrap();
                    carry %= factor;
                }
            }
            (i.start_epoch_secs - base, i.length_secs, h)
        })
        .collect();
    let entries: Vec<_> = slowed.iter().map(|(o, l, h)| (*o, *l, h)).collect();
    std::fs::write(
        to.join(&hlog),
        render_hlog(&entries, base, "planted").unwrap(),
    )
    .unwrap();
}

#[test]
fn compare_flags_a_planted_regression_and_not_a_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("cmp.toml"), SCENARIO).unwrap();

    let out = harness(
        d,
        &[
            "run",
            "-q",
            "cmp.toml",
            "--out",
            "first",
            "--interval",
            "200ms",
            "--save-baseline",
            "base",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for f in ["summary.json", "valid.hlog", "report.md"] {
        assert!(d.join("reports/baselines/base").join(f).is_file(), "{f}");
    }

    // An identical rerun: no metric regressed, exit 0, compare.md in the run directory.
    let out = harness(
        d,
        &[
            "run",
            "-q",
            "cmp.toml",
            "--out",
            "rerun",
            "--interval",
            "200ms",
            "--baseline",
            "base",
            "--threshold",
            "150",
        ],
    );
    let text = show(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("0 regressed"), "{text}");
    // Repeated samples were tested: about ten 200 ms intervals per run.
    assert!(text.contains("| valid | p50_latency_ms |"), "{text}");
    let md = std::fs::read_to_string(d.join("rerun/compare.md")).unwrap();
    assert!(md.contains("Mann-Whitney"), "{md}");

    // A planted 10x slowdown (far beyond the noise allowance of 2.5x): regressed, exit 1.
    plant_slowdown(&d.join("rerun"), &d.join("slow"), 10);
    let out = harness(d, &["compare", "base", "slow", "--threshold", "150"]);
    let text = show(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let p50_row = text
        .lines()
        .find(|l| l.starts_with("| valid | p50_latency_ms |"))
        .unwrap();
    assert!(p50_row.ends_with("| **regressed** |"), "{p50_row}");
    let p: f64 = p50_row
        .split('|')
        .nth(6)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(p < 0.05, "{p50_row}");
    let hs_row = text
        .lines()
        .find(|l| l.starts_with("| valid | handshakes_per_sec |"))
        .unwrap();
    assert!(hs_row.ends_with("| **regressed** |"), "{hs_row}");

    // The other way round it is an improvement, not a regression.
    let out = harness(d, &["compare", "slow", "rerun", "--threshold", "150"]);
    let text = show(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("| improved |"), "{text}");

    // Neither a run directory nor a baseline: exit 2, named.
    let out = harness(d, &["compare", "base", "nothing-here"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(show(&out).contains("nothing-here"));
    // A bad baseline name is a usage error.
    let out = harness(d, &["run", "cmp.toml", "--save-baseline", "../x"]);
    assert_eq!(out.status.code(), Some(2));
}
