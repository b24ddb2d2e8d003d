//! A target's trust setup is checked before any case: a wrong `--target-name`, a
//! `--target-ca` that did not issue the server's certificate, or an expired certificate is one
//! error (exit 2, naming the option, the cause and what the server presented), never a run of
//! cases graded as the server's refusals.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mtls_harness::peers::Target;

use super::support::{generate_pki, harness_exe, serve_pki};

#[test]
fn a_wrong_name_or_ca_is_refused_before_any_case_naming_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let (vendor, other) = (dir.path().join("vendor"), dir.path().join("other"));
    generate_pki(&vendor, 1, 7);
    generate_pki(&other, 1, 8);
    let (mut guard, addr) = serve_pki(&vendor, &["--threads", "1"], &dir.path().join("server.log"));
    let root = vendor.join("ca/root.crt");
    let target = |ca: &Path, name: &str| Target::new(&addr.to_string(), ca, Some(name), None, None);

    // The right CA and name: the probe passes (the server then refuses the certificate-less
    // handshake, which the check expects).
    target(&root, "localhost").unwrap().probe().unwrap();

    let e = target(&root, "wrong.example").unwrap().probe().unwrap_err();
    assert_eq!(e.option, "--target-name", "{e}");
    assert!(e.message.contains("not valid for wrong.example"), "{e}");
    assert!(
        e.message.contains("DNS:localhost"),
        "what was presented: {e}"
    );

    let e = target(&other.join("ca/root.crt"), "localhost")
        .unwrap()
        .probe()
        .unwrap_err();
    assert_eq!(e.option, "--target-ca", "{e}");
    assert!(
        e.message.contains("not issued by a CA in --target-ca"),
        "{e}"
    );

    // On the command line: exit 2 before any case, no summary written.
    std::fs::write(
        dir.path().join("s.toml"),
        "version = 1\n[defaults]\nload = { concurrency = 1, handshakes = 2, warmup = \"0s\" }\n[[case]]\nname = \"valid\"\n",
    )
    .unwrap();
    let out = Command::new(harness_exe())
        .current_dir(dir.path())
        .args(["run", "s.toml", "-q", "--out", "r", "--target"])
        .arg(addr.to_string())
        .arg("--target-ca")
        .arg(&root)
        .args(["--target-name", "wrong.example"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not valid for wrong.example"), "{stderr}");
    assert!(!dir.path().join("r/summary.json").exists());
    guard.stop(Duration::from_secs(2));
}
