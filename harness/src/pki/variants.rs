//! The bad client credentials of conformance groups A and B beyond validity periods and EKU:
//! a SHA-1-signed leaf, a corrupted leaf signature, an RSA-1024 key, a chain deeper than the
//! verifiers allow, a misordered chain, an extra certificate after the chain, a name-constraints
//! violation, a key usage without digitalSignature, no EKU at all, a leaf that says CA:TRUE,
//! and a valid leaf from a CA without cRLSign (whose CRLs are unusable).
//!
//! The extra CAs (the deep chain, the constrained CA) always have P-256 keys, whatever the
//! hierarchy's key type: they only carry chains, and RSA-4096 CAs would cost seconds each.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer,
    KeyUsagePurpose, NameConstraints, SanType,
};
use rustls::pki_types::CertificateDer;

use super::client_cert::ClientCert;
use super::keys::{KeyMaterial, KeyType};
use super::model::{Identity, PkiSpec};
use super::params::{ca_params, cert_err, client_params, sign, IssueError};
use super::resign::{corrupt_signature, resign_sha1, ResignError};

/// Intermediates in the `deep-chain` credential: one more than webpki's fixed limit of six
/// sub-CAs, so every verifier with a depth of 6 or less rejects it.
pub const DEEP_CHAIN_INTERMEDIATES: usize = 7;

/// The DNS subtree the constrained CA permits; the `name-constraints` leaf is outside it.
pub const PERMITTED_SUBTREE: &str = "permitted.mtls-harness.test";

/// What the variants are issued from.
pub(super) struct Inputs<'a> {
    /// The spec (seed and anchor).
    pub spec: &'a PkiSpec,
    /// The revocation service URL for AIA/CDP, if any.
    pub urls: Option<&'a str>,
    /// The root's parameters and key (the deep chain and the constrained CA hang off it).
    pub root: (&'a CertificateParams, &'a KeyMaterial),
    /// The CA that issues the ordinary leaves, and its key (for the SHA-1 signature).
    pub leaf_issuer: (&'a Issuer<'a, &'a KeyMaterial>, &'a KeyMaterial),
    /// The ordinary leaves' chain after the leaf (lowest intermediate first).
    pub intermediates: &'a [CertificateDer<'static>],
    /// The key every bad leaf holds.
    pub bad_key: &'a Arc<KeyMaterial>,
    /// A valid identity of the pool (for the extra-certificate chain).
    pub valid: &'a Identity,
    /// An unrelated certificate (the foreign root) to append.
    pub unrelated: &'a CertificateDer<'static>,
}

/// What [`issue`] makes.
pub(super) struct Issued {
    /// The credentials.
    pub clients: Vec<(ClientCert, Identity)>,
    /// The CA without cRLSign that issues the `no-crl-sign-issuer` leaf (it also signs the
    /// `issuer-no-crl-sign` CRL).
    pub no_crl_sign_ca: (CertificateParams, Arc<KeyMaterial>),
}

