//! Apache httpd (Debian's apache2-bin, mod_ssl, event MPM) as a managed server peer, after
//! `scripts/install-peers.sh`: a valid client accepted over TLS 1.3 and 1.2, bad credentials
//! refused with the alert mod_ssl sends for each (inside the handshake, OpenSSL's alert for the
//! verification error), the allow-list's HTTP 403, CRL and client-certificate OCSP checking
//! with the harness's own CRLs and responder, stapling of its own certificate, resumption by
//! session cache and by tickets, and the shipped conformance suite on it. No process is left
//! behind.

use std::collections::BTreeMap;
use std::path::Path;

use mtls_harness::conformance::{self, Grade};
use mtls_harness::runner::RunOptions;

use super::support::{assert_no_process_mentions, case, harness_exe, repo_root, run_in, scenario};

/// The outcomes of case `name`, which must have run.
fn outcomes(summary: &mtls_harness::report::RunSummary, name: &str) -> BTreeMap<String, u64> {
    let c = case(summary, name);
    assert_eq!(c.skipped, None, "{name}: skipped");
    assert_eq!(c.error, None, "{name}");
    c.outcomes.clone()
}

fn all(outcome: &str, n: u64) -> BTreeMap<String, u64> {
    BTreeMap::from([(outcome.to_string(), n)])
}

/// The configurations Apache ran for the cases whose peer directory's name starts with `stem`
/// and holds `part`, joined (at least one).
fn httpd_conf(dir: &Path, stem: &str, part: &str) -> String {
    let found: Vec<_> = std::fs::read_dir(dir.join("peers"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(stem) && n.contains(part) && n.ends_with("-apache"))
        .collect();
    assert!(!found.is_empty(), "no peer directory {stem}*{part}*");
    found
        .iter()
        .map(|n| std::fs::read_to_string(dir.join("peers").join(n).join("httpd.conf")).unwrap())
        .collect()
}

#[test]
fn apache_accepts_a_valid_client_and_refuses_bad_ones_with_their_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
server = "apache"
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 2, handshakes = 4, warmup = "0s", timeout = "5s" }

[[case]]
name = "valid"
[[case]]
name = "valid-tls12"
tls = { versions = ["1.2"], groups = ["x25519", "secp256r1"] }
[[case]]
name = "no-cert"
client_cert = "none"
[[case]]
name = "no-cert-tls12"
client_cert = "none"
tls = { versions = ["1.2"], groups = ["x25519", "secp256r1"] }
[[case]]
name = "no-cert-optional"
client_cert = "none"
client_auth = "optional"
[[case]]
name = "expired"
client_cert = "expired"
[[case]]
name = "unknown-ca"
client_cert = "unknown-ca"
[[case]]
name = "revoked-crl"
client_cert = "revoked"
revocation = { mode = "crl" }
[[case]]
name = "valid-crl"
revocation = { mode = "crl" }
[[case]]
name = "not-on-allow-list"
allowed_clients = ["client-elsewhere"]
[[case]]
name = "on-allow-list"
allowed_clients = ["client-00000", "client-00001", "client-00002", "client-00003"]
"#,
    );
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    for (name, want) in [
        ("valid", "accepted"),
        ("valid-tls12", "accepted"),
        // RFC 8446 4.4.2.4 and RFC 5246 7.4.6: OpenSSL's alerts for a missing certificate.
        ("no-cert", "cert_required"),
        ("no-cert-tls12", "handshake_failure"),
        ("no-cert-optional", "accepted"),
        ("expired", "cert_expired"),
        ("unknown-ca", "unknown_ca"),
        ("revoked-crl", "cert_revoked"),
        ("valid-crl", "accepted"),
        ("not-on-allow-list", "access_denied"),
        ("on-allow-list", "accepted"),
    ] {
        assert_eq!(
            outcomes(sum, name),
            all(want, 4),
            "{name}: {}",
            case(sum, name).verdict
        );
    }
    assert!(case(sum, "valid")
        .negotiated
        .iter()
        .all(|n| n.version == "TLSv1_3"));
    assert!(case(sum, "valid-tls12")
        .negotiated
        .iter()
        .all(|n| n.version == "TLSv1_2"));
    // The 403 is the allow-list's, read back as access_denied.
    let said = case(sum, "not-on-allow-list")
        .peer_verdict
        .clone()
        .unwrap_or_default();
    assert!(said.starts_with("HTTP 403 x4"), "{said}");
    // mod_ssl logs each verification error it refused (at info, which the config asks for).
    let log = std::fs::read(dir.path().join("peers/expired-apache/error.log")).unwrap();
    let log = String::from_utf8_lossy(&log);
    assert!(
        log.contains("Certificate Verification: Error (10): certificate has expired"),
        "{log}"
    );
    // The settings the verdicts rest on: required client auth, Apache's depth counting the
    // anchor, the case's leaf-only CRL check with a CRL for every CA in the bundle.
    let conf = httpd_conf(dir.path(), "valid-apache", "");
    for line in [
        "SSLVerifyClient require",
        "SSLVerifyDepth 11",
        "SSLProtocol -all +TLSv1.3",
        "LoadModule mpm_event_module",
    ] {
        assert!(conf.contains(line), "{line}:\n{conf}");
    }
    let conf = httpd_conf(dir.path(), "revoked-crl", "");
    assert!(conf.contains("SSLCARevocationCheck leaf"), "{conf}");
    assert!(conf.contains("crl-chain.pem\""), "{conf}");
    assert!(httpd_conf(dir.path(), "no-cert-optional", "").contains("SSLVerifyClient optional"));
    assert_no_process_mentions(dir.path());
}

