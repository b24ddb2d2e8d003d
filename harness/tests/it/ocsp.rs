//! OCSP, stapling and CRLs over HTTP, with the harness's revocation service as the responder:
//! the `openssl ocsp` client checks our responder's answers independently; our checker's
//! verdicts for every injected fault; and real handshakes through the server's OCSP check, its
//! staple and its CRL download, with the expected verdicts.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use mtls_harness::pki::{self, ClientCert, KeyType, Pki, PkiSpec};
use mtls_harness::revocation::ocsp::{
    CheckerSettings, Decision, Fault, OcspChecker, OcspMethod, Responder, ResponderSettings,
    RevocationService,
};
use mtls_harness::scenario::OcspSigner;

use super::support::{assert_all, case, openssl, run_in, scenario};

/// A service answering for a fresh PKI whose certificates name it.
fn service_with_pki() -> (RevocationService, Pki) {
    let service = RevocationService::start(Arc::new(Responder::new())).unwrap();
    let mut spec = PkiSpec::new(KeyType::EcdsaP256, 2);
    spec.revocation_url = Some(service.base_url());
    let p = pki::generate(&spec).unwrap();
    service.responder.add_pki(&p).unwrap();
    (service, p)
}

fn configure(service: &RevocationService, fault: Fault, signed_by: OcspSigner) {
    service.responder.configure(ResponderSettings {
        fault,
        signed_by,
        ..ResponderSettings::default()
    });
}

