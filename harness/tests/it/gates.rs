//! CI gates: thresholds (breached, kept, not measured; exit code 3), command peers (the
//! harness's own `serve` and `openssl s_server` started from a command line, measured and
//! stopped), and the interleaved A/B comparison `ab`. Real processes on 127.0.0.1; no test
//! depends on this machine's speed (thresholds are impossible or trivially met, the A/B
//! handicap is large).

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use super::support::{assert_no_process_mentions, harness_exe, openssl};

fn harness(args: &[&str], dir: &Path) -> Output {
    Command::new(harness_exe())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn summary(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

/// Runs `scenario` (written to `dir/s.toml`) into `dir/run`.
fn run(dir: &Path, scenario: &str) -> Output {
    std::fs::write(dir.join("s.toml"), scenario).unwrap();
    harness(&["run", "s.toml", "--out", "run", "-q"], dir)
}

const LOAD: &str = r#"
[pki]
identities = 3
[defaults]
load = { concurrency = 2, handshakes = 40, warmup = "0s" }
"#;

#[test]
fn trivially_met_thresholds_exit_0_and_are_listed_as_kept() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &format!(
            "version = 1\nname = \"kept\"\n{LOAD}thresholds = {{ p50_ms = 100000, p99_ms = 100000, min_handshakes_per_sec = 0.001, max_server_cpu_us_per_handshake = 1000000000, max_error_rate = 1 }}\n[[case]]\nname = \"valid\"\n"
        ),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json = summary(&dir.path().join("run"));
    let checks = json["cases"][0]["thresholds"].as_array().unwrap();
    assert_eq!(checks.len(), 5, "{checks:?}");
    assert!(checks.iter().all(|c| c["status"] == "kept"), "{checks:?}");
    super::schema::assert_valid(&super::schema::validator(), &json);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("thresholds: 5 checked, 5 kept, 0 failed"),
        "{stdout}"
    );
    let md = std::fs::read_to_string(dir.path().join("run/report.md")).unwrap();
    assert!(md.contains("### Thresholds (0 of 5 failed)"), "{md}");
}

