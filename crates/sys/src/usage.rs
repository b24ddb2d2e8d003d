//! Resource readings: CPU time of this process, of other processes and of single threads (from
//! `getrusage` and `/proc`), and resident memory, so the harness can report what each side of a
//! handshake cost.

use std::io;
use std::time::Duration;

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

/// Time process `pid` has spent on a CPU, all its threads together, including threads that
/// already exited, in nanoseconds: its process CPU clock (`clock_getcpuclockid`, which any
/// process may read). Summing `/proc/<pid>/task/*/schedstat` instead would lose the time of
/// every thread that ended, and a server with a thread per connection (the Java server's
/// first design) then showed 0 µs per handshake.
///
/// # Errors
/// When the process is gone.
pub fn process_runtime(pid: u32) -> io::Result<Duration> {
    let pid = libc::pid_t::try_from(pid)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "pid out of range"))?;
    let mut clock: libc::clockid_t = 0;
    // SAFETY: clock_getcpuclockid writes one clockid_t, which `clock` is.
    let rc = unsafe { libc::clock_getcpuclockid(pid, &mut clock) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which `ts` is, and has no other effect.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    ))
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

/// CPU time the calling thread has used (`CLOCK_THREAD_CPUTIME_ID`): unlike wall time, it does
/// not advance while the thread is preempted. `None` where the clock is not available.
pub fn thread_cpu_now() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which `ts` is, and has no other effect.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return None;
    }
    Some(Duration::new(
        u64::try_from(ts.tv_sec).ok()?,
        u32::try_from(ts.tv_nsec).ok()?,
    ))
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

    #[test]
    fn a_process_keeps_the_cpu_time_of_its_threads_that_exited() {
        let pid = std::process::id();
        let before = process_runtime(pid).unwrap();
        // A thread that burns 60 ms of its own CPU and ends.
        let burned = std::thread::spawn(|| {
            let start = thread_cpu_now().unwrap();
            let spin = std::time::Instant::now();
            while thread_cpu_now().unwrap() - start < Duration::from_millis(60)
                && spin.elapsed() < Duration::from_secs(10)
            {
                std::hint::black_box(0u64);
            }
            thread_cpu_now().unwrap() - start
        })
        .join()
        .unwrap();
        assert!(burned >= Duration::from_millis(60), "{burned:?}");
        let after = process_runtime(pid).unwrap();
        assert!(
            after - before >= burned,
            "{before:?} -> {after:?}: the ended thread's {burned:?} is missing"
        );
    }
}
