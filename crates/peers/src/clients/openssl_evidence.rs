//! The OpenSSL client's verdict evidence, from the handshake messages OpenSSL shows it
//! (`sys::observe_handshake`): the server's CertificateRequest and the client's Certificate
//! (empty or not), during the handshake or after it, and whether the server asked only after
//! the handshake: a TLS 1.3 CertificateRequest after the server's Finished (post-handshake
//! authentication, RFC 8446 4.6.2) or a TLS 1.2 HelloRequest (a renegotiation, RFC 5246
//! 7.4.1.1), as servers that ask for a certificate only for some paths do. Recorded into the
//! attempt's evidence cell (`load::record_*`), which the callback reaches because OpenSSL
//! calls it while the attempt's future is polled.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use openssl::error::ErrorStack;
use openssl::ex_data::Index;
use openssl::ssl::{Ssl, SslContextBuilder, SslRef, SslVersion};

use crate::load::{record_answer, record_late_request, record_request};
use crate::measure::{CertAnswer, CertRequest, LateRequest};
use crate::sys::HandshakeMessage;

/// Handshake types (RFC 8446 4, RFC 5246 7.4).
const HELLO_REQUEST: u8 = 0;
const CERTIFICATE: u8 = 11;
const CERTIFICATE_REQUEST: u8 = 13;
const FINISHED: u8 = 20;

/// What one connection has seen so far.
#[derive(Default)]
struct Seen {
    /// The server's Finished arrived: the handshake is over, a CertificateRequest now is a
    /// post-handshake one.
    server_finished: AtomicBool,
}

/// The ex data slot each connection keeps its [`Seen`] in.
fn index() -> Result<Index<Ssl, Seen>, ErrorStack> {
    static INDEX: OnceLock<Index<Ssl, Seen>> = OnceLock::new();
    if let Some(i) = INDEX.get() {
        return Ok(*i);
    }
    let i = Ssl::new_ex_index::<Seen>()?;
    Ok(*INDEX.get_or_init(|| i))
}

/// Makes `builder`'s connections offer post-handshake authentication and report what they see
/// of client authentication (each connection needs [`watch`] too).
///
/// # Errors
/// When OpenSSL refuses the callback.
pub(super) fn observe(builder: &mut SslContextBuilder) -> Result<(), ErrorStack> {
    crate::sys::offer_post_handshake_auth(builder);
    index()?;
    crate::sys::observe_handshake(builder, on_message)
}

/// Gives `ssl` its state for [`on_message`].
///
/// # Errors
/// When the ex data slot cannot be made.
pub(super) fn watch(ssl: &mut Ssl) -> Result<(), ErrorStack> {
    ssl.set_ex_data(index()?, Seen::default());
    Ok(())
}

fn on_message(ssl: &SslRef, m: HandshakeMessage<'_>) {
    let Some(seen) = index().ok().and_then(|i| ssl.ex_data(i)) else {
        return;
    };
    let tls13 = ssl.version2() == Some(SslVersion::TLS1_3);
    match (m.sent, m.kind) {
        (false, FINISHED) => seen.server_finished.store(true, Ordering::Relaxed),
        (false, HELLO_REQUEST) => record_late_request(LateRequest::Renegotiation),
        (false, CERTIFICATE_REQUEST) => {
            if tls13 && seen.server_finished.load(Ordering::Relaxed) {
                record_late_request(LateRequest::PostHandshake);
            }
            // OpenSSL shows the names through SSL_get_client_CA_list only after the fact;
            // that a request came is what grading needs.
            record_request(CertRequest::bounded([], []));
        }
        (true, CERTIFICATE) => {
            if let Some(empty) = certificate_list_empty(m.bytes, tls13) {
                record_answer(if empty {
                    CertAnswer::Empty
                } else {
                    CertAnswer::Certificate
                });
            }
        }
        _ => {}
    }
}

/// Whether a Certificate message (header included) carries no certificate: its
/// certificate_list is empty (RFC 8446 4.4.2, after the request context; RFC 5246 7.4.2).
/// `None` for a message too short to tell.
fn certificate_list_empty(message: &[u8], tls13: bool) -> Option<bool> {
    let body = message.get(4..)?;
    let list = if tls13 {
        let context = usize::from(*body.first()?);
        body.get(1 + context..)?
    } else {
        body
    };
    let length = list.get(..3)?;
    Some(length == [0, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_certificate_messages_are_told_apart() {
        // TLS 1.3: empty context, empty list; a post-handshake one echoes a context.
        assert_eq!(
            certificate_list_empty(&[11, 0, 0, 4, 0, 0, 0, 0], true),
            Some(true)
        );
        assert_eq!(
            certificate_list_empty(&[11, 0, 0, 6, 2, 7, 7, 0, 0, 0], true),
            Some(true)
        );
        assert_eq!(
            certificate_list_empty(&[11, 0, 0, 9, 0, 0, 0, 5, 0, 0, 2, 1, 2], true),
            Some(false)
        );
        // TLS 1.2: the list straight after the header.
        assert_eq!(
            certificate_list_empty(&[11, 0, 0, 3, 0, 0, 0], false),
            Some(true)
        );
        assert_eq!(
            certificate_list_empty(&[11, 0, 0, 8, 0, 0, 5, 0, 0, 2, 1, 2], false),
            Some(false)
        );
        assert_eq!(certificate_list_empty(&[11, 0, 0], false), None);
        assert_eq!(certificate_list_empty(&[11, 0, 0, 4, 9], true), None);
    }
}
