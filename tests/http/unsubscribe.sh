#!/bin/bash
# tests/http/unsubscribe.sh -- RFC 8058 one-click unsubscribe served by
# postwarden-policyd (http/http_unsub.c), with curl against the real
# daemon and a real redis-server; tokens made by tests/cli/track_make as
# the milter makes them:
#
#   - GET of a link: 200, an HTML page whose form POSTs
#     List-Unsubscribe=One-Click; nothing written;
#   - POST with List-Unsubscribe=One-Click (urlencoded, or multipart):
#     200, plain, no redirect, no cookie; the recipient is in the
#     tenant's suppression hash as `postwarden unsubscribe` writes it
#     (unsubscribe|one-click|TIME|0); again: 200, entry unchanged;
#   - a POST without the form, a forged token (another secret), a
#     truncated one, one with characters outside the alphabet, one of a
#     tenant that does not exist: 4xx, nothing written, logged once;
#     other methods 405;
#   - a client that gives up while Redis is slow: the late answer goes
#     nowhere, the daemon lives on, the suppression is recorded;
#   - Redis stopped: 503 with Retry-After, nothing written; Redis back:
#     the same POST records it.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

MAKE=$PW_BUILDDIR/tests/cli/track_make

[ "$(id -u)" -eq 0 ] || pw_skip_all "needs root (the daemon drops to nobody)"
command -v redis-server >/dev/null || pw_skip_all "redis-server not installed"
command -v curl >/dev/null || pw_skip_all "curl not installed"
[ -x "$MAKE" ] || pw_skip_all "$MAKE not built"
pw_harness_init
pw_plan 37

SECRET=$PW_TMP/tracking.secret
pw_secret_file "$SECRET"
OTHER=$PW_TMP/other.secret
pw_secret_file "$OTHER"
PORT=$(pw_free_port)
URL=http://127.0.0.1:$PORT
LOG=$PW_TMP/policyd.log
R() { pw_redis_cli "$@"; }
tenant() {
	R HSET "pw:{$1}:tenant" status active >/dev/null
	R SADD pw:tenants "$1" >/dev/null
}
pw_redis_start
tenant acme
pw_daemon_start policyd "http_listen = inet:127.0.0.1:$PORT" \
    "tracking_secret_file = $SECRET" "redis_reconnect_max_delay = 100ms" \
    "redis_command_timeout = 3s"

# token TENANT RECIPIENT [SECRET]: a link's token, stream news
token() { "$MAKE" "${3:-$SECRET}" unsub "$1" "$2" news; }
# code METHOD TOKEN [CURL ARGS...]: the status code
code() {
	local m=$1 t=$2
	shift 2
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X "$m" "$@" \
	    "$URL/u/$t"
}
post() { code POST "$1" -d List-Unsubscribe=One-Click; }
supp() { R HGET "pw:{${2:-acme}}:supp" "$1"; }
pw_wait_until "the HTTP service" "$PW_TIMEOUT" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200 ||
    pw_bail "no HTTP service"

T1=$(token acme reader1@remote.example)
T2=$(token acme reader2@remote.example)
T3=$(token acme reader3@remote.example)
[ -n "$T1" ] && [ -n "$T2" ] && [ -n "$T3" ] || pw_bail "track_make"

# --- GET never unsubscribes -----------------------------------------------------------
page=$(curl -s -D "$PW_TMP/get.h" --max-time 5 "$URL/u/$T1")
pw_is "GET: 200" "$(head -1 "$PW_TMP/get.h" | tr -d '\r')" "HTTP/1.1 200 OK"
pw_check "an HTML page" grep -qi '^Content-Type: text/html' "$PW_TMP/get.h"
pw_check "whose form POSTs List-Unsubscribe=One-Click" \
    grep -q '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">' <<<"$page"
pw_check "the page does not show the address" \
    bash -c '! grep -q reader1 <<<"$1"' _ "$page"
pw_is "GET wrote nothing" "$(supp reader1@remote.example)" ""
pw_is "HEAD: 200, nothing written" \
    "$(code HEAD "$T1" -I)$(supp reader1@remote.example)" 200

# --- POST ------------------------------------------------------------------------------
out=$(curl -s -D "$PW_TMP/post.h" --max-time 5 -d List-Unsubscribe=One-Click "$URL/u/$T1")
pw_is "POST: 200" "$(head -1 "$PW_TMP/post.h" | tr -d '\r')" "HTTP/1.1 200 OK"
pw_is "a short plain body" "$out" unsubscribed
pw_check "no redirect, no cookie" \
    bash -c '! grep -qi "^Location\|^Set-Cookie\|^Refresh" "$1"' _ "$PW_TMP/post.h"
