//! The few operating-system calls the harness needs that std does not offer: raising the open
//! file limit, CPU affinity, the parent-death signal for child processes, process-group kill
//! and CPU-time readings; and, in submodules, safe wrappers for the few `unsafe` calls of the
//! `openssl` crate the harness makes (offering a saved session, setting a verification error).
//! One submodule per concern: `affinity`, `child` (child process control), `contain` (the PID
//! namespace that keeps every peer from outliving the run), `usage` (CPU and
//! memory readings), `tree` (CPU of a process with its descendants), `client_sigalgs`, `ssl_observe` (post-handshake authentication and the handshake
//! messages an OpenSSL client sees), `ssl_session`, `verify_error`; what fits in a few lines
//! (the open file limit, the tokio runtime builder, the usable CPU count) stays here.
//!
//! This is the only module (with its submodules) that allows `unsafe`; every block carries a
//! SAFETY comment.
#![allow(unsafe_code)]

pub mod fsutil;

mod affinity;
mod child;
mod client_sigalgs;
mod contain;
mod ssl_observe;
mod ssl_session;
mod tree;
mod usage;
mod verify_error;

pub use affinity::{current_affinity, pin_current_thread};
pub use child::{child_exited, kill_group, prepare_child};
pub use client_sigalgs::{set_client_sigalgs_list, ClientSigalgsError};
pub use contain::contain_run;
pub use ssl_observe::{
    observe_handshake, offer_post_handshake_auth, HandshakeMessage, HandshakeObserver,
};
pub use ssl_session::ResumingContext;
pub use tree::{tree_cpu_time, tree_runtime};
pub use usage::{
    current_tid, own_cpu_time, own_rss, peak_rss_kib, process_cpu_time, process_runtime,
    reset_peak_rss, thread_cpu_now, thread_runtime, CpuTime,
};
pub use verify_error::VerifyError;

use std::io;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the new soft limit.
///
/// # Errors
/// The `getrlimit`/`setrlimit` error, if the kernel refuses.
pub fn raise_nofile_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit struct for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: `limit` is a valid rlimit struct; setrlimit only reads it.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(limit.rlim_cur)
}

/// A tokio runtime: single-threaded when `current_thread` (no cross-thread wake-ups, no
/// stealing), else with `workers` worker threads.
///
/// # Errors
/// When the runtime cannot be built.
pub fn runtime(workers: usize, current_thread: bool) -> std::io::Result<tokio::runtime::Runtime> {
    if current_thread {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .enable_all()
            .build()
    }
}

/// Number of CPUs this process may run on (respects affinity).
pub fn usable_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
