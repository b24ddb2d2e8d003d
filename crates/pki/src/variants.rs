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

use super::ca::Ca;
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
    pub urls: Option<super::extensions::RevocationUrls<'a>>,
    /// The root (the deep chain and the constrained CA hang off it): the harness's or the
    /// user's CA.
    pub root: &'a Ca,
    /// The CA that issues the ordinary leaves (its key also makes the SHA-1 signature).
    pub leaf_issuer: &'a Ca,
    /// What every chain sends after its own CAs: nothing, or the user's CA and its chain.
    pub above_root: &'a [CertificateDer<'static>],
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
    /// The variants that could not be made with their defect alone, with the reason.
    pub missing: Vec<(ClientCert, String)>,
    /// The CAs made here that issue something sent (chain CAs, the constrained CA, the CA
    /// without cRLSign) with their certificates: a target that checks revocation in every
    /// case needs their CRLs and OCSP answers too.
    pub cas: Vec<(Ca, CertificateDer<'static>)>,
}

/// Issues every variant this module makes. The SHA-1 variant is left out for an Ed25519
/// hierarchy (Ed25519 has no SHA-1 form); the case is then skipped with that reason.
pub(super) fn issue(inputs: &Inputs<'_>) -> Result<Issued, IssueError> {
    let a = inputs.spec.anchor;
    let issuer = inputs.leaf_issuer;
    let issuer_key = &*issuer.key;
    let root = inputs.root;
    let mut missing = Vec::new();
    // How many CAs of its own a variant may hang below the root: any number under the
    // harness's root; under a user's CA, as many as its pathLenConstraint allows.
    let room = |n: u32| {
        root.external
            .as_ref()
            .is_none_or(|ext| ext.allows_sub_cas(n))
    };
    let too_deep = |n: u32| {
        format!(
            "the user's CA allows fewer than {n} CAs below it (pathLenConstraint {}); this credential needs {n} of its own, and a path-length error would hide its defect",
            root.external
                .as_ref()
                .and_then(|e| e.path_len)
                .map_or_else(|| "none".to_string(), |p| p.to_string())
        )
    };
    let with_root = |mut chain: Vec<CertificateDer<'static>>| {
        chain.extend(inputs.above_root.iter().cloned());
        chain
    };
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
        let cert = issuer.sign(&leaf(ClientCert::Sha1Signed, 912), bad_key, "sha1")?;
        let sha1 = resign_sha1(&cert, issuer_key).map_err(to_issue)?;
        out.push(identity(ClientCert::Sha1Signed, chain_of(sha1), bad_key));
    }
    let cert = issuer.sign(&leaf(ClientCert::BadSignature, 913), bad_key, "bad-sig")?;
    let corrupt = corrupt_signature(&cert).map_err(to_issue)?;
    out.push(identity(
        ClientCert::BadSignature,
        chain_of(corrupt),
        bad_key,
    ));

    // A 1024-bit RSA key.
    let weak = Arc::new(KeyMaterial::weak_rsa(inputs.spec.seed, "weak-rsa")?);
    let params = client_params("client-weak-rsa", 914, &weak, a, inputs.urls);
    let cert = issuer.sign(&params, &weak, "weak-rsa")?;
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
        let cert = issuer.sign(&params, bad_key, variant.name())?;
        out.push(identity(variant, chain_of(cert), bad_key));
    }

    // Chains: deeper than allowed, misordered, with an unrelated certificate appended.
    let deep_room = room(DEEP_CHAIN_INTERMEDIATES as u32);
    let misordered_room = room(2);
    let levels = if deep_room {
        DEEP_CHAIN_INTERMEDIATES
    } else if misordered_room {
        2
    } else {
        0
    };
    let mut cas: Vec<Ca> = Vec::new();
    let mut ca_certs: Vec<CertificateDer<'static>> = Vec::new();
    for level in 1..=levels {
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
        let cert = cas.last().unwrap_or(root).sign(&params, &key, "chain CA")?;
        cas.push(Ca::local(params, key));
        ca_certs.push(cert);
    }
    let under = |level: usize, variant: ClientCert, serial: u64| {
        cas[level - 1].sign(&leaf(variant, serial), bad_key, variant.name())
    };
    if deep_room {
        let deep_leaf = under(DEEP_CHAIN_INTERMEDIATES, ClientCert::DeepChain, 906)?;
        let mut deep = vec![deep_leaf];
        deep.extend(ca_certs.iter().rev().cloned());
        out.push(identity(ClientCert::DeepChain, with_root(deep), bad_key));
    } else {
        missing.push((
            ClientCert::DeepChain,
            too_deep(DEEP_CHAIN_INTERMEDIATES as u32),
        ));
    }
    if misordered_room {
        // Issued by chain CA 2, sent as leaf, CA 1, CA 2 (CA 2 belongs right after the leaf).
        let misordered = vec![
            under(2, ClientCert::MisorderedChain, 907)?,
            ca_certs[0].clone(),
            ca_certs[1].clone(),
        ];
        out.push(identity(
            ClientCert::MisorderedChain,
            with_root(misordered),
            bad_key,
        ));
    } else {
        missing.push((ClientCert::MisorderedChain, too_deep(2)));
    }
    let mut extra = inputs.valid.chain.clone();
    extra.push(inputs.unrelated.clone());
    out.push(identity(ClientCert::ExtraCert, extra, &inputs.valid.key));

    if !room(1) {
        for variant in [ClientCert::NameConstraints, ClientCert::NoCrlSignIssuer] {
            missing.push((variant, too_deep(1)));
        }
        // Still a CA for the `issuer-no-crl-sign` CRL's fields; it issues nothing sent.
        let ncs_key = Arc::new(KeyMaterial::generate(
            KeyType::EcdsaP256,
            inputs.spec.seed,
            "no-crl-sign-ca",
        )?);
        let ncs_params = no_crl_sign_params(&ncs_key, a);
        return Ok(Issued {
            clients: out,
            no_crl_sign_ca: (ncs_params, ncs_key),
            missing,
            cas: cas.into_iter().zip(ca_certs).collect(),
        });
    }

    // Name constraints: a CA that permits one DNS subtree issues a leaf outside it.
    let nc_key = KeyMaterial::generate(KeyType::EcdsaP256, inputs.spec.seed, "constrained-ca")?;
    let mut nc_params = ca_params("mtls-harness constrained CA", 320, Some(0), &nc_key, a);
    nc_params.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::DnsName(PERMITTED_SUBTREE.into())],
        excluded_subtrees: Vec::new(),
    });
    let nc_cert = root.sign(&nc_params, &nc_key, "constrained CA")?;
    let mut outside = leaf(ClientCert::NameConstraints, 908);
    outside.subject_alt_names = vec![SanType::DnsName(
        "client.outside.test"
            .try_into()
            .map_err(|e| cert_err("name-constraints", e))?,
    )];
    outside.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let nc_params_kept = nc_params.clone();
    let nc_leaf = sign(
        &outside,
        bad_key,
        &Issuer::new(nc_params, &nc_key),
        "name-constraints",
    )?;
    out.push(identity(
        ClientCert::NameConstraints,
        with_root(vec![nc_leaf, nc_cert.clone()]),
        bad_key,
    ));

    // A CA whose key usage lacks cRLSign: its leaf is valid, its CRLs are unusable.
    let ncs_key = Arc::new(KeyMaterial::generate(
        KeyType::EcdsaP256,
        inputs.spec.seed,
        "no-crl-sign-ca",
    )?);
    let ncs_params = no_crl_sign_params(&ncs_key, a);
    let ncs_cert = root.sign(&ncs_params, &ncs_key, "CA without cRLSign")?;
    let ncs_leaf = sign(
        &leaf(ClientCert::NoCrlSignIssuer, 915),
        bad_key,
        &Issuer::new(ncs_params.clone(), &*ncs_key),
        "no-crl-sign-issuer",
    )?;
    out.push(identity(
        ClientCert::NoCrlSignIssuer,
        with_root(vec![ncs_leaf, ncs_cert.clone()]),
        bad_key,
    ));
    let mut cas: Vec<(Ca, CertificateDer<'static>)> = cas.into_iter().zip(ca_certs).collect();
    cas.push((Ca::local(nc_params_kept, Arc::new(nc_key)), nc_cert));
    cas.push((
        Ca::local(ncs_params.clone(), Arc::clone(&ncs_key)),
        ncs_cert,
    ));
    Ok(Issued {
        clients: out,
        no_crl_sign_ca: (ncs_params, ncs_key),
        missing,
        cas,
    })
}

/// The CA whose key usage lacks cRLSign.
fn no_crl_sign_params(key: &KeyMaterial, a: time::OffsetDateTime) -> CertificateParams {
    let mut params = ca_params("mtls-harness CA without cRLSign", 321, Some(0), key, a);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}
