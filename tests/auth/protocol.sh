#!/bin/bash
# tests/auth/protocol.sh -- postwarden-policyd's SASL service spoken to
# directly (tests/auth/auth_client.py, the lines Postfix's
# xsasl_dovecot_server.c sends), with a real redis-server and secrets
# made by lib/auth_secret (tests/auth/auth_mint):
#
#   - the handshake (VERSION 1, MECH PLAIN and LOGIN, SPID, CUID, COOKIE,
#     DONE) comes at once, without a line from the client;
#   - PLAIN and LOGIN with the key id and its token, and user "apikey"
#     with the token, answer OK with user=<key id>;
#   - a wrong secret, a token of another key, a mistyped token, a
#     suspended key and a disabled tenant answer FAIL, each logged once
#     with rip= and key=, and no secret is ever in the log;
#   - hostile input (a huge line, AUTH before VERSION, an unknown
#     command, a reused id, bad base64, an unknown mechanism) is refused
#     and logged, and the daemon lives on;
#   - failures from one address reach auth_fail_client_limit: that
#     address is refused even with the right token, another is not; a
#     key's failures reach auth_fail_key_limit: the key is refused;
#   - Redis stopped: the handshake still comes, a pair verified before
#     still logs in (from the cache), an unknown one gets the connection
#     closed (Postfix's 454);
#   - auth_listen set without auth_pepper_file: the daemon does not start.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

MINT=$PW_BUILDDIR/tests/auth/auth_mint
CLIENT="$PW_PYTHON $PW_SRCDIR/tests/auth/auth_client.py"
BIN=$PW_BUILDDIR/policyd/postwarden-policyd

[ "$(id -u)" -eq 0 ] || pw_skip_all "needs root (the daemon drops to nobody)"
command -v redis-server >/dev/null || pw_skip_all "redis-server not installed"
[ -x "$MINT" ] || pw_skip_all "$MINT not built"
pw_harness_init
pw_plan 40

R() { pw_redis_cli "$@"; }
PEPPER=$PW_TMP/pepper
pw_secret_file "$PEPPER"
pw_redis_start

# A tenant and key in Redis as docs/redis-schema.md says, and a secret:
# mint KEYID TENANT prints the token and stores its hash.
key_add() {
	R HSET "pw:key:$1" tenant "$2" >/dev/null
	R HSET "pw:{$2}:tenant" status active created 1 >/dev/null
	R HSET "pw:{$2}:key:$1" status active created 1 >/dev/null
}
mint() {
	local token sid hash
	read -r token sid hash < <("$MINT" "$PEPPER" "$1") || return 1
	R HSET "pw:{$2}:key:$1:secrets" "$sid" "$hash" "$sid:created" 1 \
	    >/dev/null
	echo "$token"
}
key_add k1 acme
key_add k2 acme
key_add k3 beta
key_add k4 gamma
T1=$(mint k1 acme)
T2=$(mint k2 acme)
T3=$(mint k3 beta)
T4=$(mint k4 gamma)
# A token of k1 whose hash Redis does not hold: a wrong secret.
read -r T1_WRONG _ _ < <("$MINT" "$PEPPER" k1)
[ -n "$T1" ] && [ -n "$T4" ] && [ -n "$T1_WRONG" ] || pw_bail "auth_mint"

SOCK=$PW_TMP/auth.sock
pw_daemon_start policyd "auth_listen = unix:$SOCK" \
    "auth_pepper_file = $PEPPER" "auth_fail_client_limit = 3" \
    "auth_fail_key_limit = 4" "redis_command_timeout = 500ms"
LOG=$PW_TMP/policyd.log
# Wait for the SASL socket too (pw_daemon_start waited for policyd_listen).
pw_wait_until "the SASL socket" "$PW_TIMEOUT" test -S "$SOCK" ||
    pw_bail "no SASL socket"

# --- handshake ---------------------------------------------------------------------
hs=$($CLIENT "$SOCK" handshake)
pw_is "handshake lines" "$(echo "$hs" | cut -f1 | tr '\n' ' ')" \
    "VERSION MECH MECH SPID CUID COOKIE DONE "
