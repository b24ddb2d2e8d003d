//! Issue 16's last figures over real sockets: the resumption exposure of a revoked client that
//! keeps resuming with tickets (measured and reported when the case says `record`, in the
//! comparison and the strategy section), and a sharded CRL over HTTP, of which the rustls
//! server downloads only the shard its client's certificate names.

use super::support::{assert_all, case, run_in, scenario};

#[test]
fn a_ticket_resuming_revoked_client_is_reported_as_resumption_exposure() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[[case]]
name = "exposure-resumed"
tls = { resumption = "tickets", tickets = 2 }
revocation = { mode = "crl", crl_entries = 10, reload = "300ms", revoke_after = "500ms", resumption_exposure = "record" }
load = { concurrency = 2, duration = "1500ms", warmup = "200ms" }
"#,
    );
    let out = run_in(&s, dir.path());
    let c = case(&out.summary, "exposure-resumed");
    // The verdict is the full-handshake window; the resumptions are a finding, said.
    assert!(c.met, "{}", c.verdict);
    assert!(
        c.verdict
            .contains("resumption exposure (recorded): it got in"),
        "{}",
        c.verdict
    );
    let e = c.exposure.as_ref().unwrap();
    let first = e.first_rejected_after_ms.expect("full handshakes refused");
    // rustls does not re-check revocation on resumption: every resumed probe got in, after
    // the full handshakes were refused, and still did when the probe stopped.
    assert!(e.resumed_after > 0, "{e:?}");
    assert_eq!(e.resumed_accepted_after, e.resumed_after, "{e:?}");
    let last = e.last_resumed_accepted_after_ms.unwrap();
    assert!(last > first, "{e:?}");
    assert!(e.resumption_open(), "{e:?}");
    // The comparison row carries the figure, and so does the strategy section.
    let row = &out.summary.revocation_comparison[0];
    assert_eq!(row.resumption_exposure_ms, Some(last));
    assert_eq!(row.resumption_exposure_open, Some(true));
    assert_eq!(row.resumption_expected.as_deref(), Some("record"));
    let strategy = out.summary.revocation_strategy.as_ref().unwrap();
    let measured = &strategy.measured.exposures;
    assert_eq!(measured.len(), 1, "{measured:?}");
    assert_eq!(measured[0].resumption_exposure_ms, Some(last));
    assert!(
        strategy
            .notes
            .iter()
            .any(|n| n.contains("resumed handshakes got in") && n.contains("exposure-resumed")),
        "{:?}",
        strategy.notes
    );
    let md = mtls_harness::report::revocation_markdown(&out.summary.revocation_comparison);
    assert!(
        md.contains("Which strategy for N clients") && md.contains("(open)"),
        "{md}"
    );
    assert_summary_matches_schema(dir.path());
}

fn assert_summary_matches_schema(dir: &std::path::Path) {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    super::schema::assert_valid(&super::schema::validator(), &json);
}

#[test]
fn a_sharded_crl_over_http_is_fetched_shard_by_shard() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 1
[defaults]
revocation = { mode = "crl-http", crl_entries = 200, crl_shards = 16 }
load = { concurrency = 2, handshakes = 20, warmup = "0s" }
[[case]]
name = "revoked"
client_cert = "revoked"
[[case]]
name = "valid"
"#,
    );
    let out = run_in(&s, dir.path());
    // The revoked client (serial 904) is listed in shard 904 mod 16 = 8, and refused.
    assert_all(&out.summary, "revoked", "cert_revoked", 20);
    assert_all(&out.summary, "valid", "accepted", 20);
    let shards = |name: &str| -> Vec<(String, u64, u64)> {
        let fetches = case(&out.summary, name)
            .crl_fetches
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no CRL fetches"));
        fetches
            .by_name
            .iter()
            .filter(|(n, _)| n.starts_with("leaf-s16-"))
            .map(|(n, c)| (n.clone(), c.requests, c.bytes))
            .collect()
    };
    // One shard downloaded once (no reload), every other shard never asked for.
    let revoked = shards("revoked");
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert_eq!(revoked[0].0, "leaf-s16-8.crl");
    assert_eq!(revoked[0].1, 1, "{revoked:?}");
    assert!(revoked[0].2 > 0, "{revoked:?}");
    let valid = shards("valid");
    assert_eq!(valid.len(), 1, "{valid:?}");
    assert_eq!(valid[0].1, 1, "{valid:?}");
    // The comparison row reports the traffic, against the size of all 16 shards.
    let row = out
        .summary
        .revocation_comparison
        .iter()
        .find(|r| r.case == "revoked")
        .unwrap();
    assert_eq!(row.crl_fetched, vec!["leaf-s16-8.crl".to_string()]);
    assert_eq!(row.crl_fetch_bytes, Some(revoked[0].2));
    assert!(
        row.crl_files_bytes.unwrap() > 4 * revoked[0].2,
        "{:?} vs {:?}",
        row.crl_files_bytes,
        revoked[0].2
    );
    assert_summary_matches_schema(dir.path());
}

#[test]
fn resumption_exposure_needs_a_revocation_and_resumption() {
    let text = r#"
version = 1
[[case]]
name = "no-revocation"
revocation = { mode = "crl", resumption_exposure = "record" }
[[case]]
name = "bad-value"
tls = { resumption = "tickets" }
revocation = { mode = "crl", revoke_after = "1s", reload = "1s", resumption_exposure = "ignore" }
"#;
    let err = mtls_harness::scenario::parse(text, std::path::Path::new("x.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "revocation.resumption_exposure needs revocation.revoke_after and tls.resumption"
        ),
        "{err}"
    );
    assert!(
        err.contains("resumption_exposure")
            && err.contains("\"refuse\"")
            && err.contains("\"record\""),
        "{err}"
    );
}
