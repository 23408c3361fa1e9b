#!/bin/bash
# tests/cli/domain.sh -- postwarden domain add|list|show|remove: the
# three keys of docs/redis-schema.md "Sending domains", one owner per
# domain (a second tenant refused, parent --subdomains and child
# conflicts in both directions), IDN normalisation, human and JSON
# output, exit codes; tenant show and tenant delete with domains;
# tenant set --dkim-domain and --bounce-domain only for a domain the
# tenant owns.

. "$PW_SRCDIR/tests/cli/common.sh"
cli_start
pw_plan 114

pwcli tenant add acme
pwcli tenant add beta

# --- add ---------------------------------------------------------------
cli_rc "add: exit 0" 0 domain add acme Example.COM.
pw_is "add: says so, in normal form" "$OUT" \
    "domain example.com added to tenant acme"
pw_is "add: directory entry" "$(rcli HGET pw:domain:example.com tenant)" acme
pw_is "add: directory holds only tenant" "$(rcli HLEN pw:domain:example.com)" 1
pw_is "add: the tenant's domains: exact" \
    "$(rcli HGET 'pw:{acme}:domains' example.com)" exact
pw_is "add: record subdomains no" \
    "$(rcli HGET 'pw:{acme}:domain:example.com' subdomains)" no
created=$(rcli HGET 'pw:{acme}:domain:example.com' created)
pw_check "add: created is now" [ $(($(date +%s) - created)) -le 2 ]

cli_rc "add IDN with --subdomains: exit 0" 0 domain add acme \
    'BÜCHER.example' --subdomains
pw_is "IDN: A-labels, with subdomains" \
    "$(rcli HGET 'pw:{acme}:domains' xn--bcher-kva.example)" subdomains
pw_is "IDN: record subdomains yes" \
    "$(rcli HGET 'pw:{acme}:domain:xn--bcher-kva.example' subdomains)" yes
pw_is "IDN: directory entry under the A-label" \
    "$(rcli HGET pw:domain:xn--bcher-kva.example tenant)" acme

# The same tenant again: no error; the scope becomes what is asked.
cli_rc "add again, same scope: exit 0" 0 domain add acme example.com
cli_like "add again: unchanged" "unchanged" "$OUT"
pw_is "add again: created kept" \
    "$(rcli HGET 'pw:{acme}:domain:example.com' created)" "$created"
cli_rc "add again with --subdomains: exit 0" 0 domain add acme example.com \
    --subdomains
cli_like "add again: now covers subdomains" "now covers its subdomains" "$OUT"
pw_is "add again: scope changed in both keys" \
    "$(rcli HGET 'pw:{acme}:domains' example.com) $(rcli HGET \
    'pw:{acme}:domain:example.com' subdomains)" "subdomains yes"
cli_rc "add again without --subdomains: exit 0" 0 --json domain add acme \
    example.com
pw_is "add again --json: exact again" \
    "$(cli_json '[j["domain"], j["tenant"], j["subdomains"], j["created"]]')" \
    "['example.com', 'acme', False, $created]"
pw_is "add again: the record has updated, shown as a number" \
    "$(rcli HGET 'pw:{acme}:domain:example.com' updated)" \
    "$(cli_json 'j["updated"]')"

# --- one owner -----------------------------------------------------------
cli_rc "another tenant, same domain: exit 3" 3 domain add beta EXAMPLE.com
cli_like "another tenant: names the owner" \
    "^postwarden: domain example.com belongs to tenant acme$" "$ERR"
pw_is "another tenant: nothing written" \
    "$(rcli EXISTS 'pw:{beta}:domains' 'pw:{beta}:domain:example.com') $(
    rcli HGET pw:domain:example.com tenant)" "0 acme"
# A child of a domain another tenant owns exactly: allowed.
cli_rc "child of another tenant's exact domain: exit 0" 0 domain add beta \
    mail.example.com
# A child under another tenant's --subdomains parent: refused.
cli_rc "child under another tenant's --subdomains: exit 3" 3 domain add \
    beta a.b.bücher.example
cli_like "child under --subdomains: names parent and owner" \
    "a.b.xn--bcher-kva.example is under xn--bcher-kva.example, which tenant acme owns with its subdomains" \
    "$ERR"
pw_is "child refused: nothing written" \
    "$(rcli EXISTS pw:domain:a.b.xn--bcher-kva.example \
    'pw:{beta}:domain:a.b.xn--bcher-kva.example')" 0
# A parent with --subdomains over another tenant's child: refused.
cli_rc "--subdomains over another tenant's child: exit 3" 3 domain add acme \
    example.com --subdomains
