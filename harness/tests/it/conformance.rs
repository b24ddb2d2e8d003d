//! The conformance suite end to end: the shipped suite against the four server peers (real
//! nginx and openssl processes), graded with the shipped expectations and deviations; junit.xml
//! with one test case per case x peer; and a stale deviation list that fails the suite.

use std::path::Path;

use mtls_harness::conformance::{self, Grade};
use mtls_harness::runner::RunOptions;

use super::support::{assert_no_process_mentions, harness_exe, repo_root};

pub(super) fn load() -> (
    mtls_harness::scenario::Scenario,
    Vec<conformance::CaseSpec>,
    Vec<conformance::Deviation>,
) {
    let root = repo_root();
    let scenario = mtls_harness::scenario::load(&root.join("scenarios/conformance.toml")).unwrap();
    let specs = conformance::parse_expectations(
        &std::fs::read_to_string(root.join("conformance/expectations.toml")).unwrap(),
        Path::new("expectations.toml"),
    )
    .unwrap();
    let devs = conformance::parse_deviations(
        &std::fs::read_to_string(root.join("conformance/deviations.toml")).unwrap(),
        Path::new("deviations.toml"),
    )
    .unwrap();
    (scenario, specs, devs)
}

pub(super) fn opts(dir: &Path) -> RunOptions {
    let mut opts = RunOptions::new(harness_exe());
    opts.out_dir = Some(dir.to_path_buf());
    opts.quiet = true;
    opts
}

