//! Key material: deterministic generation from a seed, PKCS#8 encoding that every stack (rustls,
//! OpenSSL 3.0, nginx) loads, and signing for rcgen through its `SigningKey` trait.
//!
//! Keys are generated with RustCrypto crates from a ChaCha20 stream seeded by
//! `sha256(seed || label)`, and certificates are signed deterministically (RFC 6979 ECDSA,
//! Ed25519, RSA PKCS#1 v1.5), so the same seed and anchor time give byte-identical fixtures and
//! runs stay comparable. Ed25519 keys are written as PKCS#8 v1 (RFC 8410 without the public
//! key): rcgen's v2 encoding does not load in OpenSSL 3.0.

use std::fmt;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rcgen::{PublicKeyData, SignatureAlgorithm, SigningKey};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use signature::{SignatureEncoding, Signer};
use strum::{EnumCount, VariantArray};

use super::names::UnknownName;

/// The key types fixtures can be made of.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantNames,
    strum::VariantArray,
    strum::EnumCount,
)]
#[serde(rename_all = "kebab-case")]
#[strum(parse_err_ty = UnknownName, parse_err_fn = UnknownName::plain::<Self>)]
pub enum KeyType {
    /// ECDSA on P-256 with SHA-256.
    #[strum(serialize = "ecdsa-p256")]
    EcdsaP256,
    /// ECDSA on P-384 with SHA-384.
    #[strum(serialize = "ecdsa-p384")]
    EcdsaP384,
    /// Ed25519.
    #[strum(serialize = "ed25519")]
    Ed25519,
    /// RSA 2048-bit, PKCS#1 v1.5 with SHA-256 for certificate signatures.
    #[strum(serialize = "rsa-2048")]
    Rsa2048,
    /// RSA 3072-bit.
    #[strum(serialize = "rsa-3072")]
    Rsa3072,
    /// RSA 4096-bit.
    #[strum(serialize = "rsa-4096")]
    Rsa4096,
}

impl KeyType {
    /// Every key type, in the order they are documented.
    pub const ALL: [KeyType; KeyType::COUNT] = match <Self as VariantArray>::VARIANTS.first_chunk()
    {
        Some(all) => *all,
        // VARIANTS has exactly COUNT elements (both list every variant): never reached.
        None => panic!("strum's VARIANTS is shorter than COUNT"),
    };

    /// The name used in scenario files and on the command line.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// RSA modulus size, for RSA key types.
    pub fn rsa_bits(self) -> Option<usize> {
        match self {
            KeyType::Rsa2048 => Some(2048),
            KeyType::Rsa3072 => Some(3072),
            KeyType::Rsa4096 => Some(4096),
            _ => None,
        }
    }
}

enum Signer_ {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
    Rsa(Box<rsa::pkcs1v15::SigningKey<Sha256>>),
}

/// A private key with its public half and PKCS#8 encoding.
///
/// `Debug` deliberately prints only the key type and a public-key fingerprint.
pub struct KeyMaterial {
    key_type: KeyType,
    signer: Signer_,
    public_key: Vec<u8>,
    pkcs8: Vec<u8>,
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("key_type", &self.key_type)
            .field(
                "public_key_sha256",
                &hex(&Sha256::digest(&self.public_key)[..8]),
            )
            .finish_non_exhaustive()
    }
}

/// Errors while generating or encoding a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The RSA crate could not generate a key.
    #[error("generating an {bits}-bit RSA key: {reason}")]
    Rsa {
        /// Modulus size.
        bits: usize,
        /// The underlying error.
        reason: String,
    },
    /// PKCS#8 or public-key encoding failed.
    #[error("encoding a {key_type} key: {reason}")]
    Encoding {
        /// The key type being encoded.
        key_type: KeyType,
        /// The underlying error.
        reason: String,
    },
}

impl KeyMaterial {
    /// Generates the key named `label` deterministically from `seed`.
    ///
    /// # Errors
    /// Only if the underlying crates fail to generate or encode (not expected for valid types).
    pub fn generate(key_type: KeyType, seed: u64, label: &str) -> Result<Self, KeyError> {
        Self::generate_from(key_type, KeySeed::Seed(seed), label)
    }

