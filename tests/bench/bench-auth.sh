#!/bin/bash
# tests/bench/bench-auth.sh -- benchmark postwarden's SMTP AUTH service
# (postwarden-policyd's auth_listen) against Dovecot's own auth server
# with a passwd-file holding the same keys, the anchor, both driven by
# tests/bench/auth_load.c over persistent connections, as smtpd's
# `smtpd_sasl_type = dovecot` client does.  Not run by make check;
# results go to docs/bench-auth.md by hand.
#
#   PW_BUILDDIR=/path/to/build tests/bench/bench-auth.sh [KEYS]
#
# Everything runs in a temp dir (tests/harness/harness.sh) on unix
# sockets only: a private redis-server, tenant "bench" with KEYS keys
# (default 1000) made by `postwarden tenant add` / `key add` (each
# printing its token, which is the password), postwarden-policyd with
# auth_listen, and Dovecot (Debian's dovecot-core) as an auth-only server
# (`protocols =`, own base_dir, passwd-file of the same key ids and
# tokens).  All are stopped by pid at the end.
#
# Every run is verified (auth_load -v): every login must be OK with
# user=<key id>, or the run counts as FAILED.  For each connection count,
# BENCH_ROUNDS rounds alternate which server goes first; the table gives
# the median of the rounds (logins/s, and the p50/p99/p99.9 of the
# median run by logins/s), the ratio postwarden / Dovecot, and server CPU
# microseconds per login (postwarden: policyd + redis-server; Dovecot:
# its master and every child, auth and auth workers included), the
# measure a busy machine disturbs least.
#
# Dovecot's schemes: {PLAIN} is the main anchor (the secrets are 256-bit
# random tokens, so the fair comparison is a server that does no slow
# hashing either); {SSHA256} (one salted SHA-256, as cheap as our
# HMAC-SHA256) and {SHA256-CRYPT} (5000 rounds, what a passwd-file of
# human passwords would hold; Dovecot runs it in auth-worker processes)
# get one row each at BENCH_HASHED_CONNS.
#
# Environment:
#   BENCH_CONNS         connection counts (default "16 1 64")
#   BENCH_ROUNDS        rounds per connection count (default 3)
#   BENCH_SECS          seconds per run (default 5)
#   BENCH_RATE          logins per second offered (auth_load -r): each
#                       login is due at a fixed time and its latency counts
#                       from then; the question "p99 at 10,000 logins/s"
#                       (default: closed loop, as fast as each server goes)
#   BENCH_HASHED        "ssha256 sha256-crypt" (default) or "" for none
#   BENCH_HASHED_CONNS  connections of the hashed rows (default 16)
#   BENCH_SUBSET        M: one more postwarden row per connection count,
#                       logging in with the first M keys only, in the same
#                       rounds (does the number of keys matter?)
#   BENCH_FORM          postwarden's login form: "keyid" (user = key id,
#                       the default; Dovecot's too) or "apikey" (user =
#                       apikey, SendGrid's form; postwarden only)
#   BENCH_PW            "auto" (default: postwarden rows when the build
#                       has auth_listen), "no" (Dovecot only)
#   BENCH_CLI           the postwarden command that makes the keys
#                       (default the build's; `key add` prints each token,
#                       else this script writes the secrets itself)

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PW_BUILDDIR:=$PW_SRCDIR}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/bench/cpu.sh"

N=${1:-1000}
CONNS=${BENCH_CONNS:-16 1 64}
ROUNDS=${BENCH_ROUNDS:-3}
OFFER=${BENCH_RATE:+-r $BENCH_RATE}
SECS=${BENCH_SECS:-5}
HASHED=${BENCH_HASHED-ssha256 sha256-crypt}
HASHED_CONNS=${BENCH_HASHED_CONNS:-16}
SUBSET=${BENCH_SUBSET:-}
FORM=${BENCH_FORM:-keyid}
PWMODE=${BENCH_PW:-auto}
POLICYD=$PW_BUILDDIR/policyd/postwarden-policyd
CLI=${BENCH_CLI:-$PW_BUILDDIR/cli/postwarden}

