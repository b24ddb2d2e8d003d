//! Apache httpd as a server peer: Debian's `apache2` (mod_ssl, the event MPM, so its figures are
//! those of a stock multi-process server) with an `httpd.conf` rendered from a template
//! (`apache.conf.j2`) into the case's own directory under the run's `peers/`, run with
//! `-DFOREGROUND` (the parent and its children stay in the process group the child guard kills),
//! its pid file, error log, session and stapling caches kept in that directory.
//!
//! Apache refuses a bad client certificate inside the handshake with the alert OpenSSL assigns
//! to the verification error (its log: `AH02276 Certificate Verification: Error (N)`), so its
//! verdicts come from the alert the client receives, as HAProxy's do. The allow-list is an
//! HTTP 403 (mod_rewrite in the translate phase), counted as `access_denied` like nginx's.
//!
//! Started as root, Apache's children switch to `www-data` after the parent read keys, CRLs and
//! opened its logs; they read no file later (the reply to `GET /` comes from
//! `ErrorDocument 200`, not from a file), so the case's 0700 directory can stay closed.
//!
//! Every path in the configuration is double-quoted; a path Apache would read differently
//! whatever the quoting (a `"`, `\`, `$` for its `${VAR}` expansion, a parenthesis that ends
//! an `shmcb:` path, a control character) is refused.

use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use super::kit::{
    chain_crl, config_path_text, free_port, io_err, quoted_allow_list, ready, server_chain,
    ChildGuard, Launch, ProcessError, RunningServer, READY_TIMEOUT,
};
use crate::peers::tls::openssl as openssl_names;
use crate::pki::PkiFiles;
use crate::scenario::{Case, ClientAuth, ResumptionMode, Revocation, TlsVersion};

/// The configuration template.
const TEMPLATE: &str = include_str!("apache.conf.j2");

/// Where Debian's apache2-bin keeps its modules.
const MODULES: &str = "/usr/lib/apache2/modules";

/// The user Apache's children run as when it is started as root (Debian's web server user).
const RUN_USER: &str = "www-data";

/// Where a case's Apache keeps its files.
pub struct ApacheDir {
    /// The directory (0700).
    pub dir: PathBuf,
    /// The generated configuration.
    pub conf: PathBuf,
    /// Apache's error log.
    pub error_log: PathBuf,
}

impl ApacheDir {
    /// The layout under `dir`.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            conf: dir.join("httpd.conf"),
            error_log: dir.join("error.log"),
            dir,
        }
    }
}

/// `path` as one double-quoted Apache argument.
///
/// # Errors
/// [`ProcessError::Unquotable`] for a path Apache cannot be given.
pub fn quote_path(path: &Path) -> Result<String, ProcessError> {
    let text = config_path_text(
        path,
        "httpd.conf",
        &[
            ('"', "a double quote"),
            ('\\', "a backslash"),
            ('$', "'$' (Apache expands ${...} in every line)"),
            ('(', "a parenthesis (it would end an shmcb: cache path)"),
            (')', "a parenthesis (it would end an shmcb: cache path)"),
        ],
    )?;
    Ok(format!("\"{text}\""))
}

/// An `shmcb:` cache of `size` bytes at `path`, as one quoted argument.
///
/// # Errors
/// [`ProcessError::Unquotable`] as [`quote_path`].
fn shmcb(path: &Path, size: u32) -> Result<String, ProcessError> {
    let quoted = quote_path(path)?;
    let inner = quoted.trim_matches('"');
    Ok(format!("\"shmcb:{inner}({size})\""))
}

/// The client-verification block.
#[derive(Serialize)]
struct Verify {
    mode: &'static str,
    depth: u16,
    ca: String,
}

/// The CRL block.
#[derive(Serialize)]
struct Crl {
    file: String,
    check: &'static str,
}

/// The client-certificate OCSP block.
#[derive(Serialize)]
struct Ocsp {
    url: String,
    nonce: &'static str,
    timeout_secs: u64,
}

/// The stapling block.
#[derive(Serialize)]
struct Stapling {
    url: String,
    cache: String,
    timeout_secs: u64,
}

/// Everything the template is rendered from: each value already quoted or spelled for Apache.
#[derive(Serialize)]
struct Context {
    case_name: String,
    dir: String,
    pid_file: String,
    error_log: String,
    run_user: Option<&'static str>,
    run_group: Option<&'static str>,
    modules: &'static str,
    processes: Option<usize>,
    addr: String,
    session_cache: Option<String>,
    stapling: Option<Stapling>,
    protocols: String,
    cert: String,
    key: String,
    verify: Option<Verify>,
    crl: Option<Crl>,
    ocsp: Option<Ocsp>,
    ciphers12: Option<String>,
    suites13: Option<String>,
    groups: Option<String>,
    sigalgs: Option<String>,
    tickets: &'static str,
    num_tickets: u32,
    allowed: Option<String>,
}

