#!/bin/bash
# tests/redis/auth_login.sh -- lua/auth_login.lua, the SASL service's one
# login step, run with redis-cli EVAL against a private redis-server:
# every verdict (ok, wrong, throttled, unknown, tenant, key), the failed-
# login counter (incremented, its TTL the window and not pushed back by
# later failures, nothing checked once it reached the limit), the last-
# used time written only by a success, status order as lua/rcpt.lua
# (disabled before suspended, tenant before key, any other value refused).

. "$PW_SRCDIR/tests/harness/harness.sh"
for t in redis-server redis-cli; do
	command -v "$t" >/dev/null 2>&1 || pw_skip_all "$t not installed"
done
pw_harness_init
pw_redis_start

SCRIPT=$(cat "$PW_SRCDIR/lua/auth_login.lua")
T='pw:{acme}:tenant'
K='pw:{acme}:key:k1'
S='pw:{acme}:key:k1:secrets'
F='pw:{acme}:authfail:k1'
H1='v1:0123456789abcdef:aaaa'
H2='v1:0123456789abcdef:bbbb'
NOW=1800000000

# login SID HASH [WINDOW LIMIT]: the two reply lines joined by a space.
login() {
	pw_redis_cli EVAL "$SCRIPT" 4 "$T" "$K" "$S" "$F" "$1" "$2" "$NOW" \
	    "${3:-300}" "${4:-3}" | paste -sd ' '
}

pw_is "no key record: unknown key" "$(login 0011aabb "$H1")" "unknown key"
pw_redis_cli HSET "$K" status active created 1 >/dev/null
pw_is "no tenant record: unknown tenant" "$(login 0011aabb "$H1")" \
    "unknown tenant"
pw_redis_cli HSET "$T" status active created 1 >/dev/null
pw_redis_cli HSET "$S" 0011aabb "$H1" 0011aabb:created 5 \
    22334455 "$H2" 22334455:created 6 >/dev/null
pw_is "unknown key and tenant count no failure" \
    "$(pw_redis_cli EXISTS "$F")" 0

pw_is "right secret: ok" "$(login 0011aabb "$H1")" "ok "
pw_is "ok sets <sid>:used to now" "$(pw_redis_cli HGET "$S" 0011aabb:used)" \
    "$NOW"
pw_is "the other secret's used is not set" \
    "$(pw_redis_cli HEXISTS "$S" 22334455:used)" 0
pw_is "second secret: ok" "$(login 22334455 "$H2")" "ok "
pw_is "a success counts no failure" "$(pw_redis_cli EXISTS "$F")" 0

pw_redis_cli HDEL "$S" 0011aabb:used >/dev/null
pw_is "wrong hash: wrong 1" "$(login 0011aabb "$H2")" "wrong 1"
pw_is "wrong sets no used time" "$(pw_redis_cli HEXISTS "$S" 0011aabb:used)" 0
ttl=$(pw_redis_cli TTL "$F")
pw_check "the counter expires within the window ($ttl)" \
    test "$ttl" -gt 290 -a "$ttl" -le 300
pw_redis_cli EXPIRE "$F" 100 >/dev/null
pw_is "unknown sid: wrong 2" "$(login 99999999 "$H1")" "wrong 2"
pw_is "a later failure keeps the window's expiry (NX)" \
    "$(pw_redis_cli TTL "$F" | awk '{ print ($1 <= 100 && $1 > 90) }')" 1
pw_is "a field that is not a sid is no secret" \
    "$(login 0011aabb:created 5)" "wrong 3"
pw_is "at the limit: throttled with the TTL left" \
    "$(login 0011aabb "$H1" | awk '{ print $1, ($2 <= 100 && $2 > 90) }')" \
    "throttled 1"
pw_is "throttled checks nothing: the counter stays" \
    "$(pw_redis_cli GET "$F")" 3
pw_is "throttled sets no used time" \
    "$(pw_redis_cli HEXISTS "$S" 0011aabb:used)" 0
pw_redis_cli PERSIST "$F" >/dev/null
pw_is "a counter without expiry gets the window" \
    "$(login 0011aabb "$H1" 60 3)" "throttled 60"
pw_is "a higher limit lets the right secret in" \
    "$(login 0011aabb "$H1" 300 10)" "ok "
pw_redis_cli DEL "$F" >/dev/null
pw_redis_cli HDEL "$S" 0011aabb:used >/dev/null

pw_redis_cli HSET "$K" status suspended >/dev/null
pw_is "suspended key, wrong secret: wrong (status not told)" \
    "$(login 0011aabb "$H2")" "wrong 1"
pw_is "suspended key: key suspended" "$(login 0011aabb "$H1")" \
    "key suspended"
pw_redis_cli HSET "$T" status suspended >/dev/null
pw_is "suspended tenant before suspended key" "$(login 0011aabb "$H1")" \
    "tenant suspended"
pw_redis_cli HSET "$K" status disabled >/dev/null
pw_is "disabled key before suspended tenant" "$(login 0011aabb "$H1")" \
    "key disabled"
pw_redis_cli HSET "$T" status disabled >/dev/null
pw_is "disabled tenant first" "$(login 0011aabb "$H1")" "tenant disabled"
pw_redis_cli HSET "$T" status active >/dev/null
pw_redis_cli HSET "$K" status frozen >/dev/null
pw_is "any other status is refused" "$(login 0011aabb "$H1")" "key frozen"
pw_is "refusals by status set no used time" \
    "$(pw_redis_cli HEXISTS "$S" 0011aabb:used)" 0
pw_redis_cli HDEL "$K" status >/dev/null
pw_redis_cli HDEL "$T" status >/dev/null
pw_is "no status field: active" "$(login 0011aabb "$H1")" "ok "
pw_done
