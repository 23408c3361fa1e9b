#!/bin/bash
# tests/bench/auth_bench.sh -- SMTP AUTH logins per second through the
# Dovecot authentication protocol (tests/bench/bench_auth.c, persistent
# connections like smtpd's): postwarden-policyd's SASL service against
# Dovecot's own auth server (dovecot-core) with a passwd-file holding the
# same keys and tokens ({SHA256}: a fast hash, as ours), side by side in
# one run.  Not run by make check; results go to docs/bench-auth.md by
# hand.
#
#   PW_BUILDDIR=/path/to/build tests/bench/auth_bench.sh [LOGINS] [KEYS]
#
# Environment: BENCH_CONNS (default "1 16 64"), BENCH_ROUNDS (default 3:
# the two servers alternate, each row one run).
# Everything runs on loopback in a temp dir (tests/harness/harness.sh).

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

LOGINS=${1:-200000}
KEYS=${2:-1000}
CONNS=${BENCH_CONNS:-1 16 64}
ROUNDS=${BENCH_ROUNDS:-3}
MINT=$PW_BUILDDIR/tests/auth/auth_mint
BENCH=$PW_TMP_BENCH_BIN

[ "$(id -u)" -eq 0 ] || pw_skip_all "needs root"
command -v dovecot >/dev/null || pw_skip_all "dovecot-core not installed"
[ -x "$MINT" ] || pw_skip_all "$MINT not built"
pw_harness_init
BENCH=$PW_TMP/bench_auth
cc -O2 -I"$PW_SRCDIR" -I"$PW_SRCDIR/lib" -o "$BENCH" \
    "$PW_SRCDIR/tests/bench/bench_auth.c" \
    "$PW_SRCDIR/tests/harness/endpoint.c" -lcrypto ||
    pw_bail "cannot build bench_auth"

PEPPER=$PW_TMP/pepper
pw_secret_file "$PEPPER"
pw_redis_start

# --- KEYS keys of one tenant, a secret each ------------------------------------------
CREDS=$PW_TMP/creds
: >"$CREDS"
{
	echo "HSET pw:{bench}:tenant status active created 1"
	for i in $(seq 0 $((KEYS - 1))); do
		read -r token sid hash < <("$MINT" "$PEPPER" "k_bench$i")
		echo "HSET pw:key:k_bench$i tenant bench"
		echo "HSET pw:{bench}:key:k_bench$i status active created 1"
		echo "HSET pw:{bench}:key:k_bench$i:secrets $sid $hash $sid:created 1"
		echo "k_bench$i $token" >>"$CREDS"
	done
} | pw_redis_cli >/dev/null || pw_bail "loading keys"

# --- postwarden-policyd ------------------------------------------------------------------------
pw_daemon_start policyd "auth_listen = unix:$PW_TMP/auth.sock" \
    "auth_pepper_file = $PEPPER" "log_level = info"
pw_wait_until "the SASL socket" 10 test -S "$PW_TMP/auth.sock" ||
    pw_bail "no SASL socket"

# --- Dovecot's auth server with the same keys --------------------------------------------------
D=$PW_TMP/dovecot
mkdir -p "$D/run" && chmod 0755 "$D"
$PW_PYTHON - "$CREDS" "$D/users" <<'PY'
import base64, hashlib, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        user, token = line.split()
        h = base64.b64encode(hashlib.sha256(token.encode()).digest()).decode()
        out.write("%s:{SHA256}%s\n" % (user, h))
PY
chmod 0644 "$D/users"
cat >"$D/dovecot.conf" <<EOF
base_dir = $D/run
log_path = $D/dovecot.log
protocols =
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = nobody
default_login_user = nobody
default_internal_group = nogroup
passdb {
  driver = passwd-file
  args = scheme=SHA256 $D/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener $D/auth-client {
    mode = 0666
  }
}
EOF
dovecot -F -c "$D/dovecot.conf" </dev/null >"$D/stdout.log" 2>&1 &
pw__record dovecot $!
pw_wait_until "Dovecot's auth-client socket" 10 test -S "$D/auth-client" ||
    pw_bail "dovecot did not start: $(tail -n 5 "$D/dovecot.log" "$D/stdout.log")"

# --- runs -----------------------------------------------------------------------------
# CPU time (user + system, clock ticks) of a process.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Dovecot's auth process: the child of its master named "auth".
dovecot_auth_pid() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(awk '{ print $4 }' "$d/stat" 2>/dev/null)" = "${PW_PIDS[dovecot]}" ] &&
		    [ "$(cat "$d/comm" 2>/dev/null)" = auth ] && echo "${d#/proc/}"
	done
}
# run NAME ENDPOINT CONNS PIDS...: one run; its line, then the CPU
# microseconds per login of each of PIDS.
run() {
	local name=$1 ep=$2 c=$3 before=() i=0 p line us
	shift 3
	for p in "$@"; do before+=("$(ticks "$p")"); done
	line=$("$BENCH" -c "$c" -n "$LOGINS" "$ep" "$CREDS")
	us=
	for p in "$@"; do
		us="$us $(( ($(ticks "$p") - before[i]) * 1000000 / $(getconf CLK_TCK) / LOGINS ))"
		i=$((i + 1))
	done
	printf '%-10s c=%-3s %s cpu_us_per_login=%s\n' "$name" "$c" "$line" "${us# }"
}
PD=${PW_PIDS[policyd]}
RD=${PW_PIDS[redis]}
bench_auth_warm() { "$BENCH" -c 1 -n 1000 "$1" "$CREDS" >/dev/null; }
bench_auth_warm "unix:$PW_TMP/auth.sock"
bench_auth_warm "unix:$D/auth-client"
DA=$(dovecot_auth_pid)
echo "# $LOGINS logins per run, $KEYS keys, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "# cpu_us_per_login: postwarden-policyd and redis-server; Dovecot's auth process"
for c in $CONNS; do
	for r in $(seq 1 "$ROUNDS"); do
		run postwarden "unix:$PW_TMP/auth.sock" "$c" "$PD" "$RD"
		run dovecot "unix:$D/auth-client" "$c" "$DA"
	done
done
