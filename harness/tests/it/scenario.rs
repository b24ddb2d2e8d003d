//! Scenario parsing: the shipped files, and every kind of problem with its file, key and line.

use std::path::Path;
use std::time::Duration;

use mtls_harness::measure::Outcome;
use mtls_harness::pki::{ClientCert, KeyType};
use mtls_harness::scenario::{self, Expectation, ScenarioError, Schedule, Stop, TlsVersion};

use super::support::repo_root;

/// The problems of an invalid scenario, as `line: key: message` strings.
fn problems(text: &str) -> Vec<String> {
    match scenario::parse(text, Path::new("bad.toml")) {
        Ok(s) => panic!("expected problems, got {} cases", s.cases.len()),
        Err(ScenarioError::Invalid { problems, .. }) => problems
            .iter()
            .map(|p| {
                assert_eq!(p.file, Path::new("bad.toml"));
                format!(
                    "{}: {}: {}",
                    p.line.map_or("-".into(), |l| l.to_string()),
                    p.key,
                    p.message
                )
            })
            .collect(),
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn assert_has(problems: &[String], needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "no problem contains {needle:?}; got:\n{}",
        problems.join("\n")
    );
}

#[test]
fn shipped_scenarios_are_valid() {
    let dir = repo_root().join("scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let s = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(!s.cases.is_empty());
            n += 1;
        }
    }
    assert!(n >= 1);
}

#[test]
fn quick_scenario_has_valid_load_and_an_expected_rejection() {
    let s = scenario::load(&repo_root().join("scenarios/quick.toml")).unwrap();
    assert_eq!(s.name, "quick");
    assert!(s.cases.iter().any(|c| c.expect == Expectation::Accept));
    let unknown = s
        .cases
        .iter()
        .find(|c| c.client_cert == ClientCert::UnknownCa)
        .unwrap();
    assert_eq!(
        unknown.expect,
        Expectation::Reject(Some(Outcome::UnknownCa))
    );
    // Derived expectation: no certificate in TLS 1.3 means certificate_required.
    let none = s
        .cases
        .iter()
        .find(|c| c.client_cert == ClientCert::None)
        .unwrap();
    assert_eq!(
        none.expect,
        Expectation::Reject(Some(Outcome::CertRequired))
    );
}

#[test]
fn defaults_and_case_overlay_field_by_field() {
    let s = scenario::parse(
        r#"
version = 1
[defaults]
key = "rsa-2048"
load = { concurrency = 7, duration = "3s", timeout = "2s" }
[[case]]
name = "a"
load = { handshakes = 50 }
[[case]]
name = "b"
key = "ed25519"
load = { rate = 100 }
"#,
        Path::new("t.toml"),
    )
    .unwrap();
    let a = &s.cases[0];
    assert_eq!(a.key, KeyType::Rsa2048);
    assert_eq!(a.load.schedule, Schedule::Closed { concurrency: 7 });
    // The case's handshake count replaces the defaults' duration.
    assert_eq!(a.load.stop, Stop::Handshakes(50));
    assert_eq!(a.load.timeout, Duration::from_secs(2));
    let b = &s.cases[1];
    assert_eq!(b.key, KeyType::Ed25519);
    assert_eq!(b.load.stop, Stop::Duration(Duration::from_secs(3)));
    // A rate makes an open loop; the concurrency becomes its cap on handshakes in flight.
    assert_eq!(
        b.load.schedule,
        Schedule::Open {
            rate_per_sec: 100.0,
            max_in_flight: 7
        }
    );
    assert_eq!(s.name, "t");
}

#[test]
fn matrix_multiplies_axes_over_cases() {
    let s = scenario::parse(
        r#"
version = 1
[[case]]
name = "base"
[matrix]
key = ["ecdsa-p256", "rsa-2048"]
tls_version = ["1.2", "1.3"]
"#,
        Path::new("m.toml"),
    )
    .unwrap();
    let names: Vec<_> = s.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "base[key=ecdsa-p256,tls_version=1.2]",
            "base[key=ecdsa-p256,tls_version=1.3]",
            "base[key=rsa-2048,tls_version=1.2]",
            "base[key=rsa-2048,tls_version=1.3]",
        ]
    );
    assert_eq!(s.cases[2].key, KeyType::Rsa2048);
    assert_eq!(s.cases[2].tls.versions, [TlsVersion::Tls12]);
}

