#!/bin/bash
# tests/dkim/hardening.sh -- DKIM signing against a sender who tries to
# get a domain's signature on what it should not cover, end to end: a
# real Postfix with postwarden-milter (default signing settings), swaks,
# and three independent verifiers at the sink (python3-dkim, Mail::DKIM,
# OpenDKIM's test mode).
#
#   - the From domain is parsed as RFC 5322 says: a quoted display name
#     "<ceo@canon.test>" in front of <attacker@nokey.example> has the
#     From domain nokey.example, which tenant hard does not own (refused
#     550 5.7.1, never signed with d=canon.test), and a From of two
#     mailboxes, or two From fields, has no From domain (refused too);
#   - the default signed fields cover Sender, List-* and Resent-*, and
#     the MIME fields and In-Reply-To/References are oversigned: a
#     Content-Type: text/html (or another MIME-Version, In-Reply-To)
#     added above the signed one, or a changed Sender or List-Id, fails
#     every verifier;
#   - a body line of 1,550,336 bytes (757 queue file records of 2048 that
#     end where Postfix's SMTP client breaks the line at 998, so it sends
#     one more line with a space) verifies at the sink, and so do its
#     neighbours and a line starting with "." that meets the same end one
#     byte earlier (1,058,815 bytes).

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"

PY=/usr/bin/python3
VPY=$PW_SRCDIR/tests/dkim/verify.py
VPL=$PW_SRCDIR/tests/dkim/verify.pl

pw_require_root_tools
pw_dkim_require rsa ed25519
pw_harness_init
pw_plan 41

# --- keys, tables, DNS records ------------------------------------------------------

pw_dkim_key c-rsa canon.test r1 rsa
pw_dkim_key c-ed canon.test e1 ed25519
pw_dkim_sign canon.test c-rsa,c-ed

# --- Redis, milter, Postfix --------------------------------------------------------------

pw_redis_start
pw_redis_cli HSET pw:key:k_hard tenant hard >/dev/null
pw_domain_add hard canon.test
pw_sink_start main
pw_daemon_start milter "log_level = info" \
    "dkim_key_table = $PW_TMP/keytable" \
    "dkim_signing_table = $PW_TMP/signingtable"
pw_postfix_main "smtpd_milters = unix:$PW_TMP/milter.sock"
pw_postfix_main "milter_default_action = tempfail"
pw_postfix_main "milter_content_timeout = 60s"
pw_postfix_start

# send NAME FILE: submit FILE as key k_hard; sets qid and got (the sink
# copy, CRLF).
n=0
send() {
	local f
	qid=
	got=
	if ! pw_swaks_data "$2" --from sender@canon.test \
	    --to rcpt@remote.example --xclient-login k_hard; then
		pw_not_ok "$1: accepted" "$(tail -n 15 "$PW_SWAKS_LOG")"
		return 1
	fi
	n=$((n + 1))
	qid=$(pw_swaks_queue_id)
	f=
	pw_sink_wait main "$n" && f=$(pw_sink_find main "$qid")
	if [ -z "$f" ]; then
		pw_not_ok "$1: delivered" "$qid not in the sink"
		return 1
	fi
	got=$PW_TMP/got-$n.eml
	pw_sink_message "$f" | sed 's/\r$//; s/$/\r/' >"$got"
}

nsigs() { pw_header_of "$1" | grep -c '^DKIM-Signature:'; }

verify_py() { "$PY" "$VPY" "$1" "$PW_TMP/dns" >"$1.py" 2>&1; }
verify_pl() { perl "$VPL" "$1" "$PW_TMP/dns" >"$1.pl" 2>&1; }
# OpenDKIM: one dkim=pass per signature, nothing else.
verify_od() {
	local sigs pass
	opendkim -x "$PW_TMP/od.conf" -vvv -t "$1" >"$1.od" 2>&1
	sigs=$(pw_header_of "$1" | grep -c '^DKIM-Signature:')
	pass=$(grep -o 'dkim=[a-z]*' "$1.od" | grep -c 'dkim=pass')
	[ "$sigs" -gt 0 ] && [ "$pass" = "$sigs" ] &&
	    ! grep -q 'dkim=fail\|dkim=neutral\|dkim=permerror' "$1.od"
}
# OpenDKIM: a result, and no pass.
verify_od_fails() {
	opendkim -x "$PW_TMP/od.conf" -vvv -t "$1" >"$1.od" 2>&1
	grep -q 'dkim=' "$1.od" && ! grep -q 'dkim=pass' "$1.od"
}

