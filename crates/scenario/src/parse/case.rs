//! One case from its layered settings: built-in defaults applied, then every impossible
//! combination checked, in order: TLS, revocation (`revocation_case.rs`), resumption and
//! credentials (`case_rules.rs`), the expectation stated or derived and the allow-list
//! (`expect.rs`), the command peer; then the load built.

use std::ops::Range;
use std::time::Duration;

use super::case_problems::CaseProblems;
use super::case_rules::{check_credentials, check_resumption, check_tls};
use super::expect::{check_allow_list, expectation, Judged};
use super::load::{open_loop_workers, DEFAULT_STOP};
use super::raw::RawSettings;
use super::reader::Reader;
use super::revocation_case::{self, CaseContext};
use crate::pki::{ClientCert, KeyType};
use crate::scenario::model::{
    Case, ClientAuth, ClientImpl, LoadSpec, ResumptionMode, Schedule, ServerImpl, TlsSettings,
    TlsVersion, STOCK_GROUPS,
};

/// What [`finish`] needs besides the layered settings.
pub(super) struct CaseFrame<'a> {
    pub(super) name: String,
    pub(super) description: String,
    pub(super) span: Option<Range<usize>>,
    pub(super) path: &'a str,
    pub(super) axes: Vec<(String, String)>,
    pub(super) pki_intermediates: u8,
    pub(super) pki_identities: usize,
}

/// Applies built-in defaults to `raw` and checks the combination; `None` when a problem was
/// recorded.
pub(super) fn finish(r: &mut Reader<'_>, raw: RawSettings, frame: CaseFrame<'_>) -> Option<Case> {
    let mut p = CaseProblems::new(r, frame.path, &frame.name, frame.span.clone());
    let key = raw.key.unwrap_or(KeyType::EcdsaP256);
    let tls = tls_settings(&raw);
    let client_auth = raw.client_auth.unwrap_or(ClientAuth::Required);
    // The user's own credential stands in for the valid one.
    let client_cert = match raw.own_credential {
        Some(_) => ClientCert::Valid,
        None => raw.client_cert.unwrap_or(ClientCert::Valid),
    };
    let intermediates = raw.intermediates.unwrap_or(frame.pki_intermediates);

    check_tls(&mut p, &tls, key);
    let context = CaseContext {
        resuming: tls.resumption != ResumptionMode::Off,
        stop: raw.stop.unwrap_or(DEFAULT_STOP),
        client_auth,
    };
    let revocation = revocation_case::finish(&mut p, &raw.revocation, &context);
    check_resumption(&mut p, &raw, &tls);
    check_credentials(&mut p, &raw, &tls, client_auth, client_cert);
    let judged = Judged {
        tls: &tls,
        key,
        client_auth,
        client_cert,
        revocation,
        intermediates,
        identities: frame.pki_identities,
    };
    let expect = expectation(&mut p, &raw, &judged);
    check_allow_list(&mut p, &raw, client_cert, frame.pki_identities, expect);
    let server = raw.server.unwrap_or(ServerImpl::Rustls);
    if server == ServerImpl::Command && raw.command.is_none() {
        p.bad("server = \"command\" needs its program: server = { command = [\"./my-server\", \"--listen\", \"{addr}\", ...] }");
    }

    p.ok().then(|| Case {
        name: frame.name,
        description: frame.description,
        server,
        client: raw.client.unwrap_or(ClientImpl::Rustls),
        key,
        intermediates,
        client_auth,
        client_cert,
        own_credential: raw.own_credential.clone(),
        load: load_spec(&raw),
        tls,
        revocation,
        server_threads: raw.server_threads,
        verify_depth: raw.verify_depth,
        allowed_clients: raw.allowed_clients.clone().unwrap_or_default(),
        expect,
        axes: frame.axes,
        command: raw
            .command
            .clone()
            .filter(|_| server == ServerImpl::Command),
        server_handicap_us: None,
        thresholds: raw.thresholds.unwrap_or_default(),
    })
}

/// The TLS settings, each at its default where the case sets none.
fn tls_settings(raw: &RawSettings) -> TlsSettings {
    let resumption = raw.resumption.unwrap_or(ResumptionMode::Off);
    let resuming = resumption != ResumptionMode::Off;
    TlsSettings {
        versions: raw
            .versions
            .clone()
            .unwrap_or_else(|| vec![TlsVersion::Tls13]),
        groups: raw.groups.clone().unwrap_or_else(|| STOCK_GROUPS.to_vec()),
        suites: raw.suites.clone().unwrap_or_default(),
        server_groups: raw.server_groups.clone().unwrap_or_default(),
        server_suites: raw.server_suites.clone().unwrap_or_default(),
        client_sigalgs: raw.client_sigalgs.clone().unwrap_or_default(),
        resumption,
        tickets: raw.tickets.unwrap_or(if resuming { 2 } else { 0 }),
        resume_fraction: raw.resume_fraction.unwrap_or(1.0),
    }
}

/// The load: closed (concurrency) or open (a rate), its stop, warm-up and timeout.
fn load_spec(raw: &RawSettings) -> LoadSpec {
    let schedule = match raw.rate {
        Some(rate) => Schedule::Open {
            rate_per_sec: rate,
            max_in_flight: raw.concurrency.unwrap_or_else(|| open_loop_workers(rate)),
        },
        None => Schedule::Closed {
            concurrency: raw.concurrency.unwrap_or(50),
        },
    };
    LoadSpec {
        schedule,
        stop: raw.stop.unwrap_or(DEFAULT_STOP),
        warmup: raw.warmup.unwrap_or(Duration::from_secs(1)),
        timeout: raw.timeout.unwrap_or(Duration::from_secs(5)),
    }
}
