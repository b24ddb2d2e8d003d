//! Certificate revocation lists for the leaves: issued by the lowest intermediate (the leaves'
//! issuer), listing the `revoked` client plus any number of filler serials, so a CRL can be
//! as large as a real fleet's (0 to 1,000,000 entries).

use std::path::Path;
use std::sync::Arc;

use rcgen::{
    CertificateRevocationListParams, CrlDistributionPoint, CrlIssuingDistributionPoint,
    RevocationReason, RevokedCertParams, SerialNumber,
};
use rustls::pki_types::CertificateRevocationListDer;
use time::Duration;

use strum::{EnumCount, VariantArray};

use super::ca::Ca;
use super::extensions::{crl_shard_of, crl_shard_url};
use super::files::{write_file, WriteError};
use super::mint::Mint;
use super::model::Pki;
use super::names::UnknownName;
use super::params::IssueError;
use super::variants::REVOKED_SERIAL;

/// What kind of CRL to issue: a good one, or one a careful verifier cannot use.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantNames,
    strum::VariantArray,
    strum::EnumCount,
)]
#[serde(rename_all = "kebab-case")]
#[strum(
    serialize_all = "kebab-case",
    parse_err_ty = UnknownName,
    parse_err_fn = UnknownName::quoted::<Self>
)]
pub enum CrlKind {
    /// Signed by the leaves' CA, `nextUpdate` far ahead.
    Fresh,
    /// `nextUpdate` passed (a year before the anchor, so before any wall clock the fixtures
    /// accept).
    Stale,
    /// The leaves' CA's name and key identifier, but signed with another key.
    BadSignature,
    /// Issued under another CA's name: the leaves' CA has no CRL at all.
    OtherIssuer,
    /// `thisUpdate` in the future (31 years after the anchor, like `not-yet-valid` leaves).
    NotYetValid,
    /// Fresh, but the `revoked` client is on hold (reason certificateHold) rather than revoked
    /// for good: it must be rejected while held.
    Hold,
    /// Fresh, but issued by the CA without cRLSign (the `no-crl-sign-issuer` client's), so a
    /// careful verifier cannot use it.
    IssuerNoCrlSign,
}

impl CrlKind {
    /// Every kind, in declaration order (the order of the names in "expected one of ...").
    pub const ALL: [CrlKind; CrlKind::COUNT] = match <Self as VariantArray>::VARIANTS.first_chunk()
    {
        Some(all) => *all,
        // VARIANTS has exactly COUNT elements (both list every variant): never reached.
        None => panic!("strum's VARIANTS is shorter than COUNT"),
    };

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Whether a careful verifier can use the CRL (it is then read as it stands).
    pub fn usable(self) -> bool {
        matches!(self, CrlKind::Fresh | CrlKind::Hold)
    }
}

/// First serial of the filler entries (far from every serial the fixtures use).
const FILLER_SERIAL_BASE: u64 = 1_000_000_000;

/// Which part of the leaves' revocations a CRL lists.
#[derive(Clone, Copy, Debug)]
pub struct CrlScope<'a> {
    /// Lists the `revoked` client (off for a delta CRL's base: the delta lists it).
    pub revoked_client: bool,
    /// Only the serials of one shard, with an Issuing Distribution Point naming its URL.
    pub shard: Option<CrlShard<'a>>,
}

impl CrlScope<'_> {
    /// Every revocation, one CRL without an Issuing Distribution Point.
    pub const FULL: CrlScope<'static> = CrlScope {
        revoked_client: true,
        shard: None,
    };
}

/// Shard `index` of `of` (serial mod `of`), published under `base_url`.
#[derive(Clone, Copy, Debug)]
pub struct CrlShard<'a> {
    /// Which shard (0 to `of` - 1).
    pub index: u16,
    /// How many shards.
    pub of: u16,
    /// The revocation service the shard's URL is under.
    pub base_url: &'a str,
}

impl CrlShard<'_> {
    fn lists(&self, serial: u64) -> bool {
        crl_shard_of(serial, self.of) == self.index
    }
}

/// Issues a CRL of `kind` listing the `revoked` client, the serials in `also_revoked` (e.g.
/// [`super::VICTIM_SERIAL`]) and `extra_entries` filler serials. A fresh CRL's `thisUpdate` is
/// a day before the anchor and its `nextUpdate` thirty years after, so it is fresh whatever the
/// wall clock within the fixtures' validity.
///
/// # Errors
/// When rcgen cannot sign it.
pub fn issue_crl(
    pki: &Pki,
    extra_entries: usize,
    crl_number: u64,
    also_revoked: &[u64],
    kind: CrlKind,
) -> Result<CertificateRevocationListDer<'static>, IssueError> {
    issue_crl_scoped(
        pki,
        extra_entries,
        crl_number,
        also_revoked,
        kind,
        CrlScope::FULL,
    )
}

