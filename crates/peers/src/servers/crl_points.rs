//! The rustls server's client-certificate verifier in mode `crl-http`: each client is checked
//! against the CRL its certificate's distribution point names (one shard of a sharded CRL),
//! downloaded the first time a certificate names it and again every reload interval
//! (`revocation::distribution_points`), so the server fetches only the shards its clients
//! name. Per URL the verifier is webpki's, built with that one CRL; everything but the chain
//! check (hints, schemes, signatures) is the CRL-less base verifier's.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::Error;

use super::post_check::PostCheck;
use crate::revocation::distribution_points::{distribution_point_of, DistributionPoints};

/// The verifiers per distribution point.
pub type CrlPoints = DistributionPoints<Arc<dyn ClientCertVerifier>>;

/// See the module docs: the chain check of a [`super::post_check::PostCheckVerifier`] whose
/// inner verifier is the CRL-less base (hints, schemes and signatures are its).
#[derive(Debug)]
pub struct ByDistributionPoint {
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
        points: Arc<CrlPoints>,
        default_url: String,
        unavailable: Arc<dyn ClientCertVerifier>,
    ) -> Self {
        Self {
            points,
            default_url,
            unavailable,
        }
    }
}

impl PostCheck for ByDistributionPoint {
    /// Never called: [`PostCheck::verify`] is this check's whole verdict.
    fn check(&self, _: &CertificateDer<'_>, _: &[CertificateDer<'_>]) -> Result<(), Error> {
        Ok(())
    }

    /// The verdict of the verifier of the CRL the certificate's distribution point names (not
    /// the base's, which has no CRL).
    fn verify(
        &self,
        _base: &dyn ClientCertVerifier,
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
}
