#!/bin/bash
# tests/dkim/rotation_load.sh -- a DKIM key rotation under load leaves no
# message unsigned, and every signature verifies (issue 14, "Rotation
# without a gap"), end to end: a real Postfix with postwarden-milter,
# keys in Redis made with `postwarden domain dkim`, the test's own DNS
# server (unbound on loopback), a steady stream of messages from two
# background swaks loops (bounded), signatures checked at the sink by
# python3-dkim.
#
# Acme's rotation.example signs with an active rsa key (s_old, activated
# by `domain verify`).  While the two loops send:
#   - `domain dkim rotate` makes s_new (pending): it must not sign yet;
#     both records are published in the test's unbound;
#   - `domain verify` activates s_new and makes s_old retiring (its record
#     stays published); the milter notices through the tenant's
#     dkim_version (identity_cache_ttl = 1s), waited for with a deadline.
# Then: every message sent was accepted and delivered; each carries
# exactly one signature, which python3-dkim verifies with the selector it
# names (both records known); messages accepted before the activation
# name s_old, messages sent after the milter was seen signing with s_new
# name s_new.  Each message's phase (the one current when its swaks
# started) is in its Subject; the one current when swaks ended is logged.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"
. "$PW_SRCDIR/tests/harness/dns.sh"

PY=/usr/bin/python3
VPY=$PW_SRCDIR/tests/dkim/verify.py
CLI=$PW_BUILDDIR/cli/postwarden
D=rotation.example
MAX=150		# messages per loop, at most
PHASE_MIN=4	# messages sent in each phase before the next step

pw_require_root_tools
pw_dkim_require rsa
[ -x "$CLI" ] || pw_skip_all "$CLI not built"
command -v swaks >/dev/null || pw_skip_all "swaks not installed"
pw_harness_init
pw_plan 11

# --- Redis, the KEK, the first key, DNS ------------------------------------------

pw_redis_start
CONF=$PW_TMP/cli.conf
printf 'redis_server = unix:%s\ndkim_kek_file = %s\n' "$PW_REDIS_SOCK" \
    "$PW_TMP/kek" >"$CONF"
pwcli() { "$CLI" -c "$CONF" "$@" 2>>"$PW_TMP/cli.err"; }
pwcli dkim kek-generate "$PW_TMP/kek" >/dev/null || pw_bail "kek-generate"
pwcli tenant add acme >/dev/null || pw_bail "tenant add acme"
pw_redis_cli HSET pw:key:k_a tenant acme >/dev/null
pw_domain_add acme "$D"

# records OUTPUT: the zone-file lines `domain dkim add|rotate` printed,
# strings joined, as "NAME TXT" lines (what verify.py reads), appended
# to $PW_TMP/dns; prints the selector.
records() {
	printf '%s\n' "$1" | sed -n \
	    's/^\([^ ]*\)\. IN TXT ( \(.*\) )$/\1 \2/p' |
	    sed 's/" "//g; s/ "/ /; s/"$//' | tee -a "$PW_TMP/dns" |
	    sed -n "s/^\([^.]*\)\._domainkey\.$D .*/\1/p"
}
# publish: the test's DNS server serves every record of $PW_TMP/dns.
publish() {
	local name txt
	{
		echo "zone $D"
		while read -r name txt; do
			pw_dns_txt "$name" "$txt"
		done <"$PW_TMP/dns"
	} >"$PW_TMP/records"
	pw_dns_start "$PW_TMP/records"
}
: >"$PW_TMP/dns"
out=$(pwcli domain dkim add "$D" --algorithm rsa --selector s-old) ||
    pw_bail "domain dkim add: $(cat "$PW_TMP/cli.err")"
s_old=$(records "$out")
[ "$s_old" = s-old ] || pw_bail "no selector in the printed record: $out"
publish
printf 'dns_resolver = %s\ndns_timeout = 1s\n' "$PW_DNS_SERVER" >>"$CONF"
pwcli domain verify "$D" >/dev/null
state() { pw_redis_cli --raw HGET "pw:{acme}:dkim:$D" "$1"; }
[ "$(state "$s_old")" = active ] ||
    pw_bail "domain verify did not activate $s_old: $(cat "$PW_TMP/cli.err")"
