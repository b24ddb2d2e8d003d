#!/usr/bin/env bash
# The vendor's journey end to end, on this machine (docs/vendors-walkthrough.md):
#   1. a CA made with the openssl CLI: a root, an issuing sub-CA (pathlen:0) and a P-256
#      server certificate for localhost / 127.0.0.1 signed by the sub-CA;
#   2. `mtls-harness pki target-crl` writes the CRLs the servers load;
#   3. Apache httpd (mod_ssl), nginx and HAProxy set up from their documentation's
#      client-authentication directives, each trusting the root and loading the CRLs;
#   4. `mtls-harness conformance --target` and `mtls-harness interop --target` against each,
#      and once against an Apache that speaks TLS 1.2 only (`--tls-version 1.2`).
# Everything lives in a temporary directory removed on exit; every server is bound to
# 127.0.0.1 on a free port and stopped on exit (also on Ctrl-C or TERM).
#
# Usage: scripts/vendor-walkthrough.sh [--keep DIR]
#   MTLS_HARNESS  the binary (default target/release/mtls-harness)
#   SEED          the fixture seed of `pki target-crl` and the runs (default 2626)
#   --keep DIR    copy every run directory (reports, logs; no private key) to DIR at the end
set -euo pipefail

MH=${MTLS_HARNESS:-target/release/mtls-harness}
SEED=${SEED:-2626}
APACHE=/usr/sbin/apache2
APACHE_MODULES=/usr/lib/apache2/modules
NGINX=/usr/sbin/nginx
HAPROXY=/usr/sbin/haproxy
KEEP=""

if [[ ${1:-} == "--keep" ]]; then
    KEEP=${2:?--keep needs a directory}
fi

die() {
    echo "vendor-walkthrough: $*" >&2
    exit 2
}

[[ -x $MH ]] || die "no mtls-harness binary at $MH (set MTLS_HARNESS or cargo build --release)"
MH=$(realpath "$MH")
for bin in openssl python3 "$APACHE" "$NGINX" "$HAPROXY"; do
    command -v "$bin" >/dev/null || die "$bin is not installed (scripts/install-peers.sh)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vendor-walkthrough.XXXXXX")
# Apache's children serve as www-data when started as root: they must traverse the
# directory to the document root (the keys are read by the parent, before it drops).
chmod 711 "$WORK"
PIDS=()

# Stops every server this script started (each leads its own process group), then removes
# the temporary directory.
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do
            kill -0 -- "-$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port on 127.0.0.1 that was free a moment ago.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts "$@" in its own process group (log in $LOG), and waits until 127.0.0.1:$PORT
# accepts a connection. Sets SERVER_PID.
start_server() {
    local log=$1 port=$2
    shift 2
    local prog=$1
    setsid "$@" >"$log" 2>&1 </dev/null &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 150); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$log" >&2
    die "$prog did not listen on 127.0.0.1:$port"
}

# Stops the server whose group leader is $1.
stop_server() {
    local pid=$1 left=() p
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 -- "-$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${PIDS[@]}"; do
        [[ $p == "$pid" ]] || left+=("$p")
    done
    PIDS=("${left[@]+"${left[@]}"}")
}

step() {
    printf '\n=== %s\n' "$*"
}