/// Issues every shard of the leaves' CRL (see [`issue_crl`] for what it lists), shard `k`
/// holding the serials with serial mod `shards` = k and an Issuing Distribution Point naming
/// its URL under `base_url`.
///
/// # Errors
/// When rcgen cannot sign one.
pub fn issue_crl_shards(
    pki: &Pki,
    extra_entries: usize,
    crl_number: u64,
    also_revoked: &[u64],
    shards: u16,
    base_url: &str,
) -> Result<Vec<CertificateRevocationListDer<'static>>, IssueError> {
    (0..shards.max(1))
        .map(|index| {
            let scope = CrlScope {
                revoked_client: true,
                shard: Some(CrlShard {
                    index,
                    of: shards,
                    base_url,
                }),
            };
            issue_crl_scoped(
                pki,
                extra_entries,
                crl_number,
                also_revoked,
                CrlKind::Fresh,
                scope,
            )
        })
        .collect()
}

/// [`issue_crl`] for the part of the revocations `scope` names.
///
/// # Errors
/// When rcgen cannot sign it.
pub fn issue_crl_scoped(
    pki: &Pki,
    extra_entries: usize,
    crl_number: u64,
    also_revoked: &[u64],
    kind: CrlKind,
    scope: CrlScope<'_>,
) -> Result<CertificateRevocationListDer<'static>, IssueError> {
    let a = pki.spec.anchor;
    let revoked_at = a - Duration::days(1);
    let revoked_certs = revoked_entries(
        revoked_at,
        (extra_entries, also_revoked),
        kind,
        scope,
        pki.leaf_ca.mint.as_ref(),
    );
    let issuing_distribution_point = scope.shard.map(|s| CrlIssuingDistributionPoint {
        distribution_point: CrlDistributionPoint {
            uris: vec![crl_shard_url(s.base_url, s.index, s.of)],
        },
        scope: None,
    });
    let (this_update, next_update) = match kind {
        CrlKind::Stale => (a - Duration::days(365), a - Duration::days(364)),
        CrlKind::NotYetValid => (a + Duration::days(31 * 365), a + Duration::days(32 * 365)),
        _ => (revoked_at, a + Duration::days(30 * 365)),
    };
    let params_crl = CertificateRevocationListParams {
        this_update,
        next_update,
        crl_number: SerialNumber::from(crl_number),
        issuing_distribution_point,
        revoked_certs,
        // RFC 5280 4.2.1.1: the AKI is the issuer certificate's SKI, copied whatever method
        // made it (a user's CA: what its tool wrote; see `Ca::external`).
        key_identifier_method: match kind {
            CrlKind::IssuerNoCrlSign => pki.no_crl_sign_ca.0.key_identifier_method.clone(),
            _ => pki.leaf_ca.params.key_identifier_method.clone(),
        },
    };
    sign_crl_of_kind(pki, kind, &params_crl)
}

/// The entries of a CRL of `kind` for `scope`, each revoked at `revoked_at`: the `revoked`
/// client (on hold for [`CrlKind::Hold`]), `also_revoked` and `extra_entries` filler serials,
/// those of the scope's shard only. Under a user's CA each serial is the one `mint` minted for
/// it (shards still split by the fixture serial, as the leaves name them).
fn revoked_entries(
    revoked_at: time::OffsetDateTime,
    (extra_entries, also_revoked): (usize, &[u64]),
    kind: CrlKind,
    scope: CrlScope<'_>,
    mint: Option<&Mint>,
) -> Vec<RevokedCertParams> {
    let listed = |serial: u64| scope.shard.is_none_or(|s| s.lists(serial));
    let entry = |serial: u64, reason| RevokedCertParams {
        serial_number: mint.map_or_else(|| SerialNumber::from(serial), |m| m.serial_of(serial)),
        revocation_time: revoked_at,
        reason_code: Some(reason),
        invalidity_date: None,
    };
    let share = extra_entries / usize::from(scope.shard.map_or(1, |s| s.of.max(1)));
    let mut revoked_certs = Vec::with_capacity(share + 2);
    if scope.revoked_client && listed(REVOKED_SERIAL) {
        revoked_certs.push(entry(
            REVOKED_SERIAL,
            match kind {
                CrlKind::Hold => RevocationReason::CertificateHold,
                _ => RevocationReason::KeyCompromise,
            },
        ));
    }
    revoked_certs.extend(
        also_revoked
            .iter()
            .filter(|&&s| listed(s))
            .map(|&s| entry(s, RevocationReason::KeyCompromise)),
    );
    revoked_certs.extend(
        (0..extra_entries as u64)
            .map(|i| FILLER_SERIAL_BASE + i)
            .filter(|&s| listed(s))
            .map(|s| entry(s, RevocationReason::Superseded)),
    );
    revoked_certs
}

