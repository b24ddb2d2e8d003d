//! A Node.js server peer (`https.createServer` with `requestCert`, `rejectUnauthorized` and
//! `crl`; the script is `node_server.js`): its options for a case, and starting it.
//!
//! Node verifies the client chain with OpenSSL but lets the handshake finish and then checks
//! the result itself: with `rejectUnauthorized` a client whose certificate fails verification
//! gets no alert, its socket is destroyed after the handshake (the client sees the connection
//! close on its first read). Only a missing certificate ends the handshake with an alert
//! (`SSL_VERIFY_FAIL_IF_NO_PEER_CERT`). The script prints one JSON line per refused client
//! with node's reason (`CERT_HAS_EXPIRED`, ...), kept in the peer's log; [`refusals_from_log`]
//! reads it back, so the case's summary names the verify error behind each close (its
//! `peer_verdict`) while the outcome stays what the client saw: a close without an alert.
//!
//! In mode `ocsp-stapling` it staples the OCSP response the runner fetched about its
//! certificate before it starts (answering node's `OCSPRequest` event with it): as it is,
//! unverified, never refreshed.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::launch::{ready, Launch, RunningServer, READY_TIMEOUT};
use super::nginx::outcome_for_verify_error;
use super::process::{ChildGuard, ProcessError};
use super::{s_server, s_server_staple};
use crate::measure::Outcome;
use crate::peers::tls::openssl as openssl_names;
use crate::pki::PkiFiles;
use crate::revocation::crl_chain;
use crate::scenario::{Case, ClientAuth, ResumptionMode, RevocationMode};

/// The Node.js server script.
pub const SCRIPT: &str = include_str!("node_server.js");

/// The node command for `case`: `script` with its options as one JSON argument; `crl` a PEM
/// file of CRLs (one for every CA: node's `crl` turns on CRL_CHECK_ALL), `staple` a DER OCSP
/// response to staple.
pub fn command(
    node: &Path,
    script: &Path,
    case: &Case,
    files: &PkiFiles,
    crl: Option<&Path>,
    staple: Option<&Path>,
) -> Command {
    let (lo, hi) = openssl_names::version_range(&case.tls.versions);
    let mut o = serde_json::json!({
        "cert": s_server::server_chain(case, files),
        "key": files.server_key,
        "requestCert": case.client_auth != ClientAuth::Off,
        "rejectUnauthorized": case.client_auth == ClientAuth::Required,
        "minVersion": lo,
        "maxVersion": hi,
        "noTickets": case.tls.resumption != ResumptionMode::Tickets,
        "sessionCache": case.tls.resumption == ResumptionMode::SessionId,
    });
    if case.client_auth != ClientAuth::Off {
        o["ca"] = serde_json::json!(files.root_cert);
    }
    if let Some(crl) = crl {
        o["crl"] = serde_json::json!(crl);
    }
    if let Some(staple) = staple {
        o["staple"] = serde_json::json!(staple);
    }
    let suites: Vec<&str> = case
        .tls
        .server_suites
        .iter()
        .map(|&s| openssl_names::suite(s))
        .collect();
    if !suites.is_empty() {
        o["ciphers"] = serde_json::json!(suites.join(":"));
    }
    if let Some(list) = openssl_names::groups(&case.tls.server_groups) {
        o["ecdhCurve"] = serde_json::json!(list);
    }
    let mut cmd = Command::new(node);
    cmd.arg(script).arg(o.to_string());
    cmd
}

/// Parses the script's ready line, `listening on 127.0.0.1:PORT`.
pub fn ready_line(line: &str) -> Option<std::net::SocketAddr> {
    line.strip_prefix("listening on ")?.trim().parse().ok()
}

/// Starts `node` with the server script for `launch`'s case, its files in a directory of its
/// own next to the log.
///
/// # Errors
/// When its files cannot be written, or it does not start or accept in time.
pub(super) fn start(node: PathBuf, launch: Launch<'_>) -> Result<RunningServer, ProcessError> {
    let dir = launch.side_path("node");
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ProcessError::Files { path, source }
    };
    crate::fsutil::create_new_dir(&dir).map_err(io_err(&dir))?;
    let script = dir.join("node-server.js");
    crate::fsutil::write_atomic(&script, SCRIPT.as_bytes(), 0o644).map_err(io_err(&script))?;
    let chain_crl = match launch.revocation.crl_file {
        Some(crl) => {
            let out = dir.join("crl-chain.pem");
            Some(crl_chain::write(launch.files, crl, &out).map_err(io_err(&out))?)
        }
        None => None,
    };
    let staple = match (launch.case.revocation.mode(), launch.revocation.base_url) {
        (RevocationMode::OcspStapling, Some(_)) => {
            let out = dir.join("staple.der");
            s_server_staple::fetch_to_file(
                s_server::server_chain(launch.case, launch.files),
                launch
                    .case
                    .revocation
                    .service()
                    .unwrap_or_default()
                    .query_timeout,
                &out,
            )
            .map_err(io_err(&out))?
        }
        _ => None,
    };
    let cmd = command(
        &node,
        &script,
        launch.case,
        launch.files,
        chain_crl.as_deref(),
        staple.as_deref(),
    );
    let mut guard = ChildGuard::spawn(cmd, launch.log, launch.cpus)?;
    let addr = guard.wait_for_line(READY_TIMEOUT, ready_line)?;
    let log = launch.log.to_path_buf();
    // The log is where its reasons for closing on refused clients are read from.
    Ok(ready(&node, addr, launch.log, guard, true)?.with_error_log(log))
}

