#!/bin/bash
# tests/cli/suppress.sh -- postwarden suppress add|remove|check|list|
# export: values "reason|source|time|expires" in pw:{T}:supp and
# pw:supp:global, address checks, expiry, the global list's copies in
# every tenant (and a tenant's own entry left alone), exit codes.

. "$PW_SRCDIR/tests/cli/common.sh"
cli_start
pw_plan 67

for t in acme beta; do
	rcli HSET "pw:{$t}:tenant" status active >/dev/null
	rcli SADD pw:tenants "$t" >/dev/null
done
# value ADDRESS [TENANT]: the stored value
value() { rcli HGET "pw:{${2:-acme}}:supp" "$1"; }

# add
now=$(date +%s)
cli_rc "add: exit 0" 0 suppress add User@Example.NET @Spam.Example \
    --tenant acme --reason complaint
after=$(date +%s)
cli_like "add: says so, lower-cased" \
    "^suppressed user@example.net in tenant acme "\
"\(complaint, expires never\)$" \
    "$OUT"
v=$(value user@example.net)
pw_is "add: reason|source|..|expires" \
    "${v%%|*}|$(echo "$v" | cut -d'|' -f2,4)" \
    "complaint|cli|0"
t=$(echo "$v" | cut -d'|' -f3)
pw_check "add: time is now" test "$t" -ge "$now" -a "$t" -le "$after"
pw_is "add: domain entry" "$(value @spam.example | cut -d'|' -f1,2)" \
    "complaint|cli"
pw_is "add: not in the other tenant" "$(rcli HLEN 'pw:{beta}:supp')" 0
now=$(date +%s)
cli_rc "add --expires 30d: exit 0" 0 suppress add tmp@example.net \
    --tenant acme --expires 30d
after=$(date +%s)
e=$(($(value tmp@example.net | cut -d'|' -f4) - 30 * 86400))
pw_check "add --expires 30d: 30 days ahead" \
    test "$e" -ge "$now" -a "$e" -le "$after"
cli_rc "add --expires DATE: exit 0" 0 suppress add date@example.net \
    --tenant acme --expires 2099-01-31
pw_is "add --expires DATE: midnight UTC" \
    "$(value date@example.net | cut -d'|' -f1,4)" "manual|4073500800"
cli_rc "add --expires in the past: exit 64" 64 suppress add p@example.net \
    --tenant acme --expires 2001-01-01
cli_like "bad --expires: names the option and the forms" \
    "^postwarden: --expires: expected never, a duration" "$ERR"
cli_rc "add --reason bad: exit 64" 64 suppress add r@example.net \
    --tenant acme --reason spam
for bad in 'no-at.example' 'a@b..example' "$(printf 'a\tb@example.net')" \
    '"q"@example.net' 'a@-x.example' 'a@xn--zz.example' 'a@exa$mple.net' '@'; do
	cli_rc "bad address '$bad': exit 64" 64 suppress add "$bad" \
	    --tenant acme
done
cli_like "bad address: names it" "bad address '@': missing domain" "$ERR"
cli_rc "unknown tenant: exit 1" 1 suppress add a@example.net --tenant nope
cli_rc "no scope: exit 64" 64 suppress add a@example.net
cli_rc "both scopes: exit 64" 64 suppress add a@example.net --tenant acme \
    --global

# check
cli_rc "check address: exit 0" 0 suppress check USER@example.net --tenant acme
cli_like "check: why" \
    "^user@example.net is suppressed in tenant acme by user@example.net: "\
"reason complaint, source cli" \
    "$OUT"
cli_rc "check by domain: exit 0" 0 suppress check x@spam.example --tenant acme \
    --json
pw_is "check --json: the domain entry" \
    "$(cli_json '[j["suppressed"], j["entry"]["address"],
	j["entry"]["reason"]]')" \
    "[True, '@spam.example', 'complaint']"
cli_rc "check not suppressed: exit 1" 1 suppress check ok@example.net \
    --tenant acme
# the stream scopes (issue 16): their own hashes
cli_rc "add --stream news: exit 0" 0 suppress add s@example.net --tenant acme \
    --stream news --reason unsubscribe
cli_like "... says where" "stream news of tenant acme" "$OUT"
pw_is "... in pw:{acme}:supp:stream:news only" \
    "$(rcli HEXISTS 'pw:{acme}:supp:stream:news' s@example.net)$(rcli HEXISTS 'pw:{acme}:supp' s@example.net)" \
    10
cli_rc "add --bulk: exit 0" 0 suppress add @b.example --tenant acme --bulk
pw_is "... in pw:{acme}:supp:bulk" \
    "$(rcli HEXISTS 'pw:{acme}:supp:bulk' @b.example)" 1
