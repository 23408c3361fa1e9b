#!/bin/bash
# tests/e2e/hardening.sh -- issue 11, the milter's part, end to end
# through a real Postfix (milter only: a policy daemon in
# policyd_fail_mode = pass lets the same mail through when Redis is
# down) and a sink:
#
#   - a null sender (MAIL FROM:<>) stays null: no VERP address;
#   - a client's own Feedback-ID is replaced by ours; a client-written
#     List-Unsubscribe-Post does not end up twice;
#   - RFC 8058 headers are not added to mail that will not be signed;
#   - header bombs: 100 X-Postwarden-ID fields are removed, 101 or
#     10,500 are refused with 550 5.6.0 (Postfix's cleanup does not
#     panic), and so are 30,000 X-Postwarden-Tags;
#   - Redis down: a key seen before still resolves to its tenant (the
#     identity cache serves its last answer, however old: here
#     identity_cache_ttl = 0, and milter_suppression_failure_mode =
#     accept); a key never seen is tempfailed
#     (milter_identity_failure_mode = tempfail); with
#     milter_identity_failure_mode = accept it is delivered untracked
#     but without the client's control and tracking headers;
#   - an opted-out message's event names its tracking id.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"

CLI=$PW_BUILDDIR/cli/postwarden

pw_require_root_tools
pw_harness_init
pw_plan 29

# --- keys, secret ----------------------------------------------------------------------
K=$PW_TMP/keys
pw_dkim_key ex example.com s1 rsa
pw_dkim_sign example.com ex
pw_secret_file "$K/tracking.secret"

# --- Redis, the milter, the tenants, Postfix ---------------------------------------------
pw_redis_start
pw_sink_start main
# Section 5 is about the identity cache: the stream suppressions'
# look-up (tempfail when Redis is down, tests/e2e/unsubscribe_stream.sh)
# lets the mail through here.
pw_daemon_start milter "identity_cache_ttl = 0" \
    "milter_suppression_failure_mode = accept" \
    "dkim_key_table = $PW_TMP/keytable" \
    "dkim_signing_table = $PW_TMP/signingtable" \
    "tracking_secret_file = $K/tracking.secret"
CONF=$PW_TMP/postwarden-milter.conf
cli() { "$CLI" -c "$CONF" "$@"; }
cli tenant add acme --streams transactional,bulk --bulk-streams bulk \
    --unsubscribe-url https://unsub.example.com/u/ >/dev/null ||
    pw_bail "tenant add acme"
pw_domain_add acme example.com
# The VERP bounce domain must be one of the tenant's own.
pw_domain_add acme bounces.example.com
cli tenant set acme --bounce-domain bounces.example.com >/dev/null ||
    pw_bail "tenant set acme --bounce-domain"
cli tenant add beta >/dev/null || pw_bail "tenant add beta"
pw_domain_add beta example.com
cli key add k_acme --tenant acme >/dev/null || pw_bail "key add k_acme"
cli key add k_beta --tenant beta >/dev/null || pw_bail "key add k_beta"

pw_postfix_main "smtpd_milters = unix:$PW_TMP/milter.sock"
pw_postfix_main "milter_default_action = tempfail"
pw_postfix_main "milter_command_timeout = 10s"
pw_postfix_main "milter_content_timeout = 60s"
pw_postfix_start

# --- helpers ---------------------------------------------------------------------------
sent=0
msg() {	# FILE FROM-DOMAIN SUBJECT [EXTRA HEADER LINES...]
	local file=$1 dom=$2 subj=$3
	shift 3
	{
		printf 'From: App <app@%s>\n' "$dom"
		printf 'To: <rcpt@remote.example>\n'
		printf 'Subject: %s\n' "$subj"
		printf 'Date: Sun, 06 Dec 2026 12:00:00 +0000\n'
		printf 'Message-ID: <%s.%s@%s>\n' "$subj" "$$" "$dom"
		for h in "$@"; do printf '%s\n' "$h"; done
		printf '\nbody of %s\n' "$subj"
	} >"$file"
}
# bomb FILE N NAME VALUE: a message with N fields "NAME: VALUE"
bomb() {
	msg "$1" example.com "bomb-$2"
	awk -v n="$2" -v f="$3: $4" 'NR == 1 { for (i = 0; i < n; i++)
	    print f } { print }' "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}