[ "$(id -u)" -eq 0 ] || pw_bail "needs root (Dovecot's master process)"
for t in redis-server redis-cli dovecot openssl "$PW_PYTHON"; do
	command -v "$t" >/dev/null 2>&1 ||
	    pw_bail "$t not installed (Debian: redis-server dovecot-core openssl python3)"
done
getent passwd dovecot >/dev/null || pw_bail "no dovecot user (dovecot-core)"
pw_harness_init
LOAD=$PW_TMP/auth_load
cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$LOAD" \
    "$PW_SRCDIR/tests/bench/auth_load.c" \
    "$PW_SRCDIR/tests/harness/endpoint.c" ||
    pw_bail "cannot build auth_load"

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s),$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
echo "# $(redis-server --version | cut -d' ' -f1-3), Dovecot $(dovecot --version)"
echo "# keys: $N, $SECS s per run, $ROUNDS rounds, postwarden login form: $FORM"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
ulimit -n 8192

# --- postwarden --------------------------------------------------------------

PW_OK=0
if [ "$PWMODE" = auto ]; then
	if [ -x "$POLICYD" ] && [ -x "$CLI" ] &&
	    grep -q -a auth_listen "$POLICYD"; then
		PW_OK=1
	else
		echo "# postwarden rows: to run ($POLICYD has no auth_listen)"
	fi
fi

# Tokens in the token's shape (lib/auth_secret.h), made here: "keyid TAB
# token TAB sid TAB hash" for keys k1..kN, the hash under PEPPER (a pepper
# file; without one the hash is "-").  For Dovecot alone, and for
# postwarden while `key add` prints no token (the CLI without secrets):
# then bench_secrets_redis writes the hashes as `key secret add` would.
bench_tokens() {	# N [PEPPER]
	"$PW_PYTHON" - "$@" <<'EOF'
import base64, hashlib, hmac, os, sys
n = int(sys.argv[1])
pepper = None
if len(sys.argv) > 2:
    pepper = bytes.fromhex(open(sys.argv[2]).read().strip())
    pid = hmac.new(pepper, b"postwarden pepper id", hashlib.sha256)
    pid = pid.digest()[:8].hex()
b64 = lambda b: base64.urlsafe_b64encode(b).decode()
for i in range(1, n + 1):
    keyid, sid = "k%d" % i, os.urandom(4).hex()
    secret = b64(os.urandom(32))[:43]
    tok = "pw1.%s.%s.%s" % (keyid, sid, secret)
    tok += b64(hashlib.sha256(tok.encode()).digest())[:6]
    h = "-"
    if pepper:
        msg = b"\0".join(x.encode() for x in
                         ("postwarden api secret v1", keyid, sid, secret))
        h = "v1:%s:%s" % (pid, hmac.new(pepper, msg, hashlib.sha256).hexdigest())
    print("%s\t%s\t%s\t%s" % (keyid, tok, sid, h))
EOF
}

# Write the hashes of bench_tokens' output FILE into tenant bench's keys
# (docs/redis-schema.md "API key secrets": pw:{T}:key:<keyid>:secrets).
bench_secrets_redis() {	# FILE
	awk -F'\t' -v now="$(date +%s)" '{ printf "HSET pw:{bench}:key:%s:secrets %s %s %s:created %s\n", $1, $3, $4, $3, now }' \
	    "$1" | redis-cli -s "$PW_REDIS_SOCK" >/dev/null ||
	    pw_bail "cannot write the secrets to Redis"
}

