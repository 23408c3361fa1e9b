#!/bin/bash
# tests/dkim/eightbit.sh -- an 8-bit body signed by postwarden-milter and
# relayed to a next hop that does not announce 8BITMIME (smtp-sink -8):
#
#   - with contrib/postfix/main.cf's disable_mime_output_conversion line
#     (applied as the harness applies contrib snippets), Postfix sends
#     the body as it was signed and python3-dkim, Mail::DKIM and OpenDKIM
#     verify it at the sink;
#   - without it, Postfix converts the body to quoted-printable after
#     signing and every verifier fails, which is why the line is there.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"

PY=/usr/bin/python3
VPY=$PW_SRCDIR/tests/dkim/verify.py
VPL=$PW_SRCDIR/tests/dkim/verify.pl
CONTRIB=$PW_SRCDIR/contrib/postfix/main.cf

pw_require_root_tools
pw_dkim_require rsa ed25519
pw_harness_init
pw_plan 11

# --- keys -----------------------------------------------------------------------------

pw_dkim_key c-rsa canon.test r1 rsa
pw_dkim_key c-ed canon.test e1 ed25519
pw_dkim_sign canon.test c-rsa,c-ed

# --- a sink without 8BITMIME; Postfix without and with contrib's line --------------------

pw_redis_start
pw_redis_cli HSET pw:key:k_8bit tenant eightbit >/dev/null
pw_domain_add eightbit canon.test
pw_sink_start nobit -8
pw_daemon_start milter \
    "dkim_key_table = $PW_TMP/keytable" \
    "dkim_signing_table = $PW_TMP/signingtable"
pw_postfix_main "smtpd_milters = unix:$PW_TMP/milter.sock"
pw_postfix_main "milter_default_action = tempfail"
pw_postfix_start_extra plain

grep '^disable_mime_output_conversion' "$CONTRIB" >"$PW_TMP/contrib.cf"
pw_is "contrib/postfix/main.cf: disable_mime_output_conversion" \
    "$(cat "$PW_TMP/contrib.cf")" "disable_mime_output_conversion = yes"
pw_postfix_main_file "$PW_TMP/contrib.cf"
pw_postfix_start

{
	printf 'From: Sender <sender@canon.test>\n'
	printf 'To: Rcpt <rcpt@remote.example>\n'
	printf 'Subject: 8-bit\n'
	printf 'Date: Sun, 06 Dec 2026 12:00:00 +0000\n'
	printf 'Message-ID: <8bit.%s@canon.test>\n' "$$"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=utf-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n'
	printf '\n'
	printf 'Caf\303\251 cr\303\250me br\303\273l\303\251e, 10 \342\202\254.\n'
} >"$PW_TMP/m.eml"

# send NAME PORT: sets got (the sink copy, CRLF).
n=0
send() {
	local qid f
	got=
	if ! PW_SMTPD_PORT=$2 pw_swaks_data "$PW_TMP/m.eml" \
	    --from sender@canon.test --to rcpt@remote.example \
	    --xclient-login k_8bit; then
		pw_not_ok "$1: accepted" "$(tail -n 15 "$PW_SWAKS_LOG")"
		return 1
	fi
	n=$((n + 1))
	qid=$(pw_swaks_queue_id)
	f=
	pw_sink_wait nobit "$n" && f=$(pw_sink_find nobit "$qid")
	if [ -z "$f" ]; then
		pw_not_ok "$1: delivered" "$qid not in the sink"
		return 1
	fi
	got=$PW_TMP/got-$n.eml
	pw_sink_message "$f" | sed 's/\r$//; s/$/\r/' >"$got"
	pw_ok "$1: delivered ($qid)"
}

verify() {	# py|pl|od FILE: 0 when every signature passes
	case $1 in
	py) "$PY" "$VPY" "$2" "$PW_TMP/dns" >"$2.py" 2>&1 ;;
	pl) perl "$VPL" "$2" "$PW_TMP/dns" >"$2.pl" 2>&1 ;;
	od) opendkim -x "$PW_TMP/od.conf" -vvv -t "$2" >"$2.od" 2>&1 &&
	    grep -q 'dkim=pass' "$2.od" &&
	    ! grep -q 'dkim=fail\|dkim=neutral\|dkim=permerror' "$2.od" ;;
	esac
}

# every NAME FILE pass|fail
every() {
	local v ok
	for v in py pl od; do
		if [ "$v" = pl ] && [ "$PW_DKIM_PERL" = 0 ]; then
			pw_ok "$1: Mail::DKIM # SKIP libmail-dkim-perl not installed"
			continue
		fi
		if [ "$v" = od ] && [ "$PW_DKIM_OD" = 0 ]; then
			pw_ok "$1: OpenDKIM # SKIP opendkim not installed"
			continue
		fi
		verify "$v" "$2" && ok=pass || ok=fail
		pw_is "$1: $v" "$ok" "$3"
	done
}

# --- with contrib's line: sent as signed -----------------------------------------------

if send "with contrib's line" "$PW_SMTPD_PORT"; then
	if grep -q $'caf\303\251' <(tr 'A-Z' 'a-z' <"$got"); then
		pw_ok "with contrib's line: the body is still 8-bit"
	else
		pw_not_ok "with contrib's line: the body is still 8-bit" \
		    "$(pw_body_of "$got" | head -n 5)"
	fi
	every "with contrib's line" "$got" pass
fi

# --- without it: converted after signing ------------------------------------------------

if send "without it" "$PW_SMTPD_PORT_plain"; then
	if pw_header_of "$got" | grep -qi '^Content-Transfer-Encoding: quoted-printable'; then
		pw_ok "without it: Postfix converted the body to quoted-printable"
	else
		pw_not_ok "without it: Postfix converted the body to quoted-printable" \
		    "$(pw_header_of "$got")"
	fi
	every "without it" "$got" fail
fi