pw_check "VERSION 1 and MECH PLAIN, LOGIN plaintext" \
    grep -qzP 'VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\n' \
    <<<"$hs"
pw_check "COOKIE is 32 hex digits" grep -qP '^COOKIE\t[0-9a-f]{32}$' <<<"$hs"
pw_is "socket mode 0660, group postfix" "$(stat -c '%a %G' "$SOCK")" \
    "660 postfix"

# --- logins ---------------------------------------------------------------------------
pw_is "PLAIN with key id and token" \
    "$($CLIENT "$SOCK" plain k1 "$T1")" "$(printf 'OK\t1\tuser=k1')"
pw_is "LOGIN with key id and token" \
    "$($CLIENT "$SOCK" login k2 "$T2")" "$(printf 'OK\t1\tuser=k2')"
pw_is "PLAIN as apikey with a token: user is the key id" \
    "$($CLIENT "$SOCK" plain apikey "$T3")" "$(printf 'OK\t1\tuser=k3')"
pw_is "LOGIN as apikey" \
    "$($CLIENT "$SOCK" login apikey "$T1")" "$(printf 'OK\t1\tuser=k1')"
pw_is "a wrong secret: FAIL" \
    "$($CLIENT "$SOCK" plain k1 "$T1_WRONG" 198.51.100.1)" \
    "$(printf 'FAIL\t1')"
pw_check "logged once with rip and key" \
    test "$(grep -c 'sasl login failed: rip=198.51.100.1, mech=PLAIN, key=k1: wrong secret' "$LOG")" = 1
pw_is "a token of another key: FAIL" \
    "$($CLIENT "$SOCK" plain k2 "$T1" 198.51.100.2)" "$(printf 'FAIL\t1')"
pw_check "logged: the token belongs to another key" \
    grep -q 'rip=198.51.100.2, mech=PLAIN, key=k2: the token belongs to another key' "$LOG"
typo=${T1%?}x
[ "$typo" = "$T1" ] && typo=${T1%?}y
pw_is "a mistyped token: FAIL" \
    "$($CLIENT "$SOCK" plain k1 "$typo" 198.51.100.3)" "$(printf 'FAIL\t1')"
pw_check "logged as mistyped" \
    grep -q 'rip=198.51.100.3, mech=PLAIN, key=k1: token checksum fails' "$LOG"
pw_is "not a token at all: FAIL" \
    "$($CLIENT "$SOCK" login k1 hunter2 198.51.100.4)" "$(printf 'FAIL\t1')"

R HSET 'pw:{acme}:key:k2' status suspended >/dev/null
pw_is "a suspended key with its right token: FAIL" \
    "$($CLIENT "$SOCK" plain k2 "$T2" 198.51.100.5)" "$(printf 'FAIL\t1')"
pw_check "logged: key not active (suspended)" \
    grep -q 'rip=198.51.100.5, mech=PLAIN, key=k2: key not active (suspended)' "$LOG"
R HSET 'pw:{beta}:tenant' status disabled >/dev/null
pw_is "a disabled tenant's key: FAIL" \
    "$($CLIENT "$SOCK" plain k3 "$T3" 198.51.100.6)" "$(printf 'FAIL\t1')"
pw_check "logged: tenant not active (disabled)" \
    grep -q 'rip=198.51.100.6, mech=PLAIN, key=k3: tenant not active (disabled)' "$LOG"

# --- hostile input ---------------------------------------------------------------------
V=$(printf 'VERSION\t1\t0\n')
out=$(head -c 100000 /dev/zero | tr '\0' a | $CLIENT "$SOCK" raw | tail -n 1)
pw_is "a 100 kB line: connection closed" "$out" CLOSED
pw_check "logged: line too long" grep -q 'sasl: .*: line too long; closing' "$LOG"
out=$(printf 'AUTH\t1\tPLAIN\tresp=AGsxAHg=\n' | $CLIENT "$SOCK" raw | tail -n 1)
pw_is "AUTH before VERSION: closed" "$out" CLOSED
pw_check "logged: request before VERSION" grep -q 'request before VERSION; closing' "$LOG"
out=$(printf '%s\nHELLO\tworld\n' "$V" | $CLIENT "$SOCK" raw | tail -n 1)
pw_is "unknown command: closed" "$out" CLOSED
pw_check "logged: unknown command" grep -q 'unknown command; closing' "$LOG"
out=$(printf '%s\nAUTH\t7\tLOGIN\nAUTH\t7\tLOGIN\n' "$V" | $CLIENT "$SOCK" raw |
    tr '\t' ' ' | tail -n 2 | tr '\n' '|')
