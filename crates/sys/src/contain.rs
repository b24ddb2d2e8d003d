//! Containment of everything a run starts, enforced by the kernel. The process the user
//! started becomes a small supervisor; the harness proper runs as its child, as PID 1 of a new
//! PID namespace (with its own `/proc`, so the pids it reads there are its children's), and
//! dies with the supervisor (parent-death signal SIGKILL). When the init of a PID namespace
//! dies, the kernel kills every process left in it. So whatever ends the run (a normal end, an
//! error, a panic, two Ctrl-C, SIGTERM, or `kill -9` of either process), no peer it started
//! survives: not nginx's worker processes (which a parent-death signal does not reach, because
//! nginx forks them), not a process client, not a grandchild of either.
//!
//! As root the namespaces are made directly. Without root they are made inside a new user
//! namespace that maps the user to itself (peers run as that user, as before), where the kernel
//! allows unprivileged user namespaces (Debian and Fedora do; Ubuntu 24.04's AppArmor policy
//! and `kernel.unprivileged_userns_clone=0` do not). Whether it works is tried first in a
//! throwaway process, since a half-made containment cannot be undone. Where neither is possible
//! the harness runs as before (process groups and parent-death signals, which miss
//! grandchildren when the harness is killed with SIGKILL) and says so once on stderr.
//!
//! Signals: a Ctrl-C from the terminal reaches both processes (one process group); the
//! supervisor ignores it and the harness handles it. A SIGINT, SIGTERM or SIGHUP sent to the
//! supervisor with `kill` is passed on to the harness.

use std::io;
use std::sync::atomic::{AtomicI32, Ordering};

/// The contained harness's pid (as the supervisor sees it), for forwarding signals.
static HARNESS: AtomicI32 = AtomicI32::new(0);

/// Runs the rest of this process as a contained harness. Returns in the harness (PID 1 of the
/// new namespaces); in the supervisor it never returns: it waits for the harness and exits
/// with its status (128 + the signal when it was killed).
///
/// Call it before any thread exists (threads cannot be created once a PID namespace for
/// children has been set up, and `fork` copies only the calling thread).
///
/// # Errors
/// When the namespaces cannot be created (not root); the process is then unchanged.
pub fn contain_run() -> io::Result<()> {
    // SAFETY: geteuid and getegid have no memory effects.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let as_user = uid != 0;
    if as_user {
        probe_user_namespace(uid, gid)?;
    }
    enter_namespaces(as_user, uid, gid)?;
    // SAFETY: the process is single-threaded here (documented precondition), so the child is
    // a full copy that may do anything; the parent only waits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        return become_contained();
    }
    supervise(pid)
}

/// New PID and mount namespaces for the children to come (and, `as_user`, a user namespace
/// that maps `uid`/`gid` to themselves, which makes the other two possible without root).
fn enter_namespaces(as_user: bool, uid: libc::uid_t, gid: libc::gid_t) -> io::Result<()> {
    let mut flags = libc::CLONE_NEWPID | libc::CLONE_NEWNS;
    if as_user {
        flags |= libc::CLONE_NEWUSER;
    }
    // SAFETY: unshare takes a flag word: new children go into a new PID namespace, and this
    // process gets a private copy of its mount table (for the harness's own /proc) and, as a
    // user, a user namespace of its own.
    if unsafe { libc::unshare(flags) } != 0 {
        let e = io::Error::last_os_error();
        return Err(if as_user {
            io::Error::new(
                e.kind(),
                format!("no unprivileged user namespace here: {e}"),
            )
        } else {
            e
        });
    }
    if as_user {
        // The user stays itself inside: the same uid and gid, no changes of groups.
        std::fs::write("/proc/self/setgroups", "deny")?;
        std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
        std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
    }
    Ok(())
}

/// Tries the unprivileged containment in a throwaway process (user, PID and mount namespaces,
/// then /proc mounted by a child inside), so that a kernel or policy that refuses a step is
/// found before this process has changed.
fn probe_user_namespace(uid: libc::uid_t, gid: libc::gid_t) -> io::Result<()> {
    // SAFETY: single-threaded (precondition of `contain_run`); the child only makes syscalls,
    // writes three small files and exits with `_exit`.
    let probe = unsafe { libc::fork() };
    if probe < 0 {
        return Err(io::Error::last_os_error());
    }
    if probe == 0 {
        let ok = enter_namespaces(true, uid, gid).is_ok() && {
            // SAFETY: as above, in the probe (single-threaded).
            let inner = unsafe { libc::fork() };
            if inner == 0 {
                // SAFETY: the probe's child: mounts in its own mount namespace, then exits.
                unsafe { libc::_exit(if mount_own_proc() { 0 } else { 1 }) }
            }
            inner > 0 && wait_status(inner) == Some(0)
        };
        // SAFETY: ends the probe without running this process's exit handlers.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) }
    }
    match wait_status(probe) {
        Some(0) => Ok(()),
        _ => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "not root, and unprivileged user namespaces are not allowed here",
        )),
    }
}

/// Waits for child `pid`; its exit code, `None` when it was killed.
fn wait_status(pid: libc::pid_t) -> Option<i32> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid, writable int.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            return libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
        }
        if rc < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return None;
        }
    }
}

/// Makes this mount namespace's mounts private and mounts a /proc of the current PID namespace
/// over /proc; whether both worked.
fn mount_own_proc() -> bool {
    let none = std::ptr::null();
    // SAFETY: mount takes NUL-terminated literals and null pointers where no value is given.
    unsafe {
        libc::mount(
            none,
            c"/".as_ptr(),
            none,
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ) == 0
            && libc::mount(
                c"proc".as_ptr(),
                c"/proc".as_ptr(),
                c"proc".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                std::ptr::null(),
            ) == 0
    }
}

/// In the child: die with the supervisor, and see the namespace's own processes in /proc.
fn become_contained() -> io::Result<()> {
    // SAFETY: prctl, getppid and mount take plain values and NUL-terminated literals.
    unsafe {
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
            libc::_exit(2);
        }
        // Seen from inside the namespace the supervisor is outside (ppid 0); had it died
        // before the prctl, this process would have been reparented.
        if libc::getppid() != 0 {
            libc::_exit(2);
        }
        if !mount_own_proc() {
            let e = io::Error::last_os_error();
            eprintln!("error: cannot mount /proc for the run's PID namespace: {e}");
            libc::_exit(2);
        }
    }
    Ok(())
}

/// In the parent: pass on signals sent to it, wait for the harness, exit with its status.
fn supervise(harness: libc::pid_t) -> ! {
    HARNESS.store(harness, Ordering::Relaxed);
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: a zeroed sigaction with a valid handler and SA_SIGINFO; `forward` only calls
        // kill, which is async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = forward as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid, writable int.
        let rc = unsafe { libc::waitpid(harness, &mut status, 0) };
        if rc == harness {
            break;
        }
        if rc < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            std::process::exit(2);
        }
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        2
    };
    std::process::exit(code)
}

/// Passes a signal sent with `kill` on to the harness; one from the terminal (Ctrl-C) reached
/// the harness already, through the process group.
extern "C" fn forward(signal: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t with SA_SIGINFO; kill is async-signal-safe.
    unsafe {
        let from_kill = !info.is_null() && (*info).si_code == libc::SI_USER;
        let harness = HARNESS.load(Ordering::Relaxed);
        if from_kill && harness > 0 {
            libc::kill(harness, signal);
        }
    }
}
