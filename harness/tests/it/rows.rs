//! Rows of issue 13 fixed by rules in the runner and the command line: a `--duration` too short
//! for a mid-run revocation is refused before anything runs, a reused `--out` starts clean (its
//! baseline holds only the second run's files), `--handshakes` is bounded before it is split
//! among workers, and two Ctrl-C in a row end a run promptly with `interrupted: true` on disk
//! and the case in flight recorded.
//! (The exposure judge and the worker split have unit tests beside their code.)

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::support::{assert_no_process_mentions, harness_exe, repo_root};

fn harness(args: &[&str], dir: &Path) -> Output {
    Command::new(harness_exe())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_duration_too_short_for_a_revocation_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo_root().join("scenarios/revocation-compare.toml");
    let out = harness(
        &[
            "run",
            scenario.to_str().unwrap(),
            "--duration",
            "2s",
            "--out",
            "r",
            "-q",
        ],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    // The first case that cannot see its revocation: revoked 1.25 s in, a 1 s CRL reload.
    assert!(stderr.contains("\"exposure-crl\""), "{stderr}");
    assert!(stderr.contains("1s 250ms into the window"), "{stderr}");
    assert!(stderr.contains("at least 2s 250ms"), "{stderr}");
    assert!(stderr.contains("--duration 2s"), "{stderr}");
    // Nothing ran: no run directory, no case.
    assert!(!dir.path().join("r").exists(), "{stdout}");
    assert!(!stdout.contains("NOT MET"), "{stdout}");
    // With several files, the one that cannot run is refused before the first one runs.
    let quick = repo_root().join("scenarios/quick.toml");
    let out = harness(
        &[
            "run",
            quick.to_str().unwrap(),
            scenario.to_str().unwrap(),
            "--duration",
            "2s",
            "--out",
            "r",
            "-q",
        ],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("\"exposure-crl\""), "{stderr}");
    assert!(!dir.path().join("r").exists(), "{stdout}");
}

#[test]
fn a_duration_long_enough_for_every_revocation_is_accepted() {
    // The same scenario with --duration 1h would run for hours: check the rule through a
    // one-case scenario instead, with exactly the load it needs (revoke_after + reload).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        r#"
version = 1
name = "enough"
[pki]
identities = 2
[[case]]
name = "exposure"
revocation = { mode = "crl", crl_entries = 10, reload = "300ms", revoke_after = "400ms" }
load = { concurrency = 1, duration = "5s", warmup = "0s" }
"#,
    )
    .unwrap();
    let short = harness(
        &["run", "s.toml", "--duration", "699ms", "--out", "a", "-q"],
        dir.path(),
    );
    let (_, stderr) = text(&short);
    assert_eq!(short.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("\"exposure\"") && stderr.contains("--duration 699ms"),
        "{stderr}"
    );
    let count = harness(
        &["run", "s.toml", "--handshakes", "10", "--out", "b", "-q"],
        dir.path(),
    );
    let (_, stderr) = text(&count);
    assert_eq!(count.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--handshakes 10"), "{stderr}");
    let enough = harness(
        &["run", "s.toml", "--duration", "1500ms", "--out", "c", "-q"],
        dir.path(),
    );
    let (stdout, stderr) = text(&enough);
    assert_eq!(enough.status.code(), Some(0), "{stdout}\n{stderr}");
}

fn one_case(dir: &Path, file: &str, case: &str) {
    std::fs::write(
        dir.join(file),
        format!(
            "version = 1\nname = \"reuse\"\n[pki]\nidentities = 2\n[[case]]\nname = \"{case}\"\nload = {{ concurrency = 1, handshakes = 5, warmup = \"0s\" }}\n"
        ),
    )
    .unwrap();
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_reused_out_directory_starts_clean_and_its_baseline_holds_only_the_second_run() {
    let dir = tempfile::tempdir().unwrap();
    one_case(dir.path(), "first.toml", "first-case");
    one_case(dir.path(), "second.toml", "second-case");
    for file in ["first.toml", "second.toml"] {
        let out = harness(
            &["run", file, "--out", "r", "-q", "--save-baseline", "base"],
            dir.path(),
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{file}: {stdout}\n{stderr}");
    }
    let run = names(&dir.path().join("r"));
    assert!(run.contains(&"second-case.hlog".to_string()), "{run:?}");
    assert!(!run.iter().any(|n| n.starts_with("first-case")), "{run:?}");
    let peers = names(&dir.path().join("r/peers"));
    assert!(
        !peers.iter().any(|n| n.starts_with("first-case")),
        "{peers:?}"
    );
    let baseline = names(&dir.path().join("reports/baselines/base"));
    assert_eq!(
        baseline,
        ["report.md", "second-case.hlog", "summary.json"],
        "{baseline:?}"
    );
}

#[test]
fn a_handshake_count_beyond_what_a_scenario_accepts_is_refused_naming_the_option() {
    let dir = tempfile::tempdir().unwrap();
    one_case(dir.path(), "s.toml", "c");
    let out = harness(
        &[
            "run",
            "s.toml",
            "--handshakes",
            "18446744073709551615",
            "--worker",
            "2/2",
            "--out",
            "r",
            "-q",
        ],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("--handshakes"), "{stderr}");
    assert!(stderr.contains("9223372036854775807"), "{stderr}");
    assert!(!dir.path().join("r").exists());
}

fn sigint(pid: u32) {
    let kill = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
}

/// Runs a 120 s case against `server`, waits until `ready` (a path under the run directory)
/// exists and handshakes flow, sends two SIGINTs 5 ms apart, and checks the harness ends
/// promptly, non-zero, with `interrupted: true` on disk, the case in flight recorded and no
/// process of the run left.
fn two_ctrl_c_against(server: &str, ready: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("long.toml"),
        format!("version = 1\nname = \"long\"\n[pki]\nidentities = 2\n[[case]]\nname = \"long\"\nserver = \"{server}\"\nserver_threads = 2\nload = {{ concurrency = 2, duration = \"120s\", warmup = \"0s\" }}\n"),
    )
    .unwrap();
    let child = Command::new(harness_exe())
        .args(["run", "long.toml", "--out", "r", "-q"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ready = dir.path().join("r/peers").join(ready);
    let started = Instant::now();
    while !ready.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{server}: server never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Handshakes flow.
    std::thread::sleep(Duration::from_secs(2));
    sigint(child.id());
    // Apart enough that the kernel does not merge them, close enough that the case is in
    // flight at the second.
    std::thread::sleep(Duration::from_millis(5));
    sigint(child.id());
    let signalled = Instant::now();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(
        signalled.elapsed() < Duration::from_secs(15),
        "{server}: two Ctrl-C did not end the run promptly: {stderr}"
    );
    assert!(
        out.status.code().is_some_and(|c| c != 0),
        "{server}: {:?}\n{stdout}\n{stderr}",
        out.status
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r/summary.json")).unwrap()).unwrap();
    assert_eq!(json["interrupted"], true, "{server}: {json}");
    // The case in flight is recorded: measured if it finished between the signals, else as
    // interrupted, with its state.
    let cases = json["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{server}: {json}");
    assert_eq!(cases[0]["name"], "long", "{server}: {json}");
    if cases[0]["attempts"] == 0 {
        assert_eq!(cases[0]["met"], false, "{server}: {json}");
        let verdict = cases[0]["verdict"].as_str().unwrap();
        assert!(
            verdict.starts_with("interrupted: in flight for "),
            "{server}: {json}"
        );
        assert_eq!(cases[0]["error"], verdict, "{server}: {json}");
    }
    assert_no_process_mentions(dir.path());
}

#[test]
fn two_ctrl_c_in_a_row_exit_promptly_with_the_summary_marked_interrupted() {
    // The second signal comes before the case can collect its figures: the summary on disk
    // must still name it (it used to hold `cases: []`).
    two_ctrl_c_against("rustls", "long-status.jsonl");
}

#[test]
fn two_ctrl_c_during_an_nginx_case_leave_the_summary_marked_interrupted() {
    two_ctrl_c_against("nginx", "long-nginx/nginx.pid");
}
