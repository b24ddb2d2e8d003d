//! The few operating-system calls the harness needs that std does not offer: raising the open
//! file limit, CPU affinity, the parent-death signal for child processes, process-group kill
//! and CPU-time readings; and, in submodules, safe wrappers for the two `unsafe` calls of the
//! `openssl` crate the harness makes (offering a saved session, setting a verification error).
//!
//! This is the only module (with its submodules) that allows `unsafe`; every block carries a
//! SAFETY comment.
#![allow(unsafe_code)]

mod client_sigalgs;
mod ssl_session;
mod verify_error;

pub use client_sigalgs::{set_client_sigalgs_list, ClientSigalgsError};
pub use ssl_session::ResumingContext;
pub use verify_error::VerifyError;

use std::io;
use std::time::Duration;

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

/// Pins the calling thread (and the threads it spawns afterwards) to the given CPUs.
///
/// # Errors
/// `InvalidInput` for an empty or out-of-range CPU list, else the `sched_setaffinity` error.
pub fn pin_current_thread(cpus: &[usize]) -> io::Result<()> {
    set_affinity(0, cpus)
}

fn set_affinity(pid: libc::pid_t, cpus: &[usize]) -> io::Result<()> {
    if cpus.is_empty() || cpus.iter().any(|&c| c >= libc::CPU_SETSIZE as usize) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("bad CPU list {cpus:?}"),
        ));
    }
    // SAFETY: cpu_set_t is plain data; zeroed is its empty value, CPU_SET is given in-range
    // indices (checked above) and sched_setaffinity reads the set for the given size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus {
            libc::CPU_SET(cpu, &mut set);
        }
        if libc::sched_setaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(io::Error::last_os_error());
        }
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

/// Makes `command`'s child die with SIGKILL when the harness dies, puts it in a process group of
/// its own (so it can be killed with its children and does not receive the terminal's Ctrl-C),
/// and pins it to `cpus` when given (a child otherwise inherits the spawning thread's CPUs).
pub fn prepare_child(command: &mut std::process::Command, cpus: Option<Vec<usize>>) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    let parent = libc::pid_t::try_from(std::process::id()).unwrap_or(0);
    // SAFETY: the closure runs between fork and exec and only calls async-signal-safe
    // functions (prctl, getppid, sched_setaffinity); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: then nobody would kill us.
            if libc::getppid() != parent {
                return Err(io::Error::other("parent exited"));
            }
            if let Some(cpus) = &cpus {
                set_affinity(0, cpus)?;
            }
            Ok(())
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

/// CPU time split into user and kernel (system) time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTime {
    /// Time in user space.
    pub user: Duration,
    /// Time in the kernel (system calls, and on loopback much of the TCP stack).
    pub system: Duration,
}

impl CpuTime {
    /// User plus system time.
    pub fn total(self) -> Duration {
        self.user + self.system
    }

    /// `self - earlier`, saturating at zero.
    pub fn since(self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }
}

/// CPU time (all threads, children excluded) consumed so far by this process.
pub fn own_cpu_time() -> CpuTime {
    // SAFETY: `usage` is a valid, writable rusage struct for the duration of the call.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    CpuTime {
        user: timeval(usage.ru_utime),
        system: timeval(usage.ru_stime),
    }
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(u64::try_from(tv.tv_sec).unwrap_or(0))
        + Duration::from_micros(u64::try_from(tv.tv_usec).unwrap_or(0))
}

/// CPU time (all threads) consumed so far by process `pid`, read from `/proc/<pid>/stat`.
/// Resolution is one clock tick (usually 10 ms).
///
/// # Errors
/// When the process is gone or its stat line cannot be parsed.
pub fn process_cpu_time(pid: u32) -> io::Result<CpuTime> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_stat_cpu(&stat, clock_ticks_per_sec())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unparsable /proc stat line"))
}

