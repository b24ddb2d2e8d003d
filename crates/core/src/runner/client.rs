//! The case's load client: whether the case can run at all here (target-mode rules, the
//! client's capabilities), which client drives it (rustls, OpenSSL in process, or an external
//! program), and the load future that client runs. Kept apart from the case's phases so the
//! rules about clients are read in one place.

use std::ffi::OsStr;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::short_lived::ShortLived;
use super::RunOptions;
use crate::load::{run_load_with, LoadExtras, TlsAttempts};
use crate::measure::{CpuTargets, LoadResult};
use crate::peers::capabilities;
use crate::peers::clients::process::{ProcessAttempts, ProcessClientKind, ServerAt};
use crate::peers::{OpensslClient, OpensslClientError, ProcessError, RustlsClient};
use crate::pki::{Pki, PkiFiles};
use crate::scenario::{Case, ClientImpl, RevocationMode};

/// The load client of a case, by implementation.
pub(super) enum LoadClient {
    Rustls(Arc<RustlsClient>),
    Openssl(Arc<OpensslClient>),
    Process(ProcessClientKind),
}

/// Why a case gets no load client: it is skipped (the client cannot do what it asks) or fails.
pub(super) enum NoClient {
    /// Skipped, with the reason.
    Skipped(String),
    /// Failed, with the message.
    Failed(String),
}

/// The load of a case, ready to be driven on the run's runtime.
pub(super) type LoadFuture<'a> = Pin<Box<dyn Future<Output = LoadResult> + 'a>>;

/// Where the load goes and what it measures besides the handshakes.
pub(super) struct Drive<'a> {
    /// The server.
    pub addr: SocketAddr,
    /// Processes and threads whose CPU is sampled.
    pub targets: CpuTargets,
    /// Share of attempts that resume, when resumption is on.
    pub resume: Option<f64>,
    /// Set on Ctrl-C.
    pub cancel: Arc<AtomicBool>,
    /// Interval log and live progress.
    pub extras: &'a LoadExtras,
    /// The external server, in target mode (a process client verifies it with its CA and
    /// name, and presents the user's own credential).
    pub target: Option<&'a crate::peers::Target>,
}

/// Why `case` cannot run with its client here (skipped with this reason), if it cannot: the
/// target-mode rules first, then what the client supports.
pub(super) fn skip_reason(case: &Case, pki: &Pki, opts: &RunOptions) -> Option<String> {
    let client_caps = capabilities::client(case.client);
    target_unsupported(case, opts)
        .or_else(|| {
            pki.missing_reason(case.client_cert)
                .filter(|_| case.own_credential.is_none())
                .map(|why| format!("no {} credential: {why}", case.client_cert))
        })
        .or_else(|| client_caps.skip_reason(case, pki))
        .or_else(|| client_caps.groups_reason(case))
}

impl LoadClient {
    /// The client `case` names: in target mode the rustls or OpenSSL client configured for
    /// the external server; with short-lived certificates a rustls client whose identities renew; process
    /// clients are only named here and prepared with the load ([`LoadClient::load`]).
    ///
    /// # Errors
    /// [`NoClient`] when the client cannot be built (or, for OpenSSL, does not support the
    /// case).
    pub(super) fn choose(
        case: &Case,
        pki: &Pki,
        opts: &RunOptions,
        short: Option<&ShortLived>,
    ) -> Result<Self, NoClient> {
        Ok(match case.client {
            ClientImpl::Rustls if opts.target.is_some() => {
                let target = opts.target.as_deref();
                match target.map(|t| RustlsClient::for_target(case, pki, t)) {
                    Some(Ok(c)) => LoadClient::Rustls(Arc::new(c)),
                    Some(Err(e)) => return Err(NoClient::Failed(e.to_string())),
                    None => return Err(NoClient::Failed("no target".into())),
                }
            }
            ClientImpl::Rustls => match rustls_client(case, pki, short) {
                Ok(c) => LoadClient::Rustls(Arc::new(c)),
                Err(e) => return Err(NoClient::Failed(e.to_string())),
            },
            ClientImpl::Openssl => match match opts.target.as_deref() {
                Some(t) => OpensslClient::for_target(case, pki, t),
                None => OpensslClient::new(case, pki),
            } {
                Ok(c) => LoadClient::Openssl(Arc::new(c)),
                Err(e @ OpensslClientError::Unsupported(_)) => {
                    return Err(NoClient::Skipped(e.to_string()))
                }
                Err(e) => return Err(NoClient::Failed(e.to_string())),
            },
            other => match ProcessClientKind::of(other) {
                Some(kind) => LoadClient::Process(kind),
                None => return Err(NoClient::Failed(format!("no load client for {other}"))),
            },
        })
    }

