#!/bin/bash
# tests/dkim/e2e.sh -- DKIM signing end to end: a real Postfix with
# postwarden-milter, messages submitted with swaks, signatures checked at
# the sink by python3-dkim and Mail::DKIM.
#
#   - authenticated (XCLIENT LOGIN = an API key id) mail from a signing
#     domain arrives with an rsa-sha256 and an ed25519-sha256 signature,
#     both valid, at the top of the header;
#   - unauthenticated inbound mail arrives unsigned, body untouched;
#   - a From domain without an entry is signed by its tenant's entry;
#   - a client in milter_internal_networks is signed without AUTH;
#   - SIGHUP switches to simple/simple (which needs the real header bytes:
#     SMFIP_HDR_LEADSPC), and those signatures verify too;
#   - lines longer than Postfix's smtp_line_length_limit (998), which its
#     SMTP client breaks after signing, are signed as broken: a 2,500-byte
#     body line and a 1,200-byte Subject verify at the sink, relaxed and
#     simple;
#   - SIGHUP with a key that must be refused keeps the running keys;
#   - a message that cannot be signed (header section over
#     dkim_max_header_size) is tempfailed, or with dkim_failure_mode =
#     accept delivered unsigned, and the failure is logged with its
#     queue id.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"

PY=/usr/bin/python3
VPY=$PW_SRCDIR/tests/dkim/verify.py
VPL=$PW_SRCDIR/tests/dkim/verify.pl

pw_require_root_tools
pw_dkim_require rsa ed25519
pw_harness_init
pw_plan 38

# --- keys, tables, DNS records ------------------------------------------------------

K=$PW_TMP/keys
pw_dkim_key ex-rsa example.com r2026 rsa
pw_dkim_key ex-ed example.com e2026 ed25519
pw_dkim_key tenant-rsa tenant.example t1 rsa
pw_dkim_sign example.com ex-rsa,ex-ed
pw_dkim_sign tenant:e2e tenant-rsa

# --- Redis, milter, Postfix --------------------------------------------------------------

pw_redis_start
pw_redis_cli HSET pw:key:k_e2e tenant e2e >/dev/null
pw_domain_add e2e example.com
pw_domain_add e2e other.example
pw_sink_start main
pw_daemon_start milter \
    "dkim_key_table = $PW_TMP/keytable" \
    "dkim_signing_table = $PW_TMP/signingtable" \
    "milter_internal_networks = 192.0.2.0/24, 2001:db8::/32"
pw_ok "postwarden-milter starts with the keys"
pw_postfix_main "smtpd_milters = unix:$PW_TMP/milter.sock"
# The "internal" client of test 4 may relay, as a submission host would.
pw_postfix_main "mynetworks = 127.0.0.0/8, 192.0.2.0/24"
pw_postfix_main "milter_default_action = tempfail"
pw_postfix_main "milter_connect_timeout = 10s"
pw_postfix_main "milter_command_timeout = 10s"
pw_postfix_main "milter_content_timeout = 30s"
pw_postfix_start

make_message() {	# FILE FROM-DOMAIN SUBJECT
	{
		printf 'From: Sender <sender@%s>\n' "$2"
		printf 'To: Rcpt <rcpt@remote.example>,\n\tOther <other@remote.example>\n'
		printf 'Subject:   %s  with\t runs \n' "$3"
		printf 'Date: Fri, 27 Nov 2026 04:00:00 +0000\n'
		printf 'Message-ID: <%s.%s@%s>\n' "$3" "$$" "$2"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n'
		printf 'X-Spacing:no space after the colon\n'
		printf '\n'
		printf 'first line of %s\n' "$3"
		printf '.leading dot\n'
		printf 'trailing white space \t \n'
		printf '\tleading tab\n'
		printf '8-bit: caf\303\251 \342\202\254\n'
		printf '%s\n' "$(head -c 998 /dev/zero | tr '\0' 'x')"
		printf '\n\n'
	} >"$1"
}