cli_rc "list --bulk: exit 0" 0 suppress list --tenant acme --bulk
cli_like "... lists it" "@b.example" "$OUT"
cli_rc "check --stream bulk of an address only in --bulk: exit 1" 1 \
    suppress check x@b.example --tenant acme --stream bulk --json
pw_is "check --stream --json names the stream" \
    "$(cli_json '[j["scope"], j["stream"], j["suppressed"]]')" \
    "['acme', 'bulk', False]"
cli_rc "check --bulk --json: exit 0" 0 \
    suppress check x@b.example --tenant acme --bulk --json
pw_is "check --bulk --json says so" \
    "$(cli_json '[j["scope"], j["bulk"], j["entry"]["address"]]')" \
    "['acme', True, '@b.example']"
cli_rc "--stream with --global: exit 64" 64 suppress list --global \
    --stream news
cli_rc "--stream and --bulk: exit 64" 64 suppress list --tenant acme \
    --stream news --bulk
cli_rc "--stream with a bad name: exit 64" 64 suppress list --tenant acme \
    --stream 'News!'
cli_rc "remove --stream news: exit 0" 0 suppress remove s@example.net \
    --tenant acme --stream news
pw_is "... gone" "$(rcli HEXISTS 'pw:{acme}:supp:stream:news' s@example.net)" 0
rcli DEL 'pw:{acme}:supp:bulk' >/dev/null

rcli HSET 'pw:{acme}:supp' gone@example.net "bounce|cli|100|200" >/dev/null
cli_rc "check an expired entry: exit 1" 1 suppress check gone@example.net \
    --tenant acme
cli_like "check expired: says it is ignored" "an expired entry is ignored" \
    "$OUT"

# list, export
cli_rc "list: exit 0" 0 suppress list --tenant acme
pw_is "list: sorted, expired left out" \
    "$(printf '%s\n' "$OUT" | awk '{ print $1 }' | tr '\n' ' ')" \
    "ADDRESS @spam.example date@example.net tmp@example.net user@example.net "
cli_rc "list --json: exit 0" 0 --json suppress list --tenant acme
pw_is "list --json" \
    "$(cli_json '[(e["address"], e["reason"], e["expires"]) for e in j][1]')" \
    "('date@example.net', 'manual', 4073500800)"
cli_rc "export: exit 0" 0 suppress export --tenant acme
pw_is "export: header and lines" \
    "$(printf '%s\n' "$OUT" | cut -d, -f1-3 | head -n 3 | tr '\n' ' ')" \
    "address,reason,source @spam.example,complaint,cli "\
"date@example.net,manual,cli "
# An empty list (no array to sort): the header alone.
cli_rc "list, empty: exit 0" 0 suppress list --tenant beta
pw_is "list, empty: the header alone" "$OUT" \
    "ADDRESS  REASON  SOURCE  ADDED  EXPIRES"
cli_rc "export, empty: exit 0" 0 suppress export --tenant beta
pw_is "export, empty: the header alone" "$OUT" \
    "address,reason,source,time,expires"

# global
rcli HSET 'pw:{beta}:supp' own@example.net "unsubscribe|unsubscribe|100|0" \
    >/dev/null
cli_rc "global add: exit 0" 0 suppress add own@example.net g@example.net \
    --global --reason bounce
pw_is "global add: master copy keeps source cli" \
    "$(rcli HGET pw:supp:global g@example.net | cut -d'|' -f1,2)" "bounce|cli"
pw_is "global add: copied into each tenant with source global" \
    "$(value g@example.net acme | cut -d'|' -f1,2) $(
	value g@example.net beta | cut -d'|' -f1,2)" \
    "bounce|global bounce|global"
pw_is "global add: a tenant's own entry left alone" \
    "$(value own@example.net beta)" "unsubscribe|unsubscribe|100|0"
cli_rc "global remove: exit 0" 0 suppress remove own@example.net g@example.net \
    --global
pw_is "global remove: master and copies gone, own entry kept" \
    "$(rcli HLEN pw:supp:global) $(
	rcli HEXISTS 'pw:{acme}:supp' g@example.net) $(
	rcli HEXISTS 'pw:{beta}:supp' g@example.net) $(
	rcli HEXISTS 'pw:{beta}:supp' own@example.net)" \
    "0 0 0 1"

# remove
cli_rc "remove: exit 0" 0 suppress remove user@example.net --tenant acme
pw_is "remove: gone" "$(rcli HEXISTS 'pw:{acme}:supp' user@example.net)" 0
cli_rc "remove absent: exit 1" 1 suppress remove user@example.net --tenant acme
