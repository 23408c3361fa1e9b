#!/bin/bash
# tests/http/metrics.sh -- GET /metrics of postwarden-policyd
# (http/http_metrics.c, policyd/policyd_metrics.c, lib/metrics.c) against
# the real daemon and a real redis-server; the text read by
# python3-prometheus-client's parser (tests/http/metrics_parse.py):
#
#   - 200, Content-Type text/plain; version=0.0.4; the parser takes it
#     and every family is written in docs/metrics.md, as is every name
#     contrib/monitoring's dashboard uses; POST is 405;
#   - policy requests (pd_session.py, as smtpd sends them) move
#     postwarden_policy_decisions_total{state,rule,action} by exactly
#     what was sent (admitted and refused), and the key cache's miss
#     then hit; connections are counted by service (policy, sasl, http);
#   - SASL logins (tests/auth/auth_client.py) move
#     postwarden_sasl_logins_total{mechanism,result} (ok, fail);
#   - one-click POSTs move postwarden_unsubscribes_total{result}
#     (recorded, invalid_token);
#   - Redis commands fill the latency histogram;
#   - Redis stopped: postwarden_redis_up 0, one outage counted, the
#     policy answer made by the fail mode counted (fail_mode_total and
#     decisions{rule="fail"}); Redis back: postwarden_redis_up 1;
#   - no postwarden_tenant_* series unless metrics_per_tenant = yes;
#     after a reload with it: series for the tenants, at most
#     metrics_tenant_limit of them, the rest counted as dropped.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/policyd/common.sh"

MAKE=$PW_BUILDDIR/tests/cli/track_make
MINT=$PW_BUILDDIR/tests/auth/auth_mint
CLIENT="$PW_PYTHON $PW_SRCDIR/tests/auth/auth_client.py"
PARSE="$PW_PYTHON $PW_SRCDIR/tests/http/metrics_parse.py"

[ "$(id -u)" -eq 0 ] || pw_skip_all "needs root (the daemon drops to nobody)"
command -v redis-server >/dev/null || pw_skip_all "redis-server not installed"
command -v curl >/dev/null || pw_skip_all "curl not installed"
$PW_PYTHON -c 'import prometheus_client.parser' 2>/dev/null ||
    pw_skip_all "python3-prometheus-client not installed"
[ -x "$MAKE" ] || pw_skip_all "$MAKE not built"
[ -x "$MINT" ] || pw_skip_all "$MINT not built"
pw_harness_init
pw_plan 43

R() { pw_redis_cli "$@"; }
SECRET=$PW_TMP/tracking.secret
pw_secret_file "$SECRET"
PEPPER=$PW_TMP/pepper
pw_secret_file "$PEPPER"
PORT=$(pw_free_port)
URL=http://127.0.0.1:$PORT
SOCK=$PW_TMP/auth.sock
LOG=$PW_TMP/policyd.log
CONF=$PW_TMP/postwarden-policyd.conf
pw_redis_start
pd_key k1 acme
pd_key k2 acme status disabled
pd_key k3 beta
pd_key k4 gamma
pw_daemon_start policyd "http_listen = inet:127.0.0.1:$PORT" \
    "tracking_secret_file = $SECRET" "auth_listen = unix:$SOCK" \
    "auth_pepper_file = $PEPPER" "metrics_tenant_limit = 2" \
    "redis_command_timeout = 300ms" "redis_reconnect_delay = 50ms" \
    "redis_reconnect_max_delay = 100ms" "identity_cache_ttl = 60s"
pw_wait_until "the HTTP service" "$PW_TIMEOUT" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200 ||
    pw_bail "no HTTP service"
pd_session_start "$PW_TMP/policyd.sock"

# scrape: the samples, one a line (metrics_parse.py), in $PW_TMP/m
scrape() {
	curl -s --max-time 5 "$URL/metrics" >"$PW_TMP/m.txt" &&
	    $PARSE <"$PW_TMP/m.txt" >"$PW_TMP/m"
}
# val 'NAME{labels sorted}': its value in the last scrape, 0 if absent
val() {
	awk -v key="$1" '{ v = $NF; k = substr($0, 1, length($0) - length(v) - 1) }
	    k == key { print v; found = 1; exit } END { if (!found) print 0 }' \
	    "$PW_TMP/m"
}
# rcpt SASL INSTANCE RECIPIENT: one RCPT request; prints the action
rcpt() {
	pd_ask "$2" protocol_state=RCPT protocol_name=ESMTP \
	    "sasl_username=$1" "instance=$2" "recipient=$3" \
	    recipient_count=0 size=100 client_address=192.0.2.10 \
	    client_name=client.example queue_id= sender=app@example.com
}
DUNNO='postwarden_policy_decisions_total{action="dunno",rule="none",state="rcpt"}'
STATUS='postwarden_policy_decisions_total{action="reject",rule="status",state="rcpt"}'

