//! The TLS parameter axes: each suite, group, version, key type and chain depth really reaches
//! the wire; resumption happens when asked and not otherwise; a mismatch is a classified
//! `handshake_failure`, not a crash.

use mtls_harness::report::CaseSummary;

use super::support::{case, run_in, scenario};

/// (version, suite, group) of the single parameter set a case negotiated.
fn only_negotiated(c: &CaseSummary) -> (String, String, Option<String>) {
    assert_eq!(c.negotiated.len(), 1, "{}: {:?}", c.name, c.negotiated);
    let n = &c.negotiated[0];
    (n.version.clone(), n.cipher_suite.clone(), n.group.clone())
}

#[test]
fn every_suite_group_and_version_reaches_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
load = { concurrency = 2, handshakes = 6, warmup = "0s" }

[[case]]
name = "aes128"
tls = { suites = ["TLS13_AES_128_GCM_SHA256"] }
[[case]]
name = "aes256"
tls = { suites = ["TLS13_AES_256_GCM_SHA384"] }
[[case]]
name = "chacha"
tls = { suites = ["TLS13_CHACHA20_POLY1305_SHA256"] }
[[case]]
name = "p256"
tls = { groups = ["secp256r1"] }
[[case]]
name = "p384"
tls = { groups = ["secp384r1"] }
[[case]]
name = "pq"
tls = { groups = ["x25519mlkem768"] }
[[case]]
name = "tls12-ecdsa-chacha"
tls = { versions = ["1.2"], suites = ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"] }
[[case]]
name = "tls12-rsa-aes256"
key = "rsa-2048"
tls = { versions = ["1.2"], groups = ["secp384r1"], suites = ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"] }
[[case]]
name = "ed25519-p384-chain"
key = "ed25519"
[[case]]
name = "ecdsa-p384-depth3"
key = "ecdsa-p384"
intermediates = 3
"#,
    );
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    for c in &sum.cases {
        assert!(c.met, "{}: {}", c.name, c.verdict);
        assert_eq!(c.outcomes.get("accepted"), Some(&6), "{}", c.name);
    }
    let v13 = "TLSv1_3".to_string();
    let x = Some("X25519".to_string());
    assert_eq!(
        only_negotiated(case(sum, "aes128")),
        (v13.clone(), "TLS13_AES_128_GCM_SHA256".into(), x.clone())
    );
    assert_eq!(
        only_negotiated(case(sum, "aes256")),
        (v13.clone(), "TLS13_AES_256_GCM_SHA384".into(), x.clone())
    );
    assert_eq!(
        only_negotiated(case(sum, "chacha")),
        (
            v13.clone(),
            "TLS13_CHACHA20_POLY1305_SHA256".into(),
            x.clone()
        )
    );
    assert_eq!(
        only_negotiated(case(sum, "p256")).2.as_deref(),
        Some("secp256r1")
    );
    assert_eq!(
        only_negotiated(case(sum, "p384")).2.as_deref(),
        Some("secp384r1")
    );
    assert_eq!(
        only_negotiated(case(sum, "pq")).2.as_deref(),
        Some("X25519MLKEM768")
    );
    assert_eq!(
        only_negotiated(case(sum, "tls12-ecdsa-chacha")),
        (
            "TLSv1_2".into(),
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256".into(),
            x.clone()
        )
    );
    assert_eq!(
        only_negotiated(case(sum, "tls12-rsa-aes256")),
        (
            "TLSv1_2".into(),
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".into(),
            Some("secp384r1".into())
        )
    );
    // The post-quantum key shares and the longer chain show in the bytes on the wire.
    let bytes = |name: &str| {
        let c = case(sum, name);
        c.bytes_sent_per_handshake + c.bytes_received_per_handshake
    };
    assert!(
        bytes("pq") > bytes("aes128") + 1500.0,
        "{} vs {}",
        bytes("pq"),
        bytes("aes128")
    );
    assert_eq!(case(sum, "ecdsa-p384-depth3").intermediates, 3);
    assert!(bytes("ecdsa-p384-depth3") > bytes("aes128") + 1000.0);
}

/// One case without resumption (`off-13`) and one per way of resuming, each resuming every
/// handshake (`half-13`: every other one).
const RESUMPTION_CASES: &str = r#"
[[case]]
name = "off-13"
[[case]]
name = "tickets-13"
tls = { resumption = "tickets", tickets = 1 }
[[case]]
name = "cache-13"
tls = { resumption = "session-id", tickets = 2 }
[[case]]
name = "session-id-12"
tls = { versions = ["1.2"], resumption = "session-id" }
[[case]]
name = "tickets-12"
tls = { versions = ["1.2"], resumption = "tickets" }
[[case]]
name = "half-13"
tls = { resumption = "tickets", resume_fraction = 0.5 }
"#;

