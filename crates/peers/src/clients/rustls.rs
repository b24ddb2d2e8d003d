//! The harness's own rustls client: one configuration per client identity (so a pool of
//! 10,000 identities is 10,000 configurations sharing one root store). With resumption on, each
//! identity has a second configuration holding its own session cache: a handshake meant to be
//! full uses the first, one meant to resume the second.

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rustls::client::{Resumption, Tls12Resumption, WebPkiServerVerifier};
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::danger::UncheckedClientCert;
use super::evidence::observing;
use super::session_store::observed_resumption;
use super::staple_check::StapleCheckingVerifier;
use crate::load::Connector;
use crate::measure::{CountingStream, Negotiated, Outcome, TlsFailure};
use crate::peers::rotating::SwappableCert;
use crate::peers::tls::rustls as tls_config;
use crate::pki::{ClientCert, Identity, Pki};
use crate::scenario::{Case, ResumptionMode, RevocationMode};

/// The two configurations of one identity.
struct IdentityConfig {
    /// Never offers a session.
    full: Arc<ClientConfig>,
    /// Has this identity's own session cache; `None` with resumption off.
    resume: Option<Arc<ClientConfig>>,
    /// An accepted handshake happened, so `resume` holds a session.
    primed: AtomicBool,
}

/// The rustls client of a case.
pub struct RustlsClient {
    configs: Vec<IdentityConfig>,
    server_name: ServerName<'static>,
    /// What each attempt requests (a target's path and name).
    request: Vec<u8>,
}

