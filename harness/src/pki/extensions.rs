//! Certificate extensions rcgen has no field for, as DER: where to ask about revocation
//! (Authority Information Access with the OCSP URL, CRL distribution point), OCSP Must-Staple
//! (RFC 7633) and the delegated responder's `id-pkix-ocsp-nocheck`.

use der::asn1::Ia5String;
use der::Encode;
use rcgen::{CertificateParams, CrlDistributionPoint, CustomExtension};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{AccessDescription, AuthorityInfoAccessSyntax};

/// id-pe-authorityInfoAccess.
const AIA: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 1];
/// id-pe-tlsfeature (RFC 7633).
const TLS_FEATURE: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 24];
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

/// Where a leaf's revocation status is published: the revocation service's base URL, and
/// into how many shards the leaves' CRL is split (1: one CRL at [`crl_url`]).
#[derive(Clone, Copy, Debug)]
pub struct RevocationUrls<'a> {
    /// `http://127.0.0.1:PORT`.
    pub base: &'a str,
    /// CRL shards (serial mod N); 1: not sharded.
    pub crl_shards: u16,
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

fn aia_der(url: &str) -> Option<Vec<u8>> {
    let access = AuthorityInfoAccessSyntax(vec![AccessDescription {
        access_method: const_oid::db::rfc5280::ID_AD_OCSP,
        access_location: GeneralName::UniformResourceIdentifier(Ia5String::new(url).ok()?),
    }]);
    access.to_der().ok()
}
