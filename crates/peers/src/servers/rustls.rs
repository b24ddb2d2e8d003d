//! The built-in rustls server, run as its own process by `mtls-harness serve`.
//!
//! It listens on the given address with a large backlog, verifies client certificates (or not,
//! per `--client-auth`), answers each HTTP/1.1 request with a small `200` and closes. A rejected
//! handshake gets its alert (rustls writes it), then a graceful close: the server shuts down its
//! write side and drains what the client still sends, so the client reads the alert instead of
//! a reset. It prints `listening on ADDR` on stdout once it accepts, and a one-line tally on
//! stderr when it receives SIGTERM or SIGINT.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::accept::serve_connections;
use super::conn::{graceful_close, read_request_head, Tally, RESPONSE};
use super::crl_points::{ByDistributionPoint, CrlPoints};
use super::post_check::PostCheckVerifier;
use super::revocation::{
    load_crls, ocsp_parts, parse_crls, CrlState, OcspParts, CRL_FETCH_TIMEOUT,
};
use super::revocation_verifier::{RevocationCheck, RevocationSource};
use super::settings::{ServeError, ServerSettings};
use super::status::StatusEvent;
use crate::peers::capabilities::WEBPKI_VERIFY_DEPTH;
use crate::peers::rotating::SwappableCert;
use crate::peers::tls::rustls as tls_config;
use crate::revocation::distribution_points::Download;
use crate::scenario::{ClientAuth, FailPolicy, ResumptionMode};

/// Sessions the stateful cache holds (enough for a 10,000-identity pool with tickets to spare).
const SESSION_CACHE_SIZE: usize = 100_000;

/// Runs the server until SIGTERM or SIGINT.
///
/// # Errors
/// When the configuration cannot be built or the socket cannot be bound.
pub fn serve(args: &ServerSettings) -> Result<(), ServeError> {
    let crl = args.revocation.crl();
    if crl.is_some_and(|c| c.crl_deltas) {
        return Err(ServeError::Unsupported(
            "--crl-deltas: rustls (webpki) refuses delta CRLs".into(),
        ));
    }
    if let Some(depth) = args.verify_depth.filter(|d| *d != WEBPKI_VERIFY_DEPTH) {
        return Err(ServeError::Unsupported(format!(
            "--verify-depth {depth}: rustls (webpki) has a fixed depth of {WEBPKI_VERIFY_DEPTH} intermediates"
        )));
    }
    if let Err(e) = crate::sys::raise_nofile_limit() {
        tracing::warn!("could not raise the open-file limit: {e}");
    }
    let shared = Arc::new(load_shared(args)?);
    let started = std::time::Instant::now();
    let crls = load_crls(args)?;
    let config = Arc::new(server_config(args, &shared, &crls)?);
    if let CrlState::Loaded(list) = &crls {
        let bytes: usize = list.iter().map(|c| c.as_ref().len()).sum();
        let ready_ms = started.elapsed().as_secs_f64() * 1e3;
        tracing::info!("CRL loaded: {bytes} bytes, configuration ready in {ready_ms:.1} ms");
        // The runner reads this for the report (what loading a CRL costs).
        super::status::emit(&StatusEvent::CrlLoaded {
            bytes: bytes as u64,
            ready_ms,
        });
    }
    let runtime = super::conn::runtime(args)?;
    runtime.block_on(accept_loop(args, shared, config))
}

/// Everything a configuration is built from that must outlive a CRL reload.
struct Shared {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    ocsp: OcspParts,
    rotating: Option<Arc<SwappableCert>>,
    /// `--crl-url`: the CRLs the clients' distribution points name, per URL.
    crl_points: Option<Arc<CrlPoints>>,
}

/// The CRLs by distribution point for `--crl-url`, with the configured URL's CRL downloaded
/// before the server listens (as a server configured with it would).
///
/// # Errors
/// When the URL is not an `http://` URL.
fn crl_points(args: &ServerSettings) -> Result<Option<Arc<CrlPoints>>, ServeError> {
    let Some(url) = args.revocation.crl().and_then(|c| c.crl_url.as_ref()) else {
        return Ok(None);
    };
    let a = args.clone();
    let points = CrlPoints::new(url, CRL_FETCH_TIMEOUT, move |d| point_verifier(&a, d))
        .ok_or_else(|| {
            ServeError::Unsupported(format!("--crl-url {url}: expected an http:// URL"))
        })?;
    let points = Arc::new(points);
    points.get(url);
    Ok(Some(points))
}

