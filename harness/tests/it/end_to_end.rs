//! End-to-end runs over loopback: the real `mtls-harness serve` process, the load engine, the
//! exact outcome class of each bad client, the files of a run, and no process left behind.

use std::collections::BTreeMap;

use mtls_harness::report::RunSummary;
use serde_json::Value;

use super::support::{case, run_in, scenario};

const BAD_CLIENTS: &str = r#"
version = 1
name = "e2e"
[pki]
identities = 50
[defaults]
load = { concurrency = 4, handshakes = 12, warmup = "0s", timeout = "5s" }

[[case]]
name = "valid"
load = { concurrency = 20, handshakes = 300 }

[[case]]
name = "valid-open-loop"
load = { rate = 200, duration = "1s" }

[[case]]
name = "no-cert"
client_cert = "none"
expect = "reject"
reject_reason = "cert_required"

[[case]]
name = "unknown-ca"
client_cert = "unknown-ca"
expect = "reject"
reject_reason = "unknown_ca"

[[case]]
name = "expired"
client_cert = "expired"
expect = "reject"
reject_reason = "cert_expired"

[[case]]
name = "not-yet-valid"
client_cert = "not-yet-valid"
expect = "reject"
reject_reason = "cert_expired"

[[case]]
name = "server-auth-only"
client_cert = "server-auth-only"
expect = "reject"
reject_reason = "unsupported_certificate"

[[case]]
name = "missing-intermediate"
client_cert = "missing-intermediate"
expect = "reject"
reject_reason = "unknown_ca"

[[case]]
name = "mismatched-key"
client_cert = "mismatched-key"
expect = "reject"
reject_reason = "decrypt_error"

[[case]]
name = "optional-auth-no-cert"
client_auth = "optional"
client_cert = "none"
expect = "accept"

[[case]]
name = "tls12-valid"
tls = { versions = ["1.2"], groups = ["secp256r1"] }
"#;

fn outcomes(summary: &RunSummary, name: &str) -> BTreeMap<String, u64> {
    case(summary, name).outcomes.clone()
}

fn only(class: &str, n: u64) -> BTreeMap<String, u64> {
    BTreeMap::from([(class.to_string(), n)])
}

#[test]
fn each_client_gets_its_exact_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(BAD_CLIENTS);
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    for c in &sum.cases {
        assert!(c.error.is_none(), "{}: {:?}", c.name, c.error);
    }
    assert_eq!(outcomes(sum, "valid"), only("accepted", 300));
    assert_eq!(outcomes(sum, "no-cert"), only("cert_required", 12));
    assert_eq!(outcomes(sum, "unknown-ca"), only("unknown_ca", 12));
    assert_eq!(outcomes(sum, "expired"), only("cert_expired", 12));
    assert_eq!(outcomes(sum, "not-yet-valid"), only("cert_expired", 12));
    assert_eq!(
        outcomes(sum, "server-auth-only"),
        only("unsupported_certificate", 12)
    );
    assert_eq!(
        outcomes(sum, "missing-intermediate"),
        only("unknown_ca", 12)
    );
    assert_eq!(outcomes(sum, "mismatched-key"), only("decrypt_error", 12));
    assert_eq!(outcomes(sum, "optional-auth-no-cert"), only("accepted", 12));
    assert_eq!(outcomes(sum, "tls12-valid"), only("accepted", 12));
    // Open loop: 200/s for 1 s is 200 scheduled handshakes, all measured.
    assert_eq!(outcomes(sum, "valid-open-loop"), only("accepted", 200));
    assert!(
        sum.cases.iter().all(|c| c.met),
        "{:#?}",
        sum.cases
            .iter()
            .map(|c| (&c.name, &c.verdict))
            .collect::<Vec<_>>()
    );
    assert_eq!(out.exit_code(), 0);

    // What was negotiated reached the report.
    let tls12 = case(sum, "tls12-valid");
    assert_eq!(tls12.negotiated.len(), 1);
    assert_eq!(tls12.negotiated[0].version, "TLSv1_2");
    assert_eq!(tls12.negotiated[0].group.as_deref(), Some("secp256r1"));
    let valid = case(sum, "valid");
    assert_eq!(valid.negotiated[0].version, "TLSv1_3");
    assert_eq!(valid.negotiated[0].group.as_deref(), Some("X25519"));

    // Measurements are present and plausible.
    let lat = valid.latency_us.unwrap();
    assert_eq!(lat.count, 300);
    assert!(lat.min <= lat.p50 && lat.p50 <= lat.p99 && lat.p99 <= lat.max);
    assert!(valid.phases_us.handshake.is_some() && valid.phases_us.connect.is_some());
    assert!(valid.handshakes_per_sec > 0.0);
    assert!(valid.server_cpu_us_per_handshake.unwrap() > 0.0);
    assert!(valid.client_cpu_us_per_handshake.unwrap() > 0.0);
    // A TLS 1.3 mTLS handshake with ECDSA chains moves kilobytes each way.
    assert!(valid.bytes_sent_per_handshake > 500.0 && valid.bytes_received_per_handshake > 500.0);
    let rejected = case(sum, "unknown-ca");
    assert!(rejected.latency_us.is_none());
    assert_eq!(rejected.rejection_latency_us.unwrap().count, 12);
}

