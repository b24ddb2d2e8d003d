//! The built-in OpenSSL server (`mtls-harness serve --impl openssl`), through the `openssl`
//! crate, as its own process like the rustls one.
//!
//! Same contract as the rustls server: it prints `listening on ADDR` once it accepts, verifies
//! client certificates for real (`SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT` when
//! required, so a verification error aborts the handshake with the alert OpenSSL maps it to),
//! checks CRLs (`X509_V_FLAG_CRL_CHECK`, or `CRL_CHECK_ALL` with `--crl-check-all`) and, with
//! `--ocsp`, asks the responder about the client's certificate through the harness's OCSP
//! checker ([`super::openssl_ocsp`]), staples its own OCSP response (`--staple`), answers
//! each request with the same `200` and closes with close_notify. A rejected handshake is
//! followed by a graceful close, so the client reads the alert rather than a reset.
//!
//! Asynchronous like the rustls server (tokio + `tokio-openssl`): one task per connection, each
//! bounded by `--conn-timeout`, so stalled clients cost a task each and never hold up the
//! others; `--threads 1` runs everything on one thread.

use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use openssl::ssl::{
    Ssl, SslAcceptor, SslContextBuilder, SslFiletype, SslMethod, SslOptions, SslSessionCacheMode,
    SslVerifyMode, SslVersion,
};
use openssl::x509::store::{X509Lookup, X509StoreBuilder};
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::X509;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

use super::accept::serve_connections;
use super::conn::RESPONSE;
use super::conn::{graceful_close, read_request_head, Tally};
use super::openssl_ocsp::OpensslOcsp;
use super::revocation::{checker_settings, client_checker};
use super::revocation_settings::{CrlCheck, OcspQuery, ServerRevocation, Stapling};
use super::settings::{ServeError, ServerSettings};
use crate::peers::capabilities::{Support, OPENSSL_SERVER};
use crate::peers::tls::openssl as openssl_names;
use crate::revocation::ocsp::OcspChecker;
use crate::revocation::staple_source::{refresh_every, StapleSource};
use crate::scenario::{ClientAuth, FailPolicy, ResumptionMode, TlsVersion};

/// Sessions the stateful cache holds.
const SESSION_CACHE_SIZE: i32 = 100_000;

/// Runs the OpenSSL server until SIGTERM or SIGINT.
///
/// # Errors
/// When the configuration cannot be built or the socket cannot be bound.
pub fn serve(args: &ServerSettings) -> Result<(), ServeError> {
    let crl = args.revocation.crl();
    if let (Some(_), Support::No(reason)) =
        (crl.and_then(|c| c.crl_reload), OPENSSL_SERVER.crl_reload)
    {
        return Err(ServeError::Unsupported(format!("--crl-reload: {reason}")));
    }
    if let Err(e) = crate::sys::raise_nofile_limit() {
        tracing::warn!("could not raise the open-file limit: {e}");
    }
    if crl.is_some_and(|c| c.crl_url.is_some()) || args.cert_reload.is_some() {
        return Err(ServeError::Unsupported(
            "--crl-url and --cert-reload are not implemented for the openssl server yet".into(),
        ));
    }
    let staple = match &args.revocation {
        ServerRevocation::Stapling(query, stapling) => Some((
            staple_source(args, query, stapling)?,
            stapling.staple_refresh,
        )),
        _ => None,
    };
    let ocsp = match &args.revocation {
        ServerRevocation::Ocsp(query, clients) => Some(Arc::new(OpensslOcsp::new(
            client_checker(query, clients),
            clients.ocsp_policy,
        ))),
        _ => None,
    };
    let acceptor = Arc::new(acceptor(
        args,
        staple.as_ref().map(|((s, _), _)| Arc::clone(s)),
        ocsp,
    )?);
    let runtime = super::conn::runtime(args)?;
    runtime.block_on(async {
        if let Some(((source, checker), every)) = staple {
            tokio::spawn(refresh_every(every, move || source.refresh(&checker)));
        }
        accept_loop(args, acceptor).await
    })
}