TOKENS=$PW_TMP/tokens		# keyid TAB token
if [ "$PW_OK" = 1 ]; then
	pw_redis_start
	PEPPER=$PW_TMP/pepper
	pw_secret_file "$PEPPER"
	CONF=$PW_TMP/postwarden-cli.conf
	printf 'redis_server = unix:%s\n' "$PW_REDIS_SOCK" >"$CONF"
	# The pepper is the daemon's (nobody's, as pw_secret_file makes
	# it); the CLI's key commands do not take the configured user as
	# its owner, so its mode check is off for the CLI alone.
	grep -q -a auth_pepper_file "$CLI" &&
	    printf 'auth_pepper_file = %s\nuser = nobody\ndkim_key_mode_check = no\n' \
	    "$PEPPER" >>"$CONF"
	"$CLI" -c "$CONF" tenant add bench >/dev/null ||
	    pw_bail "postwarden tenant add bench failed"
	: >"$TOKENS"
	for ((i = 1; i <= N; i++)); do
		out=$("$CLI" -c "$CONF" key add "k$i" --tenant bench 2>&1) ||
		    pw_bail "postwarden key add k$i: $out"
		tok=$(grep -o -m1 'pw1\.[A-Za-z0-9._@+-]*' <<<"$out")
		[ -n "$tok" ] && printf 'k%d\t%s\n' "$i" "$tok" >>"$TOKENS"
	done
	if [ ! -s "$TOKENS" ]; then
		echo "# secrets: written by this script (postwarden key add printed no token)"
		bench_tokens "$N" "$PEPPER" >"$PW_TMP/made" ||
		    pw_bail "cannot make tokens"
		bench_secrets_redis "$PW_TMP/made"
		cut -f1,2 "$PW_TMP/made" >"$TOKENS"
	else
		echo "# secrets: made by postwarden key add"
	fi
	[ "$(wc -l <"$TOKENS")" -eq "$N" ] ||
	    pw_bail "postwarden key add printed $(wc -l <"$TOKENS") tokens for $N keys"
	pw_daemon_start policyd "log_level = notice" \
	    "auth_listen = unix:$PW_TMP/auth.sock" \
	    "auth_pepper_file = $PEPPER"
	pw_wait_until "the auth socket" "$PW_TIMEOUT" \
	    pw__unix_accepts "$PW_TMP/auth.sock" ||
	    pw_bail "policyd does not listen on $PW_TMP/auth.sock"
	PW_EP=unix:$PW_TMP/auth.sock
	PW_PIDS_CPU="${PW_PIDS[policyd]} ${PW_PIDS[redis]}"
else
	bench_tokens "$N" | cut -f1,2 >"$TOKENS" || pw_bail "cannot make tokens"
fi

# auth_load's user files: user TAB password TAB the user= expected.
awk -F'\t' '{ print $1 "\t" $2 "\t" $1 }' "$TOKENS" >"$PW_TMP/users-keyid"
awk -F'\t' '{ print "apikey\t" $2 "\t" $1 }' "$TOKENS" >"$PW_TMP/users-apikey"
PW_USERS=$PW_TMP/users-$FORM
[ -n "$SUBSET" ] && head -n "$SUBSET" "$PW_USERS" >"$PW_TMP/users-subset"
DC_USERS=$PW_TMP/users-keyid

# --- Dovecot -----------------------------------------------------------------

# A passwd-file of the tokens in SCHEME (plain, ssha256, sha256-crypt).
bench_passwd() {	# SCHEME FILE
	case $1 in
	plain)	awk -F'\t' '{ print $1 ":{PLAIN}" $2 }' "$TOKENS" ;;
	ssha256)
		"$PW_PYTHON" - "$TOKENS" <<'EOF'
import base64, hashlib, os, sys
for line in open(sys.argv[1]):
    user, tok = line.rstrip("\n").split("\t")
    salt = os.urandom(8)
    h = hashlib.sha256(tok.encode() + salt).digest()
    print("%s:{SSHA256}%s" % (user, base64.b64encode(h + salt).decode()))
EOF
		;;
	sha256-crypt)
		cut -f2 "$TOKENS" | openssl passwd -5 -stdin |
		    paste -d: <(cut -f1 "$TOKENS") - |
		    sed 's/:/:{SHA256-CRYPT}/' ;;
	esac >"$2"
	chmod 0644 "$2"
}

declare -A DC_EP=() DC_MASTER=()