/// The most of a node log that is read.
const MAX_LOG: u64 = 8 * 1024 * 1024;

/// OpenSSL's number of a verification error by the name node gives it (`X509_V_ERR_` left
/// off), for the errors a client chain can fail with.
fn verify_error_number(code: &str) -> Option<i32> {
    Some(match code {
        "UNABLE_TO_GET_ISSUER_CERT" => 2,
        "UNABLE_TO_GET_CRL" => 3,
        "CERT_SIGNATURE_FAILURE" => 7,
        "CRL_SIGNATURE_FAILURE" => 8,
        "CERT_NOT_YET_VALID" => 9,
        "CERT_HAS_EXPIRED" => 10,
        "CRL_NOT_YET_VALID" => 11,
        "CRL_HAS_EXPIRED" => 12,
        "DEPTH_ZERO_SELF_SIGNED_CERT" => 18,
        "SELF_SIGNED_CERT_IN_CHAIN" => 19,
        "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" => 20,
        "UNABLE_TO_VERIFY_LEAF_SIGNATURE" => 21,
        "CERT_CHAIN_TOO_LONG" => 22,
        "CERT_REVOKED" => 23,
        "INVALID_CA" => 24,
        "PATH_LENGTH_EXCEEDED" => 25,
        "INVALID_PURPOSE" => 26,
        "CERT_UNTRUSTED" => 27,
        "CERT_REJECTED" => 28,
        "UNABLE_TO_GET_CRL_ISSUER" => 33,
        "KEYUSAGE_NO_CERTSIGN" => 32,
        "KEYUSAGE_NO_CRL_SIGN" => 35,
        "PERMITTED_VIOLATION" => 47,
        "EE_KEY_TOO_SMALL" => 66,
        "CA_KEY_TOO_SMALL" => 67,
        "CA_MD_TOO_WEAK" => 68,
        _ => return None,
    })
}

/// What the node server logged about the clients it let finish the handshake and then closed
/// on: the most frequent verify error (`CERT_HAS_EXPIRED`), the class of the alert OpenSSL
/// sends for it elsewhere (`None` for a name the table lacks), and how often it was logged.
/// `None` when the log names no such refusal.
pub fn refusals_from_log(log: &Path) -> Option<(String, Option<Outcome>, u64)> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(log)
        .ok()?
        .take(MAX_LOG)
        .read_to_end(&mut bytes)
        .ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let mut counts: Vec<(String, u64)> = Vec::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["after_handshake"] != serde_json::Value::Bool(true) {
            continue;
        }
        let Some(code) = v["refused"].as_str() else {
            continue;
        };
        match counts.iter_mut().find(|(c, _)| c == code) {
            Some((_, n)) => *n += 1,
            None => counts.push((code.to_string(), 1)),
        }
    }
    let (code, n) = counts.into_iter().max_by_key(|(_, n)| *n)?;
    let class = verify_error_number(&code).map(outcome_for_verify_error);
    Some((code, class, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_line_parses() {
        assert_eq!(
            ready_line("listening on 127.0.0.1:4433"),
            Some("127.0.0.1:4433".parse().unwrap())
        );
        assert_eq!(ready_line("{\"refused\":null}"), None);
    }

    #[test]
    fn refusals_are_read_from_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("node.log");
        std::fs::write(
            &log,
            "{\"refused\":\"CERT_HAS_EXPIRED\",\"after_handshake\":true}\nnot json\n{\"refused\":\"ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE\",\"error\":\"x\"}\n{\"refused\":\"CERT_HAS_EXPIRED\",\"after_handshake\":true}\n{\"refused\":\"CERT_REVOKED\",\"after_handshake\":true}\n",
        )
        .unwrap();
        assert_eq!(
            refusals_from_log(&log),
            Some((
                "CERT_HAS_EXPIRED".to_string(),
                Some(Outcome::CertExpired),
                2
            ))
        );
        std::fs::write(&log, "{\"refused\":\"ERR_X\",\"error\":\"x\"}\n").unwrap();
        assert_eq!(refusals_from_log(&log), None);
    }
}
