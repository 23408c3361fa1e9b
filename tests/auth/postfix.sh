#!/bin/bash
# tests/auth/postfix.sh -- SMTP AUTH answered by postwarden-policyd, through
# a real Postfix: smtpd_sasl_type = dovecot pointed at auth_listen,
# smtpd_tls_auth_only with a self-signed certificate on loopback, swaks
# --tls as the client, check_policy_service on the same daemon:
#
#   - AUTH PLAIN and AUTH LOGIN with a key's token: 235, the mail flows,
#     and the policy daemon sees sasl_username = the key id;
#   - user "apikey" with the token: the same key id for Postfix;
#   - a wrong secret: 535; a token of another key: 535;
#   - tenant, keys and secrets made with postwarden (tenant add, key add
#     printing the token, key secret add|revoke, key suspend);
#   - rotation: a second secret works beside the first; the first,
#     revoked, gets 535 while the second still works;
#   - a suspended key: 535 at login, logged with its reason;
#   - a flood of wrong secrets from one client address (XCLIENT): that
#     address is throttled (535 even with the right token), another is
#     not;
#   - Redis stopped: smtpd still offers AUTH (the handshake needs no
#     Redis), a pair verified before still logs in (235), one never
#     verified gets 454 (the service drops the connection).

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

MINT=$PW_BUILDDIR/tests/auth/auth_mint
CLI=$PW_BUILDDIR/cli/postwarden

pw_require_root_tools
command -v openssl >/dev/null || pw_skip_all "openssl not installed"
[ -x "$MINT" ] || pw_skip_all "$MINT not built"
pw_harness_init
pw_plan 28

R() { pw_redis_cli "$@"; }
# The pepper, as the admin makes it: root's, mode 0600 (the daemon reads
# it as root before it drops privileges).
PEPPER=$PW_TMP/pepper
"$CLI" auth pepper-generate "$PEPPER" >/dev/null || pw_bail "pepper-generate"
pw_redis_start

# --- the daemon, Postfix (TLS: pw_postfix_tls) ------------------------------------------
SOCK=$PW_TMP/auth.sock
pw_sink_start main
pw_daemon_start policyd "auth_listen = unix:$SOCK" \
    "auth_pepper_file = $PEPPER" "auth_fail_client_limit = 5" \
    "redis_command_timeout = 500ms" "policyd_fail_mode = pass"
LOG=$PW_TMP/policyd.log

# --- tenant, keys and secrets, as an admin makes them (postwarden key) -------------
cli() { "$CLI" -c "$PW_TMP/postwarden-policyd.conf" "$@"; }
# key_add KEYID: the key of tenant acme; prints the token of its secret.
key_add() {
	cli key add "$1" --tenant acme | sed -nE 's/^secret [0-9a-f]{8}: //p'
}
cli tenant add acme >/dev/null || pw_bail "tenant add acme"
pw_domain_add acme client.example
TOK=$(key_add k_app)
SID=$(cut -d. -f3 <<<"$TOK")
TOK_OTHER=$(key_add k_other)
TOK_SUSP=$(key_add k_susp)
TOK_NEVER=$(cli key secret add k_other)
# A well-formed token of k_app that Redis does not hold: a wrong secret.
read -r TOK_WRONG _ _ < <("$MINT" "$PEPPER" k_app)
[ -n "$TOK" ] && [ -n "$TOK_SUSP" ] && [ -n "$TOK_WRONG" ] &&
    [ -n "$TOK_NEVER" ] || pw_bail "postwarden key add / secret add"
policy="check_policy_service { unix:$PW_TMP/policyd.sock, timeout=10s, default_action=DEFER_IF_PERMIT }"
pw_postfix_main "smtpd_sasl_type = dovecot"
pw_postfix_main "smtpd_sasl_path = $SOCK"
pw_postfix_main "smtpd_sasl_auth_enable = yes"
pw_postfix_tls
pw_postfix_main "smtpd_tls_auth_only = yes"
pw_postfix_main "mynetworks = 127.0.0.1/32"
pw_postfix_main "smtpd_relay_restrictions = permit_sasl_authenticated reject_unauth_destination"
pw_postfix_main "smtpd_recipient_restrictions = $policy"
pw_postfix_main "smtpd_end_of_data_restrictions = $policy"
pw_postfix_start

# auth MECH USER PASSWORD [SWAKS ARGS...]: log in over TLS and send one
# message; swaks's status (0: accepted).
n=0
auth() {
	local mech=$1 user=$2 pass=$3
	shift 3
	n=$((n + 1))
	pw_swaks --tls --auth "$mech" --auth-user "$user" --auth-password "$pass" \
	    --from app@client.example --to "rcpt$n@remote.example" "$@"
}
# Did the server answer CODE (swaks marks TLS lines "<~", errors "*")?
replied() { grep -qE "^<[~*]* +$1" "$PW_SWAKS_LOG"; }
# The queue id of the last message (pw_swaks_queue_id without TLS marks).
queue_id() {
	sed -n 's/^<[~*]* *250 2\.0\.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' \
	    "$PW_SWAKS_LOG" | tail -n 1
}

# --- logins that work ---------------------------------------------------------------------
if auth PLAIN k_app "$TOK"; then
	qid=$(queue_id)
	pw_ok "AUTH PLAIN with the key id and its token: mail accepted ($qid)"
