#!/bin/bash
# tests/cli/usage_policyd.sh -- postwarden usage agrees with what
# postwarden-policyd enforces: quota reached through the daemon, usage
# says what is left; the daemon then admits exactly that and refuses the
# next with the numbers usage showed.  The same for the rate limiter
# (how many may pass now, when the next may: the same second as the
# daemon's "next at"), also with a rate_period other than 1 or 60 written
# by hand.  Refusals by rule: the daemon's sender_domain refusals (and a
# milter from_domain event) counted by usage for the key and the tenant,
# only on their day, said when the stream was trimmed; events tail
# carries them.  Needs redis-server and the daemon; no Postfix.

. "$PW_SRCDIR/tests/cli/common.sh"
. "$PW_SRCDIR/tests/policyd/common.sh"
[ -x "$PW_BUILDDIR/policyd/postwarden-policyd" ] ||
    pw_skip_all "postwarden-policyd not built"
getent passwd nobody >/dev/null || pw_skip_all "no nobody user"
cli_start
pw_plan 41

pw_daemon_start policyd "socket_group =" "socket_mode = 0666" \
    "log_level = notice"
pd_session_start "$PW_POLICYD_SOCK"

# rcpt KEY INSTANCE RECIPIENT: one RCPT request; prints the action.
rcpt() {
	pd_ask "$2" protocol_state=RCPT protocol_name=ESMTP \
	    "sasl_username=$1" "instance=$2" "recipient=$3" \
	    recipient_count=0 size=100 client_address=192.0.2.10 \
	    client_name=client.example sender=app@example.com
}
# admit KEY INSTANCE N: send N recipients; prints how many the daemon
# admitted before the first refusal, then that refusal (if any).
admit() {
	local i n=0 a
	for ((i = 1; i <= $3; i++)); do
		a=$(rcpt "$1" "$2" "r$i.$2@example.net")
		if [ "$a" != DUNNO ]; then
			printf '%s\n%s\n' "$n" "$a"
			return
		fi
		n=$((n + 1))
	done
	printf '%s\n' "$n"
}
# usage_json NAME EXPR: EXPR (Python, j the JSON) of postwarden usage NAME.
usage_json() {
	pwcli usage "$1" --json
	cli_json "$2"
}

cli_rc "tenant add" 0 tenant add acme
pw_domain_add acme example.com
cli_rc "key add" 0 key add kq --tenant acme --quota-hour 5

# --- quota ----------------------------------------------------------------

pw_is "quota: 2 admitted through the daemon" "$(admit kq t1 2)" 2
pw_is "quota: usage sees them reserved, 3 left" \
    "$(usage_json kq '[(w["used"], w["reserved"], w["remaining"]) for w in j["windows"]][0]')" \
    "(0, 2, 3)"
left=$(usage_json kq 'j["windows"][0]["remaining"]')
out=$(admit kq t2 10)
pw_is "quota: the daemon admits exactly what usage said was left" \
    "$(head -n 1 <<<"$out")" "$left"
cli_like "quota: and refuses the next at the limit usage showed" \
    "^451 4\.7\.1 Hourly quota of key kq exhausted \(5/5\)" \
    "$(tail -n 1 <<<"$out")"
pw_is "quota: usage says none left" \
    "$(usage_json kq '[j["windows"][0]["remaining"], j["windows"][0]["limit"]]')" \
    "[0, 5]"

# --- rate: 1 per minute, burst 3 ------------------------------------------

cli_rc "rate key add" 0 key add kr --tenant acme --rate 1/m --burst 3
pw_is "rate: idle, usage says burst + 1 may pass" \
    "$(usage_json kr 'j["rate"]["admissible_now"]')" 4
pw_is "rate: one admitted through the daemon" "$(admit kr r1 1)" 1
n=$(usage_json kr 'j["rate"]["admissible_now"]')
pw_is "rate: usage says 3 more may pass" "$n" 3
out=$(admit kr r2 10)
pw_is "rate: the daemon admits exactly what usage said" \
    "$(head -n 1 <<<"$out")" "$n"
refusal=$(tail -n 1 <<<"$out")
cli_like "rate: then refuses" \
    "^451 4\.7\.1 Rate limit of API key kr exceeded \(1 per minute, burst 3\); next at " \
    "$refusal"
cli_rc "rate: usage exit 0" 0 usage kr
cli_like "rate: usage says limited" "^rate: 1/m, burst 3: limited" "$OUT"
pw_is "rate: usage's next time is the daemon's" \
    "$(sed -n 's/^rate: .* may pass at \([^ ]*\) .*/\1/p' <<<"$OUT")" \
    "${refusal##*next at }"
pw_is "rate --json: nothing admissible now" \
    "$(usage_json kr 'j["rate"]["admissible_now"]')" 0

# --- rate_period 30, written by hand (postwarden writes 1 or 60) ----------

cli_rc "rate_period key add" 0 key add kp --tenant acme
rcli HSET 'pw:{acme}:key:kp' rate 2 rate_period 30 burst 1 >/dev/null
pw_is "rate_period 30: usage reads the daemon's period" \
    "$(usage_json kp '[j["rate"]["period"], j["rate"]["admissible_now"]]')" \
    "[30, 2]"
pw_is "rate_period 30: one admitted through the daemon" "$(admit kp p1 1)" 1
cli_rc "rate_period 30: usage exit 0" 0 usage kp
cli_like "rate_period 30: usage says one more may pass" \
    "^rate: 2/30s, burst 1: 1 recipient may pass now$" "$OUT"