/// `openssl ocsp` about `variant`'s certificate: (exit success, stdout + stderr).
fn openssl_ocsp(
    dir: &Path,
    service: &RevocationService,
    variant: &str,
    nonce: bool,
) -> (bool, String) {
    let files = dir.join("pki");
    let mut cmd = Command::new(openssl());
    cmd.arg("ocsp")
        .arg("-issuer")
        .arg(files.join("ca/intermediate-1.crt"))
        .arg("-cert")
        .arg(files.join(variant))
        .arg("-CAfile")
        .arg(files.join("ca/root.crt"))
        .args(["-url", &format!("{}/ocsp", service.base_url())])
        .args(["-timeout", "5"]);
    if !nonce {
        cmd.arg("-no_nonce");
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn openssl_accepts_our_responders_answers_and_refuses_forged_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (service, p) = service_with_pki();
    pki::write_pki(&p, &dir.path().join("pki")).unwrap();
    let good = "clients/client-00000.crt";
    let revoked = "bad/revoked.crt";

    // Signed by the CA, with and without a nonce.
    let (ok, text) = openssl_ocsp(dir.path(), &service, good, true);
    assert!(ok && text.contains("Response verify OK"), "{text}");
    assert!(text.contains(": good"), "{text}");
    let (_, text) = openssl_ocsp(dir.path(), &service, revoked, false);
    assert!(
        text.contains("Response verify OK") && text.contains(": revoked"),
        "{text}"
    );

    // A delegated responder (id-kp-OCSPSigning) is accepted; one without it is not.
    configure(&service, Fault::None, OcspSigner::Delegated);
    let (_, text) = openssl_ocsp(dir.path(), &service, good, true);
    assert!(
        text.contains("Response verify OK") && text.contains(": good"),
        "{text}"
    );
    configure(&service, Fault::None, OcspSigner::Unauthorized);
    let (_, text) = openssl_ocsp(dir.path(), &service, good, true);
    assert!(text.contains("Response Verify Failure"), "{text}");

    // A corrupted signature, and a stale answer.
    configure(&service, Fault::BadSignature, OcspSigner::Ca);
    let (_, text) = openssl_ocsp(dir.path(), &service, good, true);
    assert!(text.contains("Response Verify Failure"), "{text}");
    configure(&service, Fault::Stale, OcspSigner::Ca);
    let (_, text) = openssl_ocsp(dir.path(), &service, good, true);
    assert!(text.contains("Status times invalid"), "{text}");

    // An error status.
    configure(&service, Fault::TryLater, OcspSigner::Ca);
    let (_, text) = openssl_ocsp(dir.path(), &service, good, true);
    assert!(text.contains("trylater (3)"), "{text}");
}

fn checker(method: OcspMethod, nonce: bool, ttl: Duration) -> OcspChecker {
    OcspChecker::new(CheckerSettings {
        url_override: None,
        cache_ttl: ttl,
        timeout: Duration::from_millis(500),
        nonce,
        method,
    })
}

#[test]
fn our_checker_classifies_every_fault() {
    let (service, p) = service_with_pki();
    let id = p.client(ClientCert::Valid, 0).unwrap();
    let revoked = p.client(ClientCert::Revoked, 0).unwrap();
    let check = |c: &OcspChecker, who: &pki::Identity| c.check(&who.chain[0], &who.chain[1]);
    for method in [OcspMethod::Get, OcspMethod::Post] {
        let c = checker(method, true, Duration::ZERO);
        assert_eq!(check(&c, id), Decision::Good, "{method:?}");
        assert_eq!(check(&c, revoked), Decision::Revoked, "{method:?}");
    }
    let undetermined = [
        Fault::Down,
        Fault::Timeout,
        Fault::TryLater,
        Fault::InternalError,
        Fault::Unauthorized,
        Fault::Malformed,
        Fault::Unknown,
    ];
    let invalid = [
        Fault::Stale,
        Fault::Future,
        Fault::BadSignature,
        Fault::NoNonce,
        Fault::WrongNonce,
    ];
    let c = checker(OcspMethod::Post, true, Duration::ZERO);
    for fault in undetermined {
        configure(&service, fault, OcspSigner::Ca);
        assert!(
            matches!(check(&c, id), Decision::Undetermined(_)),
            "{fault}: {:?}",
            check(&c, id)
        );
    }
    for fault in invalid {
        configure(&service, fault, OcspSigner::Ca);
        assert!(
            matches!(check(&c, id), Decision::Invalid(_)),
            "{fault}: {:?}",
            check(&c, id)
        );
    }
    configure(&service, Fault::None, OcspSigner::Unauthorized);
    assert!(matches!(check(&c, id), Decision::Invalid(_)));
    // Without a nonce sent, a missing one is fine.
    configure(&service, Fault::NoNonce, OcspSigner::Delegated);
    let no_nonce = checker(OcspMethod::Post, false, Duration::ZERO);
    assert_eq!(check(&no_nonce, id), Decision::Good);

    // The cache: one query, then hits until the TTL.
    configure(&service, Fault::None, OcspSigner::Ca);
    let cached = checker(OcspMethod::Post, false, Duration::from_secs(60));
    for _ in 0..5 {
        assert_eq!(check(&cached, id), Decision::Good);
    }
    use std::sync::atomic::Ordering::Relaxed;
    assert_eq!(cached.stats.queries.load(Relaxed), 1);
    assert_eq!(cached.stats.cache_hits.load(Relaxed), 4);
    // A revocation is not seen through a warm cache (that is the exposure window).
    service.responder.revoke(&id.chain[0]).unwrap();
    assert_eq!(check(&cached, id), Decision::Good);
    assert_eq!(check(&c, id), Decision::Revoked);
}

#[test]
fn revocation_modes_give_their_verdicts_over_real_sockets() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
load = { concurrency = 2, handshakes = 12, warmup = "100ms", timeout = "3s" }
[[case]]
name = "ocsp-good"
revocation = { mode = "ocsp" }
[[case]]
name = "ocsp-cold"
revocation = { mode = "ocsp", cache_ttl = "0s", nonce = true }
load = { concurrency = 2, handshakes = 12, warmup = "0s", timeout = "3s" }
[[case]]
name = "ocsp-revoked"
client_cert = "revoked"
revocation = { mode = "ocsp", signer = "delegated" }
[[case]]
name = "ocsp-down-hard"
revocation = { mode = "ocsp", fault = "down" }
[[case]]
name = "ocsp-down-soft"
revocation = { mode = "ocsp", fault = "down", policy = "soft" }
[[case]]
name = "ocsp-slow-soft"
revocation = { mode = "ocsp", responder_delay = "300ms", query_timeout = "100ms", policy = "soft" }
[[case]]
name = "ocsp-forged-soft"
revocation = { mode = "ocsp", signer = "unauthorized", policy = "soft" }
[[case]]
name = "staple-good"
revocation = { mode = "ocsp-stapling" }
[[case]]
name = "staple-careless-revoked-signer"
revocation = { mode = "ocsp-stapling", fault = "bad-signature", staple_verify = false }
[[case]]
name = "must-staple-without-staple"
revocation = { mode = "ocsp-stapling", fault = "down", must_staple = true }
[[case]]
name = "crl-http-revoked"
client_cert = "revoked"
revocation = { mode = "crl-http", crl_entries = 100 }
[[case]]
name = "crl-http-valid"
revocation = { mode = "crl-http" }
[[case]]
name = "crl-http-down-hard"
revocation = { mode = "crl-http", fault = "down" }
[[case]]
name = "crl-http-down-soft"
revocation = { mode = "crl-http", fault = "down", policy = "soft" }
[[case]]
name = "crl-http-garbage-hard"
revocation = { mode = "crl-http", fault = "malformed" }
[[case]]
name = "ocsp-garbage-soft"
revocation = { mode = "ocsp", fault = "malformed", policy = "soft" }
"#,
    );
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    for c in &sum.cases {
        assert!(c.met, "{}: {}", c.name, c.verdict);
        assert_eq!(c.attempts, 12, "{}", c.name);
    }
    assert_all(sum, "ocsp-good", "accepted", 12);
    assert_all(sum, "ocsp-revoked", "cert_revoked", 12);
    assert_all(sum, "ocsp-down-hard", "unknown_ca", 12);
    assert_all(sum, "ocsp-down-soft", "accepted", 12);
    assert_all(sum, "ocsp-slow-soft", "accepted", 12);
    assert_all(sum, "ocsp-forged-soft", "unknown_ca", 12);
    assert_all(sum, "staple-good", "accepted", 12);
    assert_all(sum, "staple-careless-revoked-signer", "staple_rejected", 12);
    assert_all(sum, "must-staple-without-staple", "staple_rejected", 12);
    assert_all(sum, "crl-http-revoked", "cert_revoked", 12);
    assert_all(sum, "crl-http-valid", "accepted", 12);
    assert_all(sum, "crl-http-down-hard", "unknown_ca", 12);
    assert_all(sum, "crl-http-down-soft", "accepted", 12);
    // Garbage from the CRL endpoint or the responder is no answer, never a crash.
    assert_all(sum, "crl-http-garbage-hard", "unknown_ca", 12);
    assert_all(sum, "ocsp-garbage-soft", "accepted", 12);
    // A cold cache asks once per handshake (no warm-up, so no query falls outside the
    // count); a warm one (4 identities) almost never.
    let cold = case(sum, "ocsp-cold").responder.as_ref().unwrap();
    assert!(
        (0.95..=1.05).contains(&cold.queries_per_handshake),
        "{cold:?}"
    );
    let warm = case(sum, "ocsp-good").responder.as_ref().unwrap();
    assert!(warm.queries_per_handshake < 0.5, "{warm:?}");
    // The slow responder's delay shows in the latency of every handshake.
    let slow = case(sum, "ocsp-slow-soft").latency_us.as_ref().unwrap();
    assert!(slow.p50 >= 100_000, "{slow:?}");
}