/// Issues every variant this module makes. The SHA-1 variant is left out for an Ed25519
/// hierarchy (Ed25519 has no SHA-1 form); the case is then skipped with that reason.
pub(super) fn issue(inputs: &Inputs<'_>) -> Result<Issued, IssueError> {
    let a = inputs.spec.anchor;
    let (issuer, issuer_key) = inputs.leaf_issuer;
    let bad_key = inputs.bad_key;
    let chain_of = |leaf: CertificateDer<'static>| {
        let mut chain = vec![leaf];
        chain.extend(inputs.intermediates.iter().cloned());
        chain
    };
    let identity = |variant: ClientCert, chain, key: &Arc<KeyMaterial>| {
        (
            variant,
            Identity {
                name: format!("client-{variant}"),
                chain,
                key: Arc::clone(key),
            },
        )
    };
    let leaf = |variant: ClientCert, serial: u64| {
        client_params(
            &format!("client-{variant}"),
            serial,
            bad_key,
            a,
            inputs.urls,
        )
    };
    let to_issue = |e: ResignError| IssueError::Spec(e.to_string());
    let mut out = Vec::new();

    // Signatures: SHA-1 and corrupted.
    if issuer_key.key_type() != KeyType::Ed25519 {
        let cert = sign(&leaf(ClientCert::Sha1Signed, 912), bad_key, issuer, "sha1")?;
        let sha1 = resign_sha1(&cert, issuer_key).map_err(to_issue)?;
        out.push(identity(ClientCert::Sha1Signed, chain_of(sha1), bad_key));
    }
    let cert = sign(
        &leaf(ClientCert::BadSignature, 913),
        bad_key,
        issuer,
        "bad-sig",
    )?;
    let corrupt = corrupt_signature(&cert).map_err(to_issue)?;
    out.push(identity(
        ClientCert::BadSignature,
        chain_of(corrupt),
        bad_key,
    ));

    // A 1024-bit RSA key.
    let weak = Arc::new(KeyMaterial::weak_rsa(inputs.spec.seed, "weak-rsa")?);
    let params = client_params("client-weak-rsa", 914, &weak, a, inputs.urls);
    let cert = sign(&params, &weak, issuer, "weak-rsa")?;
    out.push(identity(ClientCert::WeakRsa, chain_of(cert), &weak));

    // Extensions: key usage without digitalSignature, no EKU, CA:TRUE.
    let mut no_ds = leaf(ClientCert::NoDigitalSignature, 909);
    // nonRepudiation only: OpenSSL's client purpose also accepts keyAgreement (for static
    // ECDH), so a usage that allows neither is the unambiguous case.
    no_ds.key_usages = vec![KeyUsagePurpose::ContentCommitment];
    let mut no_eku = leaf(ClientCert::NoEku, 910);
    no_eku.extended_key_usages = Vec::new();
    let mut ca_leaf = leaf(ClientCert::CaLeaf, 911);
    ca_leaf.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
    ];
    for (variant, params) in [
        (ClientCert::NoDigitalSignature, no_ds),
        (ClientCert::NoEku, no_eku),
        (ClientCert::CaLeaf, ca_leaf),
    ] {
        let cert = sign(&params, bad_key, issuer, variant.name())?;
        out.push(identity(variant, chain_of(cert), bad_key));
    }

    // Chains: deeper than allowed, misordered, with an unrelated certificate appended.
    let (root_params, root_key) = inputs.root;
    let mut cas: Vec<(CertificateParams, Arc<KeyMaterial>, CertificateDer<'static>)> = Vec::new();
    for level in 1..=DEEP_CHAIN_INTERMEDIATES {
        let key = Arc::new(KeyMaterial::generate(
            KeyType::EcdsaP256,
            inputs.spec.seed,
            &format!("chain-ca-{level}"),
        )?);
        let params = ca_params(
            &format!("mtls-harness chain CA {level}"),
            300 + level as u64,
            None,
            &key,
            a,
        );
        let cert = match cas.last() {
            None => sign(
                &params,
                &key,
                &Issuer::new(root_params.clone(), root_key),
                "chain CA",
            )?,
            Some((p, k, _)) => sign(&params, &key, &Issuer::new(p.clone(), &**k), "chain CA")?,
        };
        cas.push((params, key, cert));
    }
    let under = |level: usize, variant: ClientCert, serial: u64| {
        let (p, k, _) = &cas[level - 1];
        sign(
            &leaf(variant, serial),
            bad_key,
            &Issuer::new(p.clone(), &**k),
            variant.name(),
        )
    };
    let deep_leaf = under(DEEP_CHAIN_INTERMEDIATES, ClientCert::DeepChain, 906)?;
    let mut deep = vec![deep_leaf];
    deep.extend(cas.iter().rev().map(|(_, _, c)| c.clone()));
    out.push(identity(ClientCert::DeepChain, deep, bad_key));
    // Issued by chain CA 2, sent as leaf, CA 1, CA 2 (CA 2 belongs right after the leaf).
    let misordered = vec![
        under(2, ClientCert::MisorderedChain, 907)?,
        cas[0].2.clone(),
        cas[1].2.clone(),
    ];
    out.push(identity(ClientCert::MisorderedChain, misordered, bad_key));
    let mut extra = inputs.valid.chain.clone();
    extra.push(inputs.unrelated.clone());
    out.push(identity(ClientCert::ExtraCert, extra, &inputs.valid.key));

    // Name constraints: a CA that permits one DNS subtree issues a leaf outside it.
    let nc_key = KeyMaterial::generate(KeyType::EcdsaP256, inputs.spec.seed, "constrained-ca")?;
    let mut nc_params = ca_params("mtls-harness constrained CA", 320, Some(0), &nc_key, a);
    nc_params.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::DnsName(PERMITTED_SUBTREE.into())],
        excluded_subtrees: Vec::new(),
    });
    let nc_cert = sign(
        &nc_params,
        &nc_key,
        &Issuer::new(root_params.clone(), root_key),
        "constrained CA",
    )?;
    let mut outside = leaf(ClientCert::NameConstraints, 908);
    outside.subject_alt_names = vec![SanType::DnsName(
        "client.outside.test"
            .try_into()
            .map_err(|e| cert_err("name-constraints", e))?,
    )];
    outside.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let nc_leaf = sign(
        &outside,
        bad_key,
        &Issuer::new(nc_params, &nc_key),
        "name-constraints",
    )?;
    out.push(identity(
        ClientCert::NameConstraints,
        vec![nc_leaf, nc_cert],
        bad_key,
    ));

    // A CA whose key usage lacks cRLSign: its leaf is valid, its CRLs are unusable.
    let ncs_key = Arc::new(KeyMaterial::generate(
        KeyType::EcdsaP256,
        inputs.spec.seed,
        "no-crl-sign-ca",
    )?);
    let mut ncs_params = ca_params("mtls-harness CA without cRLSign", 321, Some(0), &ncs_key, a);
    ncs_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ncs_cert = sign(
        &ncs_params,
        &ncs_key,
        &Issuer::new(root_params.clone(), root_key),
        "CA without cRLSign",
    )?;
    let ncs_leaf = sign(
        &leaf(ClientCert::NoCrlSignIssuer, 915),
        bad_key,
        &Issuer::new(ncs_params.clone(), &*ncs_key),
        "no-crl-sign-issuer",
    )?;
    out.push(identity(
        ClientCert::NoCrlSignIssuer,
        vec![ncs_leaf, ncs_cert],
        bad_key,
    ));
    Ok(Issued {
        clients: out,
        no_crl_sign_ca: (ncs_params, ncs_key),
    })
}
