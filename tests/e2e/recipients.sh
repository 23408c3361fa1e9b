#!/bin/bash
# tests/e2e/recipients.sh -- one recipient is one recipient, through a
# real Postfix (issue 12): recipients with 520-byte local parts are
# refused whole instead of being cut into "retries" that bypass the
# quota; a trailing dot (Postfix delivers victim@ok.example. to
# victim@ok.example) and an SMTPUTF8 U-label domain (delivered to its
# A-label) match the suppressions of their normal form; the CLI stores
# the dotted and U-label forms so; and the one-click unsubscribe token
# the milter makes for an SMTPUTF8 recipient names it in normal form,
# so unsubscribing suppresses it (for the stream bulk it came from)
# however it is written.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"

pw_require_root_tools
pw_harness_init
pw_plan 17

R() { pw_redis_cli "$@"; }
CLI=$PW_BUILDDIR/cli/postwarden
pw_redis_start
printf 'redis_server = unix:%s\n' "$PW_REDIS_SOCK" >"$PW_TMP/cli.conf"
pwcli() { "$CLI" -c "$PW_TMP/cli.conf" "$@"; }
R HSET pw:key:k_rc tenant acme >/dev/null
R HSET 'pw:{acme}:tenant' status active created 1 >/dev/null
pw_domain_add acme client.example
R HSET 'pw:{acme}:key:k_rc' status active created 1 quota_day 2 >/dev/null
R HSET pw:key:k_sup tenant acme >/dev/null
R HSET 'pw:{acme}:key:k_sup' status active created 1 >/dev/null
R SADD pw:tenants acme >/dev/null
day=$(date -u -d "@$(R TIME | head -n 1)" +%Y%m%d)
used() { R GET "pw:{acme}:used:key:${1:-k_rc}:d:$day"; }

pw_sink_start main
pw_daemon_start policyd "redis_command_timeout = 2s"
pw_secret_file "$PW_TMP/tracking.secret"
# The one-click headers are added only to mail the milter signs (RFC
# 8058 section 4): a key for the sender's domain.
pw_dkim_key ce client.example s1 ed25519
pw_dkim_sign client.example ce
pw_daemon_start milter "tracking_secret_file = $PW_TMP/tracking.secret" \
    "dkim_key_table = $PW_TMP/keytable" \
    "dkim_signing_table = $PW_TMP/signingtable"
printf 'user = nobody\ntracking_secret_file = %s\n' "$PW_TMP/tracking.secret" \
    >>"$PW_TMP/cli.conf"
pwcli tenant add news --streams bulk --bulk-streams bulk \
    --unsubscribe-url https://unsub.example.com/u/ >/dev/null ||
    pw_bail "tenant add news"
pw_domain_add news client.example
pwcli key add k_news --tenant news >/dev/null || pw_bail "key add k_news"
policy="check_policy_service { unix:$PW_TMP/policyd.sock, timeout=10s, default_action=DEFER_IF_PERMIT }"
pw_postfix_main "smtpd_recipient_restrictions = $policy permit_mynetworks reject_unauth_destination"
pw_postfix_main "smtpd_end_of_data_restrictions = $policy"
pw_postfix_main "smtputf8_enable = yes"
pw_postfix_main "smtpd_milters = unix:$PW_TMP/milter.sock"
pw_postfix_main "milter_default_action = tempfail"
# smtp-sink cannot take SMTPUTF8 mail: it is held, and read with postcat.
echo '/^Subject: hold$/ HOLD' >"$PW_TMP/hold.regexp"
pw_postfix_main "header_checks = regexp:$PW_TMP/hold.regexp"
pw_postfix_start

# --- long recipients -----------------------------------------------------------

x520=$(printf '%520s' '' | tr ' ' x)
to=$x520@a.example,$x520@b.example,$x520@c.example,$x520@d.example,$x520@e.example
if pw_swaks --xclient-login k_rc --from app@client.example --to "$to"; then
	pw_not_ok "five 520-byte local parts, quota_day 2: not accepted" \
	    "accepted as $(pw_swaks_queue_id)"
else
	pw_ok "five 520-byte local parts, quota_day 2: not accepted"
fi
pw_is "... each refused 550 5.1.3, whole" \
    "$(grep -c '^<\*\* *550 5.1.3 <x*@[a-e].example>: Recipient address rejected: Bad recipient address: local part longer than 256 bytes' "$PW_SWAKS_LOG")" 5
pw_is "... nothing billed" "$(used)" ""

# --- suppressions, however the recipient is written ----------------------------

R HSET 'pw:{acme}:supp' victim@ok.example 'manual|cli|1795000000|0' \
    @xn--bcher-kva.example 'manual|cli|1795000000|0' >/dev/null
