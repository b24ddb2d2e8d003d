//! The integration tests: one binary, a module per area. Network tests bind 127.0.0.1 only and
//! stop by themselves; each test works in its own temporary directory.

// Test helpers may unwrap too: a panic in a test is its failure report.
#![allow(clippy::unwrap_used)]

mod apache;
mod bounds;
mod cli;
mod compare;
mod conformance;
mod console_bounds;
mod containment;
mod crl_shards;
mod end_to_end;
mod evidence;
mod file_cycles;
mod files;
mod fixtures;
mod fleet;
mod fuzz;
mod gates;
mod hdr_logs;
mod hostile;
mod interop;
mod interrupted;
mod listen;
mod live;
mod ocsp;
mod out_dirs;
mod peers;
mod per_location;
mod pipes;
mod pkits;
mod reports;
mod revocation;
mod revocation_evidence;
mod revocation_exposure;
mod rows;
mod scale;
mod scenario;
mod schema;
mod short_lived;
mod stack_clients;
mod stack_revocation;
mod stacks;
mod stock_apache;
mod support;
mod target;
mod target_clients;
mod target_pki;
mod target_refusals;
mod target_trust;
mod tls_params;
mod vendor_pki;
mod workers;