/// `params_crl` signed as a CRL of `kind` is: by the leaves' CA, by the CA without cRLSign,
/// in an unrelated issuer's name, or with a key that is not the CA's.
fn sign_crl_of_kind(
    pki: &Pki,
    kind: CrlKind,
    params_crl: &CertificateRevocationListParams,
) -> Result<CertificateRevocationListDer<'static>, IssueError> {
    match kind {
        CrlKind::IssuerNoCrlSign => {
            // rcgen refuses to sign a CRL for an issuer whose key usage lacks cRLSign; the CRL
            // carries only the issuer's name and key identifier, so signing with the key usage
            // left out gives the same bytes the real CA would produce.
            let mut params = pki.no_crl_sign_ca.0.clone();
            params.key_usages = Vec::new();
            Ca::local(params, Arc::clone(&pki.no_crl_sign_ca.1)).sign_crl(params_crl, None, None)
        }
        CrlKind::OtherIssuer => {
            let mut other = pki.leaf_ca.params.clone();
            let mut dn = rcgen::DistinguishedName::new();
            dn.push(
                rcgen::DnType::CommonName,
                "mtls-harness unrelated CRL issuer",
            );
            other.distinguished_name = dn;
            pki.leaf_ca.sign_crl(params_crl, Some(&other), None)
        }
        // The bad signature: the victim's key signs in the CA's name.
        CrlKind::BadSignature => pki
            .leaf_ca
            .sign_crl(params_crl, None, Some(&pki.victim.key)),
        _ => pki.leaf_ca.sign_crl(params_crl, None, None),
    }
}

/// The CRLs a server that checks the whole chain needs (OpenSSL's CRL_CHECK_ALL: nginx
/// `ssl_crl`, `s_server -crl_check_all`, HAProxy `crl-file`): the leaves' fresh CRL (listing
/// the `revoked` client), then an empty CRL from each CA above, down from the root (or the
/// user's CA), and from each CA of the bad variants (so a chain variant is refused for its
/// defect, not for a missing CRL). Every date is laid out from the spec's anchor, so the same spec gives the
/// same CRLs.
///
/// # Errors
/// When a CRL cannot be signed.
pub fn crl_chain(pki: &Pki) -> Result<Vec<CertificateRevocationListDer<'static>>, IssueError> {
    let mut out = vec![issue_crl(pki, 0, 1, &[], CrlKind::Fresh)?];
    let a = pki.spec.anchor;
    let above = pki.cas.iter().take(pki.cas.len().saturating_sub(1));
    // The CA without cRLSign cannot sign a CRL (that is its case).
    let variants = pki.variant_cas.iter().map(|(ca, _)| ca).filter(|ca| {
        ca.params
            .key_usages
            .contains(&rcgen::KeyUsagePurpose::CrlSign)
    });
    for ca in above.chain(variants) {
        let params = CertificateRevocationListParams {
            this_update: a - Duration::days(1),
            next_update: a + Duration::days(30 * 365),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: Vec::new(),
            key_identifier_method: ca.params.key_identifier_method.clone(),
        };
        out.push(ca.sign_crl(&params, None, None)?);
    }
    Ok(out)
}

/// Writes `crl` as PEM (`X509 CRL`) to `path` (atomically: a reader sees the old or the new
/// file, never half of one).
///
/// # Errors
/// When the file cannot be written.
pub fn write_crl(crl: &CertificateRevocationListDer<'_>, path: &Path) -> Result<(), WriteError> {
    write_crls(std::slice::from_ref(crl), path)
}

/// Writes `crls` as one PEM file of `X509 CRL` blocks to `path` (atomically), as the servers
/// load a sharded CRL or a base with its delta: every CRL in one file.
///
/// # Errors
/// When the file cannot be written.
pub fn write_crls(
    crls: &[CertificateRevocationListDer<'_>],
    path: &Path,
) -> Result<(), WriteError> {
    let pems: Vec<pem::Pem> = crls
        .iter()
        .map(|c| pem::Pem::new("X509 CRL", c.to_vec()))
        .collect();
    write_file(path, pem::encode_many(&pems).as_bytes(), 0o644)
}
