#!/bin/bash
# tests/e2e/contrib.sh -- Postfix configured with contrib/postfix/main.cf
# exactly as an admin pastes it fails closed and keeps a tenant's
# X-Postwarden-* fields from recipients:
#
#   - both daemons up: a tenant's mail is delivered with the milter's own
#     tracking id (not the one the client forged) and no other
#     X-Postwarden-* field;
#   - a mapped network's tenant is checked by the policy daemon (a
#     suppressed recipient is refused): no permit_* comes before it;
#   - postwarden-policyd down: RCPT is deferred (4xx), not let through;
#   - postwarden-milter down: the message is deferred with 451 4.7.1;
#   - the milter bypassed altogether (smtpd_milters emptied): contrib's
#     header tables alone still keep every X-Postwarden-* field the client
#     wrote from the recipient.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

CLI=$PW_BUILDDIR/cli/postwarden

pw_require_root_tools
pw_harness_init
pw_plan 13

K=$PW_TMP/keys
install -d -o nobody -m 0700 "$K"
openssl rand -hex 32 >"$K/tracking.secret"
chmod 0600 "$K/tracking.secret"
chown nobody "$K/tracking.secret"
printf '192.0.2.0/24\tnet\n' >"$PW_TMP/networks"

pw_redis_start
pw_sink_start main
pw_postfix_contrib_main
pw_postfix_main "mynetworks = 127.0.0.0/8, 192.0.2.0/24"
pw_postfix_start
S=$PW_POSTFIX_SOCKDIR
pw_daemon_start policyd "policyd_listen = unix:$S/policyd.sock" \
    "identity_network_table = $PW_TMP/networks"
pw_daemon_start milter "milter_socket = unix:$S/milter.sock" \
    "identity_network_table = $PW_TMP/networks" \
    "tracking_secret_file = $K/tracking.secret"
CONF=$PW_TMP/postwarden-milter.conf
cli() { "$CLI" -c "$CONF" "$@"; }
cli tenant add acme >/dev/null || pw_bail "tenant add acme"
pw_domain_add acme acme.example
cli tenant add net >/dev/null || pw_bail "tenant add net"
pw_domain_add net acme.example
cli key add k_acme --tenant acme >/dev/null || pw_bail "key add k_acme"
cli suppress add victim@remote.example --tenant net >/dev/null ||
    pw_bail "suppress add"

# A message carrying every kind of X-Postwarden-* field a client can write.
msg() {	# FILE SUBJECT
	{
		printf 'From: App <app@acme.example>\n'
		printf 'To: <rcpt@remote.example>\n'
		printf 'Subject: %s\n' "$2"
		printf 'Message-ID: <%s.%s@acme.example>\n' "$2" "$$"
		printf 'X-Postwarden-ID: forged-by-client\n'
		printf 'X-Postwarden-Route: elsewhere\n'
		printf 'X-Postwarden-Stream: bulk\n'
		printf 'X-Postwarden-Tags: a, b\n'
		printf 'X-Postwarden-Metadata-Customer: 4711\n'
		printf '\nbody of %s\n' "$2"
	} >"$1"
}
delivered=0
# send NAME FILE SWAKS-ARGS...: accepted and at the sink; sets hdr (the
# header of the delivered copy).
send() {
	local name=$1 file=$2 f
	shift 2
	hdr=
	if ! pw_swaks_data "$file" --from app@acme.example \
	    --to rcpt@remote.example "$@"; then
		pw_not_ok "$name: delivered" "$(tail -n 8 "$PW_SWAKS_LOG")"
		return 1
	fi
	delivered=$((delivered + 1))
	qid=$(pw_swaks_queue_id)
	f=
	pw_sink_wait main "$delivered" && f=$(pw_sink_find main "$qid")
	if [ -z "$f" ]; then
		pw_not_ok "$name: delivered" "$qid not at the sink"
		return 1
	fi
	pw_ok "$name: delivered ($qid)"
	pw_sink_message "$f" | pw_header_of /dev/stdin | tr -d '\r' >"$PW_TMP/hdr"
	hdr=$(cat "$PW_TMP/hdr")
}
# The 4xx/5xx the last swaks got, or "accepted".
last_reply() {
	if grep -qE '^<\*\* +[45][0-9][0-9] ' "$PW_SWAKS_LOG"; then
		grep -m1 -E '^<\*\* ' "$PW_SWAKS_LOG" | cut -c5-
	else
		echo accepted
	fi
}

