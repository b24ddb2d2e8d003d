//! The rustls client's session store, observed: a wrapper around rustls's in-memory store that
//! records into the attempt's evidence cell whether the client found a session to offer when
//! it built a resuming ClientHello (`load::record_session_lookup`). rustls looks once per
//! ClientHello (a TLS 1.3 ticket, else a TLS 1.2 session) and takes each TLS 1.3 ticket for
//! one use, so a server that sends no new ticket after a resumption (node's), or concurrent
//! attempts of one identity, can leave it with nothing to offer: that handshake is a full one
//! the client chose, not a resumption the server declined.
//! (rustls may still drop a found session it judges expired or made under another
//! configuration; the harness never changes an identity's configuration, and its sessions live
//! far shorter than their tickets.)

use std::sync::Arc;

use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Resumption, Tls12ClientSessionValue,
    Tls13ClientSessionValue,
};
use rustls::pki_types::ServerName;
use rustls::NamedGroup;

use crate::load::record_session_lookup;

/// An in-memory store of `sessions` sessions whose lookups are recorded.
pub fn observed_resumption(sessions: usize) -> Resumption {
    Resumption::store(Arc::new(Observed {
        inner: ClientSessionMemoryCache::new(sessions),
    }))
}

/// The wrapped store.
#[derive(Debug)]
struct Observed {
    inner: ClientSessionMemoryCache,
}

impl ClientSessionStore for Observed {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.inner.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.inner.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.inner.set_tls12_session(server_name, value);
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        let found = self.inner.tls12_session(server_name);
        record_session_lookup(found.is_some());
        found
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.inner.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        self.inner.insert_tls13_ticket(server_name, value);
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        let found = self.inner.take_tls13_ticket(server_name);
        record_session_lookup(found.is_some());
        found
    }
}
