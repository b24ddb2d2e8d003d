#!/usr/bin/env bash
# The test command: installs what the tests need, then checks formatting, lints and runs every
# test of the workspace. This is what the README and .ci/run call.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-peers.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The interop matrix runs alone, after the rest: its resumed columns need each in-process
# client's warm-up (500 ms) to complete a first handshake against the JVM server of a debug
# build, which the rest of the suite's parallel load can starve (seen: 19 of 20 resumed,
# the first with no session to offer; alone it passes). Its assertions are unchanged.
matrix=interop::shipped_matrix_works_and_is_reported
cargo test --workspace --locked -- --skip "$matrix"
cargo test --locked -p mtls-harness --test it -- --exact "$matrix"