#[test]
fn an_impossible_threshold_exits_3_and_is_named_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    // The case keeps `p99_ms` from [defaults] and adds an impossible throughput.
    let out = run(
        dir.path(),
        &format!(
            "version = 1\nname = \"breach\"\n{LOAD}thresholds = {{ p99_ms = 100000 }}\n[[case]]\nname = \"valid\"\nthresholds = {{ min_handshakes_per_sec = 1e11 }}\n"
        ),
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("THRESHOLD BREACHED valid: min_handshakes_per_sec"),
        "{stdout}"
    );
    let json = summary(&dir.path().join("run"));
    let checks = json["cases"][0]["thresholds"].as_array().unwrap();
    let status: Vec<(&str, &str)> = checks
        .iter()
        .map(|c| {
            (
                c["threshold"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [("p99_ms", "kept"), ("min_handshakes_per_sec", "breached")]
    );
    let md = std::fs::read_to_string(dir.path().join("run/report.md")).unwrap();
    assert!(md.contains("**BREACHED**"), "{md}");
    // junit.xml: the case's expectation passes; each threshold is a test case of its own,
    // the breached one a failure that names the figure.
    let junit = std::fs::read_to_string(dir.path().join("run/junit.xml")).unwrap();
    assert!(
        junit.contains(r#"tests="3" failures="1" skipped="0""#),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<testcase classname="breach.thresholds" name="valid: min_handshakes_per_sec"><failure message="min_handshakes_per_sec"#),
        "{junit}"
    );
    assert!(
        junit.contains(
            r#"<testcase classname="breach.thresholds" name="valid: p99_ms"><system-out>"#
        ),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<testcase classname="breach.expectation" name="valid"><system-out>"#),
        "{junit}"
    );

    // A case that does not meet its expectation exits 1, whatever its thresholds.
    let out = run(
        dir.path(),
        &format!(
            "version = 1\nname = \"both\"\n{LOAD}[[case]]\nname = \"expired\"\nclient_cert = \"expired\"\nexpect = \"accept\"\nthresholds = {{ min_handshakes_per_sec = 1e11 }}\n"
        ),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn a_threshold_on_a_figure_not_measured_is_reported_not_passed() {
    let dir = tempfile::tempdir().unwrap();
    // s_server has no OCSP checking: the case is skipped, so its gates could not be checked.
    // Refusals with a verdict are what a reject case expects, not errors.
    let out = run(
        dir.path(),
        &format!(
            "version = 1\nname = \"unmeasured\"\n{LOAD}thresholds = {{ p50_ms = 100000, max_error_rate = 0 }}\n[[case]]\nname = \"unknown-ca\"\nclient_cert = \"unknown-ca\"\n[[case]]\nname = \"ocsp\"\nserver = \"s_server\"\nrevocation = {{ mode = \"ocsp\" }}\n"
        ),
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let json = summary(&dir.path().join("run"));
    let refused = &json["cases"][0]["thresholds"];
    assert_eq!(refused[0]["status"], "kept", "{refused}");
    assert_eq!(refused[1]["status"], "kept", "{refused}");
    let skipped = &json["cases"][1]["thresholds"];
    assert_eq!(skipped[0]["status"], "not_measured", "{skipped}");
    assert!(skipped[0]["measured"].is_null());
    assert!(skipped[0]["note"].as_str().unwrap().contains("skipped"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("THRESHOLD NOT MEASURED ocsp: p50_ms"),
        "{stdout}"
    );

    // --json: the summary on stdout, for scripts.
    let out = harness(
        &["run", "s.toml", "--out", "run-json", "-q", "--json"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["cases"][1]["thresholds"][0]["status"], "not_measured");
}

#[test]
fn threshold_problems_name_the_nearest_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        "version = 1\n[[case]]\nname = \"x\"\nthresholds = { p99ms = 20, max_error_rate = 2 }\nserver = { command = [\"srv\", \"{adr}\"] }\n",
    )
    .unwrap();
    let out = harness(&["validate", "s.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("did you mean `p99_ms`?"), "{all}");
    assert!(all.contains("expected a share from 0 to 1"), "{all}");
    assert!(all.contains("did you mean \"{addr}\"?"), "{all}");
}

/// A command-peer scenario: `server` is the command table.
fn command_scenario(name: &str, server: &str, concurrency: u32) -> String {
    format!(
        r#"version = 1
name = "{name}"
[pki]
identities = 3
[defaults]
load = {{ concurrency = {concurrency}, handshakes = 30, warmup = "0s" }}
server = {server}
[[case]]
name = "valid"
thresholds = {{ max_server_cpu_us_per_handshake = 1000000000 }}
[[case]]
name = "unknown-ca"
client_cert = "unknown-ca"
[[case]]
name = "crl"
revocation = {{ mode = "crl" }}
"#
    )
}

fn assert_command_peer_ran(dir: &Path, out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
    let run = dir.join("run");
    let json = summary(&run);
    let valid = &json["cases"][0];
    assert_eq!(valid["server"], "command");
    assert_eq!(valid["outcomes"]["accepted"], 30, "{valid}");
    assert!(
        valid["server_cpu_us_per_handshake"].as_f64().unwrap() > 0.0,
        "{valid}"
    );
    assert_eq!(valid["thresholds"][0]["status"], "kept");
    assert!(
        json["cases"][1]["met"].as_bool().unwrap(),
        "{}",
        json["cases"][1]
    );
    // No {crl} in the command: the harness cannot know whether it checks a CRL.
    let skipped = json["cases"][2]["skipped"].as_str().unwrap();
    assert!(skipped.contains("{crl}"), "{skipped}");
    super::schema::assert_valid(&super::schema::validator(), &json);
    // Its output and command line are kept; nothing of it is left running.
    let peers = std::fs::read_dir(run.join("peers")).unwrap();
    let names: Vec<String> = peers
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with("command.txt")),
        "{names:?}"
    );
    assert_no_process_mentions(&run);
}

#[test]
fn the_harness_serve_binary_runs_as_a_command_peer() {
    let dir = tempfile::tempdir().unwrap();
    let exe = harness_exe().display().to_string();
    let server = format!(
        r#"{{ command = ["{exe}", "serve", "--listen", "{{addr}}", "--cert", "{{cert}}", "--key", "{{key}}", "--client-ca", "{{client_ca}}", "--threads", "1"], ready = "listening on", env = {{ RUST_LOG = "warn" }} }}"#
    );
    let out = run(dir.path(), &command_scenario("serve-cmd", &server, 2));
    assert_command_peer_ran(dir.path(), &out);
    let log = std::fs::read_to_string(dir.path().join("run/peers/valid-server.log")).unwrap();
    assert!(log.contains("listening on 127.0.0.1:"), "{log}");
}

#[test]
fn openssl_s_server_runs_as_a_command_peer_waited_for_by_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let openssl = openssl().display().to_string();
    // No `ready`: the harness waits until the port accepts.
    let server = format!(
        r#"{{ command = ["{openssl}", "s_server", "-accept", "{{addr}}", "-www", "-cert", "{{cert}}", "-cert_chain", "{{chain}}", "-key", "{{key}}", "-CAfile", "{{client_ca}}", "-Verify", "10", "-verify_return_error", "-no_ticket"] }}"#
    );
    let out = run(dir.path(), &command_scenario("s-server-cmd", &server, 1));
    assert_command_peer_ran(dir.path(), &out);
}

#[test]
fn ab_detects_a_large_handicap_and_passes_identical_servers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        "version = 1\nname = \"ab\"\n[pki]\nidentities = 3\n[defaults]\nserver_threads = 1\nload = { concurrency = 2 }\n[[case]]\nname = \"first\"\n[[case]]\nname = \"valid\"\n",
    )
    .unwrap();
    let ab = |out: &str, b: &str, threshold: &str| {
        harness(
            &[
                "ab",
                "s.toml",
                "--case",
                "valid",
                "--a",
                "rustls",
                "--b",
                b,
                "--rounds",
                "3",
                "--round",
                "600ms",
                "--warmup",
                "100ms",
                "--threshold",
                threshold,
                "--out",
                out,
                "-q",
                "--json",
            ],
            dir.path(),
        )
    };
    // 20 ms of CPU per handshake on top of B's: far beyond the noise of a debug build on a
    // busy machine (A costs about 1-5 ms there).
    let out = ab("slow", "rustls:handicap-us=20000", "5%");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["case"], "valid");
    assert_eq!(json["rounds"], 3);
    assert_eq!(json["regression"], true);
    // By default the two servers of a round run side by side, both up at once.
    assert_eq!(json["side_by_side"], true);
    assert_eq!(json["best_pct"], Value::Null);
    let cpu = &json["metrics"][0];
    assert_eq!(cpu["metric"], "server_cpu_us_per_handshake");
    assert_eq!(cpu["gated"], true);
    assert!(cpu["ratio"]["low"].as_f64().unwrap() > 1.05, "{cpu}");
    assert!(
        cpu["b_mean"].as_f64().unwrap() - cpu["a_mean"].as_f64().unwrap() > 5000.0,
        "{cpu}"
    );
    let names: Vec<&str> = json["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["metric"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "server_cpu_us_per_handshake",
            "handshakes_per_sec",
            "p50_ms",
            "p99_ms"
        ]
    );
    // Rounds alternate which side goes first, and each is a case of the run.
    let run = summary(&dir.path().join("slow"));
    let order: Vec<&str> = run["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ["r01-a", "r01-b", "r02-b", "r02-a", "r03-a", "r03-b"]
    );
    assert!(dir.path().join("slow/ab.md").is_file());
    // The gate as a JUnit test case a CI system lists by name: failed, with the interval.
    let junit = std::fs::read_to_string(dir.path().join("slow/junit.xml")).unwrap();
    assert!(
        junit.contains("name=\"server_cpu_us_per_handshake\"><failure")
            && junit.contains("type=\"regression\"")
            && junit.contains("failures=\"1\""),
        "{junit}"
    );
    assert_no_process_mentions(&dir.path().join("slow"));

    // The same server on both sides never lies beyond a 1000% threshold. Three debug rounds
    // on a busy machine may give an interval too wide to clear B: then the run says it is
    // inconclusive (exit 2), never that B passed or regressed.
    let out = ab("same", "rustls", "1000%");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["regression"], false, "{}", text(&out));
    let inconclusive = json["inconclusive"].as_bool().unwrap();
    assert_eq!(
        out.status.code(),
        Some(if inconclusive { 2 } else { 0 }),
        "{}",
        text(&out)
    );
    if inconclusive {
        let width =
            |m: &Value| m["ratio"]["high"].as_f64().unwrap() - m["ratio"]["low"].as_f64().unwrap();
        assert!(width(&json["metrics"][0]) > 0.10, "{json}");
    }

    // A spec that cannot be read is bad usage.
    let out = ab("bad", "rustls:handicap=1", "5%");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown setting"));
}

