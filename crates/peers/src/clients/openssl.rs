//! The harness's OpenSSL client (through the `openssl` crate and `tokio-openssl`), a load
//! client like the rustls one: one `SSL_CTX` per client identity, verifying the server against
//! the PKI's root, with the case's versions, suites and groups.
//!
//! Errors are translated into the rustls error values the outcome classes are mapped from: an
//! alert OpenSSL received (its reason codes 1000 + alert) becomes
//! `rustls::Error::AlertReceived`, also when it arrives on the first read after a TLS 1.3
//! handshake.
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

/// The OpenSSL client of a case.
pub struct OpensslClient {
    identities: Vec<IdentityContext>,
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

impl OpensslClient {
    /// Builds the client of `case` from `pki`.
    ///
    /// # Errors
    /// When OpenSSL rejects a setting or credential, or the case needs a deliberately broken
    /// credential.
    pub fn new(case: &Case, pki: &Pki) -> Result<Self, OpensslClientError> {
        let resumption = case.tls.resumption != ResumptionMode::Off;
        let context = |id: Option<&Identity>| -> Result<IdentityContext, OpensslClientError> {
            let mut b = SslContext::builder(SslMethod::tls_client())?;
            if case.tls.resumption == ResumptionMode::SessionId {
                // TLS 1.2: resume by session ID only (no ticket extension offered).
                b.set_options(SslOptions::NO_TICKET);
            }
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
            let root = X509::from_der(pki.root.as_ref())?;
            b.cert_store_mut().add_cert(root)?;
            b.set_verify(SslVerifyMode::PEER);
            if let Some(id) = id {
                let mut chain = id.chain.iter();
                if let Some(leaf) = chain.next() {
                    let leaf = X509::from_der(leaf.as_ref())?;
                    b.set_certificate(&leaf)?;
                }
                for extra in chain {
                    b.add_extra_chain_cert(X509::from_der(extra.as_ref())?)?;
                }
                let key = openssl::pkey::PKey::private_key_from_der(
                    id.key.private_key_der().secret_der(),
                )?;
                b.set_private_key(&key)?;
                b.check_private_key()?;
            }
            Ok(IdentityContext {
                context: ResumingContext::new(b, resumption),
                primed: AtomicBool::new(false),
                resumption,
            })
        };
        let identities = match case.client_cert {
            ClientCert::Valid => pki
                .clients
                .iter()
                .map(|id| context(Some(id)))
                .collect::<Result<_, _>>()?,
            ClientCert::None => vec![context(None)?],
            other => {
                let id = pki.client(other, 0).ok_or_else(|| {
                    OpensslClientError::Unsupported(format!("find a {other} credential"))
                })?;
                vec![context(Some(id))?]
            }
        };
        Ok(Self { identities })
    }
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
        request: &'static [u8],
        resume: bool,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send {
        let setup = |e: openssl::error::ErrorStack| io::Error::other(e.to_string());
        let id = &self.identities[identity % self.identities.len()];
        let ssl = id.context.ssl(resume && id.resumption);
        async move {
            let mut ssl = ssl.map_err(setup)?;
            ssl.set_hostname("localhost").map_err(setup)?;
            ssl.param_mut().set_host("localhost").map_err(setup)?;
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