    /// Generates the key named `label` from `seed` (a fixture seed, or a secret that nobody
    /// else holds).
    ///
    /// # Errors
    /// As [`KeyMaterial::generate`].
    pub fn generate_from(key_type: KeyType, seed: KeySeed, label: &str) -> Result<Self, KeyError> {
        let mut rng = rng_for(seed, label);
        let enc = |e: &dyn fmt::Display| KeyError::Encoding {
            key_type,
            reason: e.to_string(),
        };
        match key_type {
            KeyType::EcdsaP256 => {
                use p256::pkcs8::EncodePrivateKey;
                let key = p256::ecdsa::SigningKey::random(&mut rng);
                let pkcs8 = key.to_pkcs8_der().map_err(|e| enc(&e))?.as_bytes().to_vec();
                let public_key = key
                    .verifying_key()
                    .to_encoded_point(false)
                    .as_bytes()
                    .to_vec();
                Ok(Self {
                    key_type,
                    signer: Signer_::P256(key),
                    public_key,
                    pkcs8,
                })
            }
            KeyType::EcdsaP384 => {
                use p384::pkcs8::EncodePrivateKey;
                let key = p384::ecdsa::SigningKey::random(&mut rng);
                let pkcs8 = key.to_pkcs8_der().map_err(|e| enc(&e))?.as_bytes().to_vec();
                let public_key = key
                    .verifying_key()
                    .to_encoded_point(false)
                    .as_bytes()
                    .to_vec();
                Ok(Self {
                    key_type,
                    signer: Signer_::P384(key),
                    public_key,
                    pkcs8,
                })
            }
            KeyType::Ed25519 => {
                let mut secret = [0u8; 32];
                rng.fill_bytes(&mut secret);
                let key = ed25519_dalek::SigningKey::from_bytes(&secret);
                let public_key = key.verifying_key().to_bytes().to_vec();
                Ok(Self {
                    key_type,
                    signer: Signer_::Ed25519(key),
                    public_key,
                    pkcs8: ed25519_pkcs8_v1(&secret),
                })
            }
            KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => {
                rsa_material(key_type, key_type.rsa_bits().unwrap_or(2048), &mut rng)
            }
        }
    }

