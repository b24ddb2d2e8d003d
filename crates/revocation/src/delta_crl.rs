//! Delta CRLs (RFC 5280 §5.2.4): a small CRL listing the revocations since a base CRL,
//! marked with a critical Delta CRL Indicator naming the base's CRL number. rcgen cannot
//! write that extension, so the delta is built with OpenSSL's CRL builder (as the chain's empty
//! CRLs in `crl_chain.rs` are), signed with the leaves' CA key from the fixture files, and
//! carries the base's own Authority Key Identifier (OpenSSL pairs a delta with its base only
//! when both match). Stacks that take deltas: OpenSSL with `X509_V_FLAG_USE_DELTAS` and
//! `X509_V_FLAG_EXTENDED_CRL_SUPPORT` (`s_server -use_deltas -extended_crl`, the built-in
//! OpenSSL server). Without the second flag OpenSSL 3.0 scores a delta like a complete CRL and
//! picks the newest: a newer delta replaces its base, and a client revoked only in the base
//! verifies (`openssl verify -crl_check [-use_deltas] -CRLfile base -CRLfile delta`: OK; with
//! `-extended_crl`: certificate revoked). nginx, HAProxy and node have no setting for either
//! flag. webpki refuses a CRL with the indicator (`UnsupportedDeltaCrl`).

use std::io;

use der::{Decode, Encode};
use openssl::asn1::{Asn1Integer, Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey};
use openssl::x509::{X509CrlBuilder, X509Extension, X509RevokedBuilder, X509};
use rustls::pki_types::CertificateRevocationListDer;
use x509_cert::crl::CertificateList;

use crate::pki::PkiFiles;

/// id-ce-authorityKeyIdentifier.
const AKI: &str = "2.5.29.35";
/// id-ce-cRLNumber.
const CRL_NUMBER: &str = "2.5.29.20";
/// id-ce-deltaCRLIndicator.
const DELTA_CRL_INDICATOR: &str = "2.5.29.27";

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// An extension whose value is `value` encoded as DER by the `der` crate.
fn extension(oid: &str, critical: bool, value: &impl Encode) -> io::Result<X509Extension> {
    let oid = Asn1Object::from_str(oid).map_err(other)?;
    let der = value.to_der().map_err(other)?;
    let octets = Asn1OctetString::new_from_bytes(&der).map_err(other)?;
    X509Extension::new_from_der(&oid, critical, &octets).map_err(other)
}

/// The Authority Key Identifier extension value of the CRL `base` (DER), as it stands.
fn base_aki(base: &[u8]) -> io::Result<Vec<u8>> {
    let list = CertificateList::from_der(base).map_err(other)?;
    let aki = const_oid::ObjectIdentifier::new_unwrap(AKI);
    list.tbs_cert_list
        .crl_extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == aki)
        .map(|e| e.extn_value.as_bytes().to_vec())
        .ok_or_else(|| other("the base CRL has no authority key identifier"))
}

/// Issues a delta CRL to `base` (the leaves' CA's CRL, whose CRL number is `base_number`),
/// numbered `number` and listing `serials`, signed by the leaves' CA in `files`. Valid from a
/// day ago for 30 days.
///
/// # Errors
/// When a fixture file cannot be read, the base does not parse, or OpenSSL cannot build it.
pub fn issue(
    files: &PkiFiles,
    base: &CertificateRevocationListDer<'_>,
    base_number: u64,
    number: u64,
    serials: &[u64],
) -> io::Result<CertificateRevocationListDer<'static>> {
    if number <= base_number {
        return Err(other("a delta CRL's number must exceed its base's"));
    }
    let (cert, key) = crate::revocation::crl_chain::leaf_issuer(files)?;
    let cert = X509::from_pem(&std::fs::read(cert)?).map_err(other)?;
    let key = PKey::private_key_from_pem(&std::fs::read(key)?).map_err(other)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut b = X509CrlBuilder::new().map_err(other)?;
    b.set_issuer_name(cert.subject_name()).map_err(other)?;
    let last = Asn1Time::from_unix(now - 86_400).map_err(other)?;
    let next = Asn1Time::days_from_now(30).map_err(other)?;
    b.set_last_update(&last).map_err(other)?;
    b.set_next_update(&next).map_err(other)?;
    for &serial in serials {
        let mut r = X509RevokedBuilder::new().map_err(other)?;
        let n = BigNum::from_slice(&serial.to_be_bytes()).map_err(other)?;
        let n = Asn1Integer::from_bn(&n).map_err(other)?;
        r.set_serial_number(&n).map_err(other)?;
        r.set_revocation_date(&last).map_err(other)?;
        b.add_revoked(r.build()).map_err(other)?;
    }
    let aki = base_aki(base.as_ref())?;
    let oid = Asn1Object::from_str(AKI).map_err(other)?;
    let octets = Asn1OctetString::new_from_bytes(&aki).map_err(other)?;
    b.append_extension(X509Extension::new_from_der(&oid, false, &octets).map_err(other)?)
        .map_err(other)?;
    b.append_extension(extension(CRL_NUMBER, false, &number)?)
        .map_err(other)?;
    b.append_extension(extension(DELTA_CRL_INDICATOR, true, &base_number)?)
        .map_err(other)?;
    let digest = if key.id() == Id::ED25519 {
        MessageDigest::null()
    } else {
        MessageDigest::sha256()
    };
    b.sign(&key, digest).map_err(other)?;
    let der = b.build().and_then(|c| c.to_der()).map_err(other)?;
    Ok(CertificateRevocationListDer::from(der))
}
