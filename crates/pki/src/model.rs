//! What a generated PKI is: the [`PkiSpec`] it is derived from, the [`Identity`] a peer
//! presents, and the [`Pki`] itself (every certificate and key of one set of fixtures).
//! Issuing lives in `issue.rs` and `variants.rs`; this file only holds the shapes.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use serde::Serialize;
use time::OffsetDateTime;

use super::ca::Ca;
use super::client_cert::ClientCert;
use super::external::IssuerRef;
use super::keys::{hex, KeyMaterial, KeySeed, KeyType};

/// Everything that determines a set of fixtures.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PkiSpec {
    /// Seed for every key.
    pub seed: u64,
    /// Validity periods are laid out around this instant (see [`super::generate`]).
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
    /// The leaves' CRL is split into this many shards, each leaf naming its own in its CRL
    /// distribution point (with `revocation_url`); `None`: one CRL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crl_shards: Option<u16>,
    /// The leaves name a delta CRL in a Freshest CRL extension (with `revocation_url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crl_delta: Option<bool>,
    /// The user's CA that issues everything in place of the harness's root
    /// (`--issuer-cert`); `None`: the harness's own root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<IssuerRef>,
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
            crl_shards: None,
            crl_delta: None,
            issuer: None,
        }
    }

    /// Where the keys come from: the seed, or under a user's CA the secret of its
    /// [`super::Mint`] (the seed fixes the harness's own hierarchy only).
    pub fn key_seed(&self) -> KeySeed {
        self.issuer
            .as_ref()
            .map_or(KeySeed::Seed(self.seed), |i| i.0.mint.key_seed())
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

/// A generated PKI.
pub struct Pki {
    /// What it was generated from.
    pub spec: PkiSpec,
    /// The trust anchor servers and clients trust (with a user's CA: that CA's certificate).
    pub root: CertificateDer<'static>,
    /// The root's key (used later to sign CRLs and OCSP responses).
    pub root_key: Arc<KeyMaterial>,
    /// Intermediates the harness made, the one closest to the root first (with a user's CA:
    /// the throwaway sub-CAs it signed, possibly none).
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
    /// The CA that issues the leaves and their CRLs (the lowest intermediate, or the user's CA
    /// when it may not sign sub-CAs).
    pub leaf_ca: Ca,
    /// Every CA of the hierarchy, the root (or the user's CA) first, the leaves' CA last.
    pub cas: Vec<Ca>,
    /// The CAs of the bad variants that issue something sent (chain CAs, the constrained CA,
    /// the CA without cRLSign), with their certificates.
    pub variant_cas: Vec<(Ca, CertificateDer<'static>)>,
    /// The server's certificate again, with OCSP Must-Staple, on the same key.
    pub server_must_staple: Identity,
    /// A delegated OCSP responder of the leaves' CA (id-kp-OCSPSigning, ocsp-nocheck).
    pub ocsp_responder: Identity,
    /// A certificate of the same CA without id-kp-OCSPSigning: responses it signs are forged.
    pub ocsp_unauthorized: Identity,
    /// The CA (under the root) whose key usage lacks cRLSign, and its key: it issues the
    /// `no-crl-sign-issuer` client and signs the `issuer-no-crl-sign` CRL.
    pub no_crl_sign_ca: (rcgen::CertificateParams, Arc<KeyMaterial>),
    /// Bad credentials this hierarchy cannot make so that their defect is their only one, each
    /// with the reason (a case asking for one is skipped with it).
    pub missing: Vec<(ClientCert, String)>,
}

impl Pki {
    /// Why this hierarchy has no credential for `variant`, when it has none.
    pub fn missing_reason(&self, variant: ClientCert) -> Option<&str> {
        self.missing
            .iter()
            .find(|(v, _)| *v == variant)
            .map(|(_, r)| r.as_str())
    }

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