/// The server's own staple (`--staple`): fetched once before it listens (a failure starts it
/// without one), then refreshed every `--staple-refresh`.
fn staple_source(
    args: &ServerSettings,
    query: &OcspQuery,
    stapling: &Stapling,
) -> Result<(Arc<StapleSource>, Arc<OcspChecker>), ServeError> {
    let chain = super::pem::certificates(&args.identity.cert, "--cert")?;
    let source = Arc::new(
        StapleSource::new(&chain, !stapling.staple_unverified)
            .map_err(|e| ServeError::Unsupported(e.to_string()))?,
    );
    // The staple is always fetched fresh: its own refresh interval is the cache.
    let checker = Arc::new(OcspChecker::new(checker_settings(query, Duration::ZERO)));
    match source.refresh(&checker) {
        Ok(state) => tracing::info!(?state, "staple fetched"),
        Err(e) => tracing::warn!("no staple at start: {e}"),
    }
    Ok((source, checker))
}

async fn accept_loop(args: &ServerSettings, acceptor: Arc<SslAcceptor>) -> Result<(), ServeError> {
    let listener = super::conn::listen(args, "openssl")?;
    let server = "mtls-harness serve --impl openssl";
    serve_connections(args, listener, server, |tcp, tally| {
        let acceptor = Arc::clone(&acceptor);
        async move { handle(&acceptor, tcp, &tally).await }
    })
    .await
}

