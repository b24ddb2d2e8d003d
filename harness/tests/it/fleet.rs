//! Fleets (`mtls-harness fleet`): on real parts over 127.0.0.1 (the harness's CA issuing, the
//! built-in server as a process, the OCSP responder over HTTP, full handshakes), with small
//! sizes: issuance follows the lifetime arithmetic while the server rotates, a storm queues
//! longer at the CA than a spread renewal, a mass revocation refuses until re-issuance, and
//! soft fail admits what hard fail refuses when the responder is down, slow or flooded.

use std::path::Path;

use mtls_harness::fleet::{self, FleetOptions, FleetReport};

use super::support::{harness_exe, repo_root};

fn run(text: &str, dir: &Path) -> FleetReport {
    let spec = fleet::parse(text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"));
    let opts = FleetOptions {
        harness_exe: harness_exe(),
        out_dir: dir.to_path_buf(),
        progress: false,
    };
    let report = fleet::run(&spec, &opts).unwrap();
    fleet::write_outputs(&report, dir).unwrap();
    // fleet.json is a contract: it matches the committed schema.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("fleet.json")).unwrap()).unwrap();
    super::schema::assert_matches("fleet.schema.json", &json);
    report
}

#[test]
fn issuance_count_matches_lifetime_arithmetic_while_the_server_rotates() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        r#"
[lifetimes]
lifetimes = ["24h"]
fleet = 86400
renew_at = 0.5
cost_samples = 5
compressed_lifetime = "2s"
clients = 4
workers = 2
window = "2500ms"
"#,
        dir.path(),
    );
    let l = r.lifetimes.unwrap();
    let row = &l.rows[0];
    // 86,400 clients renewing every 12 h: 2 issuances per second, exposure 24 h at most.
    assert_eq!(row.issuance_per_sec, 2.0);
    assert_eq!(row.exposure_max_s, 86_400.0);
    assert_eq!(row.exposure_min_s, 43_200.0);
    let c = &row.compressed;
    assert_eq!(c.factor, 43_200.0);
    // Period 1 s, window 2.5 s, holders at offsets 0, .25, .5, .75: 3 + 3 + 2 + 2.
    assert_eq!(c.renewals_expected, 10);
    assert_eq!(c.renewals_issued, 10, "{c:?}");
    assert_eq!(c.queue.failed, 0);
    // The server renewed at 1 s and 2 s and rotated to each without a failed handshake.
    assert_eq!(c.server_renewals, 2);
    assert!(c.server_rotations >= 1, "{c:?}");
    assert!(c.handshakes.outcomes.accepted > 0);
    assert_eq!(c.handshakes.outcomes.failed(), 0, "{c:?}");
    assert!(l.costs[0].sign_cpu_us > 0.0 && l.costs[0].chain_bytes > l.costs[0].cert_bytes);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("fleet.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert!(std::fs::read_to_string(dir.path().join("report.md"))
        .unwrap()
        .contains("Compressed runs"));
}

#[test]
fn a_storm_queues_longer_at_the_ca_than_a_spread_renewal_and_a_mass_revocation_refuses_until_reissued(
) {
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        r#"
[storm]
clients = 80
lifetime = "2s"
renew_at = 0.5
spread = [0.3, 0.8]
workers = 2
mass_revocation = true
"#,
        dir.path(),
    );
    let s = r.storm.unwrap();
    let (storm, spread) = (&s.rows[0], &s.rows[1]);
    assert_eq!(
        (storm.kind.as_str(), spread.kind.as_str()),
        ("storm", "spread")
    );
    assert_eq!(storm.queue.issued, 80);
    assert_eq!(spread.queue.issued, 80);
    // 80 requests at one moment wait behind each other (the median one behind 40); spread
    // over 1 s they hardly wait.
    assert!(
        storm.queue.latency_p50_ms > spread.queue.latency_p50_ms,
        "storm {:?} spread {:?}",
        storm.queue,
        spread.queue
    );
    let m = s.mass_revocation.unwrap();
    assert_eq!(m.queue.issued, 80);
    // A handshake counts in the phase it started in: one in flight at the revocation (at
    // most one per loop) is refused by the check that comes after it.
    assert!(m.before.outcomes.accepted > 0, "{m:?}");
    assert!(m.before.outcomes.cert_revoked <= 2, "{m:?}");
    assert_eq!(
        m.before.outcomes.failed(),
        m.before.outcomes.cert_revoked,
        "{m:?}"
    );
    assert!(m.during.outcomes.cert_revoked > 0, "{m:?}");
    assert_eq!(m.after.outcomes.failed(), 0, "{m:?}");
    assert!(m.after.outcomes.accepted > 0, "{m:?}");
}

