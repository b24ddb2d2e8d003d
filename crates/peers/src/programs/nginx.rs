//! nginx as a server peer: a generated `nginx.conf` in the case's own directory under the run's
//! `peers/`, `daemon off`, its error log kept there, killed with its process group.
//!
//! nginx completes the TLS handshake for a client certificate that fails verification and
//! answers HTTP 400 (internally 495 for an invalid certificate, 496 for a missing one); only
//! protocol-level failures (a CertificateVerify that does not verify, no shared parameters)
//! end in an alert. So for nginx a `400` is turned into a verdict through its error log:
//! [`verdict_from_log`] reads the verification error nginx logged and names the class of the
//! alert OpenSSL (which nginx uses) assigns to that error, as `openssl s_server` would send it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use super::kit::{
    chain_crl, config_path_text, free_port, io_err, outcome_for_verify_error, ready, ChildGuard,
    Launch, ProcessError, RunningServer, READY_TIMEOUT,
};
use crate::measure::Outcome;
use crate::peers::tls::openssl as openssl_names;
use crate::pki::PkiFiles;
use crate::scenario::{Case, ClientAuth, ResumptionMode, RevocationMode};

/// Where a case's nginx keeps its files.
pub struct NginxDir {
    /// The directory (config, logs, temp paths).
    pub dir: PathBuf,
    /// The generated configuration.
    pub conf: PathBuf,
    /// nginx's error log (the verdicts for HTTP 400 come from here).
    pub error_log: PathBuf,
}

impl NginxDir {
    /// The layout under `dir`.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            conf: dir.join("nginx.conf"),
            error_log: dir.join("error.log"),
            dir,
        }
    }
}

/// Whether the case runs nginx with a master process and several workers (its server CPU is
/// then read over the master's process tree, as for any peer).
pub fn multi_process(case: &Case) -> bool {
    case.server_threads.is_some_and(|n| n > 1)
}

/// `path` as one nginx token: double-quoted with `"` and `\` escaped (nginx's own escapes)
/// unless it is made of plain characters only, so a space, `;`, `{` or `#` in it stays part
/// of the path. Paths nginx would read differently whatever the quoting are refused: control
/// characters (a newline), `$` (nginx expands variables in some path directives) and names
/// that are not UTF-8.
///
/// # Errors
/// [`ProcessError::Unquotable`] naming the path and the character.
pub fn quote_path(path: &Path) -> Result<String, ProcessError> {
    let text = config_path_text(
        path,
        "nginx.conf",
        &[('$', "'$' (nginx would expand it as a variable)")],
    )?;
    Ok(quote(text))
}

/// `text` as one nginx token: bare when it holds only characters nginx reads literally in a
/// bare word (letters, digits, `/._-+=@:%,`), otherwise double-quoted with `"` and `\\`
/// escaped.
fn quote(text: &str) -> String {
    let bare = |c: char| c.is_ascii_alphanumeric() || "/._-+=@:%,".contains(c);
    if !text.is_empty() && text.chars().all(bare) {
        return text.to_string();
    }
    let mut q = String::with_capacity(text.len() + 2);
    q.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// `text` with every regex metacharacter escaped (for a literal inside a PCRE pattern).
fn regex_literal(text: &str) -> String {
    let mut r = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            r.push('\\');
        }
        r.push(c);
    }
    r
}

/// The template of a case's `nginx.conf`; [`config`] fills it.
const TEMPLATE: &str = include_str!("nginx.conf.jinja");

