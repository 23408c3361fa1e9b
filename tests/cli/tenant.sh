#!/bin/bash
# tests/cli/tenant.sh -- postwarden tenant add|show|list|set|suspend|
# disable|enable: the records of docs/redis-schema.md, the copy of the
# global suppression list into a new tenant, a tenant whose add was
# interrupted, and the milter's settings (--pool, --stream-pool,
# --geo-pool, ..., --dkim-domain): stored as milter/milter_tenant.c
# reads them, map entries edited one at a time, bad values refused
# (exit 64), '' removing a field, pools checked against milter_pools.

. "$PW_SRCDIR/tests/cli/common.sh"
cli_start
pw_plan 101

rcli HSET pw:supp:global 'g@example.net' 'complaint|import|100|0' \
    '@gone.example' 'bounce|cli|100|0' 'old@example.net' 'bounce|cli|100|200' \
    >/dev/null

rcli DEL pw:store >/dev/null	# a store postwarden has not written to yet
cli_rc "add: exit 0" 0 tenant add acme --quota-month 1000000 --rate 10/s \
    --max-recipients 50 --description "Acme Corp"
cli_like "add: says how many global entries it copied" \
    "^tenant acme added \(2 global suppressions copied\)$" "$OUT"
trec() { rcli HGET 'pw:{acme}:tenant' "$1"; }
pw_is "add: record" "$(trec status) $(trec quota_month) $(trec rate) $(
    trec rate_period) $(trec max_recipients)" \
    "active 1000000 10 1 50"
pw_is "add: description" "$(trec description)" "Acme Corp"
pw_is "add: listed" "$(rcli SMEMBERS pw:tenants)" acme
pw_is "add: the store marker is written (postwarden-policyd(8))" \
    "$(rcli EXISTS pw:store)" 1
pw_is "add: global copy, source global" \
    "$(rcli HGET 'pw:{acme}:supp' g@example.net)" "complaint|global|100|0"
pw_is "add: domain entry copied" \
    "$(rcli HGET 'pw:{acme}:supp' @gone.example)" "bounce|global|100|0"
pw_is "add: expired global entry not copied" \
    "$(rcli HEXISTS 'pw:{acme}:supp' old@example.net)" 0
cli_rc "add again: exit 3" 3 tenant add acme
cli_rc "add with --countries: exit 64 (keys only)" 64 tenant add other \
    --countries FR
cli_rc "add bad name: exit 64" 64 tenant add Acme
cli_like "bad name: says what is expected" "bad tenant name 'Acme'" "$ERR"

# show
rcli HSET 'pw:{acme}:key:k1' status active >/dev/null
rcli SADD 'pw:{acme}:keys' k1 >/dev/null
cli_rc "show: exit 0" 0 tenant show acme
cli_like "show: quota_month" "^quota_month +1000000$" "$OUT"
cli_like "show: keys" "^keys +1$" "$OUT"
cli_like "show: suppressions" "^suppressions +2$" "$OUT"
cli_like "show: no stream suppressions" "^stream_suppressions +0$" "$OUT"
pwcli suppress add a@example.net --tenant acme --stream news
pwcli suppress add b@example.net --tenant acme --stream offers
pwcli suppress add @c.example --tenant acme --bulk
cli_rc "show with stream suppressions: exit 0" 0 tenant show acme
cli_like "show: stream suppressions, every stream and bulk" \
    "^stream_suppressions +3$" "$OUT"
cli_like "show: the tenant-wide count unchanged" "^suppressions +2$" "$OUT"
cli_rc "show --json: exit 0" 0 --json tenant show acme
pw_is "show --json" \
    "$(cli_json '[j["tenant"], j["rate"], j["rate_period"], j["quota_day"],
	j["keys"], j["suppressions"], j["description"]]')" \
    "['acme', 10, 1, None, 1, 2, 'Acme Corp']"
cli_rc "show unknown: exit 1" 1 tenant show nope

# set and status
cli_rc "set: exit 0" 0 tenant set acme --quota-day 5000 --rate none
pw_is "set: quota_day set, rate removed" \
    "$(trec quota_day)/$(trec rate)/$(trec rate_period)" "5000//"
