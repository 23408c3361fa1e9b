#!/bin/bash
# tests/policyd/gcra.sh -- the rate limiter admits the configured rate.
#
# 1. The arithmetic (lua/gcra.lua, the very functions the
#    RCPT script runs), driven inside a private Redis with a simulated
#    clock: requests arrive far faster than the rate (a few hundred per
#    interval, at least one per microsecond tick), every state change goes
#    through the stored string as in the script, and the admitted count
#    over the run must be within 1% (+ burst + 1) of elapsed time * rate,
#    for rates from 1/day to 50,000/s, burst 0 and 5.  This proves the
#    arithmetic and the state's precision; it does not prove what a real
#    client achieves: with burst 0 (strict spacing) a limiter can admit
#    only at arrivals, so sparse arrivals lose on average half their gap
#    per interval -- a burst of 1 or more absorbs that.
# 2. Through postwarden-policyd: 300/s with burst 0, as fast as the test
#    can send, measured against Redis's clock: close to the rate (the old
#    whole-millisecond arithmetic admitted 250/s), and never above it.

. "$PW_SRCDIR/tests/policyd/common.sh"

pw_require_root_tools
pw_harness_init
pw_plan 24

R() { pw_redis_cli "$@"; }
pw_redis_start

# sim RATE PERIOD_S BURST ARRIVALS: "admitted expected" for ARRIVALS
# requests spaced T/293 apart (at least one microsecond).
DRIVER='
local rate, period, burst, n = tonumber(ARGV[1]), tonumber(ARGV[2]),
    tonumber(ARGV[3]), tonumber(ARGV[4])
local T = period * 1000 / rate
local gap = math.max(1, math.floor(T * 1000 / 293))	-- microseconds
local a0 = 1796000000 * 1e6 + 123457
local stored, admitted, a = nil, 0, a0
for k = 0, n - 1 do
	a = a0 + k * gap
	local base, now = gcra_clock({ math.floor(a / 1e6), a % 1e6 })
	local ok, tat = gcra(gcra_parse(stored, base), now, T, burst * T)
	if ok then
		admitted = admitted + 1
		stored = gcra_format(base, tat)
	end
end
return { admitted, string.format("%.3f", (a - a0) / 1000 / T) }'
SCRIPT=$(cat "$PW_SRCDIR/lua/gcra.lua"; echo "$DRIVER")
sim() { R EVAL "$SCRIPT" 0 "$@" | tr '\n' ' '; }

for spec in "1 86400" "1 60" "1 1" "7 1" "300 1" "800 1" "1000 1" \
    "5000 1" "30000 1" "50000 1" "6000 60"; do
	set -- $spec
	for burst in 0 5; do
		read -r got want <<<"$(sim "$1" "$2" "$burst" 60000)"
		pw_check "rate $1 per $2 s, burst $burst: $got admitted for $want intervals" \
		    awk -v g="$got" -v w="$want" -v b="$burst" \
		    'BEGIN { d = g - w; if (d < 0) d = -d;
		      exit !(d <= w / 100 + b + 1) }'
	done
done

# Through the daemon, measured against Redis's clock.  Pipelined
# requests reach Redis in clusters (up to 64 per connection back to back,
# then a pause for the replies): with burst 0 only one of a cluster can
# pass, so that run can only show the rate is never exceeded; a burst
# that spans the pauses shows the rate itself, within 1% + burst.
pw_daemon_start policyd "log_level = notice"
PIPE="$PW_PYTHON $PW_SRCDIR/tests/policyd/pd_pipe.py --key k_rate --count 6000
    --redis $PW_REDIS_SOCK"
# run TAG BURST: admitted and elapsed * rate for 300/s, two connections.
run() {
	local t0 t1
	pd_key k_rate trate rate 300 burst "$2"
	R DEL 'pw:{trate}:gcra:key:k_rate' >/dev/null
	$PIPE --tag "$1a" "$PW_POLICYD_SOCK" >"$PW_TMP/$1a.out" 2>&1 &
	$PIPE --tag "$1b" "$PW_POLICYD_SOCK" >"$PW_TMP/$1b.out" 2>&1
	wait $!
	pw_diag "$(cat "$PW_TMP/$1a.out" "$PW_TMP/$1b.out")"
	got=$(cat "$PW_TMP/$1a.out" "$PW_TMP/$1b.out" |
	    awk '$2 == "DUNNO" { n += $1 } END { print n + 0 }')
	# From the first request to the last answer, by Redis's clock.
	want=$(cat "$PW_TMP/$1a.out" "$PW_TMP/$1b.out" | awk '$1 == "time" {
	    if (s == "" || $2 < s) s = $2; if ($3 > e) e = $3 }
	    END { printf "%.1f", (e - s) / 1e6 * 300 }')
}
run z 0
pw_check "policyd, 300/s burst 0: $got admitted in ${want%.*}/300 s: never above the rate" \
    awk -v g="$got" -v w="$want" 'BEGIN { exit !(g <= w + 1) }'
run y 100
pw_check "policyd, 300/s burst 100: $got admitted in ${want%.*}/300 s: the rate within 1% + burst" \
    awk -v g="$got" -v w="$want" 'BEGIN { d = g - w; if (d < 0) d = -d;
      exit !(d <= w / 100 + 101) }'