# every NAME FILE pass|fail: the three verifiers agree on FILE.
every() {
	local name=$1 f=$2 want=$3 v ok
	for v in py pl od; do
		case $v in
		pl) [ "$PW_DKIM_PERL" = 1 ] || {
			pw_ok "$name: Mail::DKIM # SKIP libmail-dkim-perl not installed"
			continue; } ;;
		od) [ "$PW_DKIM_OD" = 1 ] || {
			pw_ok "$name: OpenDKIM # SKIP opendkim not installed"
			continue; } ;;
		esac
		if [ "$want" = pass ]; then
			"verify_$v" "$f" && ok=1 || ok=0
		elif [ "$v" = od ]; then
			verify_od_fails "$f" && ok=1 || ok=0
		else
			"verify_$v" "$f" && ok=0 || ok=1
		fi
		if [ "$ok" = 1 ]; then
			pw_ok "$name: $v: $want"
		else
			pw_not_ok "$name: $v: $want" "$(cat "$f.$v" 2>/dev/null | head -n 20)"
		fi
	done
}

header() {	# FILE FROM-LINE [MORE-HEADER-LINES]
	{
		printf '%s\n' "$2"
		printf 'To: Rcpt <rcpt@remote.example>\n'
		printf 'Subject: hardening %s\n' "$n"
		printf 'Date: Sun, 06 Dec 2026 12:00:00 +0000\n'
		printf 'Message-ID: <h%s.%s@canon.test>\n' "$n" "$$"
		[ -n "${3:-}" ] && printf '%s\n' "$3"
		printf '\n'
	} >"$1"
}

# --- 1. the From domain ----------------------------------------------------------------

header "$PW_TMP/f0.eml" 'From: "The CEO" <ceo@canon.test>'
echo 'plain body' >>"$PW_TMP/f0.eml"
if send "From canon.test" "$PW_TMP/f0.eml"; then
	pw_is "From \"The CEO\" <ceo@canon.test>: signed twice" "$(nsigs "$got")" 2
fi

# from_refused NAME REPLY FROM-LINE [MORE-HEADER-LINES]: refused at the
# end of data with REPLY (tenant hard owns canon.test only), so nothing
# is signed with d=canon.test.
nokey='550 5.7.1 From domain nokey.example is not a sending domain of tenant hard'
nofrom='550 5.7.1 No single From domain (one From field with one mailbox); tenant hard sends only from its sending domains'
from_refused() {
	header "$PW_TMP/f.eml" "$3" "${4:-}"
	echo 'body' >>"$PW_TMP/f.eml"
	if pw_swaks_data "$PW_TMP/f.eml" --from sender@canon.test \
	    --to rcpt@remote.example --xclient-login k_hard; then
		n=$((n + 1))
		pw_not_ok "$1: refused" "accepted: $(pw_swaks_queue_id)"
	elif grep -qF "<** $2" "$PW_SWAKS_LOG"; then
		pw_ok "$1: refused, never signed with d=canon.test"
	else
		pw_not_ok "$1: refused $2" "$(grep '^<' "$PW_SWAKS_LOG" | tail -n 3)"
	fi
}
from_refused 'quoted name "<ceo@canon.test>" before <attacker@nokey.example>' \
    "$nokey" 'From: "<ceo@canon.test>" <attacker@nokey.example>'
from_refused 'comment (<ceo@canon.test>) after attacker@nokey.example' \
    "$nokey" 'From: attacker@nokey.example (<ceo@canon.test>)'
from_refused 'two mailboxes, the second at canon.test' \
    "$nofrom" 'From: attacker@nokey.example, ceo@canon.test'
from_refused 'two From fields, the first at canon.test' \
    "$nofrom" 'From: ceo@canon.test' 'From: attacker@nokey.example'
pw_check "the quoted-name From is logged as refused, with the rule" \
    pw_wait_log "$PW_TMP/milter.log" "tenant=hard: reject: $nokey \\(rule=from_domain\\)" 5
