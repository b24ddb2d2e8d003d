//! Console output that a closed pipe cannot turn into a panic or a different exit code:
//! `mtls-harness run ... | head -1` closes stdout early, and `println!` would then panic (Rust
//! ignores SIGPIPE, so the write fails with EPIPE) before the baseline is compared and saved.
//! Every line a command prints for people goes through [`out`]: once stdout is found closed,
//! later lines are dropped quietly and the command goes on to its verdict. Commands write their
//! files and decide their verdict before printing, so what the console loses is only text.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to stdout failed: nothing more is written there.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout as it is (no newline added) and flushes it; a closed or failing
/// stdout is remembered and ignored.
pub(crate) fn out(text: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// [`out`] of `line` and a newline.
pub(crate) fn outln(line: &str) {
    out(&format!("{line}\n"));
}

/// Writes `line` and a newline to stderr, ignoring a closed stderr (`eprintln!` would panic).
pub(crate) fn errln(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
