//! A Java JSSE client peer: the program `JavaClient.java` (kept in the repo, compiled into the
//! harness as text), compiled with the installed `javac` on first use and cached by the hash of
//! its source (`~/.cache/mtls-harness/java-client-<hash>`), then run as one JVM per case and
//! driven through its stdin, one request per line (`peers::clients::process`): JSSE keeps
//! sessions in its SSLContext's cache, which no other process can read, and a JVM per
//! handshake would cost a second each.
//!
//! Its key manager offers the case's credential whatever CA names the server lists (JSSE's own
//! would send an empty Certificate for an unknown CA); JSSE sends every bad credential of the
//! fixtures. It sends each flight in one piece, held until JSSE next reads: JSSE flushes every
//! handshake message on its own, and against a server that refuses the Certificate and closes
//! at once (Go's) a stock JSSE client loses the alert to "Broken pipe" on its CertificateVerify.
//! Errors read as JSSE writes them: a received alert is `Received fatal alert: NAME`
//! with the RFC's names; a server certificate it refuses is a PKIX or
//! `CertificateException` failure.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::client_output::{alert_by_rfc_name, Credential, DrivenReply, ServerCheck, Verdict};
use super::kit::{build_cache, find_program, ProcessError};
use crate::measure::Outcome;
use crate::peers::tls::java::{group, suites};
use crate::scenario::{Case, ResumptionMode, TlsVersion};

/// The Java client program.
pub const SOURCE: &str = include_str!("JavaClient.java");

/// The java command for `case` against `addr`: JVM properties, the class path, the program's
/// `key=value` options.
pub fn command(
    java: &Path,
    classes: &Path,
    case: &Case,
    server: &ServerCheck,
    cred: Option<&Credential>,
    addr: SocketAddr,
) -> Command {
    let mut cmd = Command::new(java);
    // A small, quick JVM: it makes a handful of handshakes per case.
    cmd.args(["-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]);
    let groups: Vec<&str> = case.tls.groups.iter().filter_map(|&g| group(g)).collect();
    if !groups.is_empty() {
        cmd.arg(format!("-Djdk.tls.namedGroups={}", groups.join(",")));
    }
    cmd.arg("-cp").arg(classes).arg("JavaClient");
    let opt = |k: &str, v: &Path| {
        let mut s = std::ffi::OsString::from(format!("{k}="));
        s.push(v);
        s
    };
    cmd.arg(format!("host={}", addr.ip()))
        .arg(format!("port={}", addr.port()))
        .arg(format!("name={}", server.name))
        .arg(opt("ca", &server.ca));
    if let Some(c) = cred {
        cmd.arg(opt("cert", &c.chain)).arg(opt("key", &c.key));
    }
    let protocols: Vec<&str> = case
        .tls
        .versions
        .iter()
        .map(|v| match v {
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        })
        .collect();
    cmd.arg(format!("protocols={}", protocols.join(",")));
    let suites = suites(&case.tls.suites);
    if !suites.is_empty() {
        cmd.arg(format!("suites={}", suites.join(",")));
    }
    cmd.arg(format!(
        "resumption={}",
        case.tls.resumption != ResumptionMode::Off
    ))
    .arg(format!("timeoutMs={}", case.load.timeout.as_millis()));
    cmd
}

/// `java` and `javac` on `search_path` and the compiled client (cached, or compiled now into
/// `fallback` when there is no cache directory): the `java` program and the class directory.
///
/// # Errors
/// [`ProcessError::Skipped`] when the JDK is not installed; [`ProcessError::Files`] when
/// `javac` fails (with its output).
pub fn compiled(
    search_path: Option<&std::ffi::OsStr>,
    fallback: &Path,
) -> Result<(PathBuf, PathBuf), ProcessError> {
    let find = |p: &str| {
        find_program(p, search_path).map_err(|_| ProcessError::Skipped {
            reason: format!("{p} is not installed (the java client is compiled and run with it); scripts/install-peers.sh installs openjdk-17-jdk-headless"),
        })
    };
    let (java, javac) = (find("java")?, find("javac")?);
    let command = |source: &Path, out: &Path| {
        let mut cmd = Command::new(&javac);
        cmd.arg("-d").arg(out).arg(source);
        cmd
    };
    let classes = build_cache::built(
        &build_cache::Build {
            name: "java-client",
            file_name: "JavaClient.java",
            source: SOURCE,
            marker: "JavaClient.class",
            command: &command,
        },
        fallback,
    )?;
    Ok((java, classes))
}

/// The class of a JSSE error text (the exception, then its root cause).
fn classify(reply: &DrivenReply) -> Outcome {
    let error = reply.error.as_deref().unwrap_or_default();
    let cause = reply.cause.as_deref().unwrap_or_default();
    let either = |t: &str| error.contains(t) || cause.contains(t);
    for text in [error, cause] {
        if let Some(name) = text.split("Received fatal alert: ").nth(1) {
            let name = name.split_whitespace().next().unwrap_or_default();
            return alert_by_rfc_name(name).map_or(Outcome::OtherAlert, Outcome::from_alert);
        }
    }
    if either("PKIX path") || either("CertificateException") || either("No subject alternative") {
        return Outcome::ClientRejectedServer;
    }
    if either("Connection reset") || either("Broken pipe") || either("Connection refused") {
        return Outcome::Reset;
    }
    if either("Remote host terminated") || either("EOFException") {
        return Outcome::ClosedWithoutVerdict;
    }
    if either("SocketTimeoutException") {
        return Outcome::Timeout;
    }
    if either("SSLHandshakeException") || either("SSLException") {
        // JSSE refused the server's parameters (its version, suite, group or signature).
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
    fn java_answers_are_read() {
        let (v, _) = parse(
            r#"{"status":200,"version":"TLSv1.2","suite":"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256","resumed":false,"offered":false}"#,
        );
        assert_eq!((v.outcome, v.status), (Outcome::Accepted, Some(200)));
        assert_eq!(v.negotiated.unwrap().version, "TLSv1_2");
        let class = |e: &str, cause: &str| {
            parse(&serde_json::json!({"error": e, "cause": cause, "stage": "reply"}).to_string())
                .0
                .outcome
        };
        assert_eq!(
            class(
                "javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_unknown",
                ""
            ),
            Outcome::CertificateUnknown
        );
        assert_eq!(
            class(
                "javax.net.ssl.SSLException: Received fatal alert: certificate_required",
                ""
            ),
            Outcome::CertRequired
        );
        assert_eq!(
            class(
                "javax.net.ssl.SSLHandshakeException: PKIX path building failed: x",
                "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path"
            ),
            Outcome::ClientRejectedServer
        );
        assert_eq!(
            class(
                "javax.net.ssl.SSLHandshakeException: Remote host terminated the handshake",
                "java.io.EOFException: SSL peer shut down incorrectly"
            ),
            Outcome::ClosedWithoutVerdict
        );
        assert_eq!(
            class("java.net.SocketException: Connection reset", ""),
            Outcome::Reset
        );
        assert_eq!(parse(r#"{"status":0}"#).0.outcome, Outcome::IoError);
    }
}