/// The chain verifier for one distribution point's download: its CRL, or none (the fail
/// policy decides) when it could not be downloaded or used. Reports the first load of each on
/// the status channel (the runner reads the CRL's size and time from there).
fn point_verifier(
    args: &ServerSettings,
    download: &Download<'_>,
) -> Result<Arc<dyn ClientCertVerifier>, String> {
    let started = std::time::Instant::now();
    let url = download.url;
    let state = match download.body {
        Ok(bytes) => match parse_crls(bytes.to_vec()) {
            Ok(crls) => CrlState::Loaded(crls),
            Err(e) => {
                tracing::warn!("CRL from {url} does not parse: {e}");
                CrlState::Unavailable
            }
        },
        Err(ref e) => {
            tracing::warn!("CRL download from {url} failed: {e}");
            CrlState::Unavailable
        }
    };
    let (verifier, state) = match chain_verifier(args, &state) {
        // A downloaded CRL that webpki refuses is no CRL: the fail policy decides.
        Err(e) if matches!(state, CrlState::Loaded(_)) => {
            tracing::warn!("the CRL from {url} is unusable: {e}");
            (
                chain_verifier(args, &CrlState::Unavailable),
                CrlState::Unavailable,
            )
        }
        other => (other, state),
    };
    let verifier = verifier.map_err(|e| e.to_string())?;
    if let CrlState::Loaded(list) = &state {
        let bytes: usize = list.iter().map(|c| c.as_ref().len()).sum();
        let ready_ms = download.fetch_ms + started.elapsed().as_secs_f64() * 1e3;
        if download.first {
            tracing::info!(
                "CRL from {url}: {bytes} bytes, downloaded and ready in {ready_ms:.1} ms"
            );
            super::status::emit(&StatusEvent::CrlLoaded {
                bytes: bytes as u64,
                ready_ms,
            });
        } else {
            tracing::info!("CRL from {url} reloaded: {bytes} bytes");
        }
    }
    Ok(verifier)
}

fn load_shared(args: &ServerSettings) -> Result<Shared, ServeError> {
    let chain = super::pem::certificates(&args.identity.cert, "--cert")?;
    let key = super::pem::private_key(&args.identity.key, "--key")?;
    let provider = tls_config::provider_with(&args.groups, &args.suites);
    let ocsp = ocsp_parts(args, &chain, &key, &provider)?;
    let rotating = match args.cert_reload {
        Some(_) => {
            let signing = provider.key_provider.load_private_key(key.clone_key())?;
            Some(Arc::new(SwappableCert::new(CertifiedKey::new(
                chain.clone(),
                signing,
            ))))
        }
        None => None,
    };
    Ok(Shared {
        chain,
        key,
        ocsp,
        rotating,
        crl_points: crl_points(args)?,
    })
}

fn server_config(
    args: &ServerSettings,
    shared: &Shared,
    crls: &CrlState,
) -> Result<ServerConfig, ServeError> {
    let crl = args.revocation.crl();
    let provider = tls_config::provider_with(&args.groups, &args.suites);
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&tls_config::versions(&args.versions))?;
    let builder = match (args.client_auth, &args.client_ca) {
        (ClientAuth::Off, _) => builder.with_no_client_auth(),
        (_, None) => {
            return Err(ServeError::Unsupported(
                "--client-ca is needed unless --client-auth off".into(),
            ))
        }
        (_, Some(_)) => {
            let mut verifier: Arc<dyn ClientCertVerifier> =
                match (&shared.crl_points, crl.and_then(|c| c.crl_url.as_ref())) {
                    (Some(points), Some(url)) => Arc::new(PostCheckVerifier::new(
                        chain_verifier(args, &CrlState::Off)?,
                        ByDistributionPoint::new(
                            Arc::clone(points),
                            url.clone(),
                            chain_verifier(args, &CrlState::Unavailable)?,
                        ),
                    )),
                    _ => chain_verifier(args, crls)?,
                };
            if let (Some(checker), Some(ocsp)) =
                (&shared.ocsp.client_checker, args.revocation.ocsp())
            {
                verifier = Arc::new(PostCheckVerifier::new(
                    verifier,
                    RevocationCheck::new(
                        RevocationSource::Ocsp(Arc::clone(checker)),
                        ocsp.ocsp_policy,
                    ),
                ));
            }
            if !args.client_sigalgs.is_empty() {
                let schemes = args.client_sigalgs.iter().map(|s| s.rustls()).collect();
                verifier = Arc::new(PostCheckVerifier::new(
                    verifier,
                    super::scheme_filter::SchemeFilter::new(schemes),
                ));
            }
            if !args.allow_cn.is_empty() {
                verifier = Arc::new(PostCheckVerifier::new(
                    verifier,
                    super::allow_list::AllowList::new(args.allow_cn.clone()),
                ));
            }
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = match (&shared.ocsp.staple, &shared.rotating) {
        (Some((stapled, _)), _) => builder.with_cert_resolver(Arc::clone(stapled) as Arc<_>),
        (None, Some(rotating)) => builder.with_cert_resolver(Arc::clone(rotating) as Arc<_>),
        (None, None) => builder.with_single_cert(shared.chain.clone(), shared.key.clone_key())?,
    };
    match args.resumption {
        ResumptionMode::Off => {
            config.session_storage = Arc::new(NoServerSessionStorage {});
            config.send_tls13_tickets = 0;
        }
        ResumptionMode::SessionId => {
            config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE_SIZE);
            config.send_tls13_tickets = args.tickets as usize;
        }
        ResumptionMode::Tickets => {
            config.session_storage = Arc::new(NoServerSessionStorage {});
            config.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new()?;
            config.send_tls13_tickets = args.tickets as usize;
        }
    }
    Ok(config)
}

