//! Apache httpd (Debian's apache2-bin, mod_ssl, event MPM) as a managed server peer, after
//! `scripts/install-peers.sh`: a valid client accepted over TLS 1.3 and 1.2, bad credentials
//! refused with the alert mod_ssl sends for each (inside the handshake, OpenSSL's alert for the
//! verification error), the allow-list's HTTP 403, CRL and client-certificate OCSP checking
//! with the harness's own CRLs and responder, stapling of its own certificate, resumption by
//! session cache and by tickets, the shipped conformance suite and every client of the interop
//! matrix on it. No process is left behind.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use mtls_harness::conformance::{self, Grade};
use mtls_harness::report::RunSummary;

use super::support::{assert_no_process_mentions, case, repo_root, run_in, scenario};

/// TLS 1.2 with P-256 offered too (an OpenSSL server's ECDSA certificate needs its curve).
const TLS12: &str = r#"tls = { versions = ["1.2"], groups = ["x25519", "secp256r1"] }"#;

/// A case: its name, its settings (TOML lines) and the one outcome all its attempts end in.
type Expected<'a> = (&'a str, &'a str, &'a str);

/// Runs `cases` against Apache into `dir` with `load` (TLS 1.3 with X25519 unless a case says
/// otherwise) and asserts that all `n` measured attempts of each ended as it expects.
fn run_expecting(dir: &Path, load: &str, n: u64, cases: &[Expected<'_>]) -> RunSummary {
    let mut text = format!(
        "version = 1\n[pki]\nidentities = 4\n[defaults]\nserver = \"apache\"\n\
         tls = {{ versions = [\"1.3\"], groups = [\"x25519\"] }}\nload = {load}\n"
    );
    for (name, settings, _) in cases {
        let _ = write!(text, "[[case]]\nname = \"{name}\"\n{settings}\n");
    }
    let summary = run_in(&scenario(&text), dir).summary;
    for (name, _, want) in cases {
        let c = case(&summary, name);
        assert_eq!(c.skipped, None, "{name}: skipped");
        assert_eq!(c.error, None, "{name}");
        assert_eq!(
            c.outcomes,
            BTreeMap::from([(want.to_string(), n)]),
            "{name}: {}",
            c.verdict
        );
    }
    summary
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
    let no_cert_12 = format!("client_cert = \"none\"\n{TLS12}");
    let sum = run_expecting(
        dir.path(),
        r#"{ concurrency = 2, handshakes = 4, warmup = "0s", timeout = "5s" }"#,
        4,
        &[
            ("valid", "", "accepted"),
            ("valid-tls12", TLS12, "accepted"),
            // RFC 8446 4.4.2.4 and RFC 5246 7.4.6: OpenSSL's alerts for a missing certificate.
            ("no-cert", r#"client_cert = "none""#, "cert_required"),
            ("no-cert-tls12", &no_cert_12, "handshake_failure"),
            (
                "no-cert-optional",
                "client_cert = \"none\"\nclient_auth = \"optional\"",
                "accepted",
            ),
            ("expired", r#"client_cert = "expired""#, "cert_expired"),
            ("unknown-ca", r#"client_cert = "unknown-ca""#, "unknown_ca"),
            (
                "revoked-crl",
                "client_cert = \"revoked\"\nrevocation = { mode = \"crl\" }",
                "cert_revoked",
            ),
            ("valid-crl", r#"revocation = { mode = "crl" }"#, "accepted"),
            (
                "not-on-allow-list",
                r#"allowed_clients = ["client-elsewhere"]"#,
                "access_denied",
            ),
            (
                "on-allow-list",
                r#"allowed_clients = ["client-00000", "client-00001", "client-00002", "client-00003"]"#,
                "accepted",
            ),
        ],
    );
    for (name, version) in [("valid", "TLSv1_3"), ("valid-tls12", "TLSv1_2")] {
        let c = case(&sum, name);
        assert!(c.negotiated.iter().all(|n| n.version == version), "{name}");
    }
    // The 403 is the allow-list's, read back as access_denied.
    let said = case(&sum, "not-on-allow-list").peer_verdict.clone();
    assert!(said.unwrap_or_default().starts_with("HTTP 403 x4"));
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
    let conf = httpd_conf(dir.path(), "no-cert-optional", "");
    assert!(conf.contains("SSLVerifyClient optional"), "{conf}");
    assert_no_process_mentions(dir.path());
}

#[test]
fn apache_checks_client_certificates_by_ocsp_and_staples_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let good_12 = format!("{TLS12}\nrevocation = {{ mode = \"ocsp\" }}");
    let sum = run_expecting(
        dir.path(),
        r#"{ concurrency = 2, handshakes = 6, warmup = "0s", timeout = "5s" }"#,
        6,
        &[
            ("plain", "", "accepted"),
            ("ocsp-good", r#"revocation = { mode = "ocsp" }"#, "accepted"),
            ("ocsp-good-tls12", &good_12, "accepted"),
            (
                "ocsp-revoked",
                "client_cert = \"revoked\"\nrevocation = { mode = \"ocsp\" }",
                "cert_revoked",
            ),
            (
                "ocsp-delegated-good",
                r#"revocation = { mode = "ocsp", signer = "delegated" }"#,
                "accepted",
            ),
            (
                "ocsp-delegated-revoked",
                "client_cert = \"revoked\"\nrevocation = { mode = \"ocsp\", signer = \"delegated\" }",
                "cert_revoked",
            ),
            // An answer from a signer without id-kp-OCSPSigning is refused though it carries
            // its signer's certificate, and so is no answer at all: mod_ssl fails an
            // undetermined status with X509_V_ERR_APPLICATION_VERIFICATION (handshake_failure).
            (
                "ocsp-forged",
                r#"revocation = { mode = "ocsp", signer = "unauthorized" }"#,
                "handshake_failure",
            ),
            (
                "ocsp-down",
                r#"revocation = { mode = "ocsp", fault = "down" }"#,
                "handshake_failure",
            ),
            ("staple", r#"revocation = { mode = "ocsp-stapling" }"#, "accepted"),
            (
                "staple-revoked",
                r#"revocation = { mode = "ocsp-stapling", server_revoked = true }"#,
                "staple_rejected",
            ),
        ],
    );
    // Apache asked the responder about every full handshake (it keeps no OCSP cache).
    let responder = case(&sum, "ocsp-good").responder.as_ref();
    let queries = responder.map_or(0, |r| r.queries);
    assert!(queries >= 6, "{queries} OCSP queries");
    let conf = httpd_conf(dir.path(), "ocsp-good-apache", "");
    for line in ["SSLOCSPEnable leaf", "SSLOCSPOverrideResponder on"] {
        assert!(conf.contains(line), "{line}:\n{conf}");
    }
    // The answers carry their signer and its chain (RFC 6960 4.2.1 `certs`): mod_ssl needs
    // no responder certificate file.
    assert!(!conf.contains("SSLOCSPResponderCertificateFile"), "{conf}");
    // The staple is on the wire: the stapled handshakes carry more bytes from the server.
    let received = |name: &str| case(&sum, name).bytes_received_per_handshake;
    let (stapled, plain) = (received("staple"), received("plain"));
    assert!(stapled > plain + 50.0, "{stapled} vs {plain}");
    assert_no_process_mentions(dir.path());
}

#[test]
fn apache_resumes_by_session_cache_and_by_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let tls13 = r#"tls = { versions = ["1.3"], groups = ["x25519"], resumption = "#;
    let tls12 = r#"tls = { versions = ["1.2"], groups = ["x25519", "secp256r1"], resumption = "#;
    let cases: Vec<(String, String)> = ["session-id", "tickets"]
        .into_iter()
        .flat_map(|mode| {
            [
                (
                    format!("resumed-13-{mode}"),
                    format!("{tls13}\"{mode}\" }}"),
                ),
                (
                    format!("resumed-12-{mode}"),
                    format!("{tls12}\"{mode}\" }}"),
                ),
            ]
        })
        .collect();
    let expected: Vec<Expected<'_>> = cases
        .iter()
        .map(|(name, tls)| (name.as_str(), tls.as_str(), "accepted"))
        .collect();
    // One handshake at a time, so each identity's session is there for its next handshake;
    // the warm-up primes every identity's session.
    let sum = run_expecting(
        dir.path(),
        r#"{ concurrency = 1, handshakes = 6, warmup = "300ms", timeout = "5s" }"#,
        6,
        &expected,
    );
    for (name, _) in &cases {
        let r = case(&sum, name).resumption.as_ref().unwrap();
        assert_eq!((r.missed, r.resumed_pct), (0, 100.0), "{name}: {r:?}");
    }
    // Session IDs come from Apache's shmcb session cache with tickets off; tickets without it.
    let by_cache = httpd_conf(dir.path(), "resumed", "session-id");
    assert_eq!(by_cache.matches("SSLSessionCache \"shmcb:").count(), 2);
    assert_eq!(by_cache.matches("SSLSessionTickets off").count(), 2);
    let by_ticket = httpd_conf(dir.path(), "resumed", "tickets");
    assert_eq!(by_ticket.matches("SSLSessionCache none").count(), 2);
    assert_eq!(by_ticket.matches("SSLSessionTickets on").count(), 2);
    assert_no_process_mentions(dir.path());
}

#[test]
fn apache_passes_the_shipped_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, specs, mut devs) = super::conformance::load();
    s.cases.retain(|c| c.server.name() == "apache");
    devs.retain(|d| d.peer == "apache");
    let opts = super::conformance::opts(dir.path());
    let out = conformance::run_suite(&s, &opts, &specs, &devs).unwrap();
    let table = conformance::render_table(&out.rows, &out.suite_problems);
    assert_eq!(out.exit_code(), 0, "{table}");
    for name in ["sanity-first", "sanity-last", "b3-expired", "c2-revoked"] {
        let row = out.rows.iter().find(|r| r.case == name);
        let row = row.unwrap_or_else(|| panic!("no row {name}\n{table}"));
        assert_eq!(row.grade, Grade::Pass, "{name}: {}", row.observed);
    }
    // Every listed deviation of Apache's was observed as listed.
    let listed = out.rows.iter().filter(|r| r.known_deviation.is_some());
    assert_eq!(listed.count(), devs.len(), "{table}");
    assert_no_process_mentions(dir.path());
}

#[test]
fn every_client_of_the_interop_matrix_works_with_apache() {
    use mtls_harness::conformance::interop as grading;
    use mtls_harness::report::interop;
    let dir = tempfile::tempdir().unwrap();
    let mut s = mtls_harness::scenario::load(&repo_root().join("scenarios/interop.toml")).unwrap();
    s.cases.retain(|c| c.server.name() == "apache");
    let out = run_in(&s, dir.path());
    let findings = grading::parse_findings(grading::FINDINGS, Path::new("f.toml")).unwrap();
    let graded = grading::grade_cells(interop::cells(&out.summary), &findings);
    // 8 clients x TLS 1.2/1.3 x full/resumed.
    assert_eq!(graded.len(), 32);
    for g in &graded {
        super::interop::assert_cell(g);
    }
    assert_no_process_mentions(dir.path());
}
