//! NIST PKITS over the wire: a handful of 4.1 and 4.4 tests sent as client certificates to real
//! rustls and nginx servers on 127.0.0.1, graded against NIST's expected results; a listed
//! deviation that passes fails the run; a missing or broken data directory is an error naming
//! the file (exit 2). The data comes from scripts/fetch-pkits.sh, which install-peers.sh runs.

use std::path::{Path, PathBuf};
use std::process::Command;

use mtls_harness::conformance::{Deviation, Grade};
use mtls_harness::pkits::{self, PkitsOptions};
use mtls_harness::scenario::ServerImpl;

use super::support::{assert_no_process_mentions, harness_exe};

/// Where scripts/fetch-pkits.sh unpacks the data; and the built-in servers log their reasons
/// (as under `mtls-harness pkits`).
fn data_dir() -> PathBuf {
    static LOG: std::sync::Once = std::sync::Once::new();
    LOG.call_once(|| {
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", pkits::SERVER_LOG);
        }
    });
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
    let dir = cache.join("mtls-harness/pkits/44.0.0");
    assert!(
        dir.join("certs/TrustAnchorRootCertificate.crt").is_file(),
        "no PKITS data in {}: run scripts/fetch-pkits.sh (scripts/install-peers.sh runs it)",
        dir.display()
    );
    dir
}

const SUBSET: [&str; 8] = [
    "4.1.1", "4.1.2", "4.1.3", "4.4.1", "4.4.2", "4.4.3", "4.4.7", "4.4.19",
];

fn opts(
    out: &Path,
    servers: &[ServerImpl],
    only: &[&str],
    deviations: Vec<Deviation>,
) -> PkitsOptions {
    PkitsOptions {
        out: out.to_path_buf(),
        servers: servers.to_vec(),
        only: only.iter().map(|s| s.to_string()).collect(),
        harness_exe: harness_exe(),
        deviations,
    }
}

fn shipped_deviations() -> Vec<Deviation> {
    mtls_harness::conformance::parse_deviations(pkits::DEVIATIONS, Path::new("deviations.toml"))
        .unwrap()
}

#[test]
fn catalog_covers_sections_4_1_to_4_14() {
    let suite = pkits::load(&data_dir()).unwrap();
    let run = pkits::run::selected(&suite, &[]);
    assert_eq!(run.len(), 212, "NIST numbers 212 tests in 4.1-4.14");
    for section in pkits::catalog::SECTIONS
        .iter()
        .filter(|s| s.not_run.is_none())
    {
        let n = run
            .iter()
            .filter(|t| t.place.section == section.number)
            .count();
        assert_eq!(n as u32, section.tests, "section {}", section.number);
    }
    let t = run.iter().find(|t| t.place.id == "4.4.2").unwrap();
    assert_eq!(t.name, "InvalidRevokedCATest2");
    assert!(!t.expected_valid);
    // Leaf, then its issuer, then the issuer's issuer (the trust anchor is not sent).
    assert_eq!(
        t.cert_files,
        [
            "InvalidRevokedCATest2EE.crt",
            "RevokedsubCACert.crt",
            "GoodCACert.crt"
        ]
    );
    assert_eq!(t.chained, 2);
    assert!(
        t.crl_count >= 3,
        "Trust Anchor, Good CA and Revoked subCA CRLs"
    );
}

#[test]
fn tests_that_disagree_on_a_ca_s_crls_get_their_own_server() {
    let suite = pkits::load(&data_dir()).unwrap();
    let two = suite.tests.iter().find(|t| t.place.id == "4.4.7").unwrap();
    let good = suite.tests.iter().find(|t| t.place.id == "4.1.1").unwrap();
    // All of PKITS agrees: one server per peer.
    let run: Vec<_> = pkits::run::selected(&suite, &[])
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(pkits::groups::group(&run).len(), 1);
    // The same path without the Two CRLs CA's own CRL (the message's first) needs a server
    // where that CA has no CRL.
    let mut fewer = two.clone();
    fewer.crls.remove(0);
    let groups = pkits::groups::group(&[good.clone(), two.clone(), fewer]);
    let members: Vec<Vec<usize>> = groups.iter().map(|g| g.tests.clone()).collect();
    assert_eq!(members, [vec![0, 1], vec![2]]);
}

