#!/bin/bash
# tests/cli/usage.sh -- postwarden usage: used counters, live
# reservations, limits, what is left and reset times in the UTC windows of
# a fixed time (--at), the rate limiter state, name resolution; usage
# writes nothing.  tests/cli/usage_policyd.sh checks it against the
# daemon.

. "$PW_SRCDIR/tests/cli/common.sh"
cli_start
pw_plan 30

AT=2026-11-27T10:30:00Z
AT_MS=$(($(date -u -d "$AT" +%s) * 1000))
rcli HSET 'pw:{acme}:tenant' status active quota_day 50000 rate 100 \
    rate_period 1 burst 50 >/dev/null
rcli SADD pw:tenants acme >/dev/null
rcli HSET pw:key:k1 tenant acme >/dev/null
rcli HSET 'pw:{acme}:key:k1' status active quota_hour 1000 \
    quota_month 20 >/dev/null
P='pw:{acme}:'
rcli SET "${P}used:key:k1:h:2026112710" 12 >/dev/null
rcli SET "${P}used:key:k1:d:20261127" 40 >/dev/null
rcli SET "${P}used:key:k1:m:202611" 19 >/dev/null
# Two live reservations and one that expired before $AT.
rcli ZADD "${P}resv:key:k1:h:2026112710" $((AT_MS + 60000)) "i1 a@x.example" \
    $((AT_MS + 1)) "i1 b@x.example" $((AT_MS - 1)) "i0 c@x.example" >/dev/null
rcli ZADD "${P}resv:key:k1:m:202611" $((AT_MS + 60000)) "i1 a@x.example" \
    $((AT_MS + 60000)) "i1 b@x.example" >/dev/null
rcli SET "${P}used:tenant:d:20261127" 45000 >/dev/null
rcli SET "${P}msgs:tenant:d:20261127" 7 >/dev/null
rcli SET "${P}bytes:tenant:d:20261127" 12345 >/dev/null

cli_rc "key: exit 0" 0 usage k1 --at "$AT"
pw_is "key: title" "$(printf '%s\n' "$OUT" | head -n 1)" \
    "key k1 (tenant acme) at 2026-11-27T10:30:00Z"
cli_like "key: hour window" \
    "^hour +2026112710 +12 +2 +1000 +986 +2026-11-27T11:00:00Z$" "$OUT"
cli_like "key: day window, no limit" \
    "^day +20261127 +40 +0 +none +- +2026-11-28T00:00:00Z$" "$OUT"
cli_like "key: month window, over by reservations: 0 left" \
    "^month +202611 +19 +2 +20 +0 +2026-12-01T00:00:00Z$" "$OUT"
cli_like "key: no rate limit" "^rate: no limit$" "$OUT"

cli_rc "tenant --json: exit 0" 0 usage acme --at "$AT" --json
pw_is "tenant --json: day window" \
    "$(cli_json '[(w["window"], w["period"], w["used"], w["reserved"],
	w["limit"], w["remaining"], w["resets"]) for w in j["windows"]][1]')" \
    "('day', '20261127', 45000, 0, 50000, 5000, '2026-11-28T00:00:00Z')"
pw_is "tenant --json: subject" \
    "$(cli_json '[j["subject"], j["tenant"], j["key"]]')" \
    "['tenant', 'acme', None]"
pw_is "tenant --json: today's messages and bytes" \
    "$(cli_json '[j["messages_today"], j["bytes_today"]]')" "[7, 12345]"
pw_is "tenant --json: idle rate limiter admits burst + 1" \
    "$(cli_json '[j["rate"]["rate"], j["rate"]["burst"],
	j["rate"]["admissible_now"], j["rate"]["tat_ms"]]')" \
    "[100, 50, 51, None]"

# The limiter 10 s ahead: limited (it is always shown as it is now).
rcli SET "${P}gcra:tenant" "$(( $(date +%s) * 1000 + 10000 )).000" >/dev/null
cli_rc "tenant, limited: exit 0" 0 usage acme
cli_like "tenant, limited: says when the next may pass" \
    "^rate: 100/s, burst 50: limited, the next recipient may pass at "\
".*Z \(in [0-9]+ ms\)$" \
    "$OUT"

# Read only (lua/usage.lua writes nothing): every key, its value and its
# expiry are the same after usage ran, even an expired reservation
# (i0 c@x.example, again) that the daemon's scripts would prune, and the
# rate limiter's state.
rcli ZADD "${P}resv:key:k1:h:2026112710" $((AT_MS - 1)) "i0 c@x.example" \
    >/dev/null
rcli PEXPIRE "${P}gcra:tenant" 600000 >/dev/null
rcli EXPIRE "${P}resv:key:k1:h:2026112710" 7200 >/dev/null
snapshot() {
	local k
	rcli --scan | sort | while IFS= read -r k; do
		printf '%s %s ' "$k" "$(rcli PEXPIRETIME "$k" </dev/null)"
		rcli DUMP "$k" </dev/null | od -An -tx1 | tr -d ' \n'
		echo
	done
}
before=$(snapshot)
pwcli usage k1
pwcli usage acme --json
pwcli usage k1 --at "$AT" --json
pw_is "read only: every key, value and expiry unchanged" "$(snapshot)" \
    "$before"
rcli SET "${P}used:tenant:h:2026112710" ten >/dev/null
cli_rc "a counter that is not a number: exit 2" 2 usage acme --at "$AT"
cli_like "a counter that is not a number: says which" \
    "used:tenant:h:2026112710: not a counter" "$ERR"
rcli DEL "${P}used:tenant:h:2026112710" >/dev/null

cli_rc "December: month resets next year" 0 usage acme --tenant \
    --at 2026-12-31T23:59:59Z
cli_like "December: reset time" "^month +202612 .* 2027-01-01T00:00:00Z$" "$OUT"

# A limit written by hand that postwarden-policyd cannot read: it defers
# the subject's mail, so usage shows it as invalid, never as "none".
rcli HSET pw:key:k2 tenant acme >/dev/null
rcli HSET 'pw:{acme}:key:k2' status active quota_day 1,000 quota_hour 1e1 \
    >/dev/null
cli_rc "invalid limits: exit 0" 0 usage k2 --at "$AT"
cli_like "invalid quota_day: shown as invalid, nothing left" \
    "^day +20261127 +0 +0 +invalid +0 +2026-11-28T00:00:00Z$" "$OUT"
cli_like "invalid quota_hour (1e1): invalid too" \
    "^hour +2026112710 +0 +0 +invalid +0 " "$OUT"
cli_like "invalid: says the daemon defers" \
    "^invalid: quota_day is not a valid limit .*defers every recipient" "$OUT"
cli_rc "invalid limits --json: exit 0" 0 usage k2 --at "$AT" --json
pw_is "invalid --json: limit and remaining" \
    "$(cli_json '[(w["limit"], w["remaining"]) for w in j["windows"]] + [j["invalid"]]')" \
    "[('invalid', 0), ('invalid', 0), (None, 0), ['quota_hour', 'quota_day']]"

# Names: unknown, ambiguous, forced.
cli_rc "unknown: exit 1" 1 usage nobody
cli_like "unknown: says so" "unknown key or tenant: nobody" "$ERR"
rcli HSET pw:key:acme tenant acme >/dev/null
rcli HSET 'pw:{acme}:key:acme' status active >/dev/null
cli_rc "both a key and a tenant: exit 64" 64 usage acme
cli_rc "--key resolves it" 0 usage acme --key --json
pw_is "--key: the key's counters" "$(cli_json 'j["subject"]')" key
cli_rc "bad --at: exit 64" 64 usage acme --at 2026-13-01