# The milter's copy of the KEK: it reads it as root at start and as
# nobody on SIGHUP; the command keeps its own (owned by root) to seal.
cp -p "$PW_TMP/kek" "$PW_TMP/kek.milter" &&
    chown nobody "$PW_TMP/kek.milter" || pw_bail "the milter's KEK"

# --- the milter and Postfix ---------------------------------------------------------

pw_sink_start main
pw_daemon_start milter "dkim_kek_file = $PW_TMP/kek.milter" \
    "identity_cache_ttl = 1s"
pw_postfix_main "smtpd_milters = unix:$PW_TMP/milter.sock"
pw_postfix_main "milter_default_action = tempfail"
pw_postfix_main "milter_command_timeout = 10s"
pw_postfix_main "milter_content_timeout = 30s"
pw_postfix_start

# --- the load: two loops of swaks ------------------------------------------------------

mkdir -p "$PW_TMP/load" || pw_bail "mkdir load"
# phase NAME: the phase of messages started from now on (renamed into
# place: a sender never reads a half-written file).
phase() {
	echo "$1" >"$PW_TMP/phase.new" && mv "$PW_TMP/phase.new" "$PW_TMP/phase"
}
phase pre

# sender ID: send messages (From acme's domain, key k_a) one after the
# other until $PW_TMP/stop exists, at most MAX; the Subject names the
# message (ID-N) and the phase current when it started.  One line
# "ID-N START-PHASE END-PHASE EXIT" per message in $PW_TMP/sent-ID (the
# phase current when swaks ended: the milter had signed it by then).
sender() {
	local id=$1 i=0 phase f rc
	while [ ! -e "$PW_TMP/stop" ] && [ "$i" -lt "$MAX" ]; do
		i=$((i + 1))
		phase=$(cat "$PW_TMP/phase")
		f=$PW_TMP/load/$id-$i
		printf '%s\n' "From: CEO <ceo@$D>" \
		    'To: Rcpt <rcpt@remote.example>' \
		    "Subject: rotation $id-$i $phase" \
		    'Date: Sun, 06 Dec 2026 12:00:00 +0000' \
		    "Message-ID: <rot.$id-$i.$$@pw-test.example>" '' \
		    "Message $id-$i, sent during a key rotation." >"$f.eml"
		printf 'Second line of %s.' "$id-$i" >>"$f.eml"
		swaks --server 127.0.0.1 --port "$PW_SMTPD_PORT" \
		    --helo client.pw-test.localdomain --timeout 30 \
		    --from app@pw-test.example --to rcpt@remote.example \
		    --xclient-login k_a --data "@$f.eml" \
		    </dev/null >"$f.log" 2>&1
		rc=$?
		echo "$id-$i $phase $(cat "$PW_TMP/phase") $rc" \
		    >>"$PW_TMP/sent-$id"
	done
}
sent() { cat "$PW_TMP"/sent-* 2>/dev/null | wc -l; }
sent_ge() { [ "$(sent)" -ge "$1" ]; }
# more_sent N: wait until N more messages than now were sent.
more_sent() {
	local want=$(($(sent) + $1))
	pw_wait_until "$want messages sent" 60 sent_ge "$want" ||
	    pw_bail "the senders stalled at $(sent) messages"
}

sender a &
pw__record sender-a $!
sender b &
pw__record sender-b $!
more_sent "$PHASE_MIN"

# --- the rotation, under load ------------------------------------------------------------

out=$(pwcli domain dkim rotate "$D" --selector s-new)
rc=$?
s_new=$(records "$out")
if [ "$rc" = 0 ] && [ "$s_new" = s-new ] &&
    [ "$(state s-new) $(state "$s_old")" = "pending active" ]; then
	pw_ok "rotate: s-new pending, $s_old still active"
else
	pw_not_ok "rotate: s-new pending, $s_old still active" \
	    "exit $rc, states $(state s-new) $(state "$s_old"): $out $(cat "$PW_TMP/cli.err")"
fi
phase pending
publish
more_sent "$PHASE_MIN"

phase mid
pwcli domain verify "$D" >"$PW_TMP/verify.out"
pw_is "domain verify: s-new active, $s_old retiring" \
    "$(state s-new) $(state "$s_old")" "active retiring"

