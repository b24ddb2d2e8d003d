//! A Go crypto/tls client peer: the program `go_client.go` (kept in the repo, compiled into the
//! harness as text), built with the installed Go toolchain on first use and cached by the hash
//! of its source (`~/.cache/mtls-harness/go-client-<hash>`), then run once per case and driven
//! through its stdin, one request per line (`peers::clients::process`), so its
//! `ClientSessionCache` resumes sessions inside the process: Go 1.19 cannot write a session
//! out for another process.
//!
//! It sends every credential of the fixtures (its chain and key are read as they are, not
//! through `tls.X509KeyPair`, which would refuse a mismatched key) whatever CA names the
//! server lists. Errors read as Go writes them: a received alert is `remote error: tls: NAME`
//! with crypto/tls's own names (`alert.go`: `bad certificate`, `unknown certificate
//! authority`, ...); a server certificate it refuses is an `x509:` error.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::client_output::{Credential, DrivenReply, ServerCheck, Verdict};
use super::kit::build_cache::{self, go_build};
use super::kit::{find_program, ProcessError};
use crate::measure::Outcome;
use crate::peers::tls::go as go_names;
use crate::scenario::{Case, ResumptionMode};

/// The Go client program.
pub const SOURCE: &str = include_str!("go_client.go");

/// The program's options for `case` against `addr`.
pub fn options(
    case: &Case,
    server: &ServerCheck,
    cred: Option<&Credential>,
    addr: SocketAddr,
) -> serde_json::Value {
    let lo = case.tls.versions.iter().copied().min();
    let hi = case.tls.versions.iter().copied().max();
    let curves: Vec<&str> = case
        .tls
        .groups
        .iter()
        .filter_map(|&g| go_names::curve(g))
        .collect();
    let path = |p: &Path| p.to_string_lossy().into_owned();
    serde_json::json!({
        "addr": addr.to_string(),
        "serverName": server.name,
        "ca": path(&server.ca),
        "cert": cred.map(|c| path(&c.chain)).unwrap_or_default(),
        "key": cred.map(|c| path(&c.key)).unwrap_or_default(),
        "minVersion": lo.map(go_names::version).unwrap_or("1.3"),
        "maxVersion": hi.map(go_names::version).unwrap_or("1.3"),
        "suites": go_names::tls12_suites(&case.tls.suites),
        "curves": curves,
        "resumption": case.tls.resumption != ResumptionMode::Off,
        "timeoutMs": u64::try_from(case.load.timeout.as_millis()).unwrap_or(u64::MAX),
    })
}

/// The command that runs the built `program` for `case`.
pub fn command(
    program: &Path,
    case: &Case,
    server: &ServerCheck,
    cred: Option<&Credential>,
    addr: SocketAddr,
) -> Command {
    let mut cmd = Command::new(program);
    cmd.arg(options(case, server, cred, addr).to_string());
    cmd
}

/// `go` on `search_path` and the built client program (cached, or built now into `fallback`
/// when there is no cache directory).
///
/// # Errors
/// [`ProcessError::Skipped`] when Go is not installed; [`ProcessError::Files`] when the build
/// fails (with the compiler's output).
pub fn built(
    search_path: Option<&std::ffi::OsStr>,
    fallback: &Path,
) -> Result<PathBuf, ProcessError> {
    let go = find_program("go", search_path).map_err(|_| ProcessError::Skipped {
        reason: "go is not installed (the go client is built with it on first use); scripts/install-peers.sh installs golang-go".to_string(),
    })?;
    let command = |source: &Path, out: &Path| go_build(&go, source, out);
    build_cache::built(
        &build_cache::Build {
            name: "go-client",
            file_name: "go_client.go",
            source: SOURCE,
            marker: "",
            command: &command,
        },
        fallback,
    )
}

