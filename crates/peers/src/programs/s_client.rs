//! `openssl s_client` as a client peer: its command line for one handshake (sessions carried
//! between processes in a file with `-sess_out`/`-sess_in`) and reading its output.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use super::client_output::{
    alert_number, from_status, negotiated, status_of, Credential, ServerCheck, Verdict,
};
use crate::measure::Outcome;
use crate::peers::tls::openssl as openssl_names;
use crate::scenario::{Case, ResumptionMode};

/// The request s_client sends from its stdin.
pub fn request(host: &str) -> String {
    format!("GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: mtls-harness-s_client\r\nConnection: close\r\n\r\n")
}

/// The s_client command for one handshake of `case` against `addr`; with `sessions`, the
/// session file and whether to offer the session in it.
pub fn command(
    openssl: &Path,
    case: &Case,
    server: &ServerCheck,
    cred: Option<&Credential>,
    addr: SocketAddr,
    sessions: Option<(&Path, bool)>,
) -> Command {
    let mut cmd = Command::new(openssl);
    cmd.arg("s_client")
        .args(["-connect", &addr.to_string(), "-servername", &server.name])
        .args(["-ign_eof", "-verify_return_error"])
        .args(["-verify_hostname", &server.name])
        .arg("-CAfile")
        .arg(&server.ca);
    if let Some(c) = cred {
        cmd.arg("-cert").arg(&c.leaf).arg("-key").arg(&c.key);
        if let Some(extra) = &c.extra {
            cmd.arg("-cert_chain").arg(extra);
        }
    }
    let (lo, hi) = openssl_names::version_range(&case.tls.versions);
    cmd.args(["-min_protocol", lo, "-max_protocol", hi]);
    if let Some(list) = openssl_names::tls13_suites(&case.tls.suites) {
        cmd.args(["-ciphersuites", &list]);
    }
    if let Some(list) = openssl_names::tls12_ciphers(&case.tls.suites) {
        cmd.args(["-cipher", &list]);
    }
    if let Some(list) = openssl_names::groups(&case.tls.groups) {
        cmd.args(["-groups", &list]);
    }
    if let Some((file, offer)) = sessions {
        cmd.arg("-sess_out").arg(file);
        if offer {
            cmd.arg("-sess_in").arg(file);
        }
        if case.tls.resumption == ResumptionMode::SessionId {
            cmd.arg("-no_ticket");
        }
    }
    cmd
}

/// Reads `openssl s_client` output: the status line, `New|Reused, TLSv1.3, Cipher is X` and
/// `Server Temp Key: X25519, ...` on stdout; the alert or verification error on stderr.
pub fn parse(stdout: &str, stderr: &str) -> Verdict {
    let session = stdout
        .lines()
        .find(|l| l.starts_with("New, ") || l.starts_with("Reused, "));
    let (reused, version, suite) = match session {
        Some(line) => {
            let mut parts = line.splitn(3, ", ");
            let reused = parts.next() == Some("Reused");
            let version = parts.next();
            let suite = parts.next().and_then(|p| p.strip_prefix("Cipher is "));
            (reused, version, suite.map(str::trim))
        }
        None => (false, None, None),
    };
    let group = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Server Temp Key:"))
        .and_then(|v| v.split(',').next())
        .map(str::trim);
    let neg = negotiated(version, suite, group, reused);
    if let Some(v) = from_status(status_of(stdout), neg) {
        return v;
    }
    let connected = stdout.contains("CONNECTED") || stderr.contains("CONNECTED");
    let outcome = alert_number(stderr).unwrap_or(if stderr.contains("verify error") {
        Outcome::ClientRejectedServer
    } else if connected {
        Outcome::ClosedWithoutVerdict
    } else {
        // It never got as far as a connection (bad arguments, unreadable files).
        Outcome::IoError
    });
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
    fn s_client_output_is_read() {
        let v = parse(
            "CONNECTED(00000003)\nServer Temp Key: X25519, 253 bits\n---\nReused, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384\n---\n    0180 - a9 8c 45 ed 74 5fHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
            "",
        );
        assert_eq!(v.outcome, Outcome::Accepted);
        let n = v.negotiated.unwrap();
        assert_eq!(n.version, "TLSv1_3");
        assert_eq!(n.group, Some("X25519"));
        assert!(n.resumed);
        let v = parse(
            "",
            "40F7:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../ssl/record/rec_layer_s3.c:1605:SSL alert number 116\n",
        );
        assert_eq!(v.outcome, Outcome::CertRequired);
    }
}