else
	pw_not_ok "AUTH PLAIN with the key id and its token: mail accepted" \
	    "$(tail -n 15 "$PW_SWAKS_LOG")"
fi
pw_check "235 for the login" replied "235 2.7.0"
pw_check "delivered to the sink" pw_sink_wait main 1
pw_check "the policy daemon saw sasl_username=k_app, tenant acme" \
    grep -q "$qid: request: state=END-OF-MESSAGE .* sasl_username=k_app .*tenant=acme source=sasl" "$LOG"
pw_check "AUTH LOGIN with the key id and its token" auth LOGIN k_app "$TOK"
pw_check "AUTH PLAIN as apikey with the token" auth PLAIN apikey "$TOK"
qid=$(queue_id)
[ -n "$qid" ] || pw_diag "no queue id in $PW_SWAKS_LOG"
pw_check "... the policy daemon saw sasl_username=k_app (not apikey)" \
    grep -q "$qid: request: state=END-OF-MESSAGE .* sasl_username=k_app " "$LOG"
pw_check "AUTH LOGIN as apikey" auth LOGIN apikey "$TOK"

# --- refusals ------------------------------------------------------------------------------
auth PLAIN k_app "$TOK_WRONG" --xclient-addr 198.51.100.10
pw_check "a wrong secret: 535" replied "535 5.7.8"
pw_check "logged once with the client address and key" \
    test "$(grep -c 'sasl login failed: rip=198.51.100.10, mech=PLAIN, key=k_app: wrong secret' "$LOG")" = 1
auth PLAIN k_app "$TOK_OTHER" --xclient-addr 198.51.100.11
pw_check "a token of another key: 535" replied "535 5.7.8"

# --- rotation -----------------------------------------------------------------------------------
TOK2=$(cli key secret add k_app)
SID2=$(cut -d. -f3 <<<"$TOK2")
pw_check "rotation: the new secret works (key secret add)" \
    auth PLAIN k_app "$TOK2"
pw_check "rotation: the old one still works" auth LOGIN k_app "$TOK"
cli key secret revoke k_app "$SID" >/dev/null || pw_diag "secret revoke failed"
auth PLAIN k_app "$TOK" --xclient-addr 198.51.100.12
pw_check "the old secret, revoked (key secret revoke): 535" replied "535 5.7.8"
pw_check "the new one still works" auth PLAIN k_app "$TOK2"
pw_check "its last use is recorded" \
    test -n "$(R HGET 'pw:{acme}:key:k_app:secrets' "$SID2:used")"

# --- a suspended key ------------------------------------------------------------------------
cli key suspend k_susp >/dev/null || pw_diag "key suspend failed"
auth PLAIN k_susp "$TOK_SUSP" --xclient-addr 198.51.100.13
pw_check "a suspended key: 535 at login" replied "535 5.7.8"
pw_check "logged why" grep -q 'rip=198.51.100.13, mech=PLAIN, key=k_susp: key not active (suspended)' "$LOG"

# --- a flood from one address -------------------------------------------------------------
for i in 1 2 3 4 5 6; do
	auth PLAIN k_other "$TOK_WRONG" --xclient-addr 203.0.113.66 --quit-after AUTH
done
pw_is "pw:authfail:203.0.113.66 reached the limit" \
    "$(R GET pw:authfail:203.0.113.66)" 5
auth PLAIN k_app "$TOK2" --xclient-addr 203.0.113.66 --quit-after AUTH
pw_check "the flooding address is refused with the right token: 535" \
    replied "535 5.7.8"
pw_check "logged: client throttled" \
    grep -q 'rip=203.0.113.66, mech=PLAIN, key=k_app: client throttled' "$LOG"
pw_check "another address logs in" \
    auth PLAIN k_app "$TOK2" --xclient-addr 203.0.113.67 --quit-after AUTH

# --- Redis stopped ----------------------------------------------------------------------------
pw_daemon_stop redis
pw_swaks --tls --quit-after EHLO
pw_check "Redis stopped: smtpd still offers AUTH PLAIN LOGIN" \
    grep -q '250-AUTH PLAIN LOGIN' "$PW_SWAKS_LOG"
auth PLAIN k_app "$TOK2" --quit-after AUTH
pw_check "a pair verified before logs in from the cache: 235" replied "235 2.7.0"
auth PLAIN k_other "$TOK_NEVER" --quit-after AUTH
pw_check "a pair never verified: 454 (connection dropped)" replied "454 4.7.0"
conns=$(grep -c 'sasl: connect from' "$LOG")
auth PLAIN k_app "$TOK2" --quit-after AUTH
pw_check "then smtpd connects again, gets a new handshake without Redis, and the cached pair logs in" \
    replied "235 2.7.0"
pw_check "... on a new SASL connection" \
    test "$(grep -c 'sasl: connect from' "$LOG")" -gt "$conns"
pw_check "no secret in the daemon's log nor Postfix's" \
    bash -c 'for t in "$@"; do s=${t##*.}; grep -qF -- "$s" "$PW_TMP/policyd.log" "$PW_MAILLOG" && exit 1; done; exit 0' _ \
    "$TOK" "$TOK2" "$TOK_WRONG" "$TOK_OTHER" "$TOK_NEVER"
