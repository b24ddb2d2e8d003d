//! The command line: exit codes 0/1/2 and messages that name the file, key and line.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use super::support::{harness_exe, repo_root};

fn harness(args: &[&str], dir: &std::path::Path) -> Output {
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
fn validate_good_files_exits_0() {
    let quick = repo_root().join("scenarios/quick.toml");
    let out = harness(&["validate", quick.to_str().unwrap()], &repo_root());
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("quick.toml: ok ("), "{stdout}");
}

#[test]
fn validate_bad_file_lists_every_problem_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "version = 1\n[[case]]\nname = \"a\"\nload = { concurrency = 0 }\nkey = \"rsa-1024\"\n",
    )
    .unwrap();
    let out = harness(&["validate", "bad.toml"], dir.path());
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains(
            "bad.toml:4: case[1].load.concurrency: expected an integer from 1 to 1000000, found 0"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("bad.toml:5: case[1].key: expected one of"),
        "{stderr}"
    );
    assert!(stderr.contains("2 problems found"), "{stderr}");
}

#[test]
fn run_with_bad_or_missing_scenario_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "version = 1\n[[case]]\nname = 3\n",
    )
    .unwrap();
    let out = harness(&["run", "bad.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out)
        .1
        .contains("bad.toml:3: case[1].name: expected a string, found 3"));
    let out = harness(&["run", "missing.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out)
        .1
        .contains("missing.toml: cannot read scenario file"));
}

#[test]
fn bad_usage_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(harness(&["frobnicate"], dir.path()).status.code(), Some(2));
    assert_eq!(
        harness(&["run", "--duration", "soon"], dir.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        harness(&["run", "--concurrency", "0"], dir.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        harness(&["run", "--duration", "0s"], dir.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        harness(&["run", "--handshakes", "0"], dir.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        harness(&["run", "--pin-server", "1-0"], dir.path())
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn run_exits_0_when_met_and_1_when_not() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        r#"version = 1
name = "cli"
[pki]
identities = 3
[defaults]
load = { concurrency = 2, handshakes = 10, warmup = "0s" }
[[case]]
name = "valid"
[[case]]
name = "unknown-ca"
client_cert = "unknown-ca"
"#,
    )
    .unwrap();
    // Without -q: the table is what this test reads (-q prints only what was not met).
    let out = harness(&["run", "s.toml", "--out", "run-ok"], dir.path());
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("unknown-ca  unknown_ca=10"), "{stdout}");
    assert!(dir.path().join("run-ok/summary.json").exists());

    std::fs::write(
        dir.path().join("unmet.toml"),
        "version = 1\n[pki]\nidentities = 1\n[[case]]\nname = \"x\"\nclient_cert = \"expired\"\nexpect = \"accept\"\nload = { concurrency = 1, handshakes = 2, warmup = \"0s\" }\n",
    )
    .unwrap();
    let out = harness(
        &["run", "unmet.toml", "--out", "run-unmet", "-q"],
        dir.path(),
    );
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains("NOT MET x: 0 of 2 accepted; also cert_expired 2"),
        "{stdout}"
    );
}

#[test]
fn overrides_apply_to_every_case() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        "version = 1\n[pki]\nidentities = 1\n[[case]]\nname = \"x\"\nload = { concurrency = 1, duration = \"60s\" }\n",
    )
    .unwrap();
    let out = harness(
        &[
            "run",
            "s.toml",
            "--handshakes",
            "7",
            "--concurrency",
            "3",
            "--warmup",
            "0s",
            "--pin-server",
            "0",
            "--pin-client",
            "0",
            "--out",
            "r",
            "-q",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r/summary.json")).unwrap()).unwrap();
    assert_eq!(json["cases"][0]["attempts"], 7);
    assert_eq!(json["cases"][0]["load"]["schedule"]["concurrency"], 3);
    assert_eq!(json["pinning"]["server_cpus"], serde_json::json!([0]));
    assert_eq!(
        json["usable_cpus"], 1,
        "the harness runs on the one CPU it was pinned to"
    );
}

#[test]
fn pki_generate_writes_fixtures_with_private_keys_0600() {
    let dir = tempfile::tempdir().unwrap();
    let out = harness(
        &[
            "pki",
            "generate",
            "--out",
            "pki",
            "--key",
            "ed25519",
            "--identities",
            "4",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let key = dir.path().join("pki/clients/client-00003.key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let out = harness(
        &["pki", "generate", "--out", "pki2", "--key", "dsa"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let out = harness(
        &["pki", "generate", "--out", "pki3", "--intermediates", "9"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("intermediates must be 1 to 4"));
}

#[test]
fn built_in_quick_scenario_runs_without_any_file() {
    // An empty directory: no scenarios/quick.toml, so the built-in copy runs.
    let dir = tempfile::tempdir().unwrap();
    let out = harness(
        &[
            "run",
            "--handshakes",
            "5",
            "--concurrency",
            "2",
            "--warmup",
            "0s",
            "--out",
            "r",
        ],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("scenario quick"), "{stdout}");
}

#[test]
fn ctrl_c_writes_partial_results_stops_the_server_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("long.toml"),
        "version = 1\nname = \"long\"\n[pki]\nidentities = 2\n[[case]]\nname = \"long\"\nload = { concurrency = 2, duration = \"120s\", warmup = \"0s\" }\n",
    )
    .unwrap();
    let child = Command::new(harness_exe())
        .args(["run", "long.toml", "--out", "r", "-q"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the server is up and handshakes are flowing.
    let log = dir.path().join("r/peers/long-server.log");
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("ready")
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "server never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "Ctrl-C was not prompt"
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("interrupted: partial results written"),
        "{stderr}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r/summary.json")).unwrap()).unwrap();
    assert_eq!(json["interrupted"], true);
    assert!(json["cases"][0]["outcomes"]["accepted"].as_u64().unwrap() > 0);
    // The server got SIGTERM and said so in its log; no process names the run directory.
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("stopping; accepted"));
    super::support::assert_no_process_mentions(dir.path());
}

#[test]
fn a_run_whose_every_case_is_skipped_measured_nothing_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    super::support::generate_pki(&dir.path().join("p"), 1, 3);
    // An own credential without --target: the case is skipped (the harness's servers do not
    // trust it), so the run measures nothing.
    std::fs::write(
        dir.path().join("s.toml"),
        "version = 1\n[defaults]\nload = { concurrency = 1, handshakes = 2, warmup = \"0s\" }\n[[case]]\nname = \"own\"\nexpect = \"accept\"\nclient_cert = { cert = \"p/clients/client-00000.crt\", key = \"p/clients/client-00000.key\" }\n",
    )
    .unwrap();
    let out = harness(&["run", "s.toml", "-q", "--out", "r"], dir.path());
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("nothing was measured: every case (1) was skipped"),
        "{stderr}"
    );
}
