#!/bin/bash
# tests/dkim/tenant_domains.sh -- a tenant sends and is signed only as
# the domains it owns (issue 14), end to end: a real Postfix with
# postwarden-milter, swaks, signatures checked at the sink by
# python3-dkim and Mail::DKIM (tests/harness/dkim.sh).
#
# Tenant acme owns canon.test (exact) and parent.test (with subdomains);
# beta owns beta.test, which only its tenant:beta entry signs; newbie
# owns nothing.  The signing table has entries for canon.test and
# *.parent.test.
#
#   - acme's own mail (From canon.test; From news.parent.test through the
#     subdomains parent) is signed and verifies;
#   - beta's key with From canon.test (or sub.canon.test: exact covers no
#     subdomain) is refused with 550 5.7.1 and the exact text, reaches no
#     sink, is signed with nothing, goes through the refund path, and
#     leaves a rejected event with its rule; a message with two From
#     fields is refused too;
#   - beta's own mail is signed by its tenant:beta entry;
#   - gamma names acme's canon.test as its dkim_domain (tenant record):
#     its own mail (From gamma.test, no entry) is not signed with it;
#   - a signing table entry that matches a domain the tenant owns but
#     whose key signs as another's domain does not sign for it: beta's
#     shop.wild.test under acme's *.wild.test entry, beta's mapped.test
#     whose entry names acme's canon.test key, delta's dkim_domain
#     dmap.test whose entry does too (tenant:beta signs instead);
#   - newbie is refused with a text that says to add a domain;
#   - unauthenticated mail from milter_internal_networks is still signed
#     by the signing table;
#   - Redis down: a cached answer keeps acme's mail signed; a domain
#     never asked about tempfails (451 4.7.1);
#   - a bounce_domain the tenant does not own (set by hand, or left over
#     after `domain remove`) is not its VERP envelope sender: beta's
#     mail keeps its own sender; acme's own bounce domain is used;
#   - with milter_from_domain_mismatch = unsigned and
#     tenant_domains_required = no: beta's From canon.test leaves
#     unsigned, and newbie's mail is accepted but not signed as canon.test.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"

PY=/usr/bin/python3
VPY=$PW_SRCDIR/tests/dkim/verify.py
VPL=$PW_SRCDIR/tests/dkim/verify.pl

pw_require_root_tools
pw_dkim_require rsa ed25519
pw_harness_init
pw_plan 50

# --- keys, tables, DNS records ------------------------------------------------------

pw_dkim_key canon-rsa canon.test r1 rsa
pw_dkim_key canon-ed canon.test e1 ed25519
pw_dkim_key parent-rsa parent.test p1 rsa
pw_dkim_key beta-rsa beta.test b1 rsa
pw_dkim_sign canon.test canon-rsa,canon-ed
pw_dkim_sign '*.parent.test' parent-rsa
pw_dkim_sign tenant:beta beta-rsa
pw_dkim_key wild-rsa wild.test w1 rsa
pw_dkim_sign '*.wild.test' wild-rsa
pw_dkim_sign mapped.test canon-rsa
pw_dkim_sign dmap.test canon-rsa

# --- Redis, milter, Postfix --------------------------------------------------------------

pw_redis_start
pw_redis_cli HSET pw:key:k_a tenant acme >/dev/null
pw_domain_add acme canon.test
pw_domain_add acme parent.test subdomains
pw_redis_cli HSET pw:key:k_b tenant beta >/dev/null
pw_domain_add beta beta.test
pw_redis_cli HSET pw:key:k_n tenant newbie >/dev/null
pw_redis_cli HSET pw:key:k_g tenant gamma >/dev/null
pw_domain_add gamma gamma.test
pw_redis_cli HSET 'pw:{gamma}:tenant' dkim_domain canon.test >/dev/null
pw_domain_add acme wild.test
pw_domain_add beta shop.wild.test
pw_domain_add beta mapped.test
pw_redis_cli HSET pw:key:k_d tenant delta >/dev/null
pw_domain_add delta delta.test
pw_domain_add delta dmap.test
pw_redis_cli HSET 'pw:{delta}:tenant' dkim_domain dmap.test >/dev/null
pw_sink_start main

# Mail signs while Redis is down (section "Redis down") only when the
# stream suppressions' look-up at end of data may fail open too.
MILTER_CONF=(
    "dkim_key_table = $PW_TMP/keytable"
    "dkim_signing_table = $PW_TMP/signingtable"
    "milter_suppression_failure_mode = accept"
    "milter_internal_networks = 192.0.2.0/24")
