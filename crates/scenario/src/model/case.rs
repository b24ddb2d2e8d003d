//! A scenario and its cases: [`Scenario`] (a validated file, matrix expanded), the shared
//! [`PkiSettings`], and [`Case`], which gathers one case's peers, credentials, TLS,
//! revocation and load settings and its expectation.

use std::path::PathBuf;

use serde::Serialize;
use time::OffsetDateTime;

use super::expect::Expectation;
use super::load::LoadSpec;
use super::peers::{ClientAuth, ClientImpl, ServerImpl};
use super::revocation::Revocation;
use super::thresholds::Thresholds;
use super::tls::TlsSettings;
use crate::pki::{ClientCert, KeyType, PkiSpec};

/// A validated scenario file, matrix already expanded.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Where it was read from.
    pub file: PathBuf,
    /// `name`: used in the run directory's name.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `[pki]`.
    pub pki: PkiSettings,
    /// Every case, in file order (matrix combinations in axis order).
    pub cases: Vec<Case>,
}

/// `[pki]`: what every case's fixtures share.
#[derive(Clone, Debug, Serialize)]
pub struct PkiSettings {
    /// Seed for key generation.
    pub seed: u64,
    /// Anchor time for validity periods.
    #[serde(with = "time::serde::rfc3339")]
    pub anchor: OffsetDateTime,
    /// Size of the client identity pool.
    pub identities: usize,
    /// Intermediate CAs between root and leaves.
    pub intermediates: u8,
    /// Whether the scenario set `seed` itself (otherwise target mode draws a random one, so
    /// the roots a user's server is told to trust cannot be guessed).
    #[serde(skip)]
    pub seed_given: bool,
    /// `issuer`: the user's CA that issues every credential instead of the harness's root
    /// (also `--issuer-cert`/`--issuer-key`/`--issuer-chain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<crate::pki::IssuerRef>,
}

impl Default for PkiSettings {
    fn default() -> Self {
        Self {
            seed: 1,
            anchor: PkiSpec::default_anchor(),
            identities: 100,
            intermediates: 1,
            seed_given: false,
            issuer: None,
        }
    }
}

impl PkiSettings {
    /// The fixture spec for a case with key type `key` and `intermediates` CAs.
    pub fn spec(&self, key: KeyType, intermediates: u8) -> PkiSpec {
        PkiSpec {
            seed: self.seed,
            anchor: self.anchor,
            key_type: key,
            identities: self.identities,
            intermediates,
            revocation_url: None,
            crl_shards: None,
            crl_delta: None,
            issuer: self.issuer.clone(),
        }
    }
}

/// One case: a server, a client, credentials, TLS settings, a load and an expectation.
#[derive(Clone, Debug, Serialize)]
pub struct Case {
    /// Unique within the scenario.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The server peer.
    pub server: ServerImpl,
    /// The client peer.
    pub client: ClientImpl,
    /// Key type of the whole hierarchy.
    pub key: KeyType,
    /// Intermediate CAs between root and leaves (chain depth), 1 to 4.
    pub intermediates: u8,
    /// Whether the server asks for a client certificate.
    pub client_auth: ClientAuth,
    /// What the client presents.
    pub client_cert: ClientCert,
    /// `client_cert = { cert, key, chain }`: the user's own credential files, sent instead of
    /// any fixture (target mode), graded against the case's own expectation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_credential: Option<crate::pki::OwnCredential>,
    /// Protocol settings.
    pub tls: TlsSettings,
    /// Revocation checking of client certificates.
    pub revocation: Revocation,
    /// How the load is generated.
    pub load: LoadSpec,
    /// Worker threads of the server process; `None`: one per usable CPU.
    pub server_threads: Option<usize>,
    /// The most intermediates the server accepts in a client chain (OpenSSL's verify depth);
    /// `None`: the peer's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_depth: Option<u8>,
    /// Subject CNs the server admits (after a valid chain); others get `access_denied` (nginx:
    /// HTTP 403). Empty: no allow-list.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_clients: Vec<String>,
    /// What the case must produce.
    pub expect: Expectation,
    /// The matrix axis values that made this case (empty outside a matrix).
    pub axes: Vec<(String, String)>,
    /// The command peer's program (`server = { command = [...] }`; server `command`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<super::command::CommandPeer>,
    /// CPU the built-in server burns per handshake, in microseconds (`serve --handicap-us`;
    /// set by `ab` specs such as `rustls:handicap-us=30`, not by scenario files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_handicap_us: Option<u64>,
    /// Performance gates (`thresholds = { ... }`), checked after the case ran.
    #[serde(skip_serializing_if = "Thresholds::is_empty")]
    pub thresholds: Thresholds,
}
