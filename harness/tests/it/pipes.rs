//! Pipes and special files (issue 32, items 5-6; issue 29, item 2): a closed stdout (`| head
//! -1`) never panics, hangs or changes the exit code, and the baseline is still saved; a FIFO
//! given as a scenario exits 2 at once; SIGTERM ends a run within its grace period.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::support::harness_exe;

/// Runs the harness in `dir` with its stdout a pipe whose reading end is closed at once.
fn with_closed_stdout(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(harness_exe())
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(120), "hung");
    out
}

/// Waits (at most a minute) until the built-in server logging to `log` says it is ready.
pub(super) fn wait_until_ready(log: &Path) {
    let started = Instant::now();
    while !std::fs::read_to_string(log)
        .unwrap_or_default()
        .contains("ready")
    {
        assert!(started.elapsed() < Duration::from_secs(60), "never started");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const UNMET: &str = "version = 1\n[pki]\nidentities = 1\n[defaults]\nload = { concurrency = 1, handshakes = 4, warmup = \"0s\" }\n[[case]]\nname = \"valid\"\n[[case]]\nname = \"unmet\"\nclient_cert = \"expired\"\nexpect = \"accept\"\n";

#[test]
fn a_closed_stdout_keeps_exit_1_and_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), UNMET).unwrap();
    for extra in [&[][..], &["--json"][..]] {
        let out_dir = format!("r{}", extra.len());
        let mut args = vec!["run", "s.toml", "--out", &out_dir, "--save-baseline", "b"];
        args.extend_from_slice(extra);
        let out = with_closed_stdout(d, &args);
        let e = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {e}");
        assert!(!e.contains("panicked"), "{e}");
        assert!(d.join(&out_dir).join("report.md").is_file());
        assert!(d.join("reports/baselines/b/summary.json").is_file());
    }
    // Compared against its own baseline: the run's exit code is still the unmet case's.
    let out = with_closed_stdout(
        d,
        &[
            "run",
            "s.toml",
            "--out",
            "r2",
            "--baseline",
            "b",
            "--threshold",
            "150",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(d.join("r2/compare.md").is_file());
}

#[test]
fn validate_into_a_closed_pipe_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), UNMET).unwrap();
    std::fs::write(d.join("bad.toml"), "version = 1\n[[case]]\nnme = 1\n").unwrap();
    let out = with_closed_stdout(d, &["validate", "s.toml", "s.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = with_closed_stdout(d, &["validate", "s.toml", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn a_fifo_input_exits_2_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let made = Command::new("mkfifo")
        .arg(d.join("f.toml"))
        .status()
        .unwrap();
    assert!(made.success());
    for command in ["validate", "run"] {
        let started = Instant::now();
        let mut child = Command::new(harness_exe())
            .args([command, "f.toml"])
            .current_dir(d)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Polled, so a hang fails the test instead of blocking it.
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(5) {
                child.kill().unwrap();
                panic!("{command} blocked on a FIFO");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        assert!(started.elapsed() < Duration::from_secs(1), "{command}");
        let e = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{command}: {e}");
        assert!(e.contains("f.toml") && e.contains("FIFO"), "{command}: {e}");
    }
}

#[test]
fn sigterm_ends_a_run_and_marks_it_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("long.toml"),
        "version = 1\n[pki]\nidentities = 1\n[[case]]\nname = \"long\"\nload = { concurrency = 1, duration = \"120s\", warmup = \"0s\" }\n",
    )
    .unwrap();
    let child = Command::new(harness_exe())
        .args(["run", "long.toml", "--out", "r", "-q"])
        .current_dir(d)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_ready(&d.join("r/peers/long-server.log"));
    let signalled = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    // Within the grace period (15 s), with a margin for a loaded machine.
    assert!(
        signalled.elapsed() < Duration::from_secs(20),
        "SIGTERM ignored"
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("r/summary.json")).unwrap()).unwrap();
    assert_eq!(json["interrupted"], true);
}

#[test]
fn ab_into_a_closed_pipe_ends_with_its_files_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), UNMET).unwrap();
    let out = with_closed_stdout(
        d,
        &[
            "ab", "s.toml", "--a", "rustls", "--b", "rustls", "--rounds", "2", "--round", "200ms",
            "--warmup", "100ms", "--out", "ab", "-q",
        ],
    );
    let e = stderr(&out);
    assert!(!e.contains("panicked"), "{e}");
    assert!(matches!(out.status.code(), Some(0..=2)), "{e}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("ab/ab.json")).unwrap()).unwrap();
    // The exit code is the verdict's, whatever stdout did.
    let code = out.status.code().unwrap();
    if json["regression"] == true {
        assert_eq!(code, 1, "{json}");
    } else {
        assert_ne!(code, 1, "{json}");
    }
    assert!(d.join("ab/junit.xml").is_file());
}
