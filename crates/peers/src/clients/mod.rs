//! The client side: the in-process load clients (rustls, and OpenSSL through the `openssl`
//! crate), the process clients (`openssl s_client`, node, curl, `gnutls-cli`: one process per
//! handshake; the Go and Java clients: one program per case, driven through its stdin), which
//! client can present which credential, and the deliberately misbehaving credentials in
//! [`danger`].

pub mod danger;
mod driver;
mod evidence;
mod openssl;
mod openssl_evidence;
pub mod process;
mod process_kind;
mod rustls;
mod session_store;
mod staple_check;
mod weak_key;

pub use self::openssl::{OpensslClient, OpensslClientError, OpensslStream};
pub use self::rustls::{ClientError, RustlsClient};
