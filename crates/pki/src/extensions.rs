//! Certificate extensions rcgen has no field for, as DER: where to ask about revocation
//! (Authority Information Access with the OCSP URL, CRL distribution point), OCSP Must-Staple
//! (RFC 7633) and the delegated responder's `id-pkix-ocsp-nocheck`; and where a sharded CRL's
//! shard or a delta CRL is (Freshest CRL).

use der::asn1::Ia5String;
use der::Encode;
use rcgen::{CertificateParams, CrlDistributionPoint, CustomExtension};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::DistributionPointName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{AccessDescription, AuthorityInfoAccessSyntax, FreshestCrl};

/// id-pe-authorityInfoAccess.
const AIA: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 1];
/// id-pe-tlsfeature (RFC 7633).
const TLS_FEATURE: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 24];
/// id-ce-freshestCRL (RFC 5280 §4.2.1.15).
const FRESHEST_CRL: &[u64] = &[2, 5, 29, 46];
/// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1).
const OCSP_NOCHECK: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1, 5];

/// The OCSP endpoint under a revocation service's base URL.
pub fn ocsp_url(base: &str) -> String {
    format!("{base}/ocsp")
}

/// The CRL of the leaves' issuer under a revocation service's base URL.
pub fn crl_url(base: &str) -> String {
    format!("{base}/crl/leaf.crl")
}

/// The name shard `index` of `shards` of the leaves' CRL is published under
/// (`/crl/<name>`): `leaf-s16-3.crl`.
pub fn crl_shard_name(index: u16, shards: u16) -> String {
    format!("leaf-s{shards}-{index}.crl")
}

/// The shard of `shards` a certificate with `serial` is listed in (serial mod N, as Let's
/// Encrypt shards by serial).
pub fn crl_shard_of(serial: u64, shards: u16) -> u16 {
    // The remainder is below `shards`, a u16.
    u16::try_from(serial % u64::from(shards.max(1))).unwrap_or(0)
}

/// The URL of shard `index` of `shards` under a revocation service's base URL.
pub fn crl_shard_url(base: &str, index: u16, shards: u16) -> String {
    format!("{base}/crl/{}", crl_shard_name(index, shards))
}

/// The delta CRL of the leaves' issuer under a revocation service's base URL.
pub fn crl_delta_url(base: &str) -> String {
    format!("{base}/crl/{CRL_DELTA_NAME}")
}

/// The name the leaves' delta CRL is published under.
pub const CRL_DELTA_NAME: &str = "leaf-delta.crl";

/// Where a leaf's revocation status is published: the revocation service's base URL, into
/// how many shards the leaves' CRL is split (1: one CRL at [`crl_url`]), and whether a delta
/// CRL comes with it (named in a Freshest CRL extension).
#[derive(Clone, Copy, Debug)]
pub struct RevocationUrls<'a> {
    /// `http://127.0.0.1:PORT`.
    pub base: &'a str,
    /// CRL shards (serial mod N); 1: not sharded.
    pub crl_shards: u16,
    /// The leaves name a delta CRL ([`crl_delta_url`]) in a Freshest CRL extension (RFC 5280
    /// §4.2.1.15); OpenSSL looks for a delta only for a certificate or base CRL naming one.
    pub crl_delta: bool,
}

/// Names the revocation service in a leaf with `serial`: AIA with its OCSP URL and a CRL
/// distribution point (its shard's when the CRL is sharded), as a public CA would.
pub fn add_revocation_urls(params: &mut CertificateParams, urls: RevocationUrls<'_>, serial: u64) {
    let base = urls.base;
    let crl = match urls.crl_shards {
        0 | 1 => crl_url(base),
        n => crl_shard_url(base, crl_shard_of(serial, n), n),
    };
    params.crl_distribution_points = vec![CrlDistributionPoint { uris: vec![crl] }];
    if let Some(der) = urls
        .crl_delta
        .then(|| freshest_crl_der(&crl_delta_url(base)))
        .flatten()
    {
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(FRESHEST_CRL, der));
    }
    if let Some(der) = aia_der(&ocsp_url(base)) {
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(AIA, der));
    }
}

/// Marks a certificate OCSP Must-Staple: TLS feature `status_request` (5).
pub fn add_must_staple(params: &mut CertificateParams) {
    params
        .custom_extensions
        .push(CustomExtension::from_oid_content(
            TLS_FEATURE,
            vec![0x30, 0x03, 0x02, 0x01, 0x05],
        ));
}

/// Marks a delegated OCSP responder's certificate as not itself checked for revocation.
pub fn add_ocsp_nocheck(params: &mut CertificateParams) {
    params
        .custom_extensions
        .push(CustomExtension::from_oid_content(
            OCSP_NOCHECK,
            vec![0x05, 0x00],
        ));
}

fn freshest_crl_der(url: &str) -> Option<Vec<u8>> {
    let name = GeneralName::UniformResourceIdentifier(Ia5String::new(url).ok()?);
    FreshestCrl(vec![DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![name])),
        reasons: None,
        crl_issuer: None,
    }])
    .to_der()
    .ok()
}

fn aia_der(url: &str) -> Option<Vec<u8>> {
    let access = AuthorityInfoAccessSyntax(vec![AccessDescription {
        access_method: const_oid::db::rfc5280::ID_AD_OCSP,
        access_location: GeneralName::UniformResourceIdentifier(Ia5String::new(url).ok()?),
    }]);
    access.to_der().ok()
}