cli_like "--subdomains over a child: names child and owner" \
    "tenant beta owns mail.example.com, which is under example.com" "$ERR"
pw_is "--subdomains refused: scope unchanged" \
    "$(rcli HGET 'pw:{acme}:domains' example.com)" exact
# The same tenant may have a --subdomains parent and an exact child.
cli_rc "own child under own --subdomains parent: exit 0" 0 domain add acme \
    shop.bücher.example
pw_is "own child: exact" \
    "$(rcli HGET 'pw:{acme}:domains' shop.xn--bcher-kva.example)" exact
# A stale claim (a directory entry naming another tenant) stops an add.
rcli HSET pw:domain:taken.example tenant beta >/dev/null
cli_rc "claimed by another tenant, no records: exit 3" 3 domain add acme \
    taken.example
pw_is "claimed: the claim is kept" \
    "$(rcli HGET pw:domain:taken.example tenant)" beta
rcli DEL pw:domain:taken.example >/dev/null

# --- bad input -------------------------------------------------------------
cli_rc "unknown tenant: exit 1" 1 domain add nope nope.example
cli_like "unknown tenant: named" "unknown tenant: nope" "$ERR"
pw_is "unknown tenant: nothing claimed" "$(rcli EXISTS pw:domain:nope.example)" 0
bad=$(while IFS='|' read -r d why; do
	pwcli domain add acme "$d"
	if [ "$RC" != 64 ] || ! printf '%s' "$ERR" | grep -qF -- "$why"; then
		echo "$d: exit $RC: $ERR"
	fi
done <<'EOF2'
a..example|empty label
a-.example|domain:
user@example.com|a domain, not an address
*.example.com|no wildcards
[192.0.2.1]|address literal
localhost|two labels at least
a b.example|domain:
a_b.example|no '_'
192.0.2.1|an IP address
EOF2
)
pw_is "bad domains: exit 64 with the reason" "$bad" ""
pw_is "bad domains: nothing written" \
    "$(rcli KEYS 'pw:domain:*' | sort | tr '\n' ' ')" \
    "pw:domain:example.com pw:domain:mail.example.com pw:domain:shop.xn--bcher-kva.example pw:domain:xn--bcher-kva.example "
longlabel=$(printf 'a%.0s' $(seq 64)).example
cli_rc "a label of 64 bytes: exit 64" 64 domain add acme "$longlabel"
cli_rc "bad tenant name: exit 64" 64 domain add 'a b' ok.example
cli_rc "missing operand: exit 64" 64 domain add acme
cli_rc "too many operands: exit 64" 64 domain add acme a.example b.example
cli_rc "unknown option: exit 64" 64 domain add acme a.example --exact
cli_rc "--subdomains on show: exit 64" 64 domain show example.com --subdomains
cli_rc "unknown subcommand: exit 64" 64 domain frob

# --- show --------------------------------------------------------------------
cli_rc "show: exit 0" 0 domain show EXAMPLE.com
cli_like "show: tenant" "^tenant +acme$" "$OUT"
cli_like "show: subdomains" "^subdomains +no$" "$OUT"
cli_like "show: created as a time" "^created +20[0-9-]+T[0-9:]+Z$" "$OUT"
cli_like "show: no DKIM key yet, and how to make them" \
    "^dkim +no keys \(postwarden domain dkim add example.com\)$" "$OUT"
cli_rc "show IDN in U-labels --json: exit 0" 0 domain show bücher.example --json
pw_is "show --json: shape" \
    "$(cli_json 'sorted(j.items()) if isinstance(j["created"], int) else j')" \
    "[('created', $(rcli HGET 'pw:{acme}:domain:xn--bcher-kva.example' created)), ('dkim', []), ('domain', 'xn--bcher-kva.example'), ('subdomains', True), ('tenant', 'acme')]"
cli_rc "show unknown: exit 1" 1 domain show nothing.example
cli_like "show unknown: says so" "unknown domain: nothing.example" "$ERR"
# Fields other commands add to the record are shown as they are.
rcli HSET 'pw:{beta}:domain:mail.example.com' verified 1796000000 >/dev/null
cli_rc "show with another field --json: exit 0" 0 domain show \
    mail.example.com --json
pw_is "show --json: other fields as strings" "$(cli_json 'j["verified"]')" \
    1796000000
# A claim without records (an interrupted add): show says how to finish.
rcli HSET pw:domain:half.example tenant acme >/dev/null
cli_rc "show a claim without records: exit 1" 1 domain show half.example
cli_like "show half: says what to run" "records are missing.*domain remove half.example" "$ERR"

