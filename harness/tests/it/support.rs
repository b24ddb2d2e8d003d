//! Shared helpers for the integration tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mtls_harness::report::{CaseSummary, RunSummary};
use mtls_harness::runner::{run, RunOptions, RunOutcome};
use mtls_harness::scenario::{self, Scenario};

/// The `mtls-harness` binary cargo built for these tests.
pub fn harness_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mtls-harness"))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Parses scenario text, panicking with the problems if it is invalid.
pub fn scenario(text: &str) -> Scenario {
    scenario::parse(text, Path::new("test.toml"))
        .unwrap_or_else(|e| panic!("scenario invalid:\n{e}"))
}

/// Runs a scenario into `dir` with the test binary as the server.
pub fn run_in(scenario: &Scenario, dir: &Path) -> RunOutcome {
    let mut opts = RunOptions::new(harness_exe());
    opts.out_dir = Some(dir.to_path_buf());
    opts.quiet = true;
    opts.cancel = Arc::default();
    run(scenario, &opts).expect("run failed")
}

/// The case called `name` in a run summary.
pub fn case<'a>(summary: &'a RunSummary, name: &str) -> &'a CaseSummary {
    summary
        .cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

/// Asserts that case `name` met its expectation and that all `n` of its attempts ended as
/// `outcome`.
pub fn assert_all(summary: &RunSummary, name: &str, outcome: &str, n: u64) {
    let c = case(summary, name);
    assert!(c.met, "{name}: {}", c.verdict);
    assert_eq!(
        c.outcomes.get(outcome),
        Some(&n),
        "{name}: {:?}",
        c.outcomes
    );
}

/// The `openssl` binary, which `scripts/install-peers.sh` installs.
pub fn openssl() -> PathBuf {
    let path = PathBuf::from("/usr/bin/openssl");
    assert!(
        path.exists(),
        "openssl is not installed: run scripts/install-peers.sh"
    );
    path
}

/// Panics if any process's command line still names `dir` (every server the harness starts
/// names its fixture files under the run directory).
pub fn assert_no_process_mentions(dir: &Path) {
    let marker = dir.to_string_lossy().into_owned();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        assert!(!cmdline.contains(&marker), "left behind: {cmdline}");
    }
}

/// `pki generate --identities N --seed SEED --out OUT`, which must succeed.
pub fn generate_pki(out: &Path, identities: u32, seed: u64) {
    let ok = std::process::Command::new(harness_exe())
        .args(["pki", "generate", "--identities"])
        .arg(identities.to_string())
        .arg("--seed")
        .arg(seed.to_string())
        .arg("--out")
        .arg(out)
        .status()
        .unwrap();
    assert!(ok.success(), "pki generate into {}", out.display());
}

/// A built-in server (`serve` with `extra` flags) with `pki`'s server certificate, trusting
/// its root for clients, logging to `log`: its guard and address.
pub fn serve_pki(
    pki: &Path,
    extra: &[&str],
    log: &Path,
) -> (mtls_harness::peers::ChildGuard, std::net::SocketAddr) {
    let mut cmd = std::process::Command::new(harness_exe());
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .arg("--cert")
        .arg(pki.join("server/server.crt"))
        .arg("--key")
        .arg(pki.join("server/server.key"))
        .arg("--client-ca")
        .arg(pki.join("ca/root.crt"));
    let mut guard = mtls_harness::peers::ChildGuard::spawn(cmd, log, None).unwrap();
    let addr = guard
        .wait_for_line(std::time::Duration::from_secs(15), |l| {
            l.strip_prefix("listening on ")?.trim().parse().ok()
        })
        .unwrap();
    (guard, addr)
}
