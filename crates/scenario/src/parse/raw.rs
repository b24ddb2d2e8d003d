//! Settings as read from one table, before defaults: every field optional, so `[defaults]`,
//! a case and a matrix combination can be laid over each other ([`RawSettings::overlay`]).
//! Both the table readers and `[matrix]` produce these.

use std::ops::Range;
use std::time::Duration;

use strum::VariantNames;

use super::revocation::RawRevocation;
use crate::measure::Outcome;
use crate::pki::{ClientCert, KeyType, UnknownName};
use crate::scenario::model::{
    CipherSuite, ClientAuth, ClientImpl, CommandPeer, KxGroup, ResumptionMode, ServerImpl,
    SigScheme, Stop, Thresholds, TlsVersion,
};

/// Settings as read from one table; `None` where the table does not set them.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawSettings {
    pub(crate) server: Option<ServerImpl>,
    pub(crate) client: Option<ClientImpl>,
    pub(crate) key: Option<KeyType>,
    pub(crate) client_auth: Option<ClientAuth>,
    pub(crate) client_cert: Option<ClientCert>,
    /// `client_cert = { cert, key, chain }`, loaded.
    pub(crate) own_credential: Option<crate::pki::OwnCredential>,
    pub(crate) versions: Option<Vec<TlsVersion>>,
    pub(crate) groups: Option<Vec<KxGroup>>,
    pub(crate) suites: Option<Vec<CipherSuite>>,
    pub(crate) server_groups: Option<Vec<KxGroup>>,
    pub(crate) server_suites: Option<Vec<CipherSuite>>,
    pub(crate) client_sigalgs: Option<Vec<SigScheme>>,
    pub(crate) resumption: Option<ResumptionMode>,
    pub(crate) tickets: Option<u32>,
    pub(crate) resume_fraction: Option<f64>,
    pub(crate) intermediates: Option<u8>,
    /// `revocation = { ... }`, merged key by key.
    pub(crate) revocation: RawRevocation,
    pub(crate) concurrency: Option<usize>,
    pub(crate) rate: Option<f64>,
    /// Duration or handshake count: whichever a table sets replaces the other.
    pub(crate) stop: Option<Stop>,
    pub(crate) warmup: Option<Duration>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) server_threads: Option<usize>,
    pub(crate) verify_depth: Option<u8>,
    pub(crate) allowed_clients: Option<Vec<String>>,
    pub(crate) expect: Option<ExpectKind>,
    pub(crate) reject_reason: Option<Outcome>,
    /// Where `reject_reason` was set, for the accept-with-reason problem.
    pub(crate) reject_reason_span: Option<Range<usize>>,
    /// `server = { command = [...] }`.
    pub(crate) command: Option<CommandPeer>,
    /// `thresholds = { ... }`, merged key by key.
    pub(crate) thresholds: Option<Thresholds>,
}

/// `expect = "..."`: the kind of expectation a case states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, VariantNames)]
#[strum(
    serialize_all = "lowercase",
    parse_err_ty = UnknownName,
    parse_err_fn = UnknownName::quoted::<Self>
)]
pub(crate) enum ExpectKind {
    Accept,
    Reject,
    Record,
}

impl RawSettings {
    /// `self` with every setting of `over` laid on top.
    pub(crate) fn overlay(&self, over: &RawSettings) -> RawSettings {
        RawSettings {
            server: over.server.or(self.server),
            client: over.client.or(self.client),
            key: over.key.or(self.key),
            client_auth: over.client_auth.or(self.client_auth),
            client_cert: over.client_cert.or(self.client_cert),
            own_credential: if over.client_cert.is_some() {
                over.own_credential.clone()
            } else {
                over.own_credential
                    .clone()
                    .or_else(|| self.own_credential.clone())
            },
            versions: over.versions.clone().or_else(|| self.versions.clone()),
            groups: over.groups.clone().or_else(|| self.groups.clone()),
            suites: over.suites.clone().or_else(|| self.suites.clone()),
            server_groups: over
                .server_groups
                .clone()
                .or_else(|| self.server_groups.clone()),
            client_sigalgs: over
                .client_sigalgs
                .clone()
                .or_else(|| self.client_sigalgs.clone()),
            server_suites: over
                .server_suites
                .clone()
                .or_else(|| self.server_suites.clone()),
            resumption: over.resumption.or(self.resumption),
            tickets: over.tickets.or(self.tickets),
            resume_fraction: over.resume_fraction.or(self.resume_fraction),
            intermediates: over.intermediates.or(self.intermediates),
            revocation: self.revocation.overlay(&over.revocation),
            concurrency: over.concurrency.or(self.concurrency),
            rate: over.rate.or(self.rate),
            stop: over.stop.or(self.stop),
            warmup: over.warmup.or(self.warmup),
            timeout: over.timeout.or(self.timeout),
            server_threads: over.server_threads.or(self.server_threads),
            verify_depth: over.verify_depth.or(self.verify_depth),
            allowed_clients: over
                .allowed_clients
                .clone()
                .or_else(|| self.allowed_clients.clone()),
            expect: over.expect.or(self.expect),
            reject_reason: over.reject_reason.or(self.reject_reason),
            reject_reason_span: over
                .reject_reason_span
                .clone()
                .or_else(|| self.reject_reason_span.clone()),
            command: over.command.clone().or_else(|| self.command.clone()),
            thresholds: match (self.thresholds, over.thresholds) {
                (Some(a), Some(b)) => Some(a.overlay(b)),
                (a, b) => b.or(a),
            },
        }
    }
}
