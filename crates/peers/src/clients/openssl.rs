//! The harness's OpenSSL client (through the `openssl` crate and `tokio-openssl`), a load
//! client like the rustls one: one `SSL_CTX` per client identity, verifying the server against
//! the PKI's root, with the case's versions, suites and groups.
//!
//! Errors are translated into the rustls error values the outcome classes are mapped from: an
//! alert OpenSSL received (its reason codes 1000 + alert) becomes
//! `rustls::Error::AlertReceived`, also when it arrives on the first read after a TLS 1.3
//! handshake.
//!
//! Built for a target ([`OpensslClient::for_target`]) it trusts the target's CA, sends and
//! verifies its name and requests its path. It offers TLS 1.3 post-handshake authentication
//! and answers a TLS 1.2 renegotiation, so a server that asks for a certificate only for some
//! paths gets one; its handshake messages are the attempt's evidence (`openssl_evidence.rs`).
//!
//! Resumption like the rustls client's: each identity keeps the sessions its own context
//! received ([`ResumingContext`]; session IDs only with `resumption = "session-id"`, tickets
//! too with `"tickets"`), its first accepted handshake is full and later ones offer the newest
//! session; `resumed` is OpenSSL's own `SSL_session_reused`. Credentials OpenSSL refuses
//! to load (a key that does not match its certificate, SHA-1, RSA-1024) are skipped before it
//! is built ([`super::client_credentials`]); the rustls client sends those.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use openssl::ssl::{SslContext, SslMethod, SslOptions, SslVerifyMode, SslVersion};
use openssl::x509::X509;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

use crate::load::Connector;
use crate::measure::{CountingStream, Negotiated, TlsFailure};
use crate::peers::tls::openssl as openssl_names;
use crate::peers::tls::rustls as tls_config;
use crate::pki::{ClientCert, Identity, Pki};
use crate::scenario::{Case, ResumptionMode, TlsVersion};
use crate::sys::ResumingContext;
use rustls::pki_types::CertificateDer;

/// The OpenSSL client of a case.
pub struct OpensslClient {
    identities: Vec<IdentityContext>,
    /// The name sent (SNI) and verified in the server's certificate.
    server_name: String,
    /// What each attempt requests after the handshake.
    request: Vec<u8>,
}

/// One identity's context and whether it holds a session worth offering.
struct IdentityContext {
    context: ResumingContext,
    /// Resumption is on and a handshake of this identity was accepted.
    primed: AtomicBool,
    resumption: bool,
}

/// Why the OpenSSL client could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum OpensslClientError {
    /// OpenSSL refused a setting or a credential.
    #[error("configuring the openssl client: {0}")]
    Openssl(#[from] openssl::error::ErrorStack),
    /// The case asks for something this client cannot do.
    #[error("the openssl client cannot {0}")]
    Unsupported(String),
}

/// A certificate chain (leaf first) and its private key (DER, any form OpenSSL reads).
type Credential<'a> = (&'a [CertificateDer<'static>], &'a [u8]);

impl OpensslClient {
    /// Builds the client of `case` from `pki`: it trusts the PKI's root for `localhost`.
    ///
    /// # Errors
    /// When OpenSSL rejects a setting or credential, or the case needs a deliberately broken
    /// credential.
    pub fn new(case: &Case, pki: &Pki) -> Result<Self, OpensslClientError> {
        let roots = std::slice::from_ref(&pki.root);
        Ok(Self {
            identities: identities(case, pki, roots, None)?,
            server_name: "localhost".into(),
            request: crate::load::REQUEST.to_vec(),
        })
    }

    /// The client of `case` for an external server: it trusts `target`'s CA, sends and checks
    /// its server name, requests its path, and presents the user's own credential (the case's,
    /// or `target`'s for the valid one) when there is one, otherwise `case`'s from `pki`.
    ///
    /// # Errors
    /// As [`OpensslClient::new`].
    pub fn for_target(
        case: &Case,
        pki: &Pki,
        target: &crate::peers::Target,
    ) -> Result<Self, OpensslClientError> {
        let own = match (&case.own_credential, case.client_cert) {
            (Some(own), _) => Some(own),
            (None, ClientCert::Valid) => target.credential.as_ref(),
            _ => None,
        };
        let own = own.map(|o| (o.chain.as_slice(), o.key.secret_der()));
        Ok(Self {
            identities: identities(case, pki, &target.ca, own)?,
            server_name: target.server_name.clone(),
            request: target.request(),
        })
    }