# Start Dovecot NAME as an auth-only server with a passwd-file in SCHEME
# in $PW_TMP/dovecot-NAME; DC_EP[NAME] is its auth-client socket.
bench_dovecot_start() {	# NAME SCHEME
	local name=$1 d=$PW_TMP/dovecot-$1 pid
	mkdir -p "$d/run" "$d/state" && chmod 0755 "$d"
	bench_passwd "$2" "$d/passwd"
	cat >"$d/dovecot.conf" <<EOF
# Dovecot as an auth server only, for tests/bench/bench-auth.sh
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols =
ssl = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = username_format=%u $d/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=/nonexistent
}
service auth {
  unix_listener auth-client {
    path = $d/auth-client
    mode = 0666
  }
}
EOF
	dovecot -F -c "$d/dovecot.conf" </dev/null >>"$d/master.out" 2>&1 &
	pid=$!
	pw__record "dovecot-$name" "$pid"
	PW_EXTRA_DAEMON_LOGS+=("$d/dovecot.log")
	DC_MASTER[$name]=$pid
	DC_EP[$name]=unix:$d/auth-client
	pw_wait_until "dovecot $name's auth-client socket" "$PW_TIMEOUT" \
	    pw__unix_accepts "$d/auth-client" ||
	    pw_bail "dovecot $name did not start ($(cat "$d/master.out" "$d/dovecot.log" 2>/dev/null))"
}

# The pids of Dovecot NAME: its master and the master's children (auth,
# auth workers, log, config, anvil, stats): all of the server's CPU.
bench_dovecot_pids() {	# NAME
	echo "${DC_MASTER[$1]}"
	cat "/proc/${DC_MASTER[$1]}/task/"*/children 2>/dev/null
}

bench_dovecot_start plain plain

# --- runs --------------------------------------------------------------------

declare -A RATE=() LINE=() CPU=()

# One verified run: SERVER (pw or a Dovecot name), CONNS, ROUND.  Its
# output line goes to LINE[SERVER,CONNS,ROUND], its rate to RATE[...],
# its server CPU µs per login to CPU[...].
bench_run() {	# SERVER CONNS ROUND
	local s=$1 c=$2 r=$3 ep users pids out n p ticks=0 split
	if [ "$s" = pw ]; then
		ep=$PW_EP users=$PW_USERS pids=$PW_PIDS_CPU
	elif [ "$s" = pwsub ]; then
		ep=$PW_EP users=$PW_TMP/users-subset pids=$PW_PIDS_CPU
	else
		ep=${DC_EP[$s]} users=$DC_USERS
		pids=$(bench_dovecot_pids "$s")
	fi
	bench_cpu_begin $pids
	out=$("$LOAD" -v -c "$c" -d "$SECS" $OFFER "$users" "$ep" 2>&1)
	if [ $? -ne 0 ]; then
		out="FAILED: $(tr '\n' ' ' <<<"$out")"
		n=0
	else
		n=$(sed -n 's/^logins=\([0-9]*\) .*/\1/p' <<<"$out")
	fi
	# Workers started during the run count too.
	[ "${s#pw}" = "$s" ] && pids="$pids $(bench_dovecot_pids "$s")"
	bench_cpu_end $pids
	for p in $(tr ' ' '\n' <<<"$pids" | sort -u); do
		ticks=$((ticks + $(bench_cpu_ticks_of "$p")))
	done
	LINE[$s,$c,$r]=$out
	RATE[$s,$c,$r]=$(sed -n 's/.* rate=\([0-9]*\) .*/\1/p' <<<"$out")
	CPU[$s,$c,$r]=$(bench_ticks_us "$ticks" "${n:-0}")
	split=
	[ "${s#pw}" != "$s" ] && split=": policyd $(bench_cpu_us "${PW_PIDS[policyd]}" "${n:-0}") + redis $(bench_cpu_us "${PW_PIDS[redis]}" "${n:-0}")"
	echo "# $s, $c conns, round $r: $out (server CPU ${CPU[$s,$c,$r]} µs/login$split)"
}

# Field F (p50, p99, p99.9) of a run's line, without "ms".
bench_field() {	# LINE F
	sed -n "s/.* $2=\([0-9.]*\)ms.*/\1/p" <<<"$1"
}

# The round whose rate is the median of SERVER's rounds at CONNS; with
# BENCH_RATE (every round at the same rate), whose p99 is.
bench_median_round() {	# SERVER CONNS
	local r
	for ((r = 1; r <= ROUNDS; r++)); do
		if [ -n "$OFFER" ]; then
			echo "$(bench_field "${LINE[$1,$2,$r]}" p99) $r"
		else
			echo "${RATE[$1,$2,$r]:-0} $r"
		fi
	done | sort -g | sed -n "$(((ROUNDS + 1) / 2))p" | cut -d' ' -f2
}