# --- 1-3. both daemons up ------------------------------------------------------------------
msg "$PW_TMP/m1.eml" up
if send "daemons up" "$PW_TMP/m1.eml" --xclient-login k_acme; then
	ids=$(grep -ci '^X-Postwarden-ID:' <<<"$hdr")
	id=$(sed -n 's/^X-Postwarden-ID: *//Ip' <<<"$hdr")
	if [ "$ids" = 1 ] && "$CLI" -c "$CONF" track verify "$id" 2>&1 |
	    grep -q acme; then
		pw_ok "daemons up: one tracking id, the milter's ($id)"
	else
		pw_not_ok "daemons up: one tracking id, the milter's" "$hdr"
	fi
	pw_is "daemons up: no other X-Postwarden-* field" \
	    "$(grep -i '^X-Postwarden-' <<<"$hdr" | grep -vi '^X-Postwarden-ID:')" ""
else
	pw_not_ok "daemons up: one tracking id (not delivered)"
	pw_not_ok "daemons up: no other X-Postwarden-* field (not delivered)"
fi

# --- 4. a mapped network's tenant passes the policy daemon ------------------------
msg "$PW_TMP/m2.eml" mapped
pw_swaks_data "$PW_TMP/m2.eml" --from app@acme.example \
    --to victim@remote.example --xclient-addr 192.0.2.25
r=$(last_reply)
case $r in
5*)	pw_ok "mapped network: its suppressed recipient is refused ($r)" ;;
*)	pw_not_ok "mapped network: its suppressed recipient is refused" "$r" ;;
esac

# --- 5. policy daemon down ------------------------------------------------------------
pw_daemon_stop policyd
msg "$PW_TMP/m3.eml" nopolicyd
pw_swaks_data "$PW_TMP/m3.eml" --from app@acme.example \
    --to rcpt@remote.example --xclient-login k_acme
r=$(last_reply)
case $r in
4*)	pw_ok "policyd down: RCPT is deferred ($r)" ;;
*)	pw_not_ok "policyd down: RCPT is deferred" "$r" ;;
esac
pw_daemon_start policyd "policyd_listen = unix:$S/policyd.sock" \
    "identity_network_table = $PW_TMP/networks"

# --- 6. milter down ------------------------------------------------------------------
pw_daemon_stop milter
msg "$PW_TMP/m4.eml" nomilter
pw_swaks_data "$PW_TMP/m4.eml" --from app@acme.example \
    --to rcpt@remote.example --xclient-login k_acme
r=$(last_reply)
case $r in
"451 4.7.1"*) pw_ok "milter down: the message is deferred ($r)" ;;
*)	pw_not_ok "milter down: the message is deferred with 451 4.7.1" "$r" ;;
esac

# --- 7-11. the milter bypassed: the header tables alone ----------------------------
pw_postfix_main "smtpd_milters ="
pw_postfix_reload
msg "$PW_TMP/m5.eml" bypassed
if send "milter bypassed" "$PW_TMP/m5.eml" --xclient-login k_acme; then
	for f in ID Route Stream Tags Metadata-Customer; do
		pw_is "milter bypassed: the client's X-Postwarden-$f does not arrive" \
		    "$(grep -i "^X-Postwarden-$f:" <<<"$hdr")" ""
	done
else
	for f in ID Route Stream Tags Metadata-Customer; do
		pw_not_ok "milter bypassed: X-Postwarden-$f (not delivered)"
	done
fi

pw_is "no refused message reached the sink" "$(pw_sink_files main | wc -l)" 2
