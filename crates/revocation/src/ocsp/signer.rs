//! Signing OCSP responses with the fixtures' keys: an adapter from [`KeyMaterial`] (which
//! signs through rcgen's trait) to the `signature`/`spki` traits that x509-ocsp's builder wants.

use std::sync::Arc;

use der::asn1::{BitString, Null};
use der::oid::ObjectIdentifier;
use rcgen::SigningKey as _;
use spki::{AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, SignatureBitStringEncoding};

use crate::pki::{KeyMaterial, KeyType};

/// A signature as the bytes that go into the BIT STRING.
#[derive(Clone, Debug)]
pub struct RawSignature(pub Vec<u8>);

impl SignatureBitStringEncoding for RawSignature {
    fn to_bitstring(&self) -> der::Result<BitString> {
        BitString::from_bytes(&self.0)
    }
}

/// Signs with a fixture key, naming the algorithm its certificates use.
#[derive(Clone)]
pub struct KeySigner {
    key: Arc<KeyMaterial>,
    /// Flip a bit of every signature (the `bad-signature` fault).
    pub corrupt: bool,
}

impl KeySigner {
    /// A signer for `key`.
    pub fn new(key: Arc<KeyMaterial>) -> Self {
        Self {
            key,
            corrupt: false,
        }
    }
}

impl signature::Signer<RawSignature> for KeySigner {
    fn try_sign(&self, msg: &[u8]) -> Result<RawSignature, signature::Error> {
        let mut sig = self.key.sign(msg).map_err(signature::Error::from_source)?;
        if self.corrupt {
            if let Some(last) = sig.last_mut() {
                *last ^= 0x01;
            }
        }
        Ok(RawSignature(sig))
    }
}

impl DynSignatureAlgorithmIdentifier for KeySigner {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(algorithm_of(self.key.key_type()))
    }
}

/// The signatureAlgorithm the fixtures use for `key_type` (the same as in their certificates).
pub fn algorithm_of(key_type: KeyType) -> AlgorithmIdentifierOwned {
    const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
    const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
    const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
    const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
    match key_type {
        KeyType::EcdsaP256 => AlgorithmIdentifierOwned {
            oid: ECDSA_SHA256,
            parameters: None,
        },
        KeyType::EcdsaP384 => AlgorithmIdentifierOwned {
            oid: ECDSA_SHA384,
            parameters: None,
        },
        KeyType::Ed25519 => AlgorithmIdentifierOwned {
            oid: ED25519,
            parameters: None,
        },
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => AlgorithmIdentifierOwned {
            oid: RSA_SHA256,
            parameters: Some(Null.into()),
        },
    }
}
