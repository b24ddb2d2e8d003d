//! A run that ends abruptly (issue 32, item 4): killed with SIGKILL mid-run, its
//! `summary.json` says `interrupted: true` (it is written as in progress until the last
//! write), and `report.md`, `junit.xml` and `compare` count the cases it lacks as failures.

use std::process::Command;

use super::support::harness_exe;

const QUICK: &str = "version = 1\nname = \"k\"\n[pki]\nidentities = 1\n[defaults]\nload = { concurrency = 1, handshakes = 4, warmup = \"0s\" }\n[[case]]\nname = \"first\"\n";

#[test]
fn a_killed_run_reads_as_interrupted_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = format!(
        "{QUICK}[[case]]\nname = \"long\"\nload = {{ concurrency = 1, duration = \"120s\", warmup = \"0s\" }}\n[[case]]\nname = \"after\"\n"
    );
    std::fs::write(d.join("s.toml"), &scenario).unwrap();
    std::fs::write(d.join("base.toml"), QUICK).unwrap();
    let base = Command::new(harness_exe())
        .args(["run", "base.toml", "--out", "base", "-q"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(base.status.code(), Some(0));

    let mut child = Command::new(harness_exe())
        .args(["run", "s.toml", "--out", "k", "-q"])
        .current_dir(d)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Until the first case is in the summary and the long one's server is up.
    super::pipes::wait_until_ready(&d.join("k/peers/long-server.log"));
    child.kill().unwrap();
    child.wait().unwrap();

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("k/summary.json")).unwrap()).unwrap();
    assert_eq!(json["interrupted"], true, "{json}");
    assert_eq!(json["cases"].as_array().unwrap().len(), 1);
    assert_eq!(
        json["planned_cases"],
        serde_json::json!(["first", "long", "after"])
    );

    let report = Command::new(harness_exe())
        .args(["report", "k"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(report.status.code(), Some(0));
    let said = String::from_utf8_lossy(&report.stderr);
    assert!(said.contains("incomplete"), "{said}");
    let md = std::fs::read_to_string(d.join("k/report.md")).unwrap();
    assert!(md.contains("1/3 cases met; INTERRUPTED"), "{md}");
    assert!(md.contains("2 of 3 cases not run"), "{md}");
    let junit = std::fs::read_to_string(d.join("k/junit.xml")).unwrap();
    assert!(junit.contains("failures=\"3\""), "{junit}");
    assert!(
        junit.contains("name=\"long\"") && junit.contains("name=\"after\""),
        "{junit}"
    );

    // The killed run against a complete baseline of its first case: not a pass.
    let compare = Command::new(harness_exe())
        .args(["compare", "base", "k", "--threshold", "150"])
        .current_dir(d)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&compare.stdout);
    assert_eq!(compare.status.code(), Some(1), "{text}");
    assert!(text.contains("INCOMPLETE"), "{text}");
    assert!(text.contains("lacks 2 of its scenario's 3 cases"), "{text}");

    // A run that finished says so (its last write).
    let done: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("base/summary.json")).unwrap()).unwrap();
    assert_eq!(done["interrupted"], false);

    // And the killed run's directory is reusable: the case in flight's files were its own.
    let again = Command::new(harness_exe())
        .args(["run", "base.toml", "--out", "k", "-q"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
