#!/bin/bash
# tests/dkim/protocol.sh -- postwarden-milter's DKIM at the milter
# protocol level, driven by the benchmark's load generator (the MTA side
# of milter protocol 6, offering what Postfix 3.7 offers):
#
#   - the milter asks for header fields with their leading space and
#     without replies (SMFIP_HDR_LEADSPC, SMFIP_NR_HDR), answers connect
#     and MAIL FROM with no reply (SMFIP_NR_CONN, SMFIP_NR_MAIL), and
#     wants SMFIP_SKIP, with or without keys (a tenant's control headers
#     are removed); with keys, body chunks get no reply (SMFIP_NR_BODY);
#   - without keys, an unauthenticated message's body is skipped after
#     its first chunk;
#   - an authenticated sender's message gets one signature per key;
#   - with keys, an unauthenticated message gets none and its body
#     streams through without replies (not skipped); a tenant's message
#     whose From domain has no entry gets none, and its body is read (the
#     event records its size);
#   - a 100 MiB body streams through: the milter's peak RSS grows by
#     less than 1 MiB;
#   - many concurrent connections: every message signed;
#   - SIGHUP while messages stream in: every message still signed;
#   - a tenant that names its signing domain in Redis (dkim_domain) is
#     signed with that domain's keys, also while Redis is down (cache).

. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"

LOAD=$PW_BUILDDIR/tests/dkim/milter_load
pw_require_root_tools
[ -x "$LOAD" ] || pw_skip_all "$LOAD not built"
command -v openssl >/dev/null || pw_skip_all "openssl not installed"
pw_harness_init
pw_plan 19

pw_dkim_key r example.com r1 rsa
pw_dkim_key e example.com e1 ed25519
pw_dkim_sign example.com r,e

pw_redis_start
pw_redis_cli HSET pw:key:k_proto tenant proto >/dev/null
pw_domain_add proto example.com
pw_domain_add proto other.example

# field NAME LINE: the value of NAME=... in a milter_load result line.
field() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
has_flag() { (( ($1 & $2) != 0 )); }

load() {	# ARGS...: run milter_load against the milter, print its line
	"$LOAD" -s "$PW_MILTER_SOCK" "$@" 2>&1
}

# --- no keys: nothing asked for ---------------------------------------------------------

pw_daemon_start milter
out=$(load -n 5 -a k_proto)
p=$(field proto "$out")
if [ -n "$p" ] && ! has_flag "$p" 0x20 && has_flag "$p" 0x80 &&
    has_flag "$p" 0x400 && has_flag "$p" 0x1000 && has_flag "$p" 0x4000; then
	pw_ok "without keys: connect, MAIL and headers without replies, SMFIP_SKIP ($p)"
else
	pw_not_ok "without keys: connect, MAIL and headers without replies, SMFIP_SKIP" "$out"
fi
pw_is "without keys: no signatures" "$(field sigs_per_msg "$out")" 0.00
out=$(load -n 20 -a "" -b 200000)
pw_is "without keys: every unauthenticated body skipped after its first chunk" \
    "$(field bodies_skipped "$out")" 20
pw_daemon_stop milter
unset "PW_PIDS[milter]"

# --- keys ----------------------------------------------------------------------------------

pw_daemon_start milter "log_level = info" \
    "dkim_key_table = $PW_TMP/keytable" \
    "dkim_signing_table = $PW_TMP/signingtable"
PID=${PW_PIDS[milter]}
out=$(load -n 20 -a k_proto)
p=$(field proto "$out")
if [ -n "$p" ] && ! has_flag "$p" 0x20 && ! has_flag "$p" 0x10 &&
    has_flag "$p" 0x100000 && has_flag "$p" 0x80 && has_flag "$p" 0x400 &&
    has_flag "$p" 0x80000; then
	pw_ok "with keys: headers (LEADSPC, no replies) and body (no replies), SKIP ($p)"
else
	pw_not_ok "with keys: headers (LEADSPC, no replies) and body (no replies), SKIP" \
	    "$out"
fi
pw_is "authenticated: two signatures per message" \
    "$(field sigs_per_msg "$out")" 2.00
pw_is "authenticated: no body skipped" "$(field bodies_skipped "$out")" 0

out=$(load -n 20 -a "" -b 200000)
pw_is "unauthenticated: no signature" "$(field sigs_per_msg "$out")" 0.00
pw_is "unauthenticated: bodies stream through without replies (SMFIP_NR_BODY)" \
    "$(field bodies_skipped "$out")" 0

out=$(load -n 20 -a k_proto -d other.example -b 200000)
pw_is "From domain without an entry: no signature" \
    "$(field sigs_per_msg "$out")" 0.00
