//! How each bad client credential is built: one small function per recipe, all of the same
//! type ([`Build`]), each given what credentials are issued from ([`Issuing`]) and the variant
//! and serial its table entry names ([`Wanted`]). The table that pairs variants with recipes
//! and serials is `variants.rs`; this file knows no serial number of its own.
//!
//! The extra CAs some recipes hang their leaf under ([`VariantCas`]: the chain CAs, the
//! constrained CA, the CA without cRLSign) are made once, before any recipe runs. They always
//! have P-256 keys, whatever the hierarchy's key type: they only carry chains, and RSA-4096
//! CAs would cost seconds each.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa,
    KeyUsagePurpose, NameConstraints, SanType,
};
use rustls::pki_types::CertificateDer;
use time::Duration;

use super::ca::Ca;
use super::client_cert::ClientCert;
use super::extensions::RevocationUrls;
use super::keys::{KeyMaterial, KeyType};
use super::model::{Identity, PkiSpec};
use super::params::{ca_params, cert_err, client_params, IssueError, YEAR};
use super::resign::{corrupt_signature, resign_sha1};

/// Intermediates in the `deep-chain` credential: one more than webpki's fixed limit of six
/// sub-CAs, so every verifier with a depth of 6 or less rejects it.
pub const DEEP_CHAIN_INTERMEDIATES: usize = 7;

/// The DNS subtree the constrained CA permits; the `name-constraints` leaf is outside it.
pub const PERMITTED_SUBTREE: &str = "permitted.mtls-harness.test";

/// Serial of the first chain CA (the `n`th has `CHAIN_CA_SERIAL + n`).
pub(super) const CHAIN_CA_SERIAL: u64 = 300;
/// Serial of the constrained CA.
pub(super) const CONSTRAINED_CA_SERIAL: u64 = 320;
/// Serial of the CA without cRLSign.
pub(super) const NO_CRL_SIGN_CA_SERIAL: u64 = 321;

/// What the bad credentials are issued from (the hierarchy `issue.rs` made).
pub(super) struct Inputs<'a> {
    /// The spec (seed and anchor).
    pub spec: &'a PkiSpec,
    /// The revocation service URL for AIA/CDP, if any.
    pub urls: Option<RevocationUrls<'a>>,
    /// The root (the deep chain and the constrained CA hang off it): the harness's or the
    /// user's CA.
    pub root: &'a Ca,
    /// The CA that issues the ordinary leaves (its key also makes the SHA-1 signature).
    pub leaf_issuer: &'a Ca,
    /// How many CAs of the hierarchy's own lie between the root and the leaves (0 when a
    /// user's CA with pathLenConstraint 0 signs the leaves itself).
    pub levels: u8,
    /// What every chain sends after its own CAs: nothing, or the user's CA and its chain.
    pub above_root: &'a [CertificateDer<'static>],
    /// The ordinary leaves' chain after the leaf (lowest intermediate first).
    pub intermediates: &'a [CertificateDer<'static>],
    /// The key every bad leaf holds.
    pub bad_key: &'a Arc<KeyMaterial>,
    /// A valid identity of the pool (pool identity 0).
    pub valid: &'a Identity,
    /// The foreign root that signs the `unknown-ca` leaf.
    pub foreign: &'a Ca,
    /// Its certificate (appended to a valid chain by `extra-cert`).
    pub unrelated: &'a CertificateDer<'static>,
}