#[test]
fn resumption_happens_when_asked_and_not_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(&format!(
        r#"
version = 1
[pki]
identities = 3
[defaults]
load = {{ concurrency = 1, handshakes = 20, warmup = "300ms" }}

[[case]]
name = "off-12"
tls = {{ versions = ["1.2"] }}
{RESUMPTION_CASES}"#
    ));
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    for name in ["off-13", "off-12"] {
        let c = case(sum, name);
        assert!(c.met, "{}: {}", c.name, c.verdict);
        assert!(c.resumption.is_none());
        assert!(c.negotiated.iter().all(|n| !n.resumed));
        assert!(c.resumed_latency_us.is_none());
    }
    for name in ["tickets-13", "cache-13", "session-id-12", "tickets-12"] {
        let c = case(sum, name);
        assert!(c.met, "{}: {}", c.name, c.verdict);
        let r = c.resumption.as_ref().unwrap();
        assert_eq!(
            (r.offered, r.resumed, r.missed),
            (20, 20, 0),
            "{name}: {r:?}"
        );
        assert_eq!(r.resumed_pct, 100.0);
        assert!(c.negotiated.iter().all(|n| n.resumed));
        assert_eq!(c.resumed_latency_us.unwrap().count, 20);
        assert!(c.full_latency_us.is_none());
    }
    let half = case(sum, "half-13");
    assert!(half.met, "{}", half.verdict);
    let r = half.resumption.as_ref().unwrap();
    assert_eq!(r.resumed, 10, "{r:?}");
    assert_eq!(half.full_latency_us.unwrap().count, 10);
    assert_eq!(half.resumed_latency_us.unwrap().count, 10);
    // A resumed TLS 1.3 handshake skips the certificates: far fewer bytes.
    let bytes = |c: &CaseSummary| c.bytes_sent_per_handshake + c.bytes_received_per_handshake;
    assert!(bytes(case(sum, "cache-13")) * 2.0 < bytes(case(sum, "off-13")));
}

#[test]
fn no_common_suite_or_group_is_a_handshake_failure() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 1
[defaults]
expect = "reject"
reject_reason = "handshake_failure"
load = { concurrency = 1, handshakes = 4, warmup = "0s" }
[[case]]
name = "suite"
tls = { suites = ["TLS13_CHACHA20_POLY1305_SHA256"], server_suites = ["TLS13_AES_128_GCM_SHA256"] }
[[case]]
name = "group"
tls = { groups = ["secp384r1"], server_groups = ["x25519"] }
"#,
    );
    let out = run_in(&s, dir.path());
    for c in &out.summary.cases {
        assert!(c.met, "{}: {}", c.name, c.verdict);
        assert!(c.error.is_none());
    }
    assert_eq!(out.exit_code(), 0);
}

#[test]
fn mutual_and_one_way_are_both_measured() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 2
[[case]]
name = "tls"
load = { concurrency = 2, handshakes = 10, warmup = "0s" }
[matrix]
client_auth = ["required", "off"]
"#,
    );
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    let mutual = case(sum, "tls[client_auth=required]");
    let one_way = case(sum, "tls[client_auth=off]");
    assert!(mutual.met && one_way.met);
    assert_eq!(
        one_way.axes.get("client_auth").map(String::as_str),
        Some("off")
    );
    // Without client authentication the client sends no certificate chain.
    assert!(one_way.bytes_sent_per_handshake + 400.0 < mutual.bytes_sent_per_handshake);
}

#[test]
fn the_openssl_client_resumes_as_the_scenario_asks() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(&format!(
        r#"
version = 1
[pki]
identities = 3
[defaults]
client = "openssl"
tls = {{ groups = ["x25519", "secp256r1"] }}
load = {{ concurrency = 1, handshakes = 20, warmup = "1s", timeout = "5s" }}
[matrix]
server = ["rustls", "openssl"]
{RESUMPTION_CASES}"#
    ));
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    for server in ["rustls", "openssl"] {
        let name = |case: &str| format!("{case}[server={server}]");
        let off = case(sum, &name("off-13"));
        assert!(off.met, "{}: {}", off.name, off.verdict);
        assert!(off.resumption.is_none());
        assert!(off.negotiated.iter().all(|n| !n.resumed), "{}", off.name);
        for resumed in ["tickets-13", "cache-13", "session-id-12", "tickets-12"] {
            let c = case(sum, &name(resumed));
            assert!(c.met, "{}: {}", c.name, c.verdict);
            let r = c.resumption.as_ref().unwrap();
            // Every measured handshake offered its identity's session, and OpenSSL says it
            // was reused (SSL_session_reused).
            assert_eq!(
                (r.offered, r.resumed, r.missed),
                (20, 20, 0),
                "{}: {r:?}",
                c.name
            );
            assert!(c.negotiated.iter().all(|n| n.resumed), "{}", c.name);
        }
        let half = case(sum, &name("half-13"));
        assert!(half.met, "{}", half.verdict);
        let r = half.resumption.as_ref().unwrap();
        assert_eq!((r.offered, r.resumed, r.missed), (10, 10, 0), "{r:?}");
    }
    super::support::assert_no_process_mentions(dir.path());
}

#[test]
fn a_case_that_names_no_groups_offers_what_stock_clients_do() {
    // At TLS 1.2 the client's curves bind the server's ECDSA certificate too (RFC 8422 5.1):
    // offering X25519 alone left an OpenSSL server with its P-256 certificate "no shared
    // cipher" before client authentication. The default offers P-256 and P-384 after X25519.
    let s = scenario(
        r#"
version = 1
[defaults]
load = { concurrency = 1, handshakes = 3, warmup = "0s" }
server = "openssl"
tls = { versions = ["1.2"] }
[[case]]
name = "tls12-default-groups"
"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_in(&s, dir.path());
    let c = case(&outcome.summary, "tls12-default-groups");
    assert!(c.met, "{}: {:?}", c.verdict, c.outcomes);
    let (version, _, group) = only_negotiated(c);
    assert_eq!(version, "TLSv1_2");
    // X25519 is still the one negotiated: the key share and the first preference.
    assert_eq!(group.as_deref(), Some("X25519"));
}
