//! `openssl s_server` as a server peer: the installed binary, verifying client certificates with
//! `-verify_return_error` (without it s_server only logs verification errors and lets the
//! client in), answering with its `-www` status page.
//!
//! It staples the OCSP response the runner fetched for it (the kit's `staple`). It has no OCSP
//! checking of client certificates.
//!
//! CRLs: `-CRL` with `-crl_check` (the leaf); asked for the whole chain, `-crl_check_all`, with
//! the CRL file also appended to the `-CAfile` (`-CRL` reads one CRL, a PEM CA file all of
//! them).
//!
//! s_server serves one connection at a time: it is a conformance and interop peer, not a
//! throughput one.

use std::path::Path;
use std::process::Command;

use super::kit::{
    io_err, ready, server_chain, staple, write_chain_extra, ChildGuard, Launch, ProcessError,
    RunningServer, READY_TIMEOUT,
};
use crate::peers::tls::openssl as openssl_names;
use crate::pki::PkiFiles;
use crate::scenario::{Case, ClientAuth, ResumptionMode};

/// The s_server command for `case`. `chain_extra` is a PEM file holding the server chain's
/// intermediates (s_server's `-cert` reads only the leaf); `staple` a DER OCSP response to
/// staple (`-status_file`). `-CRL` loads one CRL only, so a case with several (shards, a base
/// and its delta) passes `ca_with_crls`, the root followed by every CRL, as `-CAfile` (whose
/// loader takes certificates and CRLs alike), and deltas turn on `-use_deltas -extended_crl`.
pub fn command(
    openssl: &Path,
    case: &Case,
    files: &PkiFiles,
    chain_extra: &Path,
    crl: Option<&Path>,
    ca_with_crls: Option<&Path>,
    staple: Option<&Path>,
) -> Command {
    let mut cmd = Command::new(openssl);
    let depth = openssl_names::verify_depth(case).to_string();
    cmd.arg("s_server")
        .args(["-accept", "127.0.0.1:0", "-www"])
        .arg("-cert")
        .arg(server_chain(case, files))
        .arg("-cert_chain")
        .arg(chain_extra)
        .arg("-key")
        .arg(&files.server_key);
    match case.client_auth {
        ClientAuth::Required => {
            cmd.args(["-Verify", &depth, "-verify_return_error"]);
        }
        ClientAuth::Optional => {
            cmd.args(["-verify", &depth, "-verify_return_error"]);
        }
        ClientAuth::Off => {}
    }
    if case.client_auth != ClientAuth::Off {
        // -Verify's number only limits the depth the apps' callback reports at; the chain
        // depth itself is limited by the verify parameter (-verify_depth). Without it, a chain
        // deeper than -Verify's number is accepted.
        cmd.args(["-verify_depth", &depth]);
        if !case.tls.client_sigalgs.is_empty() {
            cmd.args(["-client_sigalgs", &openssl_names::sigalgs_list(case, ":")]);
        }
        cmd.arg("-CAfile")
            .arg(ca_with_crls.unwrap_or(&files.root_cert));
    }
    match (crl, ca_with_crls) {
        (_, Some(_)) => {
            cmd.arg("-crl_check");
            if case.revocation.crl_delta() {
                // -extended_crl too: without it OpenSSL takes a newer delta CRL for the
                // complete one (see `revocation::delta_crl`).
                cmd.args(["-use_deltas", "-extended_crl"]);
            }
        }
        (Some(crl), None) => {
            cmd.arg("-CRL").arg(crl).arg("-crl_check");
        }
        (None, None) => {}
    }
    if let Some(staple) = staple {
        cmd.arg("-status_file").arg(staple);
    }
    let (lo, hi) = openssl_names::version_range(&case.tls.versions);
    cmd.args(["-min_protocol", lo, "-max_protocol", hi]);
    if let Some(list) = openssl_names::tls13_suites(&case.tls.server_suites) {
        cmd.args(["-ciphersuites", &list]);
    }
    if let Some(list) = openssl_names::tls12_ciphers(&case.tls.server_suites) {
        cmd.args(["-cipher", &list]);
    }
    if let Some(list) = openssl_names::groups(&case.tls.server_groups) {
        cmd.args(["-groups", &list]);
    }
    match case.tls.resumption {
        ResumptionMode::Off => {
            cmd.args(["-no_cache", "-no_ticket", "-num_tickets", "0"]);
        }
        ResumptionMode::SessionId => {
            cmd.args(["-no_ticket", "-num_tickets", &case.tls.tickets.to_string()]);
        }
        ResumptionMode::Tickets => {
            cmd.args(["-no_cache", "-num_tickets", &case.tls.tickets.to_string()]);
        }
    }
    cmd
}

/// Parses s_server's ready line, `ACCEPT 127.0.0.1:PORT`.
pub fn ready_line(line: &str) -> Option<std::net::SocketAddr> {
    line.strip_prefix("ACCEPT ")?.trim().parse().ok()
}

/// Starts the installed `openssl` as `openssl s_server` for `launch`'s case.
///
/// # Errors
/// When it is not installed, its files cannot be written, or it does not start or accept in
/// time.
pub(super) fn start(launch: Launch<'_>) -> Result<RunningServer, ProcessError> {
    let openssl = launch.program("openssl")?;
    let extra = launch.side_path("chain-extra.pem");
    write_chain_extra(launch.files, &extra).map_err(io_err(&extra))?;
    let chain = server_chain(launch.case, launch.files);
    let staple = staple(&launch, chain, launch.side_path("staple.der"))?;
    // Several CRLs (the whole chain's, shards, a base and its delta) go into the -CAfile,
    // whose loader takes certificates and CRLs alike; -CRL reads one.
    let rev = &launch.case.revocation;
    let ca_with_crls = match launch.revocation.crl_file {
        Some(crl)
            if launch.revocation.crl_check_all
                || rev.crl_list().is_some_and(|l| l.shards > 1)
                || rev.crl_delta() =>
        {
            let out = launch.side_path("ca-crls.pem");
            write_ca_and_crls(launch.files, crl, &out).map_err(io_err(&out))?;
            Some(out)
        }
        _ => None,
    };
    let mut command = command(
        &openssl,
        launch.case,
        launch.files,
        &extra,
        launch.revocation.crl_file,
        ca_with_crls.as_deref(),
        staple.as_deref(),
    );
    if launch.revocation.crl_file.is_some() && launch.revocation.crl_check_all {
        command.arg("-crl_check_all");
    }
    let mut guard = ChildGuard::spawn(command, launch.log, launch.cpus)?;
    let addr = guard.wait_for_line(READY_TIMEOUT, ready_line)?;
    ready(&openssl, addr, launch.log, guard, true)
}

/// Writes the client CA file followed by the CRLs of `crl` (PEM) to `out`.
fn write_ca_and_crls(files: &PkiFiles, crl: &Path, out: &Path) -> std::io::Result<()> {
    let mut pem = std::fs::read(&files.root_cert)?;
    if !pem.ends_with(b"\n") {
        pem.push(b'\n');
    }
    pem.extend(std::fs::read(crl)?);
    crate::fsutil::write_atomic(out, &pem, 0o644)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_line_parses() {
        assert_eq!(
            ready_line("ACCEPT 127.0.0.1:4433"),
            Some("127.0.0.1:4433".parse().unwrap())
        );
        assert_eq!(ready_line("ACCEPT"), None);
        assert_eq!(ready_line("Using default temp DH parameters"), None);
    }
}
