//! What each TLS stack can do, as data: one record per server peer and one per client peer.
//!
//! The runner reads a case's skip reason from here before it starts anything (so conformance
//! and interop, which run cases through the runner, report the same reasons), and the built-in
//! servers read their own limits from here too (rustls's fixed verify depth is written once).
//! Adding a stack is one adapter plus one record (see ARCHITECTURE.md): the records are data in
//! `capabilities/servers.rs` and `capabilities/clients.rs`, the rules here. A server's record
//! is found through the stack table (`peers::programs::SERVERS`, with its adapter); a client's
//! through [`CLIENTS`].
//!
//! A record says what a stack supports; the rules in [`ServerCapabilities::skip_reason`] and
//! [`ClientCapabilities::skip_reason`] turn a case's settings plus the record into the reason a
//! case cannot run, worded for the user.

mod clients;
pub mod servers;
mod table;

pub use clients::{
    client, CLIENTS, CURL, GNUTLS_CLI, GO_CLIENT, JAVA_CLIENT, NODE_CLIENT, OPENSSL_CLIENT,
    RUSTLS_CLIENT, S_CLIENT,
};
pub use servers::{
    APACHE, COMMAND, GNUTLS_SERV, GO_SERVER, HAPROXY, JAVA_SERVER, NGINX, NODE_SERVER,
    OPENSSL_SERVER, RUSTLS_SERVER, S_SERVER, WEBPKI_VERIFY_DEPTH,
};
pub use table::{markdown, readme_block, BEGIN_MARKER, END_MARKER};

use crate::pki::{ClientCert, Pki};
use crate::scenario::{Case, FailPolicy, Revocation, RevocationMode, Stop};

/// Whether a stack has a feature; without it, the reason a case needing it is skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// It has it.
    Yes,
    /// It has not, for this reason (shown as the case's skip reason).
    No(&'static str),
}

/// Which TLS library a stack is built on: the key-exchange groups it can offer are that
/// library's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Library {
    /// rustls with aws-lc-rs: every group the scenarios name, X25519MLKEM768 included.
    Rustls,
    /// The system's OpenSSL (the `openssl` crate, the `openssl` binary, nginx, HAProxy, node
    /// and curl link the same one): X25519MLKEM768 from OpenSSL 3.5.
    Openssl,
    /// The system's GnuTLS (`gnutls-serv`, `gnutls-cli`): no X25519MLKEM768 in Debian 12's 3.7.
    Gnutls,
    /// Go's crypto/tls (Debian 12's Go 1.19): no X25519MLKEM768, no TLS 1.3 suite setting.
    Go,
    /// Java's JSSE (OpenJDK 17): no X25519MLKEM768.
    Java,
}

/// How deep a client chain the server accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyDepth {
    /// Fixed at this many intermediates; a case may only ask for exactly this.
    Fixed(u8),
    /// Any depth the case sets.
    Configurable,
    /// The library's default, which the program has no setting for; a case that sets a depth
    /// is skipped with this reason.
    Unconfigurable(&'static str),
}

/// How a server staples OCSP responses about its own certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stapling {
    /// It refreshes its staple while it runs (else it staples what it was given at start).
    pub refreshes: bool,
    /// It verifies a response before stapling it (else it staples whatever it got).
    pub verifies: bool,
    /// Its staple can be controlled for Must-Staple, unverified-staple and mid-run revocation
    /// cases; when not, the reason.
    pub controllable: Support,
    /// It starts with a staple that says revoked (`server_revoked`); when not, the reason.
    pub starts_with_revoked: Support,
}

/// What a server peer supports.
#[derive(Clone, Copy, Debug)]
pub struct ServerCapabilities {
    /// Its name in skip reasons.
    pub name: &'static str,
    /// Its TLS library.
    pub library: Library,
    /// Revocation modes it implements.
    pub revocation_modes: &'static [RevocationMode],
    /// Reasons for modes it lacks that say more than "not implemented".
    pub missing_mode_reasons: &'static [(RevocationMode, &'static str)],
    /// Soft-fail when a CRL cannot determine a status.
    pub crl_soft_fail: Support,
    /// Re-reading its CRL while it runs (`revocation.reload`).
    pub crl_reload: Support,
    /// Checking against a CRL sharded by serial (`revocation.crl_shards`), every shard with an
    /// Issuing Distribution Point naming its URL, the certificate naming its shard's.
    pub crl_shards: Support,
    /// Using a delta CRL with its base (`revocation.crl_delta`, RFC 5280 §5.2.4).
    pub crl_deltas: Support,
    /// Soft-fail when OCSP cannot determine a status.
    pub ocsp_soft_fail: Support,
    /// Sending a nonce in its OCSP requests.
    pub ocsp_nonce: Support,
    /// Caching OCSP answers for the case's `cache_ttl` (the exposure window needs it).
    pub ocsp_cache_ttl: Support,
    /// A setting for its OCSP query timeout.
    pub ocsp_query_timeout: bool,
    /// Stapling.
    pub stapling: Stapling,
    /// A client allow-list (`allowed_clients`).
    pub allow_list: bool,
    /// Verify depth.
    pub verify_depth: VerifyDepth,
    /// Narrowing the client's signature schemes (`tls.client_sigalgs`).
    pub client_sigalgs: bool,
    /// Stateful resumption (`resumption = "session-id"`: session IDs, TLS 1.3 tickets backed by
    /// a server-side cache).
    pub session_cache: Support,
    /// Stateful resumption in TLS 1.3 as well (some stacks resume TLS 1.3 with stateless
    /// tickets only).
    pub session_cache_tls13: Support,
}