# --- the text -------------------------------------------------------------------------
hdrs=$(curl -s -D - -o "$PW_TMP/m.txt" --max-time 5 "$URL/metrics")
pw_check "GET /metrics: 200" grep -q '^HTTP/1.1 200' <<<"$hdrs"
pw_check "Content-Type: text/plain; version=0.0.4" \
    grep -qi '^Content-Type: text/plain; version=0.0.4' <<<"$hdrs"
pw_check "prometheus_client's parser reads it, every family documented" \
    $PARSE "$PW_SRCDIR/docs/metrics.md" <"$PW_TMP/m.txt"
dash=$PW_SRCDIR/contrib/monitoring/grafana-postwarden.json
pw_check "contrib's Grafana dashboard: JSON, only names of docs/metrics.md" \
    bash -c '$1 -m json.tool "$2" >/dev/null &&
	for n in $(grep -o "postwarden_[a-z_]*" "$2" |
	    sed "s/_bucket\$//; s/_count\$//" | sort -u); do
		grep -q "\`$n\`" "$3" || { echo "# not documented: $n"; exit 1; }
	done' _ "$PW_PYTHON" "$dash" "$PW_SRCDIR/docs/metrics.md"
pw_is "POST /metrics: 405" \
    "$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "$URL/metrics")" 405
scrape
pw_is "build info: 1, for policyd" \
    "$(grep '^postwarden_build_info{daemon="policyd",version="' "$PW_TMP/m" |
    sed 's/.* //')" 1
start=$(val 'process_start_time_seconds{}')
pw_check "start time within the last hour ($start)" \
    test "$start" -gt $(($(date +%s) - 3600)) -a "$start" -le "$(date +%s)"

# --- policy decisions -------------------------------------------------------------------
d0=$(val "$DUNNO"); s0=$(val "$STATUS")
miss0=$(val 'postwarden_identity_cache_lookups_total{result="miss"}')
hit0=$(val 'postwarden_identity_cache_lookups_total{result="hit"}')
acc0=$(val 'postwarden_connections_accepted_total{service="policy"}')
for i in 1 2 3; do
	pw_is "RCPT $i of k1: DUNNO" "$(rcpt k1 i$i r$i@remote.example)" DUNNO
done
case $(rcpt k2 i9 r9@remote.example) in
550*) pw_ok "RCPT of the disabled k2: 550" ;;
*) pw_not_ok "RCPT of the disabled k2: 550" ;;
esac
scrape
pw_is "decisions{rcpt,none,dunno} moved by 3" "$(($(val "$DUNNO") - d0))" 3
pw_is "decisions{rcpt,status,reject} moved by 1" "$(($(val "$STATUS") - s0))" 1
pw_is "key cache: 2 misses (k1, k2)" \
    "$(($(val 'postwarden_identity_cache_lookups_total{result="miss"}') - miss0))" 2
pw_is "key cache: 2 hits (k1 again)" \
    "$(($(val 'postwarden_identity_cache_lookups_total{result="hit"}') - hit0))" 2
pw_is "4 policy connections accepted" \
    "$(($(val 'postwarden_connections_accepted_total{service="policy"}') - acc0))" 4
pw_is "4 open" "$(val 'postwarden_connections_open{service="policy"}')" 4
h0=$(val 'postwarden_connections_accepted_total{service="http"}')
scrape
pw_is "HTTP: the scrape's own connection accepted" \
    "$(($(val 'postwarden_connections_accepted_total{service="http"}') - h0))" 1
pw_check "HTTP: the scrape's own connection open" \
    test "$(val 'postwarden_connections_open{service="http"}')" -ge 1
pw_check "Redis commands timed (count of result=ok > 0)" \
    test "$(val 'postwarden_redis_command_duration_seconds_count{result="ok"}')" -gt 0
pw_is "+Inf bucket = count" \
    "$(val 'postwarden_redis_command_duration_seconds_bucket{le="+Inf",result="ok"}')" \
    "$(val 'postwarden_redis_command_duration_seconds_count{result="ok"}')"
pw_is "no per-tenant series by default" \
    "$(grep -c '^postwarden_tenant_' "$PW_TMP/m")" 0

# --- SASL --------------------------------------------------------------------------
read -r T1 sid hash < <("$MINT" "$PEPPER" k1) || pw_bail "auth_mint"
R HSET 'pw:{acme}:key:k1:secrets' "$sid" "$hash" "$sid:created" 1 >/dev/null
read -r T1_WRONG _ _ < <("$MINT" "$PEPPER" k1)
pw_wait_until "the SASL socket" "$PW_TIMEOUT" test -S "$SOCK" ||
    pw_bail "no SASL socket"
