//! A Java JSSE server peer: the program `JavaServer.java` (kept in the repo, compiled into the
//! harness as text), compiled with the installed `javac` on first use and cached by the hash
//! of its source, then run per case with `java` (an `SSLServerSocket` with `needClientAuth`,
//! PKIX revocation by CRL or by OCSP against the harness's responder, each with an optional
//! soft-fail, and JSSE's own OCSP stapling of its certificate).
//!
//! JSSE validates the client chain inside the handshake and refuses with the alert it derives
//! from the PKIX failure (`certificate_expired`, `certificate_revoked`, `bad_certificate`,
//! `certificate_unknown`, ...). Groups and session tickets are JVM-wide properties in Java 17
//! (`jdk.tls.namedGroups`, `jdk.tls.server.enableSessionTicketExtension`), set per process.
//!
//! The compiled classes are cached by `build_cache` (`~/.cache/mtls-harness/java-server-<hash>`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::kit::{
    build_cache, chain_crl, find_program, io_err, ready, server_chain, ChildGuard, Launch,
    ProcessError, RunningServer, READY_TIMEOUT,
};
use crate::peers::tls::java::{group, suites};
use crate::pki::PkiFiles;
use crate::scenario::{
    Case, FailPolicy, OcspSettings, ResumptionMode, Revocation, StaplingSettings, TlsVersion,
};

/// The Java server program.
pub const SOURCE: &str = include_str!("JavaServer.java");

