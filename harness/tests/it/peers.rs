//! The real server peers: the built-in OpenSSL server (`serve --impl openssl`),
//! `openssl s_server` and nginx, started as processes after `scripts/install-peers.sh`. Exact
//! verdicts for a representative set of client credentials on every peer, CRL checking, that no
//! child process outlives a run, and that a peer that is not installed is reported as skipped.

use std::collections::BTreeMap;

use super::support::{assert_no_process_mentions, case, harness_exe, run_in, scenario};

const SERVERS: [&str; 4] = ["rustls", "openssl", "s_server", "nginx"];

fn outcomes(c: &mtls_harness::report::CaseSummary) -> BTreeMap<String, u64> {
    c.outcomes.clone()
}

/// The class each peer gives a credential: the RFC's where the peer follows it, the peer's own
/// otherwise (OpenSSL sends bad_certificate for a not-yet-valid certificate).
fn expected(server: &str, cert: &str) -> &'static str {
    match (cert, server) {
        ("valid", _) => "accepted",
        ("none", _) => "cert_required",
        ("expired", _) => "cert_expired",
        ("not-yet-valid", "rustls") => "cert_expired",
        ("not-yet-valid", _) => "bad_certificate",
        ("unknown-ca" | "missing-intermediate", _) => "unknown_ca",
        ("server-auth-only", _) => "unsupported_certificate",
        ("mismatched-key", _) => "decrypt_error",
        ("revoked", _) => "cert_revoked",
        _ => unreachable!("{cert}"),
    }
}

#[test]
fn every_server_peer_gives_the_exact_verdict_for_each_credential() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 2, handshakes = 6, warmup = "0s", timeout = "5s" }
[matrix]
server = ["rustls", "openssl", "s_server", "nginx"]
client_cert = ["valid", "none", "expired", "not-yet-valid", "unknown-ca", "missing-intermediate", "server-auth-only", "mismatched-key"]
"#,
    );
    let out = run_in(&s, dir.path());
    for server in SERVERS {
        for cert in [
            "valid",
            "none",
            "expired",
            "not-yet-valid",
            "unknown-ca",
            "missing-intermediate",
            "server-auth-only",
            "mismatched-key",
        ] {
            let c = case(&out.summary, &format!("server={server},client_cert={cert}"));
            assert_eq!(c.skipped, None, "{server} {cert}: skipped");
            assert_eq!(c.error, None, "{server} {cert}");
            let want = expected(server, cert);
            assert_eq!(
                outcomes(c),
                BTreeMap::from([(want.to_string(), 6)]),
                "{server} {cert}: {}",
                c.verdict
            );
            // nginx rejects certificates it could not verify with HTTP 400, the verdict
            // coming from its error log; a missing CertificateVerify signature is an alert.
            let via_http = server == "nginx" && !matches!(cert, "valid" | "mismatched-key");
            assert_eq!(c.peer_verdict.is_some(), via_http, "{server} {cert}");
            if via_http {
                assert_eq!(c.http_statuses.get("400"), Some(&6), "{server} {cert}");
            }
        }
    }
    assert_no_process_mentions(dir.path());
}

#[test]
fn openssl_peers_check_the_crl() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
revocation = { mode = "crl", crl_entries = 100 }
load = { concurrency = 2, handshakes = 6, warmup = "0s", timeout = "5s" }
[matrix]
server = ["openssl", "s_server"]
client_cert = ["valid", "revoked"]
"#,
    );
    let out = run_in(&s, dir.path());
    for server in ["openssl", "s_server"] {
        for cert in ["valid", "revoked"] {
            let c = case(&out.summary, &format!("server={server},client_cert={cert}"));
            assert!(c.met, "{server} {cert}: {}", c.verdict);
            assert_eq!(
                outcomes(c),
                BTreeMap::from([(expected(server, cert).to_string(), 6)]),
                "{server} {cert}"
            );
        }
    }
    assert_no_process_mentions(dir.path());
}

#[test]
fn openssl_server_soft_fails_a_stale_crl_and_hard_fails_it_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
server = "openssl"
load = { concurrency = 2, handshakes = 6, warmup = "0s", timeout = "5s" }
[[case]]
name = "stale-soft-valid"
revocation = { mode = "crl", crl = "stale", policy = "soft" }
[[case]]
name = "stale-soft-revoked"
client_cert = "revoked"
revocation = { mode = "crl", crl = "stale", policy = "soft" }
[[case]]
name = "stale-hard-valid"
revocation = { mode = "crl", crl = "stale", policy = "hard" }
"#,
    );
    let out = run_in(&s, dir.path());
    let get = |name| outcomes(case(&out.summary, name));
    assert_eq!(
        get("stale-soft-valid"),
        BTreeMap::from([("accepted".into(), 6)])
    );
    // The stale CRL still lists the revoked client: soft-fail only covers "undetermined".
    assert_eq!(
        get("stale-soft-revoked"),
        BTreeMap::from([("cert_revoked".into(), 6)])
    );
    // OpenSSL maps CRL_HAS_EXPIRED to the certificate_expired alert.
    assert_eq!(
        get("stale-hard-valid"),
        BTreeMap::from([("cert_expired".into(), 6)])
    );
}

