//! PKI fixtures: a root CA, a chain of intermediates, a server leaf, a pool of client leaves and
//! the bad client credentials that negative cases need.
//!
//! Everything is derived from a [`PkiSpec`] (seed, anchor time, key type, pool size, chain
//! depth): the same spec always gives byte-identical certificates and keys.

mod crl;
mod extensions;
mod files;
mod issue;
mod keys;
mod resign;
mod short_lived;
mod variants;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use crl::{issue_crl, write_crl, CrlKind};
pub use extensions::{crl_url, ocsp_url};
pub use files::{certs_pem, write_pki, PkiFiles, WriteError};
pub use issue::{generate, pool_name, IssueError, REVOKED_SERIAL, VICTIM_SERIAL};
pub use keys::{hex, KeyError, KeyMaterial, KeyType, WEAK_RSA_BITS};
pub use resign::{corrupt_signature, resign_sha1, ResignError};
pub use short_lived::ShortLivedIssuer;
pub use variants::{DEEP_CHAIN_INTERMEDIATES, PERMITTED_SUBTREE};

/// Everything that determines a set of fixtures.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PkiSpec {
    /// Seed for every key.
    pub seed: u64,
    /// Validity periods are laid out around this instant (see [`issue`]).
    #[serde(with = "time::serde::rfc3339")]
    pub anchor: OffsetDateTime,
    /// Key type of every certificate in the hierarchy.
    pub key_type: KeyType,
    /// Number of valid client identities in the pool.
    pub identities: usize,
    /// Number of intermediate CAs between the root and the leaves (1 to 4).
    pub intermediates: u8,
    /// Base URL of the revocation service (`http://127.0.0.1:PORT`) that leaves name in their
    /// AIA (OCSP) and CRL distribution point extensions; `None`: no such extensions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_url: Option<String>,
}

impl PkiSpec {
    /// The default anchor: 2026-01-01T00:00:00Z. Valid certificates run from a year before it to
    /// thirty years after, so wall-clock peers (nginx, OpenSSL) accept them too.
    pub fn default_anchor() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// A spec with the given key type and pool size and the defaults for the rest.
    pub fn new(key_type: KeyType, identities: usize) -> Self {
        Self {
            seed: 1,
            anchor: Self::default_anchor(),
            key_type,
            identities,
            intermediates: 1,
            revocation_url: None,
        }
    }

    /// A short stable label for directories: key type plus a hash of the whole spec.
    pub fn label(&self) -> String {
        use sha2::{Digest, Sha256};
        let text = serde_json::to_string(self).unwrap_or_default();
        let digest = Sha256::digest(text.as_bytes());
        format!("{}-{}", self.key_type, &hex(&digest)[..10])
    }
}

/// A certificate chain (leaf first, then intermediates, never the root) and its private key.
#[derive(Clone)]
pub struct Identity {
    /// Name used in file names and reports, e.g. `client-00042`.
    pub name: String,
    /// Leaf first, then the intermediates a peer must send.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key presented with the chain (for `mismatched-key`, not the leaf's key).
    pub key: Arc<KeyMaterial>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("name", &self.name)
            .field("chain_len", &self.chain.len())
            .field("key", &self.key)
            .finish()
    }
}

/// What a client presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientCert {
    /// A valid leaf from the pool, sent with its intermediates.
    Valid,
    /// No certificate at all.
    None,
    /// notAfter in the past.
    Expired,
    /// notBefore in the future.
    NotYetValid,
    /// Extended key usage serverAuth only (no clientAuth).
    ServerAuthOnly,
    /// Signed by a CA the server does not trust.
    UnknownCa,
    /// A valid leaf sent without its intermediate.
    MissingIntermediate,
    /// A valid certificate, but CertificateVerify signed with a different key.
    MismatchedKey,
    /// Valid, but listed as revoked in the CRLs the harness issues.
    Revoked,
    /// Leaf signed with SHA-1 by its (trusted) issuer.
    Sha1Signed,
    /// Leaf whose signature does not verify (one bit flipped).
    BadSignature,
    /// Leaf with a 1024-bit RSA key.
    WeakRsa,
    /// Leaf under seven intermediates ([`DEEP_CHAIN_INTERMEDIATES`]), all sent.
    DeepChain,
    /// Leaf under two intermediates, sent in the wrong order.
    MisorderedChain,
    /// A valid chain with an unrelated certificate appended.
    ExtraCert,
    /// Leaf whose DNS name lies outside its CA's permitted subtree.
    NameConstraints,
    /// Key usage present without digitalSignature.
    NoDigitalSignature,
    /// No extended key usage extension at all.
    NoEku,
    /// Leaf marked CA:TRUE (basicConstraints), with clientAuth.
    CaLeaf,
    /// A valid leaf whose CA (under the root) lacks cRLSign: any CRL of that CA is unusable.
    NoCrlSignIssuer,
}

