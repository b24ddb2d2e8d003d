#!/usr/bin/env bash
# The test command: installs what the tests need, then checks formatting, lints and runs every
# test of the workspace. This is what the README and .ci/run call.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-peers.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
