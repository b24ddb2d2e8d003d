//! Every size taken from input is bounded by a rule, with an error that names the key or
//! option, the limit and what was given (issue 13): the matrix's case count and list lengths,
//! problem reporting that stays linear, CPU lists, the identity count, reload and refresh
//! intervals, and the times and spans of interval logs. Each test works in its own tempdir.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use mtls_harness::report::{auto_histogram, render_hlog};
use mtls_harness::scenario::{self, ScenarioError, MAX_KEPT_PROBLEMS, MAX_LISTED_PROBLEMS};

use super::support::harness_exe;

fn harness(args: &[&str], dir: &Path) -> Output {
    Command::new(harness_exe())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Exit code 2 and stderr, which must contain every one of `expected`.
fn refused(out: &Output, expected: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for e in expected {
        assert!(stderr.contains(e), "expected {e:?} in:\n{stderr}");
    }
    stderr
}

fn validate(text: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), text).unwrap();
    harness(&["validate", "s.toml"], dir.path())
}

fn list(values: impl Iterator<Item = String>) -> String {
    values.collect::<Vec<_>>().join(", ")
}

#[test]
fn matrix_bomb_is_refused_before_expanding_naming_matrix_and_the_count() {
    // Three axes of 200 values: 8 million cases (once a 4 GB allocation and an abort).
    let text = format!(
        "version = 1\n[matrix]\nconcurrency = [{}]\nserver = [{}]\nclient = [{}]\n",
        list((1..=200).map(|n| n.to_string())),
        list((0..200).map(|_| "\"rustls\"".to_string())),
        list((0..200).map(|_| "\"rustls\"".to_string())),
    );
    refused(
        &validate(&text),
        &[
            "s.toml:2: matrix: expands to 8000000 cases",
            "200 concurrency x 200 server x 200 client",
            "at most 10000 are allowed",
        ],
    );
    // [[case]] tables count too: 2 cases x 5001 combinations.
    let text = format!(
        "version = 1\n[[case]]\nname = \"a\"\n[[case]]\nname = \"b\"\n[matrix]\nconcurrency = [{}]\nserver = [{}]\n",
        list((1..=1000).map(|n| n.to_string())),
        list((0..6).map(|_| "\"rustls\"".to_string())),
    );
    refused(
        &validate(&text),
        &["matrix: expands to 12000 cases (2 [[case]] table(s) x 1000 concurrency x 6 server)"],
    );
}

#[test]
fn a_list_longer_than_the_limit_names_its_key_and_length() {
    let text = format!(
        "version = 1\n[matrix]\nconcurrency = [{}]\n",
        list((1..=1001).map(|n| n.to_string()))
    );
    refused(
        &validate(&text),
        &["s.toml:3: matrix.concurrency: expected at most 1000 elements, found 1001"],
    );
}

/// `n` unknown top-level keys after `version = 1` (line 1): key i is on line i + 2.
fn unknown_keys(n: usize) -> String {
    let mut text = String::from("version = 1\n");
    for i in 0..n {
        writeln!(text, "unknown_key_{i} = {i}").unwrap();
    }
    text
}

#[test]
fn many_problems_are_counted_and_the_first_thousand_kept_with_their_lines() {
    // About 200 KB of unknown keys (once quadratic: every problem rescanned the file; then
    // every one of them kept: 318 MB for 10 MB of unknown keys).
    let n = 9_000;
    let text = unknown_keys(n);
    assert!(text.len() > 200_000, "{}", text.len());
    let (problems, unkept) = match scenario::parse(&text, Path::new("big.toml")) {
        Err(ScenarioError::Invalid { problems, unkept }) => (problems, unkept),
        other => panic!("expected problems, got {other:?}"),
    };
    // The first MAX_KEPT_PROBLEMS found are kept, in line order; the rest only counted.
    assert_eq!(problems.len(), MAX_KEPT_PROBLEMS);
    // Every unknown key, and the missing [[case]] found after them.
    assert_eq!(problems.len() + unkept, n + 1);
    for (i, p) in problems.iter().enumerate() {
        assert!(p.message.starts_with("unknown key"), "{p}");
        assert_eq!(p.key, format!("unknown_key_{i}"));
        assert_eq!(p.line, Some(i + 2), "{p}");
    }
    // The command lists the first 100 and counts every one.
    let out = validate(&text);
    let stderr = refused(
        &out,
        &[
            "s.toml:2: unknown_key_0: unknown key",
            &format!("... and {} more", n + 1 - MAX_LISTED_PROBLEMS),
            &format!("{} problems found", n + 1),
        ],
    );
    assert_eq!(stderr.matches("error: ").count(), MAX_LISTED_PROBLEMS);
    assert!(!stderr.contains("unknown_key_8999"), "{stderr}");
}

