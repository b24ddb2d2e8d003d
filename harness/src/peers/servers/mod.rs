//! What runs inside `mtls-harness serve`: the built-in rustls and OpenSSL servers (one file
//! each), what they share per connection ([`conn`]), their revocation sources
//! ([`revocation`]), certificate rotation, and the extra client checks the rustls server adds
//! after its verifier ([`post_check`]: allow-list, signature schemes, OCSP).

pub mod allow_list;
mod conn;
mod openssl;
mod openssl_ocsp;
pub mod post_check;
mod revocation;
pub mod revocation_verifier;

mod rustls;
pub mod scheme_filter;
mod staple;

pub use conn::RESPONSE;
mod settings;

pub use settings::{ServeArgs, ServeError};

/// Runs the server `args` name until SIGTERM or SIGINT.
///
/// # Errors
/// When the configuration cannot be built or the socket cannot be bound.
pub fn serve(args: &ServeArgs) -> Result<(), ServeError> {
    if args.implementation == "openssl" {
        return self::openssl::serve(args);
    }
    self::rustls::serve(args)
}