#[test]
fn subset_over_the_wire_on_rustls_and_nginx() {
    let dir = tempfile::tempdir().unwrap();
    let suite = pkits::load(&data_dir()).unwrap();
    let servers = [ServerImpl::Rustls, ServerImpl::Nginx];
    let started = std::time::Instant::now();
    let out = pkits::run(
        &suite,
        &opts(dir.path(), &servers, &SUBSET, shipped_deviations()),
    )
    .unwrap();
    let elapsed = started.elapsed();
    let table = out.table();
    assert_eq!(out.exit_code(), 0, "{table}{}", out.disagreements());
    assert!(elapsed.as_secs() < 30, "took {elapsed:?}");
    let row = |case: &str, peer: &str| {
        out.rows
            .iter()
            .find(|r| r.case.starts_with(&format!("{case} ")) && r.peer == peer)
            .unwrap_or_else(|| panic!("no row {case} on {peer}:\n{table}"))
    };
    for peer in ["rustls", "nginx"] {
        assert_eq!(row("4.1.1", peer).grade, Grade::Pass, "{table}");
        assert_eq!(row("4.4.7", peer).grade, Grade::Pass, "{table}");
        for invalid in ["4.1.2", "4.1.3", "4.4.1", "4.4.2", "4.4.3"] {
            let r = row(invalid, peer);
            assert!(r.grade.passed(), "{invalid} on {peer}: {r:?}");
            // Every refusal came after the client's certificate, with the peer's reason.
            let evidence = r.evidence.as_ref().unwrap();
            assert_eq!(evidence.refused_after_certificate, 1, "{r:?}");
            assert!(
                r.peer_verdict.is_some(),
                "{invalid} on {peer}: no reason: {r:?}"
            );
        }
    }
    // The alert on the wire and each stack's own words for a revoked leaf.
    assert_eq!(
        row("4.4.3", "rustls").observed_class.as_deref(),
        Some("cert_revoked")
    );
    assert!(row("4.4.3", "rustls")
        .peer_verdict
        .as_deref()
        .unwrap()
        .contains("Revoked"));
    assert_eq!(row("4.4.3", "nginx").grade, Grade::PassAlt);
    assert!(row("4.4.3", "nginx")
        .peer_verdict
        .as_deref()
        .unwrap()
        .contains("certificate revoked"));
    // A revoked intermediate: both check the whole chain.
    assert!(row("4.4.2", "rustls").grade.passed());
    // OpenSSL finds no CRL signed by a separate CRL-signing key: a listed deviation.
    let r = row("4.4.19", "nginx");
    assert_eq!(r.grade, Grade::FailRejectedValid);
    assert!(r.known_deviation.is_some(), "{r:?}");
    for file in ["junit.xml", "pkits.json", "table.txt", "summary.txt"] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("pkits.json")).unwrap()).unwrap();
    assert_eq!(json["settings"][0]["value"], "any-policy");
    assert!(out.summary().contains("4.4 Basic Certificate Revocation"));
    assert_no_process_mentions(dir.path());
}

#[test]
fn an_unexpected_pass_of_a_listed_deviation_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let suite = pkits::load(&data_dir()).unwrap();
    let listed = Deviation {
        case: "4.1.1 ValidSignaturesTest1".into(),
        peer: "rustls".into(),
        observed: "unknown_ca".into(),
        reason: "a stale entry".into(),
    };
    let out = pkits::run(
        &suite,
        &opts(dir.path(), &[ServerImpl::Rustls], &["4.1.1"], vec![listed]),
    )
    .unwrap();
    assert_eq!(out.exit_code(), 1, "{}", out.table());
    let problem = out.rows[0].problem.as_deref().unwrap();
    assert!(problem.contains("unexpected pass"), "{problem}");
}

#[test]
fn missing_or_broken_data_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let err = pkits::load(&missing).unwrap_err().to_string();
    assert!(
        err.contains("nowhere") && err.contains("fetch-pkits.sh"),
        "{err}"
    );

    std::fs::create_dir_all(dir.path().join("data/certs")).unwrap();
    let anchor = dir.path().join("data/certs/TrustAnchorRootCertificate.crt");
    std::fs::write(&anchor, b"not a certificate").unwrap();
    let err = pkits::load(&dir.path().join("data"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("TrustAnchorRootCertificate.crt"), "{err}");

    let output = Command::new(harness_exe())
        .args(["pkits", "--data"])
        .arg(&missing)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nowhere"), "{stderr}");
}
