//! CPU affinity: pinning the harness's threads (and, through `prepare_child`, the server
//! processes) to CPUs so client and server do not compete for the same cores.

use std::io;

/// Pins the calling thread (and the threads it spawns afterwards) to the given CPUs.
///
/// # Errors
/// `InvalidInput` for an empty or out-of-range CPU list, else the `sched_setaffinity` error.
pub fn pin_current_thread(cpus: &[usize]) -> io::Result<()> {
    set_affinity(0, cpus)
}

pub(super) fn set_affinity(pid: libc::pid_t, cpus: &[usize]) -> io::Result<()> {
    apply_affinity(pid, &cpu_set(cpus)?)
}

/// The kernel's CPU set for `cpus`, built up front so a child between fork and exec only has
/// to hand it to the kernel ([`apply_affinity`] neither formats nor allocates).
///
/// # Errors
/// `InvalidInput` for an empty or out-of-range CPU list.
pub(super) fn cpu_set(cpus: &[usize]) -> io::Result<libc::cpu_set_t> {
    if cpus.is_empty() || cpus.iter().any(|&c| c >= libc::CPU_SETSIZE as usize) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "bad CPU list {cpus:?}: expected CPUs below {}",
                libc::CPU_SETSIZE
            ),
        ));
    }
    // SAFETY: cpu_set_t is plain data; zeroed is its empty value, and CPU_SET is given
    // in-range indices (checked above).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus {
            libc::CPU_SET(cpu, &mut set);
        }
        Ok(set)
    }
}

/// Sets the affinity of `pid` (0: the calling thread) to `set`. Async-signal-safe: one system
/// call, no allocation (the error is the raw OS error).
///
/// # Errors
/// The `sched_setaffinity` error.
pub(super) fn apply_affinity(pid: libc::pid_t, set: &libc::cpu_set_t) -> io::Result<()> {
    // SAFETY: sched_setaffinity reads `set` for the given size and has no other effect on
    // memory.
    if unsafe { libc::sched_setaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The CPUs the calling thread may run on.
///
/// # Errors
/// The `sched_getaffinity` error.
pub fn current_affinity() -> io::Result<Vec<usize>> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity writes at most its size into it, and
    // CPU_ISSET reads in-range indices only.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok((0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect())
    }
}
