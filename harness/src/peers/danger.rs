//! Deliberately misbehaving client credentials. rustls refuses to build a client whose key does
//! not match its certificate; conformance cases need exactly that, so this module builds the
//! certified key without the consistency check. Nothing here is used for a valid case.

use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls::SignatureScheme;

use crate::pki::Identity;

/// Always presents the same certificate chain and key, whether or not they belong together.
#[derive(Debug)]
pub struct UncheckedClientCert(Arc<CertifiedKey>);

impl UncheckedClientCert {
    /// Loads `identity`'s key with `provider` and pairs it with its chain, unchecked. An RSA
    /// key the provider refuses (smaller than 2048 bits) signs through
    /// [`WeakRsaKey`](super::weak_key::WeakRsaKey) instead.
    ///
    /// # Errors
    /// When the key cannot be loaded at all.
    pub fn new(identity: &Identity, provider: &CryptoProvider) -> Result<Self, rustls::Error> {
        let key = match (
            provider
                .key_provider
                .load_private_key(identity.key.private_key_der()),
            identity.key.rsa_private(),
        ) {
            (Ok(key), _) => key,
            (Err(_), Some(rsa)) => Arc::new(super::weak_key::WeakRsaKey::new(rsa.clone())),
            (Err(e), None) => return Err(e),
        };
        Ok(Self(Arc::new(CertifiedKey::new(
            identity.chain.clone(),
            key,
        ))))
    }
}

impl ResolvesClientCert for UncheckedClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        // Still honour the server's schemes, so the failure is the signature, not the scheme.
        self.0
            .key
            .choose_scheme(sigschemes)
            .map(|_| Arc::clone(&self.0))
    }

    fn has_certs(&self) -> bool {
        true
    }
}
