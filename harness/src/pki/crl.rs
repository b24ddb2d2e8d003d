//! Certificate revocation lists for the leaves: issued by the lowest intermediate (the leaves'
//! issuer), listing the `revoked` client plus any number of filler serials, so a CRL can be
//! as large as a real fleet's (0 to 1,000,000 entries).

use std::path::Path;
use std::sync::Arc;

use rcgen::{
    CertificateRevocationListParams, KeyIdMethod, RevocationReason, RevokedCertParams, SerialNumber,
};
use rustls::pki_types::CertificateRevocationListDer;
use time::Duration;

use strum::{EnumCount, VariantArray};

use super::ca::Ca;
use super::files::{write_file, WriteError};
use super::issue::REVOKED_SERIAL;
use super::model::Pki;
use super::names::UnknownName;
use super::params::IssueError;

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
    let a = pki.spec.anchor;
    let revoked_at = a - Duration::days(1);
    let entry = |serial: u64, reason| RevokedCertParams {
        serial_number: SerialNumber::from(serial),
        revocation_time: revoked_at,
        reason_code: Some(reason),
        invalidity_date: None,
    };
    let mut revoked_certs = Vec::with_capacity(extra_entries + 1);
    revoked_certs.push(entry(
        REVOKED_SERIAL,
        match kind {
            CrlKind::Hold => RevocationReason::CertificateHold,
            _ => RevocationReason::KeyCompromise,
        },
    ));
    revoked_certs.extend(
        also_revoked
            .iter()
            .map(|&s| entry(s, RevocationReason::KeyCompromise)),
    );
    revoked_certs.extend(
        (0..extra_entries as u64)
            .map(|i| entry(FILLER_SERIAL_BASE + i, RevocationReason::Superseded)),
    );
    let (this_update, next_update) = match kind {
        CrlKind::Stale => (a - Duration::days(365), a - Duration::days(364)),
        CrlKind::NotYetValid => (a + Duration::days(31 * 365), a + Duration::days(32 * 365)),
        _ => (revoked_at, a + Duration::days(30 * 365)),
    };
    let params_crl = CertificateRevocationListParams {
        this_update,
        next_update,
        crl_number: SerialNumber::from(crl_number),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::PreSpecified(match kind {
            CrlKind::IssuerNoCrlSign => pki.no_crl_sign_ca.1.key_identifier(),
            _ => pki.leaf_ca.key.key_identifier(),
        }),
    };
    match kind {
        CrlKind::IssuerNoCrlSign => {
            // rcgen refuses to sign a CRL for an issuer whose key usage lacks cRLSign; the CRL
            // carries only the issuer's name and key identifier, so signing with the key usage
            // left out gives the same bytes the real CA would produce.
            let mut params = pki.no_crl_sign_ca.0.clone();
            params.key_usages = Vec::new();
            Ca::local(params, Arc::clone(&pki.no_crl_sign_ca.1)).sign_crl(&params_crl, None, None)
        }
        CrlKind::OtherIssuer => {
            let mut other = pki.leaf_ca.params.clone();
            let mut dn = rcgen::DistinguishedName::new();
            dn.push(
                rcgen::DnType::CommonName,
                "mtls-harness unrelated CRL issuer",
            );
            other.distinguished_name = dn;
            pki.leaf_ca.sign_crl(&params_crl, Some(&other), None)
        }
        // The bad signature: the victim's key signs in the CA's name.
        CrlKind::BadSignature => pki
            .leaf_ca
            .sign_crl(&params_crl, None, Some(&pki.victim.key)),
        _ => pki.leaf_ca.sign_crl(&params_crl, None, None),
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
    let pem = pem::encode(&pem::Pem::new("X509 CRL", crl.to_vec()));
    write_file(path, pem.as_bytes(), 0o644)
}
