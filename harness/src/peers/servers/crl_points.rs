//! The rustls server's client-certificate verifier in mode `crl-http`: each client is checked
//! against the CRL its certificate's distribution point names (one shard of a sharded CRL),
//! downloaded the first time a certificate names it and again every reload interval
//! (`revocation::distribution_points`), so the server fetches only the shards its clients
//! name. Per URL the verifier is webpki's, built with that one CRL; everything but the chain
//! check (hints, schemes, signatures) is the CRL-less base verifier's.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};

use crate::revocation::distribution_points::{distribution_point_of, DistributionPoints};

/// The verifiers per distribution point.
pub type CrlPoints = DistributionPoints<Arc<dyn ClientCertVerifier>>;

/// See the module docs.
#[derive(Debug)]
pub struct ByDistributionPoint {
    base: Arc<dyn ClientCertVerifier>,
    points: Arc<CrlPoints>,
    /// For certificates that name no distribution point: the server's configured CRL URL.
    default_url: String,
    /// For a URL the server does not fetch (another origin, a full cache): no CRL, so the
    /// fail policy decides.
    unavailable: Arc<dyn ClientCertVerifier>,
}

impl ByDistributionPoint {
    /// Checks clients against `points`, `default_url` for certificates that name none.
    pub fn new(
        base: Arc<dyn ClientCertVerifier>,
        points: Arc<CrlPoints>,
        default_url: String,
        unavailable: Arc<dyn ClientCertVerifier>,
    ) -> Self {
        Self {
            base,
            points,
            default_url,
            unavailable,
        }
    }
}

impl ClientCertVerifier for ByDistributionPoint {
    fn offer_client_auth(&self) -> bool {
        self.base.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.base.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.base.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let url = distribution_point_of(end_entity).unwrap_or_else(|| self.default_url.clone());
        match self.points.get(&url) {
            None => self
                .unavailable
                .verify_client_cert(end_entity, intermediates, now),
            Some(built) => match built.as_ref() {
                Ok(verifier) => verifier.verify_client_cert(end_entity, intermediates, now),
                Err(e) => Err(Error::General(format!("CRL from {url}: {e}"))),
            },
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.base.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.base.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.base.supported_verify_schemes()
    }
}