/// What the configuration is made from besides the case.
pub struct Inputs<'a> {
    /// The case's fixtures.
    pub files: &'a PkiFiles,
    /// The CRL bundle (a CRL for every CA of the chain), in mode `crl`.
    pub crl: Option<&'a Path>,
    /// Check the CRLs of every CA of the chain (`SSLCARevocationCheck chain`), not the leaf's.
    pub crl_check_all: bool,
    /// The revocation service's base URL.
    pub revocation_url: Option<&'a str>,
    /// Started as root: the children switch to [`RUN_USER`].
    pub as_root: bool,
}

/// Whole seconds for Apache's timeouts, never 0 (which Apache reads as "no timeout" or refuses).
fn whole_secs(d: std::time::Duration) -> u64 {
    d.as_millis().div_ceil(1000).max(1) as u64
}

/// The allow-list's names as an ap_expr list (`'a', 'b'`), `None` without one.
///
/// # Errors
/// [`ProcessError::Skipped`] for a name the adapter cannot write.
fn allowed_names(case: &Case) -> Result<Option<String>, ProcessError> {
    if case.allowed_clients.is_empty() {
        return Ok(None);
    }
    Ok(Some(quoted_allow_list(case, "apache")?.join(", ")))
}

/// The revocation blocks of a case (at most one is set).
struct RevocationBlocks {
    crl: Option<Crl>,
    ocsp: Option<Ocsp>,
    stapling: Option<Stapling>,
}

/// The revocation blocks of `case`: CRL, client-certificate OCSP, stapling.
fn revocation(
    case: &Case,
    inputs: &Inputs<'_>,
    dir: &ApacheDir,
) -> Result<RevocationBlocks, ProcessError> {
    let crl = match inputs.crl {
        Some(file) => Some(Crl {
            file: quote_path(file)?,
            check: if inputs.crl_check_all {
                "chain"
            } else {
                "leaf"
            },
        }),
        None => None,
    };
    let url = inputs.revocation_url.map(crate::pki::ocsp_url);
    let (ocsp, stapling) = match (&case.revocation, url) {
        (Revocation::Ocsp(s), Some(url)) => {
            let ocsp = Ocsp {
                url: quote(&url),
                nonce: if s.nonce { "on" } else { "off" },
                timeout_secs: whole_secs(s.service.query_timeout),
            };
            (Some(ocsp), None)
        }
        (Revocation::Stapling(s), Some(url)) => {
            let stapling = Stapling {
                url: quote(&url),
                cache: shmcb(&dir.dir.join("stapling"), 128_000)?,
                timeout_secs: whole_secs(s.service.query_timeout),
            };
            (None, Some(stapling))
        }
        _ => (None, None),
    };
    Ok(RevocationBlocks {
        crl,
        ocsp,
        stapling,
    })
}

/// `text` (a URL the harness made) as one double-quoted argument.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace(['"', '\\'], ""))
}

/// The configuration for `case`, listening on `addr`.
///
/// # Errors
/// [`ProcessError::Unquotable`] for a path Apache cannot be given, [`ProcessError::Skipped`]
/// for an allow-list name it cannot hold, [`ProcessError::Files`] when the template fails.
pub fn config(
    case: &Case,
    inputs: &Inputs<'_>,
    addr: SocketAddr,
    dir: &ApacheDir,
) -> Result<String, ProcessError> {
    let files = inputs.files;
    let verify = match case.client_auth {
        ClientAuth::Required => Some("require"),
        ClientAuth::Optional => Some("optional"),
        ClientAuth::Off => None,
    };
    let verify = match verify {
        Some(mode) => Some(Verify {
            mode,
            // SSLVerifyDepth counts the anchor too (mod_ssl refuses a certificate at a depth
            // greater than it): the case's intermediates plus one.
            depth: u16::from(openssl_names::verify_depth(case)) + 1,
            ca: quote_path(&files.root_cert)?,
        }),
        None => None,
    };
    let RevocationBlocks {
        crl,
        ocsp,
        stapling,
    } = revocation(case, inputs, dir)?;
    let session_cache = match case.tls.resumption {
        ResumptionMode::SessionId => Some(shmcb(&dir.dir.join("ssl_scache"), 512_000)?),
        ResumptionMode::Off | ResumptionMode::Tickets => None,
    };
    let (tickets, num_tickets) = match case.tls.resumption {
        ResumptionMode::Off => ("off", 0),
        ResumptionMode::SessionId => ("off", case.tls.tickets),
        ResumptionMode::Tickets => ("on", case.tls.tickets),
    };
    let protocols: Vec<&str> = case
        .tls
        .versions
        .iter()
        .map(|v| match v {
            TlsVersion::Tls12 => "+TLSv1.2",
            TlsVersion::Tls13 => "+TLSv1.3",
        })
        .collect();
    let context = Context {
        case_name: format!("{:?}", case.name),
        dir: quote_path(&dir.dir)?,
        pid_file: quote_path(&dir.dir.join("httpd.pid"))?,
        error_log: quote_path(&dir.error_log)?,
        run_user: inputs.as_root.then_some(RUN_USER),
        run_group: inputs.as_root.then_some(RUN_USER),
        modules: MODULES,
        processes: case.server_threads,
        addr: addr.to_string(),
        session_cache,
        stapling,
        protocols: format!("-all {}", protocols.join(" ")),
        cert: quote_path(server_chain(case, files))?,
        key: quote_path(&files.server_key)?,
        verify,
        crl,
        ocsp,
        ciphers12: openssl_names::tls12_ciphers(&case.tls.server_suites),
        suites13: openssl_names::tls13_suites(&case.tls.server_suites),
        groups: openssl_names::groups(&case.tls.server_groups),
        sigalgs: (!case.tls.client_sigalgs.is_empty())
            .then(|| openssl_names::sigalgs_list(case, ":")),
        tickets,
        num_tickets,
        allowed: allowed_names(case)?,
    };
    render(&context).map_err(|e| ProcessError::Files {
        path: dir.conf.clone(),
        source: std::io::Error::other(e.to_string()),
    })
}