v1=$(supp reader1@remote.example)
pw_check "recorded as postwarden unsubscribe does ($v1)" \
    grep -qE '^unsubscribe\|one-click\|[0-9]+\|0$' <<<"$v1"
pw_is "POST again: 200" "$(post "$T1")" 200
pw_is "the entry is unchanged" "$(supp reader1@remote.example)" "$v1"
pw_is "multipart/form-data: 200" \
    "$(code POST "$T2" -F List-Unsubscribe=One-Click)" 200
pw_check "recorded" grep -q '^unsubscribe|one-click|' <<<"$(supp reader2@remote.example)"

# --- refused: nothing written ------------------------------------------------------------
pw_is "POST without the form: 400" "$(code POST "$T3" -d x=y)" 400
pw_is "POST List-Unsubscribe=No: 400" \
    "$(code POST "$T3" -d List-Unsubscribe=No)" 400
pw_is "POST as text/plain: 400" \
    "$(code POST "$T3" -H 'Content-Type: text/plain' -d List-Unsubscribe=One-Click)" 400
pw_is "PUT: 405" "$(code PUT "$T3" -d List-Unsubscribe=One-Click)" 405
pw_is "nothing written for reader3" "$(supp reader3@remote.example)" ""
FORGED=$(token acme reader3@remote.example "$OTHER")
n0=$(grep -c 'unsubscribe refused' "$LOG")
pw_is "a token of another secret: 404" "$(post "$FORGED")" 404
pw_is "logged once" "$(($(grep -c 'unsubscribe refused: forged or expired' "$LOG") - n0))" 1
pw_is "a truncated token: 4xx" "$(post "${T3:0:40}" | cut -c1)" 4
pw_is "a token with a character changed: 404" \
    "$(post "${T3:0:20}$([ "${T3:20:1}" = A ] && echo B || echo A)${T3:21}")" 404
pw_is "characters outside the alphabet: 400" "$(post "${T3}%2F..")" 400
pw_is "nothing written for reader3 by any of them" \
    "$(supp reader3@remote.example)" ""
pw_check "the log never shows a token or the address" \
    bash -c '! grep -q -e "$1" -e reader3 "$2"' _ "${T3:0:30}" "$LOG"
TX=$(token ghost reader1@remote.example)
pw_is "a tenant that does not exist: 404" "$(post "$TX")" 404
pw_is "nothing written for it" "$(R EXISTS 'pw:{ghost}:supp')" 0

# --- a client gone while Redis is slow --------------------------------------------------
T4=$(token acme reader4@remote.example)
kill -STOP "${PW_PIDS[redis]}"
c=$(code POST "$T4" -d List-Unsubscribe=One-Click --max-time 0.5)
kill -CONT "${PW_PIDS[redis]}"
pw_is "a client that gives up while Redis is stopped gets nothing" "$c" 000
pw_wait_until "the late script to run" "$PW_TIMEOUT" \
    test -n "$(supp reader4@remote.example)"
pw_check "recorded all the same" grep -q '^unsubscribe|one-click|' <<<"$(supp reader4@remote.example)"
pw_is "the daemon lives on" "$(post "$T4")" 200

# --- Redis down ---------------------------------------------------------------------------
pw__stop_pid redis
pw_wait_until "/readyz to say 503" "$PW_TIMEOUT" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")" = 503
curl -s -D "$PW_TMP/down.h" -o /dev/null --max-time 5 \
    -d List-Unsubscribe=One-Click "$URL/u/$T3"
pw_is "Redis stopped: 503" "$(head -1 "$PW_TMP/down.h" | cut -d' ' -f2)" 503
pw_check "with Retry-After" grep -qi '^Retry-After: [0-9]' "$PW_TMP/down.h"
pw_check "logged as not recorded" grep -q 'http: unsubscribe not recorded' "$LOG"
pw_redis_start
pw_is "nothing was written meanwhile" "$(supp reader3@remote.example)" ""
tenant acme
pw_wait_until "/readyz to say 200" "$PW_TIMEOUT" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")" = 200
pw_is "Redis back: the same POST records it" "$(post "$T3")" 200
pw_check "recorded" grep -q '^unsubscribe|one-click|' <<<"$(supp reader3@remote.example)"
