//! What a target's operator must set for the server to ask the harness's OCSP responder about
//! client certificates, per stack: printed when a target run checks OCSP
//! (`--target-revocation ocsp`).

/// The guidance for the responder at `base_url` (`http://IP:PORT`), one setting a line.
pub(super) fn guidance(base_url: &str) -> String {
    let url = format!("{base_url}/ocsp");
    [
        format!(
            "OCSP responder for the target: {url} (in every client certificate's AIA). Its answers carry the signer's certificate and the CAs up to your anchor (RFC 6960 4.2.1 certs), so a server needs no extra certificate file:"
        ),
        format!(
            "  Apache:  SSLOCSPEnable leaf; SSLOCSPDefaultResponder {url}; SSLOCSPOverrideResponder on (else the AIA decides); SSLOCSPResponderCertificateFile is not needed (it would trust the file's signer without a chain check); keep SSLOCSPUseRequestNonce on (the responder echoes the nonce); 'SSLOCSPEnable on' checks every CA of the chain too"
        ),
        format!(
            "  nginx:   ssl_verify_client on; ssl_ocsp leaf; ssl_ocsp_responder {url}; ssl_ocsp_cache off (a cached answer hides a revocation); 'ssl_ocsp on' checks the intermediates too"
        ),
        "  HAProxy: does not check client certificates by OCSP (its OCSP is its own staple): use --target-revocation crl".to_string(),
        "  s_server: does not check client certificates by OCSP (-status staples its own)".to_string(),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_each_stacks_settings_and_the_url() {
        let text = super::guidance("http://127.0.0.1:8080");
        for needle in [
            "SSLOCSPEnable leaf",
            "SSLOCSPDefaultResponder http://127.0.0.1:8080/ocsp",
            "SSLOCSPResponderCertificateFile",
            "ssl_ocsp leaf; ssl_ocsp_responder http://127.0.0.1:8080/ocsp",
            "HAProxy: does not check client certificates by OCSP",
        ] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
    }
}