# deliver NAME FILE SWAKS-ARGS...: send, wait for the sink, set got
# (the message at the sink) and sinkfile.
deliver() {
	local name=$1 file=$2 qid
	shift 2
	got=
	sinkfile=
	if ! pw_swaks_data "$file" "$@"; then
		pw_not_ok "$name: accepted" "$(tail -n 15 "$PW_SWAKS_LOG")"
		return 1
	fi
	qid=$(pw_swaks_queue_id)
	sent=$((sent + 1))
	if ! pw_sink_wait main "$sent"; then
		pw_not_ok "$name: delivered ($qid)"
		return 1
	fi
	sinkfile=$(pw_sink_find main "$qid")
	got=$PW_TMP/got-$qid.eml
	pw_sink_message "$sinkfile" | tr -d '\r' >"$got"
	pw_ok "$name: delivered ($qid)"
}
refused() {	# NAME CODE-REGEXP FILE SWAKS-ARGS...
	local name=$1 re=$2 file=$3
	shift 3
	if pw_swaks_data "$file" "$@"; then
		sent=$((sent + 1))
		pw_not_ok "$name: refused" "accepted: $(pw_swaks_queue_id)"
		return 1
	fi
	pw_check "$name: refused $re" grep -q "^<[-*]\{1,2\} *$re" "$PW_SWAKS_LOG"
}
hdr() {	# FILE NAME: the unfolded values of a header field, one per line
	pw_header_of "$1" | awk -v n="$(echo "$2" | tr A-Z a-z)" '
	/^[ \t]/ { if (keep) v = v $0; next }
	{ if (keep) print v; keep = 0 }
	{ i = index($0, ":"); if (tolower(substr($0, 1, i - 1)) == n) {
		keep = 1; v = substr($0, i + 1); sub(/^[ \t]+/, "", v) } }
	END { if (keep) print v }'
}
count() { hdr "$1" "$2" | grep -c .; }

# --- 1. a null sender stays null -----------------------------------------------------------
msg "$PW_TMP/m1.eml" example.com nullsender
if deliver "null sender" "$PW_TMP/m1.eml" --from '<>' \
    --to rcpt@remote.example --xclient-login k_acme; then
	pw_check "null sender: the envelope sender is still <>" \
	    grep -qx 'X-Mail-Args: <>' "$sinkfile"
else
	pw_not_ok "null sender: (not delivered)"
fi

# --- 2. Feedback-ID and List-Unsubscribe-Post written by the client ----------------------
msg "$PW_TMP/m2.eml" example.com feedback 'X-Postwarden-Stream: bulk' \
    'Feedback-ID: x:bulk:beta:postwarden' \
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click'
if deliver "client Feedback-ID" "$PW_TMP/m2.eml" --from app@example.com \
    --to reader@remote.example --xclient-login k_acme; then
	pw_is "client Feedback-ID: replaced by ours" \
	    "$(hdr "$got" Feedback-ID)" "bulk:acme:postwarden"
	pw_is "client List-Unsubscribe-Post: one left" \
	    "$(count "$got" List-Unsubscribe-Post)" 1
	pw_is "our List-Unsubscribe added" "$(count "$got" List-Unsubscribe)" 1
else
	for i in 1 2 3; do pw_not_ok "client Feedback-ID: (not delivered)"; done
fi

# --- 3. RFC 8058 only when signed ------------------------------------------------------------
# unsigned.example is acme's too, but no key signs it.
pw_domain_add acme unsigned.example
msg "$PW_TMP/m3.eml" unsigned.example unsigned 'X-Postwarden-Stream: bulk'
if deliver "unsigned bulk" "$PW_TMP/m3.eml" --from app@example.com \
    --to reader2@remote.example --xclient-login k_acme; then
	pw_is "unsigned bulk: no List-Unsubscribe" \
	    "$(count "$got" List-Unsubscribe)" 0
	pw_check "unsigned bulk: logged why" pw_wait_log "$PW_TMP/milter.log" \
	    "no one-click unsubscribe header: .*not DKIM-signed" 5
else
	pw_not_ok "unsigned bulk: (not delivered)"
	pw_not_ok "unsigned bulk: (not delivered)"
fi

# --- 4. header bombs ---------------------------------------------------------------------------
bomb "$PW_TMP/b100.eml" 100 X-Postwarden-ID f
if deliver "100 X-Postwarden-ID fields" "$PW_TMP/b100.eml" \
    --from app@example.com --to rcpt@remote.example --xclient-login k_acme
then
	pw_is "100 X-Postwarden-ID fields: ours only" \
	    "$(hdr "$got" X-Postwarden-ID | grep -cvx f)" 1
else
	pw_not_ok "100 X-Postwarden-ID fields: (not delivered)"
fi
bomb "$PW_TMP/b101.eml" 101 X-Postwarden-ID f
refused "101 X-Postwarden-ID fields" "550 5.6.0 .*101" "$PW_TMP/b101.eml" \
    --from app@example.com --to rcpt@remote.example --xclient-login k_acme
bomb "$PW_TMP/b10500.eml" 10500 X-Postwarden-ID f
refused "10,500 X-Postwarden-ID fields" "550 5.6.0" "$PW_TMP/b10500.eml" \
    --from app@example.com --to rcpt@remote.example --xclient-login k_acme
