//! Deliberately misbehaving client credentials. rustls refuses to build a client whose key does
//! not match its certificate; conformance cases need exactly that, so this module builds the
//! certified key without the consistency check. Nothing here is used for a valid case, except
//! a valid certificate rustls itself cannot parse for that check (PKITS's certificates with
//! unique identifiers), presented as it is for the server to judge.

use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};

use crate::pki::Identity;

/// Always presents the same certificate chain and key, whether or not they belong together.
#[derive(Debug)]
pub struct UncheckedClientCert {
    key: Arc<CertifiedKey>,
    /// Sign with the key's own scheme even when the server did not offer it.
    force: bool,
}

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
        Ok(Self {
            key: Arc::new(CertifiedKey::new(identity.chain.clone(), key)),
            force: false,
        })
    }

    /// Pairs `chain` with `key` unchecked (a chain rustls's own parser refuses, sent as it is).
    ///
    /// # Errors
    /// When the provider cannot load the key.
    pub fn from_parts(
        chain: Vec<rustls::pki_types::CertificateDer<'static>>,
        key: &rustls::pki_types::PrivateKeyDer<'static>,
        provider: &CryptoProvider,
    ) -> Result<Self, rustls::Error> {
        let key = provider.key_provider.load_private_key(key.clone_key())?;
        Ok(Self {
            key: Arc::new(CertifiedKey::new(chain, key)),
            force: false,
        })
    }

    /// Like [`new`](Self::new), but the key signs with its own scheme whatever the server's
    /// CertificateRequest lists, so a key type the server does not allow reaches the server
    /// (an honest rustls client would send no certificate instead).
    ///
    /// # Errors
    /// When the key cannot be loaded at all.
    pub fn forcing_scheme(
        identity: &Identity,
        provider: &CryptoProvider,
    ) -> Result<Self, rustls::Error> {
        let mut this = Self::new(identity, provider)?;
        let key = Arc::new(ForcedScheme(Arc::clone(&this.key.key)));
        this.key = Arc::new(CertifiedKey::new(identity.chain.clone(), key));
        this.force = true;
        Ok(this)
    }
}

impl ResolvesClientCert for UncheckedClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        // Unless forcing, still honour the server's schemes, so the failure is the signature,
        // not the scheme.
        (self.force || self.key.key.choose_scheme(sigschemes).is_some())
            .then(|| Arc::clone(&self.key))
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// Every scheme rustls can sign with: what [`ForcedScheme`] offers its inner key.
const ALL_SCHEMES: [SignatureScheme; 9] = [
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ECDSA_NISTP521_SHA512,
    SignatureScheme::ED25519,
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
];

/// A signing key that signs with an offered scheme when it can, and with its own otherwise.
#[derive(Debug)]
struct ForcedScheme(Arc<dyn SigningKey>);

impl SigningKey for ForcedScheme {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        self.0
            .choose_scheme(offered)
            .or_else(|| self.0.choose_scheme(&ALL_SCHEMES))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.0.algorithm()
    }
}
