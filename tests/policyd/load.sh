#!/bin/bash
# tests/policyd/load.sh -- exactness under load: 250 parallel
# connections spread over two postwarden-policyd processes sharing one
# Redis hammer one key whose daily quota is N, transactions one after the
# other on each connection (RCPT, END-OF-MESSAGE), every request sent
# twice (Postfix's retry after a timeout): exactly N distinct recipients
# are admitted and usage ends at exactly N.  Then the same with a tenant
# quota shared by two keys, transactions with duplicate and case-variant
# recipients billed at END-OF-MESSAGE, transactions with long, dotted and
# IDN recipients mixed in, and a run during which Redis hangs.

. "$PW_SRCDIR/tests/policyd/common.sh"

pw_require_root_tools
pw_harness_init
pw_plan 23

LOAD="$PW_PYTHON $PW_SRCDIR/tests/policyd/pd_load.py"
R() { pw_redis_cli "$@"; }
N=300

pw_redis_start
pd_key k_load tload quota_day $N
# A generous command timeout: exactness is tested here, not the timeout
# (tests/policyd/rules.sh), and a loaded test machine has slow moments.
pw_daemon_start policyd "log_level = info" "redis_command_timeout = 2s"
pw_policyd_start_extra policyd2 "log_level = info" \
    "redis_command_timeout = 2s"

day=$(date -u -d "@$(R TIME | head -n 1)" +%Y%m%d)
# Each connection runs its transactions one after the other, as smtpd
# does: RCPT, then END-OF-MESSAGE (a new instance on a connection
# releases what the previous one left unbilled, so a transaction must end
# before the next one starts); every request sent twice.
out=$($LOAD --connections 250 --requests 4 --retry --eom --key k_load \
    --tag a --admitted "$PW_TMP/admitted" "$PW_POLICYD_SOCK" \
    "$PW_POLICYD2_SOCK" 2>&1)
rc=$?
pw_diag "$out"
pw_is "250 connections x 4 transactions (each request twice): no error" \
    "$rc $(echo "$out" | grep -c END-OF-MESSAGE)" "0 0"
pw_is "exactly N=$N admitted" "$(echo "$out" | sed -n 's/^\([0-9]*\) DUNNO$/\1/p')" $N
pw_is "the rest refused by the daily quota" \
    "$(echo "$out" | sed -n 's/^\([0-9]*\) 451 4.7.1 Daily quota of key k_load exhausted$/\1/p')" \
    $((1000 - N))
pw_check "retries got the same answer as the first request" \
    bash -c "! grep -q 'retry answered differently' <<<\"\$1\"" _ "$out"
pw_is "billed exactly N (retried END-OF-MESSAGE not billed twice)" \
    "$(R GET "pw:{tload}:used:key:k_load:d:$day")" $N
pw_is "no reservation left" \
    "$(R ZCARD "pw:{tload}:resv:key:k_load:d:$day")" 0
pw_is "and still full" "$($LOAD --connections 1 --requests 1 \
    --key k_load --tag b "$PW_POLICYD_SOCK")" \
    "1 451 4.7.1 Daily quota of key k_load exhausted"

# A tenant quota shared by two keys, each key on its own daemon.
pd_key k_x1 tx
pd_key k_x2 tx
R HSET 'pw:{tx}:tenant' quota_hour 123 >/dev/null
$LOAD --connections 130 --requests 3 --eom --key k_x1 --tag x1 \
    "$PW_POLICYD_SOCK" >"$PW_TMP/x1.out" 2>&1 &
p1=$!
$LOAD --connections 130 --requests 3 --eom --key k_x2 --tag x2 \
    "$PW_POLICYD2_SOCK" >"$PW_TMP/x2.out" 2>&1
wait $p1
pw_diag "$(cat "$PW_TMP/x1.out" "$PW_TMP/x2.out")"
got=$(cat "$PW_TMP/x1.out" "$PW_TMP/x2.out" |
    awk '$2 == "DUNNO" { n += $1 } END { print n + 0 }')
pw_is "tenant quota over two keys and two daemons: exactly 123 admitted" \
    "$got" 123
# Duplicates and case variants mixed in: each transaction sends RCPT r,
# R (its upper-case variant), s, r again, then END-OF-MESSAGE with
# recipient_count the RCPTs admitted (4, duplicates included, as Postfix
# counts them), every request twice.  Usage ends at exactly the limit.
D=301
pd_key k_dup tdup quota_day $D
out=$($LOAD --connections 250 --requests 2 --retry --dups --eom \
    --key k_dup --tag d "$PW_POLICYD_SOCK" "$PW_POLICYD2_SOCK" 2>&1)
rc=$?
pw_diag "$out"
pw_is "duplicates mixed in: no error, END-OF-MESSAGE always DUNNO" \
    "$rc $(echo "$out" | grep -c END-OF-MESSAGE)" "0 0"