pwcli suppress add victim2@ok.example. '@straße.example' --tenant acme \
    >/dev/null
pw_is "CLI: the dotted and U-label forms stored normalised" \
    "$(R HEXISTS 'pw:{acme}:supp' victim2@ok.example) $(R HEXISTS 'pw:{acme}:supp' @xn--strae-oqa.example)" \
    "1 1"
pw_swaks --xclient-login k_sup --from app@client.example \
    --to victim@ok.example.,good@ok.example
qid=$(pw_swaks_queue_id)
pw_check "victim@ok.example. refused: suppressed" grep -q \
    '^<\*\* *550 5.7.1 <victim@ok.example.>: Recipient address rejected: Recipient address suppressed by tenant acme' \
    "$PW_SWAKS_LOG"
pw_check "... the other recipient accepted ($qid)" [ -n "$qid" ]
# swaks (2020) cannot say SMTPUTF8: Python's smtplib can.  Prints each
# RCPT reply and the queue id.
utf8_send() {
	"$PW_PYTHON" - "$PW_SMTPD_PORT" "$@" <<'PY'
import os, smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.ehlo("client.pw-test.localdomain")
s.docmd("XCLIENT", "LOGIN=" + sys.argv[2])
s.ehlo("client.pw-test.localdomain")
s.mail("app@client.example", ["SMTPUTF8"])
ok = 0
for r in sys.argv[3:]:
    code, msg = s.rcpt(r)
    print("RCPT %s: %d %s" % (r, code, msg.decode("utf-8", "replace")))
    ok += code == 250
if ok:
    code, msg = s.data(("From: app@client.example\r\nSubject: %s\r\n"
                        "X-Postwarden-Stream: bulk\r\n\r\nbody\r\n" %
                        os.environ.get("SUBJECT", "utf8")).encode())
    print("DATA: %d %s" % (code, msg.decode()))
s.quit()
PY
}
out=$(utf8_send k_sup user@bücher.example good2@ok.example 2>&1)
pw_diag "$out"
pw_check "user@bücher.example (SMTPUTF8) refused: suppressed" grep -q \
    '^RCPT user@bücher.example: 550 5.7.1 <user@bücher.example>: Recipient address rejected: Recipient domain suppressed by tenant acme' \
    <<<"$out"
qid2=$(sed -n 's/^DATA: 250 2.0.0 Ok: queued as //p' <<<"$out")
pw_check "... the other recipient accepted ($qid2)" [ -n "$qid2" ]
pw_sink_wait main 2
pw_is "two messages delivered, one recipient each" \
    "$(cat $(pw_sink_files main) | grep -c '^X-Rcpt-Args:')" 2
pw_check "victim not delivered" \
    bash -c '! grep -qi "^X-Rcpt-Args: <victim@" "$@"' _ $(pw_sink_files main)
pw_check "user@bücher.example not delivered" \
    bash -c '! grep -q "^X-Rcpt-Args: <user@" "$@"' _ $(pw_sink_files main)
pw_is "billed: the two accepted recipients" "$(used k_sup)" 2

# --- one-click unsubscribe of an SMTPUTF8 recipient ----------------------------

out=$(SUBJECT=hold utf8_send k_news reader@Bücher.example. 2>&1)
pw_diag "$out"
qid3=$(sed -n 's/^DATA: 250 2.0.0 Ok: queued as //p' <<<"$out")
pw_check "bulk mail to reader@Bücher.example. accepted ($qid3)" [ -n "$qid3" ]
postcat -c "$PW_POSTFIX_DIR/etc" -h -q "$qid3" >"$PW_TMP/m3.hdr" 2>&1
token=$(sed -n 's|^List-Unsubscribe: *<https://unsub.example.com/u/\([^>]*\)>.*|\1|p' \
    "$PW_TMP/m3.hdr")
pw_check "it carries a one-click List-Unsubscribe token" [ -n "$token" ]
out=$(pwcli unsubscribe "$token" 2>&1)
pw_is "unsubscribe: the recipient in normal form" "$out" \
    "unsubscribed reader@xn--bcher-kva.example from stream bulk of tenant news (one-click)"
pw_check "... stored so (for stream bulk)" \
    [ "$(R HEXISTS 'pw:{news}:supp:stream:bulk' reader@xn--bcher-kva.example)" = 1 ]
out=$(utf8_send k_news READER@bücher.example 2>&1)
pw_diag "$out"
pw_check "the next bulk mail to READER@bücher.example: 550 5.7.1 (unsubscribe)" \
    grep -q '^DATA: 550 5.7.1 <reader@xn--bcher-kva.example>: recipient unsubscribed from stream bulk of tenant news' \
    <<<"$out"