#[test]
fn exposure_windows_follow_each_modes_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
load = { concurrency = 2, duration = "2500ms", warmup = "200ms", timeout = "3s" }
[[case]]
name = "ocsp"
revocation = { mode = "ocsp", cache_ttl = "500ms", revoke_after = "700ms" }
[[case]]
name = "stapling"
revocation = { mode = "ocsp-stapling", staple_refresh = "500ms", revoke_after = "700ms" }
[[case]]
name = "crl-http"
revocation = { mode = "crl-http", reload = "500ms", revoke_after = "700ms" }
"#,
    );
    let out = run_in(&s, dir.path());
    for (name, rejected_with) in [
        ("ocsp", "cert_revoked"),
        ("stapling", "staple_rejected"),
        ("crl-http", "cert_revoked"),
    ] {
        let c = case(&out.summary, name);
        assert!(c.met, "{name}: {}", c.verdict);
        let e = c.exposure.as_ref().unwrap();
        assert!(e.accepted_before > 0, "{name}: {e:?}");
        let first = e.first_rejected_after_ms.unwrap();
        // Within the refresh interval plus scheduling slack, and not instantly for a cache.
        assert!(first <= 1_100.0, "{name}: {e:?}");
        assert_eq!(
            e.rejected_with.map(|o| o.to_string()).as_deref(),
            Some(rejected_with),
            "{name}"
        );
    }
}