pw_is "From domain without an entry: the tenant's bodies are read" \
    "$(field bodies_skipped "$out")" 0
pw_check "From domain without an entry: logged why" \
    pw_wait_log "$PW_TMP/milter.log" "milter: dkim: not signed: no signing table entry for the From domain or the tenant" 5

# --- 100 MiB ---------------------------------------------------------------------------------

hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PID/status"; }
load -n 4 -a k_proto -b 1000000 >/dev/null
before=$(hwm)
out=$(load -n 1 -c 1 -a k_proto -b 104857600)
after=$(hwm)
pw_is "100 MiB body: signed twice" "$(field sigs_per_msg "$out")" 2.00
if grep -q __asan_init "$PW_BUILDDIR/milter/postwarden-milter"; then
	# ASan keeps freed memory in quarantine (libmilter frees each chunk).
	pw_ok "100 MiB body: milter peak RSS # SKIP sanitizer build (quarantine)"
elif [ -n "$before" ] && [ -n "$after" ] && [ $((after - before)) -lt 1024 ]; then
	pw_ok "100 MiB body: milter peak RSS +$((after - before)) kB (< 1 MiB)"
else
	pw_not_ok "100 MiB body: milter peak RSS grows < 1 MiB" \
	    "VmHWM before=$before kB after=$after kB"
fi

# --- concurrency -------------------------------------------------------------------------------

out=$(load -n 2000 -c 32 -m 5 -a k_proto)
pw_is "32 concurrent connections, 2000 messages: all signed twice" \
    "$(field sigs_per_msg "$out")" 2.00
pw_diag "$out"

# --- SIGHUP under load: connections keep the keys of their snapshot -------------------

"$LOAD" -s "$PW_MILTER_SOCK" -n 6000 -c 8 -m 5 -a k_proto \
    >"$PW_TMP/reload-load.out" 2>&1 &
lpid=$!
reloads=0
for i in 1 2 3 4 5; do
	pw__alive "$lpid" || break
	: >"$PW_TMP/milter.log"
	kill -HUP "$PID"
	pw_wait_log "$PW_TMP/milter.log" "reloaded configuration" 10 &&
	    reloads=$((reloads + 1))
done
wait "$lpid"
rc=$?
out=$(cat "$PW_TMP/reload-load.out")
if [ "$rc" = 0 ] && [ "$(field sigs_per_msg "$out")" = 2.00 ] &&
    [ "$reloads" -ge 2 ] && pw_daemon_alive milter; then
	pw_ok "$reloads reloads under load: every message signed twice"
else
	pw_not_ok "reloads under load: every message signed twice" \
	    "rc=$rc reloads=$reloads $out"
fi

# --- a tenant names its signing domain in Redis ----------------------------------------

# other.example has no signing table entry; tenant proto's record says
# dkim_domain example.com, whose keys then sign.
pw_redis_cli HSET 'pw:{proto}:tenant' dkim_domain example.com >/dev/null
# The tenant's settings are cached (identity_cache_ttl); a reload makes
# them due: the next message reads them again (messages in flight
# meanwhile go on with the cached ones).
: >"$PW_TMP/milter.log"
kill -HUP "$PID"
pw_wait_log "$PW_TMP/milter.log" "reloaded configuration" 10 ||
    pw_bail "no reload"
load -n 1 -c 1 -a k_proto -d other.example >/dev/null
out=$(load -n 10 -a k_proto -d other.example)
pw_is "tenant's dkim_domain in Redis: signed with that domain's keys" \
    "$(field sigs_per_msg "$out")" 2.00
pw_redis_cli HSET pw:key:k_nokeys tenant nokeys >/dev/null
pw_domain_add nokeys other.example
pw_domain_add nokeys nokeys.example
pw_redis_cli HSET 'pw:{nokeys}:tenant' dkim_domain nokeys.example >/dev/null
out=$(load -n 5 -a k_nokeys -d other.example)
pw_is "dkim_domain without keys: not signed" \
    "$(field sigs_per_msg "$out")" 0.00
pw_check "dkim_domain without keys: logged why" \
    pw_wait_log "$PW_TMP/milter.log" "dkim: not signed: no key for the tenant's dkim_domain" 5
# Redis goes away: the cached answers still sign (DESIGN.md: "Redis down:
# signing continues from cached settings").
pw__stop_pid redis 5
out=$(load -n 10 -a k_proto -d other.example)
pw_is "Redis down: the cached dkim_domain still signs" \
    "$(field sigs_per_msg "$out")" 2.00