# --- 1. The CA, made with the openssl CLI ---------------------------------------------------
step "1. CA with the openssl CLI in $WORK/ca"
CA=$WORK/ca
mkdir -m 700 "$CA"
cat >"$CA/ext.cnf" <<'EOF'
[sub_ca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
(
    cd "$CA"
    p256=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
    openssl req -x509 "${p256[@]}" -keyout root.key -out root.pem -days 3650 \
        -subj "/O=Example Corp/CN=Example Corp Test Root" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" 2>/dev/null
    openssl req -new "${p256[@]}" -keyout sub.key -out sub.csr \
        -subj "/O=Example Corp/CN=Example Corp Issuing CA" 2>/dev/null
    openssl x509 -req -in sub.csr -CA root.pem -CAkey root.key -CAcreateserial \
        -days 1825 -extfile ext.cnf -extensions sub_ca -out sub.pem 2>/dev/null
    openssl req -new "${p256[@]}" -keyout server.key -out server.csr -subj "/CN=localhost" \
        2>/dev/null
    openssl x509 -req -in server.csr -CA sub.pem -CAkey sub.key -CAcreateserial \
        -days 365 -extfile ext.cnf -extensions server -out server.pem 2>/dev/null
    # What a server sends: its certificate, then the issuing CA.
    cat server.pem sub.pem >server-chain.pem
    # HAProxy takes the chain and the key in one file.
    cat server-chain.pem server.key >server-haproxy.pem
    chmod 600 ./*.key server-haproxy.pem
    # The root's (empty) CRL for the sub-CA: a server checking the whole chain needs it.
    mkdir rootdb
    : >rootdb/index.txt
    echo 01 >rootdb/crlnumber
    printf '%s\n' "[ca]" "default_ca = root" "[root]" "database = $CA/rootdb/index.txt" \
        "crlnumber = $CA/rootdb/crlnumber" "default_md = sha256" "default_crl_days = 30" \
        >rootdb/ca.cnf
    openssl ca -gencrl -config rootdb/ca.cnf -keyfile root.key -cert root.pem \
        -out root.crl 2>/dev/null
    openssl verify -CAfile root.pem -untrusted sub.pem server.pem
)
ISSUER=(--issuer-cert "$CA/sub.pem" --issuer-key "$CA/sub.key" --issuer-chain "$CA/root.pem")
TRUST=(--target-ca "$CA/root.pem" --target-name localhost)

# --- 2. The CRLs the servers load -------------------------------------------------------------
step "2. mtls-harness pki target-crl --seed $SEED"
"$MH" pki target-crl --out "$WORK/harness.crl" --seed "$SEED" "${ISSUER[@]}"
MINT_SECRET=$WORK/harness.crl.mint-secret
# A server checking the whole chain (Apache `SSLCARevocationCheck chain`, nginx `ssl_crl`,
# HAProxy `crl-file`) needs a CRL from every CA: the harness's and the root's for the sub-CA.
cat "$WORK/harness.crl" "$CA/root.crl" >"$WORK/all.crl"

# --- 3. The servers ---------------------------------------------------------------------------
# Apache as Debian's default-ssl.conf sets up client authentication; $2 is SSLProtocol,
# $3 the revocation check (crl, the default, or ocsp).
start_apache() {
    local name=$1 protocol=$2 revocation=${3:-crl} port ap user="" check
    check=$'  SSLCARevocationFile '"$WORK/all.crl"$'\n  SSLCARevocationCheck chain'
    [[ $revocation == ocsp ]] && check="  SSLOCSPEnable leaf"
    port=$(free_port)
    ap=$WORK/$name
    mkdir -p "$ap/htdocs"
    echo ok >"$ap/htdocs/index.html"
    chmod 711 "$ap" "$ap/htdocs"
    chmod 644 "$ap/htdocs/index.html"
    [[ $(id -u) == 0 ]] && user=$'User www-data\nGroup www-data'
    cat >"$ap/httpd.conf" <<EOF
ServerRoot $ap
ServerName localhost
DefaultRuntimeDir $ap
PidFile $ap/httpd.pid
ErrorLog $ap/error.log
LogLevel warn ssl:info
$user
LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule dir_module $APACHE_MODULES/mod_dir.so
LoadModule mime_module $APACHE_MODULES/mod_mime.so
LoadModule socache_shmcb_module $APACHE_MODULES/mod_socache_shmcb.so
LoadModule ssl_module $APACHE_MODULES/mod_ssl.so
TypesConfig /dev/null
Listen 127.0.0.1:$port
SSLSessionCache shmcb:$ap/ssl_scache(512000)
DocumentRoot $ap/htdocs
<Directory $ap/htdocs>
  Require all granted
</Directory>
<VirtualHost 127.0.0.1:$port>
  SSLEngine on
  SSLProtocol $protocol
  SSLCertificateFile $CA/server-chain.pem
  SSLCertificateKeyFile $CA/server.key
  SSLCACertificateFile $CA/root.pem
  SSLVerifyClient require
  SSLVerifyDepth 10
$check
</VirtualHost>
EOF
    start_server "$ap/stdout.log" "$port" "$APACHE" -DFOREGROUND -f "$ap/httpd.conf"
    PORT=$port
}

# nginx as its documentation sets up client authentication (ngx_http_ssl_module).
start_nginx() {
    local port ng
    port=$(free_port)
    ng=$WORK/nginx
    mkdir -p "$ng"
    cat >"$ng/nginx.conf" <<EOF
daemon off;
master_process off;
pid $ng/nginx.pid;
error_log $ng/error.log info;
events { worker_connections 256; }
http {
  access_log off;
  default_type text/plain;
  client_body_temp_path $ng/body;
  proxy_temp_path $ng/proxy;
  fastcgi_temp_path $ng/fastcgi;
  uwsgi_temp_path $ng/uwsgi;
  scgi_temp_path $ng/scgi;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $CA/server-chain.pem;
    ssl_certificate_key $CA/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_verify_client on;
    ssl_client_certificate $CA/root.pem;
    ssl_verify_depth 3;
    ssl_crl $WORK/all.crl;
    location / { return 200 "ok\n"; }
  }
}
EOF
    start_server "$ng/stdout.log" "$port" "$NGINX" -p "$ng" -c "$ng/nginx.conf" \
        -e "$ng/error.log"
    PORT=$port
}

# HAProxy as its documentation sets up client authentication (bind ... verify required).
start_haproxy() {
    local port hp
    port=$(free_port)
    hp=$WORK/haproxy
    mkdir -p "$hp"
    cat >"$hp/haproxy.cfg" <<EOF
global
  log stderr format raw local0 info
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend mtls
  bind 127.0.0.1:$port ssl crt $CA/server-haproxy.pem ca-file $CA/root.pem verify required crl-file $WORK/all.crl
  http-request return status 200 content-type text/plain string ok
EOF
    start_server "$hp/stdout.log" "$port" "$HAPROXY" -db -f "$hp/haproxy.cfg"
    PORT=$port
}

# --- 4. The runs ------------------------------------------------------------------------------
SUMMARY=()

# conformance then interop against 127.0.0.1:$PORT; $1 names the runs, $2 is the stack, the
# rest are extra conformance options.
grade() {
    local name=$1 stack=$2 rc=0 line
    shift 2
    local out=$WORK/runs/$name
    mkdir -p "$out"
    step "conformance --target 127.0.0.1:$PORT --target-stack $stack $* ($name)"
    "$MH" conformance --quiet --target "127.0.0.1:$PORT" "${TRUST[@]}" "${ISSUER[@]}" \
        --target-revocation crl --seed "$SEED" --mint-secret "$MINT_SECRET" \
        --target-stack "$stack" "$@" --out "$out/conformance" \
        >"$out/conformance.txt" 2>&1 || rc=$?
    cat "$out/conformance.txt"
    line=$(grep -E 'case x peer graded' "$out/conformance.txt" | tail -n 1 || true)
    SUMMARY+=("$name conformance: ${line:-no summary line} (exit $rc)")
    echo "--- $name conformance: exit $rc"
    rc=0
    step "interop --target 127.0.0.1:$PORT ($name)"
    "$MH" interop --quiet --target "127.0.0.1:$PORT" "${TRUST[@]}" "${ISSUER[@]}" \
        --out "$out/interop" >"$out/interop.txt" 2>&1 || rc=$?
    cat "$out/interop.txt"
    line=$(grep -E 'cells work' "$out/interop.txt" | tail -n 1 || true)
    SUMMARY+=("$name interop: ${line:-no summary line} (exit $rc)")
    echo "--- $name interop: exit $rc"
}

mkdir -p "$WORK/runs"
step "3. Apache httpd (SSLProtocol all)"
start_apache apache all
grade apache apache
stop_server "$SERVER_PID"

step "3. Apache httpd (SSLProtocol TLSv1.2)"
start_apache apache-tls12 TLSv1.2
grade apache-tls12 apache --tls-version 1.2
stop_server "$SERVER_PID"

# Apache asking the harness's OCSP responder (named in each client certificate's AIA):
# nothing but `SSLOCSPEnable leaf` instead of the CRL directives.
step "3. Apache httpd (SSLOCSPEnable leaf)"
start_apache apache-ocsp all ocsp
out=$WORK/runs/apache-ocsp
mkdir -p "$out"
rc=0
"$MH" conformance --quiet --target "127.0.0.1:$PORT" "${TRUST[@]}" "${ISSUER[@]}" \
    --target-revocation ocsp --target-stack apache --out "$out/conformance" \
    >"$out/conformance.txt" 2>&1 || rc=$?
grep -E '^(sanity|d[0-9]+-)|case x peer graded' "$out/conformance.txt" || true
line=$(grep -E 'case x peer graded' "$out/conformance.txt" | tail -n 1 || true)
SUMMARY+=("apache-ocsp conformance: ${line:-no summary line} (exit $rc)")
echo "--- apache-ocsp conformance: exit $rc"
# A wrong --target-name: a diagnosis (exit 2) before any case.
step "A wrong --target-name against the same Apache"
rc=0
"$MH" conformance --quiet --target "127.0.0.1:$PORT" --target-ca "$CA/root.pem" \
    --target-name wrong.example "${ISSUER[@]}" --out "$out/wrong-name" \
    >"$out/wrong-name.txt" 2>&1 || rc=$?
cat "$out/wrong-name.txt"
SUMMARY+=("apache wrong --target-name: exit $rc")
echo "--- wrong --target-name: exit $rc"
stop_server "$SERVER_PID"

step "3. nginx"
start_nginx
grade nginx nginx
stop_server "$SERVER_PID"

step "3. HAProxy"
start_haproxy
grade haproxy haproxy
stop_server "$SERVER_PID"

step "Summary ($(date -u +%FT%TZ), $(nproc) cores, $MH)"
printf '%s\n' "${SUMMARY[@]}"

if [[ -n $KEEP ]]; then
    mkdir -p "$KEEP"
    cp -r "$WORK/runs/." "$KEEP/"
    # The run directories hold the keys of what was minted: never leave them behind.
    find "$KEEP" \( -name '*.key' -o -name '*key*.pem' \) -type f -delete
    echo "run directories copied to $KEEP (private keys removed)"
fi