cli_rc "set --status suspended: exit 0" 0 tenant set acme --status suspended
pw_is "set --status" "$(trec status)" suspended
cli_rc "enable: exit 0" 0 tenant enable acme
pw_is "enable" "$(trec status)" active
cli_rc "disable unknown: exit 1" 1 tenant disable nope
pw_is "disable unknown: no record created" "$(rcli EXISTS 'pw:{nope}:tenant')" 0

# An add interrupted after step 1: listed, no record.
rcli SADD pw:tenants half >/dev/null
pwcli tenant list
cli_like "list: a listed tenant without record" "^half +\(no record\)" "$OUT"
cli_rc "add completes it: exit 0" 0 tenant add half
cli_rc "list --json: exit 0" 0 tenant list --json
pw_is "list --json: tenants and statuses" \
    "$(cli_json '[(t["tenant"], t["status"], t["keys"]) for t in j]')" \
    "[('acme', 'active', 1), ('half', 'active', 0)]"

# --- the milter's settings ------------------------------------------------

printf 'milter_pools = a b asia latam\nmilter_default_pool = a\n' >>"$CLI_CONF"
srec() { rcli HGET 'pw:{shop}:tenant' "$1"; }
cli_rc "add with settings: exit 0" 0 tenant add shop --pool a \
    --stream-pool bulk=b --stream-pool news=b --geo-pool cn=asia \
    --geo-pool RU=zz --streams 'transactional, bulk news' \
    --default-stream news --bulk-streams bulk,news \
    --unsubscribe-url https://unsub.example.com/u/ \
    --unsubscribe-mailto Unsub@Lists.Example.com \
    --bounce-local VERP \
    --quota-day 100
pw_is "add: settings stored as the milter reads them" \
    "$(srec pool)|$(srec stream_pools)|$(srec geo_pools)|$(srec streams)|$(
    srec default_stream)|$(srec bulk_streams)|$(srec quota_day)" \
    "a|bulk=b,news=b|CN=asia,RU=zz|transactional,bulk,news|news|bulk,news|100"
pw_is "add: addresses and domains" \
    "$(srec unsubscribe_url)|$(srec unsubscribe_mailto)|$(
    srec bounce_domain)|$(srec bounce_local)|$(srec dkim_domain)" \
    "https://unsub.example.com/u/|unsub@lists.example.com||verp|"
cli_like "add: a pool not in milter_pools is a warning" \
    "^postwarden: warning: pool zz is not in milter_pools" "$ERR"
# --dkim-domain and --bounce-domain name a domain of the tenant's own
# (tests/cli/domain.sh).
pwcli domain add shop shop.example --subdomains
cli_rc "set --dkim-domain of its own domain: exit 0" 0 tenant set shop \
    --dkim-domain shop.example
pw_is "set: dkim_domain stored" "$(srec dkim_domain)" shop.example
cli_rc "set --bounce-domain under its own domain: exit 0" 0 tenant set shop \
    --bounce-domain Bounces.Shop.Example
pw_is "set: bounce_domain stored lower-cased" "$(srec bounce_domain)" \
    bounces.shop.example
cli_rc "set --unsubscribe-scope bulk: exit 0" 0 tenant set shop \
    --unsubscribe-scope bulk
pw_is "set: unsubscribe_scope stored" "$(srec unsubscribe_scope)" bulk
cli_rc "set --unsubscribe-scope all: exit 64" 64 tenant set shop \
    --unsubscribe-scope all
cli_like "... says what is expected" "stream .* or bulk" "$ERR"
cli_rc "set --unsubscribe-scope '': exit 0" 0 tenant set shop \
    --unsubscribe-scope ''
pw_is "... removed: the default (stream) applies" \
    "$(rcli HEXISTS 'pw:{shop}:tenant' unsubscribe_scope)" 0

