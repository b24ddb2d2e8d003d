#!/usr/bin/env bash
# Fetches NIST's PKITS data (the 2011 edition: RSA-2048/SHA-256, valid 2010-2030) from the
# pinned cryptography_vectors wheel on PyPI, checks the wheel's sha256, and unpacks
# cryptography_vectors/x509/PKITS_data/ into the cache directory `mtls-harness pkits` reads by
# default. Idempotent: does nothing when the data is already there. Nothing of PKITS is
# committed to this repository.
#
#   scripts/fetch-pkits.sh            # into ${XDG_CACHE_HOME:-$HOME/.cache}/mtls-harness/pkits/<version>
#   PKITS_DIR=/some/dir scripts/fetch-pkits.sh
set -euo pipefail

version=44.0.0
sha256=458ed682dbfa7144da156039c764ac707eb48b80e1d17ffe99e1de2edc91d5d7
wheel="cryptography_vectors-${version}-py2.py3-none-any.whl"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/mtls-harness/pkits"
dest="${PKITS_DIR:-$cache/$version}"

if [ -f "$dest/.complete" ]; then
  echo "fetch-pkits: present in $dest"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pip=""
for candidate in pip3 pip; do
  if command -v "$candidate" >/dev/null 2>&1; then pip="$candidate"; break; fi
done
if [ -n "$pip" ]; then
  "$pip" download --quiet --no-deps --only-binary :all: --dest "$work" \
    "cryptography_vectors==${version}"
else
  # Without pip: PyPI's JSON API names the wheel's URL.
  url="$(curl -fsSL "https://pypi.org/pypi/cryptography_vectors/${version}/json" |
    python3 -c 'import json,sys; print(next(u["url"] for u in json.load(sys.stdin)["urls"] if u["filename"].endswith(".whl")))')"
  curl -fsSL -o "$work/$wheel" "$url"
fi
echo "${sha256}  $work/$wheel" | sha256sum --check --quiet -
mkdir -p "$work/x"
python3 - "$work/$wheel" "$work/x" <<'PY'
import sys, zipfile
prefix = "cryptography_vectors/x509/PKITS_data/"
with zipfile.ZipFile(sys.argv[1]) as z:
    members = [m for m in z.namelist() if m.startswith(prefix)]
    if not members:
        sys.exit("fetch-pkits: the wheel holds no " + prefix)
    z.extractall(sys.argv[2], members)
PY
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.tmp"
mv "$work/x/cryptography_vectors/x509/PKITS_data" "$dest.tmp"
echo "cryptography_vectors ${version} sha256 ${sha256}" >"$dest.tmp/.complete"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "fetch-pkits: PKITS data in $dest"
