//! The structured channel from a built-in server to the runner: status events as JSON lines
//! in the file the settings name (`status`), written whatever `RUST_LOG` says. The runner reads
//! figures from here (what loading the CRL cost, how often the certificate rotated, the tally
//! at shutdown), never from the server's log text.
//!
//! The serve process is one server, so the channel is process-wide: [`open`] once at start,
//! then [`emit`] from anywhere (the accept loop, the reload and rotation tasks).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Serialize};

/// One status event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum StatusEvent {
    /// The server accepts connections on this address.
    Listening {
        /// Where.
        addr: SocketAddr,
    },
    /// The CRLs were loaded at start and the configuration built with them.
    CrlLoaded {
        /// Their total size.
        bytes: u64,
        /// From reading the files to a ready configuration, milliseconds.
        ready_ms: f64,
    },
    /// New CRLs were loaded while running.
    CrlReloaded,
    /// The server rotated to a new certificate.
    CertRotated,
    /// The server stopped; what it saw.
    Stopped {
        /// Connections that completed a request.
        accepted: u64,
        /// Handshakes the server rejected.
        rejected: u64,
        /// Connections lost after the handshake.
        failed: u64,
    },
}

/// The largest status file the runner reads (a server writes a few events per rotation).
const MAX_STATUS: u64 = 16 * 1024 * 1024;

static CHANNEL: OnceLock<Mutex<File>> = OnceLock::new();

/// Opens the channel at `path` (created, or appended to; never through a symlink).
///
/// # Errors
/// When the file cannot be opened.
pub fn open(path: &Path) -> io::Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let _ = CHANNEL.set(Mutex::new(file));
    Ok(())
}

/// Writes `event` to the channel, if one is open. A failed write is logged, not fatal: the
/// server keeps serving.
pub fn emit(event: &StatusEvent) {
    let Some(channel) = CHANNEL.get() else {
        return;
    };
    let mut line = match serde_json::to_vec(event) {
        Ok(line) => line,
        Err(e) => return tracing::warn!("status event: {e}"),
    };
    line.push(b'\n');
    let mut file = channel.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(e) = file.write_all(&line) {
        tracing::warn!("status event: {e}");
    }
}

/// The events in the status file at `path`, in order; lines that do not parse (a line cut
/// short by a kill) are skipped. Empty when there is no file.
pub fn read(path: &Path) -> Vec<StatusEvent> {
    let mut text = String::new();
    let read = File::open(path).and_then(|f| f.take(MAX_STATUS).read_to_string(&mut text));
    if read.is_err() {
        return Vec::new();
    }
    text.lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("status.jsonl");
        let events = [
            StatusEvent::CrlLoaded {
                bytes: 1234,
                ready_ms: 5.5,
            },
            StatusEvent::CertRotated,
        ];
        let mut text = String::new();
        for e in &events {
            text.push_str(&serde_json::to_string(e).expect("serializes"));
            text.push('\n');
        }
        text.push_str("{\"event\":\"crl_lo"); // cut short by a kill
        std::fs::write(&path, text).expect("write");
        assert_eq!(read(&path), events);
        assert!(read(&dir.path().join("missing")).is_empty());
    }
}
