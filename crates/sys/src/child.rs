//! Child process control: the parent-death signal, a process group of its own and CPU pinning
//! set between fork and exec, and the checks and signals the harness uses to stop a child with
//! everything it started.

use std::io;

use super::affinity::{apply_affinity, cpu_set};

/// Makes `command`'s child die with SIGKILL when the harness dies, puts it in a process group of
/// its own (so it can be killed with its children and does not receive the terminal's Ctrl-C),
/// and pins it to `cpus` when given (a child otherwise inherits the spawning thread's CPUs).
pub fn prepare_child(command: &mut std::process::Command, cpus: Option<Vec<usize>>) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    let parent = libc::pid_t::try_from(std::process::id()).unwrap_or(0);
    // The CPU set is built here, in the parent; a bad list (the command line checks it, so
    // this is a caller's bug) fails the spawn with EINVAL instead of pinning nothing.
    let set = cpus.as_deref().map(cpu_set);
    // SAFETY: the closure runs between fork and exec and only calls async-signal-safe
    // functions (prctl, getppid, sched_setaffinity); it neither formats nor allocates: the CPU
    // set is precomputed and every error is a raw OS error.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: then nobody would kill us.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            match &set {
                None => Ok(()),
                Some(Ok(set)) => apply_affinity(0, set),
                Some(Err(_)) => Err(io::Error::from_raw_os_error(libc::EINVAL)),
            }
        });
    }
}

/// Whether process `pid` (a child of ours) has exited, without reaping it, so its process
/// group can still be signalled safely (the group id cannot be reused before the reap).
pub fn child_exited(pid: u32) -> bool {
    let pid: libc::id_t = pid;
    // SAFETY: `info` is a valid, writable siginfo_t; WNOWAIT leaves the child reapable.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let rc = libc::waitid(
            libc::P_PID,
            pid,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        rc != 0 || info.si_pid() != 0
    }
}

/// Sends `signal` to every process in the process group `pgid`.
///
/// # Errors
/// The `killpg` error (`ESRCH` when the group is already gone).
pub fn kill_group(pgid: u32, signal: i32) -> io::Result<()> {
    let pgid = libc::pid_t::try_from(pgid)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "pid out of range"))?;
    // SAFETY: killpg takes plain integers and has no memory effects.
    if unsafe { libc::killpg(pgid, signal) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
