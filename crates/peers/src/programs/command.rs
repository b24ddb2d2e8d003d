//! A command peer as a case's server: the user's program started from its command line with
//! the placeholders filled in (`{addr}`, `{port}`, `{cert}`, `{key}`, `{chain}`,
//! `{client_ca}`, `{crl}`, `{ocsp_url}`), in its own process group with its stdout and stderr
//! kept in the run directory, waited for (its `ready` line in that log, or a TCP accept) and
//! stopped with its children like every other peer. Its CPU is the CPU of its whole process
//! tree.
//!
//! The harness knows nothing else about it: what the capability record
//! ([`crate::peers::capabilities::COMMAND`]) cannot express depends on the placeholders the
//! command uses, and is checked here ([`skip_reason`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use super::kit::{
    free_port, io_err, ready, write_chain_extra, ChildGuard, Launch, ProcessError, RunningServer,
    READY_TIMEOUT,
};
use crate::scenario::{Case, ClientAuth, CommandPeer, Placeholder, RevocationMode};

/// Why the command peer of `case` cannot run it: a setting the command line does not pass.
pub fn skip_reason(case: &Case, peer: &CommandPeer) -> Option<String> {
    let needs = |p: Placeholder, what: &str| {
        (!peer.uses(p)).then(|| {
            format!(
                "{what}, but the command has no {{{}}}: the harness cannot know whether the program checks it",
                p.name()
            )
        })
    };
    match case.revocation.mode() {
        RevocationMode::Crl => {
            if let Some(r) = needs(
                Placeholder::Crl,
                "the case checks client certificates against a CRL",
            ) {
                return Some(r);
            }
        }
        RevocationMode::Ocsp => {
            if let Some(r) = needs(
                Placeholder::OcspUrl,
                "the case checks client certificates with OCSP",
            ) {
                return Some(r);
            }
        }
        RevocationMode::OcspStapling => {
            if let Some(r) = needs(Placeholder::OcspUrl, "the case staples OCSP responses") {
                return Some(r);
            }
        }
        _ => {}
    }
    if case.client_auth != ClientAuth::Required {
        return Some(format!(
            "the case sets client_auth = \"{}\"; a command peer is assumed to require client certificates and receives no such setting",
            case.client_auth
        ));
    }
    if !case.tls.server_groups.is_empty() || !case.tls.server_suites.is_empty() {
        return Some(
            "the case narrows the server's groups or suites (tls.server_groups, tls.server_suites), which a command peer receives no setting for"
                .into(),
        );
    }
    None
}

/// Starts the command peer of `launch`'s case.
///
/// # Errors
/// [`ProcessError::Skipped`] when the case needs a setting the command does not receive;
/// otherwise when its files cannot be written, or it does not start or get ready in time.
pub(super) fn start(launch: Launch<'_>) -> Result<RunningServer, ProcessError> {
    let Some(peer) = launch.case.command.as_ref() else {
        return Err(ProcessError::Skipped {
            reason: "server = \"command\" without a command line".into(),
        });
    };
    if let Some(reason) = skip_reason(launch.case, peer) {
        return Err(ProcessError::Skipped { reason });
    }
    let addr = match peer.listen {
        Some(addr) => addr,
        None => free_port().map_err(|source| ProcessError::Spawn {
            program: peer.command[0].clone(),
            source,
        })?,
    };
    let chain = if peer.uses(Placeholder::Chain) {
        let path = launch.side_path("chain.pem");
        write_chain_extra(launch.files, &path).map_err(io_err(&path))?
    } else {
        PathBuf::new()
    };
    let files = launch.files;
    let crl = launch.revocation.crl_file.map(PathBuf::from);
    let ocsp = launch.revocation.base_url.map(crate::pki::ocsp_url);
    let value = |p: Placeholder| -> String {
        let path = |p: &std::path::Path| p.display().to_string();
        match p {
            Placeholder::Addr => addr.to_string(),
            Placeholder::Port => addr.port().to_string(),
            Placeholder::Cert => path(&files.server_chain),
            Placeholder::Key => path(&files.server_key),
            Placeholder::Chain => path(&chain),
            Placeholder::ClientCa => path(&files.root_cert),
            Placeholder::Crl => crl.as_deref().map(path).unwrap_or_default(),
            Placeholder::OcspUrl => ocsp.clone().unwrap_or_default(),
        }
    };
    let argv: Vec<String> = peer
        .command
        .iter()
        .map(|a| CommandPeer::fill(a, value))
        .collect();
    let program = PathBuf::from(&argv[0]);
    let mut command = Command::new(&program);
    command.args(&argv[1..]);
    for (k, v) in &peer.env {
        command.env(k, CommandPeer::fill(v, value));
    }
    // What was started, for whoever reads the run directory (no key material: paths only).
    let cmdline = launch.side_path("command.txt");
    crate::fsutil::write_atomic(&cmdline, format!("{}\n", argv.join(" ")).as_bytes(), 0o644)
        .map_err(io_err(&cmdline))?;
    let mut guard = ChildGuard::spawn_logged(command, launch.log, launch.cpus)?;
    match &peer.ready {
        Some(line) => wait_for_log_line(&mut guard, line, addr)?,
        None => guard.wait_for_connect(addr, READY_TIMEOUT)?,
    }
    ready(&program, addr, launch.log, guard, true)
}

/// Waits until the child's log holds `needle`, then until `addr` accepts.
fn wait_for_log_line(
    guard: &mut ChildGuard,
    needle: &str,
    addr: SocketAddr,
) -> Result<(), ProcessError> {
    let started = Instant::now();
    loop {
        let text = std::fs::read(guard.log()).unwrap_or_default();
        if String::from_utf8_lossy(&text).contains(needle) {
            let left = READY_TIMEOUT.saturating_sub(started.elapsed());
            return guard.wait_for_connect(addr, left.max(Duration::from_secs(1)));
        }
        if let Some(status) = guard.exited() {
            return Err(guard.not_ready_since(started, format!("it exited with {status}")));
        }
        if started.elapsed() > READY_TIMEOUT {
            return Err(guard.not_ready_since(
                started,
                format!("no line containing \"{needle}\" in its output"),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