impl ClientCert {
    /// Every variant.
    pub const ALL: [ClientCert; 20] = [
        ClientCert::Valid,
        ClientCert::None,
        ClientCert::Expired,
        ClientCert::NotYetValid,
        ClientCert::ServerAuthOnly,
        ClientCert::UnknownCa,
        ClientCert::MissingIntermediate,
        ClientCert::MismatchedKey,
        ClientCert::Revoked,
        ClientCert::Sha1Signed,
        ClientCert::BadSignature,
        ClientCert::WeakRsa,
        ClientCert::DeepChain,
        ClientCert::MisorderedChain,
        ClientCert::ExtraCert,
        ClientCert::NameConstraints,
        ClientCert::NoDigitalSignature,
        ClientCert::NoEku,
        ClientCert::CaLeaf,
        ClientCert::NoCrlSignIssuer,
    ];

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        match self {
            ClientCert::Valid => "valid",
            ClientCert::None => "none",
            ClientCert::Expired => "expired",
            ClientCert::NotYetValid => "not-yet-valid",
            ClientCert::ServerAuthOnly => "server-auth-only",
            ClientCert::UnknownCa => "unknown-ca",
            ClientCert::MissingIntermediate => "missing-intermediate",
            ClientCert::MismatchedKey => "mismatched-key",
            ClientCert::Revoked => "revoked",
            ClientCert::Sha1Signed => "sha1-signed",
            ClientCert::BadSignature => "bad-signature",
            ClientCert::WeakRsa => "weak-rsa",
            ClientCert::DeepChain => "deep-chain",
            ClientCert::MisorderedChain => "misordered-chain",
            ClientCert::ExtraCert => "extra-cert",
            ClientCert::NameConstraints => "name-constraints",
            ClientCert::NoDigitalSignature => "no-digital-signature",
            ClientCert::NoEku => "no-eku",
            ClientCert::CaLeaf => "ca-leaf",
            ClientCert::NoCrlSignIssuer => "no-crl-sign-issuer",
        }
    }
}

impl fmt::Display for ClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ClientCert {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClientCert::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = ClientCert::ALL.iter().map(|c| c.name()).collect();
                format!("one of {}", names.join(", "))
            })
    }
}

/// A generated PKI.
pub struct Pki {
    /// What it was generated from.
    pub spec: PkiSpec,
    /// The trust anchor servers and clients trust.
    pub root: CertificateDer<'static>,
    /// The root's key (used later to sign CRLs and OCSP responses).
    pub root_key: Arc<KeyMaterial>,
    /// Intermediates, the one closest to the root first.
    pub intermediates: Vec<CertificateDer<'static>>,
    /// The keys of the intermediates, in the same order.
    pub intermediate_keys: Vec<Arc<KeyMaterial>>,
    /// The server's identity (SAN `localhost` and `127.0.0.1`).
    pub server: Identity,
    /// The pool of valid client identities.
    pub clients: Vec<Identity>,
    /// One identity per bad variant (everything but `valid` and `none`).
    pub bad_clients: Vec<(ClientCert, Identity)>,
    /// The root of the unknown CA that signed the `unknown-ca` client.
    pub foreign_root: CertificateDer<'static>,
    /// A valid client that a case can revoke mid-run to measure how long it still gets in.
    pub victim: Identity,
    /// The CA that issues the leaves (the lowest intermediate): its parameters, for CRLs.
    pub leaf_issuer_params: rcgen::CertificateParams,
    /// The lowest intermediate's key, which signs the leaves and their CRLs.
    pub leaf_issuer_key: Arc<KeyMaterial>,
    /// The server's certificate again, with OCSP Must-Staple, on the same key.
    pub server_must_staple: Identity,
    /// A delegated OCSP responder of the leaves' CA (id-kp-OCSPSigning, ocsp-nocheck).
    pub ocsp_responder: Identity,
    /// A certificate of the same CA without id-kp-OCSPSigning: responses it signs are forged.
    pub ocsp_unauthorized: Identity,
    /// The CA (under the root) whose key usage lacks cRLSign, and its key: it issues the
    /// `no-crl-sign-issuer` client and signs the `issuer-no-crl-sign` CRL.
    pub no_crl_sign_ca: (rcgen::CertificateParams, Arc<KeyMaterial>),
}

impl Pki {
    /// The identity a client presents for `variant`; `index` picks from the pool for `valid`.
    /// `None` for [`ClientCert::None`].
    pub fn client(&self, variant: ClientCert, index: usize) -> Option<&Identity> {
        match variant {
            ClientCert::None => None,
            ClientCert::Valid => self.clients.get(index % self.clients.len().max(1)),
            other => self
                .bad_clients
                .iter()
                .find(|(v, _)| *v == other)
                .map(|(_, id)| id),
        }
    }
}

impl fmt::Debug for Pki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pki")
            .field("spec", &self.spec)
            .field("clients", &self.clients.len())
            .finish_non_exhaustive()
    }
}
