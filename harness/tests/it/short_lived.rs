//! Short-lived certificates: clients renew and the server rotates its certificate during the
//! load without a single failed handshake; a client that is no longer renewed is refused with
//! `certificate_expired` once its last certificate runs out.

use super::support::{case, run_in, scenario};

#[test]
fn renewal_and_rotation_lose_no_handshake_and_an_unrenewed_client_expires() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 4
[[case]]
name = "short"
revocation = { mode = "short-lived", cert_lifetime = "2s", renew_at = 0.5, revoke_after = "500ms", fleet = 1000 }
load = { concurrency = 4, duration = "4500ms", warmup = "200ms", timeout = "3s" }
"#,
    );
    let out = run_in(&s, dir.path());
    let c = case(&out.summary, "short");
    assert!(c.met, "{}", c.verdict);
    // Every handshake of the load was accepted across the renewals and rotations.
    assert_eq!(c.outcomes.len(), 1, "{:?}", c.outcomes);
    assert!(c.outcomes["accepted"] > 0);
    let f = c.short_lived.as_ref().unwrap();
    assert!(f.server_renewals >= 3, "{f:?}");
    // The server rotated to every certificate written while it ran (the last one may land as
    // the load ends, after the server's last look).
    assert!(f.server_rotations >= 3, "{f:?}");
    assert!(f.server_rotations + 1 >= f.server_renewals, "{f:?}");
    assert!(f.server_rotations <= f.server_renewals, "{f:?}");
    assert!(f.client_renewals >= 3 * 4, "{f:?}");
    assert_eq!(f.renewal_failures, 0);
    assert!(f.issuance_per_sec > 0.0);
    assert_eq!(f.fleet, 1000);
    // 1000 holders renewing every second.
    assert!((f.fleet_renewals_per_sec - 1000.0).abs() < 0.1, "{f:?}");
    // The victim stopped renewing 500 ms into the window: its last certificate expires at
    // most one lifetime later.
    let e = c.exposure.as_ref().unwrap();
    assert!(e.accepted_before > 0, "{e:?}");
    let first = e.first_rejected_after_ms.unwrap();
    assert!(first <= 2_600.0, "{e:?}");
    assert_eq!(
        e.rejected_with.map(|o| o.to_string()).as_deref(),
        Some("cert_expired")
    );
}