#[test]
fn shipped_suite_grades_every_case_on_every_peer() {
    let dir = tempfile::tempdir().unwrap();
    let (mut scenario, specs, mut devs) = load();
    // Every peer but Java, whose JVM start costs ~1.5 s per case (~90 s here): its verdicts
    // are pinned in stacks.rs and `mtls-harness conformance` runs it with the rest.
    scenario.cases.retain(|c| c.server.to_string() != "java");
    devs.retain(|d| d.peer != "java");
    let out = conformance::run_suite(&scenario, &opts(dir.path()), &specs, &devs).unwrap();
    let table = conformance::render_table(&out.rows, &out.suite_problems);
    assert_eq!(out.exit_code(), 0, "{table}");
    let peers = ["rustls", "openssl", "s_server", "nginx"];
    for peer in peers {
        for case in [
            "sanity-first",
            "sanity-last",
            "a1-no-cert-tls13",
            "b3-expired",
        ] {
            let row = out
                .rows
                .iter()
                .find(|r| r.case == case && r.peer == peer)
                .unwrap_or_else(|| panic!("no row {case} {peer}"));
            assert_eq!(row.grade, Grade::Pass, "{case} on {peer}: {}", row.observed);
        }
    }
    // The MUST of RFC 8446 4.4.3 holds everywhere.
    for peer in peers {
        let row = out
            .rows
            .iter()
            .find(|r| r.case == "a4-cert-verify-invalid" && r.peer == peer)
            .unwrap();
        assert_eq!(row.observed, "decrypt_error=4", "{peer}");
    }
    // The credentials only the harness's own client sends, exact per peer (rustls, openssl,
    // s_server, nginx): what each stack really does with them.
    let exact: [(&str, [&str; 4]); 14] = [
        (
            "a6-sha1-signed-chain",
            [
                "decrypt_error",
                "bad_certificate",
                "bad_certificate",
                "bad_certificate",
            ],
        ),
        ("a8-extra-certificate", ["accepted"; 4]),
        ("a9-misordered-intermediates", ["accepted"; 4]),
        ("b7-leaf-signature-invalid", ["decrypt_error"; 4]),
        (
            "b8-chain-too-long",
            [
                "certificate_unknown",
                "unknown_ca",
                "unknown_ca",
                "unknown_ca",
            ],
        ),
        ("b9-name-constraints", ["certificate_unknown"; 4]),
        (
            "b10-weak-rsa-key",
            [
                "decrypt_error",
                "bad_certificate",
                "bad_certificate",
                "bad_certificate",
            ],
        ),
        (
            "b11-key-usage-no-digital-signature",
            [
                "accepted",
                "unsupported_certificate",
                "unsupported_certificate",
                "unsupported_certificate",
            ],
        ),
        ("b12-eku-absent", ["accepted"; 4]),
        (
            "b13-ca-leaf",
            ["certificate_unknown", "accepted", "accepted", "accepted"],
        ),
        (
            "c7-crl-not-yet-valid-hard",
            [
                "accepted",
                "bad_certificate",
                "bad_certificate",
                "bad_certificate",
            ],
        ),
        ("c8-crl-certificate-hold", ["cert_revoked"; 4]),
        ("c9-leaf-of-ca-without-crl-sign", ["accepted"; 4]),
        (
            "c10-crl-issuer-without-crl-sign-hard",
            [
                "handshake_failure",
                "certificate_unknown",
                "certificate_unknown",
                "certificate_unknown",
            ],
        ),
    ];
    for (case, classes) in exact {
        for (peer, class) in peers.iter().zip(classes) {
            let row = out
                .rows
                .iter()
                .find(|r| r.case == case && r.peer == *peer)
                .unwrap_or_else(|| panic!("no row {case} {peer}"));
            assert_eq!(row.observed, format!("{class}=4"), "{case} on {peer}");
        }
    }
    // A key type outside the server's CertificateRequest schemes, sent anyway.
    let a7: Vec<(String, String)> = out
        .rows
        .iter()
        .filter(|r| r.case == "a7-key-type-not-allowed" && r.grade != Grade::Skipped)
        .map(|r| (r.peer.clone(), r.observed.clone()))
        .collect();
    assert_eq!(
        a7,
        [
            ("rustls".to_string(), "illegal_parameter=4".to_string()),
            ("openssl".to_string(), "handshake_failure=4".to_string()),
            ("s_server".to_string(), "handshake_failure=4".to_string()),
            ("nginx".to_string(), "handshake_failure=4".to_string()),
            ("apache".to_string(), "handshake_failure=4".to_string()),
        ]
    );
    // B8's control: the same chain within a verify depth of 7 is accepted by every peer that
    // can be set to 7 (rustls cannot: skipped).
    for peer in ["openssl", "s_server", "nginx"] {
        let row = out
            .rows
            .iter()
            .find(|r| r.case == "b8-control-chain-within-depth" && r.peer == peer)
            .unwrap();
        assert_eq!(row.observed, "accepted=4", "{peer}");
    }
    // The allow-list: refused after a valid chain with access_denied (nginx: HTTP 403; the
    // OpenSSL server's verify callback can only reach handshake_failure).
    let row = |case: &str, peer: &str| {
        out.rows
            .iter()
            .find(|r| r.case == case && r.peer == peer)
            .unwrap()
            .observed
            .clone()
    };
    for (peer, refused) in [
        ("rustls", "access_denied=4"),
        ("openssl", "handshake_failure=4"),
        ("nginx", "access_denied=4"),
    ] {
        assert_eq!(row("b14-not-on-allow-list", peer), refused, "{peer}");
        assert_eq!(row("b15-on-allow-list", peer), "accepted=4", "{peer}");
    }
    let nginx_403 = out
        .rows
        .iter()
        .find(|r| r.case == "b14-not-on-allow-list" && r.peer == "nginx")
        .and_then(|r| r.peer_verdict.clone())
        .unwrap_or_default();
    assert!(nginx_403.starts_with("HTTP 403 x4"), "{nginx_403}");
    // Every listed deviation was observed as listed.
    assert_eq!(
        out.rows
            .iter()
            .filter(|r| r.known_deviation.is_some())
            .count(),
        devs.len()
    );
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), out.rows.len());
    assert!(junit.contains("failures=\"0\""), "{junit}");
    assert!(dir.path().join("conformance.json").exists());
    assert_no_process_mentions(dir.path());
}

#[test]
fn an_unexpected_pass_of_a_listed_deviation_fails_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let (scenario, specs, _) = load();
    // Only two cases, rustls and openssl: enough to see both effects.
    let mut scenario = scenario;
    scenario.cases.retain(|c| {
        (c.name.starts_with("sanity-first") || c.name.starts_with("b3-expired"))
            && matches!(c.server.name(), "rustls" | "openssl")
    });
    let stale = conformance::Deviation {
        case: "b3-expired".into(),
        peer: "openssl".into(),
        observed: "bad_certificate".into(),
        reason: "pretend OpenSSL got this wrong".into(),
    };
    let out = conformance::run_suite(&scenario, &opts(dir.path()), &specs, &[stale]).unwrap();
    assert_eq!(out.exit_code(), 1);
    let row = out
        .rows
        .iter()
        .find(|r| r.case == "b3-expired" && r.peer == "openssl")
        .unwrap();
    assert_eq!(row.grade, Grade::Pass);
    assert!(
        row.problem
            .as_deref()
            .unwrap()
            .starts_with("unexpected pass"),
        "{:?}",
        row.problem
    );
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("<failure message=\"unexpected pass"),
        "{junit}"
    );
}
