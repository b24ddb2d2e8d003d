//! Scale safeguards: a case needing more open files than the hard limit allows fails at once
//! with an error naming RLIMIT_NOFILE (exit 2), and every case reports the harness's memory per
//! connection.

use std::process::Command;

use super::support::{case, harness_exe, run_in, scenario};

#[test]
fn too_few_file_descriptors_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        "version = 1\n[pki]\nidentities = 1\n[[case]]\nname = \"x\"\nload = { concurrency = 1000, handshakes = 10 }\n",
    )
    .unwrap();
    let script = format!(
        "ulimit -Sn 256 && ulimit -Hn 256 && exec '{}' run -q s.toml --out run",
        harness_exe().display()
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("RLIMIT_NOFILE is 256"), "{stderr}");
    assert!(stderr.contains("needs about 1064 open files"), "{stderr}");
}

#[test]
fn memory_per_connection_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        "version = 1\n[pki]\nidentities = 2\n[[case]]\nname = \"m\"\nload = { concurrency = 50, handshakes = 200, warmup = \"100ms\" }\n",
    );
    let outcome = run_in(&s, dir.path());
    let c = case(&outcome.summary, "m");
    let peak = c.client_peak_rss_bytes.expect("peak RSS");
    // A process with a tokio runtime, rustls and histograms: megabytes, not bytes or terabytes.
    assert!((1 << 20..1 << 36).contains(&peak), "{peak}");
    let per_conn = c
        .client_memory_per_connection_bytes
        .expect("memory per connection");
    assert!(per_conn >= 0.0 && per_conn < peak as f64, "{per_conn}");
}
