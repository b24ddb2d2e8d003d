//! GnuTLS's `gnutls-serv` as a server peer: the installed binary with `--http` (it answers
//! `GET /` with a small status page), verifying client certificates inside the handshake
//! (`--require-client-cert --verify-client-cert`: a certificate that fails verification ends the
//! handshake with an alert), its versions, suites and groups as one priority string
//! (`peers::tls::gnutls`), its output kept in the peer's log.
//!
//! Its verdicts come from the alert the client receives. GnuTLS sends `access_denied` for
//! every certificate that fails verification (`GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR`),
//! whatever the reason; its log says the reason ("The certificate is NOT trusted. The
//! certificate chain uses expired certificate."), which the conformance deviations quote.
//!
//! In mode `ocsp-stapling` it staples the OCSP response the runner fetched about its
//! certificate before it starts (`--ocsp-response`, DER), as long as that response is current.
//!
//! gnutls-serv has no option for its listening address: by itself it binds the port on the
//! wildcard addresses (0.0.0.0 and `::`), open on every address of the machine. Services the
//! harness starts listen on loopback only, so it runs with the listen shim preloaded
//! (`listen_shim`, `LD_PRELOAD`), which turns those binds into binds to 127.0.0.1 and `::1`
//! on the same port. The shim also raises its accept queue from 10 (`listen(s, 10)` in
//! GnuTLS's `src/serv.c`) to 4096: with 10, a load of 100 connections overflowed it (2890
//! dropped SYNs in a 12 s run, each retried after a second, 200 attempts timed out). Without `cc` to build the shim the case is skipped; a shim the dynamic
//! loader did not map stops the server (never run unconfined). Its log still says "listening on
//! IPv4 0.0.0.0" and "IPv6 ::": it prints the addresses it asked for, not the ones it got.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::launch::{free_port, ready, Launch, RunningServer, READY_TIMEOUT};
use super::process::{ChildGuard, ProcessError};
use super::{listen_shim, s_server_staple};
use crate::peers::tls::gnutls;
use crate::pki::PkiFiles;
use crate::scenario::{Case, ClientAuth, ResumptionMode, RevocationMode};

/// The gnutls-serv command for `case` on `port`, with `crl` as its CRL file and `staple` as
/// the OCSP response it staples.
pub fn command(
    program: &Path,
    case: &Case,
    files: &PkiFiles,
    crl: Option<&Path>,
    staple: Option<&Path>,
    port: u16,
) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(["--http", "--quiet", "--port", &port.to_string()])
        .arg("--x509certfile")
        .arg(&files.server_chain)
        .arg("--x509keyfile")
        .arg(&files.server_key);
    match case.client_auth {
        ClientAuth::Required => {
            cmd.args(["--require-client-cert", "--verify-client-cert"]);
        }
        ClientAuth::Optional => {
            cmd.arg("--verify-client-cert");
        }
        ClientAuth::Off => {
            cmd.arg("--disable-client-cert");
        }
    }
    if case.client_auth != ClientAuth::Off {
        cmd.arg("--x509cafile").arg(&files.root_cert);
    }
    if let Some(crl) = crl {
        cmd.arg("--x509crlfile").arg(crl);
    }
    if let Some(staple) = staple {
        cmd.arg("--ocsp-response").arg(staple);
    }
    cmd.arg("--priority").arg(gnutls::priority(
        &case.tls.versions,
        &case.tls.server_suites,
        &case.tls.server_groups,
    ));
    match case.tls.resumption {
        ResumptionMode::Off => {
            cmd.args(["--noticket", "--nodb"]);
        }
        ResumptionMode::SessionId => {
            cmd.arg("--noticket");
        }
        ResumptionMode::Tickets => {
            cmd.arg("--nodb");
        }
    }
    cmd
}

/// Starts `gnutls-serv` (`program`) for `launch`'s case, held on loopback by the listen shim
/// (built with `cc` from `search_path` on first use), and waits until it accepts on 127.0.0.1.
///
/// # Errors
/// [`ProcessError::Skipped`] without `cc`; otherwise when the shim cannot be built or was not
/// loaded, no port is free, or it does not start or accept in time.
pub(super) fn start(
    program: PathBuf,
    search_path: Option<&OsStr>,
    launch: Launch<'_>,
) -> Result<RunningServer, ProcessError> {
    let shim = listen_shim::built(search_path, &launch.side_path("shim"))?;
    let addr = free_port().map_err(|source| ProcessError::Files {
        path: launch.log.to_path_buf(),
        source,
    })?;
    let staple = match (launch.case.revocation.mode(), launch.revocation.base_url) {
        (RevocationMode::OcspStapling, Some(_)) => {
            let out = launch.side_path("staple.der");
            s_server_staple::fetch_to_file(
                &launch.files.server_chain,
                launch
                    .case
                    .revocation
                    .service()
                    .unwrap_or_default()
                    .query_timeout,
                &out,
            )
            .map_err(|source| ProcessError::Files { path: out, source })?
        }
        _ => None,
    };
    let mut cmd = command(
        &program,
        launch.case,
        launch.files,
        launch.revocation.crl_file,
        staple.as_deref(),
        addr.port(),
    );
    listen_shim::preload(&mut cmd, &shim)?;
    let mut guard = ChildGuard::spawn_logged(cmd, launch.log, launch.cpus)?;
    guard.wait_for_connect(addr, READY_TIMEOUT)?;
    listen_shim::confirm(&guard, &program, &shim)?;
    ready(&program, addr, launch.log, guard, true)
}