    /// The load of `case` driven by this client; a process client is prepared now (it needs
    /// the server's address), with its files in `work` and its program found on `search`.
    ///
    /// # Errors
    /// [`NoClient`] when the process client cannot be prepared.
    pub(super) fn load<'a>(
        self,
        case: &'a Case,
        pki: &Pki,
        files: &PkiFiles,
        work: &Path,
        search: Option<&OsStr>,
        drive: Drive<'a>,
    ) -> Result<LoadFuture<'a>, NoClient> {
        let Drive {
            addr,
            targets,
            resume,
            cancel,
            extras,
            target,
        } = drive;
        Ok(match self {
            LoadClient::Rustls(connector) => Box::pin(run_load_with(
                &case.load,
                Arc::new(TlsAttempts { connector, addr }),
                targets,
                resume,
                cancel,
                extras,
            )),
            LoadClient::Openssl(connector) => Box::pin(run_load_with(
                &case.load,
                Arc::new(TlsAttempts { connector, addr }),
                targets,
                resume,
                cancel,
                extras,
            )),
            LoadClient::Process(kind) => {
                let at = ServerAt { addr, target };
                match ProcessAttempts::prepare(kind, case, pki, files, at, work, search) {
                    Ok(client) => {
                        let spec = ProcessAttempts::schedule(&case.load);
                        Box::pin(async move {
                            run_load_with(&spec, Arc::new(client), targets, resume, cancel, extras)
                                .await
                        })
                    }
                    Err(ProcessError::Skipped { reason }) => return Err(NoClient::Skipped(reason)),
                    Err(e) => return Err(NoClient::Failed(e.to_string())),
                }
            }
        })
    }
}

/// The rustls load client of `case`: with short-lived certificates, one whose identities
/// renew.
fn rustls_client(
    case: &Case,
    pki: &crate::pki::Pki,
    short: Option<&ShortLived>,
) -> Result<RustlsClient, crate::peers::ClientError> {
    match (short, case.client_cert) {
        (Some(short), crate::pki::ClientCert::Valid) => {
            RustlsClient::rotating(case, pki, &short.client_certs())
        }
        _ => RustlsClient::new(case, pki),
    }
}

/// Why a case cannot run in target mode (skipped with this reason), if it cannot.
fn target_unsupported(case: &Case, opts: &RunOptions) -> Option<String> {
    if opts.target.is_none() {
        return case.own_credential.as_ref().map(|_| {
            "client_cert = { cert, key } is your own credential, for your own server: run with --target (the harness's servers trust only its own root)".to_string()
        });
    }
    if !capabilities::client(case.client).target_mode {
        return Some(format!(
            "{} does not drive an external server yet (the rustls and OpenSSL clients and the process clients do)",
            capabilities::client(case.client).name
        ));
    }
    if case.client_auth != crate::scenario::ClientAuth::Required {
        return Some(format!(
            "target mode: the external server's client-auth setting is its own (the case needs \"{}\")",
            case.client_auth
        ));
    }
    if let Some(reason) = target_revocation_reason(case, opts) {
        return Some(reason);
    }
    let server_side = [
        (case.verify_depth.is_some(), "verify_depth"),
        (!case.allowed_clients.is_empty(), "allowed_clients"),
        (!case.tls.client_sigalgs.is_empty(), "tls.client_sigalgs"),
    ];
    if let Some((_, key)) = server_side.iter().find(|(set, _)| *set) {
        return Some(format!(
            "target mode: the case needs a server-side setting ({key}) the harness cannot give the external server"
        ));
    }
    None
}

/// Why a revocation case cannot run against the target, if it cannot. The target checks one
/// way, configured once (`--target-revocation`): with CRLs, the ones `pki target-crl` wrote
/// (a fresh CRL listing the `revoked` client); with OCSP, the harness's responder answering
/// honestly. Cases that need another CRL, a faulty responder, a fail policy or a mid-run
/// revocation need a server the harness configures.
fn target_revocation_reason(case: &Case, opts: &RunOptions) -> Option<String> {
    use crate::pki::CrlKind;
    use crate::scenario::{FailPolicy, OcspSigner, ResponderFault, Revocation};
    let rev = &case.revocation;
    if rev.mode() == RevocationMode::None {
        // A target that checks CRLs checks them in every case.
        return (opts.target_revocation == Some(RevocationMode::Crl)
            && case.client_cert == crate::pki::ClientCert::NoCrlSignIssuer)
            .then(|| {
                "target mode: the target checks CRLs, and this credential's CA cannot sign one (its verdict would be the missing CRL's)"
                    .into()
            });
    }
    let mode_name = |m: RevocationMode| m.to_string();
    if opts.target_revocation != Some(rev.mode()) {
        return Some(match rev.mode() {
            RevocationMode::Crl | RevocationMode::Ocsp => format!(
                "target mode: the case needs a server that checks {}; say that the target does with --target-revocation {}",
                mode_name(rev.mode()),
                mode_name(rev.mode())
            ),
            other => format!(
                "target mode: {} needs a server the harness configures (its own certificate, staple or CRL endpoint)",
                mode_name(other)
            ),
        });
    }
    let fixed = "target mode: the external server is configured once";
    if rev.revoke_after().is_some() || rev.crl_reload().is_some() {
        return Some(format!(
            "{fixed}; a revocation during the run needs a server the harness reloads"
        ));
    }
    if rev.policy().is_some_and(|p| p != FailPolicy::Hard) {
        return Some(format!(
            "{fixed}; its fail policy is its own, so a soft-fail case cannot be told apart"
        ));
    }
    match rev {
        Revocation::Crl(crl) if crl.list.kind != CrlKind::Fresh || crl.list.entries != 0 => Some(format!(
            "{fixed} with the fresh CRL of `pki target-crl`; this case needs a {} CRL with {} filler entries",
            crl.list.kind.name(),
            crl.list.entries
        )),
        Revocation::Ocsp(ocsp)
            if ocsp.service.fault != ResponderFault::None
                || !ocsp.service.responder_delay.is_zero()
                || ocsp.signer == OcspSigner::Unauthorized =>
        {
            Some(format!(
                "{fixed}; a responder fault, delay or forged signer would reach it through a cache the harness cannot clear"
            ))
        }
        _ => None,
    }
}

