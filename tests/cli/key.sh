#!/bin/bash
# tests/cli/key.sh -- postwarden key add|show|list|set|suspend|disable|
# enable|delete: the Redis keys of docs/redis-schema.md, human and JSON
# output, exit codes, and the two-step add/delete (directory entry last
# on add, first on delete).

. "$PW_SRCDIR/tests/cli/common.sh"
cli_start
pw_plan 54

rcli HSET 'pw:{acme}:tenant' status active created 1 >/dev/null
rcli SADD pw:tenants acme >/dev/null

# add
cli_rc "add: exit 0" 0 key add k_live_acme1 --tenant acme \
    --quota-hour 1000 --quota-day 50000 --rate 100/s --burst 50 \
    --max-size 25M --max-recipients 100 --countries fr,de \
    --description "main key"
pw_is "add: says so" "$OUT" "key k_live_acme1 (tenant acme) added"
pw_is "add: directory entry" "$(rcli HGET pw:key:k_live_acme1 tenant)" acme
pw_is "add: directory holds only tenant" \
    "$(rcli HLEN pw:key:k_live_acme1)" 1
pw_is "add: in the tenant's key set" \
    "$(rcli SISMEMBER 'pw:{acme}:keys' k_live_acme1)" 1
rec() { rcli HGET 'pw:{acme}:key:k_live_acme1' "$1"; }
pw_is "add: status active" "$(rec status)" active
pw_is "add: rate and period" "$(rec rate) $(rec rate_period)" "100 1"
pw_is "add: burst, quotas" "$(rec burst) $(rec quota_hour) $(rec quota_day)" \
    "50 1000 50000"
pw_is "add: max_size in bytes" "$(rec max_size)" 26214400
pw_is "add: max_recipients" "$(rec max_recipients)" 100
pw_is "add: countries upper-cased" "$(rec countries)" FR,DE
pw_is "add: description" "$(rec description)" "main key"
created=$(rec created)
pw_check "add: created is now" [ $((created - $(date +%s))) -le 1 ]

cli_rc "add again: exit 3 (exists)" 3 key add k_live_acme1 --tenant acme
cli_like "add again: says which tenant" "exists already \(tenant acme\)" "$ERR"
cli_rc "add to an unknown tenant: exit 1" 1 key add k2 --tenant nope
cli_like "unknown tenant: named" "unknown tenant: nope" "$ERR"
pw_is "unknown tenant: nothing written" \
    "$(rcli EXISTS pw:key:k2 'pw:{nope}:key:k2' 'pw:{nope}:keys')" 0
cli_rc "add without --tenant: exit 64" 64 key add k3

# show
cli_rc "show: exit 0" 0 key show k_live_acme1
cli_like "show: quota_day" "^quota_day +50000$" "$OUT"
cli_like "show: rate" "^rate +100/s$" "$OUT"
cli_like "show: max_size" "^max_size +25M$" "$OUT"
cli_rc "show --json: exit 0" 0 key show k_live_acme1 --json
pw_is "show --json: values" \
    "$(cli_json '[j["tenant"], j["quota_day"], j["max_size"],
	j["countries"], j["quota_month"]]')" \
    "['acme', 50000, 26214400, ['FR', 'DE'], None]"
cli_rc "show unknown key: exit 1" 1 key show k_nobody

# set
cli_rc "set: exit 0" 0 key set k_live_acme1 --quota-day none --rate 6000/m \
    --max-size 0
pw_is "set: none and 0 remove limits" \
    "$(rcli HMGET 'pw:{acme}:key:k_live_acme1' quota_day max_size |
	tr '\n' ' ')" \
    "  "
pw_is "set: per-minute rate" "$(rec rate)/$(rec rate_period)" 6000/60
cli_rc "set nothing: exit 64" 64 key set k_live_acme1

# status
cli_rc "suspend: exit 0" 0 key suspend k_live_acme1
pw_is "suspend: status" "$(rec status)" suspended
cli_rc "disable: exit 0" 0 key disable k_live_acme1
pw_is "disable: status" "$(rec status)" disabled
cli_rc "enable --json: exit 0" 0 --json key enable k_live_acme1
pw_is "enable: status in the JSON answer" "$(cli_json 'j["status"]')" active

# list
rcli HSET 'pw:{beta}:tenant' status active >/dev/null
rcli SADD pw:tenants beta >/dev/null
pwcli key add k_beta --tenant beta
cli_rc "list: exit 0" 0 key list
pw_is "list: header and keys of every tenant, sorted" \
    "$(printf '%s\n' "$OUT" | awk '{ print $1 "/" $2 }' | tr '\n' ' ')" \
    "KEY/TENANT k_live_acme1/acme k_beta/beta "
cli_rc "list --tenant --json: exit 0" 0 key list --tenant beta --json
pw_is "list --json: one key" "$(cli_json '[k["key"] for k in j]')" \
    "['k_beta']"

# delete, and a record an interrupted add left behind
cli_rc "delete: exit 0" 0 key delete k_beta
pw_is "delete: directory, record and set member gone" \
    "$(rcli EXISTS pw:key:k_beta 'pw:{beta}:key:k_beta') $(
	rcli SCARD 'pw:{beta}:keys')" \
    "0 0"
cli_rc "delete unknown: exit 1" 1 key delete k_beta
rcli HSET 'pw:{beta}:key:k_half' status active >/dev/null
rcli SADD 'pw:{beta}:keys' k_half >/dev/null
cli_rc "leftover record: delete --tenant removes it" 0 \
    key delete k_half --tenant beta

# An add interrupted before its directory entry: add refuses to replace
# the record, delete --tenant removes it, then add works.
rcli HSET 'pw:{acme}:key:k_orphan' status disabled junk 1 >/dev/null
cli_rc "orphan record: add refuses, exit 3" 3 key add k_orphan --tenant acme
cli_like "orphan record: says how to remove it" \
    "exists without directory entry .* key delete k_orphan --tenant acme" \
    "$ERR"
pw_is "orphan record: untouched, no directory entry" \
    "$(rcli HGET 'pw:{acme}:key:k_orphan' status)$(
	rcli EXISTS pw:key:k_orphan)" \
    disabled0
pwcli key delete k_orphan --tenant acme
cli_rc "orphan record: add after delete succeeds" 0 key add k_orphan \
    --tenant acme
pw_is "orphan record: new record, directory written" \
    "$(rcli HGET 'pw:{acme}:key:k_orphan' status)/$(
	rcli HEXISTS 'pw:{acme}:key:k_orphan' junk)/$(
	rcli HGET pw:key:k_orphan tenant)" \
    "active/0/acme"

# Text written by hand into Redis is escaped: valid JSON, a safe terminal.
rcli HSET 'pw:{acme}:key:k_orphan' description \
    "$(printf 'say "hi"\\\n\001\377 caf\303\251 \302\205')" >/dev/null
cli_rc "hostile description: --json exit 0" 0 key show k_orphan --json
pw_is "hostile description: valid JSON, escaped" \
    "$(cli_json 'ascii(j["description"])')" \
    "'say \"hi\"\\\\\\n\\x01\\ufffd caf\\xe9 \\x85'"
cli_like "hostile description: a C1 control is \\u0085 in the JSON text" \
    'café \\u0085"' "$OUT"
cli_rc "hostile description: table exit 0" 0 key show k_orphan
cli_like "hostile description: control bytes shown as \\xNN" \
    '^description +say "hi"\\\\\\x0a\\x01\\xff café \\xc2\\x85$' "$OUT"
