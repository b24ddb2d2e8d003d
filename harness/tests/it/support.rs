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