/// Time process `pid`'s live threads have spent on a CPU, in nanoseconds, summed from
/// `/proc/<pid>/task/*/schedstat`: far finer than the clock ticks of `/proc/<pid>/stat`, so short
/// cases get a usable CPU figure. Threads that already exited are not counted (the servers keep
/// theirs for their lifetime).
///
/// # Errors
/// When the process is gone or schedstat is not available.
pub fn process_runtime(pid: u32) -> io::Result<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let text = std::fs::read_to_string(task?.path().join("schedstat"))?;
        let ns = text
            .split_whitespace()
            .next()
            .and_then(|f| f.parse::<u64>().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unparsable schedstat"))?;
        total += ns;
    }
    Ok(Duration::from_nanos(total))
}

/// Peak resident memory of process `pid` (`VmHWM` in `/proc/<pid>/status`), in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The calling thread's id (from `/proc/thread-self`), for [`thread_runtime`].
pub fn current_tid() -> Option<u32> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// Time thread `tid` of this process has spent on a CPU (its `schedstat`).
///
/// # Errors
/// When the thread is gone or schedstat is not available.
pub fn thread_runtime(tid: u32) -> io::Result<Duration> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat"))?;
    text.split_whitespace()
        .next()
        .and_then(|f| f.parse::<u64>().ok())
        .map(Duration::from_nanos)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unparsable schedstat"))
}

fn clock_ticks_per_sec() -> u64 {
    // SAFETY: sysconf takes an integer and has no memory effects.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|&t| t > 0).unwrap_or(100)
}

/// Parses utime and stime out of a `/proc/<pid>/stat` line. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted from the last `)`.
fn parse_stat_cpu(stat: &str, ticks_per_sec: u64) -> Option<CpuTime> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime is field 14, stime field 15 (1-based).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let time = |ticks: u64| Duration::from_nanos(ticks * 1_000_000_000 / ticks_per_sec);
    Some(CpuTime {
        user: time(utime),
        system: time(stime),
    })
}

/// This process's resident memory now and its peak since the last [`reset_peak_rss`], in
/// bytes (`VmRSS`, `VmHWM` of /proc/self/status); `None` where /proc is not readable.
pub fn own_rss() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Resets this process's peak resident memory (`VmHWM`) to the current value (Linux 4.0+:
/// writing `5` to /proc/self/clear_refs). Returns false when the kernel refused.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_spaces_in_name() {
        let line = "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0";
        let cpu = parse_stat_cpu(line, 100).unwrap();
        assert_eq!(cpu.user, Duration::from_millis(2500));
        assert_eq!(cpu.system, Duration::from_millis(500));
        assert_eq!(cpu.total(), Duration::from_millis(3000));
    }

    #[test]
    fn peak_rss_follows_an_allocation_and_resets() {
        assert!(reset_peak_rss());
        let (rss, peak) = own_rss().unwrap();
        assert!(rss > 0 && peak >= rss);
        let big = vec![1u8; 64 << 20];
        std::hint::black_box(&big);
        let (_, peak_after) = own_rss().unwrap();
        assert!(peak_after >= peak + (60 << 20), "{peak} -> {peak_after}");
        drop(big);
        assert!(reset_peak_rss());
        let (_, peak_reset) = own_rss().unwrap();
        assert!(peak_reset < peak_after, "{peak_after} -> {peak_reset}");
    }

    #[test]
    fn own_process_cpu_is_readable() {
        let pid = std::process::id();
        assert!(process_cpu_time(pid).is_ok());
        let tid = current_tid().unwrap();
        let before = process_runtime(pid).unwrap();
        let thread_before = thread_runtime(tid).unwrap();
        // Spin until this thread has had 20 ms of CPU (however busy the machine is).
        let spin = std::time::Instant::now();
        while thread_runtime(tid).unwrap() - thread_before < Duration::from_millis(20)
            && spin.elapsed() < Duration::from_secs(10)
        {
            std::hint::black_box(0u64);
        }
        let thread_used = thread_runtime(tid).unwrap() - thread_before;
        let after = process_runtime(pid).unwrap();
        assert!(thread_used >= Duration::from_millis(20), "{thread_used:?}");
        // The process total includes this thread's time.
        assert!(
            after - before >= thread_used,
            "{before:?} -> {after:?}, thread {thread_used:?}"
        );
    }
}