    /// A client of `case`'s TLS settings for `target` that presents no certificate: what a
    /// probe needs to see whether the server asks for one after the handshake.
    ///
    /// # Errors
    /// When OpenSSL rejects a setting or the target's CA.
    pub fn without_certificate(
        case: &Case,
        target: &crate::peers::Target,
    ) -> Result<Self, OpensslClientError> {
        Ok(Self {
            identities: vec![identity_context(case, &target.ca, None)?],
            server_name: target.server_name.clone(),
            request: target.request(),
        })
    }
}

/// One context per identity `case`'s client presents (`own` alone when given), each trusting
/// `roots` for the server.
fn identities(
    case: &Case,
    pki: &Pki,
    roots: &[CertificateDer<'static>],
    own: Option<Credential<'_>>,
) -> Result<Vec<IdentityContext>, OpensslClientError> {
    let key_of = |id: &Identity| id.key.private_key_der().secret_der().to_vec();
    let context = |cred: Option<Credential<'_>>| identity_context(case, roots, cred);
    Ok(match (own, case.client_cert) {
        (Some(own), _) => vec![context(Some(own))?],
        (None, ClientCert::Valid) => pki
            .clients
            .iter()
            .map(|id| context(Some((&id.chain, &key_of(id)))))
            .collect::<Result<_, _>>()?,
        (None, ClientCert::None) => vec![context(None)?],
        (None, other) => {
            let id = pki.client(other, 0).ok_or_else(|| {
                OpensslClientError::Unsupported(format!("find a {other} credential"))
            })?;
            vec![context(Some((&id.chain, &key_of(id))))?]
        }
    })
}

/// The context of one identity: `case`'s versions, suites and groups, the server verified
/// against `roots`, `cred` presented when the server asks (also after the handshake), and its
/// handshake messages observed for the attempt's evidence.
fn identity_context(
    case: &Case,
    roots: &[CertificateDer<'static>],
    cred: Option<Credential<'_>>,
) -> Result<IdentityContext, OpensslClientError> {
    let resumption = case.tls.resumption != ResumptionMode::Off;
    let mut b = SslContext::builder(SslMethod::tls_client())?;
    if case.tls.resumption == ResumptionMode::SessionId {
        // TLS 1.2: resume by session ID only (no ticket extension offered).
        b.set_options(SslOptions::NO_TICKET);
    }
    // A server's HelloRequest is answered (OpenSSL does, unless told not to): per-location
    // client authentication at TLS 1.2 is a renegotiation.
    b.clear_options(SslOptions::NO_RENEGOTIATION);
    let version = |v: TlsVersion| match v {
        TlsVersion::Tls12 => SslVersion::TLS1_2,
        TlsVersion::Tls13 => SslVersion::TLS1_3,
    };
    let lo = case
        .tls
        .versions
        .iter()
        .copied()
        .min()
        .unwrap_or(TlsVersion::Tls13);
    b.set_min_proto_version(Some(version(lo)))?;
    b.set_max_proto_version(Some(version(case.tls.highest())))?;
    if let Some(list) = openssl_names::tls13_suites(&case.tls.suites) {
        b.set_ciphersuites(&list)?;
    }
    if let Some(list) = openssl_names::tls12_ciphers(&case.tls.suites) {
        b.set_cipher_list(&list)?;
    }
    if let Some(list) = openssl_names::groups(&case.tls.groups) {
        b.set_groups_list(&list)?;
    }
    for root in roots {
        b.cert_store_mut()
            .add_cert(X509::from_der(root.as_ref())?)?;
    }
    b.set_verify(SslVerifyMode::PEER);
    if let Some((chain, key)) = cred {
        let mut chain = chain.iter();
        if let Some(leaf) = chain.next() {
            let leaf = X509::from_der(leaf.as_ref())?;
            b.set_certificate(&leaf)?;
        }
        for extra in chain {
            b.add_extra_chain_cert(X509::from_der(extra.as_ref())?)?;
        }
        let key = openssl::pkey::PKey::private_key_from_der(key)?;
        b.set_private_key(&key)?;
        b.check_private_key()?;
    }
    super::openssl_evidence::observe(&mut b)?;
    Ok(IdentityContext {
        context: ResumingContext::new(b, resumption),
        primed: AtomicBool::new(false),
        resumption,
    })
}

/// An OpenSSL stream whose errors carry the rustls error values the outcome classes read.
pub struct OpensslStream(SslStream<CountingStream<TcpStream>>);

/// The alert in an OpenSSL error, if it reports one received from the peer (reason codes
/// `SSL_AD_REASON_OFFSET` (1000) + alert).
fn received_alert(err: &openssl::ssl::Error) -> Option<u8> {
    err.ssl_error()?.errors().iter().find_map(|e| {
        let reason = e.reason_code();
        (1000..1256)
            .contains(&reason)
            .then(|| (reason - 1000) as u8)
    })
}

/// Translates an OpenSSL error into an I/O error the outcome classes understand.
fn classify(err: openssl::ssl::Error) -> io::Error {
    if let Some(alert) = received_alert(&err) {
        return TlsFailure::AlertReceived(alert).into_io();
    }
    if let Some(e) = err.io_error() {
        return io::Error::new(e.kind(), e.to_string());
    }
    match err.ssl_error() {
        // A local failure (server certificate not trusted, no shared parameters...).
        Some(stack) => TlsFailure::Local(stack.to_string()).into_io(),
        // SSL_ERROR_SYSCALL without errno, or ZERO_RETURN: the peer just closed.
        None => io::Error::from(io::ErrorKind::UnexpectedEof),
    }
}

fn reclassify(e: io::Error) -> io::Error {
    match e.into_inner() {
        Some(inner) => match inner.downcast::<openssl::ssl::Error>() {
            Ok(ssl) => classify(*ssl),
            Err(other) => io::Error::other(other),
        },
        None => io::Error::from(io::ErrorKind::Other),
    }
}

fn keep_kind(e: io::Error) -> io::Error {
    if e.get_ref().is_some() {
        let kind = e.kind();
        let mapped = reclassify(e);
        if mapped.kind() == io::ErrorKind::Other {
            return io::Error::new(kind, mapped.to_string());
        }
        mapped
    } else {
        e
    }
}

impl AsyncRead for OpensslStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf).map_err(keep_kind)
    }
}

