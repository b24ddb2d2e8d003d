//! External programs as peers and their process control: starting a case's server (the
//! built-in ones as `mtls-harness serve`, nginx, `openssl s_server`, HAProxy, Apache httpd,
//! `gnutls-serv`, a node https server, Go crypto/tls and Java JSSE servers built on first use),
//! the process clients'
//! command lines and output (`openssl s_client`, node, curl, `gnutls-cli`, and the Go and Java
//! client programs built on first use), the child-process
//! guard that makes sure none outlives the run, and each program's configuration.
//!
//! The files point one way: the dispatcher ([`start_server`], `launch.rs`) reads the stack
//! table below ([`SERVERS`]), the table names each server adapter's `start`, and every
//! adapter imports only the kit (`kit/`: readiness, ports, logs, chain, CRL and staple files,
//! the child guard), never another adapter or the dispatcher.
//!
//! **Adding a server stack**: its variant in `scenario::ServerImpl` (its name in scenarios),
//! its record in `peers/capabilities/servers.rs`, its adapter `<stack>.rs` here (a
//! `start(Launch)` function), and its `mod` line and [`SERVERS`] entry below.

mod apache;
mod builtin;
pub mod client_output;
mod command;
pub mod curl;
pub mod gnutls_cli;
mod gnutls_serv;
pub mod go_client;
mod go_server;
mod haproxy;
pub mod java_client;
mod java_server;
mod kit;
mod launch;
mod nginx;
pub mod node_client;
mod node_server;
pub mod s_client;
mod s_server;

use crate::peers::capabilities::servers as records;
use crate::scenario::ServerImpl;
pub use kit::{
    current_exe, find_program, io_err, log_tail, outcome_for_verify_error, ChildGuard,
    ProcessError, RevocationArgs, RunningServer, ServerStack,
};
pub use launch::start_server;
pub use nginx::verdict_from_log;
pub use node_server::refusals_from_log as node_refusals_from_log;

/// Every server stack, one entry per [`ServerImpl`] in the enum's order (checked when
/// compiled): the one list the capability records, the dispatch and the default server lists
/// are read from.
pub const SERVERS: [ServerStack; ServerImpl::ALL.len()] = [
    ServerStack::new(ServerImpl::Rustls, &records::RUSTLS_SERVER, start_builtin),
    ServerStack::new(ServerImpl::Openssl, &records::OPENSSL_SERVER, start_builtin),
    ServerStack::new(ServerImpl::SServer, &records::S_SERVER, s_server::start),
    ServerStack::new(ServerImpl::Nginx, &records::NGINX, nginx::start),
    ServerStack::new(ServerImpl::Haproxy, &records::HAPROXY, haproxy::start),
    ServerStack::new(ServerImpl::Apache, &records::APACHE, apache::start),
    ServerStack::new(
        ServerImpl::GnutlsServ,
        &records::GNUTLS_SERV,
        gnutls_serv::start,
    ),
    ServerStack::new(ServerImpl::Node, &records::NODE_SERVER, node_server::start),
    ServerStack::new(ServerImpl::Go, &records::GO_SERVER, go_server::start),
    ServerStack::new(ServerImpl::Java, &records::JAVA_SERVER, java_server::start),
    // It needs a command line to start: no default run has one.
    ServerStack::new(ServerImpl::Command, &records::COMMAND, command::start).not_by_default(),
];

const _: () = assert!(
    kit::in_enum_order(&SERVERS),
    "SERVERS lists every ServerImpl once, in the enum's order"
);

/// The servers run where every stack is run (PKITS without `--server`, the interop matrix).
pub const DEFAULT_SERVERS: &[ServerImpl] =
    &kit::by_default::<{ kit::by_default_count(&SERVERS) }>(&SERVERS);

/// The built-in servers' start: `mtls-harness serve` from the launch's harness binary.
fn start_builtin(launch: kit::Launch<'_>) -> Result<RunningServer, ProcessError> {
    builtin::start(launch.harness_exe, launch)
}

/// The stack table's entry of `server`.
pub fn server_stack(server: ServerImpl) -> &'static ServerStack {
    // In bounds and `server`'s own: SERVERS has one entry per variant, in the enum's order
    // (the assertion above, at compile time).
    &SERVERS[server as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_entry_is_its_variants() {
        for &s in ServerImpl::ALL {
            assert_eq!(server_stack(s).server, s);
        }
        // A command peer needs a command line, which no default run has.
        assert!(!DEFAULT_SERVERS.contains(&ServerImpl::Command));
    }

    /// The matrices that run every stack (interop, conformance) run the default servers (and
    /// every client), in table order: scenario files are data and cannot read the table, so
    /// this keeps them and the table one list.
    #[test]
    fn the_matrices_run_the_default_servers() {
        let files = [
            (
                "scenarios/interop.toml",
                include_str!("../../../../scenarios/interop.toml"),
            ),
            (
                "scenarios/conformance.toml",
                include_str!("../../../../scenarios/conformance.toml"),
            ),
        ];
        for (name, text) in files {
            let s = crate::scenario::parse(text, std::path::Path::new(name)).unwrap();
            let mut servers: Vec<ServerImpl> = s.cases.iter().map(|c| c.server).collect();
            servers.sort();
            servers.dedup();
            assert_eq!(servers, DEFAULT_SERVERS, "{name}");
            if name.ends_with("interop.toml") {
                let mut clients: Vec<_> = s.cases.iter().map(|c| c.client).collect();
                clients.sort();
                clients.dedup();
                assert_eq!(clients, crate::scenario::ClientImpl::ALL, "{name}");
            }
        }
    }
}