#[test]
fn matrix_without_cases_expands_the_defaults() {
    let s = scenario::parse(
        "version = 1\n[matrix]\nclient_cert = [\"valid\", \"expired\"]\n",
        Path::new("m.toml"),
    )
    .unwrap();
    assert_eq!(s.cases.len(), 2);
    assert_eq!(s.cases[1].name, "client_cert=expired");
    assert_eq!(
        s.cases[1].expect,
        Expectation::Reject(Some(Outcome::CertExpired))
    );
}

#[test]
fn unknown_key_names_line_and_suggests() {
    let p = problems("version = 1\n[[case]]\nname = \"a\"\nconcurency = 5\n");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_has(
        &p,
        "4: case[1].concurency: unknown key (did you mean `load = { concurrency = ... }`?)",
    );
    let p =
        problems("version = 1\n[defaults]\nload = { concurency = 5 }\n[[case]]\nname = \"a\"\n");
    assert_has(
        &p,
        "3: defaults.load.concurency: unknown key (did you mean `concurrency`?)",
    );
}

#[test]
fn wrong_types_and_values_say_what_was_expected() {
    let p = problems(
        r#"version = 1
[defaults]
key = "dsa-1024"
load = { concurrency = "many", duration = "10 parsecs", rate = -3 }
tls = { versions = ["1.4"], groups = [] }
[[case]]
name = "a"
client_cert = 5
"#,
    );
    assert_has(&p, "3: defaults.key: expected one of ecdsa-p256, ecdsa-p384, ed25519, rsa-2048, rsa-3072, rsa-4096, found \"dsa-1024\"");
    assert_has(
        &p,
        "4: defaults.load.concurrency: expected an integer from 1 to 1000000, found \"many\"",
    );
    assert_has(&p, "4: defaults.load.duration: expected a duration like \"10s\" or \"250ms\", found \"10 parsecs\"");
    assert_has(
        &p,
        "4: defaults.load.rate: expected a positive number, found -3",
    );
    assert_has(
        &p,
        "5: defaults.tls.versions[1]: expected one of \"1.2\", \"1.3\", found \"1.4\"",
    );
    assert_has(&p, "5: defaults.tls.groups: expected a non-empty array");
    assert_has(&p, "8: case[1].client_cert: expected a string, found 5");
    assert_eq!(
        p.len(),
        7,
        "every problem reported once, all at once: {p:#?}"
    );
}

#[test]
fn problems_come_in_file_order() {
    let p = problems(
        "version = 1\n[[case]]\nname = \"a\"\nkey = \"x\"\n[[case]]\nname = \"b\"\nkey = \"y\"\n",
    );
    assert_eq!(p.len(), 2);
    assert!(p[0].starts_with("4: case[1].key"), "{p:?}");
    assert!(p[1].starts_with("7: case[2].key"), "{p:?}");
}

#[test]
fn version_is_required_and_must_be_1() {
    assert_has(
        &problems("[[case]]\nname = \"a\"\n"),
        "version: missing; expected `version = 1`",
    );
    assert_has(
        &problems("version = 2\n[[case]]\nname = \"a\"\n"),
        "1: version: expected an integer from 1 to 1, found 2",
    );
}