pw_daemon_start milter "${MILTER_CONF[@]}"
pw_postfix_main "smtpd_milters = unix:$PW_TMP/milter.sock"
pw_postfix_main "mynetworks = 127.0.0.0/8, 192.0.2.0/24"
pw_postfix_main "milter_default_action = tempfail"
pw_postfix_main "milter_command_timeout = 10s"
pw_postfix_main "milter_content_timeout = 30s"
pw_postfix_start

message() {	# FILE FROM-LINE [MORE-HEADER-LINES]
	{
		printf '%s\n' "$2"
		printf 'To: Rcpt <rcpt@remote.example>\n'
		printf 'Subject: tenant domains %s\n' "$RANDOM"
		printf 'Date: Sun, 06 Dec 2026 12:00:00 +0000\n'
		printf 'Message-ID: <td%s.%s@pw-test.example>\n' "$RANDOM" "$$"
		[ -n "${3:-}" ] && printf '%s\n' "$3"
		printf '\nHello from a tenant.\n'
	} >"$1"
}

# send NAME FROM-LINE SWAKS-ARGS...: accepted and delivered; sets qid and
# got (the sink copy, CRLF).
n=0
send() {
	local name=$1 f
	message "$PW_TMP/m.eml" "$2"
	shift 2
	qid=
	got=
	if ! pw_swaks_data "$PW_TMP/m.eml" --from app@pw-test.example \
	    --to rcpt@remote.example "$@"; then
		pw_not_ok "$name: accepted" "$(tail -n 15 "$PW_SWAKS_LOG")"
		return 1
	fi
	n=$((n + 1))
	qid=$(pw_swaks_queue_id)
	f=
	pw_sink_wait main "$n" && f=$(pw_sink_find main "$qid")
	if [ -z "$f" ]; then
		pw_not_ok "$name: accepted and delivered" "$qid not in the sink"
		return 1
	fi
	got=$PW_TMP/got-$n.eml
	sinkfile=$f
	pw_sink_message "$f" | sed 's/\r$//; s/$/\r/' >"$got"
	pw_ok "$name: accepted and delivered ($qid)"
}

# refused NAME REPLY-REGEX FROM-LINE [MORE-HEADER-LINE] -- SWAKS-ARGS...:
# the end of data is answered REPLY-REGEX, and nothing more reaches the
# sink.
refused() {
	local name=$1 want=$2 from=$3 more=
	shift 3
	if [ "$1" != -- ]; then
		more=$1
		shift
	fi
	shift
	message "$PW_TMP/r.eml" "$from" "$more"
	if pw_swaks_data "$PW_TMP/r.eml" --from app@pw-test.example \
	    --to rcpt@remote.example "$@"; then
		pw_not_ok "$name: refused" "accepted: $(pw_swaks_queue_id)"
		n=$((n + 1))
		return 1
	fi
	if grep -q "^<\*\* *$want" "$PW_SWAKS_LOG"; then
		pw_ok "$name: refused $want"
	else
		pw_not_ok "$name: refused $want" "$(grep '^<' "$PW_SWAKS_LOG" | tail -n 3)"
	fi
}

nsigs() { pw_header_of "$1" | grep -c '^DKIM-Signature:'; }

# verifies NAME FILE: python3-dkim (every signature), Mail::DKIM.
verifies() {
	if "$PY" "$VPY" "$2" "$PW_TMP/dns" >"$2.py" 2>&1; then
		pw_ok "$1: python3-dkim verifies"
	else
		pw_not_ok "$1: python3-dkim verifies" "$(cat "$2.py")"
	fi
	if [ "$PW_DKIM_PERL" = 0 ]; then
		pw_ok "$1: Mail::DKIM # SKIP libmail-dkim-perl not installed"
	elif perl "$VPL" "$2" "$PW_TMP/dns" >"$2.pl" 2>&1; then
		pw_ok "$1: Mail::DKIM verifies"
	else
		pw_not_ok "$1: Mail::DKIM verifies" "$(cat "$2.pl")"
	fi
}

