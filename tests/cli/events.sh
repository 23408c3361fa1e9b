#!/bin/bash
# tests/cli/events.sh -- postwarden events tail: the last events of
# pw:events oldest first, one line each or JSON lines, --tenant, --count,
# and --follow picking up new events until SIGTERM (exit 0), also across
# a restart of Redis (each event once, one stderr line each way).

. "$PW_SRCDIR/tests/cli/common.sh"
cli_start
pw_plan 23

cli_rc "empty stream: exit 0" 0 events tail
pw_is "empty stream: no output" "$OUT" ""

for i in 1 2 3 4 5; do
	rcli XADD pw:events '*' type accepted time $((1795770000 + i)) \
	    tenant acme key k1 queue_id "Q$i" recipient "r$i@example.net" \
	    count 1 >/dev/null
	rcli XADD pw:events '*' type refused time $((1795770000 + i)) \
	    tenant beta rule quota recipient "b$i@example.net" \
	    reply '452 4.5.3 daily quota reached' >/dev/null
done

cli_rc "tail: exit 0" 0 events tail
first=$(printf '%s\n' "$OUT" | head -n 1 | cut -d' ' -f1-2)
pw_is "tail: last 10, oldest first" "$(printf '%s\n' "$OUT" | wc -l) $first" \
    "10 2026-11-27T09:00:01Z accepted"
cli_like "tail: fields, a value with spaces quoted" \
    '^2026-11-27T09:00:05Z refused tenant=beta rule=quota '\
'recipient=b5@example.net reply="452 4.5.3 daily quota reached"$' \
    "$OUT"
cli_rc "--tenant --count 2: exit 0" 0 events tail --tenant acme --count 2
pw_is "--tenant --count 2: the two newest of acme" \
    "$(printf '%s\n' "$OUT" | grep -o 'queue_id=Q[0-9]' | tr '\n' ' ')" \
    "queue_id=Q4 queue_id=Q5 "
cli_rc "--json: exit 0" 0 --json events tail --count 3
pw_is "--json: one valid object per line" \
    "$(printf '%s\n' "$OUT" | "$PW_PYTHON" -c '
import json, sys
print([json.loads(l)["type"] for l in sys.stdin])')" \
    "['refused', 'accepted', 'refused']"
pw_check "--json: ids are stream ids" \
    grep -qE '^\{"id":"[0-9]+-[0-9]+","type":' <<<"$OUT"
cli_rc "--count bad: exit 64" 64 events tail --count many

# --follow: new events appear; SIGTERM ends it with exit 0.
"$CLI_BIN" -c "$CLI_CONF" events tail --follow --count 0 --tenant acme \
    --json >"$PW_TMP/follow.out" 2>"$PW_TMP/follow.err" &
fpid=$!
# Wait until it reads (a client blocked in XREAD), then add events.
blocked() {
	rcli CLIENT LIST | grep -q 'cmd=xread'
}
pw_check "--follow: blocks in XREAD" pw_wait_until "XREAD BLOCK" 10 blocked
rcli XADD pw:events '*' type refused tenant beta queue_id QB >/dev/null
rcli XADD pw:events '*' type accepted tenant acme queue_id QNEW \
    recipient 'new"quote@example.net' >/dev/null
pw_check "--follow: the new event arrives" \
    pw_wait_until "the followed event" 10 grep -q QNEW "$PW_TMP/follow.out"
kill -TERM "$fpid"
wait "$fpid"
pw_is "--follow: SIGTERM ends it, exit 0" "$?" 0
pw_is "--follow: only the tenant's new event, valid JSON" \
    "$("$PW_PYTHON" -c '
import json, sys
print([json.loads(l)["recipient"] for l in open(sys.argv[1])])' \
	"$PW_TMP/follow.out")" \
    "['new\"quote@example.net']"
pw_is "--follow: nothing on stderr" "$(cat "$PW_TMP/follow.err")" ""

# --follow across a Redis restart: it waits, reconnects and goes on after
# the last id it printed.  The new server is empty (no persistence), so
# what it holds is exactly what came after the restart.
"$CLI_BIN" -c "$CLI_CONF" events tail --follow --count 0 --json \
    >"$PW_TMP/restart.out" 2>"$PW_TMP/restart.err" &
fpid=$!
pw_check "restart: blocks in XREAD" pw_wait_until "XREAD BLOCK" 10 blocked
rcli XADD pw:events '*' type refused tenant acme queue_id QR1 >/dev/null
pw_check "restart: the event before arrives" \
    pw_wait_until "QR1" 10 grep -q QR1 "$PW_TMP/restart.out"
pw__stop_pid redis 5
pw_check "restart: the outage is said on stderr" \
    pw_wait_until "the outage line" 10 grep -q reconnecting \
    "$PW_TMP/restart.err"
pw_redis_start
rcli XADD pw:events '*' type accepted tenant acme queue_id QR2 >/dev/null
rcli XADD pw:events '*' type accepted tenant beta queue_id QR3 >/dev/null
pw_check "restart: events after the restart arrive" \
    pw_wait_until "QR3" 10 grep -q QR3 "$PW_TMP/restart.out"
kill -TERM "$fpid"
wait "$fpid"
pw_is "restart: SIGTERM still ends it, exit 0" "$?" 0
pw_is "restart: every event exactly once, in order" \
    "$("$PW_PYTHON" -c '
import json, sys
print(" ".join(json.loads(l)["queue_id"] for l in open(sys.argv[1])))' \
	"$PW_TMP/restart.out")" "QR1 QR2 QR3"
# The server's name, the reason and the id vary; the lines do not.
norm='s/(redis) [^ ]*: /\1 SERVER: /; s/after [0-9-]+$/after ID/
s/SERVER: [^;]*; reconnecting/SERVER: WHY; reconnecting/'
pw_is "restart: one stderr line for the outage, one for the recovery" \
    "$(sed -E "$norm" "$PW_TMP/restart.err")" \
    "postwarden: redis SERVER: WHY; reconnecting, then following on after ID
postwarden: redis SERVER: connection restored; following on after ID"
