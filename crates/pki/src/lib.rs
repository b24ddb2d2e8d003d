//! PKI fixtures: a root CA, a chain of intermediates, a server leaf, a pool of client leaves and
//! the bad client credentials that negative cases need.
//!
//! Everything is derived from a [`PkiSpec`] (seed, anchor time, key type, pool size, chain
//! depth): the same spec always gives byte-identical certificates and keys, except under a
//! user's CA, where keys, serials and lifetimes follow its `Mint` (a secret drawn per run).
//!
//! This file only names the parts; each holds one thing and they depend one way:
//! `names` (the shared parse error) <- `keys`, `client_cert` <- `model` <- `params` (certificate
//! parameters and signing) <- `recipes` (how each bad credential is built) <- `variants` (the
//! table of bad credentials: variant, what it breaks, serial, recipe) <- `issue` (the
//! hierarchy), with `crl`, `files`, `resign`, `short_lived` and `extensions` beside them; `mint` (the rules under
//! a user's CA) and `minted` (its manifest).
#![forbid(unsafe_code)]

// The rooms were once modules of one crate: these names keep paths written as
// `crate::<room>::...` resolving to the crates they now live in.
use mtls_sys as sys;
use mtls_sys::fsutil;

mod ca;
mod client_cert;
mod crl;
mod extensions;
mod external;
mod files;
mod issue;
mod keys;
mod mint;
mod minted;
mod model;
mod names;
mod own;
mod params;
mod recipes;
mod resign;
mod short_lived;
mod variants;

pub use ca::Ca;
pub use client_cert::ClientCert;
pub use crl::{
    crl_chain, issue_crl, issue_crl_scoped, issue_crl_shards, write_crl, write_crls, CrlKind,
    CrlScope, CrlShard,
};
pub use extensions::{
    crl_delta_url, crl_shard_name, crl_shard_of, crl_shard_url, crl_url, ocsp_url, CRL_DELTA_NAME,
};
pub use external::{ExternalCa, IssuerRef, PemFilesError, PemPart};
pub use files::{certs_pem, write_pki, PkiFiles, WriteError};
pub use issue::{generate, pool_name, MAX_IDENTITIES};
pub use keys::{hex, random_seed, KeyError, KeyMaterial, KeySeed, KeyType, WEAK_RSA_BITS};
pub use mint::{Mint, DEFAULT_ISSUED_LIFETIME, MIN_ISSUED_LIFETIME};
pub use minted::{minted, write_minted, Minted, MintedCert};
pub use model::{Identity, Pki, PkiSpec};
pub use names::UnknownName;
pub use own::OwnCredential;
pub use params::IssueError;
pub use recipes::{DEEP_CHAIN_INTERMEDIATES, PERMITTED_SUBTREE};
pub use resign::{corrupt_signature, resign_sha1, ResignError};
pub use short_lived::ShortLivedIssuer;
pub use variants::{
    bad_credential, BadCredential, BAD_CREDENTIALS, FIXED_SERIALS, POOL_SERIAL, REVOKED_SERIAL,
    VICTIM_SERIAL,
};