bomb "$PW_TMP/t30000.eml" 30000 X-Postwarden-Tags a
refused "30,000 X-Postwarden-Tags fields" "550 5.6.0" "$PW_TMP/t30000.eml" \
    --from app@example.com --to rcpt@remote.example --xclient-login k_acme
pw_check "header bombs: no cleanup panic" \
    bash -c '! grep -q "panic\|signal 6" "$1"' _ "$PW_MAILLOG"

# --- 5. Redis down ------------------------------------------------------------------------------
# k_acme was resolved above; k_beta never was.  Redis stops answering.
forged=(
	'X-Postwarden-Stream: transactional'
	'X-Postwarden-Metadata-Customer: 42'
	'X-Postwarden-ID: forged-by-client'
	'Feedback-ID: x:bulk:beta:postwarden'
)
kill -STOP "${PW_PIDS[redis]}"
msg "$PW_TMP/m5.eml" example.com redis-down "${forged[@]}"
if deliver "Redis down, a key seen before" "$PW_TMP/m5.eml" \
    --from app@example.com --to rcpt@remote.example --xclient-login k_acme
then
	pw_is "Redis down, a key seen before: tracked once, by us" \
	    "$(hdr "$got" X-Postwarden-ID | grep -cv forged)" 1
	pw_is "Redis down, a key seen before: no client control header" \
	    "$(pw_header_of "$got" | grep -ci '^X-Postwarden-\(Stream\|Metadata\)\|forged')" 0
	pw_check "Redis down, a key seen before: VERP for tenant acme" \
	    grep -qi '^X-Mail-Args: <bounce+[0-9a-z]*@bounces.example.com>' \
	    "$sinkfile"
else
	for i in 1 2 3; do pw_not_ok "Redis down: (not delivered)"; done
fi
refused "Redis down, a key never seen" "451 4\.[0-9.]* " "$PW_TMP/m5.eml" \
    --from app@example.com --to rcpt@remote.example --xclient-login k_beta
pw_check "Redis down, a key never seen: logged why" pw_wait_log \
    "$PW_TMP/milter.log" "k_beta.*milter_identity_failure_mode" 5

echo "milter_identity_failure_mode = accept" >>"$CONF"
: >"$PW_TMP/milter.log"
kill -HUP "${PW_PIDS[milter]}"
pw_wait_log "$PW_TMP/milter.log" "reloaded configuration from $CONF" 10 ||
    pw_bail "the milter did not reload"
if deliver "Redis down, accept mode" "$PW_TMP/m5.eml" \
    --from app@example.com --to rcpt@remote.example --xclient-login k_beta
then
	pw_is "accept mode: no control or tracking header of the client" \
	    "$(pw_header_of "$got" | grep -ci '^X-Postwarden-\|^Feedback-ID')" 0
	pw_check "accept mode: envelope sender unchanged" \
	    grep -qi '^X-Mail-Args: <app@example.com>' "$sinkfile"
	pw_check "accept mode: logged why" pw_wait_log "$PW_TMP/milter.log" \
	    "k_beta.*accepting.*milter_identity_failure_mode" 5
else
	for i in 1 2 3; do pw_not_ok "accept mode: (not delivered)"; done
fi
kill -CONT "${PW_PIDS[redis]}"

# --- 6. an opted-out message's event still names its tracking id ----------------------------
# Its outcome (bounce, complaint) is found through the queue id in
# Postfix's log, and the event ties it to the tenant and the id.
msg "$PW_TMP/m6o.eml" example.com optout 'X-Postwarden-Tracking: off'
if deliver "opt-out" "$PW_TMP/m6o.eml" --from app@example.com \
    --to rcpt@remote.example --xclient-login k_acme; then
	q6=$(pw_swaks_queue_id)
	optout_event() {
		pw_redis_cli --raw XRANGE pw:events - + | tr '\n' ' ' | grep -Eq \
		    "type accepted time [0-9]+ tracking_id [0-9a-z]{42} queue_id $q6 "
	}
	pw_check "opt-out: its accepted event names a tracking id" \
	    pw_wait_until "the event of $q6" 20 optout_event
else
	pw_not_ok "opt-out: (not delivered)"
fi

# --- 7. mail of no tenant is still left alone -------------------------------------------------
msg "$PW_TMP/m6.eml" inbound.example inbound 'X-Postwarden-Tags: not-ours'
if deliver "no tenant" "$PW_TMP/m6.eml" --from a@inbound.example \
    --to rcpt@remote.example; then
	pw_is "no tenant: its X-Postwarden-Tags kept" \
	    "$(hdr "$got" X-Postwarden-Tags)" "not-ours"
else
	pw_not_ok "no tenant: (not delivered)"
fi