pw_is "of these five messages only the first is signed" \
    "$(grep -c 'dkim: signed: ' "$PW_TMP/milter.log")" 1

# --- 2. signed and oversigned fields -------------------------------------------------------

header "$PW_TMP/m.eml" 'From: The CEO <ceo@canon.test>' "$(printf '%s\n' \
    'Sender: Office <office@canon.test>' \
    'List-Id: News <news.canon.test>' \
    'List-Post: <mailto:news@canon.test>' \
    'Resent-From: ceo@canon.test' \
    'In-Reply-To: <a@canon.test>' \
    'References: <a@canon.test>' \
    'MIME-Version: 1.0' \
    'Content-Type: text/plain; charset=us-ascii' \
    'Content-Transfer-Encoding: 7bit')"
printf 'Pay the invoice to the usual account.\n' >>"$PW_TMP/m.eml"
if send "signed fields" "$PW_TMP/m.eml"; then
	every "as delivered" "$got" pass
	h=$(pw_header_of "$got" | tr -d '\r' |
	    awk '/^DKIM-Signature:/ { s = 1; print; next }
	    s && /^[ \t]/ { print; next } { s = 0 }' | tr -d ' \t\n' |
	    sed 's/.*;h=\([^;]*\);.*/\1/' | head -c 2000 | tr 'A-Z' 'a-z')
	want=
	for f in sender list-id list-post resent-from; do
		case ":$h:" in *:$f:*) ;; *) want="$want $f" ;; esac
	done
	for f in content-type mime-version content-transfer-encoding \
	    in-reply-to references; do
		c=$(tr ':' '\n' <<<"${h%%;*}" | grep -cx "$f")
		[ "$c" -ge 2 ] || want="$want $f(oversigned)"
	done
	pw_is "h= signs Sender, List-*, Resent-*, oversigns MIME and threading" \
	    "${want:-all}" all
	# above FILE LINE: LINE added on top (under the signatures).
	above() {
		awk -v l="$2" '!done && !/^DKIM-Signature:/ && !/^[ \t]/ {
		    print l "\r"; done = 1 } { print }' "$got" >"$1"
	}
	above "$PW_TMP/t-ct.eml" 'Content-Type: text/html'
	every "Content-Type: text/html added above" "$PW_TMP/t-ct.eml" fail
	above "$PW_TMP/t-irt.eml" 'In-Reply-To: <b@elsewhere.example>'
	every "In-Reply-To added above" "$PW_TMP/t-irt.eml" fail
	sed 's/^Sender: Office <office@canon.test>/Sender: <attacker@nokey.example>/' \
	    "$got" >"$PW_TMP/t-sender.eml"
	every "Sender changed" "$PW_TMP/t-sender.eml" fail
	sed 's/^List-Id: News/List-Id: Other/' "$got" >"$PW_TMP/t-listid.eml"
	every "List-Id changed" "$PW_TMP/t-listid.eml" fail
fi

# --- 3. a body line that ends at a queue record and a line break ----------------------------

# big NAME FIRST-CHAR LENGTH: a message with one body line of LENGTH bytes.
big() {
	local f=$PW_TMP/big-$3$2.eml
	header "$f" 'From: The CEO <ceo@canon.test>'
	{
		printf 'before\n%s' "$2"
		head -c $(($3 - 1)) /dev/zero | tr '\0' 'x'
		printf '\nafter\n'
	} >>"$f"
	if send "$1" "$f"; then
		pw_is "$1: two signatures" "$(nsigs "$got")" 2
		every "$1" "$got" pass
	fi
}
big "a body line of 1,550,336 bytes" x 1550336
if tr -d '\r' <"$got" | grep -qx ' '; then
	pw_ok "1,550,336 bytes: Postfix sent a line of one space after it"
else
	pw_not_ok "1,550,336 bytes: Postfix sent a line of one space after it"
fi
big "a body line of 1,550,335 bytes" x 1550335
big "a body line of 1,550,337 bytes" x 1550337
big "a body line of 1,058,815 bytes starting with ." . 1058815
if tr -d '\r' <"$got" | grep -qx ' '; then
	pw_ok "1,058,815 bytes after a dot: Postfix sent a line of one space after it"
else
	pw_not_ok "1,058,815 bytes after a dot: Postfix sent a line of one space after it"
fi
