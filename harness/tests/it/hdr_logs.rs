//! HDR interval logs: every run writes one per case whose intervals add up to the case's
//! histogram, and `mtls-harness merge` combines worker logs exactly (the merged total equals one
//! histogram of every sample).

use std::process::Command;
use std::time::{Duration, Instant};

use mtls_harness::measure::Intervals;
use mtls_harness::report::{auto_histogram, read_hlog, write_hlog};

use super::support::{case, harness_exe, run_in, scenario};

#[test]
fn a_run_writes_an_interval_log_per_case_matching_its_histogram() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
name = "hlog"
[pki]
identities = 5
[defaults]
load = { concurrency = 4, duration = "1500ms", warmup = "200ms" }
[[case]]
name = "valid"
"#,
    );
    let outcome = run_in(&s, dir.path());
    let c = case(&outcome.summary, "valid");
    let file = c.hlog_file.as_deref().expect("no hlog_file in the summary");
    let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
    assert!(text.contains("#[Histogram log format version 1.3]"));
    assert!(text.contains("\"StartTimestamp\",\"Interval_Length\""));
    let log = read_hlog(&dir.path().join(file)).unwrap();
    // 1.5 s in 1 s slices: two intervals (the second partly filled), more if the last
    // attempts ended after the window.
    assert!(
        log.intervals.len() >= 2,
        "{} intervals",
        log.intervals.len()
    );
    let total = log.total();
    let lat = c.latency_us.expect("accepted handshakes");
    assert_eq!(total.len(), lat.count);
    // Same samples, same 3-digit buckets: the same percentiles as summary.json.
    assert_eq!(total.value_at_quantile(0.99), lat.p99);
    assert_eq!(total.max(), lat.max);
}

/// Writes the samples `values` as one worker's interval log, ending at `t0 + at(i)`.
fn worker_log(
    dir: &std::path::Path,
    name: &str,
    t0: Instant,
    values: &[(u64, u64)],
) -> std::path::PathBuf {
    let mut iv = Intervals::starting(t0, Duration::from_millis(250));
    for &(at_ms, v) in values {
        iv.record_accepted(t0 + Duration::from_millis(at_ms), v);
    }
    dir.join(write_hlog(dir, name, name, &iv).unwrap())
}

#[test]
fn merge_of_two_worker_logs_equals_one_histogram_of_all_samples() {
    let dir = tempfile::tempdir().unwrap();
    // Two workers with different value ranges and timings (one started 100 ms later), values
    // spread over five orders of magnitude.
    let t0 = Instant::now();
    let a: Vec<(u64, u64)> = (0..5000u64)
        .map(|i| (i % 2000, 50 + (i * 7919) % 100_000))
        .collect();
    let b: Vec<(u64, u64)> = (0..3000u64)
        .map(|i| (100 + i % 1500, 1_000 + (i * 104_729) % 9_000_000))
        .collect();
    let log_a = worker_log(dir.path(), "worker-1", t0, &a);
    let log_b = worker_log(dir.path(), "worker-2", t0 + Duration::from_millis(100), &b);
    let mut all = auto_histogram();
    for &(_, v) in a.iter().chain(&b) {
        all.record(v).unwrap();
    }

    let merged = dir.path().join("merged.hlog");
    let out = Command::new(harness_exe())
        .args(["merge", "--out"])
        .arg(&merged)
        .arg(&log_a)
        .arg(&log_b)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("merged 2 logs"), "{stdout}");
    let total = read_hlog(&merged).unwrap().total();
    assert_eq!(total.len(), 8000);
    // Bucket for bucket the same as one histogram of every sample.
    assert_eq!(total, all);
    for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
        assert_eq!(
            total.value_at_quantile(q),
            all.value_at_quantile(q),
            "q={q}"
        );
    }
    assert!(dir.path().join("merged.hgrm").exists());

    // A file that is not a log: exit 2 with the file named.
    let junk = dir.path().join("junk.hlog");
    std::fs::write(&junk, "not a log\n").unwrap();
    let out = Command::new(harness_exe())
        .args(["merge", "--out"])
        .arg(dir.path().join("x.hlog"))
        .arg(&junk)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("junk.hlog"));
}
