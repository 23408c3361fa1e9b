#!/bin/bash
# tests/cli/gen.sh -- pw:{T}:gen, the generation of what a policy
# decision reads of a tenant (docs/redis-schema.md): every change of the
# tenant record, of a key record and of pw:{T}:domains that postwarden
# makes increments it in the same step; what no decision reads (a key's
# secrets, a record left as it was) does not; tenant delete increments
# it and leaves it.  A first generation starts from the clock.

. "$PW_SRCDIR/tests/cli/common.sh"
cli_start

G='pw:{acme}:gen'
gen() { rcli GET "$G"; }
# step NAME WANT-INCREMENT postwarden-args...
step() {
	local name=$1 inc=$2 before after
	shift 2
	before=$(gen)
	pwcli "$@"
	after=$(gen)
	pw_is "$name: exit 0, generation +$inc" "$RC $(( ${after:-0} - \
	    ${before:-0} ))" "0 $inc"
}

cli_rc "tenant add: exit 0" 0 tenant add acme --quota-day 100
pw_check "tenant add: a generation from the clock (microseconds)" \
    [ "$(gen)" -gt "$(( $(date +%s) - 60 ))000000" ]
first=$(gen)
step "tenant set (a limit)" 1 tenant set acme --quota-day 50
step "tenant set (a milter setting)" 1 tenant set acme --pool a
step "tenant suspend" 1 tenant suspend acme
step "tenant enable" 1 tenant enable acme
step "key add" 1 key add k_gen1 --tenant acme --rate 10/s
step "key set" 1 key set k_gen1 --quota-day 5
step "key suspend" 1 key suspend k_gen1
step "domain add" 1 domain add acme acme.example
step "domain add again, as it was" 0 domain add acme acme.example
step "domain add --subdomains (scope changed)" 1 domain add acme \
    acme.example --subdomains
step "domain remove" 1 domain remove acme.example
step "key delete" 1 key delete k_gen1
step "tenant delete" 1 tenant delete acme
pw_is "tenant delete: the generation stays" "$(rcli EXISTS "$G")" 1
step "tenant add again: counts on" 1 tenant add acme
pw_is "tenant add again: the generation is past the first life's" \
    "$(( $(gen) - first ))" 13

pw_done
