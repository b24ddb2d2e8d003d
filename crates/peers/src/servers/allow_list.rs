//! An allow-list of client identities for the rustls server: after the chain verifies, the
//! leaf's subject CN must be on the list, or the handshake fails with
//! `ApplicationVerificationFailure`, which rustls sends as `access_denied` (RFC 8446 6.2: "a
//! valid certificate was received, but when access control was applied, the sender decided not
//! to proceed").

use der::Decode;
use rustls::pki_types::CertificateDer;
use rustls::{CertificateError, Error};

use super::post_check::PostCheck;

/// The subject common name (2.5.4.3) of a DER certificate, if it has one.
pub fn subject_cn(cert: &[u8]) -> Option<String> {
    let cert = x509_cert::Certificate::from_der(cert).ok()?;
    cert.tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == const_oid::db::rfc4519::CN)
        .and_then(|atv| {
            atv.value
                .decode_as::<der::asn1::Utf8StringRef<'_>>()
                .map(|s| s.as_str().to_string())
                .or_else(|_| {
                    atv.value
                        .decode_as::<der::asn1::PrintableStringRef<'_>>()
                        .map(|s| s.as_str().to_string())
                })
                .ok()
        })
}

/// The allow-list check: a verified leaf whose CN is not listed is refused.
#[derive(Debug)]
pub struct AllowList(Vec<String>);

impl AllowList {
    /// Admits only leaves whose subject CN is in `allowed`.
    pub fn new(allowed: Vec<String>) -> Self {
        Self(allowed)
    }
}

impl PostCheck for AllowList {
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
    ) -> Result<(), Error> {
        match subject_cn(end_entity) {
            Some(cn) if self.0.contains(&cn) => Ok(()),
            cn => {
                tracing::debug!(?cn, "client not on the allow-list: access denied");
                Err(CertificateError::ApplicationVerificationFailure.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_pool_identities_cn() {
        let pki =
            crate::pki::generate(&crate::pki::PkiSpec::new(crate::pki::KeyType::EcdsaP256, 2))
                .unwrap();
        assert_eq!(
            subject_cn(&pki.clients[1].chain[0]).as_deref(),
            Some("client-00001")
        );
        assert_eq!(subject_cn(b"not a certificate"), None);
    }
}