#[test]
fn impossible_combinations_are_errors() {
    let p = problems(
        r#"version = 1
[[case]]
name = "accept-with-reason"
expect = "accept"
reject_reason = "unknown_ca"
[[case]]
name = "both-stops"
load = { duration = "1s", handshakes = 10 }
[[case]]
name = "pq-on-tls12"
tls = { versions = ["1.2"], groups = ["x25519mlkem768"] }
[[case]]
name = "bad-cert-without-auth"
client_auth = "off"
client_cert = "expired"
[[case]]
name = "accept-with-reason"
"#,
    );
    assert_has(&p, "5: case[1] (\"accept-with-reason\"): reject_reason = \"unknown_ca\" contradicts expect = \"accept\"");
    assert_has(&p, "8: case[2].load: `duration` and `handshakes` both set");
    assert_has(
        &p,
        "case[3] (\"pq-on-tls12\"): group \"x25519mlkem768\" needs TLS 1.3",
    );
    assert_has(&p, "case[4] (\"bad-cert-without-auth\"): client_cert = \"expired\" has no effect when client_auth = \"off\"");
    assert_has(&p, "case[5]: duplicate case name \"accept-with-reason\"");
}

#[test]
fn planned_and_unknown_peers() {
    let p =
        problems("version = 1\n[[case]]\nname = \"a\"\nserver = \"lighttpd\"\nclient = \"wget\"\n");
    assert_has(
        &p,
        "4: case[1].server: expected one of \"rustls\", \"openssl\", \"s_server\", \"nginx\", \"haproxy\", \"apache\", \"gnutls-serv\", \"node\", \"go\", \"java\", \"command\", found \"lighttpd\"",
    );
    assert_has(
        &p,
        "5: case[1].client: expected one of \"rustls\", \"openssl\", \"s_client\", \"node\", \"curl\", \"gnutls-cli\", \"go\", \"java\", found \"wget\"",
    );
}

#[test]
fn syntax_error_has_a_line() {
    let p = problems("version = 1\n[[case]]\nname = \"a\n");
    assert_eq!(p.len(), 1);
    assert!(
        p[0].starts_with("3: : TOML syntax error") || p[0].starts_with("3: "),
        "{p:?}"
    );
}

#[test]
fn missing_case_name_and_no_cases() {
    assert_has(
        &problems("version = 1\n[[case]]\nkey = \"ed25519\"\n"),
        "case[1]: missing `name`",
    );
    assert_has(&problems("version = 1\n"), "case: no cases");
}

#[test]
fn matrix_problems() {
    let p = problems("version = 1\n[matrix]\nflavour = [\"x\"]\nkey = []\nconcurrency = [\"0\"]\n");
    assert_has(&p, "3: matrix.flavour: unknown key");
    assert_has(&p, "4: matrix.key: expected a non-empty array");
    assert_has(
        &p,
        "5: matrix.concurrency[1]: expected an integer from 1 to 1000000",
    );
}

#[test]
fn unreadable_file_names_the_file() {
    let e = scenario::load(Path::new("/nonexistent/x.toml")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/x.toml: cannot read scenario file"),
        "{e}"
    );
}