/// A CA made for the bad credentials, with its certificate.
pub(super) type MadeCa = (Ca, CertificateDer<'static>);

/// The extra CAs of the bad credentials.
pub(super) struct VariantCas {
    /// Chain CAs 1..n under the root, each under the one before: seven for the deep chain,
    /// two when the root's path length allows only the misordered chain, else none.
    pub chain: Vec<MadeCa>,
    /// The CA that permits one DNS subtree, when the root may sign a sub-CA.
    pub constrained: Option<MadeCa>,
    /// The CA whose key usage lacks cRLSign (always made: the `issuer-no-crl-sign` CRL needs
    /// its fields), and its certificate when the root may sign a sub-CA.
    pub no_crl_sign: (Ca, Option<CertificateDer<'static>>),
}

/// Everything a recipe reads.
pub(super) struct Issuing<'a> {
    /// The hierarchy.
    pub inputs: &'a Inputs<'a>,
    /// The extra CAs.
    pub cas: &'a VariantCas,
}

/// What a table entry asks a recipe for.
#[derive(Clone, Copy, Debug)]
pub(super) struct Wanted {
    /// The variant.
    pub variant: ClientCert,
    /// Its leaf's serial, for recipes that issue a leaf.
    pub serial: Option<u64>,
}

/// What a recipe made.
pub(super) enum Made {
    /// The credential.
    Sent(Identity),
    /// It cannot be made so that its defect is its only one: the reason (a case asking for
    /// it is skipped with it).
    Missing(String),
    /// Not made at all (SHA-1 under an Ed25519 hierarchy: Ed25519 has no SHA-1 form).
    LeftOut,
}

/// A recipe.
pub(super) type Build = fn(&Issuing<'_>, Wanted) -> Result<Made, IssueError>;

impl Issuing<'_> {
    /// Whether a variant may hang `n` CAs of its own below the root.
    fn room(&self, n: u32) -> bool {
        room(self.inputs.root, n)
    }

    /// Why a variant needing `n` CAs of its own cannot be made.
    fn too_deep(&self, n: u32) -> Made {
        let path_len = self
            .inputs
            .root
            .external
            .as_ref()
            .and_then(|e| e.path_len)
            .map_or_else(|| "none".to_string(), |p| p.to_string());
        Made::Missing(format!(
            "the user's CA allows fewer than {n} CAs below it (pathLenConstraint {path_len}); this credential needs {n} of its own, and a path-length error would hide its defect"
        ))
    }

    /// The client leaf parameters of `wanted` (name `client-<variant>`) for the bad key.
    fn leaf(&self, wanted: Wanted) -> Result<CertificateParams, IssueError> {
        self.leaf_for(wanted, self.inputs.bad_key, self.inputs.urls)
    }

    /// The client leaf parameters of `wanted` for `key`, naming `urls`.
    fn leaf_for(
        &self,
        wanted: Wanted,
        key: &KeyMaterial,
        urls: Option<RevocationUrls<'_>>,
    ) -> Result<CertificateParams, IssueError> {
        let serial = wanted.serial.ok_or_else(|| {
            IssueError::Spec(format!("the {} credential has no serial", wanted.variant))
        })?;
        let anchor = self.inputs.spec.anchor;
        Ok(client_params(
            &client_name(wanted.variant),
            serial,
            key,
            anchor,
            urls,
        ))
    }

    /// `leaf` followed by the ordinary intermediates.
    fn chain_of(&self, leaf: CertificateDer<'static>) -> Vec<CertificateDer<'static>> {
        let mut chain = vec![leaf];
        chain.extend(self.inputs.intermediates.iter().cloned());
        chain
    }

    /// `chain` followed by what every chain sends above the root.
    fn with_root(&self, mut chain: Vec<CertificateDer<'static>>) -> Vec<CertificateDer<'static>> {
        chain.extend(self.inputs.above_root.iter().cloned());
        chain
    }

    /// The identity of `variant`.
    fn sent(
        variant: ClientCert,
        chain: Vec<CertificateDer<'static>>,
        key: &Arc<KeyMaterial>,
    ) -> Made {
        Made::Sent(Identity {
            name: client_name(variant),
            chain,
            key: Arc::clone(key),
        })
    }

    /// The leaf of `wanted` with `tweak` applied, from the leaves' CA, with the bad key.
    fn tweaked(
        &self,
        wanted: Wanted,
        tweak: impl FnOnce(&mut CertificateParams),
    ) -> Result<Made, IssueError> {
        let mut params = self.leaf(wanted)?;
        tweak(&mut params);
        let key = self.inputs.bad_key;
        let cert = self
            .inputs
            .leaf_issuer
            .sign(&params, key, wanted.variant.name())?;
        Ok(Self::sent(wanted.variant, self.chain_of(cert), key))
    }
}

/// `client-<variant>`: the identity's name and its leaf's CN.
fn client_name(variant: ClientCert) -> String {
    format!("client-{variant}")
}

/// notAfter a day before the anchor.
pub(super) fn expired(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    let a = cx.inputs.spec.anchor;
    cx.tweaked(wanted, |p| {
        p.not_before = a - 2 * YEAR;
        p.not_after = a - Duration::days(1);
    })
}

/// notBefore 31 years after the anchor.
pub(super) fn not_yet_valid(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    let a = cx.inputs.spec.anchor;
    cx.tweaked(wanted, |p| {
        p.not_before = a + 31 * YEAR;
        p.not_after = a + 32 * YEAR;
    })
}

/// EKU serverAuth only.
pub(super) fn server_auth_only(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    cx.tweaked(wanted, |p| {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    })
}

/// A leaf valid in every way (`revoked`: the CRLs of `crl::issue` list its serial).
pub(super) fn plain(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    cx.tweaked(wanted, |_| {})
}

/// Key usage nonRepudiation only: OpenSSL's client purpose also accepts keyAgreement (for
/// static ECDH), so a usage that allows neither is the unambiguous case.
pub(super) fn no_digital_signature(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    cx.tweaked(wanted, |p| {
        p.key_usages = vec![KeyUsagePurpose::ContentCommitment];
    })
}

/// No extended key usage extension.
pub(super) fn no_eku(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    cx.tweaked(wanted, |p| p.extended_key_usages = Vec::new())
}

/// basicConstraints CA:TRUE (path length 0) with keyCertSign, and clientAuth.
pub(super) fn ca_leaf(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    cx.tweaked(wanted, |p| {
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
        ];
    })
}

/// A leaf of a foreign root (same key type), sent alone, without revocation URLs.
pub(super) fn unknown_ca(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    let key = cx.inputs.bad_key;
    let params = cx.leaf_for(wanted, key, None)?;
    let cert = cx.inputs.foreign.sign(&params, key, "unknown-ca client")?;
    Ok(Issuing::sent(wanted.variant, vec![cert], key))
}

/// Pool identity 0's leaf alone; not made when the user's CA signs the leaves itself.
pub(super) fn missing_intermediate(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    let inputs = cx.inputs;
    if inputs.levels == 0 {
        return Ok(Made::Missing("the user's CA has pathLenConstraint 0, so it signs the leaves itself: a leaf sent alone lacks only certificates the server may already trust, which cannot isolate a missing intermediate".into()));
    }
    let chain = vec![inputs.valid.chain[0].clone()];
    Ok(Issuing::sent(wanted.variant, chain, &inputs.valid.key))
}

/// Pool identity 0's chain with the bad key (same type, so the signature scheme is acceptable
/// and only the signature itself is wrong).
pub(super) fn mismatched_key(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    let inputs = cx.inputs;
    let chain = inputs.valid.chain.clone();
    Ok(Issuing::sent(wanted.variant, chain, inputs.bad_key))
}

/// Pool identity 0's chain with the foreign root appended.
pub(super) fn extra_cert(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    let inputs = cx.inputs;
    let mut chain = inputs.valid.chain.clone();
    chain.push(inputs.unrelated.clone());
    Ok(Issuing::sent(wanted.variant, chain, &inputs.valid.key))
}

/// A plain leaf re-signed by its issuer with SHA-1; left out under an Ed25519 issuer.
pub(super) fn sha1_signed(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    let issuer = cx.inputs.leaf_issuer;
    if issuer.key.key_type() == KeyType::Ed25519 {
        return Ok(Made::LeftOut);
    }
    let key = cx.inputs.bad_key;
    let cert = issuer.sign(&cx.leaf(wanted)?, key, "sha1")?;
    let sha1 = resign_sha1(&cert, &issuer.key).map_err(|e| IssueError::Spec(e.to_string()))?;
    Ok(Issuing::sent(wanted.variant, cx.chain_of(sha1), key))
}

/// A plain leaf with one bit of its signature flipped.
pub(super) fn bad_signature(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    let key = cx.inputs.bad_key;
    let cert = cx
        .inputs
        .leaf_issuer
        .sign(&cx.leaf(wanted)?, key, "bad-sig")?;
    let corrupt = corrupt_signature(&cert).map_err(|e| IssueError::Spec(e.to_string()))?;
    Ok(Issuing::sent(wanted.variant, cx.chain_of(corrupt), key))
}

/// A leaf holding a 1024-bit RSA key.
pub(super) fn weak_rsa(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    let weak = Arc::new(KeyMaterial::weak_rsa_from(
        cx.inputs.spec.key_seed(),
        "weak-rsa",
    )?);
    let params = cx.leaf_for(wanted, &weak, cx.inputs.urls)?;
    let cert = cx.inputs.leaf_issuer.sign(&params, &weak, "weak-rsa")?;
    Ok(Issuing::sent(wanted.variant, cx.chain_of(cert), &weak))
}

/// A leaf under all [`DEEP_CHAIN_INTERMEDIATES`] chain CAs, every one sent.
pub(super) fn deep_chain(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    if !cx.room(DEEP_CHAIN_INTERMEDIATES as u32) {
        return Ok(cx.too_deep(DEEP_CHAIN_INTERMEDIATES as u32));
    }
    let chain_cas = &cx.cas.chain;
    let (lowest, _) = cx.cas.chain_ca(DEEP_CHAIN_INTERMEDIATES)?;
    let key = cx.inputs.bad_key;
    let mut chain = vec![lowest.sign(&cx.leaf(wanted)?, key, wanted.variant.name())?];
    chain.extend(chain_cas.iter().rev().map(|(_, cert)| cert.clone()));
    Ok(Issuing::sent(wanted.variant, cx.with_root(chain), key))
}

/// A leaf of chain CA 2, sent as leaf, CA 1, CA 2 (CA 2 belongs right after the leaf).
pub(super) fn misordered_chain(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    if !cx.room(2) {
        return Ok(cx.too_deep(2));
    }
    let ((_, cert_1), (ca_2, cert_2)) = (cx.cas.chain_ca(1)?, cx.cas.chain_ca(2)?);
    let key = cx.inputs.bad_key;
    let chain = vec![
        ca_2.sign(&cx.leaf(wanted)?, key, wanted.variant.name())?,
        cert_1.clone(),
        cert_2.clone(),
    ];
    Ok(Issuing::sent(wanted.variant, cx.with_root(chain), key))
}

/// A leaf whose DNS name lies outside the constrained CA's permitted subtree.
pub(super) fn name_constraints(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    let Some((ca, ca_cert)) = &cx.cas.constrained else {
        return Ok(cx.too_deep(1));
    };
    let mut outside = cx.leaf(wanted)?;
    outside.subject_alt_names = vec![SanType::DnsName(
        "client.outside.test"
            .try_into()
            .map_err(|e| cert_err("name-constraints", e))?,
    )];
    outside.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let key = cx.inputs.bad_key;
    let leaf = ca.sign(&outside, key, "name-constraints")?;
    let chain = cx.with_root(vec![leaf, ca_cert.clone()]);
    Ok(Issuing::sent(wanted.variant, chain, key))
}

/// A valid leaf of the CA without cRLSign.
pub(super) fn no_crl_sign_issuer(cx: &Issuing<'_>, wanted: Wanted) -> Result<Made, IssueError> {
    let (ca, Some(ca_cert)) = &cx.cas.no_crl_sign else {
        return Ok(cx.too_deep(1));
    };
    let key = cx.inputs.bad_key;
    let leaf = ca.sign(&cx.leaf(wanted)?, key, "no-crl-sign-issuer")?;
    let chain = cx.with_root(vec![leaf, ca_cert.clone()]);
    Ok(Issuing::sent(wanted.variant, chain, key))
}

impl VariantCas {
    /// Makes the extra CAs the root's path length has room for.
    pub(super) fn make(inputs: &Inputs<'_>) -> Result<Self, IssueError> {
        let levels = if room(inputs.root, DEEP_CHAIN_INTERMEDIATES as u32) {
            DEEP_CHAIN_INTERMEDIATES
        } else if room(inputs.root, 2) {
            2
        } else {
            0
        };
        let chain = chain_cas(inputs, levels)?;
        let a = inputs.spec.anchor;
        let ncs_key = p256(inputs, "no-crl-sign-ca")?;
        let ncs_params = no_crl_sign_params(&ncs_key, a);
        let ncs = inputs.root.below(ncs_params, Arc::clone(&ncs_key));
        if !room(inputs.root, 1) {
            // Still a CA for the `issuer-no-crl-sign` CRL's fields; it issues nothing sent.
            return Ok(Self {
                chain,
                constrained: None,
                no_crl_sign: (ncs, None),
            });
        }
        let nc_key = p256(inputs, "constrained-ca")?;
        let mut nc_params = ca_params(
            "mtls-harness constrained CA",
            CONSTRAINED_CA_SERIAL,
            Some(0),
            &nc_key,
            a,
        );
        nc_params.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![GeneralSubtree::DnsName(PERMITTED_SUBTREE.into())],
            excluded_subtrees: Vec::new(),
        });
        let nc_cert = inputs.root.sign(&nc_params, &nc_key, "constrained CA")?;
        let ncs_cert = inputs
            .root
            .sign(&ncs.params, &ncs_key, "CA without cRLSign")?;
        Ok(Self {
            chain,
            constrained: Some((inputs.root.below(nc_params, nc_key), nc_cert)),
            no_crl_sign: (ncs, Some(ncs_cert)),
        })
    }

    /// Chain CA `level` (from 1) with its certificate.
    fn chain_ca(&self, level: usize) -> Result<&MadeCa, IssueError> {
        level
            .checked_sub(1)
            .and_then(|i| self.chain.get(i))
            .ok_or_else(|| IssueError::Spec(format!("no chain CA {level}")))
    }

    /// The CAs that issue something sent, with their certificates (chain CAs, the
    /// constrained CA, the CA without cRLSign): a target that checks revocation in every case
    /// needs their CRLs and OCSP answers too.
    pub(super) fn issuing(&self) -> Vec<MadeCa> {
        let mut out = self.chain.clone();
        out.extend(self.constrained.clone());
        if let (ca, Some(cert)) = &self.no_crl_sign {
            out.push((ca.clone(), cert.clone()));
        }
        out
    }
}