/// Why a client could not be configured.
#[derive(Debug, thiserror::Error)]
#[error("configuring the rustls client: {0}")]
pub struct ClientError(#[from] pub rustls::Error);

impl RustlsClient {
    /// Builds the client of `case` from `pki`.
    ///
    /// # Errors
    /// When rustls rejects the settings or a credential.
    pub fn new(case: &Case, pki: &Pki) -> Result<Self, ClientError> {
        Self::build(case, pki, None, &[])
    }

    /// A client of `case`'s settings whose identities are `certs`, swapped as they are
    /// renewed (short-lived certificates).
    ///
    /// # Errors
    /// When rustls rejects the settings.
    pub fn rotating(
        case: &Case,
        pki: &Pki,
        certs: &[Arc<SwappableCert>],
    ) -> Result<Self, ClientError> {
        Self::build(case, pki, None, certs)
    }

    /// A client of `case`'s settings that always presents `identity` (e.g. the victim whose
    /// revocation a case measures).
    ///
    /// # Errors
    /// When rustls rejects the settings or the credential.
    pub fn for_identity(case: &Case, pki: &Pki, identity: &Identity) -> Result<Self, ClientError> {
        Self::build(case, pki, Some(identity), &[])
    }

    /// A client of `case` for an external server: it trusts `target`'s CA, sends and checks
    /// its server name, and presents `target`'s own credential (if given) as the valid one.
    ///
    /// # Errors
    /// When rustls rejects the settings, the CA or a credential.
    pub fn for_target(
        case: &Case,
        pki: &Pki,
        target: &crate::peers::Target,
    ) -> Result<Self, ClientError> {
        let own = match (&case.own_credential, case.client_cert) {
            (Some(own), _) => Some(own),
            (None, ClientCert::Valid) => target.credential.as_ref(),
            _ => None,
        };
        Self::for_target_with(case, pki, target, own)
    }

    /// The client for `target` presenting `own` (the user's credential files) when given,
    /// otherwise `case`'s credential from `pki`.
    ///
    /// # Errors
    /// When the configuration cannot be built.
    pub fn for_target_with(
        case: &Case,
        pki: &Pki,
        target: &crate::peers::Target,
        own: Option<&crate::pki::OwnCredential>,
    ) -> Result<Self, ClientError> {
        let mut client = if let Some(crate::pki::OwnCredential { chain, key, .. }) = own {
            let provider = tls_config::provider_with(&case.tls.groups, &case.tls.suites);
            let config = ClientConfig::builder_with_provider(provider)
                .with_protocol_versions(&tls_config::versions(&case.tls.versions))?
                .with_root_certificates(tls_config::root_store(&target.ca)?)
                .with_client_auth_cert(chain.clone(), key.clone_key())?;
            let config = observing(config);
            let mut one = Self::build(case, pki, pki.clients.first(), &[])?;
            let resume = one.configs[0].resume.is_some().then(|| {
                let mut resuming = config.clone();
                resuming.resumption = observed_resumption(64);
                Arc::new(resuming)
            });
            let mut full = config;
            full.resumption = Resumption::disabled();
            one.configs = vec![IdentityConfig {
                full: Arc::new(full),
                resume,
                primed: AtomicBool::new(false),
            }];
            one
        } else {
            Self::build_for(case, pki, None, &[], &target.ca)?
        };
        client.server_name = ServerName::try_from(target.server_name.clone())
            .map_err(|_| rustls::Error::General(format!("server name {}", target.server_name)))?;
        client.request = target.request();
        Ok(client)
    }

    /// Like [`for_target_with`](Self::for_target_with) with `own`, but presenting `own` without
    /// rustls's check that key and certificate belong together, for a certificate rustls
    /// cannot parse for that check (the server judges it).
    ///
    /// # Errors
    /// When the configuration cannot be built or the key cannot be loaded.
    pub fn for_target_unchecked(
        case: &Case,
        pki: &Pki,
        target: &crate::peers::Target,
        own: &crate::pki::OwnCredential,
    ) -> Result<Self, ClientError> {
        let provider = tls_config::provider_with(&case.tls.groups, &case.tls.suites);
        let resolver = UncheckedClientCert::from_parts(own.chain.clone(), &own.key, &provider)?;
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&tls_config::versions(&case.tls.versions))?
            .with_root_certificates(tls_config::root_store(&target.ca)?)
            .with_client_cert_resolver(Arc::new(resolver));
        config.resumption = Resumption::disabled();
        let mut client = Self::for_target_with(case, pki, target, None)?;
        client.configs = vec![IdentityConfig {
            full: Arc::new(observing(config)),
            resume: None,
            primed: AtomicBool::new(false),
        }];
        Ok(client)
    }

    fn build(
        case: &Case,
        pki: &Pki,
        only: Option<&Identity>,
        rotating: &[Arc<SwappableCert>],
    ) -> Result<Self, ClientError> {
        Self::build_for(case, pki, only, rotating, std::slice::from_ref(&pki.root))
    }

    fn build_for(
        case: &Case,
        pki: &Pki,
        only: Option<&Identity>,
        rotating: &[Arc<SwappableCert>],
        server_roots: &[rustls::pki_types::CertificateDer<'static>],
    ) -> Result<Self, ClientError> {
        let base = ConfigBase::new(case, server_roots)?;
        Ok(Self {
            configs: base.identity_configs(case, pki, only, rotating)?,
            server_name: ServerName::try_from("localhost")
                .map_err(|_| rustls::Error::General("server name".into()))?,
            request: crate::load::REQUEST.to_vec(),
        })
    }

    /// Number of distinct client configurations (identities).
    pub fn identities(&self) -> usize {
        self.configs.len()
    }
}

/// What every identity's configuration of a case starts from: the case's provider and
/// versions, and how the server's certificate is verified.
struct ConfigBase {
    provider: Arc<rustls::crypto::CryptoProvider>,
    versions: Vec<&'static rustls::SupportedProtocolVersion>,
    roots: Arc<rustls::RootCertStore>,
    /// With stapling, the server's certificate is verified by webpki and then its staple.
    staple_checker: Option<Arc<StapleCheckingVerifier>>,
    resumption: ResumptionMode,
}

impl ConfigBase {
    fn new(
        case: &Case,
        server_roots: &[rustls::pki_types::CertificateDer<'static>],
    ) -> Result<Self, rustls::Error> {
        let provider = tls_config::provider_with(&case.tls.groups, &case.tls.suites);
        let versions = tls_config::versions(&case.tls.versions);
        let roots = tls_config::root_store(server_roots)?;
        let staple_checker = match case.revocation.mode() {
            RevocationMode::OcspStapling => {
                let webpki = WebPkiServerVerifier::builder_with_provider(
                    Arc::clone(&roots),
                    Arc::clone(&provider),
                )
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
                Some(Arc::new(StapleCheckingVerifier::new(webpki, false)))
            }
            _ => None,
        };
        Ok(Self {
            provider,
            versions,
            roots,
            staple_checker,
            resumption: case.tls.resumption,
        })
    }

    /// A builder with the provider, versions and server verification set, waiting for the
    /// client's credential.
    fn builder(
        &self,
    ) -> Result<rustls::ConfigBuilder<ClientConfig, rustls::client::WantsClientCert>, rustls::Error>
    {
        ClientConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_protocol_versions(&self.versions)
            .map(|b| match &self.staple_checker {
                Some(v) => b
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::clone(v) as Arc<_>),
                None => b.with_root_certificates(Arc::clone(&self.roots)),
            })
    }

    /// `config` as one identity's pair: the full one never resumes, the resuming one (with
    /// resumption on) has a session store of its own.
    fn finish(&self, config: ClientConfig) -> IdentityConfig {
        let mut config = observing(config);
        config.resumption = Resumption::disabled();
        let resume = match self.resumption {
            ResumptionMode::Off => None,
            mode => {
                let mut resuming = config.clone();
                // A new in-memory store per call: one per identity.
                resuming.resumption = observed_resumption(64).tls12_resumption(match mode {
                    ResumptionMode::SessionId => Tls12Resumption::SessionIdOnly,
                    _ => Tls12Resumption::SessionIdOrTickets,
                });
                Some(Arc::new(resuming))
            }
        };
        IdentityConfig {
            full: Arc::new(config),
            resume,
            primed: AtomicBool::new(false),
        }
    }

    fn with_identity(&self, id: &Identity) -> Result<IdentityConfig, rustls::Error> {
        Ok(self.finish(
            self.builder()?
                .with_client_auth_cert(id.chain.clone(), id.key.private_key_der())?,
        ))
    }

    fn with_resolver(
        &self,
        resolver: Arc<dyn rustls::client::ResolvesClientCert>,
    ) -> Result<IdentityConfig, rustls::Error> {
        Ok(self.finish(self.builder()?.with_client_cert_resolver(resolver)))
    }

    /// One configuration per identity the case's client presents: `rotating`'s certificates,
    /// `only`, or the case's credential from `pki`.
    fn identity_configs(
        &self,
        case: &Case,
        pki: &Pki,
        only: Option<&Identity>,
        rotating: &[Arc<SwappableCert>],
    ) -> Result<Vec<IdentityConfig>, rustls::Error> {
        Ok(match (only, case.client_cert) {
            _ if !rotating.is_empty() => rotating
                .iter()
                .map(|cert| self.with_resolver(Arc::clone(cert) as Arc<_>))
                .collect::<Result<_, rustls::Error>>()?,
            (Some(id), _) => vec![self.with_identity(id)?],
            // The server narrows its signature schemes: present the key anyway.
            (None, cert) if !case.tls.client_sigalgs.is_empty() && cert != ClientCert::None => {
                let ids: Vec<&Identity> = match cert {
                    ClientCert::Valid => pki.clients.iter().collect(),
                    other => pki.client(other, 0).into_iter().collect(),
                };
                ids.into_iter()
                    .map(|id| {
                        let resolver = UncheckedClientCert::forcing_scheme(id, &self.provider)?;
                        self.with_resolver(Arc::new(resolver))
                    })
                    .collect::<Result<_, rustls::Error>>()?
            }
            (None, ClientCert::Valid) => pki
                .clients
                .iter()
                .map(|id| self.with_identity(id))
                .collect::<Result<_, _>>()?,
            (None, ClientCert::None) => vec![self.finish(self.builder()?.with_no_client_auth())],
            (None, ClientCert::MismatchedKey | ClientCert::WeakRsa) => {
                let id = pki
                    .client(case.client_cert, 0)
                    .ok_or(rustls::Error::NoCertificatesPresented)?;
                let resolver = UncheckedClientCert::new(id, &self.provider)?;
                vec![self.with_resolver(Arc::new(resolver))?]
            }
            (None, other) => {
                let id = pki
                    .client(other, 0)
                    .ok_or(rustls::Error::NoCertificatesPresented)?;
                vec![self.with_identity(id)?]
            }
        })
    }
}

impl Connector for RustlsClient {
    type Stream = tokio_rustls::client::TlsStream<CountingStream<TcpStream>>;

    fn handshake(
        &self,
        tcp: CountingStream<TcpStream>,
        identity: usize,
        request: &[u8],
        resume: bool,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send {
        let id = &self.configs[identity % self.configs.len()];
        // An identity's first handshake goes through its resuming configuration too: its store
        // is empty, so it offers nothing, and the session it receives is kept there. (Made
        // with `full`, which keeps no sessions, it would leave the identity primed with
        // nothing to offer, and its next resumption a full handshake.)
        let config = match &id.resume {
            Some(resuming) if resume || !id.primed.load(Ordering::Relaxed) => Arc::clone(resuming),
            _ => Arc::clone(&id.full),
        };
        TlsConnector::from(config).connect_with(self.server_name.clone(), tcp, |conn| {
            // Buffered until the handshake allows application data; cannot fail below the
            // buffer limit, which a request line is far from.
            let _ = std::io::Write::write_all(&mut conn.writer(), request);
        })
    }

    fn negotiated(stream: &Self::Stream) -> Option<Negotiated> {
        let conn = stream.get_ref().1;
        Some(tls_config::negotiated(
            conn.protocol_version()?,
            conn.negotiated_cipher_suite()?.suite(),
            conn.negotiated_key_exchange_group().map(|g| g.name()),
            conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
        ))
    }

    fn classify(err: &io::Error) -> Outcome {
        match err
            .get_ref()
            .and_then(|e| e.downcast_ref::<rustls::Error>())
        {
            Some(tls) => failure(tls).outcome(),
            None => Outcome::from_io_error(err),
        }
    }

    fn request(&self) -> &[u8] {
        &self.request
    }

    fn observes_client_auth(&self) -> bool {
        // Every configuration's resolver is wrapped by `observing`.
        true
    }

    fn can_resume(&self, identity: usize) -> bool {
        let id = &self.configs[identity % self.configs.len()];
        id.resume.is_some() && id.primed.load(Ordering::Relaxed)
    }

    fn accepted(&self, identity: usize) {
        let id = &self.configs[identity % self.configs.len()];
        if id.resume.is_some() {
            id.primed.store(true, Ordering::Relaxed);
        }
    }
}

/// A rustls error seen by the client, in the harness's stack-neutral terms.
fn failure(err: &rustls::Error) -> TlsFailure {
    match err {
        rustls::Error::AlertReceived(alert) => TlsFailure::AlertReceived(u8::from(*alert)),
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. }
        | rustls::Error::PeerMisbehaved(_)
        | rustls::Error::DecryptError => TlsFailure::Protocol(err.to_string()),
        rustls::Error::InvalidCertificate(rustls::CertificateError::InvalidOcspResponse) => {
            TlsFailure::StapleRejected(err.to_string())
        }
        _ => TlsFailure::Local(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::AlertDescription;

    #[test]
    fn alert_inside_io_error_is_classified() {
        let err = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::CertificateRequired),
        );
        assert_eq!(RustlsClient::classify(&err), Outcome::CertRequired);
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(RustlsClient::classify(&reset), Outcome::Reset);
        let local = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(
            RustlsClient::classify(&local),
            Outcome::ClientRejectedServer
        );
    }
}
