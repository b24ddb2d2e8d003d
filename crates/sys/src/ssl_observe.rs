//! What an OpenSSL client needs to answer a server that asks for a certificate after the
//! handshake, and to see it ask: `SSL_CTX_set_post_handshake_auth` (the TLS 1.3
//! `post_handshake_auth` extension, RFC 8446 4.2.6) and `SSL_CTX_set_msg_callback`, through
//! which OpenSSL shows every handshake message it sends or receives. The `openssl` crate
//! exposes neither; openssl-sys declares the first, the second is declared here.

use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use foreign_types::ForeignTypeRef;
use openssl::error::ErrorStack;
use openssl::ssl::{SslContextBuilder, SslRef};

/// `SSL3_RT_HANDSHAKE`: the content type of handshake messages (the callback also reports
/// record headers and TLS 1.3 inner content types under pseudo types, which are skipped).
const HANDSHAKE: c_int = 22;

/// `SSL_CTRL_SET_MSG_CALLBACK_ARG` from OpenSSL's ssl.h (the `SSL_CTX_set_msg_callback_arg`
/// macro).
const SET_MSG_CALLBACK_ARG: c_int = 16;

/// The callback's C signature.
type MsgCallback = unsafe extern "C" fn(
    write_p: c_int,
    version: c_int,
    content_type: c_int,
    buf: *const c_void,
    len: usize,
    ssl: *mut openssl_sys::SSL,
    arg: *mut c_void,
);

extern "C" {
    // In libssl since 0.9.6, unchanged in 3.x; linked through openssl-sys.
    fn SSL_CTX_set_msg_callback(ctx: *mut openssl_sys::SSL_CTX, cb: Option<MsgCallback>);
}

/// One handshake message OpenSSL sent or received, as it is on the wire (the 4-byte header,
/// type and 24-bit length, then the body).
#[derive(Clone, Copy, Debug)]
pub struct HandshakeMessage<'a> {
    /// The client sent it (false: it came from the server).
    pub sent: bool,
    /// The handshake type (RFC 8446 4: 0 hello_request, 13 certificate_request, 20 finished).
    pub kind: u8,
    /// The whole message, header included.
    pub bytes: &'a [u8],
}

/// What is told about each handshake message, with the connection it belongs to (its
/// negotiated version, its ex data). A plain function: it is stored in the context as its
/// callback argument, and must not keep the message.
pub type HandshakeObserver = fn(&SslRef, HandshakeMessage<'_>);

unsafe extern "C" fn trampoline(
    write_p: c_int,
    _version: c_int,
    content_type: c_int,
    buf: *const c_void,
    len: usize,
    ssl: *mut openssl_sys::SSL,
    arg: *mut c_void,
) {
    if content_type != HANDSHAKE || buf.is_null() || len == 0 || arg.is_null() || ssl.is_null() {
        return;
    }
    // SAFETY: OpenSSL passes `len` readable bytes at `buf` for the duration of the call.
    let bytes = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) };
    // SAFETY: `arg` was set by `observe_handshake` from a `HandshakeObserver` (a fn pointer,
    // which has the size of a data pointer on the platforms Rust and OpenSSL share).
    let observer: HandshakeObserver = unsafe { std::mem::transmute::<*mut c_void, _>(arg) };
    // SAFETY: OpenSSL calls back with the live connection the message belongs to; it is only
    // borrowed for the call, shared (the observer reads it).
    let ssl = unsafe { SslRef::from_ptr(ssl) };
    let message = HandshakeMessage {
        sent: write_p != 0,
        kind: bytes[0],
        bytes,
    };
    // A panic must not unwind into C; an observer that panics loses that message only.
    let _ = catch_unwind(AssertUnwindSafe(|| observer(ssl, message)));
}

/// Calls `observer` with every handshake message a connection of `builder`'s context sends or
/// receives, post-handshake messages included.
///
/// # Errors
/// When OpenSSL refuses the callback argument.
pub fn observe_handshake(
    builder: &mut SslContextBuilder,
    observer: HandshakeObserver,
) -> Result<(), ErrorStack> {
    let ctx = builder.as_ptr();
    // SAFETY: `ctx` comes from a live builder borrowed mutably for these calls. The argument
    // is a fn pointer (valid for the program's life), so OpenSSL may keep it; the callback is
    // `trampoline`, which matches the C signature.
    unsafe {
        if openssl_sys::SSL_CTX_ctrl(ctx, SET_MSG_CALLBACK_ARG, 0, observer as *mut c_void) != 1 {
            return Err(ErrorStack::get());
        }
        SSL_CTX_set_msg_callback(ctx, Some(trampoline));
    }
    Ok(())
}

/// Makes the clients of `builder`'s context offer TLS 1.3 post-handshake authentication
/// (the `post_handshake_auth` extension), so a server may ask for their certificate after the
/// handshake (`SSL_verify_client_post_handshake`) and they answer it.
pub fn offer_post_handshake_auth(builder: &mut SslContextBuilder) {
    // SAFETY: the context pointer comes from a live builder borrowed mutably for the call;
    // the function only sets a flag.
    unsafe { openssl_sys::SSL_CTX_set_post_handshake_auth(builder.as_ptr(), 1) }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use openssl::ssl::{SslContext, SslMethod};

    static SENT: AtomicUsize = AtomicUsize::new(0);

    fn count(_: &SslRef, m: HandshakeMessage<'_>) {
        if m.sent && m.kind == 1 {
            SENT.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The observer sees the ClientHello a client writes (no server needed: the first flight
    /// goes into a memory pipe).
    #[test]
    fn the_observer_sees_the_client_hello() {
        let mut b = SslContext::builder(SslMethod::tls_client()).unwrap();
        observe_handshake(&mut b, count).unwrap();
        offer_post_handshake_auth(&mut b);
        let ctx = b.build();
        let ssl = openssl::ssl::Ssl::new(&ctx).unwrap();
        let pipe = Pipe(Vec::new());
        let mut stream = openssl::ssl::SslStream::new(ssl, pipe).unwrap();
        let _ = stream.connect();
        assert_eq!(SENT.load(Ordering::Relaxed), 1);
        assert_eq!(stream.get_ref().0.first(), Some(&22), "a handshake record");
    }

    /// Writes go into a buffer; reads would block.
    #[derive(Debug)]
    struct Pipe(Vec<u8>);

    impl std::io::Read for Pipe {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::WouldBlock.into())
        }
    }

    impl std::io::Write for Pipe {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
