#!/bin/bash
# tests/e2e/quota.sh -- quotas and suppressions through a real Postfix:
# check_policy_service in smtpd_recipient_restrictions and
# smtpd_end_of_data_restrictions, clients authenticated as an API key
# (XCLIENT LOGIN).  A suppressed recipient is refused 5xx while the
# message's other recipients are delivered; a recipient a later
# restriction rejects is reserved but never billed; mail is accepted
# until the daily quota, then refused 4xx with the exact text; one
# recipient given several times is billed once.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

pw_require_root_tools
pw_harness_init
pw_plan 16

R() { pw_redis_cli "$@"; }
pw_redis_start
R HSET pw:key:k_e2e tenant acme >/dev/null
R HSET 'pw:{acme}:tenant' status active created 1 >/dev/null
pw_domain_add acme client.example
R HSET 'pw:{acme}:key:k_e2e' status active created 1 quota_day 4 >/dev/null
R HSET 'pw:{acme}:supp' blocked@remote.example 'manual|ops|1795000000|0' \
    >/dev/null
now=$(R TIME | head -n 1)
day=$(date -u -d "@$now" +%Y%m%d)
day_end=$(date -u -d "@$(((now / 86400 + 1) * 86400))" +%Y-%m-%dT%H:%M:%SZ)
since=$(date -u -d @1795000000 +%Y-%m-%dT%H:%M:%SZ)

pw_sink_start main
pw_daemon_start policyd "redis_command_timeout = 2s"
policy="check_policy_service { unix:$PW_TMP/policyd.sock, timeout=10s, default_action=DEFER_IF_PERMIT }"
pw_postfix_main "smtpd_recipient_restrictions = $policy check_recipient_access inline:{later-reject@remote.example=REJECT} permit_mynetworks reject_unauth_destination"
pw_postfix_main "smtpd_end_of_data_restrictions = $policy"
pw_postfix_start

used() { R GET "pw:{acme}:used:key:k_e2e:d:$day"; }
resv() { R ZCARD "pw:{acme}:resv:key:k_e2e:d:$day"; }

# --- a suppressed recipient among others -----------------------------------------

if pw_swaks --xclient-login k_e2e --from app@client.example \
    --to good1@remote.example,blocked@remote.example,good2@remote.example; then
	qid=$(pw_swaks_queue_id)
	pw_ok "message with a suppressed recipient accepted ($qid)"
else
	pw_not_ok "message with a suppressed recipient accepted" \
	    "$(tail -n 20 "$PW_SWAKS_LOG")"
fi
pw_check "suppressed recipient refused 550 5.7.1 with reason and source" \
    grep -qF "550 5.7.1 <blocked@remote.example>: Recipient address rejected: Recipient address suppressed by tenant acme (manual, source ops, since $since)" "$PW_SWAKS_LOG"
pw_sink_wait main 1
f=$(pw_sink_find main "$qid")
rcpts=$(grep -c '^X-Rcpt-Args:' "$f" 2>/dev/null)
pw_is "the other two recipients delivered" "$rcpts" 2
pw_check "the suppressed one not delivered" \
    bash -c '! grep -q "^X-Rcpt-Args: <blocked@" "$1"' _ "$f"
pw_is "billed at END-OF-MESSAGE: 2 recipients" "$(used)" 2

# --- a recipient a later restriction rejects -----------------------------------------

if pw_swaks --xclient-login k_e2e --from app@client.example \
    --to good3@remote.example,later-reject@remote.example; then
	pw_ok "message with a recipient rejected after the policy accepted"
else
	pw_not_ok "message with a recipient rejected after the policy accepted" \
	    "$(tail -n 20 "$PW_SWAKS_LOG")"
fi
pw_is "recipient_count billed (1), the other reservation released" \
    "$(used) $(resv)" "3 0"

# --- up to the quota, then 4xx ------------------------------------------------------------

pw_swaks --xclient-login k_e2e --from app@client.example \
    --to good4@remote.example
pw_is "the 4th recipient of the day accepted" "$?" 0
pw_is "usage at the quota" "$(used)" 4
if pw_swaks --xclient-login k_e2e --from app@client.example \
    --to good5@remote.example; then
	pw_not_ok "over the quota: refused" "accepted: $(pw_swaks_queue_id)"
else
	pw_ok "over the quota: refused"
fi
pw_check "over the quota: 451 4.7.1 with usage, limit and reset" \
    grep -qF "451 4.7.1 <good5@remote.example>: Recipient address rejected: Daily quota of key k_e2e exhausted (4/4); resets $day_end" "$PW_SWAKS_LOG"
pw_is "the refusal consumed nothing" "$(used) $(resv)" "4 0"
pw_sink_wait main 3
pw_is "three messages delivered in all" "$(pw_sink_files main | wc -l)" 3
pw_check "billed messages are events" \
    [ "$(R XRANGE pw:events - + | grep -c '^billed$')" -eq 3 ]

# --- one recipient given six times (twice in other case) ------------------------------------

# Postfix accepts every RCPT TO and counts it in recipient_count; the
# rules see one recipient, reserve it once and bill it once.
R HSET pw:key:k_dup tenant dup >/dev/null
R HSET 'pw:{dup}:tenant' status active created 1 >/dev/null
pw_domain_add dup client.example
R HSET 'pw:{dup}:key:k_dup' status active created 1 quota_day 3 >/dev/null
if pw_swaks --xclient-login k_dup --from app@client.example \
    --to same@remote.example,same@remote.example,Same@remote.example,same@remote.example,same@REMOTE.example,same@remote.example; then
	qid=$(pw_swaks_queue_id)
	pw_ok "one recipient given six times: accepted ($qid)"
else
	pw_not_ok "one recipient given six times: accepted" \
	    "$(tail -n 20 "$PW_SWAKS_LOG")"
fi
pw_sink_wait main 4
f=$(pw_sink_find main "$qid")
pw_diag "delivered as: $(grep '^X-Rcpt-Args:' "$f" 2>/dev/null | tr '\n' ' ')"
pw_is "billed once, not recipient_count (6): within quota_day 3" \
    "$(R GET "pw:{dup}:used:key:k_dup:d:$day") $(R ZCARD "pw:{dup}:resv:key:k_dup:d:$day")" \
    "1 0"
