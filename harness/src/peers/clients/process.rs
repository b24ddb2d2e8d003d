//! Process clients: the installed `openssl s_client` and a Node.js client (node's `https`
//! module with cert, key and ca), one process per handshake (s_client carries sessions from
//! one process to the next in a file, so it can resume; so does the node client). They are interop and conformance
//! peers, not load generators: attempts run one after another, the latency includes starting
//! the process, and the harness's CPU figures do not include theirs.
//!
//! Verdicts come from their output: the HTTP status line they print, the alert number OpenSSL
//! reports (`SSL alert number N`, also inside node's error message), or a local verification
//! error.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::measure::LoadResult;
use crate::measure::{CpuSnapshot, CpuUsage, Negotiated, Outcome, Recorder, Sample};
use crate::peers::programs::find_program;
use crate::peers::programs::ProcessError;
use crate::peers::tls::openssl as openssl_names;
use crate::peers::tls::rustls as tls_config;
use crate::pki::{ClientCert, Pki, PkiFiles};
use crate::scenario::Case;
use crate::scenario::{CipherSuite, KxGroup, ResumptionMode, Stop, TlsVersion};

/// The Node.js client script.
const NODE_SCRIPT: &str = include_str!("../programs/node_client.js");

/// Extra time a process gets on top of the case's timeout, for starting up.
const STARTUP_GRACE: Duration = Duration::from_secs(3);

/// Which process client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessClientKind {
    /// `openssl s_client`.
    SClient,
    /// `node` with the https module.
    Node,
}

/// The credential files of a case's client: (leaf, intermediates after it, full chain, key).
struct Credential {
    leaf: PathBuf,
    extra: Option<PathBuf>,
    chain: PathBuf,
    key: PathBuf,
}

fn credential(case: &Case, pki: &Pki, files: &PkiFiles, work: &Path) -> Option<Credential> {
    let id = pki.client(case.client_cert, 0)?;
    let (chain, key) = match case.client_cert {
        ClientCert::Valid => (
            files.dir.join("clients").join(format!("{}.crt", id.name)),
            files.dir.join("clients").join(format!("{}.key", id.name)),
        ),
        other => (
            files.dir.join("bad").join(format!("{other}.crt")),
            files.dir.join("bad").join(format!("{other}.key")),
        ),
    };
    let pem = |der: &[u8]| pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()));
    let leaf = work.join("client-leaf.pem");
    let extra = work.join("client-chain-extra.pem");
    let leaf_pem = id
        .chain
        .first()
        .map(|c| pem(c.as_ref()))
        .unwrap_or_default();
    let extra_pem: String = id.chain.iter().skip(1).map(|c| pem(c.as_ref())).collect();
    crate::fsutil::write_atomic(&leaf, leaf_pem.as_bytes(), 0o644).ok()?;
    // s_client refuses an empty -cert_chain file: none when the chain is the leaf alone.
    let extra = if extra_pem.is_empty() {
        None
    } else {
        crate::fsutil::write_atomic(&extra, extra_pem.as_bytes(), 0o644).ok()?;
        Some(extra)
    };
    Some(Credential {
        leaf,
        extra,
        chain,
        key,
    })
}

/// Runs the attempts of `case` with a process client against `addr`: the handshake count, or
/// as many as fit in the duration (warm-up excluded: there is none). `work` is a directory
/// for the client's files.
///
/// # Errors
/// [`ProcessError::Skipped`] when the program is not installed; [`ProcessError::Files`] when
/// its files cannot be written.
#[allow(clippy::too_many_arguments)]
pub fn run(
    kind: ProcessClientKind,
    case: &Case,
    pki: &Pki,
    files: &PkiFiles,
    addr: SocketAddr,
    server_pid: Option<u32>,
    work: &Path,
    search_path: Option<&std::ffi::OsStr>,
    cancel: &AtomicBool,
) -> Result<LoadResult, ProcessError> {
    let program = match kind {
        ProcessClientKind::SClient => find_program("openssl", search_path)?,
        ProcessClientKind::Node => find_program("node", search_path)?,
    };
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ProcessError::Files { path, source }
    };
    std::fs::create_dir_all(work).map_err(io_err(work))?;
    let cred = match case.client_cert {
        ClientCert::None => None,
        _ => Some(
            credential(case, pki, files, work).ok_or_else(|| ProcessError::Skipped {
                reason: format!("no {} credential in the fixtures", case.client_cert),
            })?,
        ),
    };
    let script = work.join("node-client.js");
    if kind == ProcessClientKind::Node {
        crate::fsutil::write_atomic(&script, NODE_SCRIPT.as_bytes(), 0o644)
            .map_err(io_err(&script))?;
    }
    let timeout = case.load.timeout + STARTUP_GRACE;
    let session = work.join("session.pem");
    let _ = std::fs::remove_file(&session);
    let mut recorder = Recorder::default();
    let start = CpuSnapshot::take(crate::measure::CpuTargets {
        server_pid,
        side_thread: None,
    });
    let t0 = Instant::now();
    let mut n = 0u64;
    let mut interrupted = false;
    loop {
        let more = match case.load.stop {
            Stop::Handshakes(total) => n < total,
            Stop::Duration(d) => t0.elapsed() < d,
        };
        if !more {
            break;
        }
        if cancel.load(Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        // s_client carries sessions between its processes in a file (-sess_out/-sess_in):
        // the first handshake is full, later ones offer the saved session per the fraction.
        let offer = case.tls.resumption != ResumptionMode::Off
            && session.exists()
            && offers(n, case.tls.resume_fraction);
        let sessions =
            (case.tls.resumption != ResumptionMode::Off).then_some((session.as_path(), offer));
        let command = match kind {
            ProcessClientKind::SClient => {
                s_client_command(&program, case, files, cred.as_ref(), addr, sessions)
            }
            ProcessClientKind::Node => node_command(
                &program,
                &script,
                case,
                files,
                cred.as_ref(),
                addr,
                sessions,
            ),
        };
        let mut sample = attempt(kind, command, timeout);
        sample.meant_to_resume = offer;
        recorder.record(&sample);
        n += 1;
    }
    let end = CpuSnapshot::take(crate::measure::CpuTargets {
        server_pid,
        side_thread: None,
    });
    recorder.completed_in_window = n;
    Ok(LoadResult {
        recorder,
        cpu: CpuUsage::between(&start, &end),
        window: t0.elapsed(),
        interrupted,
        worker_failures: 0,
    })
}