pw_is "duplicates mixed in: exactly $D distinct recipients admitted" \
    "$(echo "$out" | sed -n 's/^\([0-9]*\) distinct admitted$/\1/p')" $D
pw_is "duplicates mixed in: billed exactly the limit, nothing reserved" \
    "$(R GET "pw:{tdup}:used:key:k_dup:d:$day") $(R GET "pw:{tdup}:used:tenant:d:$day") $(R ZCARD "pw:{tdup}:resv:key:k_dup:d:$day")" \
    "$D $D 0"

# Long (held whole, and over the cap), dotted and U-label recipients
# mixed in: still exactly M admitted and billed; every recipient over the
# cap refused whole (550 5.1.3), none of them taken for a retry of
# another (two in each such transaction).
M=200
pd_key k_mix tmix quota_day $M
out=$($LOAD --connections 250 --requests 8 --retry --mix --eom \
    --key k_mix --tag mx "$PW_POLICYD_SOCK" "$PW_POLICYD2_SOCK" 2>&1)
rc=$?
pw_diag "$out"
pw_is "mixed recipients: no error, END-OF-MESSAGE always DUNNO" \
    "$rc $(echo "$out" | grep -c END-OF-MESSAGE)" "0 0"
pw_is "mixed recipients: exactly M=$M admitted" \
    "$(echo "$out" | sed -n 's/^\([0-9]*\) DUNNO$/\1/p')" $M
pw_is "mixed recipients: the 1000 over the cap refused whole" \
    "$(echo "$out" | sed -n 's/^\([0-9]*\) 550 5.1.3 Bad recipient address: local part longer than 256 bytes$/\1/p')" \
    1000
pw_is "mixed recipients: the rest refused by the daily quota" \
    "$(echo "$out" | sed -n 's/^\([0-9]*\) 451 4.7.1 Daily quota of key k_mix exhausted$/\1/p')" \
    $((1500 - M))
pw_is "mixed recipients: billed exactly M, nothing reserved" \
    "$(R GET "pw:{tmix}:used:key:k_mix:d:$day") $(R ZCARD "pw:{tmix}:resv:key:k_mix:d:$day")" \
    "$M 0"

# Redis hung (SIGSTOP) in the middle of a run, then back: every request
# is answered (admitted, refused by the quota, or the fail mode), no
# daemon dies, and the quota is never over-granted: a command that timed
# out may still have run, so it can only under-grant.
pd_key k_mid tmid quota_day 200
$LOAD --connections 250 --requests 200 --eom --key k_mid --tag m1 \
    --timeout 60 \
    "$PW_POLICYD_SOCK" "$PW_POLICYD2_SOCK" >"$PW_TMP/m1.out" 2>&1 &
lp=$!
some() { [ "$(R GET "pw:{tmid}:used:key:k_mid:d:$day")" -ge 1 ]; }
pw_wait_until "the run to admit some" 20 some
kill -STOP "${PW_PIDS[redis]}"
pw_wait_log "$PW_TMP/policyd.log" 'policy decisions failing' 10
kill -CONT "${PW_PIDS[redis]}"
wait "$lp"
rc=$?
pw_diag "$(cat "$PW_TMP/m1.out")"
pw_is "Redis hung mid-run: every request answered" "$rc" 0
# The hang may catch RCPTs or END-OF-MESSAGEs (or both) in flight.
pw_check "Redis hung mid-run: the fail mode answered (451 4.3.0)" \
    grep -qE '^[0-9]+ (END-OF-MESSAGE )?451 4\.3\.0 Policy service temporarily unavailable' \
    "$PW_TMP/m1.out"
other=$(grep -vE '^[0-9]+ (DUNNO|(END-OF-MESSAGE )?451 4\.3\.0 Policy service|451 4\.7\.1 Daily quota of key k_mid exhausted$)' \
    "$PW_TMP/m1.out")
pw_is "Redis hung mid-run: no other answer" "$other" ""
$LOAD --connections 100 --requests 5 --eom --key k_mid --tag m2 \
    "$PW_POLICYD_SOCK" "$PW_POLICYD2_SOCK" >"$PW_TMP/m2.out" 2>&1
pw_diag "$(cat "$PW_TMP/m2.out")"
admitted=$(cat "$PW_TMP/m1.out" "$PW_TMP/m2.out" |
    awk '$2 == "DUNNO" { n += $1 } END { print n + 0 }')
pw_check "after recovery: at most 200 admitted in all ($admitted)" \
    [ "$admitted" -le 200 ]
pw_is "after recovery: the quota is full (billed + reserved), not over-full" \
    "$(($(R GET "pw:{tmid}:used:key:k_mid:d:$day") + $(R ZCARD "pw:{tmid}:resv:key:k_mid:d:$day")))" 200
pw_check "both daemons still running" pw_daemon_alive policyd
pw_check "... the second one too" pw_daemon_alive policyd2