/// What [`config`] puts into [`TEMPLATE`]: every path already quoted ([`quote_path`]), every
/// list already joined; `None` leaves a directive (or group of directives) out.
#[derive(Serialize)]
struct ConfigValues {
    /// The case's name, Rust-quoted.
    name: String,
    /// With a master process: how many workers.
    workers: Option<usize>,
    pid: String,
    error_log: String,
    /// nginx's temporary paths (directive, path), in the case's directory.
    temp_paths: Vec<(&'static str, String)>,
    addr: String,
    server_chain: String,
    server_key: String,
    verify: Option<VerifyValues>,
    crl: Option<String>,
    ocsp: Option<OcspValues>,
    stapling: Option<StaplingValues>,
    protocols: String,
    ciphers: Option<String>,
    ciphersuites: Option<String>,
    sigalgs: Option<String>,
    groups: Option<String>,
    session_cache: &'static str,
    session_tickets: &'static str,
    num_tickets: u32,
    /// The allow-list's pattern, one nginx token.
    allowed: Option<String>,
}

/// Client-certificate verification (`ssl_verify_client` is not `off`).
#[derive(Serialize)]
struct VerifyValues {
    mode: &'static str,
    root_cert: String,
    depth: u8,
}

/// nginx asks the OCSP responder about the client's certificate (`ssl_ocsp`).
#[derive(Serialize)]
struct OcspValues {
    responder: String,
    cache: &'static str,
}

/// nginx staples OCSP responses about its own certificate.
#[derive(Serialize)]
struct StaplingValues {
    responder: String,
    trusted: String,
}

/// The configuration for `case`, listening on `addr`: [`TEMPLATE`] rendered. Every path in
/// it is quoted ([`quote_path`]).
///
/// # Errors
/// [`ProcessError::Unquotable`] for a path nginx cannot be given (a newline in `--out`).
pub fn config(
    case: &Case,
    files: &PkiFiles,
    crl: Option<&Path>,
    revocation_url: Option<&str>,
    addr: SocketAddr,
    dir: &NginxDir,
) -> Result<String, ProcessError> {
    let d = |name: &str| quote_path(&dir.dir.join(name));
    // Without a master process one process serves: its CPU is the server CPU the harness
    // reads.
    let workers = multi_process(case).then(|| case.server_threads.unwrap_or(1));
    let pid = d("nginx.pid")?;
    let error_log = quote_path(&dir.error_log)?;
    let mut temp_paths = Vec::new();
    for (directive, sub) in [
        ("client_body_temp_path", "body"),
        ("proxy_temp_path", "proxy"),
        ("fastcgi_temp_path", "fastcgi"),
        ("uwsgi_temp_path", "uwsgi"),
        ("scgi_temp_path", "scgi"),
    ] {
        temp_paths.push((directive, d(sub)?));
    }
    let server_chain = quote_path(&files.server_chain)?;
    let server_key = quote_path(&files.server_key)?;
    let verify = verify_values(case, files)?;
    let crl = crl.map(quote_path).transpose()?;
    let (ocsp, stapling) = revocation_values(case, files, revocation_url)?;
    let (session_cache, session_tickets, num_tickets) = match case.tls.resumption {
        ResumptionMode::Off => ("off", "off", 0),
        ResumptionMode::SessionId => ("shared:mtls:64m", "off", case.tls.tickets),
        ResumptionMode::Tickets => ("off", "on", case.tls.tickets),
    };
    let values = ConfigValues {
        name: format!("{:?}", case.name),
        workers,
        pid,
        error_log,
        temp_paths,
        addr: addr.to_string(),
        server_chain,
        server_key,
        verify,
        crl,
        ocsp,
        stapling,
        protocols: protocols(case),
        ciphers: openssl_names::tls12_ciphers(&case.tls.server_suites),
        ciphersuites: openssl_names::tls13_suites(&case.tls.server_suites),
        sigalgs: (!case.tls.client_sigalgs.is_empty())
            .then(|| openssl_names::sigalgs_list(case, ":")),
        groups: openssl_names::groups(&case.tls.server_groups),
        session_cache,
        session_tickets,
        num_tickets,
        allowed: allow_pattern(case),
    };
    render(&values).map_err(|e| ProcessError::Files {
        path: dir.conf.clone(),
        source: std::io::Error::other(e),
    })
}

/// [`TEMPLATE`] filled with `values`: no escaping (the values are nginx tokens already), a
/// line holding only a tag leaves nothing, the final newline kept.
fn render(values: &ConfigValues) -> Result<String, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.render_named_str("nginx.conf", TEMPLATE, values)
}

