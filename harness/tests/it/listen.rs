//! Every server peer the harness starts listens on loopback only: each managed server (the
//! built-in rustls and OpenSSL servers, `openssl s_server`, nginx, HAProxy, `gnutls-serv`,
//! node, Go, Java) is started as a real process with `peers::start_server`, and the kernel's
//! table of listening TCP sockets (`/proc/net/tcp`, `/proc/net/tcp6`) is read back: every
//! listening socket its process group holds, and every one on its port, has a loopback local
//! address. gnutls-serv, which has no option for its address, is held there by the listen shim.
//! A peer that is not installed fails the test, as in `stacks`: install-peers.sh installs all.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use mtls_harness::peers::{start_server, ProcessError, RevocationArgs};
use mtls_harness::pki::{self, KeyType, PkiSpec};
use mtls_harness::scenario::Case;

use super::support::{harness_exe, scenario};

const SERVERS: [&str; 9] = [
    "rustls",
    "openssl",
    "s_server",
    "nginx",
    "haproxy",
    "gnutls-serv",
    "node",
    "go",
    "java",
];

/// One LISTEN socket of the kernel's tables.
#[derive(Debug)]
struct Listener {
    addr: IpAddr,
    port: u16,
    inode: u64,
}

/// An address of `/proc/net/tcp{,6}`: 32-bit words in hex, each printed as the host reads the
/// network-order bytes.
fn proc_addr(hex: &str) -> Option<IpAddr> {
    let mut bytes = Vec::new();
    for i in (0..hex.len()).step_by(8) {
        let word = u32::from_str_radix(hex.get(i..i + 8)?, 16).ok()?;
        bytes.extend_from_slice(&word.to_ne_bytes());
    }
    match bytes.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(bytes).ok()?,
        ))),
        _ => None,
    }
}

/// Every TCP socket in state LISTEN (`0A`), IPv4 and IPv6.
fn listeners() -> Vec<Listener> {
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || f[3] != "0A" {
                continue;
            }
            let (addr, port) = f[1].split_once(':').unwrap();
            out.push(Listener {
                addr: proc_addr(addr).unwrap_or_else(|| panic!("{table}: {line}")),
                port: u16::from_str_radix(port, 16).unwrap(),
                inode: f[9].parse().unwrap(),
            });
        }
    }
    out
}

/// 127.0.0.0/8, `::1`, or `::ffff:127.x.y.z` (an IPv6 socket bound to 127.0.0.1, as Java's).
fn is_loopback(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => a.is_loopback(),
        IpAddr::V6(a) => a.is_loopback() || a.to_ipv4_mapped().is_some_and(|m| m.is_loopback()),
    }
}

/// The socket inodes held by the processes of process group `pgid` (the server and its
/// workers: the harness starts each server in a group of its own).
fn group_sockets(pgid: u32) -> HashSet<u64> {
    let mut inodes = HashSet::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid pgrp ...
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        if rest.split_whitespace().nth(2) != Some(&pgid.to_string()) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let target = std::fs::read_link(fd.path()).unwrap_or_default();
            let target = target.to_string_lossy();
            if let Some(n) = target
                .strip_prefix("socket:[")
                .and_then(|s| s.strip_suffix(']'))
            {
                inodes.insert(n.parse().unwrap());
            }
        }
    }
    inodes
}

fn case_for(server: &str) -> Case {
    let s = scenario(&format!(
        r#"version = 1
[defaults]
client = "rustls"
key = "ecdsa-p256"
tls = {{ versions = ["1.3"], groups = ["x25519"] }}
load = {{ concurrency = 1, handshakes = 1, warmup = "0s", timeout = "5s" }}
[[case]]
name = "listen"
server = "{server}"
"#
    ));
    s.cases.into_iter().next().unwrap()
}

/// Starts `server`, returns what its group and its port listen on, and stops it.
fn listening(server: &str, dir: &Path, files: &pki::PkiFiles) -> Result<String, String> {
    let case = case_for(server);
    let log = dir.join(format!("{server}-server.log"));
    let running = match start_server(
        &harness_exe(),
        &case,
        files,
        &RevocationArgs::default(),
        &log,
        None,
        None,
    ) {
        Ok(r) => r,
        Err(ProcessError::Skipped { reason }) => return Err(format!("skipped: {reason}")),
        Err(e) => return Err(format!("did not start: {e}")),
    };
    let port = running.addr.port();
    let owned = group_sockets(running.pid());
    let all = listeners();
    running.stop();
    let mine: Vec<&Listener> = all.iter().filter(|l| owned.contains(&l.inode)).collect();
    let on_port: Vec<&Listener> = all.iter().filter(|l| l.port == port).collect();
    let show = |ls: &[&Listener]| {
        ls.iter()
            .map(|l| format!("{}:{}", l.addr, l.port))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let evidence = format!(
        "its processes listen on [{}]; port {port} is listened on at [{}]",
        show(&mine),
        show(&on_port)
    );
    if !mine.iter().any(|l| l.port == port) {
        return Err(format!(
            "no listening socket of its own on {port}: {evidence}"
        ));
    }
    if mine.iter().chain(&on_port).any(|l| !is_loopback(l.addr)) {
        return Err(format!("listens beyond loopback: {evidence}"));
    }
    Ok(evidence)
}

#[test]
fn proc_net_addresses_parse() {
    // As a little-endian host prints them; a big-endian one prints the bytes in order.
    if cfg!(target_endian = "little") {
        assert_eq!(proc_addr("0100007F"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(
            proc_addr("00000000000000000000000001000000"),
            Some("::1".parse().unwrap())
        );
        assert_eq!(
            proc_addr("0000000000000000FFFF00000100007F"),
            Some("::ffff:127.0.0.1".parse().unwrap())
        );
    }
    assert!(is_loopback("::ffff:127.0.0.1".parse().unwrap()));
    assert!(!is_loopback("0.0.0.0".parse().unwrap()));
    assert!(!is_loopback("::".parse().unwrap()));
}

#[test]
fn every_server_peer_listens_on_loopback_only() {
    let dir = tempfile::tempdir().unwrap();
    let generated = pki::generate(&PkiSpec::new(KeyType::EcdsaP256, 1)).unwrap();
    let files = pki::write_pki(&generated, &dir.path().join("pki")).unwrap();
    let mut failures = Vec::new();
    for server in SERVERS {
        match listening(server, dir.path(), &files) {
            Ok(evidence) => eprintln!("{server}: {evidence}"),
            Err(why) => {
                eprintln!("{server}: {why}");
                failures.push(format!("{server}: {why}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