/// The java command for `case`: JVM properties, the class path, the program's `key=value`
/// options; `crl` a PEM file of CRLs, `service` the revocation service's base URL (modes
/// `ocsp` and `ocsp-stapling`).
pub fn command(
    java: &Path,
    classes: &Path,
    case: &Case,
    files: &PkiFiles,
    crl: Option<&Path>,
    service: Option<&str>,
) -> Command {
    let mut cmd = Command::new(java);
    // A CRL of 1,000,000 entries does not parse in 256 MiB (OutOfMemoryError): about 1 KiB of
    // heap per entry, at least 256 MiB, at most 4 GiB. C1 only (-XX:TieredStopAtLevel=1):
    // measured on a TLS 1.3 mTLS handshake (ECDSA P-256), 5.5 ms of server CPU after 600
    // handshakes, where with C2 it was still 10.8 ms (C2's compiling on the same core); C2
    // reaches the same 5.5 ms only after thousands.
    let heap_mib = (case.revocation.crl_list().map_or(0, |l| l.entries) / 1000).clamp(256, 4096);
    cmd.arg(format!("-Xmx{heap_mib}m"))
        .args(["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]);
    let groups: Vec<&str> = case
        .tls
        .server_groups
        .iter()
        .filter_map(|&g| group(g))
        .collect();
    if !groups.is_empty() {
        cmd.arg(format!("-Djdk.tls.namedGroups={}", groups.join(",")));
    }
    let tickets = case.tls.resumption == ResumptionMode::Tickets;
    cmd.arg(format!(
        "-Djdk.tls.server.enableSessionTicketExtension={tickets}"
    ));
    let rev = &case.revocation;
    let ocsp = match (rev, service) {
        (Revocation::Ocsp(ocsp), Some(base)) => {
            cmd.args(ocsp_properties(ocsp));
            Some(crate::pki::ocsp_url(base))
        }
        (Revocation::Stapling(stapling), Some(base)) => {
            cmd.args(stapling_properties(stapling, &crate::pki::ocsp_url(base)));
            None
        }
        _ => None,
    };
    cmd.arg("-cp").arg(classes).arg("JavaServer");
    let opt = |k: &str, v: &Path| {
        let mut s = std::ffi::OsString::from(format!("{k}="));
        s.push(v);
        s
    };
    cmd.arg(opt("cert", server_chain(case, files)))
        .arg(opt("key", &files.server_key))
        .arg(opt("ca", &files.root_cert))
        .arg(format!("clientAuth={}", case.client_auth.name()));
    if let Some(crl) = crl {
        cmd.arg(opt("crl", crl));
        let soft = matches!(rev, Revocation::Crl(s) if s.policy == FailPolicy::Soft);
        cmd.arg(format!("softFail={soft}"));
    }
    if let Some(url) = ocsp {
        cmd.arg(format!("ocsp={url}"));
        cmd.arg(format!(
            "softFail={}",
            rev.policy() == Some(FailPolicy::Soft)
        ));
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
    let suites = suites(&case.tls.server_suites);
    if !suites.is_empty() {
        cmd.arg(format!("suites={}", suites.join(",")));
    }
    cmd
}

/// The JVM properties of PKIX's OCSP client for `rev` (mode `ocsp`): its connect and read
/// timeouts, in milliseconds with the `ms` suffix (OpenJDK 17.0.15 reads it: a responder that
/// never answers is given up on after the case's query timeout). No nonce:
/// JSSE's (`jdk.security.certpath.ocspNonce`) is not required back (see the capability record).
fn ocsp_properties(rev: &OcspSettings) -> Vec<String> {
    let ms = rev.service.query_timeout.as_millis().max(1);
    vec![
        format!("-Dcom.sun.security.ocsp.timeout={ms}ms"),
        format!("-Dcom.sun.security.ocsp.readtimeout={ms}ms"),
    ]
}

/// The JVM properties that turn on JSSE's server-side stapling for `rev` (mode
/// `ocsp-stapling`): JSSE fetches the response itself from the responder in its certificate's
/// AIA (`url` when the certificate names none) on the first handshake that asks, waits for it
/// up to the query timeout, staples it unverified, and fetches it again once it is older than
/// the staple refresh interval (its cache lifetime, whole seconds).
fn stapling_properties(rev: &StaplingSettings, url: &str) -> Vec<String> {
    let refresh_s = rev.staple_refresh.as_secs().max(1);
    vec![
        "-Djdk.tls.server.enableStatusRequestExtension=true".to_string(),
        format!(
            "-Djdk.tls.stapling.responseTimeout={}",
            rev.service.query_timeout.as_millis().max(1)
        ),
        format!("-Djdk.tls.stapling.cacheLifetime={refresh_s}"),
        format!("-Djdk.tls.stapling.responderURI={url}"),
    ]
}

/// The directory of the compiled program: the cached one, or compiled now with `javac`
/// (into `fallback` when there is no cache directory).
///
/// # Errors
/// [`ProcessError::Files`] when the directory cannot be written or `javac` fails (with its
/// output).
pub fn compiled(javac: &Path, fallback: &Path) -> Result<PathBuf, ProcessError> {
    let command = |source: &Path, out: &Path| {
        let mut cmd = Command::new(javac);
        cmd.arg("-d").arg(out).arg(source);
        cmd
    };
    build_cache::built(
        &build_cache::Build {
            name: "java-server",
            file_name: "JavaServer.java",
            source: SOURCE,
            marker: "JavaServer.class",
            command: &command,
        },
        fallback,
    )
}

/// Parses the program's ready line, `listening on 127.0.0.1:PORT`.
pub fn ready_line(line: &str) -> Option<std::net::SocketAddr> {
    line.strip_prefix("listening on ")?.trim().parse().ok()
}

/// `java` and `javac` on `search_path`, or [`ProcessError::Skipped`] naming the package.
///
/// # Errors
/// When either is not found.
fn toolchain(search_path: Option<&std::ffi::OsStr>) -> Result<(PathBuf, PathBuf), ProcessError> {
    let find = |p: &str| {
        find_program(p, search_path).map_err(|_| ProcessError::Skipped {
            reason: format!("{p} is not installed (the java server is compiled and run with it); scripts/install-peers.sh installs openjdk-17-jdk-headless"),
        })
    };
    Ok((find("java")?, find("javac")?))
}

/// Compiles (once, with the installed JDK) and starts the Java server for `launch`'s case,
/// its files in a directory of its own next to the log.
///
/// # Errors
/// When the JDK is missing, compiling fails, its files cannot be written, or it does not start
/// or accept in time.
pub(super) fn start(launch: Launch<'_>) -> Result<RunningServer, ProcessError> {
    let (java, javac) = toolchain(launch.search_path)?;
    let dir = launch.side_path("java");
    crate::fsutil::create_new_dir(&dir).map_err(io_err(&dir))?;
    let classes = compiled(&javac, &dir)?;
    let chain_crl = chain_crl(&launch, &dir)?;
    let mut cmd = command(
        &java,
        &classes,
        launch.case,
        launch.files,
        chain_crl.as_deref(),
        launch.revocation.base_url,
    );
    if chain_crl.is_some() && launch.revocation.crl_check_all {
        cmd.arg("crlAll=true");
    }
    let mut guard = ChildGuard::spawn(cmd, launch.log, launch.cpus)?;
    let addr = guard.wait_for_line(READY_TIMEOUT, ready_line)?;
    ready(&java, addr, launch.log, guard, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ready_line() {
        assert_eq!(
            ready_line("listening on 127.0.0.1:4433"),
            Some("127.0.0.1:4433".parse().unwrap())
        );
    }
}
