//! GnuTLS's `gnutls-cli` as a client peer: its command line for one request (the request on
//! its stdin, the reply on its stdout) and reading its output.
//!
//! gnutls-cli names a received alert as `*** Received alert [45]: Certificate is expired` and
//! what was negotiated as `- Description: (TLS1.3-X.509)-(ECDHE-X25519)-...`. It sends every
//! credential it is given (a key that does not match its certificate, SHA-1, RSA-1024). It
//! resumes only inside one process (`--resume`), so one process per handshake never resumes
//! (its capability record skips resumption cases with that reason).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use super::client_output::{from_status, status_of, Credential, ServerCheck, Verdict};
use crate::measure::{Negotiated, Outcome};
use crate::peers::tls::gnutls;
use crate::scenario::Case;

/// The request gnutls-cli sends from its stdin.
pub fn request(host: &str) -> String {
    format!("GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: mtls-harness-gnutls-cli\r\nConnection: close\r\n\r\n")
}

/// The gnutls-cli command for one request of `case` against `addr`.
pub fn command(
    program: &Path,
    case: &Case,
    server: &ServerCheck,
    cred: Option<&Credential>,
    addr: SocketAddr,
) -> Command {
    let mut cmd = Command::new(program);
    cmd.arg(addr.ip().to_string())
        .args(["--port", &addr.port().to_string()])
        .args([
            "--sni-hostname",
            &server.name,
            "--verify-hostname",
            &server.name,
        ])
        .arg("--x509cafile")
        .arg(&server.ca);
    if let Some(c) = cred {
        cmd.arg("--x509certfile")
            .arg(&c.chain)
            .arg("--x509keyfile")
            .arg(&c.key);
    }
    cmd.arg("--priority").arg(gnutls::priority(
        &case.tls.versions,
        &case.tls.suites,
        &case.tls.groups,
    ));
    cmd
}

/// Reads gnutls-cli's output: the reply's status line and the description line on stdout,
/// the alert received on stdout or stderr.
pub fn parse(stdout: &str, stderr: &str) -> Verdict {
    let neg = stdout
        .lines()
        .find_map(|l| l.strip_prefix("- Description: "))
        .and_then(gnutls::described)
        .map(|(version, suite, group)| Negotiated {
            version: version.negotiated_name(),
            suite: suite.name(),
            group: group.map(|g| g.negotiated_name()),
            resumed: false,
        });
    if let Some(v) = from_status(status_of(stdout), neg) {
        return v;
    }
    let both = format!("{stdout}\n{stderr}");
    let alert = both.lines().find_map(|l| {
        let n = l.split("*** Received alert [").nth(1)?.split(']').next()?;
        n.parse::<u8>().ok().map(Outcome::from_alert)
    });
    let outcome = alert.unwrap_or(
        if both.contains("*** PKI verification of server certificate failed")
            || both.contains("- Status: The certificate is NOT trusted")
        {
            Outcome::ClientRejectedServer
        } else if both.contains("Connecting to") && both.contains("terminated") {
            Outcome::ClosedWithoutVerdict
        } else if both.contains("Connection reset") || both.contains("ECONNRESET") {
            Outcome::Reset
        } else if both.contains("Connecting to") {
            Outcome::ClosedWithoutVerdict
        } else {
            // It never got as far as a connection (bad arguments, unreadable files).
            Outcome::IoError
        },
    );
    Verdict {
        outcome,
        status: None,
        negotiated: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gnutls_cli_output_is_read() {
        let v = parse(
            "- Description: (TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-(AES-128-GCM)\n- Handshake was completed\n\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
            "",
        );
        assert_eq!((v.outcome, v.status), (Outcome::Accepted, Some(200)));
        let n = v.negotiated.unwrap();
        assert_eq!((n.version, n.group), ("TLSv1_3", Some("X25519")));
        let v = parse(
            "- Handshake was completed\n*** Received alert [45]: Certificate is expired\n",
            "*** Fatal error: A TLS fatal alert has been received.\n",
        );
        assert_eq!(v.outcome, Outcome::CertExpired);
        assert_eq!(
            parse("", "gnutls-cli: bad option").outcome,
            Outcome::IoError
        );
    }
}