#[test]
fn tls_parameter_combinations_are_checked() {
    let p = problems(
        r#"version = 1
[[case]]
name = "suite-not-enabled"
tls = { versions = ["1.3"], suites = ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"] }
[[case]]
name = "rsa-with-ecdsa-suite"
key = "rsa-2048"
tls = { versions = ["1.2"], suites = ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"] }
[[case]]
name = "tickets-without-resumption"
tls = { tickets = 2 }
[[case]]
name = "tls13-resumption-without-tickets"
tls = { resumption = "tickets", tickets = 0 }
[[case]]
name = "fraction"
tls = { resumption = "tickets", resume_fraction = 1.5, suites = ["TLS13_AES_512"] }
[[case]]
name = "depth"
intermediates = 5
[[case]]
name = "server-suites"
tls = { versions = ["1.2"], server_suites = ["TLS13_AES_128_GCM_SHA256"] }
"#,
    );
    assert_has(&p, "(\"suite-not-enabled\"): suite \"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\" is a TLS 1.2 suite, but tls.versions does not enable 1.2");
    assert_has(
        &p,
        "(\"suite-not-enabled\"): tls.suites has no TLS 1.3 suite",
    );
    assert_has(&p, "(\"rsa-with-ecdsa-suite\"): no TLS 1.2 suite in tls.suites can be used with a rsa-2048 key");
    assert_has(
        &p,
        "(\"tickets-without-resumption\"): tls.tickets has no effect when tls.resumption = \"off\"",
    );
    assert_has(
        &p,
        "(\"tls13-resumption-without-tickets\"): TLS 1.3 resumes only with tickets",
    );
    assert_has(
        &p,
        "17: case[5].tls.resume_fraction: expected a fraction in (0, 1]",
    );
    assert_has(
        &p,
        "17: case[5].tls.suites[1]: expected one of \"TLS13_AES_128_GCM_SHA256\"",
    );
    assert_has(
        &p,
        "(\"server-suites\"): tls.server_suites has no suite for the enabled versions",
    );
    assert_has(
        &p,
        "20: case[6].intermediates: expected an integer from 1 to 4, found 5",
    );
}

#[test]
fn matrix_axes_are_recorded_on_cases() {
    let s = scenario::parse(
        "version = 1\n[matrix]\nsuite = [\"TLS13_AES_128_GCM_SHA256\", \"TLS13_CHACHA20_POLY1305_SHA256\"]\nintermediates = [\"1\", \"4\"]\n",
        Path::new("m.toml"),
    )
    .unwrap();
    assert_eq!(s.cases.len(), 4);
    let last = &s.cases[3];
    assert_eq!(last.intermediates, 4);
    assert_eq!(
        last.axes,
        vec![
            (
                "suite".to_string(),
                "TLS13_CHACHA20_POLY1305_SHA256".to_string()
            ),
            ("intermediates".to_string(), "4".to_string())
        ]
    );
}

#[test]
fn bounds_on_rates_durations_anchor_and_name() {
    let p = problems(
        r#"version = 1
name = ".."
[pki]
anchor = 2040-01-01T00:00:00Z
[[case]]
name = "a"
load = { rate = 1e10, duration = "48h", timeout = "0s" }
"#,
    );
    assert_has(&p, "2: name: expected letters, digits");
    assert_has(&p, "4: pki.anchor: expected an anchor with now inside");
    assert_has(
        &p,
        "7: case[1].load.rate: expected a rate from 0.001 to 1000000",
    );
    assert_has(
        &p,
        "7: case[1].load.duration: expected at most 24h, found \"48h\"",
    );
    assert_has(&p, "7: case[1].load.timeout: expected a timeout above zero");
}

#[test]
fn numeric_matrix_axes_take_integers() {
    let s = scenario::parse(
        "version = 1\n[matrix]\nconcurrency = [10, \"20\"]\n",
        Path::new("m.toml"),
    )
    .unwrap();
    assert_eq!(
        s.cases[0].load.schedule,
        Schedule::Closed { concurrency: 10 }
    );
    assert_eq!(
        s.cases[1].load.schedule,
        Schedule::Closed { concurrency: 20 }
    );
}

#[test]
fn revocation_settings_are_checked() {
    let p = problems(
        r#"version = 1
[[case]]
name = "entries-without-crl"
revocation = { mode = "none", crl_entries = 10 }
[[case]]
name = "crl-without-client-auth"
client_auth = "off"
revocation = { mode = "oscp" }
[[case]]
name = "crl-one-way"
client_auth = "off"
revocation = { mode = "crl" }
[[case]]
name = "revoke-without-reload"
revocation = { mode = "crl", revoke_after = "1s" }
[[case]]
name = "revoke-after-the-end"
revocation = { mode = "crl", reload = "1s", revoke_after = "10s" }
load = { duration = "5s" }
"#,
    );
    assert_has(
        &p,
        "(\"revoke-without-reload\"): revocation.revoke_after needs revocation.reload",
    );
    let policy = problems("version = 1\n[[case]]\nname = \"a\"\nrevocation = { crl = \"stale\", policy = \"maybe\" }\n");
    assert_has(
        &policy,
        "4: case[1].revocation.policy: expected one of \"hard\", \"soft\", found \"maybe\"",
    );
    let no_mode =
        problems("version = 1\n[[case]]\nname = \"a\"\nrevocation = { crl = \"stale\" }\n");
    assert_has(
        &no_mode,
        "revocation.crl needs revocation.mode = \"crl\" or \"crl-http\"",
    );
    assert_has(
        &p,
        "(\"revoke-after-the-end\"): revocation.revoke_after must fall inside load.duration",
    );
    assert_has(
        &p,
        "4: case[1].revocation.crl_entries: has no effect unless revocation.mode = \"crl\" or \"crl-http\"",
    );
    assert_has(
        &p,
        "8: case[2].revocation.mode: expected one of \"none\", \"crl\", \"crl-http\", \"ocsp\", \"ocsp-stapling\", \"short-lived\", found \"oscp\"",
    );
    assert_has(&p, "(\"crl-one-way\"): revocation checks client certificates, but client_auth = \"off\" asks for none");
    let s = scenario::parse(
        "version = 1\n[[case]]\nname = \"r\"\nclient_cert = \"revoked\"\nrevocation = { mode = \"crl\" }\n",
        Path::new("r.toml"),
    )
    .unwrap();
    assert_eq!(
        s.cases[0].expect,
        Expectation::Reject(Some(Outcome::CertRevoked))
    );
}

#[test]
fn ocsp_and_stapling_settings_are_checked() {
    let p = problems(
        r#"version = 1
[[case]]
name = "ttl-with-crl"
revocation = { mode = "crl", cache_ttl = "1s" }
[[case]]
name = "staple-keys-with-ocsp"
revocation = { mode = "ocsp", must_staple = true, staple_verify = false }
[[case]]
name = "fault-without-service"
revocation = { mode = "none", fault = "down" }
[[case]]
name = "bad-values"
revocation = { mode = "ocsp", fault = "slow", signer = "me", nonce = "yes", query_timeout = "0s" }
[[case]]
name = "short-values"
revocation = { mode = "short-lived", cert_lifetime = "1s", renew_at = 0.95, fleet = 0 }
[[case]]
name = "revoke-none"
revocation = { mode = "none", revoke_after = "1s" }
load = { duration = "5s" }
"#,
    );
    assert_has(
        &p,
        "(\"ttl-with-crl\"): revocation.cache_ttl has no effect with revocation.mode = \"crl\"",
    );
    assert_has(
        &p,
        "(\"staple-keys-with-ocsp\"): revocation.must_staple has no effect with revocation.mode = \"ocsp\"",
    );
    assert_has(
        &p,
        "(\"staple-keys-with-ocsp\"): revocation.staple_verify has no effect",
    );
    assert_has(
        &p,
        "(\"fault-without-service\"): revocation.fault has no effect with revocation.mode = \"none\"",
    );
    assert_has(
        &p,
        "case[4].revocation.fault: expected one of \"none\", \"down\"",
    );
    assert_has(
        &p,
        "case[4].revocation.signer: expected one of \"ca\", \"delegated\", \"unauthorized\", found \"me\"",
    );
    assert_has(
        &p,
        "case[4].revocation.nonce: expected true or false, found \"yes\"",
    );
    assert_has(&p, "revocation.query_timeout must be more than 0s");
    assert_has(
        &p,
        "case[5].revocation.renew_at: expected a share of the lifetime from 0.1 to 0.9",
    );
    assert_has(
        &p,
        "case[5].revocation.fleet: expected an integer from 1 to 1000000000, found 0",
    );
    assert_has(
        &p,
        "(\"short-values\"): revocation.cert_lifetime must be at least 2s",
    );
    assert_has(
        &p,
        "(\"revoke-none\"): revocation.revoke_after needs a revocation mode that can revoke, not \"none\"",
    );
    // Expectations follow from the mode, the fault and the policy.
    let s = scenario::parse(
        r#"version = 1
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
name = "staple-down"
revocation = { mode = "ocsp-stapling", fault = "down" }
[[case]]
name = "must-staple-down"
revocation = { mode = "ocsp-stapling", fault = "down", must_staple = true }
[[case]]
name = "careless-stale"
revocation = { mode = "ocsp-stapling", fault = "stale", staple_verify = false }
"#,
        Path::new("o.toml"),
    )
    .unwrap();
    let expect: Vec<Expectation> = s.cases.iter().map(|c| c.expect).collect();
    assert_eq!(
        expect,
        vec![
            Expectation::Reject(Some(Outcome::CertRevoked)),
            Expectation::Reject(None),
            Expectation::Accept,
            Expectation::Reject(None),
            Expectation::Accept,
            Expectation::Reject(Some(Outcome::StapleRejected)),
            Expectation::Reject(Some(Outcome::StapleRejected)),
        ]
    );
}

#[test]
fn matrix_only_problems_point_at_the_matrix() {
    let p = problems("version = 1\n[defaults]\nclient_auth = \"off\"\n[matrix]\nclient_cert = [\"valid\", \"expired\"]\n");
    assert_has(
        &p,
        "4: matrix (\"client_cert=expired\"): client_cert = \"expired\" has no effect",
    );
}

#[test]
fn conformance_credentials_verify_depth_and_record() {
    let p = problems(
        r#"version = 1
[[case]]
name = "deep-without-depth"
client_cert = "deep-chain"
[[case]]
name = "allow-list-without-auth"
client_auth = "off"
allowed_clients = ["client-00000"]
[[case]]
name = "depth-out-of-range"
verify_depth = 0
[[case]]
name = "record-with-reason"
client_cert = "ca-leaf"
expect = "record"
reject_reason = "unknown_ca"
"#,
    );
    assert_has(&p, "case[1] (\"deep-without-depth\"): client_cert = \"deep-chain\" sends 7 intermediates: set verify_depth (the peers' defaults differ");
    assert_has(
        &p,
        "case[2] (\"allow-list-without-auth\"): allowed_clients and tls.client_sigalgs have no effect when client_auth = \"off\"",
    );
    assert_has(&p, "case[3].verify_depth");
    assert_has(
        &p,
        "reject_reason = \"unknown_ca\" contradicts expect = \"record\"",
    );

    let s = scenario::parse(
        r#"version = 1
[[case]]
name = "deep"
client_cert = "deep-chain"
verify_depth = 6
[[case]]
name = "ca-leaf"
client_cert = "ca-leaf"
[[case]]
name = "sha1"
client_cert = "sha1-signed"
[[case]]
name = "no-eku"
client_cert = "no-eku"
[[case]]
name = "weak"
client_cert = "weak-rsa"
[[case]]
name = "not-listed"
allowed_clients = ["someone-else"]
[[case]]
name = "deep-within-depth"
client_cert = "deep-chain"
verify_depth = 7
[[case]]
name = "pool-chain-past-depth"
intermediates = 3
verify_depth = 1
[[case]]
name = "key-type-not-allowed"
tls = { client_sigalgs = ["rsa_pss_rsae_sha256"] }
[[case]]
name = "key-type-allowed"
tls = { client_sigalgs = ["rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256"] }
[[case]]
name = "misordered-under-crl"
client_cert = "misordered-chain"
revocation = { mode = "crl", policy = "hard" }
[[case]]
name = "no-crl-sign-under-stapling"
client_cert = "no-crl-sign-issuer"
revocation = { mode = "ocsp-stapling" }
"#,
        Path::new("ok.toml"),
    )
    .unwrap();
    let expect: Vec<String> = s.cases.iter().map(|c| c.expect.to_string()).collect();
    assert_eq!(
        expect,
        [
            "reject:unknown_ca",
            "record",
            "reject:bad_certificate",
            "accept",
            "reject",
            "reject:access_denied",
            "accept",
            "reject:unknown_ca",
            "reject",
            "accept",
            "reject",
            "accept"
        ]
    );
    assert_eq!(s.cases[0].verify_depth, Some(6));
    assert_eq!(s.cases[0].client_cert, ClientCert::DeepChain);
}
