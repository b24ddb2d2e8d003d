//! What each CA the responder speaks for answers about and sends: the certificates it issued
//! (the leaves at the lowest level, the next CA down above it, the bad variants' CAs and what
//! they issued) and the chain that lets a relying party verify its answers.

use rustls::pki_types::CertificateDer;
use x509_cert::Certificate;

use std::sync::Arc;

use der::Decode;

use crate::pki::{KeyMaterial, Pki};

/// A certificate the responder could not parse or register.
#[derive(Debug, thiserror::Error)]
pub enum ResponderError {
    /// A certificate given to it is not DER X.509.
    #[error("OCSP responder: certificate: {0}")]
    Certificate(der::Error),
    /// A name or key of a parsed certificate could not be encoded again.
    #[error("OCSP responder: DER: {0}")]
    Der(der::Error),
}

pub(super) fn parse(cert: &CertificateDer<'_>) -> Result<Certificate, ResponderError> {
    Certificate::from_der(cert).map_err(ResponderError::Certificate)
}

/// Every CA certificate a chain may go through: the responder's `levels` and the certificates
/// above a user's CA.
pub(super) fn known_cas(pki: &Pki, levels: &[Level]) -> Result<Vec<Certificate>, ResponderError> {
    levels
        .iter()
        .map(|(c, _)| c)
        .chain(pki.spec.issuer.iter().flat_map(|i| i.0.chain.iter()))
        .map(parse)
        .collect()
}

/// `ca` and the CAs above it among `known` (by issuer name), up to the first self-signed one,
/// which is left out (the relying party holds its anchor); `ca` itself always.
pub(super) fn chain_up(ca: &Certificate, known: &[Certificate]) -> Vec<Certificate> {
    let self_signed = |c: &Certificate| c.tbs_certificate.issuer == c.tbs_certificate.subject;
    let mut chain = vec![ca.clone()];
    let mut at = ca;
    while !self_signed(at) && chain.len() <= known.len() {
        let Some(up) = known
            .iter()
            .find(|k| k.tbs_certificate.subject == at.tbs_certificate.issuer)
        else {
            break;
        };
        if self_signed(up) {
            break;
        }
        chain.push(up.clone());
        at = up;
    }
    chain
}

/// A CA of the PKI: its certificate and key.
pub(super) type Level = (CertificateDer<'static>, Arc<KeyMaterial>);

/// The leaves the lowest CA issued: the clients (good and bad), the servers, the exposure
/// victim and the delegated responders.
pub(super) fn leaves(pki: &Pki) -> Vec<&CertificateDer<'static>> {
    pki.clients
        .iter()
        .chain(pki.bad_clients.iter().map(|(_, id)| id))
        .chain([
            &pki.server,
            &pki.server_must_staple,
            &pki.victim,
            &pki.ocsp_responder,
            &pki.ocsp_unauthorized,
        ])
        .map(|id| &id.chain[0])
        .collect()
}

/// What the CA at `levels[i]` answers for: the leaves at the lowest level, the next level down
/// above it, and for the root and the bad variants' CAs what they issued of `variant_certs`.
pub(super) fn issued_at<'a>(
    levels: &'a [Level],
    i: usize,
    lowest: usize,
    leaves: &[&'a CertificateDer<'static>],
    variant_certs: &[&'a CertificateDer<'static>],
) -> Result<Vec<&'a CertificateDer<'static>>, ResponderError> {
    let cert = &levels[i].0;
    Ok(if i == lowest {
        let mut issued = leaves.to_vec();
        if i == 0 {
            issued.extend(issued_by(cert, variant_certs)?);
        }
        issued
    } else if i > lowest {
        issued_by(cert, variant_certs)?
    } else if i == 0 {
        let mut under_root = vec![&levels[1].0];
        under_root.extend(issued_by(cert, variant_certs)?);
        under_root
    } else {
        vec![&levels[i + 1].0]
    })
}

/// The certificates of `variant_certs` that `ca` issued (itself excluded, each once).
fn issued_by<'a>(
    ca: &CertificateDer<'static>,
    variant_certs: &[&'a CertificateDer<'static>],
) -> Result<Vec<&'a CertificateDer<'static>>, ResponderError> {
    let subject = parse(ca)?.tbs_certificate.subject;
    let mut out = Vec::new();
    for c in variant_certs {
        let parsed = parse(c)?;
        if parsed.tbs_certificate.issuer == subject && *c != ca && !out.contains(c) {
            out.push(*c);
        }
    }
    Ok(out)
}