/// Why `library` cannot offer `groups`, if it cannot.
fn unsupported_groups(library: Library, groups: &[crate::scenario::KxGroup]) -> Option<String> {
    match library {
        Library::Rustls => None,
        Library::Openssl => super::tls::openssl::unsupported_groups(groups),
        Library::Gnutls => super::tls::gnutls::unsupported_groups(groups),
        Library::Go => super::tls::go::unsupported(&[], groups),
        Library::Java => groups
            .contains(&crate::scenario::KxGroup::X25519MlKem768)
            .then(|| "Java 17's JSSE has no X25519MLKEM768".to_string()),
    }
}

fn unless(support: Support, needed: bool) -> Option<String> {
    match support {
        Support::No(reason) if needed => Some(reason.to_string()),
        _ => None,
    }
}

impl ServerCapabilities {
    /// Why this server cannot run `case` (the case is then skipped with this reason), if it
    /// cannot.
    pub fn skip_reason(&self, case: &Case) -> Option<String> {
        if let Some(reason) = unsupported_groups(self.library, &case.tls.server_groups) {
            return Some(reason);
        }
        if self.library == Library::Gnutls {
            if let Some(reason) = super::tls::gnutls::inexpressible_suites(
                &case.tls.server_suites,
                &case.tls.versions,
            ) {
                return Some(format!("gnutls-serv: {reason}"));
            }
        }
        if self.library == Library::Go {
            if let Some(reason) =
                super::tls::go::unsupported(&case.tls.server_suites, &case.tls.server_groups)
            {
                return Some(reason);
            }
        }
        if case.tls.resumption == crate::scenario::ResumptionMode::SessionId {
            let tls13 = case
                .tls
                .versions
                .contains(&crate::scenario::TlsVersion::Tls13);
            if let Some(reason) =
                unless(self.session_cache, true).or_else(|| unless(self.session_cache_tls13, tls13))
            {
                return Some(reason);
            }
        }
        self.revocation_reason(case)
            .or_else(|| self.verify_depth_reason(case))
            .or_else(|| {
                (!self.allow_list && !case.allowed_clients.is_empty()).then(|| {
                    format!(
                        "the {} server has no client allow-list (allowed_clients)",
                        case.server
                    )
                })
            })
            .or_else(|| {
                (!self.client_sigalgs && !case.tls.client_sigalgs.is_empty()).then(|| {
                    format!(
                        "the {} server cannot narrow the client's signature schemes (tls.client_sigalgs)",
                        case.server
                    )
                })
            })
    }

    fn verify_depth_reason(&self, case: &Case) -> Option<String> {
        match (self.verify_depth, case.verify_depth) {
            (VerifyDepth::Fixed(fixed), Some(d)) if d != fixed => Some(format!(
                "rustls (webpki) has a fixed verify depth of {fixed} intermediates; verify_depth = {d} cannot be configured"
            )),
            (VerifyDepth::Unconfigurable(why), Some(d)) => {
                Some(format!("{why}; verify_depth = {d} cannot be configured"))
            }
            _ => None,
        }
    }

    fn revocation_reason(&self, case: &Case) -> Option<String> {
        let rev = &case.revocation;
        let mode = rev.mode();
        if !self.revocation_modes.contains(&mode) {
            let special = self.missing_mode_reasons.iter().find(|(m, _)| *m == mode);
            return Some(match special {
                Some((_, reason)) => reason.to_string(),
                None => format!(
                    "revocation mode {mode} is not implemented for the {} server yet",
                    case.server
                ),
            });
        }
        if let Some(reason) = self.stapling_reason(case) {
            return Some(reason);
        }
        if let Some(reason) = unless(
            self.crl_shards,
            rev.crl_list().is_some_and(|l| l.shards > 1),
        )
        .or_else(|| unless(self.crl_deltas, rev.crl_delta()))
        {
            return Some(reason);
        }
        if let Some(reason) = unless(self.crl_reload, rev.crl_reload().is_some()) {
            return Some(reason);
        }
        if let Some(reason) = unless(
            self.crl_soft_fail,
            matches!(rev, Revocation::Crl(s) if s.policy == FailPolicy::Soft),
        ) {
            return Some(reason);
        }
        if let Revocation::Ocsp(ocsp) = rev {
            let timeout_needed = ocsp.service.fault == crate::scenario::ResponderFault::Timeout
                || ocsp.service.responder_delay >= ocsp.service.query_timeout;
            return unless(self.ocsp_soft_fail, ocsp.policy == FailPolicy::Soft)
                .or_else(|| unless(self.ocsp_nonce, ocsp.nonce))
                .or_else(|| unless(self.ocsp_cache_ttl, ocsp.revoke.is_some()))
                .or_else(|| {
                    (!self.ocsp_query_timeout && timeout_needed).then(|| format!(
                        "{} has no setting for its client-certificate OCSP query timeout (the case asks for {} ms; ssl_stapling_responder_timeout covers stapling only), so the harness's client would time out before {} decides",
                        self.name,
                        ocsp.service.query_timeout.as_millis(),
                        self.name
                    ))
                });
        }
        None
    }