OK_PLAIN='postwarden_sasl_logins_total{mechanism="PLAIN",result="ok"}'
FAIL_PLAIN='postwarden_sasl_logins_total{mechanism="PLAIN",result="fail"}'
OK_LOGIN='postwarden_sasl_logins_total{mechanism="LOGIN",result="ok"}'
pw_is "a good PLAIN login" "$($CLIENT "$SOCK" plain k1 "$T1")" \
    "$(printf 'OK\t1\tuser=k1')"
pw_is "a good LOGIN login" "$($CLIENT "$SOCK" login k1 "$T1")" \
    "$(printf 'OK\t1\tuser=k1')"
pw_is "a wrong secret" "$($CLIENT "$SOCK" plain k1 "$T1_WRONG" 198.51.100.1)" \
    "$(printf 'FAIL\t1')"
scrape
pw_is "sasl{PLAIN,ok} 1" "$(val "$OK_PLAIN")" 1
pw_is "sasl{LOGIN,ok} 1" "$(val "$OK_LOGIN")" 1
pw_is "sasl{PLAIN,fail} 1" "$(val "$FAIL_PLAIN")" 1
pw_is "3 SASL connections accepted" \
    "$(val 'postwarden_connections_accepted_total{service="sasl"}')" 3

# --- one-click unsubscribe -------------------------------------------------------------
TOK=$("$MAKE" "$SECRET" unsub acme reader1@remote.example news)
OTHER=$PW_TMP/other.secret
pw_secret_file "$OTHER"
FORGED=$("$MAKE" "$OTHER" unsub acme reader2@remote.example news)
post() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    -d List-Unsubscribe=One-Click "$URL/u/$1"
}
pw_is "a one-click POST: 200" "$(post "$TOK")" 200
pw_is "a forged token: 404" "$(post "$FORGED")" 404
curl -s -o /dev/null --max-time 5 "$URL/u/$TOK"	# a GET: not counted
scrape
pw_is "unsubscribes{recorded} 1" \
    "$(val 'postwarden_unsubscribes_total{result="recorded"}')" 1
pw_is "unsubscribes{invalid_token} 1" \
    "$(val 'postwarden_unsubscribes_total{result="invalid_token"}')" 1

# --- Redis stopped ---------------------------------------------------------------------
out0=$(val 'postwarden_redis_outages_total{}')
fm0=$(val 'postwarden_policy_fail_mode_total{action="defer"}')
pw_is "Redis up: postwarden_redis_up 1" "$(val 'postwarden_redis_up{}')" 1
pw__stop_pid redis
pw_wait_until "/readyz to say 503" "$PW_TIMEOUT" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")" = 503
case $(rcpt k3 i20 r20@remote.example) in
4*) pw_ok "Redis stopped: a new key's RCPT is deferred (fail mode)" ;;
*) pw_not_ok "Redis stopped: a new key's RCPT is deferred (fail mode)" ;;
esac
scrape
pw_is "postwarden_redis_up 0" "$(val 'postwarden_redis_up{}')" 0
pw_is "one outage counted" "$(($(val 'postwarden_redis_outages_total{}') - out0))" 1
pw_is "fail_mode{defer} moved by 1" \
    "$(($(val 'postwarden_policy_fail_mode_total{action="defer"}') - fm0))" 1
pw_is "decisions{rcpt,fail,defer} 1" \
    "$(val 'postwarden_policy_decisions_total{action="defer",rule="fail",state="rcpt"}')" 1
pw_redis_start
pw_wait_until "/readyz to say 200" "$PW_TIMEOUT" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")" = 200
scrape
pw_is "Redis back: postwarden_redis_up 1, still one outage" \
    "$(val 'postwarden_redis_up{}') $(($(val 'postwarden_redis_outages_total{}') - out0))" "1 1"

# --- per tenant --------------------------------------------------------------------
# The restarted Redis is empty: the keys again.
pd_key k1 acme
pd_key k3 beta
pd_key k4 gamma
echo "metrics_per_tenant = yes" >>"$CONF"
kill -HUP "${PW_PIDS[policyd]}"
pw_wait_log "$LOG" 'reloaded configuration'
rcpt k1 i30 r30@remote.example >/dev/null
rcpt k3 i31 r31@remote.example >/dev/null
rcpt k4 i32 r32@remote.example >/dev/null	# a third tenant: beyond the limit
scrape
pw_is "metrics_per_tenant = yes: acme and beta counted" \
    "$(val 'postwarden_tenant_policy_requests_total{tenant="acme"}') $(val 'postwarden_tenant_policy_requests_total{tenant="beta"}')" "1 1"
pw_is "gamma, the third tenant, beyond metrics_tenant_limit = 2: none" \
    "$(grep -c 'tenant="gamma"' "$PW_TMP/m")" 0
pw_is "and counted as a dropped series" \
    "$(val 'postwarden_metrics_series_dropped_total{metric="postwarden_tenant_policy_requests_total"}')" 1