/// How nginx verifies client certificates, unless `case` asks for none.
fn verify_values(case: &Case, files: &PkiFiles) -> Result<Option<VerifyValues>, ProcessError> {
    let mode = match case.client_auth {
        ClientAuth::Required => "on",
        ClientAuth::Optional => "optional",
        ClientAuth::Off => return Ok(None),
    };
    Ok(Some(VerifyValues {
        mode,
        root_cert: quote_path(&files.root_cert)?,
        depth: openssl_names::verify_depth(case),
    }))
}

/// The OCSP checking or the stapling of `case`, with the harness's responder under
/// `revocation_url`.
fn revocation_values(
    case: &Case,
    files: &PkiFiles,
    revocation_url: Option<&str>,
) -> Result<(Option<OcspValues>, Option<StaplingValues>), ProcessError> {
    Ok(match (case.revocation.mode(), revocation_url) {
        (RevocationMode::Ocsp, Some(base)) => {
            // `leaf`: `on` would also ask about every intermediate (the trap in
            // CONFORMANCE.md); the harness's responder would answer, but the case is the leaf.
            let cache = if matches!(case.revocation, crate::scenario::Revocation::Ocsp(s) if s.cache_ttl.is_zero())
            {
                "off"
            } else {
                "shared:ocsp:16m"
            };
            let responder = crate::pki::ocsp_url(base);
            (Some(OcspValues { responder, cache }), None)
        }
        (RevocationMode::OcspStapling, Some(base)) => {
            let stapling = StaplingValues {
                responder: crate::pki::ocsp_url(base),
                trusted: quote_path(&files.root_cert)?,
            };
            (None, Some(stapling))
        }
        _ => (None, None),
    })
}

/// `ssl_protocols`'s list: the case's versions as OpenSSL names them, in the case's order.
fn protocols(case: &Case) -> String {
    let versions: Vec<&str> = case
        .tls
        .versions
        .iter()
        .map(|v| match v {
            crate::scenario::TlsVersion::Tls12 => "TLSv1.2",
            crate::scenario::TlsVersion::Tls13 => "TLSv1.3",
        })
        .collect();
    versions.join(" ")
}

/// The allow-list as one nginx token, a pattern for `$ssl_client_s_dn`, when `case` has one:
/// a valid chain whose subject CN is not listed gets HTTP 403. The CN is the subject's last
/// RDN, which RFC 2253 (nginx's $ssl_client_s_dn) prints first; the anchor keeps a "CN="
/// inside another attribute's value (an escaped comma) or a multi-valued RDN from matching.
fn allow_pattern(case: &Case) -> Option<String> {
    if case.allowed_clients.is_empty() {
        return None;
    }
    let names: Vec<String> = case
        .allowed_clients
        .iter()
        .map(|n| regex_literal(n))
        .collect();
    Some(quote(&format!("^CN=({})(,|$)", names.join("|"))))
}

/// The nginx command running `dir`'s configuration.
pub fn command(nginx: &Path, dir: &NginxDir) -> Command {
    let mut cmd = Command::new(nginx);
    cmd.arg("-p")
        .arg(&dir.dir)
        .arg("-c")
        .arg(&dir.conf)
        .arg("-e")
        .arg(&dir.error_log);
    cmd
}