    fn stapling_reason(&self, case: &Case) -> Option<String> {
        let Revocation::Stapling(rev) = &case.revocation else {
            return None;
        };
        let stapling = self.stapling;
        if let Some(reason) = unless(
            stapling.controllable,
            rev.must_staple || !rev.staple_verify || rev.revoke.is_some(),
        )
        .or_else(|| unless(stapling.starts_with_revoked, rev.server_revoked))
        {
            return Some(reason);
        }
        if !stapling.refreshes {
            if rev.revoke.is_some() {
                return Some(format!(
                    "{} staples the response fetched before it starts and cannot refresh it, which the exposure window measures",
                    self.name
                ));
            }
            if let Stop::Duration(d) = case.load.stop {
                if case.load.warmup + d > rev.staple_refresh {
                    return Some(format!(
                        "{} cannot refresh its staple (fetched before it starts), and the run is longer than staple_refresh = {}ms",
                        self.name,
                        rev.staple_refresh.as_millis()
                    ));
                }
            }
        }
        if !stapling.verifies {
            // The verdict depends on the server checking its staple when a verifying server
            // and a careless one are expected to differ; this one staples whatever it has.
            let careless = crate::scenario::StaplingSettings {
                staple_verify: false,
                ..*rev
            };
            if rev.staple_verify && careless.staple_expectation() != rev.staple_expectation() {
                return Some(format!(
                    "{} staples the response fetched for it without verifying it; staple_verify = true with fault = {} and signer = {} needs a server that checks the answer first",
                    self.name, rev.service.fault, rev.signer
                ));
            }
        }
        None
    }
}

/// What a client peer supports.
#[derive(Clone, Copy, Debug)]
pub struct ClientCapabilities {
    /// Its name in skip reasons.
    pub name: &'static str,
    /// Its TLS library.
    pub library: Library,
    /// It can drive an external server (target mode).
    pub target_mode: bool,
    /// Credentials it refuses to load at its default security level, and why.
    pub refuses: &'static [(ClientCert, &'static str)],
    /// Resuming a session from one attempt to the next (`tls.resumption`).
    pub resumption: Support,
    /// Resuming TLS 1.2 by session ID (`resumption = "session-id"` with TLS 1.2 only).
    pub session_ids: Support,
}

impl ClientCapabilities {
    /// Why this client cannot present `case`'s credential from `pki`, or cannot offer its
    /// groups; `None` when it can.
    pub fn skip_reason(&self, case: &Case, pki: &Pki) -> Option<String> {
        let cert = case.client_cert;
        if cert != ClientCert::None && pki.client(cert, 0).is_none() {
            return Some(format!(
                "the {} hierarchy has no {cert} credential (Ed25519 has no SHA-1 signature)",
                case.key
            ));
        }
        if let Some((_, refused)) = self.refuses.iter().find(|(c, _)| *c == cert) {
            return Some(format!(
                "{} refuses to load {refused} at its default security level; the rustls client sends it",
                self.name
            ));
        }
        if case.tls.resumption != crate::scenario::ResumptionMode::Off {
            if let Support::No(reason) = self.resumption {
                return Some(reason.to_string());
            }
        }
        let tls12_only = !case
            .tls
            .versions
            .contains(&crate::scenario::TlsVersion::Tls13);
        if case.tls.resumption == crate::scenario::ResumptionMode::SessionId && tls12_only {
            return unless(self.session_ids, true);
        }
        None
    }

    /// Why this client cannot offer `case`'s groups, if it cannot (checked where the client is
    /// started: process clients before their first process).
    pub fn groups_reason(&self, case: &Case) -> Option<String> {
        let suites = match self.library {
            Library::Gnutls => {
                super::tls::gnutls::inexpressible_suites(&case.tls.suites, &case.tls.versions)
            }
            Library::Go => super::tls::go::unsupported(&case.tls.suites, &[]),
            _ => None,
        };
        unsupported_groups(self.library, &case.tls.groups)
            .or(suites)
            .map(|reason| format!("{}: {reason}", self.name))
    }
}