/// The client certificates' chain check: webpki's against `--client-ca`, with `crls` and the
/// CRL fail policy (a CRL that could not be had at all leaves the policy to decide).
///
/// # Errors
/// When the CA file cannot be read, or webpki refuses the CRLs.
fn chain_verifier(
    args: &ServerSettings,
    crls: &CrlState,
) -> Result<Arc<dyn ClientCertVerifier>, ServeError> {
    let Some(ca) = &args.client_ca else {
        return Err(ServeError::Unsupported(
            "--client-ca is needed unless --client-auth off".into(),
        ));
    };
    let crl = args.revocation.crl();
    let policy = crl.map(|c| c.crl_policy).unwrap_or_default();
    let provider = tls_config::provider_with(&args.groups, &args.suites);
    let roots = super::pem::certificates(ca, "--client-ca")?;
    let roots = tls_config::root_store(&roots)?;
    let mut verifier = WebPkiClientVerifier::builder_with_provider(roots, provider);
    if args.client_auth == ClientAuth::Optional {
        verifier = verifier.allow_unauthenticated();
    }
    if let CrlState::Loaded(list) = crls {
        verifier = verifier.with_crls(list.clone());
        if !crl.is_some_and(|c| c.crl_check_all) {
            verifier = verifier.only_check_end_entity_revocation();
        }
        verifier = match policy {
            FailPolicy::Hard => verifier.enforce_revocation_expiration(),
            FailPolicy::Soft => verifier.allow_unknown_revocation_status(),
        };
    }
    let mut verifier: Arc<dyn ClientCertVerifier> = verifier.build()?;
    if *crls == CrlState::Unavailable {
        verifier = Arc::new(PostCheckVerifier::new(
            verifier,
            RevocationCheck::new(RevocationSource::Unavailable, policy),
        ));
    }
    Ok(verifier)
}

/// Every `every`, downloads the distribution points' CRLs again (`--crl-url`); a changed CRL
/// replaces its verifier in place, so sessions and the OCSP cache are untouched.
async fn refresh_points(points: Arc<CrlPoints>, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let p = Arc::clone(&points);
        match tokio::task::spawn_blocking(move || p.refresh()).await {
            Ok(0) => {}
            Ok(_) => {
                tracing::info!("CRL reloaded");
                super::status::emit(&StatusEvent::CrlReloaded);
            }
            Err(e) => tracing::warn!("CRL refresh task: {e}"),
        }
    }
}

/// Every `every`, checks the CRL files' modification times and sizes; when they changed, builds a new configuration from them and swaps it in. A CRL that
/// fails to load keeps the old one (and says so in the log).
async fn reload_crls(
    args: ServerSettings,
    every: Duration,
    shared: Arc<Shared>,
    first: Arc<ServerConfig>,
    current: Arc<std::sync::RwLock<TlsAcceptor>>,
) {
    let stamp = |paths: &[PathBuf]| -> Vec<Option<(std::time::SystemTime, u64)>> {
        paths
            .iter()
            .map(|p| {
                std::fs::metadata(p)
                    .ok()
                    .and_then(|m| Some((m.modified().ok()?, m.len())))
            })
            .collect()
    };
    let files = args
        .revocation
        .crl()
        .map(|c| c.crl.clone())
        .unwrap_or_default();
    let mut seen = stamp(&files);
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let now = stamp(&files);
        if now == seen {
            continue;
        }
        seen = now;
        let crls = match load_crls(&args) {
            Ok(state) => state,
            Err(e) => {
                tracing::warn!("CRL reload failed, keeping the previous one: {e}");
                continue;
            }
        };
        match server_config(&args, &shared, &crls) {
            Ok(mut config) => {
                // Sessions survive a CRL reload: same ticket keys, same session cache (a
                // reload that invalidated every ticket would hide how resumption behaves).
                config.ticketer = Arc::clone(&first.ticketer);
                config.session_storage = Arc::clone(&first.session_storage);
                *current.write().unwrap_or_else(|p| p.into_inner()) =
                    TlsAcceptor::from(Arc::new(config));
                tracing::info!("CRL reloaded");
                super::status::emit(&StatusEvent::CrlReloaded);
            }
            Err(e) => tracing::warn!("CRL reload failed, keeping the previous one: {e}"),
        }
    }
}

