//! What runs inside `mtls-harness serve`: the built-in rustls and OpenSSL servers (one file
//! each), what they share per connection ([`conn`]), their revocation sources
//! ([`revocation`]; in mode `crl-http` the CRL each client's distribution point names,
//! `crl_points`), certificate rotation, and the extra client checks the rustls server adds
//! after its verifier ([`post_check`]: allow-list, signature schemes, OCSP).

mod accept;
pub mod allow_list;
mod conn;
mod crl_points;
mod limits;
mod names;
mod openssl;
mod openssl_ocsp;
mod pem;
pub mod post_check;
mod revocation;
mod revocation_settings;
pub mod revocation_verifier;

mod rustls;
pub mod scheme_filter;
mod staple;
pub mod status;

pub use conn::RESPONSE;
mod settings;

#[cfg(feature = "cli")]
pub use revocation_settings::RevocationFlags;
pub use revocation_settings::{CrlCheck, OcspClients, OcspQuery, ServerRevocation, Stapling};
pub use settings::{BuiltinServer, Identity, ServeError, ServerSettings};

/// Runs the server `args` name until SIGTERM or SIGINT.
///
/// # Errors
/// When the settings cannot be read, the configuration cannot be built or the socket cannot be
/// bound.
pub fn serve(settings: &ServerSettings) -> Result<(), ServeError> {
    pem::check(settings)?;
    if let Some(path) = &settings.status {
        status::open(path).map_err(|e| ServeError::File {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    }
    match settings.implementation {
        BuiltinServer::Openssl => self::openssl::serve(settings),
        BuiltinServer::Rustls => self::rustls::serve(settings),
    }
}