impl AsyncWrite for OpensslStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf).map_err(keep_kind)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx).map_err(keep_kind)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx).map_err(keep_kind)
    }
}

impl Connector for OpensslClient {
    type Stream = OpensslStream;

    fn handshake(
        &self,
        tcp: CountingStream<TcpStream>,
        identity: usize,
        request: &[u8],
        resume: bool,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send {
        let setup = |e: openssl::error::ErrorStack| io::Error::other(e.to_string());
        let id = &self.identities[identity % self.identities.len()];
        let ssl = id.context.ssl(resume && id.resumption);
        let name = self.server_name.as_str();
        async move {
            let mut ssl = ssl.map_err(setup)?;
            super::openssl_evidence::watch(&mut ssl).map_err(setup)?;
            // SNI is for host names only (RFC 6066 3); the name is verified either way.
            if name.parse::<std::net::IpAddr>().is_err() {
                ssl.set_hostname(name).map_err(setup)?;
            }
            match name.parse::<std::net::IpAddr>() {
                Ok(ip) => ssl.param_mut().set_ip(ip).map_err(setup)?,
                Err(_) => ssl.param_mut().set_host(name).map_err(setup)?,
            }
            let mut stream = SslStream::new(ssl, tcp).map_err(setup)?;
            Pin::new(&mut stream).connect().await.map_err(classify)?;
            let mut stream = OpensslStream(stream);
            // OpenSSL sends the request after its Finished, in its own write.
            stream.write_all(request).await?;
            Ok(stream)
        }
    }

    fn negotiated(stream: &Self::Stream) -> Option<Negotiated> {
        let ssl = stream.0.ssl();
        let version = match ssl.version2()? {
            v if v == SslVersion::TLS1_3 => rustls::ProtocolVersion::TLSv1_3,
            v if v == SslVersion::TLS1_2 => rustls::ProtocolVersion::TLSv1_2,
            _ => return None,
        };
        let id = ssl.current_cipher()?.protocol_id();
        // Named through rustls's registry (the code points are the same on the wire). The
        // crate does not expose the negotiated group (SSL_get_negotiated_group).
        Some(tls_config::negotiated(
            version,
            rustls::CipherSuite::from(u16::from_be_bytes(id)),
            None,
            ssl.session_reused(),
        ))
    }

    fn request(&self) -> &[u8] {
        &self.request
    }

    fn observes_client_auth(&self) -> bool {
        // Every context's handshake messages are observed (`openssl_evidence`).
        true
    }

    fn can_resume(&self, identity: usize) -> bool {
        let id = &self.identities[identity % self.identities.len()];
        id.resumption && id.primed.load(Ordering::Relaxed) && id.context.has_session()
    }

    fn accepted(&self, identity: usize) {
        let id = &self.identities[identity % self.identities.len()];
        if id.resumption {
            id.primed.store(true, Ordering::Relaxed);
        }
    }
}
