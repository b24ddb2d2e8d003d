//! A Go crypto/tls server peer: the program `go_server.go` (kept in the repo, compiled into the
//! harness as text), built with the installed Go toolchain on first use and cached by the hash
//! of its source, then started per case with its options as one JSON argument.
//!
//! crypto/tls verifies the client chain inside the handshake (`RequireAndVerifyClientCert`) and
//! refuses with an alert; Go 1.19 (Debian 12) sends `bad_certificate` for every chain that
//! fails verification and for the program's own CRL verdicts (`VerifyPeerCertificate`), and
//! `certificate_required` for a missing certificate in TLS 1.3. Its refusals are logged on
//! stderr (`http: TLS handshake error from ...`, `refused: certificate revoked`).
//!
//! In mode `ocsp-stapling` it staples the OCSP response the runner fetched about its
//! certificate before it starts (`tls.Certificate.OCSPStaple`, as s_server does with its
//! `-status_file`): as it is, unverified, never refreshed.
//!
//! The binary is cached by `build_cache` (`~/.cache/mtls-harness/go-server-<hash>`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::kit::build_cache::{self, go_build};
use super::kit::{
    chain_crl, find_program, io_err, ready, server_chain, staple, ChildGuard, Launch, ProcessError,
    RunningServer, READY_TIMEOUT,
};
use crate::peers::tls::go as go_names;
use crate::pki::PkiFiles;
use crate::scenario::{Case, FailPolicy, ResumptionMode};

/// The Go server program.
pub const SOURCE: &str = include_str!("go_server.go");

/// The options the program takes for `case`; `crl` a PEM file of CRLs, `staple` a DER OCSP
/// response to staple.
pub fn options(
    case: &Case,
    files: &PkiFiles,
    crl: Option<&Path>,
    staple: Option<&Path>,
) -> serde_json::Value {
    let lo = case.tls.versions.iter().copied().min();
    let hi = case.tls.versions.iter().copied().max();
    let rev = &case.revocation;
    let curves: Vec<&str> = case
        .tls
        .server_groups
        .iter()
        .filter_map(|&g| go_names::curve(g))
        .collect();
    serde_json::json!({
        "cert": server_chain(case, files),
        "key": files.server_key,
        "ca": files.root_cert,
        "crl": crl.map(|p| p.to_string_lossy().into_owned()).unwrap_or_default(),
        "softFail": matches!(rev, crate::scenario::Revocation::Crl(s) if s.policy == FailPolicy::Soft),
        "clientAuth": case.client_auth.name(),
        "minVersion": lo.map(go_names::version).unwrap_or("1.3"),
        "maxVersion": hi.map(go_names::version).unwrap_or("1.3"),
        "suites": go_names::tls12_suites(&case.tls.server_suites),
        "curves": curves,
        "tickets": case.tls.resumption == ResumptionMode::Tickets,
        "allowed": case.allowed_clients,
        "staple": staple.map(|p| p.to_string_lossy().into_owned()).unwrap_or_default(),
    })
}

/// The built server program: the cached one, or built now with `go` (into `fallback` when
/// there is no cache directory).
///
/// # Errors
/// [`ProcessError::Files`] when the build directory cannot be written or the build fails
/// (with the compiler's output).
pub fn built(go: &Path, fallback: &Path) -> Result<PathBuf, ProcessError> {
    let command = |source: &Path, out: &Path| go_build(go, source, out);
    build_cache::built(
        &build_cache::Build {
            name: "go-server",
            file_name: "go_server.go",
            source: SOURCE,
            marker: "",
            command: &command,
        },
        fallback,
    )
}

/// Parses the program's ready line, `listening on 127.0.0.1:PORT`.
pub fn ready_line(line: &str) -> Option<std::net::SocketAddr> {
    line.strip_prefix("listening on ")?.trim().parse().ok()
}

/// Builds (once, with the installed Go toolchain) and starts the Go server for `launch`'s
/// case, its files in a directory of its own next to the log.
///
/// # Errors
/// When Go is missing, the build fails, its files cannot be written, or it does not start or
/// accept in time.
pub(super) fn start(launch: Launch<'_>) -> Result<RunningServer, ProcessError> {
    let go = toolchain(launch.search_path)?;
    let dir = launch.side_path("go");
    crate::fsutil::create_new_dir(&dir).map_err(io_err(&dir))?;
    let program = built(&go, &dir)?;
    let chain_crl = chain_crl(&launch, &dir)?;
    let chain = server_chain(launch.case, launch.files);
    let staple = staple(&launch, chain, dir.join("staple.der"))?;
    let mut cmd = Command::new(&program);
    let mut opts = options(
        launch.case,
        launch.files,
        chain_crl.as_deref(),
        staple.as_deref(),
    );
    opts["crlAll"] = serde_json::json!(launch.revocation.crl_check_all);
    cmd.arg(opts.to_string());
    let mut guard = ChildGuard::spawn(cmd, launch.log, launch.cpus)?;
    let addr = guard.wait_for_line(READY_TIMEOUT, ready_line)?;
    let log = launch.log.to_path_buf();
    // The log is where HTTP 403 replies of the allow-list are counted from.
    Ok(ready(&program, addr, launch.log, guard, true)?.with_error_log(log))
}

/// `go` on `search_path`, or [`ProcessError::Skipped`] naming the package.
///
/// # Errors
/// When it is not found.
fn toolchain(search_path: Option<&std::ffi::OsStr>) -> Result<PathBuf, ProcessError> {
    find_program("go", search_path).map_err(|_| ProcessError::Skipped {
        reason: "go is not installed (the go server is built with it on first use); scripts/install-peers.sh installs golang-go".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ClientAuth;

    #[test]
    fn ready_line_and_names() {
        assert_eq!(
            ready_line("listening on 127.0.0.1:4433"),
            Some("127.0.0.1:4433".parse().unwrap())
        );
        // The program reads clientAuth by these names.
        assert_eq!(ClientAuth::Required.name(), "required");
        assert_eq!(ClientAuth::Off.name(), "off");
    }
}
