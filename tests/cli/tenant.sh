#!/bin/bash
# tests/cli/tenant.sh -- postwarden tenant add|show|list|set|suspend|
# disable|enable: the records of docs/redis-schema.md, the copy of the
# global suppression list into a new tenant, and a tenant whose add was
# interrupted.

. "$PW_SRCDIR/tests/cli/common.sh"
cli_start
pw_plan 31

rcli HSET pw:supp:global 'g@example.net' 'complaint|import|100|0' \
    '@gone.example' 'bounce|cli|100|0' 'old@example.net' 'bounce|cli|100|200' \
    >/dev/null

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
