#!/bin/bash
# tests/policyd/records.sh -- postwarden-policyd's copy of the tenant
# and key records (policyd/policyd_records.c) under the tenant's
# generation pw:{T}:gen: with identity_cache_ttl = 1h the records are
# read once, yet a change made with postwarden (tenant suspend, key set,
# domain remove) decides the very next RCPT; a hand edit (redis-cli)
# counts once pw:{T}:gen is incremented, as docs/redis-schema.md says,
# and not before (the cached copy stands); a transaction begun in
# another hour keeps its windows; a Redis emptied meanwhile is noticed
# at once, and a tenant written without a generation gets one from the
# clock at its first change.  Needs redis-server and the daemon; no Postfix.

. "$PW_SRCDIR/tests/cli/common.sh"
. "$PW_SRCDIR/tests/policyd/common.sh"
[ -x "$PW_BUILDDIR/policyd/postwarden-policyd" ] ||
    pw_skip_all "postwarden-policyd not built"
getent passwd nobody >/dev/null || pw_skip_all "no nobody user"
cli_start

pw_daemon_start policyd "socket_group =" "socket_mode = 0666" \
    "identity_cache_ttl = 1h"
pd_session_start "$PW_POLICYD_SOCK"
R() { pw_redis_cli "$@"; }

# rcpt KEY INSTANCE RECIPIENT: one RCPT request; prints the action.
rcpt() {
	pd_ask "$2" protocol_state=RCPT protocol_name=ESMTP \
	    "sasl_username=$1" "instance=$2" "recipient=$3" \
	    recipient_count=0 size=100 client_address=192.0.2.10 \
	    client_name=client.example sender=app@example.com
}
# How many times the records were read (lua/rcpt_read.lua's SET of a
# missing generation aside: every read makes one HGETALL of the tenant).
reads() {
	R INFO commandstats | tr -d '\r' |
	    sed -n 's/^cmdstat_hgetall:calls=\([0-9]*\),.*/\1/p'
}

cli_rc "tenant add" 0 tenant add acme
cli_rc "domain add" 0 domain add acme example.com
cli_rc "key add" 0 key add k1 --tenant acme

pw_is "admitted" "$(rcpt k1 i1 a@example.net)" DUNNO
r0=$(reads)
pw_is "admitted again, the records not read again" \
    "$(rcpt k1 i2 b@example.net) $(( $(reads) - r0 ))" "DUNNO 0"

cli_rc "tenant suspend" 0 tenant suspend acme
pw_is "suspended with postwarden: the very next RCPT is refused" \
    "$(rcpt k1 i3 c@example.net)" \
    "451 4.7.1 Tenant acme is suspended"
cli_rc "tenant enable" 0 tenant enable acme
pw_is "enabled again: admitted at once" "$(rcpt k1 i4 d@example.net)" DUNNO
cli_rc "key set --max-recipients 1" 0 key set k1 --max-recipients 1
rcpt k1 i5 e@example.net >/dev/null
pw_is "a key limit set with postwarden: the next RCPT counts with it" \
    "$(rcpt k1 i5 f@example.net)" \
    "452 4.5.3 Too many recipients in one message for API key k1 (1/1); send the rest in another message"
cli_rc "domain remove" 0 domain remove example.com
pw_is "domain removed with postwarden: the next RCPT is refused" \
    "$(rcpt k1 i6 g@example.net)" \
    "550 5.7.1 Tenant acme has no sending domain; add one with postwarden domain add"
cli_rc "domain add" 0 domain add acme example.com
pw_is "domain added again: admitted" "$(rcpt k1 i7 h@example.net)" DUNNO

# A hand edit: not seen until pw:{T}:gen moves (the copy is 1h fresh).
R HSET 'pw:{acme}:key:k1' status disabled >/dev/null
pw_is "hand edit without INCR pw:{T}:gen: the cached records stand" \
    "$(rcpt k1 i8 i@example.net)" DUNNO
R INCR 'pw:{acme}:gen' >/dev/null
pw_is "... with INCR pw:{T}:gen: the very next RCPT sees it" \
    "$(rcpt k1 i9 j@example.net)" "550 5.7.1 API key k1 is disabled"
R HSET 'pw:{acme}:key:k1' status active >/dev/null
R INCR 'pw:{acme}:gen' >/dev/null
pw_is "... and back" "$(rcpt k1 i10 k@example.net)" DUNNO

