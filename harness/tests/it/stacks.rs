//! The stacks added after OpenSSL and rustls, as real processes after
//! `scripts/install-peers.sh`: HAProxy, `gnutls-serv`, a node https server and the Go
//! crypto/tls and Java JSSE servers (built on first use) as servers (a valid client accepted,
//! bad credentials refused with the outcome each stack produces, resumption where it claims
//! it, the peer's own log of its refusals (node's read back into the summary), no process left
//! behind), OCSP stapling by HAProxy and `gnutls-serv`, and `curl` and `gnutls-cli` as clients
//! against the built-in rustls server (accepted, a bad credential refused, what each cannot do
//! skipped with the reason).

use std::collections::BTreeMap;

use super::support::{assert_no_process_mentions, case, run_in, scenario};

const SERVERS: [&str; 5] = ["haproxy", "gnutls-serv", "node", "go", "java"];

/// The outcome class each new server gives a credential: HAProxy sends OpenSSL's alert;
/// GnuTLS sends access_denied for every certificate that fails verification; node lets the
/// handshake finish and closes the connection without an alert; Go 1.19 sends bad_certificate
/// for everything, a missing certificate in TLS 1.3 included; JSSE (OpenJDK 17.0.15) sends
/// bad_certificate for a missing certificate ("Empty client certificate chain") and
/// certificate_unknown for every chain its trust manager refuses.
fn expected(server: &str, case: &str) -> &'static str {
    match (case, server) {
        ("valid" | "resumed", _) => "accepted",
        (_, "go") | ("no-cert", "java") => "bad_certificate",
        ("no-cert", _) => "cert_required",
        (_, "java") => "certificate_unknown",
        (_, "gnutls-serv") => "access_denied",
        (_, "node") => "closed_without_verdict",
        ("expired", _) => "cert_expired",
        ("unknown-ca", _) => "unknown_ca",
        ("revoked", _) => "cert_revoked",
        _ => unreachable!("{case}"),
    }
}

/// A line of each server's log that names the refusal of an expired client.
fn logged_refusal(server: &str) -> &'static str {
    match server {
        "haproxy" => "SSL client certificate not trusted",
        "gnutls-serv" => "Error in handshake: Error in the certificate.",
        "go" => "tls: failed to verify client certificate: x509: certificate has expired",
        // OpenJDK 17.0.15 names no alert in the message; later JDKs prefix
        // "(certificate_unknown) ".
        "java" => "SSLHandshakeException: PKIX path validation failed",
        _ => "CERT_HAS_EXPIRED",
    }
}

#[test]
fn new_servers_accept_a_valid_client_and_refuse_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 2, handshakes = 4, warmup = "0s", timeout = "5s" }
[matrix]
server = ["haproxy", "gnutls-serv", "node", "go", "java"]

[[case]]
name = "valid"

[[case]]
name = "no-cert"
client_cert = "none"

[[case]]
name = "expired"
client_cert = "expired"

[[case]]
name = "unknown-ca"
client_cert = "unknown-ca"

[[case]]
name = "revoked"
client_cert = "revoked"
revocation = { mode = "crl" }

# TLS 1.2: node's server sends no new ticket after a resumed TLS 1.3 handshake, so the rustls
# client, which uses each ticket once, resumes only two handshakes in three there. The 2 s warm-up covers the JVM's cold start (the java server's first
# handshakes take hundreds of milliseconds), so every measured handshake can offer a session.
[[case]]
name = "resumed"
tls = { versions = ["1.2"], groups = ["x25519", "secp256r1"], resumption = "tickets" }
load = { concurrency = 1, handshakes = 4, warmup = "2s", timeout = "5s" }
"#,
    );
    let out = run_in(&s, dir.path());
    for server in SERVERS {
        for name in [
            "valid",
            "no-cert",
            "expired",
            "unknown-ca",
            "revoked",
            "resumed",
        ] {
            let c = case(&out.summary, &format!("{name}[server={server}]"));
            assert_eq!(c.skipped, None, "{server} {name}: skipped");
            assert_eq!(c.error, None, "{server} {name}");
            assert_eq!(
                c.outcomes,
                BTreeMap::from([(expected(server, name).to_string(), 4)]),
                "{server} {name}: {}",
                c.verdict
            );
        }
        if server == "node" {
            // node closes without an alert; the summary names the reason it logged.
            for (name, said) in [
                (
                    "expired",
                    "CERT_HAS_EXPIRED x4 (OpenSSL's alert for it: cert_expired)",
                ),
                (
                    "revoked",
                    "CERT_REVOKED x4 (OpenSSL's alert for it: cert_revoked)",
                ),
                ("unknown-ca", "(OpenSSL's alert for it: unknown_ca)"),
            ] {
                let c = case(&out.summary, &format!("{name}[server=node]"));
                let verdict = c.peer_verdict.clone().unwrap_or_default();
                assert!(verdict.contains(said), "node {name}: {verdict}");
            }
        }
        let resumed = case(&out.summary, &format!("resumed[server={server}]"));
        let r = resumed.resumption.as_ref().unwrap();
        assert_eq!((r.missed, r.resumed_pct), (0, 100.0), "{server}");
        // The peer's own account of the refusal is kept in the run directory.
        let log = std::fs::read_dir(dir.path().join("peers"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                let n = p.file_name().unwrap().to_string_lossy().into_owned();
                n.starts_with("expired") && n.contains(server) && n.ends_with("-server.log")
            })
            .unwrap_or_else(|| panic!("no log of {server}"));
        let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
        assert!(
            text.contains(logged_refusal(server)),
            "{server}: {}",
            log.display()
        );
    }
    // HAProxy's crt file holds the key: 0600.
    let pem = std::fs::read_dir(dir.path().join("peers"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with("-haproxy"))
        .map(|e| e.path().join("server.pem"))
        .unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(pem).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_no_process_mentions(dir.path());
}