/// Every `every`, rotates to `--cert`/`--key` when the certificate file changed. A file that
/// does not load (caught mid-write) is retried at the next tick.
async fn rotate_cert(args: ServerSettings, every: Duration, rotating: Arc<SwappableCert>) {
    let stamp = || {
        std::fs::metadata(&args.identity.cert)
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())))
    };
    let mut seen = stamp();
    let provider = tls_config::provider_with(&args.groups, &args.suites);
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let now = stamp();
        if now == seen {
            continue;
        }
        let loaded = CertificateDer::pem_file_iter(&args.identity.cert)
            .map_err(|e| e.to_string())
            .and_then(|it| it.collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string()))
            .and_then(|chain| {
                let key =
                    PrivateKeyDer::from_pem_file(&args.identity.key).map_err(|e| e.to_string())?;
                let signing = provider
                    .key_provider
                    .load_private_key(key)
                    .map_err(|e| e.to_string())?;
                Ok(CertifiedKey::new(chain, signing))
            });
        match loaded {
            Ok(key) if !key.cert.is_empty() => {
                rotating.swap(key);
                seen = now;
                tracing::info!("certificate rotated");
                super::status::emit(&StatusEvent::CertRotated);
            }
            Ok(_) => tracing::warn!("certificate rotation: empty chain, retrying"),
            Err(e) => tracing::warn!("certificate rotation failed, retrying: {e}"),
        }
    }
}

async fn accept_loop(
    args: &ServerSettings,
    shared: Arc<Shared>,
    config: Arc<ServerConfig>,
) -> Result<(), ServeError> {
    let listener = super::conn::listen(args, "rustls")?;

    // New connections take the current acceptor; a CRL reload swaps it.
    let current = Arc::new(std::sync::RwLock::new(TlsAcceptor::from(Arc::clone(
        &config,
    ))));
    if let (Some((stapled, checker)), Some(stapling)) =
        (&shared.ocsp.staple, args.revocation.stapling())
    {
        tokio::spawn(super::staple::refresh_loop(
            Arc::clone(stapled),
            Arc::clone(checker),
            stapling.staple_refresh,
        ));
    }
    if let (Some(rotating), Some(every)) = (&shared.rotating, args.cert_reload) {
        tokio::spawn(rotate_cert(args.clone(), every, Arc::clone(rotating)));
    }
    let crl = args.revocation.crl();
    let reload = crl.and_then(|c| c.crl_reload);
    if let (Some(every), Some(points)) = (reload, &shared.crl_points) {
        tokio::spawn(refresh_points(Arc::clone(points), every));
    } else if let (Some(every), true) = (reload, crl.is_some_and(|c| !c.crl.is_empty())) {
        tokio::spawn(reload_crls(
            args.clone(),
            every,
            Arc::clone(&shared),
            config,
            Arc::clone(&current),
        ));
    }
    serve_connections(args, listener, "mtls-harness serve", |tcp, tally| {
        let acceptor = current.read().unwrap_or_else(|p| p.into_inner()).clone();
        async move { handle(acceptor, tcp, &tally).await }
    })
    .await
}

async fn handle(acceptor: TlsAcceptor, tcp: TcpStream, tally: &Tally) {
    let _ = tcp.set_nodelay(true);
    match acceptor.accept(tcp).into_fallible().await {
        Ok(mut tls) => {
            let outcome = async {
                read_request_head(&mut tls).await?;
                // Reply and close_notify go out in one write, then the FIN.
                let conn = tls.get_mut().1;
                std::io::Write::write_all(&mut conn.writer(), RESPONSE)?;
                conn.send_close_notify();
                tls.flush().await?;
                tls.get_mut().0.shutdown().await
            }
            .await;
            match outcome {
                Ok(()) => tally.accepted.fetch_add(1, Ordering::Relaxed),
                Err(e) => {
                    tracing::debug!("after handshake: {e}");
                    tally.failed.fetch_add(1, Ordering::Relaxed)
                }
            };
        }
        Err((e, mut tcp)) => {
            tracing::debug!("handshake rejected: {e}");
            tally.rejected.fetch_add(1, Ordering::Relaxed);
            graceful_close(&mut tcp).await;
        }
    }
}
