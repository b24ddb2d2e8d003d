//! The Go crypto/tls and Java JSSE client programs (built on first use, one process per case
//! driven through its stdin) as real processes: accepted by a valid server over TLS 1.3 and
//! 1.2, refused with the class each stack's error text maps to (the built-in rustls server's
//! alerts, Go's `bad_certificate` and JSSE's `certificate_unknown`), every bad credential sent,
//! sessions resumed inside the process where the stack can, and no process left behind. Also
//! the README's peer tables: they are `mtls-harness peers`, generated from the capability
//! records.

use std::collections::BTreeMap;

use mtls_harness::peers::capabilities;

use super::support::{assert_no_process_mentions, case, harness_exe, repo_root, run_in, scenario};

const CLIENTS: [&str; 2] = ["go", "java"];

#[test]
fn go_and_java_clients_are_accepted_refused_and_resume() {
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
client = ["go", "java"]

[[case]]
name = "valid"

[[case]]
name = "valid-tls12"
tls = { versions = ["1.2"], groups = ["x25519", "secp256r1"] }

[[case]]
name = "no-cert"
client_cert = "none"

[[case]]
name = "unknown-ca"
client_cert = "unknown-ca"

[[case]]
name = "revoked"
client_cert = "revoked"
revocation = { mode = "crl" }

# Both send a key that does not match the certificate; the server's CertificateVerify check
# refuses it.
[[case]]
name = "mismatched-key"
client_cert = "mismatched-key"

[[case]]
name = "resumed"
tls = { versions = ["1.3"], groups = ["x25519"], resumption = "tickets" }

[[case]]
name = "session-id"
tls = { versions = ["1.2"], groups = ["x25519", "secp256r1"], resumption = "session-id" }

# Each stack's name for another server's alert: Go 1.19's server sends bad_certificate
# (`remote error: tls: bad certificate`, `Received fatal alert: bad_certificate`).
[[case]]
name = "expired-at-go"
server = "go"
client_cert = "expired"
"#,
    );
    let out = run_in(&s, dir.path());
    for client in CLIENTS {
        let got = |name: &str| case(&out.summary, &format!("{name}[client={client}]"));
        for (name, want, version) in [
            ("valid", "accepted", "TLSv1_3"),
            ("valid-tls12", "accepted", "TLSv1_2"),
            ("no-cert", "cert_required", ""),
            ("unknown-ca", "unknown_ca", ""),
            ("revoked", "cert_revoked", ""),
            ("mismatched-key", "decrypt_error", ""),
            ("resumed", "accepted", "TLSv1_3"),
            ("expired-at-go", "bad_certificate", ""),
        ] {
            let c = got(name);
            assert_eq!(c.skipped, None, "{client} {name}");
            assert_eq!(c.error, None, "{client} {name}");
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
        // The first handshake of the process has no session; the next two offer and resume.
        let r = got("resumed").resumption.clone().unwrap();
        assert_eq!((r.offered, r.resumed, r.missed), (2, 2, 0), "{client}");
    }
    // crypto/tls resumes TLS 1.2 by tickets only; JSSE by session ID too.
    let reason = case(&out.summary, "session-id[client=go]")
        .skipped
        .clone()
        .unwrap_or_default();
    assert!(reason.contains("never by session ID"), "{reason}");
    let c = case(&out.summary, "session-id[client=java]");
    let r = c.resumption.clone().unwrap();
    assert_eq!((r.offered, r.resumed, r.missed), (2, 2, 0), "{}", c.verdict);
    // Each program's stderr is kept next to its files.
    let logs = std::fs::read_dir(dir.path().join("peers"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with("-client"))
        .filter(|e| {
            ["go-client-1.log", "java-client-1.log"]
                .iter()
                .any(|l| e.path().join(l).exists())
        })
        .count();
    assert_eq!(logs, 17);
    assert_no_process_mentions(dir.path());
}

#[test]
fn java_server_alerts_are_read_by_the_go_and_java_clients() {
    // JSSE sends certificate_unknown for every chain its trust manager refuses: Go reads it as
    // `remote error: tls: unknown certificate`, JSSE as `Received fatal alert:
    // certificate_unknown`.
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[defaults]
server = "java"
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 1, handshakes = 2, warmup = "0s", timeout = "5s" }
[matrix]
client = ["go", "java"]

[[case]]
name = "valid"

[[case]]
name = "unknown-ca"
client_cert = "unknown-ca"
"#,
    );
    let out = run_in(&s, dir.path());
    for client in CLIENTS {
        for (name, want) in [("valid", "accepted"), ("unknown-ca", "certificate_unknown")] {
            let c = case(&out.summary, &format!("{name}[client={client}]"));
            assert_eq!(
                c.outcomes,
                BTreeMap::from([(want.to_string(), 2)]),
                "{client} {name}: {}",
                c.verdict
            );
        }
    }
    assert_no_process_mentions(dir.path());
}

#[test]
fn readme_peer_tables_are_the_capability_records() {
    let printed = std::process::Command::new(harness_exe())
        .arg("peers")
        .output()
        .unwrap();
    assert!(printed.status.success());
    let printed = String::from_utf8(printed.stdout).unwrap();
    assert_eq!(printed, capabilities::markdown());
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find(capabilities::BEGIN_MARKER)
        .expect("the README has no generated peer tables");
    let end = readme[start..]
        .find(capabilities::END_MARKER)
        .map(|e| start + e + capabilities::END_MARKER.len())
        .expect("the README's peer tables have no end marker");
    let want = capabilities::readme_block();
    assert!(
        readme[start..end] == want,
        "README.md's peer tables differ from the capability records: replace the block between \
         the markers with `mtls-harness peers`.\n--- README\n{}\n--- records\n{want}",
        &readme[start..end]
    );
}
