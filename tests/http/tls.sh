#!/bin/bash
# tests/http/tls.sh -- HTTPS of postwarden-policyd's HTTP service
# (http_tls_listen, http/http_tls.c), with a test certificate made here
# by openssl, curl --cacert and python3's ssl:
#
#   - GET /healthz and the RFC 8058 POST over HTTPS: 200, the suppression
#     recorded; the plain http_listen beside it still answers;
#   - TLS 1.2 and later only: a client held to TLS 1.1 gets no session;
#   - plain HTTP to the TLS port: no HTTP answer, the daemon lives on;
#   - a new certificate and SIGHUP: the new one is served; a broken new
#     file and SIGHUP: the old one stays, logged with the reason;
#   - a missing certificate file, or a key group may read (checked as
#     secret files are), at start: exit 1 naming the setting and the
#     file.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

MAKE=$PW_BUILDDIR/tests/cli/track_make

[ "$(id -u)" -eq 0 ] || pw_skip_all "needs root (the daemon drops to nobody)"
command -v redis-server >/dev/null || pw_skip_all "redis-server not installed"
command -v curl >/dev/null || pw_skip_all "curl not installed"
command -v openssl >/dev/null || pw_skip_all "openssl not installed"
[ -x "$MAKE" ] || pw_skip_all "$MAKE not built"
pw_harness_init
pw_plan 17

# Debian's OpenSSL refuses TLS 1.1 by itself (security level 1 and up);
# so that only the daemon's own minimum can refuse it, this test's
# processes (daemon and clients) run with a system floor of TLS 1.0 at
# security level 0.
cat >"$PW_TMP/openssl.cnf" <<'CNF'
openssl_conf = pw_conf
[pw_conf]
ssl_conf = pw_ssl
[pw_ssl]
system_default = pw_tls
[pw_tls]
MinProtocol = TLSv1
CipherString = DEFAULT:@SECLEVEL=0
CNF
export OPENSSL_CONF=$PW_TMP/openssl.cnf

# cert NAME: a self-signed certificate for 127.0.0.1, subject CN=NAME,
# in $PW_TMP/NAME.crt and its key in $PW_TMP/NAME.key (the daemon's user
# reads it on SIGHUP)
cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$PW_TMP/$1.key" -out "$PW_TMP/$1.crt" -days 2 \
	    -subj "/CN=$1" -addext "subjectAltName=IP:127.0.0.1" \
	    2>/dev/null || pw_bail "openssl req"
	chown nobody "$PW_TMP/$1.key"
	chmod 600 "$PW_TMP/$1.key"
}
cert first
cert second
SECRET=$PW_TMP/tracking.secret
pw_secret_file "$SECRET"
PORT=$(pw_free_port)
TPORT=$(pw_free_port)
URL=https://127.0.0.1:$TPORT
LOG=$PW_TMP/policyd.log
CRT=$PW_TMP/served.crt
KEY=$PW_TMP/served.key
cp -p "$PW_TMP/first.crt" "$CRT"
cp -p "$PW_TMP/first.key" "$KEY"
pw_redis_start
pw_redis_cli HSET "pw:{acme}:tenant" status active >/dev/null
pw_redis_cli SADD pw:tenants acme >/dev/null
pw_daemon_start policyd "http_listen = inet:127.0.0.1:$PORT" \
    "http_tls_listen = inet:127.0.0.1:$TPORT" \
    "http_tls_cert_file = $CRT" "http_tls_key_file = $KEY" \
    "tracking_secret_file = $SECRET"

# code CA PATH [CURL ARGS...]: the status code over HTTPS (000: none)
code() {
	local ca=$1 p=$2
	shift 2
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    --cacert "$PW_TMP/$ca.crt" "$@" "$URL$p"
}
# subject: the TLS version and the CN of the certificate the TLS port
# serves, a line each (not verified: that is what it shows)
subject() {
	"$PW_PYTHON" - "$TPORT" <<'PY'
import socket, ssl, subprocess, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5) as s:
    with ctx.wrap_socket(s) as t:
        der = t.getpeercert(binary_form=True)
        print(t.version())
