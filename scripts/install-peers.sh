#!/usr/bin/env bash
# Installs the external programs the tests and real-peer cases need, on a fresh Debian machine.
# Idempotent: installs only what is missing. Run as root (or with sudo available).
set -euo pipefail

# program -> Debian package
declare -A needed=(
  [openssl]=openssl   # the openssl binary: fixture checks against OpenSSL 3
  [valgrind]=valgrind # callgrind: the instruction-count figure (scripts/callgrind.sh, bench tests)
  [script]=bsdutils   # a pseudo-terminal for the live-progress test (essential on Debian)
)

missing=()
for program in "${!needed[@]}"; do
  if ! command -v "$program" >/dev/null 2>&1; then
    missing+=("${needed[$program]}")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-peers: everything present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "install-peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