/// Whether a variant may hang `n` CAs of its own below `root`: any number under the
/// harness's root; under a user's CA, as many as its pathLenConstraint allows.
fn room(root: &Ca, n: u32) -> bool {
    root.external
        .as_ref()
        .is_none_or(|ext| ext.allows_sub_cas(n))
}

/// A P-256 key for one of the extra CAs.
fn p256(inputs: &Inputs<'_>, label: &str) -> Result<Arc<KeyMaterial>, IssueError> {
    Ok(Arc::new(KeyMaterial::generate_from(
        KeyType::EcdsaP256,
        inputs.spec.key_seed(),
        label,
    )?))
}

/// Chain CAs 1..=`levels`, the first under the root, each under the one before.
fn chain_cas(inputs: &Inputs<'_>, levels: usize) -> Result<Vec<MadeCa>, IssueError> {
    let mut cas: Vec<MadeCa> = Vec::new();
    for level in 1..=levels {
        let key = p256(inputs, &format!("chain-ca-{level}"))?;
        let params = ca_params(
            &format!("mtls-harness chain CA {level}"),
            CHAIN_CA_SERIAL + level as u64,
            None,
            &key,
            inputs.spec.anchor,
        );
        let issuer = cas.last().map_or(inputs.root, |(ca, _)| ca);
        let cert = issuer.sign(&params, &key, "chain CA")?;
        let below = issuer.below(params, key);
        cas.push((below, cert));
    }
    Ok(cas)
}

/// The CA whose key usage lacks cRLSign.
fn no_crl_sign_params(key: &KeyMaterial, a: time::OffsetDateTime) -> CertificateParams {
    let mut params = ca_params(
        "mtls-harness CA without cRLSign",
        NO_CRL_SIGN_CA_SERIAL,
        Some(0),
        key,
        a,
    );
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}
