//! Which client stacks work with a user's server: `interop --target` drives it with every
//! client stack (the process clients too, each verifying the target's certificate with
//! `--target-ca` and `--target-name` and presenting the user's own credential), one row per
//! client; none of them is skipped because it is a target.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::support::{generate_pki, harness_exe, serve_pki};

#[test]
fn interop_target_drives_the_user_s_server_with_every_client_stack() {
    let dir = tempfile::tempdir().unwrap();
    let vendor = dir.path().join("vendor");
    generate_pki(&vendor, 1, 5);
    let (mut guard, addr) = serve_pki(&vendor, &["--threads", "1"], &dir.path().join("server.log"));
    // The interop matrix, small: every client, TLS 1.3, full handshakes.
    std::fs::write(
        dir.path().join("m.toml"),
        r#"version = 1
[defaults]
load = { concurrency = 1, handshakes = 2, warmup = "0s", timeout = "10s" }
[matrix]
client = ["rustls", "openssl", "s_client", "node", "curl", "gnutls-cli", "go", "java"]
server = ["rustls", "nginx"]
[[case]]
name = "interop"
"#,
    )
    .unwrap();
    let out = Command::new(harness_exe())
        .current_dir(dir.path())
        .args(["interop", "m.toml", "-q", "--out", "r", "--target"])
        .arg(addr.to_string())
        .arg("--target-ca")
        .arg(vendor.join("ca/root.crt"))
        .args(["--target-name", "localhost", "--client-cert"])
        .arg(vendor.join("clients/client-00000.crt"))
        .arg("--client-key")
        .arg(vendor.join("clients/client-00000.key"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r/summary.json")).unwrap()).unwrap();
    let cases = summary["cases"].as_array().unwrap();
    // One server (the target), not one row per server of the matrix.
    assert_eq!(cases.len(), 8, "{text}");
    for c in cases {
        let client = c["client"].as_str().unwrap();
        assert_eq!(c["server"], format!("target {addr}"), "{client}");
        assert!(c["skipped"].is_null(), "{client}: {}", c["skipped"]);
        assert_eq!(c["outcomes"]["accepted"], 2, "{client}: {}", c["outcomes"]);
    }
    guard.stop(Duration::from_secs(2));
}
