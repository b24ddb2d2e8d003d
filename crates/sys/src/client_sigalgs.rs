//! `SSL_CTX_set1_client_sigalgs_list`: the signature schemes an OpenSSL server lists in its
//! CertificateRequest (and accepts in the client's CertificateVerify). The `openssl` crate
//! exposes only `set_sigalgs_list`, which would also restrict the server's own signature; this
//! is the one C macro the harness needs beyond it (`SSL_CTX_ctrl` with
//! `SSL_CTRL_SET_CLIENT_SIGALGS_LIST`).

use std::ffi::CString;

use openssl::error::ErrorStack;
use openssl::ssl::SslContextBuilder;

/// `SSL_CTRL_SET_CLIENT_SIGALGS_LIST` from OpenSSL's ssl.h (1.0.2 and later).
const SSL_CTRL_SET_CLIENT_SIGALGS_LIST: libc::c_int = 102;

/// Why a list was refused.
#[derive(Debug, thiserror::Error)]
pub enum ClientSigalgsError {
    /// The list holds a NUL byte.
    #[error("the signature algorithm list holds a NUL byte")]
    Nul,
    /// OpenSSL refused the list (an unknown name).
    #[error("OpenSSL refused the signature algorithm list: {0}")]
    OpenSsl(ErrorStack),
}

/// Sets the client signature algorithms of `builder` from an OpenSSL list
/// (`rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256`).
///
/// # Errors
/// When OpenSSL refuses the list (an unknown name), or the list holds a NUL byte.
pub fn set_client_sigalgs_list(
    builder: &mut SslContextBuilder,
    list: &str,
) -> Result<(), ClientSigalgsError> {
    let list = CString::new(list).map_err(|_| ClientSigalgsError::Nul)?;
    // SAFETY: the context pointer comes from a live builder borrowed mutably for the call;
    // SSL_CTX_ctrl with this command reads the NUL-terminated string during the call only
    // (OpenSSL parses it into its own list) and does not keep the pointer.
    let ok = unsafe {
        openssl_sys::SSL_CTX_ctrl(
            builder.as_ptr(),
            SSL_CTRL_SET_CLIENT_SIGALGS_LIST,
            0,
            list.as_ptr() as *mut libc::c_void,
        )
    };
    if ok == 1 {
        Ok(())
    } else {
        Err(ClientSigalgsError::OpenSsl(ErrorStack::get()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::ssl::{SslContext, SslMethod};

    #[test]
    fn known_names_are_taken_and_unknown_ones_refused() {
        let mut b = SslContext::builder(SslMethod::tls_server()).unwrap();
        set_client_sigalgs_list(&mut b, "rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256").unwrap();
        assert!(matches!(
            set_client_sigalgs_list(&mut b, "no_such_scheme"),
            Err(ClientSigalgsError::OpenSsl(_))
        ));
        assert!(matches!(
            set_client_sigalgs_list(&mut b, "ed25519\0"),
            Err(ClientSigalgsError::Nul)
        ));
    }
}