out=$(admit kp p2 5)
pw_is "rate_period 30: the daemon admits that one" "$(head -n 1 <<<"$out")" 1
refusal=$(tail -n 1 <<<"$out")
cli_like "rate_period 30: then refuses" \
    "^451 4\.7\.1 Rate limit of API key kp exceeded \(2 per 30s, burst 1\)" \
    "$refusal"
cli_rc "rate_period 30: usage exit 0, limited" 0 usage kp
pw_is "rate_period 30: usage's next time is the daemon's" \
    "$(sed -n 's/^rate: 2\/30s, burst 1: limited, .* may pass at \([^ ]*\) .*/\1/p' <<<"$OUT")" \
    "${refusal##*next at }"

# --- refusals by rule: the domain rules and the others ----------------------
# postwarden usage counts today's refusals by rule from the event stream:
# those by the sending-domain rules (sender_domain) next to the rate and
# quota refusals above; the event stream carries them (events tail).

cli_rc "refusals: key add" 0 key add kd --tenant acme
pw_is "refusals: none yet for it" \
    "$(usage_json kd '[j["refused_today"]["total"], j["refused_today"]["rules"]]')" \
    "[0, {}]"
# sender SENDER INSTANCE: one RCPT request of key kd from SENDER.
sender() {
	pd_ask "$2" protocol_state=RCPT protocol_name=ESMTP \
	    sasl_username=kd "instance=$2" recipient=user@example.net \
	    recipient_count=0 size=100 client_address=192.0.2.10 \
	    client_name=client.example "sender=$1"
}
pw_is "sender domain: the tenant's own domain passes" \
    "$(sender app@example.com d1)" DUNNO
pw_is "sender domain: another domain is refused by the daemon" \
    "$(sender app@other.example d2)" \
    "550 5.7.1 Sender domain other.example is not a sending domain of tenant acme"
pw_is "sender domain: a sender without domain too" "$(sender app d3)" \
    "550 5.7.1 Sender address has no domain; tenant acme sends only from its sending domains"
# The daemon appends its events after it answered: wait for them.
for ((i = 0; i < 100; i++)); do
	[ "$(usage_json kd 'j["refused_today"]["total"]')" = 2 ] && break
	sleep 0.05
done
pw_is "usage --json: today's refusals of the key, by rule" \
    "$(usage_json kd 'j["refused_today"]')" \
    "{'total': 2, 'rules': {'sender_domain': 2}, 'since': None}"
cli_rc "usage: exit 0" 0 usage kd
cli_like "usage: says so" "^refused today: 2 \(sender_domain 2\)$" "$OUT"
pw_is "usage of the tenant: its keys' refusals, every rule" \
    "$(usage_json acme 'sorted(j["refused_today"]["rules"].items())')" \
    "[('quota', 1), ('rate', 2), ('sender_domain', 2)]"
# A milter refusal (event rejected, as milter_event writes it) counts too.
rcli XADD pw:events '*' type rejected time "$(date +%s)" queue_id 4ABC \
    tenant acme key kd rule from_domain from_domain other.example \
    reply '550 5.7.1 From domain other.example is not a sending domain of tenant acme' \
    >/dev/null
pw_is "usage: the milter's from_domain refusals too" \
    "$(usage_json kd 'sorted(j["refused_today"]["rules"].items())')" \
    "[('from_domain', 1), ('sender_domain', 2)]"
pwcli usage kd --at "$(date -u -d yesterday +%Y-%m-%d)"
cli_like "usage --at yesterday: none of today's" "^refused today: 0$" "$OUT"
cli_rc "events tail --tenant acme: exit 0" 0 events tail --tenant acme \
    --count 3
pw_is "events: the refusals by rule sender_domain, with the domain" \
    "$(printf '%s\n' "$OUT" | grep -E ' refused .*rule=sender_domain' |
    grep -oE '(key|sender)=[^ ]+' | paste -sd' ')" \
    "key=kd sender=other.example key=kd sender=@"
# Entries of the day trimmed away (events_max_length): usage says from
# when its counts are whole.
rcli XTRIM pw:events MAXLEN 1 >/dev/null
pwcli usage kd
cli_like "usage: a trimmed stream, counts since its oldest entry" \
    "^refused today: 1 \(from_domain 1\); the event stream holds events since [0-9-]+T[0-9:]+Z only$" \
    "$OUT"
# A stream's suppression at end of data: one `suppressed` event per
# recipient removed (as milter_supp_event writes it), counted as
# suppressed_stream; the message's `rejected` when none was left is not
# counted again.
for r in a@remote.example b@remote.example; do
	rcli XADD pw:events '*' type suppressed time "$(date +%s)" \
	    queue_id 5ABC tenant acme key kd stream news recipient "$r" \
	    scope stream match "$r" reason unsubscribe source one-click \
	    >/dev/null
done
rcli XADD pw:events '*' type rejected time "$(date +%s)" queue_id 5ABC \
    tenant acme key kd rule suppressed_stream \
    reply '550 5.7.1 every recipient unsubscribed from stream news of tenant acme' \
    >/dev/null
pw_is "usage: recipients removed by a stream's suppression, once each" \
    "$(usage_json kd 'sorted(j["refused_today"]["rules"].items())')" \
    "[('from_domain', 1), ('suppressed_stream', 2)]"