    /// A key given as PKCS#8 DER (a user's issuing CA key): ECDSA P-256 or P-384, Ed25519, or
    /// RSA of 2048 bits or more (an RSA key is labelled by its size class: a 2048- to 3071-bit
    /// key is `rsa-2048`, and so on; the label only picks the signature algorithm).
    ///
    /// # Errors
    /// When the DER is not PKCS#8 of one of these key types.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        use p256::pkcs8::DecodePrivateKey;
        let unsupported = |what: &str| KeyError::Encoding {
            key_type: KeyType::EcdsaP256,
            reason: format!("unsupported private key: {what}"),
        };
        if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            let public_key = key
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec();
            return Ok(Self {
                key_type: KeyType::EcdsaP256,
                signer: Signer_::P256(key),
                public_key,
                pkcs8: der.to_vec(),
            });
        }
        if let Ok(key) = p384::ecdsa::SigningKey::from_pkcs8_der(der) {
            let public_key = key
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec();
            return Ok(Self {
                key_type: KeyType::EcdsaP384,
                signer: Signer_::P384(key),
                public_key,
                pkcs8: der.to_vec(),
            });
        }
        if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
            let public_key = key.verifying_key().to_bytes().to_vec();
            let pkcs8 = ed25519_pkcs8_v1(&key.to_bytes());
            return Ok(Self {
                key_type: KeyType::Ed25519,
                signer: Signer_::Ed25519(key),
                pkcs8,
                public_key,
            });
        }
        let private = rsa::RsaPrivateKey::from_pkcs8_der(der)
            .map_err(|_| unsupported("expected ECDSA P-256/P-384, Ed25519 or RSA"))?;
        let bits = rsa::traits::PublicKeyParts::n(&private).bits();
        let key_type = match bits {
            0..=2047 => {
                return Err(unsupported(&format!(
                    "an RSA key of {bits} bits (at least 2048 are needed)"
                )))
            }
            2048..=3071 => KeyType::Rsa2048,
            3072..=4095 => KeyType::Rsa3072,
            _ => KeyType::Rsa4096,
        };
        use rsa::pkcs1::EncodeRsaPublicKey;
        let public_key = private
            .to_public_key()
            .to_pkcs1_der()
            .map_err(|e| unsupported(&e.to_string()))?
            .as_bytes()
            .to_vec();
        Ok(Self {
            key_type,
            signer: Signer_::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(private))),
            public_key,
            pkcs8: der.to_vec(),
        })
    }

    /// A 1024-bit RSA key named `label`, for the weak-key conformance case only. Its
    /// [`key_type`](Self::key_type) reports the RSA family (`rsa-2048`); rustls's providers
    /// refuse to load it, so the harness's client signs with it through
    /// [`rsa_private`](Self::rsa_private).
    ///
    /// # Errors
    /// Only if the RSA crate fails.
    pub fn weak_rsa(seed: u64, label: &str) -> Result<Self, KeyError> {
        Self::weak_rsa_from(KeySeed::Seed(seed), label)
    }

    /// [`KeyMaterial::weak_rsa`] from any [`KeySeed`].
    ///
    /// # Errors
    /// Only if the RSA crate fails.
    pub fn weak_rsa_from(seed: KeySeed, label: &str) -> Result<Self, KeyError> {
        rsa_material(KeyType::Rsa2048, WEAK_RSA_BITS, &mut rng_for(seed, label))
    }

    /// The RSA private key, for RSA keys.
    pub fn rsa_private(&self) -> Option<&rsa::RsaPrivateKey> {
        match &self.signer {
            Signer_::Rsa(key) => Some(key.as_ref().as_ref()),
            _ => None,
        }
    }

    /// Signs `msg` with SHA-1 (ECDSA with SHA-1, or RSA PKCS#1 v1.5 with SHA-1), for the
    /// SHA-1-signed conformance credential. `None` for Ed25519, which has no SHA-1 form.
    pub fn sign_sha1(&self, msg: &[u8]) -> Option<Vec<u8>> {
        use signature::hazmat::PrehashSigner;
        let digest = sha1::Sha1::digest(msg);
        match &self.signer {
            Signer_::P256(key) => {
                let sig: p256::ecdsa::Signature = key.sign_prehash(&digest).ok()?;
                Some(sig.to_der().as_bytes().to_vec())
            }
            Signer_::P384(key) => {
                // The ecdsa crate wants a prehash of at least half the field (24 bytes); ECDSA
                // reads a shorter hash as an integer, so leading zeros leave it unchanged.
                let mut padded = [0u8; 48];
                padded[28..].copy_from_slice(&digest);
                let sig: p384::ecdsa::Signature = key.sign_prehash(&padded).ok()?;
                Some(sig.to_der().as_bytes().to_vec())
            }
            Signer_::Ed25519(_) => None,
            Signer_::Rsa(key) => {
                let private: &rsa::RsaPrivateKey = key.as_ref().as_ref();
                let sha1 = rsa::pkcs1v15::SigningKey::<sha1::Sha1>::new(private.clone());
                Some(sha1.try_sign(msg).ok()?.to_vec())
            }
        }
    }

    /// The key's type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The PKCS#8 DER encoding of the private key. Handle with care: never log or report it.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The private key in the form rustls loads.
    pub fn private_key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.pkcs8.clone()))
    }

    /// The subject key identifier: the first 20 bytes of SHA-256 over the SubjectPublicKeyInfo.
    pub fn key_identifier(&self) -> Vec<u8> {
        Sha256::digest(self.subject_public_key_info())[..20].to_vec()
    }
}

impl PublicKeyData for KeyMaterial {
    fn der_bytes(&self) -> &[u8] {
        &self.public_key
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        match self.key_type {
            KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyType::Ed25519 => &rcgen::PKCS_ED25519,
            KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
        }
    }
}

impl SigningKey for KeyMaterial {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(match &self.signer {
            Signer_::P256(key) => {
                let sig: p256::ecdsa::Signature = key.sign(msg);
                sig.to_der().as_bytes().to_vec()
            }
            Signer_::P384(key) => {
                let sig: p384::ecdsa::Signature = key.sign(msg);
                sig.to_der().as_bytes().to_vec()
            }
            Signer_::Ed25519(key) => key.sign(msg).to_bytes().to_vec(),
            Signer_::Rsa(key) => key
                .try_sign(msg)
                .map_err(|_| rcgen::Error::RemoteKeyError)?
                .to_vec(),
        })
    }
}

/// Modulus size of the weak RSA key ([`KeyMaterial::weak_rsa`]).
pub const WEAK_RSA_BITS: usize = 1024;

