#!/bin/bash
# tests/policyd/transcript.sh -- the policy protocol as transcripts, as
# Postfix's own tests do it: requests in one file, the daemon's exact
# replies in the file beside it.  One TAP case per transcript in
# tests/policyd/transcripts/ (or per NAME given as an argument).
#
# A transcript NAME is:
#   NAME.setup  (optional) bash commands run before the daemon starts:
#               "postwarden ..." runs the admin command against the
#               private Redis (tenants, keys, limits, suppressions;
#               "postwarden suppress import - ... <<EOF" for fixed
#               times), "pw_domain_add TENANT DOMAIN [subdomains]" gives
#               a tenant a sending domain (tests/harness/harness.sh).
#               A command that fails fails the case.
#   NAME.conf   (optional) postwarden.conf lines for the daemon, on top
#               of the harness defaults (pw_daemon_start).
#   NAME.in     the requests, attribute lines as Postfix sends them, each
#               ended by a blank line, sent one at a time on one policy
#               connection; "#" lines are comments; after "%conn NAME"
#               requests go on connection NAME, as another smtpd process
#               would send them (tests/policyd/pd_transcript.py).
#   NAME.ref    the replies, byte for byte: "action=...", a blank line;
#               "%closed" where the daemon closed the connection instead
#               of answering ("%timeout": no answer within 10 s).
# Every file of a transcript is listed in PW_POLICYD_TRANSCRIPTS of
# tests/policyd/local.mk, for make dist.
#
# Each transcript gets an empty Redis (but the store marker) and a
# daemon of its own, stopped afterwards.  A case fails with the diff -u
# of NAME.ref and what came back.
#
# Reply texts that depend on the time: in NAME.ref, @HOUR_END@,
# @DAY_END@ and @MONTH_END@ stand for the ends of the quota windows as
# the daemon computes them (the next UTC hour, day, month, from Redis's
# clock, as YYYY-MM-DDTHH:MM:SSZ).  The clock is read before and after
# the requests; either reading may match (a window may end meanwhile).
# Suppression times are fixed by importing them.  What needs timing,
# concurrency, signals, logs or Redis's contents stays in the other
# tests of tests/policyd.
#
# By hand: PW_SRCDIR=$PWD PW_BUILDDIR=$PWD bash tests/policyd/transcript.sh
# [NAME...]; with PW_KEEP_TMP=1 what came back stays in $PW_TMP/NAME.out.

. "$PW_SRCDIR/tests/harness/harness.sh"

pw_require_root_tools
pw_harness_init

TR_DIR=$PW_SRCDIR/tests/policyd/transcripts
TR_CLIENT=$PW_SRCDIR/tests/policyd/pd_transcript.py
TR_CLI=$PW_BUILDDIR/cli/postwarden
[ -x "$TR_CLI" ] || pw_bail "$TR_CLI not built"
export TR_CLI

if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in "$TR_DIR"/*.in; do
		f=${f##*/}
		names+=("${f%.in}")
	done
fi
pw_plan "${#names[@]}"

pw_redis_start
export TR_CONF=$PW_TMP/postwarden.conf
printf 'redis_server = unix:%s\n' "$PW_REDIS_SOCK" >"$TR_CONF"

# tr_ends: the window ends from Redis's clock, as sed expressions that
# put them into a .ref.
tr_ends() {
	local now
	now=$(pw_redis_cli TIME | head -n 1)
	printf 's/@HOUR_END@/%s/g; s/@DAY_END@/%s/g; s/@MONTH_END@/%s/g\n' \
	    "$(date -u -d "@$(((now / 3600 + 1) * 3600))" +%FT%TZ)" \
	    "$(date -u -d "@$(((now / 86400 + 1) * 86400))" +%FT%TZ)" \
	    "$(date -u -d "$(date -u -d "@$now" +%Y-%m-01) +1 month" +%FT%TZ)"
}

# tr_setup FILE: run a .setup file, "postwarden" the admin command and
# pw_domain_add (tests/harness/harness.sh: a tenant's sending domain)
# defined, in a bash of its own so that -e holds (the caller tests its
# status).
tr_setup() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	PW_REDIS_SOCK=$PW_REDIS_SOCK bash -e -c "$(declare -f pw_redis_cli \
	    pw_domain_add)"'
postwarden() { "$TR_CLI" -c "$TR_CONF" "$@"; }
. "$1"' _ "$1"
}

# tr_run NAME: one transcript, one TAP case.
tr_run() {
	local name=$1 t=$TR_DIR/$1 out=$PW_TMP/$1 conf=() before after
	if [ ! -r "$t.in" ] || [ ! -r "$t.ref" ]; then
		pw_not_ok "$name" "$t.in or $t.ref missing"
		return
	fi
	pw_redis_cli FLUSHALL >/dev/null
	pw_redis_cli SET pw:store 1 >/dev/null
	if [ -r "$t.setup" ] &&
	    ! tr_setup "$t.setup" >"$out.setup.log" 2>&1; then
		pw_not_ok "$name" "$name.setup failed:
$(cat "$out.setup.log")"
		return
	fi
	[ -r "$t.conf" ] && mapfile -t conf < <(grep -v '^#' "$t.conf")
	pw_daemon_start policyd "${conf[@]}"
	before=$(tr_ends)
	"$PW_PYTHON" "$TR_CLIENT" "$PW_POLICYD_SOCK" <"$t.in" >"$out.out"
	after=$(tr_ends)
	pw_daemon_stop policyd
	sed "$before" "$t.ref" >"$out.ref"
	if ! cmp -s "$out.ref" "$out.out"; then
		sed "$after" "$t.ref" >"$out.ref"
	fi
	if cmp -s "$out.ref" "$out.out"; then
		pw_ok "$name"
	else
		pw_not_ok "$name" "$(diff -u --label "$name.ref" \
		    --label "$name (got)" "$out.ref" "$out.out")"
	fi
}

for name in "${names[@]}"; do
	tr_run "$name"
done
[ "$PW_TAP_FAILED" -eq 0 ]
