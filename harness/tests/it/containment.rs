//! No process outlives the run, whatever ends the harness: `kill -9` of the harness in the
//! middle of an nginx case with several worker processes, and two SIGINTs in a row. nginx forks
//! its workers, so a parent-death signal does not reach them; the run's PID namespace does
//! (`sys::contain_run`: the kernel kills every process in it when its init dies). Also without
//! root, where the PID namespace is made inside a user namespace.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::support::harness_exe;

/// Pids of processes whose command line names `dir` (nginx's master names its configuration
/// there), and of their children (nginx's workers, whose command line does not).
fn run_processes(dir: &Path) -> Vec<u32> {
    let marker = dir.to_string_lossy().into_owned();
    let mut stats = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // Fields after the command name in parentheses: state, ppid, ...
        let after = stat.rsplit_once(") ").map(|(_, rest)| rest).unwrap_or("");
        let mut fields = after.split_whitespace();
        let state = fields.next().unwrap_or("Z").to_string();
        let ppid: u32 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        stats.push((pid, ppid, state, cmdline.contains(&marker)));
    }
    let named: Vec<u32> = stats
        .iter()
        .filter(|(_, _, state, named)| *named && state != "Z")
        .map(|(pid, ..)| *pid)
        .collect();
    let mut all = named.clone();
    for (pid, ppid, state, _) in &stats {
        if named.contains(ppid) && state != "Z" && !all.contains(pid) {
            all.push(*pid);
        }
    }
    all
}

/// Whether `pid` is gone (or a zombie: dead, waiting to be reaped by whoever inherited it).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// Starts a long nginx case with two workers and waits until the master and both workers run;
/// returns the harness and their pids.
// The child is handed to the caller, which waits for it (the lint cannot see past the return).
#[allow(clippy::zombie_processes)]
fn start_nginx_run(dir: &Path) -> (Child, Vec<u32>) {
    start_nginx_run_as(dir, Command::new(harness_exe()))
}

/// As [`start_nginx_run`], the harness started by `command` (the harness itself, or a program
/// that becomes it).
#[allow(clippy::zombie_processes)]
fn start_nginx_run_as(dir: &Path, mut command: Command) -> (Child, Vec<u32>) {
    std::fs::write(
        dir.join("long.toml"),
        r#"
version = 1
name = "long"
[pki]
identities = 2
[[case]]
name = "long"
server = "nginx"
server_threads = 2
load = { concurrency = 2, duration = "120s", warmup = "0s" }
"#,
    )
    .unwrap();
    let out = dir.join("r");
    let mut child = command
        .args(["run", "long.toml", "-q", "--out"])
        .arg(&out)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let pids = run_processes(&dir.join("r"));
        // The master and its two workers.
        if pids.len() >= 3 {
            // Handshakes flowing: let the load run a moment.
            std::thread::sleep(Duration::from_millis(500));
            return (child, run_processes(&dir.join("r")));
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nginx with two workers never started: {pids:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Asserts that every pid in `pids` ends within a few seconds.
fn assert_all_gone(pids: &[u32]) {
    let started = Instant::now();
    while !pids.iter().all(|&p| gone(p)) {
        let left: Vec<_> = pids.iter().filter(|&&p| !gone(p)).collect();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "processes of the run outlived it: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `kill -9` of the harness (`child`), then every pid of its run ends and nothing naming `dir`
/// remains.
fn kill_9_and_assert_all_gone(child: &mut Child, pids: &[u32], dir: &Path) {
    let kill = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let _ = child.wait();
    assert_all_gone(pids);
    assert!(run_processes(&dir.join("r")).is_empty());
}

#[test]
fn kill_9_of_the_harness_leaves_no_nginx_worker_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, pids) = start_nginx_run(dir.path());
    kill_9_and_assert_all_gone(&mut child, &pids, dir.path());
}

#[test]
fn two_sigints_leave_no_nginx_worker_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, pids) = start_nginx_run(dir.path());
    for _ in 0..2 {
        let kill = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "an interrupted run does not exit 0");
    assert_all_gone(&pids);
    assert!(run_processes(&dir.path().join("r")).is_empty());
}

/// Whether this process is root (then a test can also run the harness as another user).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
}

#[test]
fn kill_9_of_a_harness_without_root_leaves_no_nginx_worker_behind() {
    let dir = tempfile::tempdir().unwrap();
    let command = if is_root() {
        // The harness as nobody: it contains the run in a user namespace of its own.
        let chown = Command::new("chown")
            .args(["65534:65534"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(chown.success());
        let mut c = Command::new("setpriv");
        c.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .arg(harness_exe());
        c
    } else {
        Command::new(harness_exe())
    };
    let (mut child, pids) = start_nginx_run_as(dir.path(), command);
    // setpriv became the harness (exec): the pid is the supervisor's.
    kill_9_and_assert_all_gone(&mut child, &pids, dir.path());
}