#[test]
fn nginx_checks_ocsp_and_staples_with_our_responder() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
server = "nginx"
load = { concurrency = 2, handshakes = 12, warmup = "100ms", timeout = "5s" }
[[case]]
name = "plain"
[[case]]
name = "ocsp-good"
revocation = { mode = "ocsp" }
[[case]]
name = "ocsp-revoked"
client_cert = "revoked"
revocation = { mode = "ocsp" }
[[case]]
name = "ocsp-down"
revocation = { mode = "ocsp", fault = "down" }
[[case]]
name = "ocsp-forged"
revocation = { mode = "ocsp", signer = "unauthorized" }
[[case]]
name = "staple"
revocation = { mode = "ocsp-stapling" }
[[case]]
name = "soft-fail"
revocation = { mode = "ocsp", policy = "soft" }
"#,
    );
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    assert_all(sum, "plain", "accepted", 12);
    assert_all(sum, "ocsp-good", "accepted", 12);
    // nginx answers HTTP 400; its error log says why.
    assert_all(sum, "ocsp-revoked", "cert_revoked", 12);
    assert_all(sum, "ocsp-down", "unknown_ca", 12);
    assert_all(sum, "ocsp-forged", "unknown_ca", 12);
    assert_all(sum, "staple", "accepted", 12);
    // The staple is on the wire: the stapled handshakes carry more bytes from the server.
    let received = |name: &str| case(sum, name).bytes_received_per_handshake;
    assert!(
        received("staple") > received("plain") + 50.0,
        "{} vs {}",
        received("staple"),
        received("plain")
    );
    let soft = case(sum, "soft-fail");
    assert!(
        soft.skipped
            .as_deref()
            .is_some_and(|r| r.contains("soft-fail")),
        "{:?}",
        soft.skipped
    );
    super::support::assert_no_process_mentions(dir.path());
}

/// A scenario against `server` whose first cases are `plain` (no revocation), `staple` and
/// `staple-revoked` (the server's own certificate revoked at the responder), then `more`.
fn stapling_scenario(server: &str, load: &str, more: &str) -> mtls_harness::scenario::Scenario {
    scenario(&format!(
        r#"
version = 1
[pki]
identities = 4
[defaults]
server = "{server}"
load = {load}
[[case]]
name = "plain"
[[case]]
name = "staple"
revocation = {{ mode = "ocsp-stapling" }}
[[case]]
name = "staple-revoked"
revocation = {{ mode = "ocsp-stapling", server_revoked = true }}
{more}"#
    ))
}

/// The first cases of [`stapling_scenario`] ended as they must, all `n` attempts each: the
/// staple is on the wire (the stapled handshakes carry more bytes from the server), and the
/// harness's client refuses the revoked one.
fn assert_stapled(sum: &mtls_harness::report::RunSummary, n: u64) {
    assert_all(sum, "plain", "accepted", n);
    assert_all(sum, "staple", "accepted", n);
    assert_all(sum, "staple-revoked", "staple_rejected", n);
    let received = |name: &str| case(sum, name).bytes_received_per_handshake;
    assert!(
        received("staple") > received("plain") + 100.0,
        "{} vs {}",
        received("staple"),
        received("plain")
    );
}