#[test]
fn nginx_checks_crls_for_the_whole_chain() {
    // nginx sets CRL_CHECK_ALL with ssl_crl: with a CRL from the leaves' CA alone it cannot
    // tell the intermediate's status and refuses even valid clients ("unable to get
    // certificate CRL"). The harness gives it the case's CRL plus an empty CRL from the root
    // for the intermediate, so the verdicts are about the leaf.
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
server = "nginx"
revocation = { mode = "crl" }
load = { concurrency = 2, handshakes = 6, warmup = "0s", timeout = "5s" }
[[case]]
name = "valid"
[[case]]
name = "revoked"
client_cert = "revoked"
"#,
    );
    let out = run_in(&s, dir.path());
    let valid = case(&out.summary, "valid");
    assert_eq!(outcomes(valid), BTreeMap::from([("accepted".into(), 6)]));
    let revoked = case(&out.summary, "revoked");
    assert_eq!(
        outcomes(revoked),
        BTreeMap::from([("cert_revoked".into(), 6)])
    );
    let why = revoked.peer_verdict.as_deref().unwrap_or_default();
    assert!(why.contains("certificate revoked"), "{why}");
    let bundle =
        std::fs::read_to_string(dir.path().join("peers/valid-nginx/crl-chain.pem")).unwrap();
    assert_eq!(bundle.matches("BEGIN X509 CRL").count(), 2, "{bundle}");
    let conf = std::fs::read_to_string(dir.path().join("peers/valid-nginx/nginx.conf")).unwrap();
    assert!(conf.contains("crl-chain.pem;"), "{conf}");
    assert_no_process_mentions(dir.path());
}

#[test]
fn a_peer_that_is_not_installed_is_skipped_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 2
[defaults]
load = { concurrency = 1, handshakes = 2, warmup = "0s" }
[[case]]
name = "nginx"
server = "nginx"
[[case]]
name = "s_server"
server = "s_server"
[[case]]
name = "rustls"
"#,
    );
    let mut opts = mtls_harness::runner::RunOptions::new(harness_exe());
    opts.out_dir = Some(dir.path().to_path_buf());
    opts.quiet = true;
    opts.search_path = Some(empty.path().as_os_str().to_owned());
    let out = mtls_harness::runner::run(&s, &opts).unwrap();
    for name in ["nginx", "s_server"] {
        let c = case(&out.summary, name);
        let reason = c.skipped.as_deref().unwrap_or_default();
        assert!(reason.contains("not installed"), "{name}: {reason}");
        assert!(!c.met, "a skipped case is never reported as met");
        assert_eq!(c.attempts, 0);
    }
    assert!(case(&out.summary, "rustls").met);
    // Skipped is not a failure of the run.
    assert_eq!(out.exit_code(), 0);
    let table = mtls_harness::report::console_table(&out.summary);
    assert!(
        table.contains("SKIPPED nginx: nginx is not installed"),
        "{table}"
    );
}

#[test]
fn openssl_client_gets_the_same_verdicts_from_every_server() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
client = "openssl"
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 2, handshakes = 4, warmup = "0s", timeout = "5s" }
[matrix]
server = ["rustls", "openssl", "s_server", "nginx"]
client_cert = ["valid", "none", "expired", "unknown-ca", "mismatched-key"]
"#,
    );
    let out = run_in(&s, dir.path());
    for server in SERVERS {
        for cert in ["valid", "none", "expired", "unknown-ca"] {
            let c = case(&out.summary, &format!("server={server},client_cert={cert}"));
            assert_eq!(
                outcomes(c),
                BTreeMap::from([(expected(server, cert).to_string(), 4)]),
                "{server} {cert}: {}",
                c.verdict
            );
        }
        let c = case(&out.summary, &format!("server={server},client_cert=valid"));
        assert_eq!(c.negotiated[0].version, "TLSv1_3");
        // OpenSSL cannot be made to send a key that does not match its certificate.
        let c = case(
            &out.summary,
            &format!("server={server},client_cert=mismatched-key"),
        );
        assert!(
            c.skipped
                .as_deref()
                .unwrap_or_default()
                .contains("does not match"),
            "{:?}",
            c.skipped
        );
    }
    assert_no_process_mentions(dir.path());
}

#[test]
fn process_clients_get_the_verdicts_too() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 1, handshakes = 2, warmup = "0s", timeout = "5s" }
[matrix]
client = ["s_client", "node"]
server = ["rustls", "nginx"]
client_cert = ["valid", "none", "expired", "unknown-ca", "mismatched-key"]
"#,
    );
    let out = run_in(&s, dir.path());
    for client in ["s_client", "node"] {
        for server in ["rustls", "nginx"] {
            for cert in ["valid", "none", "expired", "unknown-ca"] {
                let c = case(
                    &out.summary,
                    &format!("client={client},server={server},client_cert={cert}"),
                );
                assert_eq!(
                    outcomes(c),
                    BTreeMap::from([(expected(server, cert).to_string(), 2)]),
                    "{client} {server} {cert}: {}",
                    c.verdict
                );
            }
            let c = case(
                &out.summary,
                &format!("client={client},server={server},client_cert=valid"),
            );
            assert_eq!(c.negotiated[0].version, "TLSv1_3", "{client} {server}");
            assert_eq!(c.negotiated[0].group.as_deref(), Some("X25519"));
            let c = case(
                &out.summary,
                &format!("client={client},server={server},client_cert=mismatched-key"),
            );
            assert!(c.skipped.is_some(), "{client} {server}");
        }
    }
    assert_no_process_mentions(dir.path());
}

#[test]
fn nginx_with_several_workers_has_its_server_cpu_measured() {
    // The master forks the workers; the CPU is read over its whole process tree, and the
    // handshakes run in the workers (the master alone would show next to nothing).
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 2
[[case]]
name = "workers"
server = "nginx"
server_threads = 2
load = { concurrency = 2, handshakes = 200, warmup = "0s" }
"#,
    );
    let out = run_in(&s, dir.path());
    let c = case(&out.summary, "workers");
    let cpu = c.server_cpu_us_per_handshake.expect("server CPU measured");
    // An ECDSA P-256 mTLS handshake costs nginx hundreds of microseconds.
    assert!(cpu > 50.0, "{cpu} µs per handshake");
    assert_no_process_mentions(dir.path());
}