/// The alert number of crypto/tls's name for it (Go 1.19's `alert.go`), or of its
/// `alert(N)` form for one it has no name for.
fn go_alert(name: &str) -> Option<u8> {
    Some(match name {
        "close notify" => 0,
        "unexpected message" => 10,
        "bad record MAC" => 20,
        "record overflow" => 22,
        "handshake failure" => 40,
        "bad certificate" => 42,
        "unsupported certificate" => 43,
        "revoked certificate" => 44,
        "expired certificate" => 45,
        "unknown certificate" => 46,
        "illegal parameter" => 47,
        "unknown certificate authority" => 48,
        "access denied" => 49,
        "error decoding message" => 50,
        "error decrypting message" => 51,
        "protocol version not supported" => 70,
        "insufficient security level" => 71,
        "internal error" => 80,
        "inappropriate fallback" => 86,
        "user canceled" => 90,
        "missing extension" => 109,
        "unsupported extension" => 110,
        "unrecognized name" => 112,
        "bad certificate status response" => 113,
        "unknown PSK identity" => 115,
        "certificate required" => 116,
        "no application protocol" => 120,
        other => {
            return other
                .strip_prefix("alert(")?
                .strip_suffix(')')?
                .parse()
                .ok()
        }
    })
}

/// The class of a Go error text.
fn classify(reply: &DrivenReply) -> Outcome {
    let error = reply.error.as_deref().unwrap_or_default();
    if let Some(name) = error.split("remote error: tls: ").nth(1) {
        return go_alert(name.trim()).map_or(Outcome::OtherAlert, Outcome::from_alert);
    }
    if error.contains("x509: ") || error.contains("tls: failed to verify") {
        return Outcome::ClientRejectedServer;
    }
    if [
        "connection reset by peer",
        "broken pipe",
        "connection refused",
    ]
    .iter()
    .any(|t| error.contains(t))
    {
        return Outcome::Reset;
    }
    if error == "EOF" || error.ends_with(": EOF") || error.contains("unexpected EOF") {
        return Outcome::ClosedWithoutVerdict;
    }
    if error.contains("tls: first record does not look like a TLS handshake")
        || error.contains("malformed HTTP")
    {
        return Outcome::ProtocolError;
    }
    if error.contains("tls: ") {
        // crypto/tls refused the server's parameters (its version, suite, group or signature).
        return Outcome::ClientRejectedServer;
    }
    Outcome::IoError
}

/// Reads the program's answer line: the verdict and whether a session was offered.
pub fn parse(line: &str) -> (Verdict, bool) {
    DrivenReply::parse_line(line, classify)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_answers_are_read() {
        let (v, offered) = parse(
            r#"{"status":200,"version":"TLSv1.3","suite":"TLS_AES_128_GCM_SHA256","resumed":true,"offered":true}"#,
        );
        assert_eq!(
            (v.outcome, v.status, offered),
            (Outcome::Accepted, Some(200), true)
        );
        assert!(v.negotiated.unwrap().resumed);
        let alert = |e: &str| {
            parse(&serde_json::json!({"error": e, "stage": "reply"}).to_string())
                .0
                .outcome
        };
        assert_eq!(
            alert("remote error: tls: bad certificate"),
            Outcome::BadCertificate
        );
        assert_eq!(
            alert("local error: tls: remote error: tls: unknown certificate authority"),
            Outcome::UnknownCa
        );
        assert_eq!(
            alert("remote error: tls: alert(116)"),
            Outcome::CertRequired
        );
        assert_eq!(
            alert("x509: certificate signed by unknown authority"),
            Outcome::ClientRejectedServer
        );
        assert_eq!(alert("EOF"), Outcome::ClosedWithoutVerdict);
        assert_eq!(
            alert("read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer"),
            Outcome::Reset
        );
        assert_eq!(parse("not json").0.outcome, Outcome::IoError);
        let timed = r#"{"error":"i/o timeout","timedOut":true}"#;
        assert_eq!(parse(timed).0.outcome, Outcome::Timeout);
    }
}