# --- list --------------------------------------------------------------------
cli_rc "list: exit 0" 0 domain list
pw_is "list: every tenant's domains, sorted" \
    "$(printf '%s\n' "$OUT" | awk '{print $1, $2, $3}')" \
"DOMAIN TENANT SUBDOMAINS
example.com acme no
shop.xn--bcher-kva.example acme no
xn--bcher-kva.example acme yes
mail.example.com beta no"
cli_rc "list TENANT --json: exit 0" 0 domain list beta --json
pw_is "list --json: an array of show's objects" \
    "$(cli_json '[(d["domain"], d["tenant"], d["subdomains"]) for d in j]')" \
    "[('mail.example.com', 'beta', False)]"
cli_rc "list unknown tenant: exit 1" 1 domain list nope
pwcli tenant add empty
cli_rc "list a tenant without domains --json: exit 0" 0 domain list empty \
    --json
pw_is "list --json: empty array" "$OUT" "[]"

# --- tenant show -----------------------------------------------------------
cli_rc "tenant show: exit 0" 0 tenant show acme
cli_like "tenant show: its domains" \
    "^domains +example.com \(exact\), shop.xn--bcher-kva.example \(exact\), xn--bcher-kva.example \(subdomains\)$" \
    "$OUT"
cli_rc "tenant show --json: exit 0" 0 tenant show beta --json
pw_is "tenant show --json: domains as an object" "$(cli_json 'j["domains"]')" \
    "{'mail.example.com': 'exact'}"

# --- tenant set --dkim-domain ---------------------------------------------
cli_rc "dkim-domain: its own domain: exit 0" 0 tenant set acme \
    --dkim-domain Example.com
pw_is "dkim-domain: stored lower-cased" \
    "$(rcli HGET 'pw:{acme}:tenant' dkim_domain)" example.com
cli_rc "dkim-domain: under its --subdomains parent: exit 0" 0 tenant set \
    acme --dkim-domain news.xn--bcher-kva.example
cli_rc "dkim-domain: another tenant's domain: exit 1" 1 tenant set acme \
    --dkim-domain mail.example.com
cli_like "dkim-domain: says why and how" \
    "^postwarden: --dkim-domain mail.example.com: not a sending domain of tenant acme .*postwarden domain add acme mail.example.com" \
    "$ERR"
cli_rc "dkim-domain: under an exact domain: exit 1" 1 tenant set acme \
    --dkim-domain sub.example.com
pw_is "dkim-domain: refused values not written" \
    "$(rcli HGET 'pw:{acme}:tenant' dkim_domain)" news.xn--bcher-kva.example
cli_rc "dkim-domain on tenant add: exit 1" 1 tenant add gamma \
    --dkim-domain example.com
pw_is "tenant add refused: no tenant" "$(rcli EXISTS 'pw:{gamma}:tenant')" 0

# --- tenant set --bounce-domain: the VERP bounce domain, the same rule -------
cli_rc "bounce-domain: its own domain: exit 0" 0 tenant set acme \
    --bounce-domain Example.COM
pw_is "bounce-domain: stored lower-cased" \
    "$(rcli HGET 'pw:{acme}:tenant' bounce_domain)" example.com
cli_rc "bounce-domain: under its --subdomains parent: exit 0" 0 tenant set \
    acme --bounce-domain bounces.xn--bcher-kva.example
pw_is "bounce-domain: stored" "$(rcli HGET 'pw:{acme}:tenant' bounce_domain)" \
    bounces.xn--bcher-kva.example
cli_rc "bounce-domain: another tenant's domain: exit 1" 1 tenant set acme \
    --bounce-domain mail.example.com
cli_like "bounce-domain: says why and how" \
    "^postwarden: --bounce-domain mail.example.com: not a sending domain of tenant acme .*postwarden domain add acme mail.example.com" \
    "$ERR"
cli_rc "bounce-domain: under an exact domain: exit 1" 1 tenant set acme \
    --bounce-domain bounces.example.com
cli_rc "bounce-domain: a domain nobody owns: exit 1" 1 tenant set acme \
    --bounce-domain bounces.example.net
cli_rc "bounce-domain: refused with a good --dkim-domain: exit 1" 1 \
    tenant set acme --dkim-domain example.com --bounce-domain \
    bounces.example.net
pw_is "bounce-domain: refused values not written (nor the rest)" \
    "$(rcli HMGET 'pw:{acme}:tenant' bounce_domain dkim_domain | paste -sd' ')" \
    "bounces.xn--bcher-kva.example news.xn--bcher-kva.example"
cli_rc "bounce-domain on tenant add: exit 1" 1 tenant add gamma \
    --bounce-domain example.com