out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout",
                      "-subject", "-nameopt", "multiline"], input=der,
                     capture_output=True, check=True).stdout.decode()
print([l.split("=", 1)[1].strip() for l in out.splitlines()
       if "commonName" in l][0])
PY
}
pw_wait_until "the HTTPS service" "$PW_TIMEOUT" \
    test "$(code first /healthz)" = 200 || pw_bail "no HTTPS service"
pw_check "logged as started" grep -q "starting: HTTPS service on inet:127.0.0.1:$TPORT" "$LOG"

# --- HTTPS ------------------------------------------------------------------------
pw_is "GET /healthz over HTTPS: 200" "$(code first /healthz)" 200
T=$("$MAKE" "$SECRET" unsub acme reader1@remote.example news)
pw_is "the one-click POST over HTTPS: 200" \
    "$(code first "/u/$T" -d List-Unsubscribe=One-Click)" 200
pw_check "the suppression is recorded" grep -q '^unsubscribe|one-click|' \
    <<<"$(pw_redis_cli HGET "pw:{acme}:supp" reader1@remote.example)"
pw_is "plain http_listen beside it: 200" \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/healthz")" 200
out=$(subject)
pw_is "TLS 1.2 or later, the first certificate" "$out" "TLSv1.3
first"
pw_is "a client held to TLS 1.1: no session" \
    "$(code first /healthz --tlsv1.0 --tls-max 1.1 --ciphers 'DEFAULT:@SECLEVEL=0')" 000
pw_is "plain HTTP to the TLS port: no HTTP answer" \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$TPORT/healthz")" 000
pw_is "the daemon lives on" "$(code first /healthz)" 200

# --- reload -----------------------------------------------------------------------
cp -p "$PW_TMP/second.crt" "$CRT"
cp -p "$PW_TMP/second.key" "$KEY"
kill -HUP "${PW_PIDS[policyd]}"
pw_wait_log "$LOG" "http: reloaded TLS certificate $CRT"
pw_is "SIGHUP: the new certificate is served" "$(subject | sed -n 2p)" second
pw_is "trusted with the new CA only" \
    "$(code second /healthz) $(code first /healthz)" "200 000"
echo "not a certificate" > "$CRT"
kill -HUP "${PW_PIDS[policyd]}"
pw_wait_log "$LOG" 'http: TLS certificate and key not reloaded, keeping the old ones: http_tls_cert_file: '
pw_is "a broken new file: the old certificate stays" "$(subject | sed -n 2p)" second
pw_is "and is served" "$(code second /healthz)" 200
pw_daemon_stop policyd

# --- start-up errors ----------------------------------------------------------------
CONF=$PW_TMP/postwarden-policyd.conf
sed -i "s|^http_tls_cert_file = .*|http_tls_cert_file = $PW_TMP/missing.crt|" "$CONF"
"$PW_BUILDDIR/policyd/postwarden-policyd" -n -c "$CONF" >"$PW_TMP/n.out" 2>&1
pw_is "a missing certificate file: -n exits 1" "$?" 1
pw_check "naming the setting and the file" grep -qF \
    "http_tls_cert_file: $PW_TMP/missing.crt: No such file or directory" \
    "$PW_TMP/n.out"
sed -i "s|^http_tls_cert_file = .*|http_tls_cert_file = $PW_TMP/first.crt|" "$CONF"
sed -i "s|^http_tls_key_file = .*|http_tls_key_file = $PW_TMP/first.key|" "$CONF"
chmod 640 "$PW_TMP/first.key"
"$PW_BUILDDIR/policyd/postwarden-policyd" -n -c "$CONF" >"$PW_TMP/n.out" 2>&1
pw_is "a key group may read: -n exits 1" "$?" 1
pw_check "saying so" grep -qF \
    "http_tls_key_file: $PW_TMP/first.key: private key is accessible by group or others" \
    "$PW_TMP/n.out"
