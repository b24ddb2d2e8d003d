//! The built-in servers (rustls and OpenSSL, `mtls-harness serve`) as a case's server: the
//! typed settings built from the case and handed over as a file, the status channel they
//! report on, and the wait for their `listening on ADDR` line.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::kit::{
    ready, ChildGuard, Launch, ProcessError, RevocationArgs, RunningServer, READY_TIMEOUT,
};
use crate::peers::servers::{
    BuiltinServer, CrlCheck, Identity, OcspClients, OcspQuery, ServerRevocation, ServerSettings,
    Stapling,
};
use crate::pki::PkiFiles;
use crate::scenario::{Case, Revocation, ServerImpl};

/// Starts `mtls-harness serve` (`harness_exe`) for `launch`'s case.
///
/// # Errors
/// When its files cannot be written, or it does not start or accept in time.
pub(super) fn start(harness_exe: &Path, launch: Launch<'_>) -> Result<RunningServer, ProcessError> {
    let status = launch.side_path("status.jsonl");
    // The server appends to it: created here anew, so a stale one or a symlink
    // planted there is never appended to.
    drop(
        crate::fsutil::create_new_file(&status, 0o644).map_err(|source| ProcessError::Files {
            path: status.clone(),
            source,
        })?,
    );
    let settings = builtin_settings(launch.case, launch.files, launch.revocation, &status);
    let file = launch.side_path("settings.json");
    let command = builtin_command(harness_exe, &settings, &file)
        .map_err(|source| ProcessError::Files { path: file, source })?;
    let mut guard = ChildGuard::spawn(command, launch.log, launch.cpus)?;
    let addr = guard.wait_for_line(READY_TIMEOUT, |line| {
        line.strip_prefix("listening on ")?
            .trim()
            .parse::<SocketAddr>()
            .ok()
    })?;
    Ok(ready(harness_exe, addr, launch.log, guard, true)?.with_status(status))
}

/// The typed settings of `case`'s built-in server, with the revocation sources in `sources`.
fn builtin_settings(
    case: &Case,
    files: &PkiFiles,
    sources: &RevocationArgs<'_>,
    status: &Path,
) -> ServerSettings {
    let rev = &case.revocation;
    let must_staple = matches!(rev, Revocation::Stapling(s) if s.must_staple);
    let (cert, key) = match sources.rotating_cert {
        Some((cert, key, _)) => (cert.to_path_buf(), key.to_path_buf()),
        None if must_staple => (files.server_must_staple.clone(), files.server_key.clone()),
        None => (files.server_chain.clone(), files.server_key.clone()),
    };
    let mut s = ServerSettings {
        implementation: match case.server {
            ServerImpl::Openssl => BuiltinServer::Openssl,
            _ => BuiltinServer::Rustls,
        },
        identity: Identity { cert, key },
        client_ca: Some(files.root_cert.clone()),
        client_auth: case.client_auth,
        versions: case.tls.versions.clone(),
        groups: case.tls.server_groups.clone(),
        suites: case.tls.server_suites.clone(),
        resumption: case.tls.resumption,
        tickets: case.tls.tickets,
        threads: case.server_threads,
        // The client's timeout decides; the server only drops what is long past it.
        conn_timeout: case.load.timeout + Duration::from_secs(5),
        verify_depth: case
            .verify_depth
            .filter(|_| case.server == ServerImpl::Openssl),
        allow_cn: case.allowed_clients.clone(),
        client_sigalgs: case.tls.client_sigalgs.clone(),
        status: Some(status.to_path_buf()),
        handicap_us: case.server_handicap_us.unwrap_or(0),
        ..ServerSettings::default()
    };
    s.revocation = server_revocation(rev, sources);
    if let Revocation::ShortLived(_) = rev {
        s.cert_reload = sources.rotating_cert.map(|(_, _, every)| every);
    }
    s
}

/// The built-in server's revocation mode for the case's `rev`: the same mode, with the files
/// and URLs the runner staged in `sources`.
fn server_revocation(rev: &Revocation, sources: &RevocationArgs<'_>) -> ServerRevocation {
    match rev {
        Revocation::Crl(_) | Revocation::CrlHttp(_) => {
            let mut crl = CrlCheck {
                crl_policy: rev.policy().unwrap_or_default(),
                crl_check_all: sources.crl_check_all,
                crl_reload: rev.crl_reload(),
                crl_deltas: rev.crl_delta(),
                ..CrlCheck::default()
            };
            match (rev, sources.crl_file, sources.base_url) {
                (Revocation::Crl(_), Some(file), _) => crl.crl = vec![file.to_path_buf()],
                (_, _, Some(base)) => crl.crl_url = Some(crate::pki::crl_url(base)),
                _ => {}
            }
            ServerRevocation::Crl(crl)
        }
        Revocation::Ocsp(o) => ServerRevocation::Ocsp(
            OcspQuery {
                ocsp_timeout: o.service.query_timeout,
                ocsp_nonce: o.nonce,
                ..OcspQuery::default()
            },
            OcspClients {
                ocsp_cache_ttl: o.cache_ttl,
                ocsp_policy: o.policy,
            },
        ),
        Revocation::Stapling(st) => ServerRevocation::Stapling(
            OcspQuery {
                ocsp_timeout: st.service.query_timeout,
                ..OcspQuery::default()
            },
            Stapling {
                staple_unverified: !st.staple_verify,
                staple_refresh: st.staple_refresh,
            },
        ),
        Revocation::ShortLived(_) | Revocation::None => ServerRevocation::None,
    }
}

/// The `mtls-harness serve` command for `settings`, written next to the log.
fn builtin_command(exe: &Path, settings: &ServerSettings, file: &Path) -> std::io::Result<Command> {
    settings.write(file)?;
    let mut cmd = Command::new(exe);
    cmd.arg("serve").arg("--settings").arg(file);
    // Quiet unless the user asked for more: per-connection logs would distort CPU figures.
    if std::env::var_os("RUST_LOG").is_none() {
        cmd.env("RUST_LOG", "info");
    }
    Ok(cmd)
}