/// Starts the installed nginx for `launch`'s case, with its configuration in a directory of its
/// own next to the log.
///
/// # Errors
/// When it is not installed, its files cannot be written, a path cannot be put into its
/// configuration, or it does not start or accept in time.
pub(super) fn start(launch: Launch<'_>) -> Result<RunningServer, ProcessError> {
    let program = launch.program("nginx")?;
    let dir = NginxDir::new(launch.side_path("nginx"));
    // A new directory (0700) for everything nginx writes (pid, error log, temp
    // paths): nothing planted there is followed.
    crate::fsutil::create_new_dir(&dir.dir).map_err(io_err(&dir.dir))?;
    drop(crate::fsutil::create_new_file(&dir.error_log, 0o644).map_err(io_err(&dir.error_log))?);
    let addr = free_port().map_err(io_err(&dir.dir))?;
    // ssl_crl means CRL_CHECK_ALL: give nginx a CRL for every CA of the chain.
    let chain_crl = chain_crl(&launch, &dir.dir)?;
    let conf = config(
        launch.case,
        launch.files,
        chain_crl.as_deref(),
        launch.revocation.base_url,
        addr,
        &dir,
    )?;
    crate::fsutil::write_atomic(&dir.conf, conf.as_bytes(), 0o644).map_err(io_err(&dir.conf))?;
    let mut guard = ChildGuard::spawn_logged(command(&program, &dir), launch.log, launch.cpus)?;
    guard.wait_for_connect(addr, READY_TIMEOUT)?;
    Ok(ready(&program, addr, launch.log, guard, true)?.with_error_log(dir.error_log))
}

