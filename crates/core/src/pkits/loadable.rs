//! The CRLs a stack refuses to load at all: rustls (webpki) parses every CRL it is given when
//! its client verifier is built and refuses the whole configuration on one it cannot parse
//! (an unknown critical extension, an indirect CRL, ...), so a `rustls` server given such a CRL
//! does not start. Asked here in process, with the same verifier builder the built-in server
//! uses, so such CRLs are left out of that peer's file and the tests that need them are
//! skipped with webpki's reason, while the rest of the group still runs. The other stacks load
//! what they cannot use and judge it per handshake.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use rustls::server::WebPkiClientVerifier;

use crate::scenario::ServerImpl;

/// Why `server` refuses to load `crl` (DER), or `None` when it loads it.
pub fn refusal(server: ServerImpl, anchor: &[u8], crl: &[u8]) -> Option<String> {
    if server != ServerImpl::Rustls {
        return None;
    }
    let mut roots = rustls::RootCertStore::empty();
    if let Err(e) = roots.add(CertificateDer::from(anchor.to_vec())) {
        return Some(format!("the trust anchor: {e}"));
    }
    let provider = crate::peers::tls::rustls::provider(&[]);
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .with_crls([CertificateRevocationListDer::from(crl.to_vec())])
        .build()
        .err()
        .map(|e| format!("rustls (webpki) refuses to load the CRL: {e}"))
}