/// The template rendered with `context` (undefined names are errors, not empty strings).
fn render(context: &Context) -> Result<String, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("httpd.conf", TEMPLATE)?;
    env.get_template("httpd.conf")?.render(context)
}

/// The Apache command running `dir`'s configuration in the foreground (the parent stays in the
/// guard's process group with its children; no Debian environment file is needed, every path
/// is in the configuration).
pub fn command(apache: &Path, dir: &ApacheDir) -> Command {
    let mut cmd = Command::new(apache);
    cmd.arg("-DFOREGROUND").arg("-f").arg(&dir.conf);
    cmd
}

/// Starts the installed Apache for `launch`'s case, with its files in a directory of its own
/// next to the log.
///
/// # Errors
/// When it is not installed, its files cannot be written, a path cannot be put into its
/// configuration, or it does not start or accept in time.
pub(super) fn start(launch: Launch<'_>) -> Result<RunningServer, ProcessError> {
    let program = launch.program("apache2")?;
    let dir = ApacheDir::new(launch.side_path("apache"));
    crate::fsutil::create_new_dir(&dir.dir).map_err(io_err(&dir.dir))?;
    // The directory is ours: its owner is the user Apache starts as.
    let as_root = std::fs::metadata(&dir.dir).map_err(io_err(&dir.dir))?.uid() == 0;
    let addr = free_port().map_err(io_err(&dir.dir))?;
    // A CRL for every CA of the chain: `SSLCARevocationCheck chain` needs them all, `leaf`
    // picks the leaf's issuer's from the same file.
    let crl = chain_crl(&launch, &dir.dir)?;
    let inputs = Inputs {
        files: launch.files,
        crl: crl.as_deref(),
        crl_check_all: launch.revocation.crl_check_all,
        revocation_url: launch.revocation.base_url,
        as_root,
    };
    let conf = config(launch.case, &inputs, addr, &dir)?;
    crate::fsutil::write_atomic(&dir.conf, conf.as_bytes(), 0o644).map_err(io_err(&dir.conf))?;
    let mut guard = ChildGuard::spawn_logged(command(&program, &dir), launch.log, launch.cpus)?;
    guard.wait_for_connect(addr, READY_TIMEOUT)?;
    // Its CPU is read over the parent's process tree (the children do the handshakes). The
    // error log is where HTTP 403 replies of the allow-list are counted from.
    Ok(ready(&program, addr, launch.log, guard, true)?.with_error_log(dir.error_log))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_or_refused() {
        let q = |p: &str| quote_path(Path::new(p));
        assert_eq!(q("/run/a b;#{}").unwrap(), "\"/run/a b;#{}\"");
        for bad in ["/out\nListen 80", "/o\"ut", "/o${X}", "/o(1)", "/o\\x"] {
            let e = q(bad).unwrap_err().to_string();
            assert!(e.contains("httpd.conf cannot hold this path"), "{e}");
        }
    }

    #[test]
    fn timeouts_are_whole_seconds_never_zero() {
        use std::time::Duration;
        assert_eq!(whole_secs(Duration::from_millis(0)), 1);
        assert_eq!(whole_secs(Duration::from_millis(500)), 1);
        assert_eq!(whole_secs(Duration::from_millis(1500)), 2);
    }
}
