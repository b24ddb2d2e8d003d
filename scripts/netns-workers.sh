#!/usr/bin/env bash
# Distributed load on one machine: N harness workers, each in its own network namespace, drive
# one `mtls-harness serve` over a private bridge; `mtls-harness merge` then combines their
# interval logs exactly. The same workers run as a Kubernetes Indexed Job when one machine is
# not enough (README, "Distributed load").
#
# Usage (root, iproute2): scripts/netns-workers.sh [N] [SCENARIO] [OUT_DIR]
#   N         workers (default 2)
#   SCENARIO  default: a one-case scenario written into OUT_DIR (seed 1, 200 in flight, 5 s)
#   OUT_DIR   default: reports/runs/netns-<UTC time>
# The scenario's [pki] seed and anchor must match the server's fixtures (generated here with
# `pki generate --seed 1`). Everything created (namespaces, bridge, server) is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

n="${1:-2}"
scenario="${2:-}"
out="${3:-reports/runs/netns-$(date -u +%Y%m%dT%H%M%SZ)}"
case "$n" in ''|*[!0-9]*|0) echo "error: N: expected a positive number of workers, found \"$n\"" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "error: needs root (network namespaces)" >&2; exit 2; }
command -v ip >/dev/null || { echo "error: the ip command (iproute2) is missing" >&2; exit 2; }

cargo build --locked --quiet -p mtls-harness
harness="$(pwd)/target/debug/mtls-harness"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

tag="mh$$"                      # unique names: this run only touches what it creates
bridge="br-$tag"
subnet=10.231
server_ip="$subnet.0.1"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    for k in $(seq 1 "$n"); do ip netns del "$tag-w$k" 2>/dev/null || true; done
    ip link del "$bridge" 2>/dev/null || true
}
trap cleanup EXIT

ip link add "$bridge" type bridge
ip addr add "$server_ip/16" dev "$bridge"
ip link set "$bridge" up
for k in $(seq 1 "$n"); do
    ns="$tag-w$k"
    ip netns add "$ns"
    ip link add "v$tag$k" type veth peer name eth0 netns "$ns"
    ip link set "v$tag$k" master "$bridge" up
    ip -n "$ns" addr add "$subnet.1.$k/16" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
done

"$harness" pki generate --out "$out/pki" --identities 100 --seed 1 >/dev/null
"$harness" serve --cert "$out/pki/server/server.crt" --key "$out/pki/server/server.key" \
    --client-ca "$out/pki/ca/root.crt" --listen "$server_ip:0" >"$out/server.out" 2>"$out/server.log" &
server_pid=$!
for _ in $(seq 1 50); do grep -q listening "$out/server.out" 2>/dev/null && break; sleep 0.1; done
addr=$(awk '/listening on/ { print $3 }' "$out/server.out")
[ -n "$addr" ] || { echo "error: the server did not start; see $out/server.log" >&2; exit 2; }
echo "server: $addr (pid $server_pid); $n workers in namespaces $tag-w1..$tag-w$n"

if [ -z "$scenario" ]; then
    scenario="$out/netns.toml"
    cat >"$scenario" <<'TOML'
version = 1
name = "netns-workers"
description = "One server, several harness workers in their own network namespaces."
[pki]
seed = 1
identities = 100
[[case]]
name = "valid"
load = { concurrency = 200, duration = "5s", warmup = "1s", timeout = "10s" }
TOML
fi

pids=()
for k in $(seq 1 "$n"); do
    ip netns exec "$tag-w$k" "$harness" run -q "$scenario" --target "$addr" \
        --target-ca "$out/pki/ca/root.crt" --target-name localhost --seed 1 \
        --worker "$k/$n" --out "$out/worker-$k" >"$out/worker-$k.txt" 2>&1 &
    pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
[ "$failed" = 0 ] || { echo "error: a worker failed; see $out/worker-*.txt" >&2; exit 2; }

for log in "$out"/worker-1/*.hlog; do
    name=$(basename "$log")
    "$harness" merge --out "$out/merged-$name" "$out"/worker-*/"$name"
done
echo "results: $out (worker-K/ per worker, merged-*.hlog and .hgrm combined)"