/// The value a target-mode case's `server` axis takes in its name and files: the cases run
/// against the user's server, not the peer the scenario names.
pub(super) const TARGET_SERVER: &str = "target";

/// `case` as it runs against a target: its `server` matrix axis says `target`, in its axes
/// and in its name (`b3-expired[server=rustls]` -> `b3-expired[server=target]`), so neither
/// the summary nor the files it names say a peer that did not run.
pub(super) fn named_for_target(case: &Case) -> Case {
    let mut case = case.clone();
    let Some(i) = case.axes.iter().position(|(axis, _)| axis == "server") else {
        return case;
    };
    let suffix = |axes: &[(String, String)]| {
        axes.iter()
            .map(|(a, v)| format!("{a}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let before = suffix(&case.axes);
    case.axes[i].1 = TARGET_SERVER.to_string();
    let after = suffix(&case.axes);
    case.name = if case.name == before {
        after
    } else if let Some(base) = case.name.strip_suffix(&format!("[{before}]")) {
        format!("{base}[{after}]")
    } else {
        case.name
    };
    case
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::report::CaseSummary;

    fn cases(text: &str) -> Vec<Case> {
        crate::scenario::parse(text, Path::new("t.toml"))
            .unwrap()
            .cases
    }

    /// Target mode: names, axes and file stems say `target`, never the peer the scenario's
    /// matrix names (issue 26, finding 10).
    #[test]
    fn target_cases_are_named_for_the_target() {
        let matrix = cases(
            "version = 1\n[matrix]\nserver = [\"rustls\"]\nclient_cert = [\"valid\", \"expired\"]\n[[case]]\nname = \"b3\"\n",
        );
        let named: Vec<Case> = matrix.iter().map(named_for_target).collect();
        assert_eq!(named[0].name, "b3[server=target,client_cert=valid]");
        assert_eq!(named[1].name, "b3[server=target,client_cert=expired]");
        assert!(named
            .iter()
            .all(|c| c.axes.contains(&("server".into(), TARGET_SERVER.into()))));
        let entry = CaseSummary::planned(&named[1]);
        assert_eq!(entry.axes["server"], "target");
        assert!(!crate::report::file_safe(&entry.name).contains("rustls"));
        // A matrix-only case is named by its suffix; a case without the axis keeps its name.
        let only = cases("version = 1\n[matrix]\nserver = [\"rustls\", \"nginx\"]\n");
        assert_eq!(named_for_target(&only[1]).name, "server=target");
        let plain = cases("version = 1\n[[case]]\nname = \"alice\"\n");
        assert_eq!(named_for_target(&plain[0]).name, "alice");
    }

    /// An own credential is recorded as `own` with its files, never as `valid` (a revoked
    /// one included).
    #[test]
    fn an_own_credential_is_not_recorded_as_valid() {
        let mut case = cases("version = 1\n[[case]]\nname = \"revoked-by-our-ca\"\n").remove(0);
        let key = rustls::pki_types::PrivatePkcs8KeyDer::from(vec![0u8]);
        case.own_credential = Some(crate::pki::OwnCredential {
            cert_file: "bob.pem".into(),
            chain: Vec::new(),
            key: Arc::new(key.into()),
            subject: "CN=bob".into(),
            sha256: "0".repeat(64),
        });
        let entry = CaseSummary::planned(&case);
        assert_eq!(entry.client_cert, crate::report::OWN_CREDENTIAL);
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(json["client_cert"], "own");
        assert_eq!(json["own_credential"]["cert_file"], "bob.pem");
    }
}