#[test]
fn the_openssl_server_staples_through_its_status_callback() {
    let dir = tempfile::tempdir().unwrap();
    let s = stapling_scenario(
        "openssl",
        r#"{ concurrency = 2, handshakes = 12, warmup = "100ms", timeout = "5s" }"#,
        r#"[[case]]
name = "careless-stale"
revocation = { mode = "ocsp-stapling", fault = "stale", staple_verify = false }
"#,
    );
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    assert_stapled(sum, 12);
    assert_all(sum, "careless-stale", "staple_rejected", 12);
    super::support::assert_no_process_mentions(dir.path());
}

#[test]
fn the_openssl_server_checks_client_certificates_through_our_checker() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
server = "openssl"
load = { concurrency = 2, handshakes = 12, warmup = "0s", timeout = "5s" }
[[case]]
name = "good-cold"
revocation = { mode = "ocsp", cache_ttl = "0s", nonce = true }
[[case]]
name = "revoked"
client_cert = "revoked"
revocation = { mode = "ocsp" }
[[case]]
name = "down-hard"
revocation = { mode = "ocsp", fault = "down" }
[[case]]
name = "down-soft"
revocation = { mode = "ocsp", fault = "down", policy = "soft" }
[[case]]
name = "forged-soft"
revocation = { mode = "ocsp", signer = "unauthorized", policy = "soft" }
[[case]]
name = "wrong-nonce-soft"
revocation = { mode = "ocsp", nonce = true, fault = "wrong-nonce", policy = "soft" }
"#,
    );
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    for c in &sum.cases {
        assert!(c.met, "{}: {}", c.name, c.verdict);
    }
    assert_all(sum, "good-cold", "accepted", 12);
    // The server really asked: once per handshake with a cold cache.
    let cold = case(sum, "good-cold").responder.as_ref().unwrap();
    assert!(
        (0.95..=1.05).contains(&cold.queries_per_handshake),
        "{cold:?}"
    );
    assert_all(sum, "revoked", "cert_revoked", 12);
    // X509_V_ERR_OCSP_VERIFY_FAILED: OpenSSL's alert for it is certificate_unknown.
    assert_all(sum, "down-hard", "certificate_unknown", 12);
    assert_all(sum, "down-soft", "accepted", 12);
    // A forged or mismatched answer is refused whatever the policy.
    assert_all(sum, "forged-soft", "certificate_unknown", 12);
    assert_all(sum, "wrong-nonce-soft", "certificate_unknown", 12);
    super::support::assert_no_process_mentions(dir.path());
}

#[test]
fn s_server_staples_the_response_the_runner_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let s = stapling_scenario(
        "s_server",
        r#"{ concurrency = 1, handshakes = 6, warmup = "0s", timeout = "5s" }"#,
        r#"[[case]]
name = "must-staple-down"
revocation = { mode = "ocsp-stapling", fault = "down", must_staple = true }
[[case]]
name = "verified-bad-signature"
revocation = { mode = "ocsp-stapling", fault = "bad-signature" }
[[case]]
name = "refresh-during-run"
revocation = { mode = "ocsp-stapling", staple_refresh = "1s" }
load = { concurrency = 1, duration = "2s", warmup = "0s", timeout = "5s" }
[[case]]
name = "client-ocsp"
revocation = { mode = "ocsp" }
"#,
    );
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    assert_stapled(sum, 6);
    assert_all(sum, "must-staple-down", "staple_rejected", 6);
    // What s_server cannot do is skipped with the reason, never passed.
    let skipped = |name: &str, why: &str| {
        let c = case(sum, name);
        assert!(
            c.skipped.as_deref().is_some_and(|r| r.contains(why)),
            "{name}: {:?}",
            c.skipped
        );
    };
    skipped("verified-bad-signature", "without verifying it");
    skipped("refresh-during-run", "cannot refresh its staple");
    skipped(
        "client-ocsp",
        "openssl s_server has no OCSP checking of client certificates",
    );
    super::support::assert_no_process_mentions(dir.path());
}
