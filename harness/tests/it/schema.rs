//! `summary.json` is a contract: real output of every shape (accepted, rejected, resumed, open
//! loop, a case that could not run, an interrupted run) validates against the committed schema
//! `reports/summary.schema.json`, and the schema is strict enough to catch drift.

use serde_json::Value;

use super::support::{repo_root, run_in, scenario};

/// The committed schema of summary.json, compiled.
pub fn validator() -> jsonschema::Validator {
    validator_of("summary.schema.json")
}

/// The committed schema `reports/<file>`, compiled.
fn validator_of(file: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo_root().join("reports").join(file)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// Panics with every violation of the summary.json schema in `json`.
pub fn assert_valid(v: &jsonschema::Validator, json: &Value) {
    assert_no_violations(v, json, "summary.schema.json");
}

/// Panics with every violation of the committed schema `reports/<file>` in `json` (the
/// schemas of interop.json and fleet.json).
pub fn assert_matches(file: &str, json: &Value) {
    assert_no_violations(&validator_of(file), json, file);
}

fn assert_no_violations(v: &jsonschema::Validator, json: &Value, file: &str) {
    let errors: Vec<String> = v
        .iter_errors(json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the output does not match reports/{file}:\n{}",
        errors.join("\n")
    );
}

#[test]
fn real_summaries_match_the_committed_schema() {
    let v = validator();
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
name = "schema"
[pki]
identities = 3
[defaults]
load = { concurrency = 2, handshakes = 6, warmup = "200ms" }
[[case]]
name = "accepted"
[[case]]
name = "rejected"
client_cert = "unknown-ca"
[[case]]
name = "resumed"
tls = { resumption = "tickets", resume_fraction = 0.5 }
[[case]]
name = "open"
load = { rate = 50, duration = "200ms", warmup = "0s" }
[[case]]
name = "not-met"
client_cert = "expired"
expect = "accept"
[[case]]
name = "ocsp-cold"
revocation = { mode = "ocsp", cache_ttl = "0s" }
[[case]]
name = "careless-staple"
revocation = { mode = "ocsp-stapling", fault = "stale", staple_verify = false }
[[case]]
name = "short-lived"
revocation = { mode = "short-lived", cert_lifetime = "2s" }
[matrix]
key = ["ecdsa-p256"]
"#,
    );
    run_in(&s, dir.path());
    let json: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["cases"].as_array().unwrap().len(), 8);
    assert!(
        json["cases"][7]["short_lived"]["issuance_per_sec"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(json["cases"][5]["responder"]["queries"].as_u64().unwrap() > 0);
    assert_valid(&v, &json);

    // A case that could not run.
    let failed_dir = tempfile::tempdir().unwrap();
    let mut opts = mtls_harness::runner::RunOptions::new("/bin/false".into());
    opts.out_dir = Some(failed_dir.path().to_path_buf());
    opts.quiet = true;
    let s = scenario("version = 1\n[pki]\nidentities = 1\n[[case]]\nname = \"x\"\n");
    mtls_harness::runner::run(&s, &opts).unwrap();
    let json: Value =
        serde_json::from_slice(&std::fs::read(failed_dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert!(json["cases"][0]["error"].is_string());
    assert_valid(&v, &json);

    // Drift is caught: a renamed field, a wrong unit, an unknown outcome class.
    let mut drifted = json.clone();
    drifted["cases"][0]["latency_ms"] = Value::from(1);
    assert!(!v.is_valid(&drifted));
    let mut drifted = json.clone();
    drifted["schema_version"] = Value::from(2);
    assert!(!v.is_valid(&drifted));
    let mut drifted = json;
    drifted["cases"][0]["outcomes"]["maybe"] = Value::from(1);
    assert!(!v.is_valid(&drifted));
}
