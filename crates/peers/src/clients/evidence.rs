//! Verdict evidence from the rustls client: a wrapper around the client's certificate resolver.
//! rustls calls `resolve(root_hint_subjects, sigschemes)` only when the server sent a
//! CertificateRequest, and what it returns (with a signing scheme the server allows) is what
//! the client's Certificate message carries, else the message is empty. The wrapper records
//! both into the attempt's evidence cell (`load::record_request`, `load::record_answer`) and
//! changes nothing the client sends.

use std::sync::{Arc, Mutex};

use der::Decode;
use rustls::client::ResolvesClientCert;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, SignatureScheme};

use crate::load::{record_answer, record_request};
use crate::measure::{CertAnswer, CertRequest};

/// `config` with its certificate resolver wrapped so that every handshake records its
/// evidence.
pub fn observing(mut config: ClientConfig) -> ClientConfig {
    config.client_auth_cert_resolver = Arc::new(Observed {
        inner: Arc::clone(&config.client_auth_cert_resolver),
        last: Mutex::default(),
    });
    config
}

/// The wrapped resolver.
#[derive(Debug)]
struct Observed {
    inner: Arc<dyn ResolvesClientCert>,
    /// The last request seen, raw and in words (servers send the same one every time, so the
    /// names are decoded once).
    last: Mutex<Option<(Raw, CertRequest)>>,
}

/// A CertificateRequest's CA names and schemes as received.
#[derive(Debug, PartialEq)]
struct Raw {
    ca_names: Vec<Vec<u8>>,
    sig_schemes: Vec<SignatureScheme>,
}

impl Observed {
    fn request(&self, root_hint_subjects: &[&[u8]], sigschemes: &[SignatureScheme]) -> CertRequest {
        let same = |raw: &Raw| {
            raw.sig_schemes == sigschemes
                && raw.ca_names.len() == root_hint_subjects.len()
                && raw
                    .ca_names
                    .iter()
                    .zip(root_hint_subjects)
                    .all(|(a, b)| a == b)
        };
        // A poisoned lock only means a panic elsewhere; the cache is still a valid value.
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((raw, request)) = last.as_ref() {
            if same(raw) {
                return request.clone();
            }
        }
        let request = CertRequest::bounded(
            root_hint_subjects.iter().map(|der| dn_text(der)),
            sigschemes.iter().map(|s| scheme_name(*s)),
        );
        *last = Some((
            Raw {
                ca_names: root_hint_subjects.iter().map(|d| d.to_vec()).collect(),
                sig_schemes: sigschemes.to_vec(),
            },
            request.clone(),
        ));
        request
    }
}

impl ResolvesClientCert for Observed {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        record_request(self.request(root_hint_subjects, sigschemes));
        let chosen = self.inner.resolve(root_hint_subjects, sigschemes);
        // rustls sends the certificate only when its key can sign with a scheme the server
        // allows (`ClientAuthDetails::resolve`), else an empty Certificate message.
        let sent = chosen
            .as_ref()
            .is_some_and(|c| c.key.choose_scheme(sigschemes).is_some());
        record_answer(if sent {
            CertAnswer::Certificate
        } else {
            CertAnswer::Empty
        });
        chosen
    }

    fn only_raw_public_keys(&self) -> bool {
        self.inner.only_raw_public_keys()
    }

    fn has_certs(&self) -> bool {
        self.inner.has_certs()
    }
}

/// A distinguished name (DER) as an RFC 4514 string; one that does not parse is shown by its
/// bytes in hex, so a garbled name is still told apart.
fn dn_text(der: &[u8]) -> String {
    match x509_cert::name::Name::from_der(der) {
        Ok(name) => name.to_string(),
        Err(_) => {
            let hex: String = der
                .iter()
                .take(crate::measure::MAX_CA_NAME_BYTES / 2)
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("undecodable:{hex}")
        }
    }
}

/// A signature scheme's registry name (`ECDSA_NISTP256_SHA256`), or its code point.
fn scheme_name(scheme: SignatureScheme) -> String {
    match scheme.as_str() {
        Some(name) => name.to_string(),
        None => format!("0x{:04x}", u16::from(scheme)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_schemes_are_in_words() {
        let name = x509_cert::name::Name::from_str("CN=mtls-harness root,O=test").unwrap();
        let der = der::Encode::to_der(&name).unwrap();
        assert_eq!(dn_text(&der), "CN=mtls-harness root,O=test");
        assert!(dn_text(b"\x01\x02").starts_with("undecodable:0102"));
        assert_eq!(
            scheme_name(SignatureScheme::ECDSA_NISTP256_SHA256),
            "ECDSA_NISTP256_SHA256"
        );
        assert_eq!(scheme_name(SignatureScheme::Unknown(0xfefe)), "0xfefe");
    }

    use std::str::FromStr;
}
