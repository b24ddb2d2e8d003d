//! Containment of everything a run starts, enforced by the kernel. The process the user
//! started becomes a small supervisor; the harness proper runs as its child, as PID 1 of a new
//! PID namespace (with its own `/proc`, so the pids it reads there are its children's), and
//! dies with the supervisor (parent-death signal SIGKILL). When the init of a PID namespace
//! dies, the kernel kills every process left in it. So whatever ends the run (a normal end, an
//! error, a panic, two Ctrl-C, SIGTERM, or `kill -9` of either process), no peer it started
//! survives: not nginx's worker processes (which a parent-death signal does not reach, because
//! nginx forks them), not a process client, not a grandchild of either.
//!
//! Creating the namespaces needs `CAP_SYS_ADMIN` (root, as in CI). Without it the harness runs
//! as before (process groups and parent-death signals, which miss grandchildren when the
//! harness is killed with SIGKILL) and says so once on stderr.
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
    // SAFETY: geteuid has no memory effects.
    if unsafe { libc::geteuid() } != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "creating a PID namespace needs root (CAP_SYS_ADMIN)",
        ));
    }
    // SAFETY: unshare takes a flag word: new children go into a new PID namespace, and this
    // process gets a private copy of its mount table (for the harness's own /proc).
    if unsafe { libc::unshare(libc::CLONE_NEWPID | libc::CLONE_NEWNS) } != 0 {
        return Err(io::Error::last_os_error());
    }
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
        let none = std::ptr::null();
        if libc::mount(
            none,
            c"/".as_ptr(),
            none,
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ) != 0
            || libc::mount(
                c"proc".as_ptr(),
                c"/proc".as_ptr(),
                c"proc".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                std::ptr::null(),
            ) != 0
        {
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