/// Whether attempt `n` (from 0) offers a session, spreading `fraction` evenly.
fn offers(n: u64, fraction: f64) -> bool {
    let f = fraction.clamp(0.0, 1.0);
    ((n + 1) as f64 * f).floor() > (n as f64 * f).floor()
}

fn s_client_command(
    openssl: &Path,
    case: &Case,
    files: &PkiFiles,
    cred: Option<&Credential>,
    addr: SocketAddr,
    sessions: Option<(&Path, bool)>,
) -> Command {
    let mut cmd = Command::new(openssl);
    cmd.arg("s_client")
        .args(["-connect", &addr.to_string(), "-servername", "localhost"])
        .args(["-ign_eof", "-verify_return_error"])
        .args(["-verify_hostname", "localhost"])
        .arg("-CAfile")
        .arg(&files.root_cert);
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

fn node_command(
    node: &Path,
    script: &Path,
    case: &Case,
    files: &PkiFiles,
    cred: Option<&Credential>,
    addr: SocketAddr,
    sessions: Option<(&Path, bool)>,
) -> Command {
    let (lo, hi) = openssl_names::version_range(&case.tls.versions);
    let mut o = serde_json::json!({
        "port": addr.port(),
        "ca": files.root_cert,
        "minVersion": lo,
        "maxVersion": hi,
        "timeoutMs": case.load.timeout.as_millis() as u64,
    });
    if let Some(c) = cred {
        o["cert"] = serde_json::json!(c.chain);
        o["key"] = serde_json::json!(c.key);
    }
    if let Some(list) = openssl_names::groups(&case.tls.groups) {
        o["ecdhCurve"] = serde_json::json!(list);
    }
    if let Some((file, offer)) = sessions {
        o["sessionOut"] = serde_json::json!(file);
        if offer {
            o["sessionIn"] = serde_json::json!(file);
        }
    }
    let suites: Vec<&str> = case
        .tls
        .suites
        .iter()
        .map(|&s| openssl_names::suite(s))
        .collect();
    if !suites.is_empty() {
        o["ciphers"] = serde_json::json!(suites.join(":"));
    }
    let mut cmd = Command::new(node);
    cmd.arg(script).arg(o.to_string());
    cmd
}

/// The request s_client sends from its stdin.
const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: mtls-harness-s_client\r\nConnection: close\r\n\r\n";

fn attempt(kind: ProcessClientKind, mut command: Command, timeout: Duration) -> Sample {
    let mut sample = Sample::begin(Instant::now());
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    crate::sys::prepare_child(&mut command, None);
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(_) => {
            sample.end = Instant::now();
            sample.outcome = Outcome::IoError;
            return sample;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        if kind == ProcessClientKind::SClient {
            let _ = std::io::Write::write_all(&mut stdin, REQUEST);
        }
    }
    // Drain both pipes on threads so a chatty child never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            _ => {
                timed_out = true;
                let _ = crate::sys::kill_group(child.id(), libc::SIGKILL);
                let _ = child.wait();
                break;
            }
        }
    }
    sample.end = Instant::now();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if timed_out {
        sample.outcome = Outcome::Timeout;
        return sample;
    }
    let verdict = match kind {
        ProcessClientKind::SClient => parse_s_client(&stdout, &stderr),
        ProcessClientKind::Node => parse_node(&stdout),
    };
    sample.outcome = verdict.outcome;
    sample.http_status = verdict.status;
    sample.negotiated = verdict.negotiated;
    if sample.outcome == Outcome::Accepted || sample.http_status.is_some() {
        sample.first_byte = Some(sample.end);
    }
    sample
}

