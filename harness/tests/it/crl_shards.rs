//! Sharded and delta CRLs against real servers: a CRL split by serial into shards, each
//! naming its URL in an Issuing Distribution Point and each client certificate naming its
//! shard, refuses the revoked client (in shard 1 of 7) and admits a good one on rustls, the
//! OpenSSL server, `s_server` and nginx; a base CRL plus a delta CRL listing the revoked client
//! refuses it where the stack takes deltas, and rustls is skipped with webpki's reason;
//! OpenSSL without extended CRL support lets a newer delta stand in for its base.

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
server = ["rustls", "openssl", "s_server", "nginx"]

[[case]]
name = "good"

[[case]]
name = "revoked"
client_cert = "revoked"
"#,
    );
    let out = run_in(&s, dir.path());
    for server in ["rustls", "openssl", "s_server", "nginx"] {
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
    assert_eq!(out.summary.revocation_per_stack.len(), 4);
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

/// Why the OpenSSL server sets `EXTENDED_CRL_SUPPORT` with `USE_DELTAS` (and s_server gets
/// `-extended_crl`): without it OpenSSL scores a delta CRL like a complete one and takes the
/// newest, so a newer delta that does not list a client revoked in its base lets that client
/// in. With both flags the base still counts.
#[test]
fn openssl_without_extended_crl_support_takes_a_newer_delta_for_the_whole_crl() {
    use mtls_harness::pki::{self, ClientCert, CrlKind, KeyType, PkiSpec};
    use openssl::ssl::SslFiletype;
    use openssl::stack::Stack;
    use openssl::x509::store::{X509Lookup, X509StoreBuilder};
    use openssl::x509::verify::X509VerifyFlags;
    use openssl::x509::{X509StoreContext, X509};

    let dir = tempfile::tempdir().unwrap();
    let mut spec = PkiSpec::new(KeyType::EcdsaP256, 2);
    spec.revocation_url = Some("http://127.0.0.1:9".into());
    spec.crl_delta = Some(true);
    let pki = pki::generate(&spec).unwrap();
    let files = pki::write_pki(&pki, dir.path()).unwrap();
    // The base lists the revoked client (thisUpdate a day before the 2026-01-01 anchor); the
    // delta (thisUpdate a day ago) lists only another serial.
    let base = pki::issue_crl(&pki, 10, 1, &[], CrlKind::Fresh).unwrap();
    let delta =
        mtls_harness::revocation::delta_crl::issue(&files, &base, 1, 2, &[pki::VICTIM_SERIAL])
            .unwrap();
    let crls = dir.path().join("base-and-delta.pem");
    pki::write_crls(&[base, delta], &crls).unwrap();
    let revoked = &pki
        .bad_clients
        .iter()
        .find(|(kind, _)| *kind == ClientCert::Revoked)
        .unwrap()
        .1;
    let verifies = |flags: X509VerifyFlags| {
        let mut store = X509StoreBuilder::new().unwrap();
        store.add_cert(X509::from_der(&pki.root).unwrap()).unwrap();
        store
            .add_lookup(X509Lookup::file())
            .unwrap()
            .load_crl_file(&crls, SslFiletype::PEM)
            .unwrap();
        store.set_flags(flags).unwrap();
        let store = store.build();
        let leaf = X509::from_der(&revoked.chain[0]).unwrap();
        let mut chain = Stack::new().unwrap();
        for c in &revoked.chain[1..] {
            chain.push(X509::from_der(c).unwrap()).unwrap();
        }
        let mut ctx = X509StoreContext::new().unwrap();
        ctx.init(&store, &leaf, &chain, |c| c.verify_cert())
            .unwrap()
    };
    assert!(verifies(X509VerifyFlags::CRL_CHECK));
    assert!(verifies(
        X509VerifyFlags::CRL_CHECK | X509VerifyFlags::USE_DELTAS
    ));
    assert!(!verifies(
        X509VerifyFlags::CRL_CHECK
            | X509VerifyFlags::USE_DELTAS
            | X509VerifyFlags::EXTENDED_CRL_SUPPORT
    ));
}