#[test]
fn apache_checks_client_certificates_by_ocsp_and_staples_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
server = "apache"
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 2, handshakes = 6, warmup = "0s", timeout = "5s" }
[[case]]
name = "plain"
[[case]]
name = "ocsp-good"
revocation = { mode = "ocsp" }
[[case]]
name = "ocsp-good-tls12"
tls = { versions = ["1.2"], groups = ["x25519", "secp256r1"] }
revocation = { mode = "ocsp" }
[[case]]
name = "ocsp-revoked"
client_cert = "revoked"
revocation = { mode = "ocsp" }
[[case]]
name = "ocsp-delegated-revoked"
client_cert = "revoked"
revocation = { mode = "ocsp", signer = "delegated" }
[[case]]
name = "ocsp-delegated-good"
revocation = { mode = "ocsp", signer = "delegated" }
[[case]]
name = "ocsp-forged"
revocation = { mode = "ocsp", signer = "unauthorized" }
[[case]]
name = "ocsp-down"
revocation = { mode = "ocsp", fault = "down" }
[[case]]
name = "staple"
revocation = { mode = "ocsp-stapling" }
[[case]]
name = "staple-revoked"
revocation = { mode = "ocsp-stapling", server_revoked = true }
"#,
    );
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    for (name, want) in [
        ("plain", "accepted"),
        ("ocsp-good", "accepted"),
        ("ocsp-good-tls12", "accepted"),
        ("ocsp-revoked", "cert_revoked"),
        ("ocsp-delegated-good", "accepted"),
        ("ocsp-delegated-revoked", "cert_revoked"),
        // An answer from a signer without id-kp-OCSPSigning is refused though the CAs are in
        // SSLOCSPResponderCertificateFile, and so is no answer at all: mod_ssl fails an
        // undetermined status with X509_V_ERR_APPLICATION_VERIFICATION (handshake_failure).
        ("ocsp-forged", "handshake_failure"),
        ("ocsp-down", "handshake_failure"),
        ("staple", "accepted"),
        ("staple-revoked", "staple_rejected"),
    ] {
        assert_eq!(
            outcomes(sum, name),
            all(want, 6),
            "{name}: {}",
            case(sum, name).verdict
        );
    }
    // Apache asked the responder about every full handshake (it keeps no OCSP cache).
    let queries = case(sum, "ocsp-good")
        .responder
        .as_ref()
        .map_or(0, |r| r.queries);
    assert!(queries >= 6, "{queries} OCSP queries");
    let conf = httpd_conf(dir.path(), "ocsp-good-apache", "");
    for line in [
        "SSLOCSPEnable leaf",
        "SSLOCSPOverrideResponder on",
        "SSLOCSPResponderCertificateFile",
    ] {
        assert!(conf.contains(line), "{line}:\n{conf}");
    }
    // The staple is on the wire: the stapled handshakes carry more bytes from the server.
    let received = |name: &str| case(sum, name).bytes_received_per_handshake;
    assert!(
        received("staple") > received("plain") + 50.0,
        "{} vs {}",
        received("staple"),
        received("plain")
    );
    assert_no_process_mentions(dir.path());
}