# One table row: SERVER's median run at CONNS.  Prints "rate" in $ROW_RATE.
bench_row() {	# LABEL SERVER CONNS
	local r l
	r=$(bench_median_round "$2" "$3")
	l=${LINE[$2,$3,$r]}
	ROW_RATE=${RATE[$2,$3,$r]:-0}
	case $l in
	FAILED*) printf '| %s | %s | FAILED | | | | | |\n' "$1" "$3" ;;
	*)	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$3" \
		    "$ROW_RATE" "$(bench_field "$l" p50)" \
		    "$(bench_field "$l" p99)" "$(bench_field "$l" p99.9)" \
		    "$(bench_median "$(for ((i = 1; i <= ROUNDS; i++)); do echo "${CPU[$2,$3,$i]}"; done)")" \
		    "$(sed -n 's/.* client_cpu=\([0-9.]*\)us.*/\1/p' <<<"$l")" ;;
	esac
}

# Warm-up: one short verified run each (caches, page faults), not kept.
[ "$PW_OK" = 1 ] && "$LOAD" -v -c 4 -n 2000 "$PW_USERS" "$PW_EP" >/dev/null
"$LOAD" -v -c 4 -n 2000 "$DC_USERS" "${DC_EP[plain]}" >/dev/null

for c in $CONNS; do
	for ((r = 1; r <= ROUNDS; r++)); do
		if [ "$PW_OK" != 1 ]; then
			bench_run plain "$c" "$r"
		elif ((r % 2)); then
			bench_run pw "$c" "$r"
			[ -n "$SUBSET" ] && bench_run pwsub "$c" "$r"
			bench_run plain "$c" "$r"
		else
			bench_run plain "$c" "$r"
			[ -n "$SUBSET" ] && bench_run pwsub "$c" "$r"
			bench_run pw "$c" "$r"
		fi
	done
done

for h in $HASHED; do
	bench_dovecot_start "$h" "$h"
	"$LOAD" -v -c 4 -n 200 "$DC_USERS" "${DC_EP[$h]}" >/dev/null
	for ((r = 1; r <= ROUNDS; r++)); do
		bench_run "$h" "$HASHED_CONNS" "$r"
	done
done

echo
echo "Median of $ROUNDS verified runs of $SECS s each${BENCH_RATE:+ at $BENCH_RATE logins/s offered (latency from when each login was due)}; latency (ms) and client CPU of the median run; server CPU µs per login, median of the rounds."
echo
echo "| server | conns | logins/s | p50 | p99 | p99.9 | server CPU µs/login | client CPU µs/login |"
echo "|---|---|---|---|---|---|---|---|"
declare -A RATIO=()
for c in $CONNS; do
	if [ "$PW_OK" = 1 ]; then
		[ -n "$SUBSET" ] && bench_row "postwarden ($FORM form, first $SUBSET keys)" pwsub "$c"
		bench_row "postwarden ($FORM form)" pw "$c"
		pw_rate=$ROW_RATE
	else
		printf '| postwarden | %s | to run | | | | | |\n' "$c"
		pw_rate=
	fi
	bench_row "Dovecot {PLAIN}" plain "$c"
	if [ -n "$pw_rate" ] && [ "$ROW_RATE" -gt 0 ]; then
		RATIO[$c]=$(awk -v a="$pw_rate" -v b="$ROW_RATE" \
		    'BEGIN { printf "%.2f", a / b }')
	fi
done
for h in $HASHED; do
	case $h in
	ssha256) label="Dovecot {SSHA256}" ;;
	sha256-crypt) label="Dovecot {SHA256-CRYPT}" ;;
	*) label="Dovecot $h" ;;
	esac
	bench_row "$label" "$h" "$HASHED_CONNS"
done
echo
for c in $CONNS; do
	echo "postwarden / Dovecot {PLAIN} at $c conns: ${RATIO[$c]:-to run}"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
