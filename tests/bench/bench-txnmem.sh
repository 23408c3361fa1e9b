#!/bin/bash
# tests/bench/bench-txnmem.sh -- Redis memory per policy transaction
# (issue 17): what a transaction of 1 and of 5 recipients holds in Redis
# after RCPT and after END-OF-MESSAGE, every rule on for a key and its
# tenant (status, sending domain, suppression, size, recipients, rate,
# hour/day/month quotas), by Redis's own accounting: used_memory
# (INFO memory) delta and MEMORY USAGE of each key, per transaction.
# Not run by make check; results go to docs/redis-schema.md by hand.
#
#   PW_BUILDDIR=/path/to/build [BENCH_VERSUS=/other/build] \
#       tests/bench/bench-txnmem.sh [TRANSACTIONS]
#
# TRANSACTIONS (default 500) transactions at once, one policy connection
# each (tests/bench/txnmem_load.py), against a private Redis and
# postwarden-policyd (tests/harness/harness.sh: temp dir, loopback,
# every process stopped by pid); for PW_BUILDDIR and, if set,
# BENCH_VERSUS, each with a store written afresh.  Instances, recipients
# and queue ids are as long as Postfix's (21, 27 and 10 characters);
# tenant "acme", key "k_live_acme1": longer names cost their length more.
#
# Output: one Markdown row per build, recipients and phase: bytes per
# transaction by used_memory (everything: the keys, their expiry entries,
# Redis's dictionaries, the event stream), by MEMORY USAGE in all (the
# transaction hashes, billing records and reservation sets) and of each
# kind, of the event stream pw:events (capped: events_max_length), and
# how many of each key there are.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PW_BUILDDIR:?set PW_BUILDDIR}"
. "$PW_SRCDIR/tests/harness/harness.sh"
N=${1:-500}
THIS=$PW_BUILDDIR

pw_harness_init
pw_redis_start
R() { pw_redis_cli "$@"; }

# The store: a key and its tenant with every rule on, limits far away.
txnmem_store() {
	local lim=(status active created 1 quota_hour 100000000000
	    quota_day 100000000000 quota_month 100000000000 rate 1000000
	    burst 1000000 rate_period 1 max_size 100000000
	    max_recipients 50)
	R FLUSHALL >/dev/null
	R SET pw:store 1 >/dev/null
	R HSET pw:key:k_live_acme1 tenant acme >/dev/null
	R HSET 'pw:{acme}:tenant' "${lim[@]}" >/dev/null
	R HSET 'pw:{acme}:key:k_live_acme1' "${lim[@]}" >/dev/null
	pw_domain_add acme example.com
	R HSET 'pw:{acme}:supp' '@blocked.example' 'manual|cli|1|0' \
	    'someone@customer.example' 'bounce|cli|1|0' >/dev/null
}

# One build: BUILDDIR.
txnmem_build() {
	local build=$1 r k out
	txnmem_store
	PW_BUILDDIR=$build pw_daemon_start policyd "log_level = notice" \
	    "policyd_max_connections = $((N + 64))" \
	    "redis_command_timeout = 60s"
	for r in 1 5; do
		# A warm-up transaction: counters, script cache, buffers.
		"$PW_PYTHON" "$PW_SRCDIR/tests/bench/txnmem_load.py" \
		    --redis "$PW_REDIS_SOCK" --prefix 'pw:{acme}:' \
		    --transactions 4 --recipients "$r" --tag w$r \
		    "$PW_POLICYD_SOCK" >/dev/null ||
		    pw_bail "txnmem_load.py failed (warm-up)"
		for k in $(R --scan --pattern 'pw:{acme}:txn:*') \
		    $(R --scan --pattern 'pw:{acme}:billed:*'); do
			R DEL "$k" >/dev/null
		done
		out=$("$PW_PYTHON" "$PW_SRCDIR/tests/bench/txnmem_load.py" \
		    --redis "$PW_REDIS_SOCK" --prefix 'pw:{acme}:' \
		    --transactions "$N" --recipients "$r" --tag m$r \
		    "$PW_POLICYD_SOCK") || pw_bail "txnmem_load.py failed"
		sed "s#^|#| $build |#" <<<"$out"
	done
	pw_daemon_stop policyd
}

echo "# Redis memory per transaction, bytes; $N transactions at once, one connection each"
echo "# (redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), every rule on for key and tenant)"
echo "| build | recipients | phase | used_memory | MEMORY USAGE | txn hashes | billing records | reservation sets | event stream | keys: txn billed resv |"
echo "|---|---|---|---|---|---|---|---|---|---|"
txnmem_build "$THIS"
[ -n "${BENCH_VERSUS:-}" ] && txnmem_build "$BENCH_VERSUS"
exit 0