#[test]
fn ab_alternate_runs_one_side_after_the_other_and_side_by_side_refuses_a_mid_run_revocation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        "version = 1\nname = \"ab\"\n[pki]\nidentities = 3\n[defaults]\nserver_threads = 1\nload = { concurrency = 2, duration = \"3s\" }\n[[case]]\nname = \"valid\"\n[[case]]\nname = \"exposure\"\nrevocation = { mode = \"crl\", reload = \"1s\", revoke_after = \"1s\" }\n",
    )
    .unwrap();
    let ab = |case: &str, extra: &[&str]| {
        let mut args = vec![
            "ab",
            "s.toml",
            "--case",
            case,
            "--a",
            "rustls",
            "--b",
            "rustls:handicap-us=20000",
            "--rounds",
            "2",
            "--round",
            "400ms",
            "--warmup",
            "100ms",
            "--threshold",
            "5%",
            "--out",
            case,
            "-q",
            "--json",
        ];
        args.extend_from_slice(extra);
        harness(&args, dir.path())
    };
    let out = ab("valid", &["--alternate", "--best", "50%"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["side_by_side"], false);
    assert_eq!(json["best_pct"], 50.0);
    // One after the other: each round's A and B windows do not overlap.
    let run = summary(&dir.path().join("valid"));
    assert_eq!(run["cases"].as_array().unwrap().len(), 4);

    // --best only means something for rounds one after the other.
    let out = harness(
        &[
            "ab", "s.toml", "--a", "rustls", "--b", "rustls", "--best", "20%",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--alternate"),
        "{}",
        text(&out)
    );

    // A case that revokes its victim mid-run times one server: it cannot run side by side.
    let out = ab("exposure", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("side by side") && err.contains("--alternate"),
        "{err}"
    );
    assert!(!dir.path().join("exposure").exists());
}
