//! Short-lived leaf certificates, issued on demand by the leaves' CA with a lifetime of
//! seconds to hours, on the holder's existing key: what a client renews and a server rotates
//! instead of being revoked.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyIdMethod,
    KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::CertificateDer;
use time::OffsetDateTime;

use super::model::{Identity, Pki};
use super::params::IssueError;

/// First serial of short-lived certificates (far from the fixtures' serials).
const FIRST_SERIAL: u64 = 1_000_000_000;

/// Issues short-lived leaves for the identities of a PKI.
pub struct ShortLivedIssuer {
    pki: Arc<Pki>,
    lifetime: Duration,
    next_serial: AtomicU64,
}

impl ShortLivedIssuer {
    /// An issuer of certificates valid for `lifetime` from the moment they are issued.
    pub fn new(pki: Arc<Pki>, lifetime: Duration) -> Self {
        Self {
            pki,
            lifetime,
            next_serial: AtomicU64::new(FIRST_SERIAL),
        }
    }

    /// The lifetime of the certificates it issues.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// A fresh certificate for `holder` (same name, same key, a new serial), valid from one
    /// second ago for the lifetime. `server` gives it the server's names and serverAuth.
    ///
    /// # Errors
    /// When signing fails.
    pub fn renew(&self, holder: &Identity, server: bool) -> Result<Identity, IssueError> {
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "mtls-harness");
        dn.push(DnType::CommonName, holder.name.as_str());
        params.distinguished_name = dn;
        params.serial_number = Some(SerialNumber::from(
            self.next_serial.fetch_add(1, Ordering::Relaxed),
        ));
        params.key_identifier_method = KeyIdMethod::PreSpecified(holder.key.key_identifier());
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.not_before = now - time::Duration::seconds(1);
        params.not_after = now + self.lifetime;
        if server {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            params.subject_alt_names = vec![
                SanType::DnsName("localhost".try_into().map_err(|e| cert_err(holder, e))?),
                SanType::IpAddress([127, 0, 0, 1].into()),
            ];
        } else {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
        let cert: CertificateDer<'static> = self.pki.leaf_ca.sign(
            &params,
            &holder.key,
            &format!("short-lived {}", holder.name),
        )?;
        let mut chain = vec![cert];
        chain.extend(holder.chain.iter().skip(1).cloned());
        Ok(Identity {
            name: holder.name.clone(),
            chain,
            key: Arc::clone(&holder.key),
        })
    }
}

fn cert_err(holder: &Identity, source: rcgen::Error) -> IssueError {
    IssueError::Certificate {
        what: format!("short-lived {}", holder.name),
        source,
    }
}
