//! CRLs for the whole client chain, for peers that check every CA (nginx's `ssl_crl` turns on
//! OpenSSL's CRL_CHECK_ALL): the case's CRL from the leaves' CA, plus an empty, fresh CRL from
//! each CA above it (the root covering the first intermediate, and so on), signed with the
//! fixtures' CA keys. Without them such a peer cannot determine the intermediates' status and
//! refuses every client.

use std::io;
use std::path::{Path, PathBuf};

use openssl::asn1::{Asn1Object, Asn1OctetString, Asn1Time};
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey};
use openssl::x509::{X509Crl, X509CrlBuilder, X509Extension, X509};

use crate::pki::PkiFiles;

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// The CA certificates and keys of the fixtures, root first, then the intermediates in order.
fn cas(files: &PkiFiles) -> io::Result<Vec<(PathBuf, PathBuf)>> {
    let ca = files.dir.join("ca");
    let mut out = vec![(ca.join("root.crt"), ca.join("root.key"))];
    for i in 1.. {
        let cert = ca.join(format!("intermediate-{i}.crt"));
        if !cert.exists() {
            break;
        }
        out.push((cert, ca.join(format!("intermediate-{i}.key"))));
    }
    Ok(out)
}

/// The leaves' issuer's certificate and key files (the lowest intermediate).
///
/// # Errors
/// When the fixtures have no CA files.
pub fn leaf_issuer(files: &PkiFiles) -> io::Result<(PathBuf, PathBuf)> {
    cas(files)?
        .pop()
        .ok_or_else(|| other("the fixtures have no CA"))
}

/// An empty CRL issued by the CA in `cert`/`key`, valid from a day ago for 30 days.
fn empty_crl(cert: &Path, key: &Path) -> io::Result<X509Crl> {
    let cert = X509::from_pem(&std::fs::read(cert)?).map_err(other)?;
    let key = PKey::private_key_from_pem(&std::fs::read(key)?).map_err(other)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut b = X509CrlBuilder::new().map_err(other)?;
    b.set_issuer_name(cert.subject_name()).map_err(other)?;
    let last = Asn1Time::from_unix(now - 86_400).map_err(other)?;
    let next = Asn1Time::days_from_now(30).map_err(other)?;
    b.set_last_update(&last).map_err(other)?;
    b.set_next_update(&next).map_err(other)?;
    // authorityKeyIdentifier (2.5.29.35): SEQUENCE { [0] keyIdentifier }, the issuer's SKI.
    let ski = cert
        .subject_key_id()
        .ok_or_else(|| other("the CA certificate has no subject key identifier"))?
        .as_slice()
        .to_vec();
    let len = u8::try_from(ski.len()).map_err(other)?;
    let mut aki = vec![0x30, len + 2, 0x80, len];
    aki.extend(ski);
    let oid = Asn1Object::from_str("2.5.29.35").map_err(other)?;
    let value = Asn1OctetString::new_from_bytes(&aki).map_err(other)?;
    b.append_extension(X509Extension::new_from_der(&oid, false, &value).map_err(other)?)
        .map_err(other)?;
    // cRLNumber (2.5.29.20): INTEGER 1.
    let oid = Asn1Object::from_str("2.5.29.20").map_err(other)?;
    let value = Asn1OctetString::new_from_bytes(&[0x02, 0x01, 0x01]).map_err(other)?;
    b.append_extension(X509Extension::new_from_der(&oid, false, &value).map_err(other)?)
        .map_err(other)?;
    let digest = if key.id() == Id::ED25519 {
        MessageDigest::null()
    } else {
        MessageDigest::sha256()
    };
    b.sign(&key, digest).map_err(other)?;
    b.build().map_err(other)
}

/// Writes to `out` the case's CRL (`leaf_crl`, PEM or DER) followed by an empty CRL from each
/// CA above the leaves' issuer, all PEM.
///
/// # Errors
/// When a file cannot be read or written or OpenSSL cannot build a CRL.
pub fn write(files: &PkiFiles, leaf_crl: &Path, out: &Path) -> io::Result<PathBuf> {
    let bytes = std::fs::read(leaf_crl)?;
    let mut pem = if bytes.starts_with(b"-----BEGIN") {
        bytes
    } else {
        X509Crl::from_der(&bytes)
            .and_then(|c| c.to_pem())
            .map_err(other)?
    };
    let cas = cas(files)?;
    // Every CA but the last (the leaves' issuer, whose CRL is the case's).
    for (cert, key) in cas.iter().take(cas.len().saturating_sub(1)) {
        pem.extend(empty_crl(cert, key)?.to_pem().map_err(other)?);
    }
    crate::fsutil::write_atomic(out, &pem, 0o644)?;
    Ok(out.to_path_buf())
}
