//! `curl` as a client peer: its command line for one request (`-v` for the handshake's
//! trace, `-w` for the HTTP status) and reading its output.
//!
//! curl (OpenSSL underneath on Debian) names a received alert in its trace as
//! `* TLSv1.3 (IN), TLS alert, certificate expired (557):`, where the number is the alert's
//! level times 256 plus its description; its own errors as `curl: (N) ...` on stderr. It keeps
//! TLS sessions in memory only, so one process per handshake never resumes (its capability
//! record skips resumption cases with that reason).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use super::client_output::{from_status, negotiated, Credential, ServerCheck, Verdict};
use crate::measure::Outcome;
use crate::peers::tls::openssl as openssl_names;
use crate::scenario::Case;

/// The marker in front of the status `-w` prints.
const STATUS_MARK: &str = "HTTP_STATUS ";

/// The curl command for one request of `case` against `addr`.
pub fn command(
    curl: &Path,
    case: &Case,
    server: &ServerCheck,
    cred: Option<&Credential>,
    addr: SocketAddr,
) -> Command {
    let mut cmd = Command::new(curl);
    let url = format!("https://{}:{}/", server.name, addr.port());
    let timeout = format!("{:.3}", case.load.timeout.as_secs_f64());
    cmd.args(["-sS", "-v", "--http1.1", "-o", "/dev/null"])
        .args(["-w", &format!("{STATUS_MARK}%{{http_code}}\\n")])
        .args([
            "--resolve",
            &format!("{}:{}:{}", server.name, addr.port(), addr.ip()),
        ])
        .args(["--max-time", &timeout])
        .args(["-H", "User-Agent: mtls-harness-curl"])
        .arg("--cacert")
        .arg(&server.ca);
    if let Some(c) = cred {
        // A PEM --cert file is read as a chain: the intermediates are sent.
        cmd.arg("--cert").arg(&c.chain).arg("--key").arg(&c.key);
    }
    let (lo, hi) = openssl_names::version_range(&case.tls.versions);
    cmd.arg(if lo == "TLSv1.3" {
        "--tlsv1.3"
    } else {
        "--tlsv1.2"
    });
    cmd.args(["--tls-max", if hi == "TLSv1.3" { "1.3" } else { "1.2" }]);
    if let Some(list) = openssl_names::tls12_ciphers(&case.tls.suites) {
        cmd.args(["--ciphers", &list]);
    }
    if let Some(list) = openssl_names::tls13_suites(&case.tls.suites) {
        cmd.args(["--tls13-ciphers", &list]);
    }
    if let Some(list) = openssl_names::groups(&case.tls.groups) {
        cmd.args(["--curves", &list]);
    }
    cmd.arg(url);
    cmd
}

/// The alert curl's trace says it received (`(IN), TLS alert, NAME (N):`), if any.
fn received_alert(stderr: &str) -> Option<Outcome> {
    stderr
        .lines()
        .filter(|l| l.contains("(IN), TLS alert"))
        .find_map(|l| {
            let n = l.rsplit_once('(')?.1.split(')').next()?;
            let n: u16 = n.trim().parse().ok()?;
            Some(Outcome::from_alert((n & 0xff) as u8))
        })
}

/// curl's own error number (`curl: (35) ...`), if it printed one.
fn curl_error(stderr: &str) -> Option<u16> {
    let rest = stderr.split("curl: (").nth(1)?;
    rest.split(')').next()?.parse().ok()
}

/// Reads curl's output: the status `-w` printed on stdout; from the `-v` trace on stderr the
/// negotiated version and suite, the alert received, or curl's error.
pub fn parse(stdout: &str, stderr: &str) -> Verdict {
    let status = stdout
        .lines()
        .find_map(|l| l.strip_prefix(STATUS_MARK))
        .and_then(|s| s.trim().parse::<u16>().ok())
        .filter(|&s| s != 0);
    // `* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384`
    let connection = stderr
        .lines()
        .find_map(|l| l.strip_prefix("* SSL connection using "))
        .and_then(|l| l.split_once(" / "));
    let neg = connection.and_then(|(v, s)| negotiated(Some(v.trim()), Some(s.trim()), None, false));
    if let Some(v) = from_status(status, neg) {
        return v;
    }
    let outcome = received_alert(stderr).unwrap_or(match curl_error(stderr) {
        Some(28) => Outcome::Timeout,
        Some(60) => Outcome::ClientRejectedServer,
        Some(7) => Outcome::IoError,
        Some(35 | 52 | 56) if stderr.contains("reset by peer") => Outcome::Reset,
        Some(35 | 52 | 56) => Outcome::ClosedWithoutVerdict,
        _ => Outcome::IoError,
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
    fn curl_output_is_read() {
        let v = parse(
            "HTTP_STATUS 200\n",
            "* SSL connection using TLSv1.2 / ECDHE-ECDSA-AES256-GCM-SHA384\n",
        );
        assert_eq!((v.outcome, v.status), (Outcome::Accepted, Some(200)));
        assert_eq!(v.negotiated.unwrap().version, "TLSv1_2");
        let v = parse(
            "HTTP_STATUS 000\n",
            "* TLSv1.3 (IN), TLS alert, unknown (628):\ncurl: (56) OpenSSL SSL_read: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0\n",
        );
        assert_eq!(v.outcome, Outcome::CertRequired);
        let v = parse(
            "HTTP_STATUS 000\n",
            "* TLSv1.3 (OUT), TLS alert, unknown CA (560):\ncurl: (60) SSL certificate problem: unable to get local issuer certificate\n",
        );
        assert_eq!(v.outcome, Outcome::ClientRejectedServer);
        assert_eq!(
            parse("", "curl: (56) Recv failure: Connection reset by peer\n").outcome,
            Outcome::Reset
        );
    }
}
