//! A revocation verdict needs its evidence: against a target that lets every client
//! certificate in and never asks the harness's OCSP responder (a TLS server written here), the
//! OCSP cases get no pass: the good credential's row is no revocation grade ("the server never
//! asked the responder"), the revoked one let in is `fail_accepted_invalid` with "revocation not
//! checked", and the responder's count (0) is in the rows and in `summary.json`.

use std::path::Path;

use mtls_harness::conformance::{self, Grade, NEVER_ASKED_RESPONDER, REVOCATION_NOT_CHECKED};
use mtls_harness::scenario::RevocationMode;
use serde_json::Value;

use super::evidence::{reply, target_opts, vendor_pki, TestServer};
use super::support::{repo_root, scenario};

#[test]
fn a_server_that_never_asks_the_responder_gets_no_revocation_grade() {
    let dir = tempfile::tempdir().unwrap();
    let pki = vendor_pki(dir.path());
    // Asks for a certificate, accepts any, checks no revocation.
    let server = TestServer::start(&pki, true, reply("200 OK", "ok\n"));
    let specs = conformance::parse_expectations(
        &std::fs::read_to_string(repo_root().join("conformance/expectations.toml")).unwrap(),
        Path::new("expectations.toml"),
    )
    .unwrap();
    let s = scenario(
        r#"version = 1
[defaults]
load = { concurrency = 1, handshakes = 2, warmup = "0s", timeout = "5s" }
[[case]]
name = "d1-ocsp-good"
revocation = { mode = "ocsp" }
[[case]]
name = "d2-ocsp-revoked"
client_cert = "revoked"
revocation = { mode = "ocsp" }
"#,
    );
    let out = dir.path().join("run");
    let mut opts = target_opts(&pki, &server, out.clone());
    opts.target_revocation = Some(RevocationMode::Ocsp);
    let suite = conformance::run_suite(&s, &opts, &specs, &[]).unwrap();
    let row = |case: &str| suite.rows.iter().find(|r| r.case == case).unwrap();
    let good = row("d1-ocsp-good");
    assert_eq!(good.grade, Grade::Error, "{good:?}");
    assert!(good.observed.contains(NEVER_ASKED_RESPONDER), "{good:?}");
    let revoked = row("d2-ocsp-revoked");
    assert_eq!(revoked.grade, Grade::FailAcceptedInvalid, "{revoked:?}");
    assert!(revoked.observed.contains(REVOCATION_NOT_CHECKED));
    for r in [good, revoked] {
        let q = r.revocation_queries.as_ref().unwrap();
        assert_eq!(
            (q.source, q.requests, q.observable),
            ("ocsp_responder", 0, true)
        );
    }
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    for c in summary["cases"].as_array().unwrap() {
        assert_eq!(c["revocation_queries"]["requests"], 0, "{}", c["name"]);
        assert_eq!(c["outcomes"]["accepted"], c["attempts"], "{}", c["name"]);
    }
    assert_eq!(
        suite.exit_code(),
        2,
        "an error row: no verdict could be had"
    );
}
