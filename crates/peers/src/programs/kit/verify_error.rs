//! What an OpenSSL verification error (`X509_V_ERR_*`) means as an outcome, for the peers
//! built on OpenSSL that name the error instead of sending its alert (nginx's HTTP 400 and its
//! error log, node's close after the handshake): the class of the alert OpenSSL sends for it
//! elsewhere, so their verdicts line up with the other OpenSSL-based peers'.

use crate::measure::Outcome;

/// The outcome class for an OpenSSL verification error code (`X509_V_ERR_*`): the alert
/// OpenSSL 3 sends for it (its `ssl_x509err2alert` table), so nginx's HTTP 400 verdicts line
/// up with the alerts the other OpenSSL-based peers send.
pub fn outcome_for_verify_error(code: i32) -> Outcome {
    match code {
        // UNSPECIFIED, OUT_OF_MEM, INVALID_CALL, STORE_LOOKUP
        1 | 17 | 69 | 70 => Outcome::InternalError,
        // UNABLE_TO_GET_ISSUER_CERT, UNABLE_TO_GET_CRL, DEPTH_ZERO_SELF_SIGNED_CERT,
        // SELF_SIGNED_CERT_IN_CHAIN, UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
        // UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_CHAIN_TOO_LONG, INVALID_CA,
        // PATH_LENGTH_EXCEEDED, UNABLE_TO_GET_CRL_ISSUER
        2 | 3 | 18..=22 | 24 | 25 | 33 => Outcome::UnknownCa,
        // CERT_SIGNATURE_FAILURE, CRL_SIGNATURE_FAILURE
        7 | 8 => Outcome::DecryptError,
        // CERT_HAS_EXPIRED, CRL_HAS_EXPIRED
        10 | 12 => Outcome::CertExpired,
        23 => Outcome::CertRevoked,
        // INVALID_PURPOSE
        26 => Outcome::UnsupportedCertificate,
        // APPLICATION_VERIFICATION
        50 => Outcome::HandshakeFailure,
        // UNABLE_TO_DECRYPT_CERT/CRL_SIGNATURE, UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY,
        // CERT_NOT_YET_VALID, CRL_NOT_YET_VALID, the time-field errors, CERT_UNTRUSTED,
        // CERT_REJECTED, HOSTNAME/EMAIL/IP_ADDRESS_MISMATCH, DANE_NO_MATCH, EE/CA_KEY_TOO_SMALL,
        // CA_MD_TOO_WEAK, EC_KEY_EXPLICIT_PARAMS
        4..=6 | 9 | 11 | 13..=16 | 27 | 28 | 62..=68 | 94 => Outcome::BadCertificate,
        // Anything else: the table's last entry.
        _ => Outcome::CertificateUnknown,
    }
}