pw_is "tenant add refused: no tenant" "$(rcli EXISTS 'pw:{gamma}:tenant')" 0
cli_rc "bounce-domain '': cleared, whatever the tenant owns: exit 0" 0 \
    tenant set acme --bounce-domain ''
pw_is "bounce-domain '': removed" \
    "$(rcli HEXISTS 'pw:{acme}:tenant' bounce_domain)" 0

# --- remove ------------------------------------------------------------------
cli_rc "remove: exit 0" 0 domain remove Shop.BÜCHER.example
pw_is "remove: says so" "$OUT" \
    "domain shop.xn--bcher-kva.example removed from tenant acme"
pw_is "remove: all three keys gone" \
    "$(rcli HEXISTS 'pw:{acme}:domains' shop.xn--bcher-kva.example) $(rcli \
    EXISTS 'pw:{acme}:domain:shop.xn--bcher-kva.example' \
    pw:domain:shop.xn--bcher-kva.example)" "0 0"
pw_is "remove: the other domains kept" \
    "$(rcli HLEN 'pw:{acme}:domains')" 2
cli_rc "remove again: exit 1" 1 domain remove shop.xn--bcher-kva.example
cli_rc "remove --json: exit 0" 0 domain remove mail.example.com --json
pw_is "remove --json: shape" "$(cli_json 'j')" \
    "{'domain': 'mail.example.com', 'tenant': 'beta', 'removed': True}"
cli_rc "remove a claim without records: exit 0" 0 domain remove half.example
pw_is "remove half: claim gone" "$(rcli EXISTS pw:domain:half.example)" 0
# Now beta's child is gone: acme may cover example.com's subdomains.
cli_rc "--subdomains once the child is gone: exit 0" 0 domain add acme \
    example.com --subdomains
cli_rc "and beta's child is refused now: exit 3" 3 domain add beta \
    mail.example.com

# --- tenant delete -------------------------------------------------------------
pwcli key add k_acme --tenant acme
cli_rc "tenant delete with keys: exit 3" 3 tenant delete acme
pw_is "tenant delete with keys: domains kept" \
    "$(rcli HGET pw:domain:example.com tenant)" acme
pwcli key delete k_acme
# Its stream-scoped suppressions go too.
rcli HSET 'pw:{acme}:supp:stream:news' a@example.net 'unsubscribe|one-click|1|0' \
    >/dev/null
rcli HSET 'pw:{acme}:supp:bulk' b@example.net 'unsubscribe|one-click|1|0' \
    >/dev/null
cli_rc "tenant delete: exit 0" 0 tenant delete acme
cli_like "tenant delete: counts the domains" "2 domains removed" "$OUT"
# but its generation pw:{acme}:gen, kept (docs/redis-schema.md)
pw_is "tenant delete: nothing of acme or its domains left" \
    "$(rcli KEYS '*acme*' | grep -vxF 'pw:{acme}:gen' | grep -c .) $(rcli KEYS 'pw:domain:*' |
    grep -c .) $(rcli SISMEMBER pw:tenants acme)" "0 0 0"
cli_rc "tenant delete again: exit 1" 1 tenant delete acme
cli_rc "the domain is free again: exit 0" 0 domain add beta example.com

# --- racing adds ------------------------------------------------------------------
# A parent with --subdomains and a child, by two tenants at once: never
# both (each add checks again after writing).
both=
for i in $(seq 30); do
	"$CLI_BIN" -c "$CLI_CONF" domain add beta "race$i.example" \
	    --subdomains >/dev/null 2>&1 &
	p1=$!
	"$CLI_BIN" -c "$CLI_CONF" domain add empty "c.race$i.example" \
	    >/dev/null 2>&1 &
	p2=$!
	wait $p1; r1=$?
	wait $p2; r2=$?
	[ "$r1$r2" = 00 ] && both="$both $i"
	[ "$(rcli HGET 'pw:{beta}:domains' "race$i.example")" = subdomains ] &&
	    [ "$(rcli HEXISTS 'pw:{empty}:domains' "c.race$i.example")" = 1 ] &&
	    both="$both $i(stored)"
done
pw_is "racing parent --subdomains and child: never both" "$both" ""

# --- Redis down ------------------------------------------------------------------
printf 'redis_server = unix:%s/nothing.sock\nredis_reconnect_delay = 10ms\n' \
    "$PW_TMP" >"$PW_TMP/down.conf"
"$CLI_BIN" -c "$PW_TMP/down.conf" domain add beta down.example 2>/dev/null
pw_is "Redis down: add exit 2" "$?" 2
"$CLI_BIN" -c "$PW_TMP/down.conf" domain list 2>/dev/null
pw_is "Redis down: list exit 2" "$?" 2
