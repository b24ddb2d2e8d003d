//! Signing with an RSA key too small for rustls's providers (aws-lc-rs refuses RSA keys under
//! 2048 bits), so the harness's client can present the weak-key credential on purpose. The
//! signatures are made with the RustCrypto `rsa` crate: RSA-PSS with SHA-256 (TLS 1.3 and
//! 1.2) or PKCS#1 v1.5 with SHA-256 (TLS 1.2). Nothing valid uses this.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rustls::sign::{Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};
use sha2::{Digest, Sha256};
use signature::{RandomizedSigner, SignatureEncoding, Signer as _};

/// An RSA private key of any size, as a rustls signing key.
#[derive(Debug)]
pub struct WeakRsaKey(rsa::RsaPrivateKey);

impl WeakRsaKey {
    /// Wraps `key`.
    pub fn new(key: rsa::RsaPrivateKey) -> Self {
        Self(key)
    }
}

const SCHEMES: [SignatureScheme; 2] = [
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PKCS1_SHA256,
];

impl SigningKey for WeakRsaKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        SCHEMES
            .into_iter()
            .find(|s| offered.contains(s))
            .map(|scheme| {
                Box::new(WeakRsaSigner {
                    key: self.0.clone(),
                    scheme,
                }) as Box<dyn Signer>
            })
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RSA
    }
}

#[derive(Debug)]
struct WeakRsaSigner {
    key: rsa::RsaPrivateKey,
    scheme: SignatureScheme,
}

impl Signer for WeakRsaSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        let failed = |e: signature::Error| rustls::Error::General(format!("weak RSA signing: {e}"));
        if self.scheme == SignatureScheme::RSA_PSS_SHA256 {
            // The salt only has to be unpredictable to an attacker; this key protects nothing.
            let mut rng = ChaCha20Rng::from_seed(Sha256::digest(message).into());
            let key = rsa::pss::SigningKey::<Sha256>::new(self.key.clone());
            Ok(key
                .try_sign_with_rng(&mut rng, message)
                .map_err(failed)?
                .to_vec())
        } else {
            let key = rsa::pkcs1v15::SigningKey::<Sha256>::new(self.key.clone());
            Ok(key.try_sign(message).map_err(failed)?.to_vec())
        }
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use signature::Verifier;

    #[test]
    fn signatures_verify_with_the_public_key_under_each_scheme() {
        let material = crate::pki::KeyMaterial::weak_rsa(1, "weak-test").unwrap();
        let private = material.rsa_private().unwrap().clone();
        let public = private.to_public_key();
        let key = WeakRsaKey::new(private);
        let msg = b"the CertificateVerify content";

        let pss = key
            .choose_scheme(&[SignatureScheme::RSA_PSS_SHA256])
            .unwrap();
        assert_eq!(pss.scheme(), SignatureScheme::RSA_PSS_SHA256);
        let sig = rsa::pss::Signature::try_from(pss.sign(msg).unwrap().as_slice()).unwrap();
        let verifier = rsa::pss::VerifyingKey::<Sha256>::new(public.clone());
        verifier.verify(msg, &sig).unwrap();
        assert!(verifier.verify(b"something else", &sig).is_err());

        let pkcs1 = key
            .choose_scheme(&[SignatureScheme::RSA_PKCS1_SHA256])
            .unwrap();
        let sig = rsa::pkcs1v15::Signature::try_from(pkcs1.sign(msg).unwrap().as_slice()).unwrap();
        rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public)
            .verify(msg, &sig)
            .unwrap();

        assert!(key
            .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
            .is_none());
        assert_eq!(
            rsa::traits::PublicKeyParts::size(material.rsa_private().unwrap()),
            crate::pki::WEAK_RSA_BITS / 8
        );
    }
}