/// The verdict nginx logged for the rejected requests of a case: the most frequent class among
/// the verification errors in its error log (`client SSL certificate verify error: (N:...)`
/// gives the class of error N; `client sent no required SSL certificate` is
/// `cert_required`), with the log's wording. `None` when the log names no such rejection.
pub fn verdict_from_log(error_log: &Path) -> Option<(Outcome, String)> {
    // Not read_to_string: nginx logs bytes clients sent, and one invalid UTF-8 byte must not
    // hide every verdict in the log.
    let bytes = std::fs::read(error_log).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let mut counts: Vec<(Outcome, String, u64)> = Vec::new();
    for line in text.lines() {
        let found = if line.contains("client sent no required SSL certificate") {
            Some((
                Outcome::CertRequired,
                "client sent no required SSL certificate".to_string(),
            ))
        } else if line.contains("client SSL certificate verify error: certificate revoked") {
            // ssl_ocsp: the responder said revoked.
            Some((
                Outcome::CertRevoked,
                "OCSP: certificate revoked".to_string(),
            ))
        } else if line
            .contains("client SSL certificate verify error: certificate status request failed")
        {
            // ssl_ocsp: no usable answer (responder down, error status, bad signature): the
            // status is undetermined, which OpenSSL-based peers report as unknown_ca.
            Some((
                Outcome::UnknownCa,
                "OCSP: certificate status request failed".to_string(),
            ))
        } else if line.contains("client SSL certificate verify error: certificate status unknown") {
            // ssl_ocsp: the responder answered "unknown": undetermined as well.
            Some((
                Outcome::UnknownCa,
                "OCSP: certificate status unknown".to_string(),
            ))
        } else if let Some(rest) = line.split("client SSL certificate verify error: (").nth(1) {
            let (code, reason) = rest.split_once(':').unwrap_or((rest, ""));
            let reason = reason.split(')').next().unwrap_or("");
            code.trim().parse::<i32>().ok().map(|code| {
                (
                    outcome_for_verify_error(code),
                    format!("verify error {code}: {reason}"),
                )
            })
        } else {
            None
        };
        if let Some((outcome, reason)) = found {
            match counts
                .iter_mut()
                .find(|(o, r, _)| *o == outcome && *r == reason)
            {
                Some((_, _, n)) => *n += 1,
                None => counts.push((outcome, reason, 1)),
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, _, n)| *n)
        .map(|(o, r, _)| (o, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_one_token_or_refused() {
        let q = |p: &str| quote_path(Path::new(p));
        assert_eq!(q("/run/a-b_c/x.pem").unwrap(), "/run/a-b_c/x.pem");
        assert_eq!(
            q("/out dir; x {\"q\\}").unwrap(),
            "\"/out dir; x {\\\"q\\\\}\""
        );
        for bad in ["/out\nerror_log /x;", "/out\r", "/o$ut"] {
            let e = q(bad).unwrap_err().to_string();
            assert!(e.contains("nginx.conf cannot hold this path"), "{e}");
        }
    }

    #[test]
    fn log_lines_become_verdicts() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("error.log");
        std::fs::write(
            &log,
            "2026/11/23 22:00:00 [info] 7#7: *1 client SSL certificate verify error: (10:certificate has expired) while reading client request headers, client: 127.0.0.1\n\
             2026/11/23 22:00:00 [info] 7#7: *2 client SSL certificate verify error: (10:certificate has expired) while reading client request headers\n\
             2026/11/23 22:00:00 [info] 7#7: *3 client sent no required SSL certificate while reading client request headers\n",
        )
        .unwrap();
        let (outcome, reason) = verdict_from_log(&log).unwrap();
        assert_eq!(outcome, Outcome::CertExpired);
        assert_eq!(reason, "verify error 10: certificate has expired");
        std::fs::write(
            &log,
            "2026/11/24 00:26:09 [info] 1#1: *3 client SSL certificate verify error: certificate status unknown while reading client request headers\n",
        )
        .unwrap();
        let (outcome, reason) = verdict_from_log(&log).unwrap();
        assert_eq!(outcome, Outcome::UnknownCa);
        assert_eq!(reason, "OCSP: certificate status unknown");
        std::fs::write(&log, "nothing here\n").unwrap();
        assert!(verdict_from_log(&log).is_none());
        assert_eq!(outcome_for_verify_error(20), Outcome::UnknownCa);
        assert_eq!(outcome_for_verify_error(21), Outcome::UnknownCa);
        assert_eq!(outcome_for_verify_error(9), Outcome::BadCertificate);
        assert_eq!(outcome_for_verify_error(29), Outcome::CertificateUnknown);
    }

    /// Cases covering every directive [`config`] can write, each choice of a setting at least
    /// once.
    const CONFIG_CASES: &str = include_str!("nginx.cases.toml");

    /// The rendering of every case of [`CONFIG_CASES`], each after a `#### name` line; the odd
    /// paths need quoting.
    fn config_renderings() -> String {
        let scenario = crate::scenario::parse(CONFIG_CASES, Path::new("nginx.cases.toml")).unwrap();
        let files = PkiFiles {
            dir: "/run/pki".into(),
            root_cert: "/run/out dir/ca/root \"1\".crt".into(),
            server_chain: "/run/pki/server/server.crt".into(),
            server_key: "/run/out;dir/{server}\\key#1".into(),
            server_must_staple: "/run/pki/server/must-staple.crt".into(),
        };
        let addr: SocketAddr = "127.0.0.1:4433".parse().unwrap();
        let crl = Path::new("/run/peers/nginx/chain.crl");
        let mut out = String::new();
        for case in &scenario.cases {
            let mut case = case.clone();
            if !case.allowed_clients.is_empty() {
                // Names no scenario file may hold, which config quotes and escapes all the same.
                case.allowed_clients.push("a.b (c)|d$".into());
                case.allowed_clients.push("x\"y".into());
            }
            let dir = NginxDir::new(PathBuf::from(format!("/run/peers/{}", case.name)));
            let crl = (case.revocation.mode() == RevocationMode::Crl).then_some(crl);
            let conf = config(
                &case,
                &files,
                crl,
                Some("http://127.0.0.1:9000"),
                addr,
                &dir,
            );
            out.push_str(&format!("#### {}\n{}", case.name, conf.unwrap()));
        }
        out
    }

    /// The configuration nginx is given, byte for byte, as it was before it came from a
    /// template (nginx.expected.conf was written by the hand-built configuration).
    #[test]
    fn configs_are_rendered_as_before() {
        let expected = include_str!("nginx.expected.conf");
        let rendered = config_renderings();
        assert_eq!(rendered, expected);
    }
}
