//! OCSP on the Go, node and Java servers, as real processes after `scripts/install-peers.sh`:
//! each staples an OCSP response about its own certificate that the harness's client verifies
//! (the Go and node servers the one the runner fetched for them, JSSE one it fetches itself and
//! refreshes),
//! and the Java server checks client certificates against the harness's responder with
//! PKIX's OCSP client, hard-fail and soft-fail.

use std::collections::BTreeMap;

use super::support::{assert_all, assert_no_process_mentions, case, run_in, scenario};

const STAPLING_SERVERS: [&str; 3] = ["go", "node", "java"];

#[test]
fn go_node_and_java_servers_staple_a_response_the_client_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 1, handshakes = 4, warmup = "0s", timeout = "5s" }
[matrix]
server = ["go", "node", "java"]

[[case]]
name = "plain"

# Must-Staple: a handshake without a staple is refused, so an accepted one carried a good
# staple the client verified.
[[case]]
name = "must-staple"
revocation = { mode = "ocsp-stapling", must_staple = true }

[[case]]
name = "server-revoked"
revocation = { mode = "ocsp-stapling", server_revoked = true }

# The server is revoked 1 s into the run: a server that refreshes its staple (JSSE, every
# staple_refresh) staples the revoked answer soon after.
[[case]]
name = "revoked-mid-run"
revocation = { mode = "ocsp-stapling", staple_refresh = "1s", revoke_after = "1s" }
load = { concurrency = 1, duration = "3s", warmup = "0s", timeout = "5s" }
"#,
    );
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    for server in STAPLING_SERVERS {
        let name = |n: &str| format!("{n}[server={server}]");
        assert_all(sum, &name("plain"), "accepted", 4);
        assert_all(sum, &name("must-staple"), "accepted", 4);
        assert_all(sum, &name("server-revoked"), "staple_rejected", 4);
        // The staple is on the wire: the stapled handshakes carry more bytes from the server.
        let received = |n: &str| case(sum, &name(n)).bytes_received_per_handshake;
        assert!(
            received("must-staple") > received("plain") + 100.0,
            "{server}: {} vs {}",
            received("must-staple"),
            received("plain")
        );
    }
    // JSSE refreshes its staple: the clients before the revocation got in, those after it
    // refused the revoked staple. The Go and node servers staple what they were started with.
    let refreshed = case(sum, "revoked-mid-run[server=java]");
    assert!(refreshed.met, "{}", refreshed.verdict);
    for outcome in ["accepted", "staple_rejected"] {
        assert!(
            refreshed.outcomes.get(outcome).is_some_and(|&n| n > 0),
            "{:?}",
            refreshed.outcomes
        );
    }
    for server in ["go", "node"] {
        let c = case(sum, &format!("revoked-mid-run[server={server}]"));
        let reason = c.skipped.clone().unwrap_or_default();
        assert!(reason.contains("cannot refresh it"), "{server}: {reason}");
    }
    assert_no_process_mentions(dir.path());
}

#[test]
fn the_java_server_checks_client_certificates_with_ocsp() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
server = "java"
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 1, handshakes = 4, warmup = "0s", timeout = "5s" }

[[case]]
name = "good"
revocation = { mode = "ocsp" }

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
name = "nonce"
revocation = { mode = "ocsp", nonce = true }

[[case]]
name = "cache-ttl"
revocation = { mode = "ocsp", revoke_after = "1s", cache_ttl = "1s" }
load = { concurrency = 1, duration = "3s", warmup = "0s", timeout = "5s" }
"#,
    );
    let out = run_in(&s, dir.path());
    let sum = &out.summary;
    let only = |name: &str, outcome: &str| {
        let c = case(sum, name);
        assert_eq!(c.skipped, None, "{name}");
        assert_eq!(
            c.outcomes,
            BTreeMap::from([(outcome.to_string(), 4)]),
            "{name}: {}",
            c.verdict
        );
    };
    only("good", "accepted");
    // The server really asked: once per handshake (JSSE keeps no OCSP cache).
    let asked = case(sum, "good").responder.as_ref().unwrap();
    assert!(
        (0.95..=1.05).contains(&asked.queries_per_handshake),
        "{asked:?}"
    );
    // JSSE refuses every chain its PKIX trust manager fails with certificate_unknown.
    only("revoked", "certificate_unknown");
    only("down-hard", "certificate_unknown");
    only("down-soft", "accepted");
    // An answer it cannot trust is refused whatever the policy.
    only("forged-soft", "certificate_unknown");
    // What JSSE cannot do is skipped with the reason, never passed.
    for (name, why) in [
        ("nonce", "accepts one without a nonce"),
        ("cache-ttl", "keeps no OCSP cache"),
    ] {
        let reason = case(sum, name).skipped.clone().unwrap_or_default();
        assert!(reason.contains(why), "{name}: {reason}");
    }
    // JSSE's reason is in the server's log.
    let log = std::fs::read_dir(dir.path().join("peers"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("revoked") && n.ends_with("-server.log")
        })
        .unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("Certificate has been revoked"), "{text}");
    assert_no_process_mentions(dir.path());
}
