//! X.509 verification errors the harness's OpenSSL server sets from its verify callback, so
//! that OpenSSL sends the alert it maps each one to (`ssl_x509err2alert`). The crate builds an
//! arbitrary `X509VerifyResult` only through an `unsafe` constructor; the codes here are a
//! closed set that OpenSSL defines, which is what makes that call sound.

use openssl::x509::X509VerifyResult;

/// A verification error the harness reports to OpenSSL itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// `X509_V_ERR_CERT_REVOKED` (23): OpenSSL answers `certificate_revoked`.
    CertRevoked,
    /// `X509_V_ERR_OCSP_VERIFY_FAILED` (74, "OCSP verification failed"; OpenSSL 3.0 and
    /// later): the status could not be established through OCSP. OpenSSL 3.0 has no alert of
    /// its own for it and answers `certificate_unknown`.
    OcspVerifyFailed,
    /// `X509_V_ERR_APPLICATION_VERIFICATION` (50, "application verification failure"): the
    /// server's own check (an allow-list) refused a valid chain. OpenSSL answers
    /// `handshake_failure`.
    ApplicationVerification,
}

impl VerifyError {
    /// The `X509_V_ERR_*` code.
    pub fn code(self) -> i32 {
        match self {
            VerifyError::CertRevoked => 23,
            VerifyError::OcspVerifyFailed => 74,
            VerifyError::ApplicationVerification => 50,
        }
    }

    /// The value `X509StoreContextRef::set_error` takes. Before OpenSSL 3.0 (which has no code
    /// 74), `OcspVerifyFailed` becomes `X509_V_ERR_UNSPECIFIED` (1).
    pub fn result(self) -> X509VerifyResult {
        let code = match self {
            VerifyError::OcspVerifyFailed if openssl::version::number() < 0x3000_0000 => 1,
            other => other.code(),
        };
        // SAFETY: `from_raw` is unsafe because some methods of the result are not thread safe
        // for a code OpenSSL does not know; every code here is defined in OpenSSL's x509_vfy.h
        // (74 since 3.0, hence the version check above; 1, 23 and 50 for far longer).
        unsafe { X509VerifyResult::from_raw(code) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_ones_openssl_names() {
        assert_eq!(
            VerifyError::CertRevoked.result().error_string(),
            "certificate revoked"
        );
        assert_eq!(
            VerifyError::OcspVerifyFailed.result().error_string(),
            "OCSP verification failed"
        );
        assert_eq!(
            VerifyError::ApplicationVerification.result().error_string(),
            "application verification failure"
        );
    }
}
