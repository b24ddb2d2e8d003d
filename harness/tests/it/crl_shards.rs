//! Sharded and delta CRLs against real servers: a CRL split by serial into shards, each
//! naming its URL in an Issuing Distribution Point and each client certificate naming its
//! shard, refuses the revoked client (in shard 1 of 7) and admits a good one on rustls, the
//! OpenSSL server and `s_server`; a base CRL plus a delta CRL listing the revoked client
//! refuses it where the stack takes deltas, and rustls is skipped with webpki's reason.

use std::path::Path;

use super::support::{case, openssl, run_in, scenario};

/// Whether `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir` whose name satisfies `pick`.
fn files(dir: &Path, pick: &dyn Fn(&str) -> bool) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path, pick));
        } else if pick(&path.file_name().unwrap().to_string_lossy()) {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_sharded_crl_refuses_the_revoked_client_in_its_shard_and_admits_a_good_one() {
    let _ = openssl();
    let dir = tempfile::tempdir().unwrap();
    // 904 (the revoked client's serial) mod 7 = 1.
    let s = scenario(
        r#"
version = 1
[pki]
identities = 8
[defaults]
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 2, handshakes = 8, warmup = "0s", timeout = "5s" }
revocation = { mode = "crl", crl_shards = 7, crl_entries = 700 }
[matrix]
server = ["rustls", "openssl", "s_server"]

[[case]]
name = "good"

[[case]]
name = "revoked"
client_cert = "revoked"
"#,
    );
    let out = run_in(&s, dir.path());
    for server in ["rustls", "openssl", "s_server"] {
        let good = case(&out.summary, &format!("good[server={server}]"));
        assert_eq!(good.skipped, None, "{server}");
        assert_eq!(
            good.outcomes.get("accepted"),
            Some(&8),
            "{server}: {}",
            good.verdict
        );
        let revoked = case(&out.summary, &format!("revoked[server={server}]"));
        assert_eq!(
            revoked.outcomes.get("cert_revoked"),
            Some(&8),
            "{server}: {}",
            revoked.verdict
        );
        assert!(revoked.met, "{server}: {}", revoked.verdict);
        let files = good.crl_files.as_ref().unwrap();
        assert_eq!(files.shards, 7);
        // 700 fillers over 7 shards, the revoked client in one: no shard holds them all.
        assert!(
            files.largest_shard_bytes * 4 < files.total_bytes,
            "{files:?}"
        );
    }
    // The shard figures and the per-stack view are in summary.json, as its schema says.
    let json = serde_json::to_value(&out.summary).unwrap();
    super::schema::assert_valid(&super::schema::validator(), &json);
    assert_eq!(out.summary.revocation_per_stack.len(), 3);
    // The revoked client names shard 1 in its distribution point; shard 1 of the CRL file
    // names the same URL in its Issuing Distribution Point.
    let pki = dir.path().join("pki");
    let cert = files(&pki, &|n| n == "revoked.crt");
    let cert = std::fs::read(&cert[0]).unwrap();
    let der = pem::parse(&cert).unwrap().into_contents();
    assert!(contains(&der, b"/crl/leaf-s7-1.crl"));
    let crl = files(&pki, &|n| n == "crl-700-s7.pem");
    let blocks = pem::parse_many(std::fs::read(&crl[0]).unwrap()).unwrap();
    assert_eq!(blocks.len(), 7);
    assert!(contains(blocks[1].contents(), b"/crl/leaf-s7-1.crl"));
    assert!(!contains(blocks[2].contents(), b"/crl/leaf-s7-1.crl"));
}

#[test]
fn a_delta_crl_refuses_the_client_it_lists_where_the_stack_takes_deltas() {
    let _ = openssl();
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[defaults]
tls = { versions = ["1.3"], groups = ["x25519"] }
load = { concurrency = 1, handshakes = 4, warmup = "0s", timeout = "5s" }
revocation = { mode = "crl", crl_delta = true, crl_entries = 50 }
[matrix]
server = ["openssl", "s_server", "rustls"]

[[case]]
name = "good"

[[case]]
name = "revoked"
client_cert = "revoked"
"#,
    );
    let out = run_in(&s, dir.path());
    for server in ["openssl", "s_server"] {
        let good = case(&out.summary, &format!("good[server={server}]"));
        assert_eq!(
            good.outcomes.get("accepted"),
            Some(&4),
            "{server}: {}",
            good.verdict
        );
        let revoked = case(&out.summary, &format!("revoked[server={server}]"));
        assert_eq!(
            revoked.outcomes.get("cert_revoked"),
            Some(&4),
            "{server}: {}",
            revoked.verdict
        );
        let files = good.crl_files.as_ref().unwrap();
        assert!(files.delta_bytes.is_some_and(|d| d < files.total_bytes));
    }
    let rustls = case(&out.summary, "revoked[server=rustls]");
    let reason = rustls.skipped.as_deref().unwrap_or_default();
    assert!(reason.contains("UnsupportedDeltaCrl"), "{reason}");
}

#[test]
fn bad_shard_counts_and_modes_are_problems_with_their_place() {
    for (table, expected) in [
        (
            "{ mode = \"crl\", crl_shards = 0 }",
            "an integer from 1 to 1024",
        ),
        (
            "{ mode = \"crl\", crl_shards = 5000 }",
            "an integer from 1 to 1024",
        ),
        (
            "{ mode = \"ocsp\", crl_shards = 4 }",
            "crl_shards needs revocation.mode = \"crl\"",
        ),
        (
            "{ mode = \"crl\", crl_shards = 4, crl_delta = true }",
            "cannot be combined",
        ),
    ] {
        let text = format!("version = 1\n[[case]]\nname = \"x\"\nrevocation = {table}\n");
        let e = mtls_harness::scenario::parse(&text, Path::new("s.toml"))
            .err()
            .unwrap_or_else(|| panic!("{table}: accepted"))
            .to_string();
        assert!(e.contains(expected), "{table}: {e}");
        assert!(e.contains("s.toml:"), "{table}: {e}");
    }
}
