#!/bin/bash
# tests/bench/stack_bench.sh -- the whole stack: smtp-source -> a private
# Postfix -> smtp-sink, 2 KB messages, 20 parallel sessions, with
#   bare        Postfix alone
#   opendkim    Debian's opendkim signing (RSA-2048, relaxed/relaxed)
#   postwarden  postwarden-milter (control headers, tracking id,
#               Feedback-ID, one-click unsubscribe, routing to a pool,
#               RSA-2048 DKIM, events) and postwarden-policyd (quotas,
#               rate, suppressions, at RCPT and END-OF-DATA)
# in the same run on the same machine.  Issue 5's target: postwarden at
# least 90% of bare.  BENCH_MODES adds modes that show where the time
# goes: "null" (tests/bench/milter_null.c: a libmilter filter that takes
# the headers and body and adds one header, the floor of any milter),
# "milter" (postwarden-milter alone) and "policyd" (postwarden-policyd
# alone).  Not part of `make check`; results go in
# docs/bench-stack.md.
#
#   PW_BUILDDIR=/path/to/build tests/bench/stack_bench.sh [MESSAGES] [ROUNDS]
#
# Each mode runs ROUNDS times (default 3), interleaved, and the median is
# reported, so that a disturbance of the machine does not favour one mode.
# By default each session of smtp-source sends one message and
# disconnects (a new SMTP connection, and so a new milter connection, per
# message); BENCH_PERSIST=1 keeps each of the 20 sessions open for all its
# messages (smtp-source -d), as a client that sends in bulk does.
# Throughput is messages received by the sink per second, from the first
# connection of smtp-source to the last message at the sink.
#
# Over the same interval the CPU time of each process we run is taken
# (utime + stime of /proc/PID/stat, tests/bench/cpu.sh): postwarden-milter,
# postwarden-policyd, redis-server, the other filter (opendkim, or
# milter_null), smtp-sink, smtp-source; and the machine's busy time
# (the CPUs' elapsed time less idle, iowait and steal of /proc/stat).  All of them run in every mode (idle when the mode does
# not use them).  Each round line and a second table (medians over the
# rounds) give them in microseconds per message; "rest" is the machine's
# busy time less all of these: Postfix's processes, which come and go,
# and the kernel work not charged to a process.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/bench/opendkim.sh"
. "$PW_SRCDIR/tests/bench/cpu.sh"

N=${1:-2000}
ROUNDS=${2:-3}
pw_require_root_tools
command -v opendkim >/dev/null || pw_skip_all "opendkim not installed"
pw_harness_init
T=$PW_TMP
CLI=$PW_BUILDDIR/cli/postwarden