# A transaction begun in another hour keeps its windows (the daemon
# passes the names of its own hour; lua/rcpt.lua derives the others).
cli_rc "key add k2 --quota-hour 1" 0 key add k2 --tenant acme --quota-hour 1
now=$(R TIME | head -n 1)
hour=$(date -u -d "@$now" +%Y%m%d%H)
prev=$(date -u -d "@$((now - 3600))" +%Y%m%d%H)
R HSET 'pw:{acme}:txn:iold' key k2 windows "$prev" >/dev/null
R PEXPIRE 'pw:{acme}:txn:iold' 60000 >/dev/null
pw_is "a transaction of the hour before: admitted, reserved in that hour" \
    "$(rcpt k2 iold m@example.net) $(R ZCARD "pw:{acme}:resv:key:k2:h:$prev") $(R ZCARD "pw:{acme}:resv:key:k2:h:$hour")" \
    "DUNNO 1 0"
pw_is "... and a new one in this hour: its own quota" \
    "$(rcpt k2 inew n@example.net) $(R ZCARD "pw:{acme}:resv:key:k2:h:$hour")" \
    "DUNNO 1"
pw_is "... which is then full" "$(rcpt k2 inew2 o@example.net)" \
    "451 4.7.1 Hourly quota of key k2 exhausted (1/1); resets $(date -u -d "@$(( (now / 3600 + 1) * 3600 ))" +%Y-%m-%dT%H:%M:%SZ)"

# The sender's domain: a verdict is kept per domain name (the name
# itself, not a hash that another domain could share), four short names
# and one long one per entry; each other domain is read and decided on
# its own (fails with the verdicts keyed by a hash that collides).
rcpt_from() {
	pd_ask "$2" protocol_state=RCPT protocol_name=ESMTP \
	    "sasl_username=$1" "instance=$2" "recipient=$3" \
	    recipient_count=0 size=100 client_address=192.0.2.10 \
	    client_name=client.example "sender=$4"
}
long=$(printf 'l%.0s' $(seq 60)).example.com	# 72 bytes
cli_rc "domain add --subdomains" 0 domain add acme example.com --subdomains
cli_rc "key add k4" 0 key add k4 --tenant acme
pw_is "sender of an owned domain: admitted" \
    "$(rcpt_from k4 i30 a@example.net app@example.com)" DUNNO
pw_is "... then another domain: refused" \
    "$(rcpt_from k4 i31 b@example.net app@other.example)" \
    "550 5.7.1 Sender domain other.example is not a sending domain of tenant acme"
pw_is "... a long owned subdomain: admitted" \
    "$(rcpt_from k4 i32 c@example.net "app@$long")" DUNNO
pw_is "... another long domain: refused" \
    "$(rcpt_from k4 i33 d@example.net "app@$long.other")" \
    "550 5.7.1 Sender domain $long.other is not a sending domain of tenant acme"
pw_is "... the owned ones again: admitted" \
    "$(rcpt_from k4 i34 e@example.net app@example.com) $(rcpt_from k4 i35 f@example.net "app@$long")" \
    "DUNNO DUNNO"

# Redis emptied (the generation with it): no admission on the old copy.
R FLUSHALL >/dev/null
pw_is "Redis emptied: the cached records are not used" \
    "$(rcpt k1 i11 l@example.net)" \
    "451 4.3.0 Policy service temporarily unavailable (redis: no record of the tenant); try again later"

# A tenant written without a generation (by hand, or by a postwarden
# older than pw:{T}:gen) and changed first with postwarden: that first
# generation comes from the clock too (docs/redis-schema.md), so the
# same steps after Redis lost its data do not give back the generation
# the daemon holds the records of before under (failed: both lives
# counted 1, 2 and the suspended tenant was admitted on the old copy).
R HSET 'pw:{legacy}:tenant' status active >/dev/null
cli_rc "a tenant written by hand: domain add" 0 domain add legacy example.com
cli_rc "... key add" 0 key add k3 --tenant legacy
pw_is "... admitted" "$(rcpt k3 i20 p@example.net)" DUNNO
R FLUSHALL >/dev/null
R HSET 'pw:{legacy}:tenant' status suspended >/dev/null
cli_rc "Redis emptied, the same steps, suspended: domain add" 0 \
    domain add legacy example.com
cli_rc "... key add" 0 key add k3 --tenant legacy
pw_is "... the next RCPT is refused, not decided with the copy of before" \
    "$(rcpt k3 i21 q@example.net)" "451 4.7.1 Tenant legacy is suspended"

pw_done