cli_rc "show: exit 0" 0 tenant show shop
cli_like "show: pool" "^pool +a$" "$OUT"
cli_like "show: geo_pools" "^geo_pools +CN=asia,RU=zz$" "$OUT"
cli_like "show: dkim_domain" "^dkim_domain +shop.example$" "$OUT"
cli_rc "show --json: exit 0" 0 tenant show shop --json
pw_is "show --json: maps as objects, lists as arrays" \
    "$(cli_json '[j["pool"], j["stream_pools"], j["geo_pools"], j["streams"],
	j["bulk_streams"], j["bounce_local"]]')" \
    "['a', {'bulk': 'b', 'news': 'b'}, {'CN': 'asia', 'RU': 'zz'}, ['transactional', 'bulk', 'news'], ['bulk', 'news'], 'verp']"
cli_rc "show acme (no settings): exit 0" 0 tenant show acme --json
pw_is "show --json: settings not set are absent" \
    "$(cli_json '[k for k in ("pool", "streams", "dkim_domain") if k in j]')" \
    "[]"
pwcli tenant show acme
pw_is "show: settings not set are not listed" \
    "$(printf '%s\n' "$OUT" | grep -cE '^(pool|streams|bounce_local) ')" 0

# Map edits: one entry at a time, in order.
cli_rc "set: map edits: exit 0" 0 tenant set shop --stream-pool news= \
    --stream-pool transactional=a --stream-pool bulk=latam \
    --geo-pool ru= --geo-pool de=b
pw_is "set: entries replaced, removed, added" \
    "$(srec stream_pools)|$(srec geo_pools)" \
    "bulk=latam,transactional=a|CN=asia,DE=b"
pw_is "set: other settings kept" "$(srec pool)/$(srec streams)" \
    "a/transactional,bulk,news"
cli_rc "set: '' replaces a whole map: exit 0" 0 tenant set shop \
    --geo-pool '' --geo-pool br=latam
pw_is "set: map replaced" "$(srec geo_pools)" "BR=latam"
cli_rc "set: the last entry removed: exit 0" 0 tenant set shop \
    --geo-pool BR=
pw_is "set: empty map removed" "$(rcli HEXISTS 'pw:{shop}:tenant' geo_pools)" 0
cli_rc "set: '' removes a field: exit 0" 0 tenant set shop --pool '' \
    --dkim-domain '' --bounce-local ''
pw_is "set: fields removed" "$(rcli HMGET 'pw:{shop}:tenant' pool \
    dkim_domain bounce_local | tr -d '\n')" ""
cli_rc "set: settings with limits: exit 0" 0 tenant set shop --pool b \
    --quota-day none --rate 5/s
pw_is "set: settings and limits in one step" \
    "$(srec pool)/$(srec quota_day)/$(srec rate)" "b//5"
cli_rc "set --json: exit 0" 0 tenant set shop --bounce-local bounces --json
pw_is "set --json: the record as it is" "$(cli_json 'j["bounce_local"]')" \
    bounces

# streams and default_stream must agree.
cli_rc "--default-stream not in streams: exit 64" 64 tenant set shop \
    --default-stream promo
cli_like "--default-stream: says why" "is not one of the tenant's streams" \
    "$ERR"
cli_rc "--streams without the default stream: exit 64" 64 tenant set shop \
    --streams a,b
cli_like "--streams: says what to do" "give --default-stream too" "$ERR"
pw_is "refused: nothing written" "$(srec streams)/$(srec default_stream)" \
    "transactional,bulk,news/news"
cli_rc "--streams with --default-stream: exit 0" 0 tenant set shop \
    --streams promo,news --default-stream promo
pw_is "streams and default_stream" "$(srec streams)/$(srec default_stream)" \
    "promo,news/promo"
cli_rc "--streams '' (the default) and --default-stream '': exit 0" 0 \
    tenant set shop --streams '' --default-stream ''
pw_is "both removed" "$(rcli HEXISTS 'pw:{shop}:tenant' streams)$(
    rcli HEXISTS 'pw:{shop}:tenant' default_stream)" "00"
cli_rc "add: --default-stream not in the default streams: exit 64" 64 \
    tenant add shop2 --default-stream news
pw_is "add refused: no tenant" "$(rcli EXISTS 'pw:{shop2}:tenant')" 0

