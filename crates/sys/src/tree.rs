//! CPU time of a process together with its descendants, from `/proc`: a server that forks
//! workers or helpers (a command peer) costs what its whole tree costs. Live descendants are
//! found by their parent pid; children that already exited and were waited for are in their
//! parent's `cutime`/`cstime`.

use std::collections::HashMap;
use std::io;
use std::time::Duration;

use super::usage::CpuTime;

/// One `/proc/<pid>/stat` line's fields the tree readings need.
struct Stat {
    ppid: u32,
    /// utime, stime, cutime, cstime in clock ticks.
    ticks: [u64; 4],
}

fn read_stat(pid: u32) -> io::Result<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_stat(&text)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unparsable /proc stat line"))
}

/// The command name (field 2) may hold spaces and parentheses: fields count from the last `)`.
fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state (3), ppid (4), ..., utime (14), stime (15), cutime (16), cstime (17).
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(Stat {
        ppid: u32::try_from(num(1)?).ok()?,
        ticks: [num(11)?, num(12)?, num(13)?, num(14)?],
    })
}

/// `pid` and its live descendants.
fn tree(pid: u32) -> io::Result<Vec<u32>> {
    read_stat(pid)?;
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Some(p) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Ok(stat) = read_stat(p) {
            children.entry(stat.ppid).or_default().push(p);
        }
    }
    let mut out = vec![pid];
    let mut i = 0;
    while let Some(&p) = out.get(i) {
        if let Some(kids) = children.get(&p) {
            out.extend(kids.iter().copied().filter(|k| *k != pid));
        }
        i += 1;
        if out.len() > 100_000 {
            break;
        }
    }
    Ok(out)
}

fn ticks_per_sec() -> u64 {
    // SAFETY: sysconf takes an integer and has no memory effects.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|&t| t > 0).unwrap_or(100)
}

fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::from_nanos(ticks.saturating_mul(1_000_000_000) / ticks_per_sec())
}

/// CPU time of `pid`, its live descendants and the descendants they waited for (clock ticks).
///
/// # Errors
/// When `pid` is gone or `/proc` is unreadable.
pub fn tree_cpu_time(pid: u32) -> io::Result<CpuTime> {
    let (mut user, mut system) = (0u64, 0u64);
    for p in tree(pid)? {
        if let Ok(s) = read_stat(p) {
            user += s.ticks[0] + s.ticks[2];
            system += s.ticks[1] + s.ticks[3];
        }
    }
    Ok(CpuTime {
        user: ticks_to_duration(user),
        system: ticks_to_duration(system),
    })
}

/// On-CPU time of `pid` and its live descendants, each with all its threads, those that
/// exited included (their process CPU clocks, nanoseconds), plus the time of descendants
/// already waited for (`cutime` + `cstime`, clock ticks).
///
/// # Errors
/// When `pid` is gone.
pub fn tree_runtime(pid: u32) -> io::Result<Duration> {
    let mut total = Duration::ZERO;
    for p in tree(pid)? {
        match super::process_runtime(p) {
            Ok(d) => total += d,
            Err(e) if p == pid => return Err(e),
            Err(_) => continue,
        }
        if let Ok(s) = read_stat(p) {
            total += ticks_to_duration(s.ticks[2] + s.ticks[3]);
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_counts_in_its_parents_tree() {
        let line = "77 (a (b) c) S 12 77 77 0 -1 0 0 0 0 0 5 6 7 8 20 0 1 0";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.ppid, 12);
        assert_eq!(s.ticks, [5, 6, 7, 8]);
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pids = tree(std::process::id()).unwrap();
        assert!(pids.contains(&child.id()), "{pids:?}");
        let _ = child.kill();
        let _ = child.wait();
        assert!(tree_runtime(std::process::id()).is_ok());
        assert!(tree_cpu_time(std::process::id()).is_ok());
    }
}
