//! HDR interval logs: every run writes one per case whose intervals add up to the case's
//! histogram, and `mtls-harness merge` combines worker logs exactly (the merged total equals one
//! histogram of every sample).

use std::path::Path;
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

/// Writes an interval log of `intervals` one-second intervals starting at `start` (seconds
/// since the epoch), each a 5-significant-digit histogram up to 60 s (about 10 MiB of counts
/// once decoded) holding `values`.
fn five_digit_log(path: &Path, start: u64, intervals: u32, values: &[u64]) {
    use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;
    use hdrhistogram::serialization::V2DeflateSerializer;
    let mut text = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    let mut writer = IntervalLogWriterBuilder::new()
        .with_start_time(std::time::UNIX_EPOCH + Duration::from_secs(start))
        .with_base_time(std::time::UNIX_EPOCH + Duration::from_secs(start))
        .begin_log_with(&mut text, &mut serializer)
        .unwrap();
    for i in 0..intervals {
        let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 5).unwrap();
        for &v in values {
            h.record(v + u64::from(i)).unwrap();
        }
        writer
            .write_histogram(
                &h,
                Duration::from_secs(u64::from(i)),
                Duration::from_secs(1),
                None,
            )
            .unwrap();
    }
    drop(writer);
    std::fs::write(path, text).unwrap();
}

/// Runs the harness with `args` under GNU `time`; its exit code, stdout and stderr, and its
/// peak resident set (KiB) as the kernel reports it for this one child (`wait4` in `time`),
/// which other tests' children running meanwhile do not disturb.
fn harness_with_peak_rss(args: &[&std::ffi::OsStr], dir: &Path) -> (i32, String, String, u64) {
    let rss = dir.join("peak-rss");
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&rss)
        .arg(harness_exe())
        .args(args)
        .output()
        .expect("GNU time (/usr/bin/time) runs the harness");
    let peak = std::fs::read_to_string(&rss).unwrap();
    let peak = peak
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .parse()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        peak,
    )
}

/// The memory bound of `merge` on a long log of 5-digit histograms: each interval is
/// re-bucketed to 3 significant digits as it is read, so a 200-interval log (2 GiB of counts
/// had each interval been kept as decoded; about 2 GB peak before the re-bucketing) stays under
/// 96 MiB (about 55 MiB measured: 3-digit intervals and grid slots of ~100 KiB each), and the
/// output says so.
const MERGE_RSS_LIMIT_KIB: u64 = 96 * 1024;

#[test]
fn merge_of_a_long_five_digit_log_stays_within_a_memory_bound() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("five.hlog");
    five_digit_log(&log, 1_800_000_000, 200, &[1_000, 25_000, 3_000_000]);
    let merged = dir.path().join("merged.hlog");
    let (code, stdout, stderr, peak_kib) = harness_with_peak_rss(
        &[
            "merge".as_ref(),
            "--out".as_ref(),
            merged.as_os_str(),
            log.as_os_str(),
        ],
        dir.path(),
    );
    eprintln!("merge of 200 5-digit intervals: peak RSS {peak_kib} KiB");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        peak_kib < MERGE_RSS_LIMIT_KIB,
        "peak RSS {peak_kib} KiB, limit {MERGE_RSS_LIMIT_KIB} KiB"
    );
    assert!(stderr.contains("3 significant digits"), "{stderr}");
    let total = read_hlog(&merged).unwrap().total();
    assert_eq!(total.len(), 600);
}

#[test]
fn merge_refuses_logs_a_day_apart_naming_both_files_and_their_start_times() {
    let dir = tempfile::tempdir().unwrap();
    let monday = dir.path().join("monday.hlog");
    let tuesday = dir.path().join("tuesday.hlog");
    five_digit_log(&monday, 1_800_000_000, 2, &[1_000]);
    five_digit_log(&tuesday, 1_800_086_400, 2, &[2_000]);
    let merged = dir.path().join("merged.hlog");
    let out = Command::new(harness_exe())
        .args(["merge", "--out"])
        .arg(&merged)
        .arg(&tuesday)
        .arg(&monday)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("monday.hlog (starts 2027-01-15T08:00:00Z, ends 2027-01-15T08:00:02Z)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tuesday.hlog (starts 2027-01-16T08:00:00Z)"),
        "{stderr}"
    );
    assert!(stderr.contains("at most 60 s apart"), "{stderr}");
    assert!(!merged.exists());
}