pw_is "a reused id: closed after the first CONT" "$out" "CONT 7 VXNlcm5hbWU6|CLOSED|"
out=$(printf '%s\nAUTH\t1\tPLAIN\tresp=%%%%%%%%\nAUTH\t2\tCRAM-MD5\nAUTH\t3\tPLAIN\tresp=AAAA\n' "$V" |
    $CLIENT "$SOCK" raw | grep -E '^(FAIL|OK|CONT)' |
    tr '\t' ' ' | tr '\n' '|')
pw_is "bad base64, unknown mechanism, empty PLAIN parts: FAIL each" "$out" \
    "FAIL 1|FAIL 2|FAIL 3|"
pw_check "the daemon is alive after all that" pw_daemon_alive policyd

# --- throttling -----------------------------------------------------------------------------
for i in 1 2 3; do
	$CLIENT "$SOCK" plain k4 "$T1_WRONG" 203.0.113.7 >/dev/null
done
pw_is "pw:authfail:203.0.113.7 counts 3 failures" \
    "$(R GET pw:authfail:203.0.113.7)" 3
ttl=$(R TTL pw:authfail:203.0.113.7)
pw_check "the counter expires within auth_fail_window ($ttl s)" \
    test "$ttl" -gt 0 -a "$ttl" -le 600
pw_is "the throttled address is refused even with the right token" \
    "$($CLIENT "$SOCK" plain k4 "$T4" 203.0.113.7)" "$(printf 'FAIL\t1')"
pw_check "logged: client throttled" \
    grep -q 'rip=203.0.113.7, mech=PLAIN, key=k4: client throttled' "$LOG"
pw_is "another address logs in with it" \
    "$($CLIENT "$SOCK" plain k4 "$T4" 203.0.113.8)" "$(printf 'OK\t1\tuser=k4')"
for i in 1 2 3 4; do
	$CLIENT "$SOCK" plain k1 "$T1_WRONG" "203.0.113.$((20 + i))" >/dev/null
done
pw_is "k1 throttled after auth_fail_key_limit failures, right token too" \
    "$($CLIENT "$SOCK" plain k1 "$T1" 203.0.113.30)" "$(printf 'FAIL\t1')"
R DEL 'pw:{acme}:authfail:k1' >/dev/null

# --- Redis down ---------------------------------------------------------------------------------
pw_is "k1 logs in (verified in Redis, now in the cache)" \
    "$($CLIENT "$SOCK" plain k1 "$T1" 203.0.113.40)" "$(printf 'OK\t1\tuser=k1')"
pw_daemon_stop redis
hs=$($CLIENT "$SOCK" handshake | tail -n 1)
pw_is "Redis stopped: the handshake still comes" "$hs" DONE
pw_is "Redis stopped: a pair verified before logs in from the cache" \
    "$($CLIENT "$SOCK" plain k1 "$T1" 203.0.113.40)" "$(printf 'OK\t1\tuser=k1')"
pw_is "Redis stopped: a pair never verified (k2) gets the connection closed" \
    "$($CLIENT "$SOCK" plain k2 "$T2" 203.0.113.41)" CLOSED
pw_check "no secret in the log" \
    bash -c '! grep -qF -e "${1##*.}" -e "${2##*.}" -e "${3##*.}" "$4"' _ \
    "$T1" "$T1_WRONG" "$T4" "$LOG"

# --- fail closed ---------------------------------------------------------------------------------
conf=$PW_TMP/nopepper.conf
sed -e '/^auth_pepper_file/d' "$PW_TMP/postwarden-policyd.conf" >"$conf"
out=$("$BIN" -n -c "$conf" 2>&1)
pw_check "auth_listen without auth_pepper_file: refused at start ($out)" \
    bash -c '! "$1" -n -c "$2" >/dev/null 2>&1' _ "$BIN" "$conf"


