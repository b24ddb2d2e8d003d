#!/usr/bin/env bash
# The noise-free CI figure: instructions per in-memory mTLS handshake (rustls, TLS 1.3, X25519,
# ECDSA P-256, full handshake), counted by `valgrind --tool=callgrind`, compared with the
# committed baseline bench/callgrind-baseline.txt. Wall-clock figures on a shared CI host move
# by tens of percent with other jobs; instruction counts of the same code differ by a few
# hundredths of a percent between runs, so a 1% threshold catches a 2% slowdown and never noise.
#
# Usage: scripts/callgrind.sh [--plant] [--save] [--handshakes N] [--threshold PCT]
#   --plant        build with the `planted-slowdown` feature (about 2% extra work per handshake)
#                  to show that the gate fails on it
#   --save         write the measured figure as the new baseline (after a toolchain or
#                  dependency upgrade, which changes the instructions legitimately)
#   --handshakes N counted handshakes (default 20)
#   --threshold P  percent above the baseline that fails (default 1)
# Exit: 0 within the threshold, 1 a regression beyond it, 2 an error.
set -euo pipefail
cd "$(dirname "$0")/.."

plant=0 save=0 n=20 threshold=1
while [ $# -gt 0 ]; do
    case "$1" in
        --plant) plant=1 ;;
        --save) save=1 ;;
        --handshakes) n="${2:?--handshakes needs a number}"; shift ;;
        --threshold) threshold="${2:?--threshold needs a percentage}"; shift ;;
        *) echo "usage: $0 [--plant] [--save] [--handshakes N] [--threshold PCT]" >&2; exit 2 ;;
    esac
    shift
done
case "$n" in ''|*[!0-9]*|0) echo "error: --handshakes: expected a positive integer, found \"$n\"" >&2; exit 2 ;; esac
if ! awk -v t="$threshold" 'BEGIN { exit !(t ~ /^[0-9]+(\.[0-9]+)?$/) }'; then
    echo "error: --threshold: expected a percentage like 1 or 0.5, found \"$threshold\"" >&2
    exit 2
fi
command -v valgrind >/dev/null || { echo "error: valgrind is not installed (scripts/install-peers.sh installs it)" >&2; exit 2; }

baseline_file=bench/callgrind-baseline.txt
out_dir=target/callgrind
mkdir -p "$out_dir"
features=()
variant=plain
if [ "$plant" = 1 ]; then features=(--features planted-slowdown); variant=planted; fi

# The dev profile: dependencies (rustls, aws-lc-rs) are optimised in it (opt-level 2), and it
# shares the build the tests already made.
cargo build --locked --quiet -p mtls-bench --bin handshake-instructions "${features[@]}"
bin="$out_dir/handshake-instructions-$variant"
cp target/debug/handshake-instructions "$bin"

cg_out="$out_dir/callgrind.out.$variant"
valgrind --tool=callgrind --toggle-collect='*measured_handshakes*' \
    --callgrind-out-file="$cg_out" "$bin" "$n" >/dev/null 2>"$out_dir/valgrind.$variant.log" || {
    echo "error: valgrind failed; see $out_dir/valgrind.$variant.log" >&2
    exit 2
}
total=$(awk '/^summary:/ { print $2 }' "$cg_out")
[ -n "$total" ] || { echo "error: no summary line in $cg_out" >&2; exit 2; }
per=$(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.0f", t / n }')
echo "instructions per handshake: $per ($total over $n handshakes, $variant build)"

if [ "$save" = 1 ]; then
    {
        echo "# Instructions per in-memory mTLS handshake (scripts/callgrind.sh --save)."
        echo "# $(rustc --version); $(valgrind --version); dev profile; $n handshakes."
        echo "instructions_per_handshake=$per"
    } > "$baseline_file"
    echo "saved $baseline_file"
    exit 0
fi
[ -f "$baseline_file" ] || { echo "error: no baseline $baseline_file; run with --save first" >&2; exit 2; }
base=$(awk -F= '/^instructions_per_handshake=/ { print $2 }' "$baseline_file")
[ -n "$base" ] || { echo "error: $baseline_file has no instructions_per_handshake line" >&2; exit 2; }
change=$(awk -v a="$per" -v b="$base" 'BEGIN { printf "%+.3f", (a - b) / b * 100 }')
echo "baseline: $base; change: $change% (threshold $threshold%)"
if awk -v c="$change" -v t="$threshold" 'BEGIN { exit !(c > t) }'; then
    echo "verdict: regressed"
    exit 1
elif awk -v c="$change" -v t="$threshold" 'BEGIN { exit !(c < -t) }'; then
    echo "verdict: improved (save a new baseline with --save)"
else
    echo "verdict: no change"
fi
