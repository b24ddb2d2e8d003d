//! Session resumption for the OpenSSL client. Offering a saved session is `unsafe` in the
//! `openssl` crate (`SslRef::set_session`): the session must belong to the `SslContext` the
//! connection was made from. [`ResumingContext`] makes that hold by construction: it owns one
//! context, sessions enter its store only through that context's own new-session callback, and
//! it offers them only on connections it creates from that context.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use openssl::error::ErrorStack;
use openssl::ssl::{
    Ssl, SslContext, SslContextBuilder, SslSession, SslSessionCacheMode, SslSessionRef, SslVersion,
};

/// Sessions kept per context (TLS 1.3 servers send several tickets per handshake).
const KEPT: usize = 8;

/// An `SslContext` with the sessions its connections received.
pub struct ResumingContext {
    context: SslContext,
    sessions: Arc<Mutex<VecDeque<SslSession>>>,
}

impl ResumingContext {
    /// Finishes `builder`. With `keep_sessions`, every session its connections receive is
    /// stored (session IDs and TLS 1.2 tickets after the handshake, TLS 1.3 tickets when they
    /// arrive after it); without, none is, and none is ever offered.
    pub fn new(mut builder: SslContextBuilder, keep_sessions: bool) -> Self {
        let sessions = Arc::new(Mutex::new(VecDeque::with_capacity(KEPT)));
        if !keep_sessions {
            builder.set_session_cache_mode(SslSessionCacheMode::OFF);
            return Self {
                context: builder.build(),
                sessions,
            };
        }
        let store = Arc::clone(&sessions);
        // Client caching must be on for the callback to run; the library's own store stays
        // off (a client never looks sessions up there).
        builder.set_session_cache_mode(
            SslSessionCacheMode::CLIENT | SslSessionCacheMode::NO_INTERNAL_STORE,
        );
        builder.set_new_session_callback(move |_, session| {
            // A copy, not the connection's own session object: OpenSSL marks that one
            // unresumable when the connection is freed without the client's close_notify
            // (`ssl_clear_bad_session`), and the load engine drops a connection once the
            // server's reply and close_notify are in. The DER round trip is how `s_client
            // -sess_out` saves a session too.
            let Some(copy) = copy_of(&session) else {
                tracing::debug!("a session could not be copied; not kept");
                return;
            };
            let mut kept = store.lock().unwrap_or_else(|p| p.into_inner());
            if kept.len() == KEPT {
                kept.pop_front();
            }
            kept.push_back(copy);
        });
        Self {
            context: builder.build(),
            sessions,
        }
    }

    /// Whether a session is stored.
    pub fn has_session(&self) -> bool {
        !self
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    /// A new connection of this context; with `resume`, offering the newest stored session. A
    /// TLS 1.3 ticket is used once (RFC 8446 C.4: clients should not reuse a ticket) and leaves
    /// the store; a TLS 1.2 session stays for the next connection.
    ///
    /// # Errors
    /// When OpenSSL cannot create the connection or refuses the session.
    pub fn ssl(&self, resume: bool) -> Result<Ssl, ErrorStack> {
        let mut ssl = Ssl::new(&self.context)?;
        if resume {
            let session = {
                let mut kept = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
                match kept.back() {
                    Some(s) if s.protocol_version() == SslVersion::TLS1_3 => kept.pop_back(),
                    // The connection gets its own copy, so that its unclean end leaves the
                    // kept one resumable (see `new`).
                    Some(s) => copy_of(s),
                    None => None,
                }
            };
            if let Some(session) = session {
                // SAFETY: every stored session is a copy of one handed to the new-session
                // callback of `self.context` (installed in `new`, before the context was
                // built, and never replaced: the builder is consumed), so it was established
                // by a connection of that context; `ssl` was just created from the same
                // context.
                unsafe { ssl.set_session(&session)? };
            }
        }
        Ok(ssl)
    }
}

/// An independent copy of `session` (a DER round trip).
fn copy_of(session: &SslSessionRef) -> Option<SslSession> {
    session
        .to_der()
        .and_then(|der| SslSession::from_der(&der))
        .ok()
}
