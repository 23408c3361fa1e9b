#!/bin/bash
# tests/cli/track.sh -- postwarden track verify: a valid id's tenant and
# time (with --tenant, and found among pw:tenants without), upper case
# accepted, forged, wrong-tenant, other-secret and malformed ids (exit 1),
# --json, the secret file's checks and a missing tracking_secret_file
# (exit 2), and no Redis needed with --tenant.  Ids are made by
# tests/cli/track_make, as the milter makes them.

. "$PW_SRCDIR/tests/cli/common.sh"
MAKE=$PW_BUILDDIR/tests/cli/track_make
[ -x "$MAKE" ] || pw_skip_all "$MAKE not built"
cli_start
pw_plan 49

SECRET=$PW_TMP/tracking.secret
printf '%s\n' 6c1d0f5e2a9b4c7d8e3f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5 \
    >"$SECRET"
chmod 0600 "$SECRET"
OTHER=$PW_TMP/other.secret
printf '%s\n' ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff \
    >"$OTHER"
BASE_CONF=$(cat "$CLI_CONF")
printf 'tracking_secret_file = %s\n' "$SECRET" >>"$CLI_CONF"
for t in acme beta; do
	rcli HSET "pw:{$t}:tenant" status active >/dev/null
	rcli SADD pw:tenants "$t" >/dev/null
done

MS=1795775462123
id=$("$MAKE" "$SECRET" id acme $MS)
pw_is "track_make: a 42-character id" "${#id}" 42

# valid
cli_rc "verify --tenant: exit 0" 0 track verify "$id" --tenant acme
pw_is "verify --tenant: tenant and time" "$OUT" \
    "$id: tenant acme, made 2026-11-27T10:31:02.123Z ($MS ms)"
cli_rc "verify without --tenant: exit 0" 0 track verify "$id"
pw_is "verify: found among pw:tenants" "$OUT" \
    "$id: tenant acme, made 2026-11-27T10:31:02.123Z ($MS ms)"
cli_rc "verify --json: exit 0" 0 --json track verify "$id"
pw_is "verify --json" \
    "$(cli_json '[j["valid"], j["verdict"], j["reason"], j["tenant"],
	j["time"], j["time_ms"], j["id"]]')" \
    "[True, 'valid', None, 'acme', '2026-11-27T10:31:02.123Z', $MS, '$id']"
cli_rc "verify upper case: exit 0" 0 track verify "${id^^}" --json
pw_is "verify upper case: same tenant" "$(cli_json 'j["tenant"]')" acme
bid=$("$MAKE" "$SECRET" id beta)
cli_rc "verify beta's id: exit 0" 0 track verify "$bid"
cli_like "verify beta's id: tenant beta" "^$bid: tenant beta, made " "$OUT"

# wrong tenant
cli_rc "wrong tenant: exit 1" 1 track verify "$id" --tenant beta
pw_is "wrong tenant: says so" "$OUT" \
    "forged: tenant tag does not match: not an id of tenant beta"
cli_rc "wrong tenant --json: exit 1" 1 track verify "$id" --tenant beta \
    --json
pw_is "wrong tenant --json" \
    "$(cli_json '[j["valid"], j["verdict"], j["tenant"], j["time_ms"]]')" \
    "[False, 'forged', None, None]"

# forged: one character changed, in the time, the random part, the MAC
for pos in 3 25 40; do
	c=${id:$pos:1}
	[ "$c" = 0 ] && n=1 || n=0
	forged=${id:0:$pos}$n${id:$((pos + 1))}
	cli_rc "character $pos changed: exit 1" 1 track verify "$forged" \
	    --tenant acme
	cli_like "character $pos changed: forged" "^forged: " "$OUT"
done
cli_rc "forged without --tenant: exit 1" 1 track verify "${id:0:30}0000000000${id:40}"
cli_like "forged without --tenant: no tenant made it" \
    "^forged: no known tenant made it" "$OUT"
oid=$("$MAKE" "$OTHER" id acme $MS)
cli_rc "another secret's id: exit 1" 1 track verify "$oid" --tenant acme
cli_like "another secret's id: forged" "^forged: " "$OUT"
cli_rc "another secret's id, any tenant: exit 1" 1 track verify "$oid"

# malformed
cli_rc "too short: exit 1" 1 track verify "${id:0:41}"
pw_is "too short: says why" "$OUT" \
    "malformed: wrong length (an id is 42 of 0-9 a-z without i l o u)"
cli_rc "letter i: exit 1" 1 track verify "i${id:1}"
cli_like "letter i: a character" "^malformed: a character outside" "$OUT"
cli_rc "malformed --json: exit 1" 1 --json track verify 'x"y'
pw_is "malformed --json: the input escaped" \
    "$(cli_json '[j["valid"], j["verdict"], j["reason"], j["id"]]')" \
    "[False, 'malformed', 'wrong length (an id is 42 of 0-9 a-z without i l o u)', 'x\"y']"

# a deleted tenant's ids are found no more (but verify with --tenant)
rcli SREM pw:tenants acme >/dev/null
cli_rc "tenant gone from pw:tenants: exit 1" 1 track verify "$id"
cli_rc "tenant gone, --tenant: exit 0" 0 track verify "$id" --tenant acme
rcli SADD pw:tenants acme >/dev/null

# usage
cli_rc "no id: exit 64" 64 track verify
cli_rc "two ids: exit 64" 64 track verify "$id" "$id"
cli_rc "no subcommand: exit 64" 64 track
cli_rc "bad --tenant: exit 64" 64 track verify "$id" --tenant 'A B'
cli_rc "unknown option: exit 64" 64 track verify "$id" --bogus

# the secret and the configuration
chmod 0644 "$SECRET"
cli_rc "secret readable by others: exit 2" 2 track verify "$id" --tenant acme
cli_like "secret readable by others: says what to do" \
    "accessible by group or others \(mode 0644\); chmod 0600 it \(or set dkim_key_mode_check = no\)" \
    "$ERR"
pw_check "the message holds no secret" \
    sh -c "! printf '%s' \"\$1\" | grep -q 6c1d0f5e" sh "$ERR"
printf 'dkim_key_mode_check = no\n' >>"$CLI_CONF"
cli_rc "mode check off: exit 0" 0 track verify "$id" --tenant acme
chmod 0600 "$SECRET"
printf '%s\ntracking_secret_file = %s/none\n' "$BASE_CONF" "$PW_TMP" \
    >"$CLI_CONF"
cli_rc "missing secret file: exit 2" 2 track verify "$id" --tenant acme
cli_like "missing secret file: names it" "$PW_TMP/none: cannot open" "$ERR"
printf '%s\n' "$BASE_CONF" >"$CLI_CONF"
cli_rc "no tracking_secret_file: exit 2" 2 track verify "$id" --tenant acme
cli_like "no tracking_secret_file: says so" \
    "tracking_secret_file is not set" "$ERR"

# with --tenant no Redis is needed; without, Redis down is exit 2
printf 'redis_server = unix:%s/nothing.sock\ntracking_secret_file = %s\n' \
    "$PW_TMP" "$SECRET" >"$CLI_CONF"
cli_rc "Redis down, --tenant: exit 0" 0 track verify "$id" --tenant acme
cli_rc "Redis down, no --tenant: exit 2" 2 track verify "$id"
