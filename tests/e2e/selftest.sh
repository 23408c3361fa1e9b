#!/bin/bash
# tests/e2e/selftest.sh -- the integration harness tests itself: a private
# Redis, an smtp-sink and a private Postfix (no postwarden daemon) relay a
# message on loopback, a configuration change takes effect on reload, the
# system Postfix configuration is left alone, and teardown leaves no
# process behind.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

pw_require_root_tools
pw_harness_init

etc_before=$(ls -la --time-style=+%s.%N /etc/postfix 2>&1 | md5sum)

pw_plan 13

pw_redis_start
pw_is "private redis answers PING" "$(pw_redis_cli ping)" PONG

pw_sink_start main
pw_check "smtp-sink answers with 220" pw__smtp_banner "$PW_SINK_PORT"

pw_postfix_start
pw_check "private Postfix started from its own config_directory" \
    grep -qF "configuration $PW_POSTFIX_DIR/etc" "$PW_MAILLOG"

# --- a message relays to the sink, body intact -------------------------------

msg_in=$PW_TMP/sent.eml
{
	printf 'From: sender@client.example\n'
	printf 'To: rcpt@remote.example\n'
	printf 'Subject: pw selftest %s\n' "$$"
	printf '\n'
	printf 'first line\n'
	printf '.a line with a leading dot\n'
	printf '..two dots\n'
	printf '%s\n' "$(head -c 900 /dev/zero | tr '\0' L)"
	printf 'trailing spaces   \n'
	printf '8-bit: caf\303\251 \377\n'
	printf '\n'
	printf 'last line\n'
} >"$msg_in"

if pw_swaks_data "$msg_in" --from sender@client.example \
    --to rcpt@remote.example; then
	pw_ok "swaks: Postfix accepted the message"
else
	pw_not_ok "swaks: Postfix accepted the message" \
	    "$(tail -n 15 "$PW_SWAKS_LOG")"
fi
qid=$(pw_swaks_queue_id)

if pw_sink_wait main 1; then
	pw_ok "the message arrived at the sink"
else
	pw_not_ok "the message arrived at the sink"
fi
msg=$(pw_sink_files main | head -n 1)

if [ -n "$msg" ] && pw_sink_message "$msg" >"$PW_TMP/got.eml" &&
    grep -qxF "Subject: pw selftest $$" "$PW_TMP/got.eml"; then
	pw_ok "the sink copy has our Subject"
else
	pw_not_ok "the sink copy has our Subject" "file: ${msg:-none}"
fi

pw_body_of "$PW_TMP/got.eml" >"$PW_TMP/got.body"
pw_body_of "$msg_in" >"$PW_TMP/sent.body"
if [ -s "$PW_TMP/sent.body" ] && cmp -s "$PW_TMP/sent.body" "$PW_TMP/got.body"; then
	pw_ok "body unchanged byte for byte"
else
	pw_not_ok "body unchanged byte for byte" \
	    "$(diff -a "$PW_TMP/sent.body" "$PW_TMP/got.body" | head -n 20)"
fi

if [ -n "$qid" ] && pw_wait_log "$PW_MAILLOG" \
    "$qid: to=<rcpt@remote.example>, relay=127.0.0.1\[127.0.0.1\]:$PW_SINK_PORT,.* status=sent"; then
	pw_ok "maillog: $qid sent to the sink"
else
	pw_not_ok "maillog: ${qid:-(no queue id)} sent to the sink"
fi

# --- configuration changes take effect -------------------------------------------

pw_postfix_main "smtpd_client_restrictions = reject"
pw_postfix_reload
if pw_swaks --from sender@client.example --to rcpt@remote.example \
    --quit-after RCPT; then
	pw_not_ok "after reload, smtpd_client_restrictions=reject rejects" \
	    "$(tail -n 15 "$PW_SWAKS_LOG")"
else
	if grep -qE '^<\*\* +554 5\.7\.1' "$PW_SWAKS_LOG"; then
		pw_ok "after reload, smtpd_client_restrictions=reject rejects"
	else
		pw_not_ok "after reload, smtpd_client_restrictions=reject rejects" \
		    "$(tail -n 15 "$PW_SWAKS_LOG")"
	fi
fi

etc_after=$(ls -la --time-style=+%s.%N /etc/postfix 2>&1 | md5sum)
pw_is "/etc/postfix was not touched" "$etc_after" "$etc_before"

# --- teardown --------------------------------------------------------------------

before=$(pw_leftover_pids | wc -l)
if [ "$before" -ge 4 ]; then
	pw_ok "leftover detector sees the running test processes ($before)"
else
	pw_not_ok "leftover detector sees the running test processes" \
	    "found $before, expected redis, sink, master and its children"
fi

pw_teardown
left=$(pw_leftover_pids)
if [ -z "$left" ]; then
	pw_ok "teardown leaves no process behind"
else
	pw_not_ok "teardown leaves no process behind" \
	    "$(ps -o pid,user,stat,args -p "$(printf '%s\n' "$left" | paste -sd,)")"
fi

if pw__smtp_banner "$PW_SMTPD_PORT" || pw__smtp_banner "$PW_SINK_PORT" ||
    pw__redis_ping; then
	pw_not_ok "no listener answers after teardown"
else
	pw_ok "no listener answers after teardown"
fi