/// What a process client's output says.
#[derive(Debug, PartialEq)]
pub struct Verdict {
    /// The outcome class.
    pub outcome: Outcome,
    /// The HTTP status, if a reply arrived.
    pub status: Option<u16>,
    /// What was negotiated, if reported.
    pub negotiated: Option<Negotiated>,
}

/// The alert in an OpenSSL error text (`SSL alert number 48`).
fn alert_number(text: &str) -> Option<Outcome> {
    let rest = text.split("alert number ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let n: u8 = digits.parse().ok()?;
    Some(Outcome::from_alert(n))
}

/// The first HTTP status line in the output. s_client's reply text can land in the middle of
/// a line of its own session-ticket dump (two writers on one stdout), so it is searched for
/// anywhere, not only at line starts.
fn status_of(stdout: &str) -> Option<u16> {
    let start = stdout.find("HTTP/1.")?;
    let line = stdout[start..].lines().next()?;
    crate::load::parse_status_line(line.trim_end().as_bytes())
}

fn from_status(status: Option<u16>, negotiated: Option<Negotiated>) -> Option<Verdict> {
    let status = status?;
    Some(Verdict {
        outcome: if (200..300).contains(&status) {
            Outcome::Accepted
        } else {
            Outcome::HttpError
        },
        status: Some(status),
        negotiated,
    })
}

fn negotiated(
    version: Option<&str>,
    suite: Option<&str>,
    group: Option<&str>,
    reused: bool,
) -> Option<Negotiated> {
    let version = match version? {
        "TLSv1.3" => tls_config::negotiated_version(TlsVersion::Tls13),
        "TLSv1.2" => tls_config::negotiated_version(TlsVersion::Tls12),
        _ => return None,
    };
    let suite = suite?;
    let suite = CipherSuite::ALL
        .iter()
        .find(|&&s| openssl_names::suite(s) == suite || s.name() == suite)
        .map(|&s| s.name())?;
    let group = group.and_then(|g| {
        KxGroup::ALL
            .iter()
            .find(|&&k| openssl_names::group(k).eq_ignore_ascii_case(g) || k.name() == g)
            .map(|&k| tls_config::negotiated_group(k))
    });
    Some(Negotiated {
        version,
        suite,
        group,
        resumed: reused,
    })
}

/// Reads `openssl s_client` output: the status line, `New|Reused, TLSv1.3, Cipher is X` and
/// `Server Temp Key: X25519, ...` on stdout; the alert or verification error on stderr.
pub fn parse_s_client(stdout: &str, stderr: &str) -> Verdict {
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

/// Reads the node client's JSON line.
pub fn parse_node(stdout: &str) -> Verdict {
    let v: serde_json::Value = stdout
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or(serde_json::Value::Null);
    let status = v["status"].as_u64().and_then(|s| u16::try_from(s).ok());
    let neg = negotiated(
        v["protocol"].as_str(),
        v["cipher"].as_str(),
        v["group"].as_str(),
        v["reused"].as_bool().unwrap_or(false),
    );
    if let Some(verdict) = from_status(status, neg) {
        return verdict;
    }
    let message = v["error"].as_str().unwrap_or_default();
    let code = v["code"].as_str().unwrap_or_default();
    let outcome = alert_number(message).unwrap_or(match code {
        "TIMEOUT" => Outcome::Timeout,
        "ECONNRESET" | "EPIPE" | "ECONNREFUSED" => Outcome::Reset,
        c if c.contains("CERT") || c.contains("SELF_SIGNED") || c.contains("VERIFY") => {
            Outcome::ClientRejectedServer
        }
        _ if message.contains("socket hang up") => Outcome::ClosedWithoutVerdict,
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
    fn s_client_output_is_read() {
        let v = parse_s_client(
            "CONNECTED(00000003)\nServer Temp Key: X25519, 253 bits\n---\nReused, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384\n---\n    0180 - a9 8c 45 ed 74 5fHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
            "",
        );
        assert_eq!(v.outcome, Outcome::Accepted);
        let n = v.negotiated.unwrap();
        assert_eq!(n.version, "TLSv1_3");
        assert_eq!(n.group, Some("X25519"));
        assert!(n.resumed);
        assert!(offers(1, 1.0) && offers(0, 0.5) != offers(1, 0.5));
        let v = parse_s_client(
            "",
            "40F7:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../ssl/record/rec_layer_s3.c:1605:SSL alert number 116\n",
        );
        assert_eq!(v.outcome, Outcome::CertRequired);
    }

    #[test]
    fn node_output_is_read() {
        let v = parse_node(
            r#"{"status":400,"protocol":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384","group":"X25519","reused":false}"#,
        );
        assert_eq!((v.outcome, v.status), (Outcome::HttpError, Some(400)));
        let v = parse_node(
            r#"{"error":"...:SSL alert number 48\n","code":"ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"}"#,
        );
        assert_eq!(v.outcome, Outcome::UnknownCa);
        assert_eq!(parse_node("garbage").outcome, Outcome::IoError);
    }
}