#[test]
fn soft_fail_admits_when_the_responder_is_down_slow_or_flooded_and_hard_fail_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        r#"
[responder]
fleets = [12]
concurrency = 4
query_timeout = "150ms"
slow_delay = "300ms"
saturation_clients = 6
flood = 200

[strategy]
fleets = [1000]
max_exposure = ["1h"]
"#,
        dir.path(),
    );
    let p = r.responder.unwrap();
    let cap = &p.capacity[0];
    assert_eq!(cap.fleet, 12);
    assert!(cap.queries_per_sec > 0.0);
    assert_eq!(cap.query_failures, 0, "{cap:?}");
    assert_eq!(cap.handshake_failures, 0, "{cap:?}");
    let row = |state: &str, policy: &str| {
        p.saturation
            .iter()
            .find(|s| s.responder == state && s.policy == policy)
            .unwrap()
            .clone()
    };
    for policy in ["soft", "hard"] {
        let normal = row("normal", policy);
        assert_eq!(normal.outcomes.accepted, 6, "{normal:?}");
        assert_eq!(normal.admitted_without_fresh_answer, 0);
    }
    for state in ["slow", "down"] {
        let soft = row(state, "soft");
        let hard = row(state, "hard");
        assert_eq!(soft.outcomes.accepted, 6, "{soft:?}");
        assert_eq!(soft.admitted_without_fresh_answer, 6);
        assert_eq!(hard.outcomes.accepted, 0, "{hard:?}");
        assert_eq!(hard.outcomes.failed(), 6);
    }
    // Flooded by other clients' queries: soft fail admits everyone whatever the responder
    // managed; hard fail only those it answered in time.
    let (soft, hard) = (row("overloaded", "soft"), row("overloaded", "hard"));
    assert!(soft.flood_answers > 0 && hard.flood_answers > 0, "{soft:?}");
    assert_eq!(soft.outcomes.accepted, 6, "{soft:?}");
    assert_eq!(
        hard.outcomes.accepted + hard.outcomes.failed(),
        6,
        "{hard:?}"
    );
    // The strategy table is computed from the measured capacity, not a written figure.
    let t = r.strategy.unwrap();
    assert_eq!(
        t.measured.responder_queries_per_sec,
        Some(cap.queries_per_sec)
    );
    assert_eq!(t.measured.soft_fail_admitted_down, Some((6, 6)));
    assert!(t.measured.sign_cpu_us.is_none());
}

#[test]
fn a_fleet_scenario_names_each_bad_key_with_its_line_and_bounds_sizes() {
    let err = fleet::parse(
        "[storm]\nclients = 1000000000\nlifetime = \"1s\"\nspread = [0.9, 0.2]\ncolour = 1\n",
        Path::new("bad.toml"),
    )
    .unwrap_err()
    .to_string();
    for needle in [
        "bad.toml:2: storm.clients: expected an integer from 1 to 20000",
        "bad.toml:3: storm.lifetime",
        "bad.toml:4: storm.spread",
        "bad.toml:5: storm.colour: unknown key",
    ] {
        assert!(err.contains(needle), "{needle:?} not in:\n{err}");
    }
    assert!(fleet::parse("name = \"x\"\n", Path::new("empty.toml")).is_err());
}

#[test]
fn shipped_fleet_scenarios_are_valid() {
    let dir = repo_root().join("scenarios/fleet");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            fleet::load(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert_eq!(n, 3);
}
