//! Live progress: drawn on a terminal (here a pseudo-terminal from util-linux `script`), with
//! colours unless NO_COLOR is set; absent with --quiet and when stdout is not a terminal.

use std::path::Path;
use std::process::Command;

use super::support::harness_exe;

const SCENARIO: &str = "version = 1\n[pki]\nidentities = 2\n[[case]]\nname = \"live\"\nload = { concurrency = 2, duration = \"800ms\", warmup = \"200ms\" }\n";

/// Runs `run ARGS` under a pseudo-terminal; returns everything the terminal received.
fn on_terminal(dir: &Path, args: &str, no_color: bool) -> String {
    let cmd = format!("'{}' run s.toml {args}", harness_exe().display());
    let mut c = Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"]).current_dir(dir);
    if no_color {
        c.env("NO_COLOR", "1");
    } else {
        c.env_remove("NO_COLOR");
    }
    let out = c.output().expect("script (util-linux) is not installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), SCENARIO).unwrap();

    let shown = on_terminal(dir.path(), "--out a", false);
    assert!(shown.contains("[1/1] live"), "{shown}");
    assert!(shown.contains("measuring"), "{shown}");
    assert!(shown.contains(" done "), "{shown}");
    assert!(
        shown.contains("\x1b[36m"),
        "coloured spinner expected: {shown:?}"
    );

    let plain = on_terminal(dir.path(), "--out b", true);
    assert!(plain.contains("measuring"), "{plain}");
    assert!(!plain.contains("\x1b[36m"), "NO_COLOR: {plain:?}");

    let quiet = on_terminal(dir.path(), "--out c --quiet", false);
    assert!(!quiet.contains("measuring"), "{quiet}");

    // Not a terminal: no progress line on stderr either.
    let out = Command::new(harness_exe())
        .args(["run", "s.toml", "--out", "d"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("measuring"));
}