# d= of every signature in FILE, sorted, one line.
dtags() {
	pw_header_of "$1" | tr -d '\r' | awk '/^DKIM-Signature:/ { s = 1;
	    print; next } s && /^[ \t]/ { print; next } { s = 0 }' |
	    tr -d ' \t\n' | grep -o ';d=[^;]*' | sort | tr '\n' ' '
}

# --- 1. acme's own domains ----------------------------------------------------------------

if send "acme, From canon.test" 'From: CEO <ceo@canon.test>' \
    --xclient-login k_a; then
	pw_is "acme, From canon.test: two signatures, d=canon.test" \
	    "$(dtags "$got")" ";d=canon.test ;d=canon.test "
	verifies "acme, From canon.test" "$got"
fi
if send "acme, From news.parent.test (parent with subdomains)" \
    'From: News <news@news.parent.test>' --xclient-login k_a; then
	pw_is "acme, From news.parent.test: signed d=parent.test" \
	    "$(dtags "$got")" ";d=parent.test "
	verifies "acme, From news.parent.test" "$got"
fi

# --- 2. beta sends as acme ------------------------------------------------------------------

want='550 5.7.1 From domain canon.test is not a sending domain of tenant beta'
refused "beta, From canon.test" "$want" 'From: CEO <ceo@canon.test>' -- \
    --xclient-login k_b
refused "beta, From sub.canon.test (exact covers no subdomain)" \
    '550 5.7.1 From domain sub.canon.test is not a sending domain of tenant beta' \
    'From: CEO <ceo@sub.canon.test>' -- --xclient-login k_b
refused "beta, two From fields" \
    '550 5.7.1 No single From domain (one From field with one mailbox); tenant beta sends only from its sending domains' \
    'From: a@beta.test' 'From: ceo@canon.test' -- --xclient-login k_b
pw_check "beta, From canon.test: logged with its rule" pw_wait_log \
    "$PW_TMP/milter.log" "tenant=beta: reject: $want \\(rule=from_domain\\)" 5
pw_check "beta, From canon.test: the refund path ran (no policy daemon billed it)" \
    pw_wait_log "$PW_TMP/milter.log" "milter: tenant=beta: nothing billed to refund: rejected" 5
pw_check "beta: nothing signed with canon.test's keys" \
    bash -c '! grep -q "tenant=beta.*d=canon.test" "$1"' _ "$PW_TMP/milter.log"
rejected_event() {
	pw_redis_cli --raw XRANGE pw:events - + | tr '\n' ' ' | grep -q \
	    "type rejected .*tenant beta key k_b rule from_domain from_domain canon.test reply $want"
}
pw_check "beta, From canon.test: a rejected event with the rule" \
    pw_wait_until "the rejected event" 20 rejected_event

# --- 3. beta's own mail: its tenant:beta entry -------------------------------------------------

if send "beta, From beta.test" 'From: B <b@beta.test>' --xclient-login k_b; then
	pw_is "beta, From beta.test: signed by tenant:beta (d=beta.test)" \
	    "$(dtags "$got")" ";d=beta.test "
	verifies "beta, From beta.test" "$got"
fi

# --- 3b. a dkim_domain the tenant does not own ----------------------------------------------

if send "gamma, dkim_domain canon.test (not its own)" \
    'From: G <g@gamma.test>' --xclient-login k_g; then
	pw_is "gamma: not signed with canon.test's keys" "$(nsigs "$got")" 0
	pw_check "gamma: logged why" pw_wait_log "$PW_TMP/milter.log" \
	    "$qid: milter: dkim: not signed: the tenant's dkim_domain is not one of its sending domains" 5
fi

# --- 3c. an entry that would sign as a domain the tenant does not own -----------------------

if send "beta, From shop.wild.test (under acme's *.wild.test entry)" \
    'From: S <s@shop.wild.test>' --xclient-login k_b; then
	pw_is "beta, From shop.wild.test: not d=wild.test; tenant:beta signs" \
	    "$(dtags "$got")" ";d=beta.test "
fi
if send "beta, From mapped.test (its entry names canon.test's key)" \
    'From: M <m@mapped.test>' --xclient-login k_b; then
	pw_is "beta, From mapped.test: not d=canon.test; tenant:beta signs" \
	    "$(dtags "$got")" ";d=beta.test "
fi
if send "delta, dkim_domain dmap.test (its entry names canon.test's key)" \
    'From: D <d@delta.test>' --xclient-login k_d; then
	pw_is "delta: not signed as canon.test" "$(dtags "$got")" ""