fn rsa_material(
    key_type: KeyType,
    bits: usize,
    rng: &mut ChaCha20Rng,
) -> Result<KeyMaterial, KeyError> {
    use rsa::pkcs1::EncodeRsaPublicKey;
    use rsa::pkcs8::EncodePrivateKey;
    let enc = |e: &dyn fmt::Display| KeyError::Encoding {
        key_type,
        reason: e.to_string(),
    };
    let private = rsa::RsaPrivateKey::new(rng, bits).map_err(|e| KeyError::Rsa {
        bits,
        reason: e.to_string(),
    })?;
    let pkcs8 = private
        .to_pkcs8_der()
        .map_err(|e| enc(&e))?
        .as_bytes()
        .to_vec();
    let public_key = private
        .to_public_key()
        .to_pkcs1_der()
        .map_err(|e| enc(&e))?
        .as_bytes()
        .to_vec();
    Ok(KeyMaterial {
        key_type,
        signer: Signer_::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(private))),
        public_key,
        pkcs8,
    })
}

/// Where a key's randomness comes from.
#[derive(Clone, Copy)]
pub enum KeySeed {
    /// A fixture seed (`--seed`): anyone who knows it can derive the key.
    Seed(u64),
    /// A secret drawn from the OS for what is minted under a user's CA: nobody else can.
    Secret([u8; 32]),
}

impl fmt::Debug for KeySeed {
    // Never the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySeed::Seed(s) => write!(f, "Seed({s})"),
            KeySeed::Secret(_) => f.write_str("Secret(..)"),
        }
    }
}

fn rng_for(seed: KeySeed, label: &str) -> ChaCha20Rng {
    let mut hasher = Sha256::new();
    match seed {
        KeySeed::Seed(seed) => {
            hasher.update(b"mtls-harness key v1\0");
            hasher.update(seed.to_be_bytes());
        }
        KeySeed::Secret(secret) => {
            hasher.update(b"mtls-harness minted key v1\0");
            hasher.update(secret);
        }
    }
    hasher.update(label.as_bytes());
    ChaCha20Rng::from_seed(hasher.finalize().into())
}

/// RFC 8410 OneAsymmetricKey v1 (no public key), the form OpenSSL 3.0 loads.
fn ed25519_pkcs8_v1(secret: &[u8; 32]) -> Vec<u8> {
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut der = PREFIX.to_vec();
    der.extend_from_slice(secret);
    der
}

/// A seed nobody can guess (from the OS's random source), within the range a scenario's
/// `[pki] seed` accepts, for fixtures whose root a user's server will trust.
pub fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    if openssl::rand::rand_bytes(&mut bytes).is_err() {
        // OpenSSL's generator is seeded from the OS; if it ever fails, the OS's own source.
        use std::io::Read;
        let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    }
    u64::from_be_bytes(bytes) & (i64::MAX as u64)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_key_other_label_other_key() {
        let a = KeyMaterial::generate(KeyType::EcdsaP256, 7, "a").unwrap();
        let b = KeyMaterial::generate(KeyType::EcdsaP256, 7, "a").unwrap();
        let c = KeyMaterial::generate(KeyType::EcdsaP256, 7, "c").unwrap();
        assert_eq!(a.pkcs8_der(), b.pkcs8_der());
        assert_ne!(a.pkcs8_der(), c.pkcs8_der());
    }

    #[test]
    fn every_key_type_loads_in_rustls_and_signs() {
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        for key_type in KeyType::ALL.into_iter().filter(|k| *k != KeyType::Rsa4096) {
            let key = KeyMaterial::generate(key_type, 1, "t").unwrap();
            let loaded = provider
                .key_provider
                .load_private_key(key.private_key_der());
            assert!(loaded.is_ok(), "{key_type}: {loaded:?}");
            assert!(!key.sign(b"hello").unwrap().is_empty());
        }
    }

    #[test]
    fn key_type_names_round_trip() {
        for k in KeyType::ALL {
            assert_eq!(k.name().parse::<KeyType>(), Ok(k));
        }
        assert!("dsa".parse::<KeyType>().unwrap_err().contains("ecdsa-p256"));
    }

    #[test]
    fn debug_does_not_print_the_private_key() {
        let key = KeyMaterial::generate(KeyType::Ed25519, 1, "t").unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains(&hex(&key.pkcs8_der()[16..])));
    }
}