#[test]
fn new_clients_work_against_the_built_in_server_and_skip_what_they_cannot_send() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
server = "rustls"
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 1, handshakes = 3, warmup = "0s", timeout = "5s" }
[matrix]
client = ["curl", "gnutls-cli"]

[[case]]
name = "valid"

[[case]]
name = "valid-tls12"
tls = { versions = ["1.2"], groups = ["x25519", "secp256r1"] }

[[case]]
name = "expired"
client_cert = "expired"

[[case]]
name = "no-cert"
client_cert = "none"

[[case]]
name = "mismatched-key"
client_cert = "mismatched-key"

[[case]]
name = "resumed"
tls = { versions = ["1.3"], groups = ["x25519"], resumption = "tickets" }
"#,
    );
    let out = run_in(&s, dir.path());
    for client in ["curl", "gnutls-cli"] {
        let got = |name: &str| case(&out.summary, &format!("{name}[client={client}]"));
        for (name, want, version) in [
            ("valid", "accepted", "TLSv1_3"),
            ("valid-tls12", "accepted", "TLSv1_2"),
            ("expired", "cert_expired", ""),
            ("no-cert", "cert_required", ""),
        ] {
            let c = got(name);
            assert_eq!(c.skipped, None, "{client} {name}");
            assert_eq!(
                c.outcomes,
                BTreeMap::from([(want.to_string(), 3)]),
                "{client} {name}: {}",
                c.verdict
            );
            if want == "accepted" {
                assert!(
                    c.negotiated.iter().all(|n| n.version == version),
                    "{client} {name}"
                );
            }
        }
        // Resumption across processes: neither program can carry a session to the next one.
        let reason = got("resumed").skipped.clone().unwrap_or_default();
        assert!(reason.contains(client), "{client}: {reason}");
    }
    // curl (OpenSSL) will not load a key that does not match its certificate; gnutls-cli
    // sends it, and the server's CertificateVerify check refuses it.
    let reason = case(&out.summary, "mismatched-key[client=curl]")
        .skipped
        .clone()
        .unwrap_or_default();
    assert!(reason.contains("curl refuses to load"), "{reason}");
    let c = case(&out.summary, "mismatched-key[client=gnutls-cli]");
    assert_eq!(
        c.outcomes,
        BTreeMap::from([("decrypt_error".to_string(), 3)]),
        "{}",
        c.verdict
    );
    assert_no_process_mentions(dir.path());
}

#[test]
fn haproxy_and_gnutls_serv_staple_the_response_fetched_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[defaults]
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 1, handshakes = 2, warmup = "0s", timeout = "5s" }
[matrix]
server = ["haproxy", "gnutls-serv"]

[[case]]
name = "good"
revocation = { mode = "ocsp-stapling" }

[[case]]
name = "revoked"
revocation = { mode = "ocsp-stapling", server_revoked = true }
"#,
    );
    let out = run_in(&s, dir.path());
    for server in ["haproxy", "gnutls-serv"] {
        let c = case(&out.summary, &format!("good[server={server}]"));
        assert_eq!(
            c.outcomes,
            BTreeMap::from([("accepted".to_string(), 2)]),
            "{server}: {}",
            c.verdict
        );
    }
    // HAProxy staples the revoked answer and the client refuses it; gnutls-serv will not
    // start with it.
    let c = case(&out.summary, "revoked[server=haproxy]");
    assert_eq!(
        c.outcomes,
        BTreeMap::from([("staple_rejected".to_string(), 2)]),
        "{}",
        c.verdict
    );
    let reason = case(&out.summary, "revoked[server=gnutls-serv]")
        .skipped
        .clone()
        .unwrap_or_default();
    assert!(
        reason.contains("will not start with a response that says revoked"),
        "{reason}"
    );
    // The staple sits next to HAProxy's crt file, as `<crt>.ocsp`.
    let staged = std::fs::read_dir(dir.path().join("peers"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with("-haproxy"))
        .all(|e| e.path().join("server.pem.ocsp").is_file());
    assert!(staged);
    assert_no_process_mentions(dir.path());
}

/// gnutls-serv prints a line per verified client on stdout ("- Status: The certificate is
/// trusted."). Its stdout once went to a pipe nobody read: after about 1,700 handshakes (64 KiB)
/// it blocked on the write and every connection stalled until its timeout. Now its output goes
/// to its log, as HAProxy's and nginx's does: 2,500 handshakes (about 97 KB of output) are all
/// accepted, and more than 64 KiB of it reached the log.
#[test]
fn gnutls_serv_never_stalls_on_its_own_output() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 8
[defaults]
server = "gnutls-serv"
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 8, handshakes = 2500, warmup = "0s", timeout = "5s" }

[[case]]
name = "many"
"#,
    );
    let out = run_in(&s, dir.path());
    let c = case(&out.summary, "many");
    assert_eq!(
        c.outcomes,
        BTreeMap::from([("accepted".to_string(), 2500)]),
        "{}",
        c.verdict
    );
    let log = std::fs::read_to_string(dir.path().join("peers/many-server.log")).unwrap();
    // More than a pipe's 64 KiB reached the log (its last few KiB sit in gnutls-serv's stdio
    // buffer when it is stopped).
    let line = "- Status: The certificate is trusted. \n";
    let trusted = log.matches(line).count();
    assert!(
        trusted * line.len() > 64 * 1024,
        "{trusted} lines in the log"
    );
    assert_no_process_mentions(dir.path());
}
