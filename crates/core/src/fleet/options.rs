//! Where and with what a fleet scenario runs ([`FleetOptions`]), and its progress lines.

use std::path::PathBuf;

/// Where and with what a fleet scenario runs.
pub struct FleetOptions {
    /// The `mtls-harness` binary (servers run as `mtls-harness serve`).
    pub harness_exe: PathBuf,
    /// The run directory.
    pub out_dir: PathBuf,
    /// Progress lines on stderr.
    pub progress: bool,
}

/// A progress line on stderr, when `opts` asks for them.
pub(super) fn progress(opts: &FleetOptions, line: &str) {
    if opts.progress {
        eprintln!("fleet: {line}");
    }
}
