//! Distributed load on one machine: a server from `pki generate` + `serve`, two harness
//! workers (`run --worker 1/2` and `2/2`, at the same time, `--target` the one server), each
//! driving half the concurrency and writing its own interval log; `merge` combines them into
//! exactly the sum of both.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use mtls_harness::report::{auto_histogram, read_hlog};
use serde_json::Value;

use super::support::harness_exe;

/// Kills the server when the test ends, also on a failed assertion.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn two_workers_against_one_server_merge_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let status = Command::new(harness_exe())
        .args([
            "pki",
            "generate",
            "--out",
            "pki",
            "--identities",
            "4",
            "--seed",
            "7",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(status.status.success());
    let mut child = Command::new(harness_exe())
        .args([
            "serve",
            "--cert",
            "pki/server/server.crt",
            "--key",
            "pki/server/server.key",
            "--client-ca",
            "pki/ca/root.crt",
            "--listen",
            "127.0.0.1:0",
        ])
        .current_dir(d)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();

    std::fs::write(
        d.join("w.toml"),
        "version = 1\n[pki]\nseed = 7\nidentities = 4\n[[case]]\nname = \"valid\"\nload = { concurrency = 8, duration = \"1500ms\", warmup = \"200ms\" }\n",
    )
    .unwrap();
    let workers: Vec<Child> = ["1/2", "2/2"]
        .iter()
        .map(|w| {
            Command::new(harness_exe())
                .args(["run", "-q", "w.toml", "--target", &addr, "--worker", w])
                .args(["--target-ca", "pki/ca/root.crt"])
                .args(["--out", &format!("worker-{}", &w[..1])])
                .current_dir(d)
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut w in workers {
        assert!(w.wait().unwrap().success());
    }
    drop(server);

    let mut expected = auto_histogram();
    let mut total = 0;
    for w in ["worker-1", "worker-2"] {
        let summary: Value =
            serde_json::from_slice(&std::fs::read(d.join(w).join("summary.json")).unwrap())
                .unwrap();
        let case = &summary["cases"][0];
        assert_eq!(case["load"]["schedule"]["concurrency"], 4, "{w}: half of 8");
        assert_eq!(case["met"], true, "{w}: {}", case["verdict"]);
        total += case["latency_us"]["count"].as_u64().unwrap();
        expected
            .add(read_hlog(&d.join(w).join("valid.hlog")).unwrap().total())
            .unwrap();
    }
    let out = Command::new(harness_exe())
        .args([
            "merge",
            "--out",
            "merged.hlog",
            "worker-1/valid.hlog",
            "worker-2/valid.hlog",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(out.status.success());
    let merged = read_hlog(&d.join("merged.hlog")).unwrap().total();
    assert_eq!(merged.len(), total);
    assert_eq!(merged, expected);
}