#[test]
fn a_cpu_list_beyond_the_usable_cpus_is_refused_naming_the_option_and_cpu() {
    let dir = tempfile::tempdir().unwrap();
    // Once an 8 GB allocation and an abort.
    refused(
        &harness(&["run", "--pin-server", "0-1000000000"], dir.path()),
        &[
            "--pin-server",
            "CPU 1000000000 is not one this process may use (usable CPUs: ",
        ],
    );
    // Once every case failing "Invalid argument" without naming the list.
    refused(
        &harness(&["run", "--pin-client", "5000"], dir.path()),
        &["--pin-client", "CPU 5000 is not one this process may use"],
    );
}

#[test]
fn identity_count_is_bounded_on_the_command_line_and_in_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    // Once a panic "capacity overflow", then a hang.
    refused(
        &harness(
            &[
                "pki",
                "generate",
                "--out",
                "p",
                "--identities",
                "18446744073709551615",
            ],
            dir.path(),
        ),
        &[
            "--identities",
            "from 1 to 1000000; found \"18446744073709551615\"",
        ],
    );
    assert!(!dir.path().join("p").exists());
    refused(
        &validate("version = 1\n[pki]\nidentities = 1000001\n[[case]]\nname = \"a\"\n"),
        &["s.toml:3: pki.identities: expected an integer from 1 to 1000000, found 1000001"],
    );
}

#[test]
fn zero_reload_and_refresh_intervals_are_refused_naming_the_option() {
    let dir = tempfile::tempdir().unwrap();
    // Once a panicking timer task and a server that silently never reloaded.
    for flag in ["--crl-reload", "--cert-reload", "--staple-refresh"] {
        refused(
            &harness(
                &["serve", "--cert", "c.pem", "--key", "k.pem", flag, "0s"],
                dir.path(),
            ),
            &[&format!(
                "{flag}: expected an interval from 10ms to 1day, found 0s"
            )],
        );
    }
    // The scenario has the same floor.
    refused(
        &validate(
            "version = 1\n[[case]]\nname = \"a\"\nrevocation = { mode = \"crl\", reload = \"0s\" }\n",
        ),
        &["revocation.reload must be at least 10ms, found 0s"],
    );
    refused(
        &validate(
            "version = 1\n[[case]]\nname = \"a\"\nrevocation = { mode = \"ocsp-stapling\", staple_refresh = \"0s\" }\n",
        ),
        &["revocation.staple_refresh must be at least 10ms, found 0s"],
    );
}

/// A log of 1 ms intervals at `offsets` seconds after `base`.
fn hlog(base: f64, offsets: &[f64]) -> String {
    let mut h = auto_histogram();
    h.record(1500).unwrap();
    let entries: Vec<_> = offsets.iter().map(|o| (*o, 0.001, &h)).collect();
    String::from_utf8(render_hlog(&entries, base, "t").unwrap()).unwrap()
}

#[test]
fn merge_refuses_hostile_interval_logs_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    // A huge StartTimestamp (once an index panic, rc 101).
    let text = hlog(1_800_000_000.0, &[0.0]);
    let line = text.lines().position(|l| l.starts_with("0.000,")).unwrap() + 1;
    let huge = text.replacen("\n0.000,", "\n18446744073709551615.000,", 1);
    std::fs::write(dir.path().join("huge.hlog"), huge).unwrap();
    refused(
        &harness(&["merge", "huge.hlog", "--out", "m.hlog"], dir.path()),
        &[
            &format!("huge.hlog:{line}:"),
            "beyond the limit of 4294967296",
        ],
    );
    // Two intervals 100,000 s apart at 1 ms in one log (once a 9.6 GB allocation).
    let text = hlog(1_800_000_000.0, &[0.0, 100_000.0]);
    let line = text
        .lines()
        .position(|l| l.starts_with("100000.000,"))
        .unwrap()
        + 1;
    std::fs::write(dir.path().join("far.hlog"), text).unwrap();
    refused(
        &harness(&["merge", "far.hlog", "--out", "m.hlog"], dir.path()),
        &[
            &format!("far.hlog:{line}:"),
            "100000000 of its shortest interval (0.001 s); at most 1000000 are allowed",
        ],
    );
    assert!(!dir.path().join("m.hlog").exists());
}

#[test]
fn merge_of_logs_far_apart_is_refused_naming_both() {
    // Once a 10^8-step grid, then a grid widened until it showed neither log: logs that do
    // not cover one stretch of time are not merged (the library's grid rule still bounds a
    // merge, tested beside it).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.hlog"), hlog(1_800_000_000.0, &[0.0])).unwrap();
    std::fs::write(dir.path().join("b.hlog"), hlog(1_800_100_000.0, &[0.0])).unwrap();
    refused(
        &harness(
            &["merge", "a.hlog", "b.hlog", "--out", "m.hlog"],
            dir.path(),
        ),
        &[
            "a.hlog (starts 2027-01-15T08:00:00Z",
            "b.hlog (starts 2027-01-16T11:46:40Z)",
        ],
    );
    assert!(!dir.path().join("m.hlog").exists());
}
