//! The peer contract: what the harness knows of a server stack, as one [`ServerStack`] entry
//! in the stack table (`programs/mod.rs`): its scenario name (the [`ServerImpl`] variant), its
//! capability record (what it can do: the skip reasons and the README's tables come from it),
//! how to start it ([`Start`]: the adapter's one function), and whether the suites that run
//! every stack (PKITS, the interop matrix) run it by default.
//!
//! The table is an array with one entry per variant, in the enum's order (checked when it is
//! compiled, [`in_enum_order`]), so a variant without its entry, or an entry out of place, does
//! not build.

use super::launch::Launch;
use super::process::ProcessError;
use super::running::RunningServer;
use crate::peers::capabilities::ServerCapabilities;
use crate::scenario::ServerImpl;

/// An adapter's start: writes the case's configuration or command line, spawns the program
/// under a [`super::ChildGuard`] and waits until it accepts ([`super::ready`]).
///
/// # Errors
/// [`ProcessError::Skipped`] when the program is not installed or cannot run the case;
/// otherwise when its files cannot be written, or it does not start or accept in time.
pub type Start = fn(Launch<'_>) -> Result<RunningServer, ProcessError>;

/// One server stack.
#[derive(Clone, Copy)]
pub struct ServerStack {
    /// Its name in scenarios and reports.
    pub server: ServerImpl,
    /// What it can do.
    pub record: &'static ServerCapabilities,
    /// How it is started.
    pub start: Start,
    /// Run by default where every stack is run: `mtls-harness pkits` without `--server`, and
    /// the interop matrix (`scenarios/interop.toml`'s servers, which a test compares with
    /// this). Stacks that need more than a case to start (a command line) are not.
    pub by_default: bool,
}

impl ServerStack {
    /// The entry of `server`, run by default.
    pub const fn new(
        server: ServerImpl,
        record: &'static ServerCapabilities,
        start: Start,
    ) -> Self {
        Self {
            server,
            record,
            start,
            by_default: true,
        }
    }

    /// The same entry, not run by default.
    pub const fn not_by_default(self) -> Self {
        Self {
            by_default: false,
            ..self
        }
    }
}

impl std::fmt::Debug for ServerStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerStack")
            .field("server", &self.server)
            .field("record", &self.record.name)
            .field("by_default", &self.by_default)
            .finish_non_exhaustive()
    }
}

/// Whether `stacks` lists every [`ServerImpl`] once, in the enum's order (so that
/// `stacks[server as usize]` is `server`'s entry).
pub const fn in_enum_order(stacks: &[ServerStack]) -> bool {
    if stacks.len() != ServerImpl::ALL.len() {
        return false;
    }
    let mut i = 0;
    while i < stacks.len() {
        if stacks[i].server as usize != i {
            return false;
        }
        i += 1;
    }
    true
}

/// The servers of `stacks` run by default, in table order (`N` is how many there are, as
/// counted by [`by_default_count`]).
pub const fn by_default<const N: usize>(stacks: &[ServerStack]) -> [ServerImpl; N] {
    let mut out = [ServerImpl::Rustls; N];
    let (mut i, mut n) = (0, 0);
    while i < stacks.len() {
        if stacks[i].by_default {
            out[n] = stacks[i].server;
            n += 1;
        }
        i += 1;
    }
    assert!(
        n == N,
        "by_default::<N>: N is not the number of default stacks"
    );
    out
}

/// How many of `stacks` are run by default.
pub const fn by_default_count(stacks: &[ServerStack]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < stacks.len() {
        if stacks[i].by_default {
            n += 1;
        }
        i += 1;
    }
    n
}
