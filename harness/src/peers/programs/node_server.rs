//! A Node.js server peer (`https.createServer` with `requestCert`, `rejectUnauthorized` and
//! `crl`; the script is `node_server.js`): its options for a case, and starting it.
//!
//! Node verifies the client chain with OpenSSL but lets the handshake finish and then checks
//! the result itself: with `rejectUnauthorized` a client whose certificate fails verification
//! gets no alert, its socket is destroyed after the handshake (the client sees the connection
//! close on its first read). Only a missing certificate ends the handshake with an alert
//! (`SSL_VERIFY_FAIL_IF_NO_PEER_CERT`). The script prints one JSON line per refused client
//! with node's reason (`CERT_HAS_EXPIRED`, ...), kept in the peer's log.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::launch::{ready, Launch, RunningServer, READY_TIMEOUT};
use super::process::{ChildGuard, ProcessError};
use crate::peers::tls::openssl as openssl_names;
use crate::pki::PkiFiles;
use crate::revocation::crl_chain;
use crate::scenario::{Case, ClientAuth, ResumptionMode};

/// The Node.js server script.
pub const SCRIPT: &str = include_str!("node_server.js");

/// The node command for `case`: `script` with its options as one JSON argument; `crl` a PEM
/// file of CRLs (one for every CA: node's `crl` turns on CRL_CHECK_ALL).
pub fn command(
    node: &Path,
    script: &Path,
    case: &Case,
    files: &PkiFiles,
    crl: Option<&Path>,
) -> Command {
    let (lo, hi) = openssl_names::version_range(&case.tls.versions);
    let mut o = serde_json::json!({
        "cert": files.server_chain,
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
    let cmd = command(
        &node,
        &script,
        launch.case,
        launch.files,
        chain_crl.as_deref(),
    );
    let mut guard = ChildGuard::spawn(cmd, launch.log, launch.cpus)?;
    let addr = guard.wait_for_line(READY_TIMEOUT, ready_line)?;
    ready(&node, addr, launch.log, guard, true)
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
}