# A message with a 2,500-byte body line and a 1,200-byte Subject line,
# without a space where Postfix will break them.
long_message() {	# FILE SUBJECT
	{
		printf 'From: Sender <sender@example.com>\n'
		printf 'To: Rcpt <rcpt@remote.example>\n'
		printf 'Subject: %s-%s\n' "$2" "$(head -c 1200 /dev/zero | tr '\0' s)"
		printf 'Date: Fri, 27 Nov 2026 04:00:00 +0000\n'
		printf 'Message-ID: <%s.%s@example.com>\n' "$2" "$$"
		printf '\n'
		printf 'short line\n'
		printf '%s  %s\n' "$(head -c 1500 /dev/zero | tr '\0' a)" \
		    "$(head -c 1000 /dev/zero | tr '\0' b)"
		printf 'short line again\n'
	} >"$1"
}
# The sink copy shows a line Postfix broke: 998 octets, then " ...".
broken() {
	tr -d '\r' <"$1" | awk 'prev == 998 && /^ / { found = 1 }
	    { prev = length } END { exit !found }'
}

# send NAME FILE SWAKS-ARGS...: sets qid and got (the sink copy, CRLF).
n=0
send() {
	local name=$1 file=$2 f
	shift 2
	qid=
	got=
	if ! pw_swaks_data "$file" --from sender@example.com \
	    --to rcpt@remote.example "$@"; then
		pw_not_ok "$name: accepted" "$(tail -n 15 "$PW_SWAKS_LOG")"
		return 1
	fi
	n=$((n + 1))
	qid=$(pw_swaks_queue_id)
	if ! pw_sink_wait main "$n"; then
		pw_not_ok "$name: accepted and delivered ($qid)"
		return 1
	fi
	f=$(pw_sink_find main "$qid")
	if [ -z "$f" ]; then
		pw_not_ok "$name: accepted and delivered" "$qid not in the sink"
		return 1
	fi
	got=$PW_TMP/got-$n.eml
	pw_sink_message "$f" | sed 's/\r$//; s/$/\r/' >"$got"
	pw_ok "$name: accepted and delivered ($qid)"
}

nsigs() { pw_header_of "$1" | grep -c '^DKIM-Signature:'; }

verify_both() {	# NAME FILE: python3-dkim (all), Mail::DKIM (rsa ones)
	if "$PY" "$VPY" "$2" "$PW_TMP/dns" >"$2.py" 2>&1; then
		pw_ok "$1: python3-dkim verifies ($(tr '\n' ' ' <"$2.py"))"
	else
		pw_not_ok "$1: python3-dkim verifies" "$(cat "$2.py")
$(pw_header_of "$2" | head -n 30)"
	fi
	if [ "$PW_DKIM_PERL" = 0 ]; then
		pw_ok "$1: Mail::DKIM # SKIP libmail-dkim-perl not installed"
	elif perl "$VPL" "$2" "$PW_TMP/dns" >"$2.pl" 2>&1; then
		pw_ok "$1: Mail::DKIM verifies ($(tr '\n' ' ' <"$2.pl"))"
	else
		pw_not_ok "$1: Mail::DKIM verifies" "$(cat "$2.pl")"
	fi
}

# --- 1. authenticated, signing domain: two signatures ------------------------------------