fi

# --- 4. a tenant without domains ------------------------------------------------------------

refused "newbie (no domain)" \
    '550 5.7.1 Tenant newbie has no sending domain; add one with postwarden domain add' \
    'From: CEO <ceo@canon.test>' -- --xclient-login k_n

# --- 5. internal network, no tenant: the signing table as before ------------------------------

if send "internal network (XCLIENT ADDR=192.0.2.10)" \
    'From: CEO <ceo@canon.test>' --xclient-addr 192.0.2.10; then
	pw_is "internal network: signed d=canon.test twice" \
	    "$(dtags "$got")" ";d=canon.test ;d=canon.test "
	verifies "internal network" "$got"
fi

# --- 6. Redis down ---------------------------------------------------------------------------
# acme's canon.test was asked above (cached for identity_cache_ttl,
# 60 s); other.parent.test never was.

kill -STOP "${PW_PIDS[redis]}"
if send "Redis down, cached answer" 'From: CEO <ceo@canon.test>' \
    --xclient-login k_a; then
	pw_is "Redis down, cached answer: signed d=canon.test twice" \
	    "$(dtags "$got")" ";d=canon.test ;d=canon.test "
	verifies "Redis down, cached answer" "$got"
fi
refused "Redis down, no answer yet" '451 4\.7\.1' \
    'From: X <x@other.parent.test>' -- --xclient-login k_a
pw_check "Redis down, no answer yet: logged why" pw_wait_log \
    "$PW_TMP/milter.log" "From domain other.parent.test: .*unknown \\(fail closed\\)" 5
kill -CONT "${PW_PIDS[redis]}"

# --- 7. milter_from_domain_mismatch = unsigned, tenant_domains_required = no --------------------

pw_daemon_stop milter
pw_daemon_start milter "${MILTER_CONF[@]}" \
    "milter_from_domain_mismatch = unsigned" \
    "tenant_domains_required = no"
if send "unsigned mode: beta, From canon.test" 'From: CEO <ceo@canon.test>' \
    --xclient-login k_b; then
	pw_is "unsigned mode: beta, From canon.test: no signature" \
	    "$(nsigs "$got")" 0
	pw_check "unsigned mode: the accepted line says why" pw_wait_log \
	    "$PW_TMP/milter.log" "$qid: milter: client=.*tenant=beta .*from_domain=not_owned" 5
fi
if send "domains not required: newbie, From canon.test" \
    'From: CEO <ceo@canon.test>' --xclient-login k_n; then
	pw_is "domains not required: newbie is not signed as canon.test" \
	    "$(nsigs "$got")" 0
fi
if send "unsigned mode: acme's own mail still signed" \
    'From: CEO <ceo@canon.test>' --xclient-login k_a; then
	pw_is "unsigned mode: acme: d=canon.test twice" \
	    "$(dtags "$got")" ";d=canon.test ;d=canon.test "
fi


# --- 8. VERP: only through a bounce domain the tenant owns ---------------------------------------
# beta's bounce_domain names acme's canon.test (left over from before the
# domain moved, or set with redis-cli): beta's bounces must not come back
# through acme's domain, nor its mail leave with acme's envelope sender.

pw_secret_file "$PW_TMP/tracking.secret"
pw_redis_cli HSET 'pw:{beta}:tenant' bounce_domain canon.test \
    bounce_local bounce >/dev/null
pw_redis_cli HSET 'pw:{acme}:tenant' bounce_domain canon.test \
    bounce_local bounce >/dev/null
pw_daemon_stop milter
pw_daemon_start milter "${MILTER_CONF[@]}" \
    "tracking_secret_file = $PW_TMP/tracking.secret"
if send "VERP: acme, its own bounce domain" 'From: CEO <ceo@canon.test>' \
    --xclient-login k_a; then
	pw_check "VERP: acme's envelope sender is bounce+id@canon.test" \
	    grep -qi '^X-Mail-Args: <bounce+[0-9a-z]*@canon.test>' "$sinkfile"
fi
if send "VERP: beta, bounce_domain of acme's canon.test" \
    'From: B <b@beta.test>' --xclient-login k_b; then
	pw_check "VERP: beta's envelope sender is not in acme's canon.test" \
	    bash -c '! grep -qi "^X-Mail-Args: <[^>]*@canon.test>" "$1"' _ \
	    "$sinkfile"
fi
