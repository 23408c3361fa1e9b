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
#   - auth_refuse_quota_spent: a key whose quota_day is used up today is
#     refused at login, one below it is not;
#   - failures from one address reach auth_fail_client_limit: that
#     address is refused even with the right token, another is not; a
#     key's failures reach auth_fail_key_limit: the key is refused;
#   - out of descriptors: accept() fails, the listener pauses instead of
#     spinning, and serves again afterwards;
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
pw_plan 49

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
key_add k5 gamma
R HSET 'pw:{gamma}:key:k5' quota_day 2 >/dev/null
T1=$(mint k1 acme)
T2=$(mint k2 acme)
T3=$(mint k3 beta)
T4=$(mint k4 gamma)
T5=$(mint k5 gamma)
# A token of k1 whose hash Redis does not hold: a wrong secret.
read -r T1_WRONG _ _ < <("$MINT" "$PEPPER" k1)
[ -n "$T1" ] && [ -n "$T4" ] && [ -n "$T1_WRONG" ] || pw_bail "auth_mint"

SOCK=$PW_TMP/auth.sock
pw_daemon_start policyd "auth_listen = unix:$SOCK" \
    "auth_pepper_file = $PEPPER" "auth_fail_client_limit = 3" \
    "auth_fail_key_limit = 4" "redis_command_timeout = 500ms" \
    "auth_refuse_quota_spent = yes" "auth_cache_size = 512"
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

# auth_refuse_quota_spent: the key's quota_day against today's use (UTC).
USED5="pw:{gamma}:used:key:k5:d:$(date -u +%Y%m%d)"
R SET "$USED5" 1 >/dev/null
pw_is "quota_day 2, 1 used today: OK" \
    "$($CLIENT "$SOCK" plain k5 "$T5" 198.51.100.8)" "$(printf 'OK\t1\tuser=k5')"
R SET "$USED5" 2 >/dev/null
pw_is "quota_day 2, 2 used today: FAIL (auth_refuse_quota_spent)" \
    "$($CLIENT "$SOCK" plain k5 "$T5" 198.51.100.8)" "$(printf 'FAIL\t1')"
pw_check "logged: daily quota spent, 2 of 2, not counted as a failure" \
    bash -c 'grep -q "rip=198.51.100.8, mech=PLAIN, key=k5: daily quota spent (auth_refuse_quota_spent) (2 of 2 today)" "$1" &&
    [ -z "$(redis-cli -s "$2" GET pw:authfail:198.51.100.8)" ]' _ "$LOG" "$PW_REDIS_SOCK"

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

# --- a client that leaves while its login is checked --------------------------------
kill -STOP "${PW_PIDS[redis]}"
resp=$(printf '\0k1\0%s' "$T1" | base64 -w0)
printf 'VERSION\t1\t0\nAUTH\t1\tPLAIN\trip=203.0.113.50\tresp=%s\n' "$resp" |
    $CLIENT "$SOCK" leave
pw_wait_log "$LOG" 'rip=203.0.113.50, mech=PLAIN, key=k1: ' ||
    pw_diag "no timeout logged for the login of the client that left"
kill -CONT "${PW_PIDS[redis]}"
pw_check "the daemon lives on after answering a client that left" \
    pw_daemon_alive policyd
pw_wait_until "Redis to answer again" "$PW_TIMEOUT" pw__redis_ping

# --- out of descriptors ----------------------------------------------------------------------
# The daemon's limit lowered under it (as nobody, the user it runs as),
# then more connections than it allows: accept() fails with EMFILE, the
# listener pauses (a line a second) instead of spinning on a socket that
# stays readable, and serves again once descriptors are free.
pid=${PW_PIDS[policyd]}
setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    prlimit --pid "$pid" --nofile=40:40
$PW_PYTHON -c '
import socket, sys, time
held = []
for i in range(60):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    held.append(s)
time.sleep(3600)' "$SOCK" &
holder=$!
acc() { grep -c 'sasl: unix:.*: accept: Too many open files' "$LOG"; }
pw_wait_until "an accept error logged" 10 bash -c \
    '[ "$(grep -c "sasl: unix:.*: accept: Too many open files" "$1")" -gt 0 ]' _ \
    "$LOG" || pw_diag "no accept error logged"
first=$(acc)
pw_wait_until "a second accept error" 10 bash -c \
    '[ "$(grep -c "sasl: unix:.*: accept: Too many open files" "$1")" -gt "$2" ]' _ \
    "$LOG" "$first"
n=$(acc)
pw_check "out of descriptors: the listener pauses instead of spinning ($n lines)" \
    test "$n" -ge 2 -a "$n" -le 5
pw_check "... and says so" grep -q 'accept: Too many open files; pausing for 1000 ms' "$LOG"
kill "$holder"
wait "$holder" 2>/dev/null
pw_wait_until "a login after the pause" 10 bash -c \
    '[ "$($1 "$2" plain k1 "$3" 203.0.113.60)" = "$(printf "OK\t1\tuser=k1")" ]' _ \
    "$CLIENT" "$SOCK" "$T1"
pw_is "serving again once descriptors are free" "$?" 0

# --- Redis down ---------------------------------------------------------------------------------
# BULK_N keys of one tenant, fewer than auth_cache_size (512): every pair
# Redis verified must be cached, whatever its hash (a direct-mapped table
# of 512 slots would lose about 70 of 300 to shared slots).
BULK_N=300
bulk=$PW_TMP/bulk.logins
: >"$bulk"
: >"$PW_TMP/bulk.redis"
R HSET 'pw:{bulk}:tenant' status active created 1 >/dev/null
for i in $(seq 1 "$BULK_N"); do
	read -r token sid hash < <("$MINT" "$PEPPER" "b$i") || pw_bail "auth_mint"
	printf '%s\n' "HSET pw:key:b$i tenant bulk" \
	    "HSET pw:{bulk}:key:b$i status active created 1" \
	    "HSET pw:{bulk}:key:b$i:secrets $sid $hash $sid:created 1" \
	    >>"$PW_TMP/bulk.redis"
	echo "b$i $token" >>"$bulk"
done
R <"$PW_TMP/bulk.redis" >/dev/null
pw_is "$BULK_N keys log in (verified in Redis, now in the cache)" \
    "$($CLIENT "$SOCK" batch 203.0.113.70 <"$bulk" | grep -c '^OK')" "$BULK_N"
pw_is "k1 logs in (verified in Redis, now in the cache)" \
    "$($CLIENT "$SOCK" plain k1 "$T1" 203.0.113.40)" "$(printf 'OK\t1\tuser=k1')"
pw_daemon_stop redis
hs=$($CLIENT "$SOCK" handshake | tail -n 1)
pw_is "Redis stopped: the handshake still comes" "$hs" DONE
pw_is "Redis stopped: a pair verified before logs in from the cache" \
    "$($CLIENT "$SOCK" plain k1 "$T1" 203.0.113.40)" "$(printf 'OK\t1\tuser=k1')"
pw_is "Redis stopped: all $BULK_N pairs verified before log in from the cache" \
    "$($CLIENT "$SOCK" batch 203.0.113.70 <"$bulk" | grep -c '^OK')" "$BULK_N"
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