#[test]
fn apache_resumes_by_session_cache_and_by_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 2
[defaults]
server = "apache"
tls = { groups = ["x25519", "secp256r1"] }
# One handshake at a time, so each identity's session is there for its next handshake; the
# warm-up primes every identity's session.
load = { concurrency = 1, handshakes = 6, warmup = "300ms", timeout = "5s" }
[matrix]
tls_version = ["1.2", "1.3"]
resumption = ["session-id", "tickets"]
[[case]]
name = "resumed"
"#,
    );
    let out = run_in(&s, dir.path());
    assert_eq!(out.summary.cases.len(), 4);
    for c in &out.summary.cases {
        assert_eq!(c.skipped, None, "{}", c.name);
        assert_eq!(c.outcomes, all("accepted", 6), "{}: {}", c.name, c.verdict);
        let r = c.resumption.as_ref().unwrap();
        assert_eq!((r.missed, r.resumed_pct), (0, 100.0), "{}: {r:?}", c.name);
    }
    // Session IDs come from Apache's shmcb session cache with tickets off; tickets without it.
    let conf = |part: &str| httpd_conf(dir.path(), "resumed", part);
    let by_cache = conf("session-id");
    assert_eq!(
        by_cache.matches("SSLSessionCache \"shmcb:").count(),
        2,
        "{by_cache}"
    );
    assert_eq!(
        by_cache.matches("SSLSessionTickets off").count(),
        2,
        "{by_cache}"
    );
    let by_ticket = conf("tickets");
    assert_eq!(
        by_ticket.matches("SSLSessionCache none").count(),
        2,
        "{by_ticket}"
    );
    assert_eq!(
        by_ticket.matches("SSLSessionTickets on").count(),
        2,
        "{by_ticket}"
    );
    assert_no_process_mentions(dir.path());
}

#[test]
fn apache_passes_the_shipped_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let root = repo_root();
    let mut s = mtls_harness::scenario::load(&root.join("scenarios/conformance.toml")).unwrap();
    s.cases.retain(|c| c.server.name() == "apache");
    let specs = conformance::parse_expectations(
        &std::fs::read_to_string(root.join("conformance/expectations.toml")).unwrap(),
        Path::new("expectations.toml"),
    )
    .unwrap();
    let mut devs = conformance::parse_deviations(
        &std::fs::read_to_string(root.join("conformance/deviations.toml")).unwrap(),
        Path::new("deviations.toml"),
    )
    .unwrap();
    devs.retain(|d| d.peer == "apache");
    let mut opts = RunOptions::new(harness_exe());
    opts.out_dir = Some(dir.path().to_path_buf());
    opts.quiet = true;
    let out = conformance::run_suite(&s, &opts, &specs, &devs).unwrap();
    let table = conformance::render_table(&out.rows, &out.suite_problems);
    assert_eq!(out.exit_code(), 0, "{table}");
    for name in ["sanity-first", "sanity-last", "b3-expired", "c2-revoked"] {
        let row = out
            .rows
            .iter()
            .find(|r| r.case == name && r.peer == "apache")
            .unwrap_or_else(|| panic!("no row {name}\n{table}"));
        assert_eq!(row.grade, Grade::Pass, "{name}: {}", row.observed);
    }
    // Every listed deviation of Apache's was observed as listed.
    let listed = out
        .rows
        .iter()
        .filter(|r| r.known_deviation.is_some())
        .count();
    assert_eq!(listed, devs.len(), "{table}");
    assert_no_process_mentions(dir.path());
}

#[test]
fn every_client_of_the_interop_matrix_works_with_apache() {
    use mtls_harness::conformance::interop as grading;
    use mtls_harness::report::interop::{self, CellGrade};
    let dir = tempfile::tempdir().unwrap();
    let mut s = mtls_harness::scenario::load(&repo_root().join("scenarios/interop.toml")).unwrap();
    s.cases.retain(|c| c.server.name() == "apache");
    let out = run_in(&s, dir.path());
    let findings = grading::parse_findings(grading::FINDINGS, Path::new("f.toml")).unwrap();
    let graded = grading::grade_cells(interop::cells(&out.summary), &findings);
    // 8 clients x TLS 1.2/1.3 x full/resumed.
    assert_eq!(graded.len(), 32);
    for g in &graded {
        let (cell, c) = (&g.cell, g.cell.case);
        if let Some(reason) = &c.skipped {
            // curl and gnutls-cli cannot carry a session from one process to the next.
            assert!(
                matches!(c.client.as_str(), "curl" | "gnutls-cli")
                    && cell.column.contains("resumed"),
                "{} {}: {reason}",
                cell.pair,
                cell.column
            );
            continue;
        }
        assert_eq!(g.grade, CellGrade::Works, "{} {}", cell.pair, cell.column);
        assert!(c.met, "{} {}: {}", cell.pair, cell.column, c.verdict);
        if cell.column.contains("resumed") {
            let r = c.resumption.as_ref().unwrap();
            assert_eq!(r.missed, 0, "{} {}", cell.pair, cell.column);
        }
    }
    assert_no_process_mentions(dir.path());
}