# --- keys, secret, tables --------------------------------------------------------
mkdir -p "$T/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/keys/rsa.pem" 2>/dev/null || pw_bail "genpkey"
openssl rand -hex 32 >"$T/keys/tracking.secret"
chown -R nobody "$T/keys"
chmod 0700 "$T/keys"
chmod 0600 "$T/keys"/*
echo "rsa example.com r1 rsa $T/keys/rsa.pem" >"$T/keytable"
echo "example.com rsa" >"$T/signing"
echo "127.0.0.0/8 bench" >"$T/networks"

# --- Redis: the tenant, with every rule active and a suppression list --------------
pw_redis_start
pw_redis_cli HSET 'pw:{bench}:tenant' status active created 0 \
    quota_hour 2000000000 quota_day 2000000000 quota_month 2000000000 \
    rate 1000000 burst 1000000 max_size 100000000 \
    pool bulk streams 'transactional,bulk' bulk_streams bulk \
    unsubscribe_url 'https://unsub.example.com/u/' \
    unsubscribe_mailto 'unsub@example.com' >/dev/null
pw_domain_add bench example.com
pw_redis_cli SADD pw:tenants bench >/dev/null
pw_redis_cli HSET 'pw:{bench}:supp' '@blocked.example' 'manual|cli|1|0' \
    >/dev/null

# --- the message: 2 KB with the control headers an API client would set -----------
{
	printf 'From: Bench <bench@example.com>\n'
	printf 'To: <rcpt@remote.example>\n'
	printf 'Subject: stack benchmark\n'
	printf 'Date: %s\n' "$(date -R)"
	printf 'Message-ID: <bench.%s@example.com>\n' "$$"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n'
	printf 'X-Postwarden-Stream: bulk\n'
	printf 'X-Postwarden-Tags: newsletter, november\n'
	printf 'X-Postwarden-Metadata-Campaign: c-1234\n'
	printf '\n'
	for _ in $(seq 1 24); do
		printf '%s\n' "The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqrstuvwxyz."
	done
} >"$T/message"
truncate -s 2048 "$T/message"

# --- Postfix: one instance, reconfigured per mode ------------------------------------
pw_sink_start main
pw_daemon_start policyd "log_level = notice" \
    "identity_network_table = $T/networks"
pw_daemon_start milter "log_level = notice" \
    "identity_network_table = $T/networks" \
    "milter_internal_networks = 127.0.0.0/8" \
    "dkim_key_table = $T/keytable" "dkim_signing_table = $T/signing" \
    "tracking_secret_file = $T/keys/tracking.secret" \
    "milter_pools = bulk" "milter_default_pool = bulk"
bench_opendkim_start "$T/keys/rsa.pem" example.com r1
gcc -O2 -Wall -o "$T/milter_null" "$PW_SRCDIR/tests/bench/milter_null.c" \
    -lmilter -lpthread || pw_bail "cannot build milter_null"
"$T/milter_null" "unix:$T/null.sock" >"$T/null.log" 2>&1 &
pw__record null $!
pw_wait_until "milter_null" 10 bench_opendkim_up "$!" "$T/null.sock" ||
    pw_bail "milter_null did not start"
chmod 0666 "$T/null.sock"

# The pool transport delivers to the sink like the default one.
pw_postfix_master "pool_bulk unix - - n - - smtp -o syslog_name=postfix/pool_bulk"
pw_postfix_main "default_filter_nexthop = [127.0.0.1]:$PW_SINK_PORT"
pw_postfix_main "default_process_limit = 100"
pw_postfix_start

policy="check_policy_service { unix:$T/policyd.sock, timeout=10s, default_action=DEFER_IF_PERMIT }"
mode_bare() {
	pw_postfix_main "smtpd_milters ="
	pw_postfix_main "milter_header_checks ="
	pw_postfix_main "smtp_header_checks ="
	pw_postfix_main "smtpd_recipient_restrictions = permit_mynetworks reject_unauth_destination"
	pw_postfix_main "smtpd_end_of_data_restrictions ="
}
mode_opendkim() {
	mode_bare
	pw_postfix_main "smtpd_milters = unix:$T/od/opendkim.sock"
	pw_postfix_main "milter_default_action = tempfail"
}
mode_null() {
	mode_bare
	pw_postfix_main "smtpd_milters = unix:$T/null.sock"
	pw_postfix_main "milter_default_action = tempfail"
}
mode_milter() {
	mode_bare
	pw_postfix_main "smtpd_milters = unix:$T/milter.sock"
	pw_postfix_main "milter_default_action = tempfail"
	pw_postfix_main "milter_header_checks = regexp:$PW_SRCDIR/contrib/postfix/postwarden_route.regexp"
	pw_postfix_main "smtp_header_checks = regexp:$PW_SRCDIR/contrib/postfix/postwarden_smtp_header_checks.regexp"
}
mode_policyd() {
	mode_bare
	pw_postfix_main "smtpd_recipient_restrictions = $policy permit_mynetworks reject_unauth_destination"
	pw_postfix_main "smtpd_end_of_data_restrictions = $policy"
}
mode_postwarden() {
	pw_postfix_main "smtpd_milters = unix:$T/milter.sock"
	pw_postfix_main "milter_default_action = tempfail"
	pw_postfix_main "milter_header_checks = regexp:$PW_SRCDIR/contrib/postfix/postwarden_route.regexp"
	pw_postfix_main "smtp_header_checks = regexp:$PW_SRCDIR/contrib/postfix/postwarden_smtp_header_checks.regexp"
	pw_postfix_main "smtpd_recipient_restrictions = $policy permit_mynetworks reject_unauth_destination"
	pw_postfix_main "smtpd_end_of_data_restrictions = $policy"
}

now() { date +%s.%N; }

# run MODE: RUN_RATE is the messages per second; RUN_CPU the CPU
# microseconds per message of milter, policyd, redis, other filter, sink,
# source, machine and the rest, in this order.
CPU_PARTS="milter policyd redis filter sink source machine rest"
run() {
	local mode=$1 before t0 t1 lu ls pids p v sum TIMEFORMAT='%3U %3S'
	local -a parts
	"mode_$mode"
	pw_postfix_reload
	before=$(ls "$PW_TMP/sink-main" | wc -l)
	pids="${PW_PIDS[milter]} ${PW_PIDS[policyd]} ${PW_PIDS[redis]}"
	pids="$pids ${PW_PIDS[opendkim]} ${PW_PIDS[null]} ${PW_PIDS[sink-main]}"
	# shellcheck disable=SC2086 # one pid per word
	bench_cpu_begin $pids
	t0=$(now)
	# shellcheck disable=SC2046 # -d or nothing
	{ time smtp-source -s 20 -m "$N" -N $([ "${BENCH_PERSIST:-0}" = 1 ] &&
	    echo -d) -F "$T/message" \
	    -f bench@example.com -t rcpt@remote.example \
	    "127.0.0.1:$PW_SMTPD_PORT" 2>"$T/source.err"; } \
	    2>"$T/source.time" ||
	    pw_bail "smtp-source failed ($mode): $(cat "$T/source.err")"
	# Polling the queue is cheap (one find); counting the sink's files
	# per poll would load the machine being measured.
	while [ -n "$(find "$PW_POSTFIX_DIR/spool/incoming" \
	    "$PW_POSTFIX_DIR/spool/active" "$PW_POSTFIX_DIR/spool/deferred" \
	    -type f -print -quit)" ]; do
		sleep 0.05
	done
	t1=$(now)
	# shellcheck disable=SC2086 # one pid per word
	bench_cpu_end $pids
	[ "$(ls "$PW_TMP/sink-main" | wc -l)" -ge $((before + N)) ] ||
	    pw_bail "$mode: not every message reached the sink"
	RUN_RATE=$(echo "$N / ($t1 - $t0)" | bc -l)
	read -r lu ls <"$T/source.time"
	parts=(
	    "$(bench_cpu_us "${PW_PIDS[milter]}" "$N")"
	    "$(bench_cpu_us "${PW_PIDS[policyd]}" "$N")"
	    "$(bench_cpu_us "${PW_PIDS[redis]}" "$N")"
	    "$(bench_ticks_us $(($(bench_cpu_ticks_of "${PW_PIDS[opendkim]}") +
		$(bench_cpu_ticks_of "${PW_PIDS[null]}"))) "$N")"
	    "$(bench_cpu_us "${PW_PIDS[sink-main]}" "$N")"
	    "$(awk -v u="$lu" -v s="$ls" -v n="$N" \
		'BEGIN { printf "%.1f", (u + s) * 1e6 / n }')"
	    "$(bench_cpu_sys_us "$N")"
	)
	sum=0
	for p in "${parts[@]:0:6}"; do
		sum=$(awk -v a="$sum" -v b="$p" 'BEGIN { print a + b }')
	done
	v=$(awk -v m="${parts[6]}" -v s="$sum" 'BEGIN { printf "%.1f", m - s }')
	RUN_CPU="${parts[*]} $v"
}

echo "# $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
echo "# $(postconf -d -h mail_version | sed 's/^/Postfix /'), $N messages of 2 KB, 20 sessions ($([ "${BENCH_PERSIST:-0}" = 1 ] && echo "kept open: smtp-source -d" || echo "one message each")), $ROUNDS rounds"
MODES=${BENCH_MODES:-bare opendkim postwarden}
declare -A res cpu
for r in $(seq 1 "$ROUNDS"); do
	for m in $MODES; do
		run "$m"
		res[$m]+="$RUN_RATE "
		read -r -a cv <<<"$RUN_CPU"
		for i in "${!cv[@]}"; do
			cpu[$m,$i]+="${cv[i]} "
		done
		printf '# round %d %-10s %8.1f msgs/s; CPU µs/msg:' "$r" "$m" \
		    "$RUN_RATE"
		i=0
		for p in $CPU_PARTS; do
			printf ' %s=%s' "$p" "${cv[i]}"
			i=$((i + 1))
		done
		echo
	done
done
median() { bench_median; }
bare=$(echo "${res[bare]}" | median)
echo "| mode | msgs/s (median of $ROUNDS) | of bare |"
echo "|---|---|---|"
for m in $MODES; do
	v=$(echo "${res[$m]}" | median)
	if [ "$bare" = nan ]; then	# bare not in BENCH_MODES
		printf '| %s | %.1f | - |\n' "$m" "$v"
		continue
	fi
	printf '| %s | %.1f | %.0f%% |\n' "$m" "$v" "$(echo "100 * $v / $bare" | bc -l)"
done
echo
echo "# CPU µs per message, median of $ROUNDS rounds (filter: opendkim or"
echo "# milter_null; rest: the machine less the other columns, mostly Postfix)"
echo
printf '| mode |'
for p in $CPU_PARTS; do
	printf ' %s |' "$p"
done
printf '\n|---|'
for p in $CPU_PARTS; do
	printf -- '---|'
done
echo
for m in $MODES; do
	printf '| %s |' "$m"
	i=0
	for p in $CPU_PARTS; do
		printf ' %s |' "$(bench_median "${cpu[$m,$i]}")"
		i=$((i + 1))
	done
	echo
done
# The postwarden mode did what it claims: signed, tracked, routed.
f=$(pw_sink_files main | tail -n 1)
grep -q '^DKIM-Signature:' "$f" && grep -qi '^X-Postwarden-ID:' "$f" &&
    ! grep -qi '^X-Postwarden-Route:' "$f" ||
    echo "# WARNING: the last message is not signed/tracked as expected"
grep -c 'postfix/pool_bulk/smtp.*status=sent' "$PW_MAILLOG" |
    sed 's/^/# messages delivered through pool_bulk: /'