make_message "$PW_TMP/m1.eml" example.com auth
if send "authenticated" "$PW_TMP/m1.eml" --xclient-login k_e2e; then
	pw_is "authenticated: two DKIM-Signature fields" "$(nsigs "$got")" 2
	verify_both "authenticated" "$got"
	first=$(head -n 1 "$got")
	case $first in
	DKIM-Signature:*) pw_ok "authenticated: a signature is the first field" ;;
	*) pw_not_ok "authenticated: a signature is the first field" "$first" ;;
	esac
	pw_check "authenticated: the milter logged both signatures with the queue id" \
	    pw_wait_log "$PW_TMP/milter.log" "$qid: milter: client=.*; dkim: signed: d=example.com s=r2026 a=rsa-sha256, d=example.com s=e2026 a=ed25519-sha256$" 5
	long=$(grep -A1000 -m1 '^DKIM-Signature:' "$got" | tr -d '\r' |
	    awk '/^[^ \t]/ && NR > 1 && !/^DKIM-Signature:/ { exit }
	    length > 78 { print }')
	if [ -z "$long" ]; then
		pw_ok "authenticated: signature lines within 78 columns"
	else
		pw_not_ok "authenticated: signature lines within 78 columns" "$long"
	fi
fi

# --- 1b. lines over smtp_line_length_limit, relaxed --------------------------------------

long_message "$PW_TMP/m1b.eml" long
if send "long lines" "$PW_TMP/m1b.eml" --xclient-login k_e2e; then
	pw_check "long lines: Postfix broke them on the way to the sink" \
	    broken "$got"
	pw_is "long lines: two DKIM-Signature fields" "$(nsigs "$got")" 2
	verify_both "long lines (relaxed)" "$got"
fi

# --- 2. unauthenticated inbound mail: unsigned, untouched ---------------------------------

make_message "$PW_TMP/m2.eml" example.com inbound
if send "unauthenticated" "$PW_TMP/m2.eml"; then
	pw_is "unauthenticated: no DKIM-Signature" "$(nsigs "$got")" 0
	if cmp -s <(pw_body_of "$PW_TMP/m2.eml") <(pw_body_of "$got" | tr -d '\r'); then
		pw_ok "unauthenticated: body unchanged"
	else
		pw_not_ok "unauthenticated: body unchanged"
	fi
fi

# --- 3. tenant entry -----------------------------------------------------------------------

make_message "$PW_TMP/m3.eml" other.example tenant
if send "authenticated, From domain without an entry" "$PW_TMP/m3.eml" \
    --xclient-login k_e2e; then
	if [ "$(nsigs "$got")" = 1 ] && grep -q 'd=tenant.example' "$got"; then
		pw_ok "tenant entry: signed with the tenant's key (d=tenant.example)"
	else
		pw_not_ok "tenant entry: signed with the tenant's key" \
		    "$(pw_header_of "$got" | head -n 12)"
	fi
	"$PY" "$VPY" "$got" "$PW_TMP/dns" >"$got.py" 2>&1
	pw_is "tenant entry: python3-dkim verifies" "$?" 0
fi

# --- 4. internal network, no AUTH ----------------------------------------------------------

make_message "$PW_TMP/m4.eml" example.com internal
if send "internal network (XCLIENT ADDR=192.0.2.10)" "$PW_TMP/m4.eml" \
    --xclient-addr 192.0.2.10; then
	pw_is "internal network: two DKIM-Signature fields" "$(nsigs "$got")" 2
	"$PY" "$VPY" "$got" "$PW_TMP/dns" >"$got.py" 2>&1
	pw_is "internal network: python3-dkim verifies" "$?" 0
fi

# --- 5. SIGHUP: simple/simple --------------------------------------------------------------

CONF=$PW_TMP/postwarden-milter.conf
echo "dkim_canonicalization = simple/simple" >>"$CONF"
kill -HUP "${PW_PIDS[milter]}"
pw_wait_log "$PW_TMP/milter.log" "reloaded configuration from $CONF" 5 ||
    pw_bail "milter did not reload"
make_message "$PW_TMP/m5.eml" example.com simple
if send "simple/simple after SIGHUP" "$PW_TMP/m5.eml" --xclient-login k_e2e; then
	if grep -q 'c=simple/simple' "$got"; then
		pw_ok "simple/simple: c=simple/simple"
	else
		pw_not_ok "simple/simple: c=simple/simple" "$(head -n 12 "$got")"
	fi
	verify_both "simple/simple" "$got"
fi
long_message "$PW_TMP/m5b.eml" longsimple
if send "long lines, simple/simple" "$PW_TMP/m5b.eml" --xclient-login k_e2e; then
	pw_check "long lines, simple: Postfix broke them" broken "$got"
	verify_both "long lines (simple/simple)" "$got"
fi

# --- 6. SIGHUP with a key that must be refused -----------------------------------------------

pw_dkim_key open-rsa example.net o1 rsa
chmod 0644 "$K/open-rsa.pem"
kill -HUP "${PW_PIDS[milter]}"
pw_check "a group/world-readable key fails the reload, logged with file:line" \
    pw_wait_log "$PW_TMP/milter.log" "reload failed, keeping the running configuration: $PW_TMP/keytable:4: $K/open-rsa.pem: private key is accessible by group or others \\(mode 0644\\)" 5
make_message "$PW_TMP/m6.eml" example.com kept
if send "after the failed reload" "$PW_TMP/m6.eml" --xclient-login k_e2e; then
	if [ "$(nsigs "$got")" = 2 ] && grep -q 'c=simple/simple' "$got" &&
	    "$PY" "$VPY" "$got" "$PW_TMP/dns" >"$got.py" 2>&1; then
		pw_ok "after the failed reload: the running keys still sign"
	else
		pw_not_ok "after the failed reload: the running keys still sign" \
		    "$(cat "$got.py" 2>/dev/null)"
	fi
fi

# --- 7. signing failures: dkim_failure_mode ------------------------------------------------

# A header section larger than dkim_max_header_size cannot be signed.
sed -i '$d' "$PW_TMP/keytable"
echo "dkim_max_header_size = 65536" >>"$CONF"
: >"$PW_TMP/milter.log"
kill -HUP "${PW_PIDS[milter]}"
pw_wait_log "$PW_TMP/milter.log" "reloaded configuration from $CONF" 5 ||
    pw_bail "milter did not reload"
big=$PW_TMP/m7.eml
{
	sed '/^$/,$d' "$PW_TMP/m6.eml"
	for i in $(seq 80); do
		printf 'X-Filler-%d: %s\n' "$i" "$(head -c 900 /dev/zero | tr '\0' 'f')"
	done
	echo
	sed '1,/^$/d' "$PW_TMP/m6.eml"
} >"$big"
if pw_swaks_data "$big" --from sender@example.com --to rcpt@remote.example \
    --xclient-login k_e2e; then
	pw_not_ok "too large to sign, tempfail mode: 451" \
	    "accepted: $(pw_swaks_queue_id)"
elif grep -qE '^<\*\* +451 4\.7\.1' "$PW_SWAKS_LOG"; then
	pw_ok "too large to sign, tempfail mode: 451"
else
	pw_not_ok "too large to sign, tempfail mode: 451" "$(tail -n 5 "$PW_SWAKS_LOG")"
fi
pw_check "tempfail mode: the failure is logged with the queue id" \
    pw_wait_log "$PW_TMP/milter.log" ": [0-9A-F]{6,}: error: milter: tenant=[a-z0-9_-]+: dkim: signing failed: header section larger than dkim_max_header_size \\(dkim_failure_mode\\); answering tempfail" 5

echo "dkim_failure_mode = accept" >>"$CONF"
: >"$PW_TMP/milter.log"
kill -HUP "${PW_PIDS[milter]}"
pw_wait_log "$PW_TMP/milter.log" "reloaded configuration from $CONF" 5 ||
    pw_bail "milter did not reload"
if send "too large to sign, accept mode" "$big" --xclient-login k_e2e; then
	pw_is "accept mode: delivered unsigned" "$(nsigs "$got")" 0
	pw_check "accept mode: the failure is logged with the queue id" \
	    pw_wait_log "$PW_TMP/milter.log" "$qid: error: milter: dkim: signing failed: header section larger than dkim_max_header_size; accepting the message unsigned" 5
fi