fn openssl_err(what: &str, e: impl std::fmt::Display) -> ServeError {
    ServeError::Unsupported(format!("{what}: {e}"))
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> ServeError {
    ServeError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The acceptor for `args`.
fn acceptor(
    args: &ServerSettings,
    staple: Option<Arc<StapleSource>>,
    ocsp: Option<Arc<OpensslOcsp>>,
) -> Result<SslAcceptor, ServeError> {
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())
        .map_err(|e| openssl_err("creating the context", e))?;
    let version = |v: TlsVersion| match v {
        TlsVersion::Tls12 => SslVersion::TLS1_2,
        TlsVersion::Tls13 => SslVersion::TLS1_3,
    };
    let lo = args
        .versions
        .iter()
        .copied()
        .min()
        .unwrap_or(TlsVersion::Tls13);
    let hi = args
        .versions
        .iter()
        .copied()
        .max()
        .unwrap_or(TlsVersion::Tls13);
    b.set_min_proto_version(Some(version(lo)))
        .and_then(|()| b.set_max_proto_version(Some(version(hi))))
        .map_err(|e| openssl_err("--versions", e))?;
    if let Some(list) = openssl_names::tls13_suites(&args.suites) {
        b.set_ciphersuites(&list)
            .map_err(|e| openssl_err("--suites", e))?;
    }
    if let Some(list) = openssl_names::tls12_ciphers(&args.suites) {
        b.set_cipher_list(&list)
            .map_err(|e| openssl_err("--suites", e))?;
    }
    if let Some(list) = openssl_names::groups(&args.groups) {
        b.set_groups_list(&list).map_err(|e| {
            openssl_err(
                &format!("--groups {list} (OpenSSL {})", openssl::version::version()),
                e,
            )
        })?;
    }
    b.set_certificate_chain_file(&args.identity.cert)
        .map_err(|e| file_err(&args.identity.cert, e))?;
    b.set_private_key_file(&args.identity.key, SslFiletype::PEM)
        .map_err(|e| file_err(&args.identity.key, e))?;
    b.check_private_key()
        .map_err(|e| file_err(&args.identity.key, e))?;
    client_auth(&mut b, args, ocsp)?;
    resumption(&mut b, args)?;
    if let Some(source) = staple {
        // OCSP stapling through the status callback: the current staple, or none.
        b.set_status_callback(move |ssl| match source.current() {
            Some(der) => ssl.set_ocsp_status(&der).map(|()| true),
            None => Ok(false),
        })
        .map_err(|e| openssl_err("the status callback", e))?;
    }
    Ok(b.build())
}

fn client_auth(
    b: &mut SslContextBuilder,
    args: &ServerSettings,
    ocsp: Option<Arc<OpensslOcsp>>,
) -> Result<(), ServeError> {
    let mode = match args.client_auth {
        ClientAuth::Off => {
            b.set_verify(SslVerifyMode::NONE);
            return Ok(());
        }
        ClientAuth::Optional => SslVerifyMode::PEER,
        ClientAuth::Required => SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT,
    };
    let Some(ca) = &args.client_ca else {
        return Err(ServeError::Unsupported(
            "--client-ca is needed unless --client-auth off".into(),
        ));
    };
    let store = trust_store(b, ca, args.revocation.crl())?;
    if let Some(depth) = args.verify_depth {
        b.set_verify_depth(u32::from(depth));
    }
    b.set_verify_cert_store(store)
        .map_err(|e| openssl_err("trust store", e))?;
    let soft = args
        .revocation
        .crl()
        .is_some_and(|c| !c.crl.is_empty() && c.crl_policy == FailPolicy::Soft);
    if !args.client_sigalgs.is_empty() {
        let names: Vec<&str> = args.client_sigalgs.iter().map(|s| s.name()).collect();
        crate::sys::set_client_sigalgs_list(b, &names.join(":"))
            .map_err(|e| openssl_err("client signature algorithms", e))?;
    }
    let allowed = args.allow_cn.clone();
    b.set_verify_callback(mode, move |ok, ctx| {
        if ok {
            // The chain's signatures, validity, purpose and CRLs passed (depth 0 comes last of
            // those): ask the responder, then apply the allow-list. OpenSSL checks name
            // constraints and policies only after this callback, so a client failing those
            // still costs a query and is refused (with their error unless it is refused here).
            if ctx.error_depth() != 0 {
                return true;
            }
            if let Some(ocsp) = &ocsp {
                if !ocsp.verify(ctx) {
                    return false;
                }
            }
            return allowed.is_empty() || allow_listed(ctx, &allowed);
        }
        let err = ctx.error();
        // Soft fail: an undetermined revocation status lets the certificate through; every
        // other verification error still fails the handshake.
        if soft && openssl_names::CRL_UNDETERMINED.contains(&err.as_raw()) {
            tracing::debug!(depth = ctx.error_depth(), "soft-fail: {err}");
            return true;
        }
        tracing::debug!(
            depth = ctx.error_depth(),
            "client certificate rejected: {err}"
        );
        false
    });
    Ok(())
}

/// The store client chains are verified against: the roots in `ca` (also sent as the
/// acceptable CA names), with `crl`'s files and flags when CRLs are checked.
///
/// # Errors
/// When a file cannot be read or OpenSSL refuses it.
fn trust_store(
    b: &mut SslContextBuilder,
    ca: &Path,
    crl: Option<&CrlCheck>,
) -> Result<openssl::x509::store::X509Store, ServeError> {
    let pem = std::fs::read(ca).map_err(|e| file_err(ca, e))?;
    let roots = X509::stack_from_pem(&pem).map_err(|e| file_err(ca, e))?;
    let mut store = X509StoreBuilder::new().map_err(|e| openssl_err("trust store", e))?;
    let mut names = openssl::stack::Stack::new().map_err(|e| openssl_err("CA names", e))?;
    for root in roots {
        let name = root
            .subject_name()
            .to_owned()
            .map_err(|e| openssl_err("CA names", e))?;
        names.push(name).map_err(|e| openssl_err("CA names", e))?;
        store.add_cert(root).map_err(|e| file_err(ca, e))?;
    }
    b.set_client_ca_list(names);
    if let Some(crl) = crl.filter(|c| !c.crl.is_empty()) {
        crl_lookup(&mut store, crl)?;
    }
    Ok(store.build())
}

/// Loads `crl`'s files into `store` and sets the CRL flags.
///
/// # Errors
/// When a CRL file cannot be read or OpenSSL refuses it.
fn crl_lookup(store: &mut X509StoreBuilder, crl: &CrlCheck) -> Result<(), ServeError> {
    let lookup = store
        .add_lookup(X509Lookup::file())
        .map_err(|e| openssl_err("CRL lookup", e))?;
    for file in &crl.crl {
        let bytes = std::fs::read(file).map_err(|e| file_err(file, e))?;
        let kind = if bytes.starts_with(b"-----BEGIN") {
            SslFiletype::PEM
        } else {
            SslFiletype::ASN1
        };
        lookup
            .load_crl_file(file, kind)
            .map_err(|e| file_err(file, e))?;
    }
    let mut flags = if crl.crl_check_all {
        X509VerifyFlags::CRL_CHECK | X509VerifyFlags::CRL_CHECK_ALL
    } else {
        X509VerifyFlags::CRL_CHECK
    };
    if crl.crl_deltas {
        // Without EXTENDED_CRL_SUPPORT, OpenSSL 3.0 scores a delta CRL like a complete one
        // and takes the newest: a newer delta stands in for its base, and a client revoked
        // only in the base gets in (`openssl verify -crl_check -use_deltas` says OK).
        flags |= X509VerifyFlags::USE_DELTAS | X509VerifyFlags::EXTENDED_CRL_SUPPORT;
    }
    store
        .set_flags(flags)
        .map_err(|e| openssl_err("CRL flags", e))?;
    Ok(())
}

/// Whether the leaf's subject CN is on the allow-list; if not, the error is set on `ctx`
/// (`X509_V_ERR_APPLICATION_VERIFICATION`, which OpenSSL answers with handshake_failure).
fn allow_listed(ctx: &mut openssl::x509::X509StoreContextRef, allowed: &[String]) -> bool {
    let cn = ctx
        .current_cert()
        .and_then(|cert| cert.to_der().ok())
        .and_then(|der| super::allow_list::subject_cn(&der));
    if cn.as_ref().is_some_and(|cn| allowed.contains(cn)) {
        return true;
    }
    tracing::debug!(?cn, "client not on the allow-list: refused");
    ctx.set_error(crate::sys::VerifyError::ApplicationVerification.result());
    false
}

fn resumption(b: &mut SslContextBuilder, args: &ServerSettings) -> Result<(), ServeError> {
    // Needed for any resumption with client certificates (OpenSSL refuses to resume a
    // verified session without a session id context).
    b.set_session_id_context(b"mtls-harness")
        .map_err(|e| openssl_err("session id context", e))?;
    let tickets = |b: &mut SslContextBuilder, n: u32| {
        b.set_num_tickets(n as usize)
            .map_err(|e| openssl_err("--tickets", e))
    };
    match args.resumption {
        ResumptionMode::Off => {
            b.set_session_cache_mode(SslSessionCacheMode::OFF);
            b.set_options(SslOptions::NO_TICKET);
            tickets(b, 0)?;
        }
        ResumptionMode::SessionId => {
            // Stateful: sessions in the server's cache; TLS 1.3 tickets then carry only a
            // reference to them (SSL_OP_NO_TICKET in 1.3 means stateful tickets).
            b.set_session_cache_mode(SslSessionCacheMode::SERVER);
            b.set_session_cache_size(SESSION_CACHE_SIZE);
            b.set_options(SslOptions::NO_TICKET);
            tickets(b, args.tickets)?;
        }
        ResumptionMode::Tickets => {
            b.set_session_cache_mode(SslSessionCacheMode::OFF);
            b.clear_options(SslOptions::NO_TICKET);
            tickets(b, args.tickets)?;
        }
    }
    Ok(())
}

async fn handle(acceptor: &SslAcceptor, tcp: TcpStream, tally: &Tally) {
    let _ = tcp.set_nodelay(true);
    let ssl = match Ssl::new(acceptor.context()) {
        Ok(ssl) => ssl,
        Err(e) => {
            tracing::warn!("connection setup: {e}");
            tally.failed.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    let mut tls = match SslStream::new(ssl, tcp) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("connection setup: {e}");
            tally.failed.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    match Pin::new(&mut tls).accept().await {
        Ok(()) => {
            let outcome = async {
                read_request_head(&mut tls).await?;
                tls.write_all(RESPONSE).await?;
                // close_notify, then the FIN.
                tls.shutdown().await
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
        Err(e) => {
            tracing::debug!("handshake rejected: {e} ({})", tls.ssl().verify_result());
            tally.rejected.fetch_add(1, Ordering::Relaxed);
            graceful_close(tls.get_mut()).await;
        }
    }
}