#[test]
fn run_directory_holds_summary_csv_and_histograms() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
name = "files"
[pki]
identities = 5
[[case]]
name = "ok"
load = { concurrency = 2, handshakes = 20, warmup = "0s" }
[[case]]
name = "unknown ca/1"
client_cert = "unknown-ca"
load = { concurrency = 2, handshakes = 5, warmup = "0s" }
"#,
    );
    run_in(&s, dir.path());
    let d = dir.path();
    let json: Value =
        serde_json::from_slice(&std::fs::read(d.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["cases"][0]["outcomes"]["accepted"], 20);
    assert_eq!(json["cases"][0]["expect"], "accept");
    assert_eq!(json["cases"][1]["expect"], "reject:unknown_ca");
    assert_eq!(json["cases"][0]["met"], true);
    for key in ["p50", "p90", "p99", "p999", "max", "mean"] {
        assert!(
            json["cases"][0]["latency_us"][key].is_number(),
            "latency_us.{key}"
        );
    }
    for key in [
        "handshakes_per_sec",
        "server_cpu_us_per_handshake",
        "client_cpu_us_per_handshake",
    ] {
        assert!(json["cases"][0][key].is_number(), "{key}");
    }
    let csv = std::fs::read_to_string(d.join("cases.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3);
    assert!(csv
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("ok,rustls,rustls,ecdsa-p256,valid,accept,true,20,20,"));
    let hgrm = std::fs::read_to_string(d.join("ok.hgrm")).unwrap();
    assert!(hgrm.contains("Total count    =           20"), "{hgrm}");
    // Case names become safe file names.
    assert!(d.join("unknown_ca_1.hgrm").exists());
    assert!(d.join("peers/ok-server.log").exists());
    // Keys stay in the fixtures directory only, never in the reports.
    let summary = std::fs::read_to_string(d.join("summary.json")).unwrap();
    assert!(!summary.contains("PRIVATE KEY"));
}

#[test]
fn unmet_expectation_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 2
[[case]]
name = "expired-but-expected-accepted"
client_cert = "expired"
expect = "accept"
load = { concurrency = 1, handshakes = 3, warmup = "0s" }
"#,
    );
    let out = run_in(&s, dir.path());
    assert!(!out.summary.cases[0].met);
    assert!(
        out.summary.cases[0]
            .verdict
            .contains("0 of 3 accepted; also cert_expired 3"),
        "{}",
        out.summary.cases[0].verdict
    );
    assert_eq!(out.exit_code(), 1);
}

#[test]
fn a_server_that_cannot_start_is_a_recorded_error_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        "version = 1\n[pki]\nidentities = 1\n[[case]]\nname = \"x\"\nload = { handshakes = 1 }\n",
    );
    let mut opts = mtls_harness::runner::RunOptions::new("/bin/false".into());
    opts.out_dir = Some(dir.path().to_path_buf());
    opts.quiet = true;
    let out = mtls_harness::runner::run(&s, &opts).unwrap();
    let err = out.summary.cases[0].error.clone().unwrap();
    assert!(err.contains("did not become ready"), "{err}");
    assert_eq!(out.exit_code(), 2);
    // The summary on disk says so too.
    let json: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    assert!(json["cases"][0]["error"]
        .as_str()
        .unwrap()
        .contains("did not become ready"));
}

#[test]
fn no_server_process_outlives_its_case() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario("version = 1\n[pki]\nidentities = 1\n[[case]]\nname = \"x\"\nload = { concurrency = 2, handshakes = 10, warmup = \"0s\" }\n");
    run_in(&s, dir.path());
    super::support::assert_no_process_mentions(dir.path());
}

#[test]
fn cancellation_keeps_what_was_measured() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        "version = 1\n[pki]\nidentities = 2\n[[case]]\nname = \"long\"\nload = { concurrency = 2, duration = \"60s\", warmup = \"0s\" }\n[[case]]\nname = \"never\"\n",
    );
    let cancel = Arc::new(AtomicBool::new(false));
    let mut opts = mtls_harness::runner::RunOptions::new(super::support::harness_exe());
    opts.out_dir = Some(dir.path().to_path_buf());
    opts.quiet = true;
    opts.cancel = Arc::clone(&cancel);
    let flag = Arc::clone(&cancel);
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(2));
        flag.store(true, Ordering::Relaxed);
    });
    let started = std::time::Instant::now();
    let out = mtls_harness::runner::run(&s, &opts).unwrap();
    stopper.join().unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "cancel was not prompt"
    );
    assert!(out.summary.interrupted);
    assert_eq!(out.summary.cases.len(), 1, "the second case never started");
    assert!(out.summary.cases[0].attempts > 0);
    assert!(!out.summary.cases[0].met);
    assert_eq!(out.exit_code(), 2);
    let json: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["interrupted"], true);
    assert!(json["cases"][0]["attempts"].as_u64().unwrap() > 0);
}