# Bad values: exit 64, nothing written.
bad=
while IFS='|' read -r opt val; do
	pwcli tenant set shop "$opt" "$val"
	if [ "$RC" != 64 ] || ! printf '%s' "$ERR" | grep -q -- "^postwarden: $opt: expected"; then
		bad="$bad [$opt $val: exit $RC: $ERR]"
	fi
done <<'EOF2'
--pool|Pool
--pool|aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
--stream-pool|bulk
--stream-pool|Bulk=a
--stream-pool|bulk=a b
--geo-pool|CHN=asia
--geo-pool|C1=asia
--geo-pool|=asia
--streams|a,a
--streams|a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q
--streams| , 
--default-stream|Promo
--bulk-streams|bulk!
--unsubscribe-url|http://unsub.example.com/u/
--unsubscribe-url|https://unsub.example.com/u/a,b
--unsubscribe-url|https://unsub.example.com/<u>
--unsubscribe-url|https:///u/
--unsubscribe-mailto|@example.com
--unsubscribe-mailto|mailto:u@example.com
--unsubscribe-mailto|u@-example.com
--bounce-domain|-bounce.example
--bounce-domain|bounce..example
--bounce-domain|b_ounce.example
--bounce-local|bounce+x
--bounce-local|bbbbbbbbbbbbbbbb
--bounce-local|.bounce
--dkim-domain|a..example
EOF2
pw_is "bad values: exit 64 with what is expected" "$bad" ""
cli_rc "good edge values: exit 0" 0 tenant set shop \
    --pool aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \
    --bounce-local bbbbbbbbbbbbbbb --streams a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p \
    --default-stream p
pw_is "good edge values stored" "$(srec bounce_local)/$(srec default_stream)" \
    "bbbbbbbbbbbbbbb/p"

# 64 geo rules fit, a 65th does not.
geo=()
for a in A B C; do
	for b in A B C D E F G H I J K L M N O P Q R S T U V W X Y Z; do
		[ ${#geo[@]} -lt 128 ] && geo+=(--geo-pool "$a$b=asia")
	done
done
cli_rc "64 geo rules: exit 0" 0 tenant set shop "${geo[@]}"
pw_is "64 geo rules stored" \
    "$(srec geo_pools | tr ',' '\n' | wc -l | tr -d ' ')" 64
cli_rc "a 65th geo rule: exit 64" 64 tenant set shop --geo-pool ZZ=asia
cli_like "a 65th geo rule: says why" "more than 64 entries" "$ERR"
cli_rc "replacing one of 64: exit 0" 0 tenant set shop --geo-pool AA=b

# A malformed map in Redis (redis-cli) is not edited blindly.
rcli HSET 'pw:{shop}:tenant' stream_pools 'bulk:b' >/dev/null
cli_rc "edit of a malformed map: exit 2" 2 tenant set shop \
    --stream-pool news=a
cli_like "malformed map: says how to replace it" \
    "stream_pools in Redis: not a list of STREAM=POOL .*; replace it: --stream-pool ''" \
    "$ERR"
rcli HSET 'pw:{shop}:tenant' stream_pools 'bulk=a,bulk=b' >/dev/null
cli_rc "edit of a map naming a stream twice (the milter ignores it): exit 2" \
    2 tenant set shop --stream-pool news=a
cli_like "map naming a stream twice: says so" \
    "stream_pools in Redis: a stream or country is named twice" "$ERR"
pw_is "map naming a stream twice: nothing written" "$(srec stream_pools)" \
    "bulk=a,bulk=b"
cli_rc "replacing a malformed map: exit 0" 0 tenant set shop \
    --stream-pool '' --stream-pool news=a
pw_is "malformed map replaced" "$(srec stream_pools)" "news=a"

cli_rc "settings of an unknown tenant: exit 1" 1 tenant set nope --pool a
pw_is "unknown tenant: no record created" \
    "$(rcli EXISTS 'pw:{nope}:tenant')" 0
cli_rc "settings do not apply to show: exit 64" 64 tenant show shop --pool a