# The milter notices through dkim_version: a delivered message signed
# with s-new.
signs_new() {
	grep -rlq -- "s=$s_new;" "$PW_TMP/sink-main"
}
if pw_wait_until "a message signed with $s_new" 20 signs_new; then
	pw_ok "the milter signs with $s_new within the deadline"
else
	pw_not_ok "the milter signs with $s_new within the deadline" \
	    "sent $(sent)"
fi
phase post
more_sent $((PHASE_MIN * 2))
touch "$PW_TMP/stop"
loops_done() {
	! pw__alive "${PW_PIDS[sender-a]}" && ! pw__alive "${PW_PIDS[sender-b]}"
}
pw_wait_until "the senders to stop" 60 loops_done ||
    pw_bail "the senders did not stop"

# --- every message: accepted, delivered, signed once, verified ---------------------

total=$(sent)
refused=$(cat "$PW_TMP"/sent-* | awk '$4 != 0 { print $1 }' | paste -sd' ')
pw_is "all $total messages accepted" "$refused" ""
if pw_sink_wait main "$total" 60; then
	pw_ok "all $total messages delivered"
else
	pw_not_ok "all $total messages delivered" \
	    "$(pw_sink_files main | wc -l) in the sink"
fi

# One line per delivered message: "ID PHASE SELECTORS VERDICT".
mkdir -p "$PW_TMP/got" || pw_bail "mkdir got"
pw_sink_files main | while IFS= read -r f; do
	m=$PW_TMP/got/${f##*/}.eml
	pw_sink_message "$f" | sed 's/\r$//; s/$/\r/' >"$m"
	subj=$(pw_header_of "$m" | tr -d '\r' |
	    sed -n 's/^Subject: rotation \([^ ]*\) \([a-z]*\)$/\1 \2/p')
	sels=$(pw_header_of "$m" | tr -d '\r' | awk '
	    /^DKIM-Signature:/ { if (s) print ""; s = 1; printf "%s", $0; next }
	    s && /^[ \t]/ { printf "%s", $0; next }
	    { if (s) print ""; s = 0 }
	    END { if (s) print "" }' | tr -d ' \t' |
	    grep -o ';s=[^;]*' | cut -d= -f2 | sort | paste -sd,)
	if "$PY" "$VPY" "$m" "$PW_TMP/dns" >"$m.py" 2>&1; then
		v=pass
	else
		v=fail
	fi
	echo "${subj:-? ?} ${sels:--} $v"
done >"$PW_TMP/results"

pw_is "every delivered message is one of ours" \
    "$(awk '$1 == "?"' "$PW_TMP/results")" ""
pw_is "every message carries exactly one signature" \
    "$(awk '$3 == "-" || $3 ~ /,/' "$PW_TMP/results")" ""
pw_is "every signature verifies (python3-dkim, the selector it names)" \
    "$(awk '$4 != "pass"' "$PW_TMP/results")" ""
# Accepted (so signed) while the phase was still pre or pending: before
# `domain verify` ran.
cat "$PW_TMP"/sent-* >"$PW_TMP/sent"
pw_is "accepted before the activation (pre, pending): signed with $s_old" \
    "$(awk -v s="$s_old" 'FNR == NR { end[$1] = $3; next }
    (end[$1] == "pre" || end[$1] == "pending") && $3 != s' \
    "$PW_TMP/sent" "$PW_TMP/results")" ""
pw_is "started after the milter switched (post): signed with $s_new" \
    "$(awk -v s="$s_new" '$2 == "post" && $3 != s' "$PW_TMP/results")" ""
counts=$(awk '{ n[$2]++ } END { printf "pre=%d pending=%d post=%d",
    n["pre"], n["pending"], n["post"] }' "$PW_TMP/results")
if awk '{ n[$2]++ } END { exit !(n["pre"] > 0 && n["pending"] > 0 &&
    n["post"] > 0) }' "$PW_TMP/results"; then
	pw_ok "messages in every phase ($counts, $total in all)"
else
	pw_not_ok "messages in every phase" "$counts"
fi
pw_diag "$(awk '{ print $2, $3 }' "$PW_TMP/results" | sort | uniq -c |
    tr '\n' ';')"
