//! The manifest of what a run minted under a user's CA (`minted.json`): every certificate that
//! chains to it by name (the throwaway sub-CAs, the leaves, the bad credentials, the OCSP
//! responders), with its subject, serial, validity and purpose, so the user can revoke them.

use std::collections::HashSet;
use std::path::Path;

use der::Decode;
use rustls::pki_types::CertificateDer;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::files::{write_file, WriteError};
use super::keys::hex;
use super::model::Pki;

/// One certificate minted under the user's CA.
#[derive(Clone, Debug, Serialize)]
pub struct MintedCert {
    /// What it is for (`sub-CA`, `client-00000`, `client-expired`, `ocsp-responder` ...).
    pub what: String,
    /// Its subject, RFC 4514 style.
    pub subject: String,
    /// Its issuer, RFC 4514 style.
    pub issuer: String,
    /// Its serial, lower-case hex.
    pub serial: String,
    /// Whether it is a CA certificate.
    pub ca: bool,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// SHA-256 of its DER, hex.
    pub sha256: String,
}

/// The manifest: the user's CA and what was minted under it.
#[derive(Debug, Serialize)]
pub struct Minted {
    /// The user's CA (its subject).
    pub issuer: String,
    /// SHA-256 of the user's CA certificate, hex.
    pub issuer_sha256: String,
    /// The latest notAfter of anything minted, RFC 3339.
    pub expires_by: String,
    /// What to do with it.
    pub note: &'static str,
    /// Every certificate, CAs first.
    pub certificates: Vec<MintedCert>,
}

/// Every certificate of `pki` (with its purpose), CAs first.
fn every_cert(pki: &Pki) -> Vec<(String, &CertificateDer<'static>)> {
    let mut out: Vec<(String, &CertificateDer<'static>)> = Vec::new();
    for (i, c) in pki.intermediates.iter().enumerate() {
        out.push((format!("sub-CA {}", i + 1), c));
    }
    for (_, c) in &pki.variant_cas {
        out.push(("CA of the bad credentials".into(), c));
    }
    let ids = [&pki.server, &pki.server_must_staple, &pki.victim]
        .into_iter()
        .chain([&pki.ocsp_responder, &pki.ocsp_unauthorized])
        .chain(&pki.clients)
        .chain(pki.bad_clients.iter().map(|(_, id)| id));
    for id in ids {
        for (k, c) in id.chain.iter().enumerate() {
            let what = if k == 0 {
                id.name.clone()
            } else {
                format!("CA in the chain of {}", id.name)
            };
            out.push((what, c));
        }
    }
    out
}

/// What `pki` minted under the user's CA: every certificate whose issuer is that CA or a CA
/// minted under it (by name), once each; `None` without a user's CA.
pub fn minted(pki: &Pki) -> Option<Minted> {
    let ext = &pki.spec.issuer.as_ref()?.0;
    let parsed: Vec<(String, &CertificateDer<'static>, x509_cert::Certificate)> = every_cert(pki)
        .into_iter()
        .filter_map(|(what, c)| Some((what, c, x509_cert::Certificate::from_der(c).ok()?)))
        .collect();
    let user = x509_cert::Certificate::from_der(&ext.cert).ok()?;
    let mut issuers = vec![user.tbs_certificate.subject.clone()];
    let mut seen: HashSet<String> = HashSet::new();
    let mut certificates = Vec::new();
    // A CA minted below another minted CA is found on a later pass.
    loop {
        let before = certificates.len();
        for (what, der, cert) in &parsed {
            let tbs = &cert.tbs_certificate;
            let sha256 = hex(&Sha256::digest(der.as_ref()));
            if *der.as_ref() == *ext.cert.as_ref()
                || seen.contains(&sha256)
                || !issuers.contains(&tbs.issuer)
            {
                continue;
            }
            seen.insert(sha256.clone());
            let ca = is_ca(cert);
            if ca && !issuers.contains(&tbs.subject) {
                issuers.push(tbs.subject.clone());
            }
            certificates.push(entry(what, cert, ca, sha256));
        }
        if certificates.len() == before {
            break;
        }
    }
    certificates.sort_by_key(|c| !c.ca);
    Some(Minted {
        issuer: ext.subject_text.clone(),
        issuer_sha256: ext.sha256.clone(),
        expires_by: rfc3339(ext.mint.not_after()),
        note: "minted by mtls-harness under your CA for one run; each expires by its not_after. \
               Revoke them (by serial) if your CA's CRL or responder is trusted beyond this run.",
        certificates,
    })
}

fn entry(what: &str, cert: &x509_cert::Certificate, ca: bool, sha256: String) -> MintedCert {
    let tbs = &cert.tbs_certificate;
    let time = |t: &x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs())
            .ok()
            .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
            .map(rfc3339)
            .unwrap_or_default()
    };
    MintedCert {
        what: what.to_string(),
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        serial: hex(tbs.serial_number.as_bytes()),
        ca,
        not_before: time(&tbs.validity.not_before),
        not_after: time(&tbs.validity.not_after),
        sha256,
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Whether `cert` says CA:TRUE.
fn is_ca(cert: &x509_cert::Certificate) -> bool {
    use der::oid::AssociatedOid;
    use x509_cert::ext::pkix::BasicConstraints;
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == <BasicConstraints as AssociatedOid>::OID)
        .any(|e| {
            BasicConstraints::from_der(e.extn_value.as_bytes())
                .map(|bc| bc.ca)
                .unwrap_or(false)
        })
}

/// Writes `minted` as JSON to `path` (mode 0644: it holds no key).
///
/// # Errors
/// When the file cannot be written.
pub fn write_minted(minted: &Minted, path: &Path) -> Result<(), WriteError> {
    let json = serde_json::to_vec_pretty(minted).unwrap_or_default();
    write_file(path, &json, 0o644)
}
