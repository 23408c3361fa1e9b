#!/bin/bash
# tests/cli/secret.sh -- postwarden secret rotate and secret list, and
# what a rotation does to the links and ids in mail already sent: a
# one-secret tracking_secret_file becomes a keyring (mode kept, no secret
# printed); tokens (version 1 and 2) and tracking ids made before the
# rotation still unsubscribe and verify after it, and stop once the old
# secret's end date has passed (set in the past in the file, not waited
# for), while what the new secret made goes on; expired secrets are
# dropped at the next rotation; --verify-days 0 drops the old secret at
# once; a bad file is refused and left as it was.  Tokens and ids are
# made by tests/cli/track_make, as the milter makes them.

. "$PW_SRCDIR/tests/cli/common.sh"
MAKE=$PW_BUILDDIR/tests/cli/track_make
[ -x "$MAKE" ] || pw_skip_all "$MAKE not built"
cli_start
pw_plan 62

SECRET=$PW_TMP/tracking.secret
HEX=5e1f0a9b8c7d6e5f40312233445566778899aabbccddeeff0011223344556677
printf '%s\n' "$HEX" >"$SECRET"
chmod 0600 "$SECRET"
printf 'tracking_secret_file = %s\n' "$SECRET" >>"$CLI_CONF"
rcli HSET 'pw:{acme}:tenant' status active >/dev/null
rcli SADD pw:tenants acme >/dev/null
value() { rcli HGET 'pw:{acme}:supp' "$1"; }
# kid TOKEN: the secret id a version 2 token names (its first byte)
kid() {
	python3 -c 'import base64, sys; t = sys.argv[1][1:5].replace("-", "+").replace("_", "/"); print(base64.b64decode(t)[0])' "$1"
}
# leaks TEXT: whether TEXT shows the secret (or its hex)
leaks() { printf '%s' "$1" | grep -qiE "${HEX:0:16}|$(printf '%s' "${HEX:0:8}" | od -An -tx1 | tr -d ' \n')"; }
export HEX
export -f leaks

# Before: links and ids made with the one-secret file.
v1=$("$MAKE" "$SECRET" unsub1 acme old1@example.net)
v2=$("$MAKE" "$SECRET" unsub acme old2@example.net news)
id=$("$MAKE" "$SECRET" id acme)
pw_is "before: the token names secret 0" "$(kid "$v2")" 0
cli_rc "list a one-secret file: exit 0" 0 secret list
pw_is "list: secret 0, current" "$(printf '%s\n' "$OUT" | sed -n 2p | tr -s ' ')" \
    "0 current -"

# The rotation.
cli_rc "rotate: exit 0" 0 secret rotate
cli_like "rotate: names the new and the old secret" \
    "^$SECRET: secret 1 is current; secret 0 verifies until $(date -u -d '+30 days' +%Y-%m-%d)T" \
    "$OUT"
cli_like "rotate: says to reload" "SIGHUP" "$OUT"
pw_check "rotate: prints no secret" bash -c '! { leaks "$1" || leaks "$2"; }' sh \
    "$OUT" "$ERR"
pw_is "the file is a keyring now" "$(head -n 1 "$SECRET")" \
    "postwarden-keyring 1"
pw_is "its mode is kept" "$(stat -c %a "$SECRET")" 600
pw_is "no temporary file is left" "$(ls "$PW_TMP" | grep -c 'tracking.secret.')" 0
pw_is "the old secret kept its bytes (id 0)" \
    "$(sed -n 's/^0 [^ ]* \(.*\)$/\1/p' "$SECRET")" \
    "$(printf '%s' "$HEX" | od -An -tx1 | tr -d ' \n')"
cli_rc "list: exit 0" 0 secret list --json
pw_is "list --json: current and verify-only" \
    "$(cli_json '[(s["id"], s["state"], s["until"] is None) for s in j]')" \
    "[(1, 'current', True), (0, 'verify-only', False)]"
pw_check "list: prints no secret" bash -c '! leaks "$1"' sh "$OUT"
v2new=$("$MAKE" "$SECRET" unsub acme new@example.net news)
idnew=$("$MAKE" "$SECRET" id acme)
pw_is "after: a new token names secret 1" "$(kid "$v2new")" 1
pw_check "after: the same recipient gets another token" [ "$v2new" != "$v2" ]

# Until the end date, what was sent before still works.
cli_rc "before the end date: version 1 token: exit 0" 0 unsubscribe "$v1"
pw_is "version 1 token: suppressed" "$(value old1@example.net | cut -d'|' -f1,2)" \
    "unsubscribe|one-click"
cli_rc "before the end date: version 2 token: exit 0" 0 unsubscribe "$v2"
pw_is "version 2 token: suppressed" "$(value old2@example.net | cut -d'|' -f1)" \
    unsubscribe
cli_rc "before the end date: tracking id: exit 0" 0 track verify "$id" \
    --tenant acme
cli_rc "before the end date: tracking id among pw:tenants: exit 0" 0 \
    track verify "$id"
cli_rc "the new secret's token: exit 0" 0 unsubscribe "$v2new"
cli_rc "the new secret's id: exit 0" 0 track verify "$idnew" --tenant acme

# The end date passes (written in the past rather than waited for).
rcli DEL 'pw:{acme}:supp' >/dev/null
sed -i 's/^0 [0-9T:Z-]* /0 2020-01-01T00:00:00Z /' "$SECRET"
cli_rc "list: exit 0" 0 secret list
pw_is "list: secret 0 expired" \
    "$(printf '%s\n' "$OUT" | grep '^0 ' | tr -s ' ')" \
    "0 expired 2020-01-01T00:00:00Z"
cli_rc "after the end date: version 1 token: exit 1" 1 unsubscribe "$v1"
cli_like "version 1 token: expired" \
    "expired token: its secret is past its end date" "$ERR"
cli_rc "after the end date: version 2 token: exit 1" 1 unsubscribe "$v2"
cli_like "version 2 token: expired" \
    "expired token: its secret is past its end date" "$ERR"
pw_is "expired tokens wrote nothing" "$(rcli HLEN 'pw:{acme}:supp')" 0
cli_rc "after the end date: tracking id: exit 1" 1 track verify "$id" \
    --tenant acme
pw_is "tracking id: expired" "$OUT" \
    "expired: its secret is past its end date: an id of tenant acme made with it"
cli_rc "after the end date, any tenant: exit 1" 1 track verify "$id" --json
pw_is "tracking id --json: expired, tenant named in the reason" \
    "$(cli_json '[j["verdict"], j["reason"]]')" \
    "['expired', 'an id of tenant acme made with a secret past its end date']"
cli_rc "the new secret's token still works: exit 0" 0 unsubscribe "$v2new"
cli_rc "the new secret's id still works: exit 0" 0 track verify "$idnew" \
    --tenant acme

# The next rotation drops what expired.
cli_rc "rotate --json: exit 0" 0 secret rotate "$SECRET" --verify-days 7 \
    --json
pw_is "rotate --json" \
    "$(cli_json '[j["current"], j["previous"], j["previous_until"][:10]]')" \
    "[2, 1, '$(date -u -d '+7 days' +%Y-%m-%d)']"
pw_is "secret 0 is gone from the file" "$(grep -c '^0 ' "$SECRET")" 0
cli_rc "list: exit 0" 0 secret list --json
pw_is "list: 2 current, 1 verify-only" \
    "$(cli_json '[(s["id"], s["state"]) for s in j]')" \
    "[(2, 'current'), (1, 'verify-only')]"
cli_rc "secret 1's token, after the next rotation: exit 0" 0 unsubscribe \
    "$v2new"

# --verify-days 0: the old secret goes at once (a leaked secret).
cli_rc "rotate --verify-days 0: exit 0" 0 secret rotate --verify-days 0
cli_like "rotate --verify-days 0: says so" \
    "secret 3 is current; secret 2 is gone" "$OUT"
cli_rc "list: exit 0" 0 secret list --json
pw_is "list: 3 current, 1 verify-only" \
    "$(cli_json '[(s["id"], s["state"]) for s in j]')" \
    "[(3, 'current'), (1, 'verify-only')]"

# Refused: the file is left as it was.
cp "$SECRET" "$PW_TMP/before"
chmod 0640 "$SECRET"
cli_rc "rotate a group-readable file: exit 2" 2 secret rotate
cli_like "group-readable: says why" "accessible by group or others" "$ERR"
chmod 0600 "$SECRET"
pw_check "group-readable: file unchanged" cmp -s "$SECRET" "$PW_TMP/before"
printf '7 someday %s\n' "$HEX" >>"$SECRET"
cp "$SECRET" "$PW_TMP/before"
cli_rc "rotate a malformed keyring: exit 2" 2 secret rotate
cli_like "malformed: names the line" \
    "$SECRET:[0-9]+: the end date is \"current\" or YYYY-MM-DDTHH:MM:SSZ" \
    "$ERR"
pw_check "malformed: prints no secret" bash -c '! leaks "$1"' sh "$ERR"
pw_check "malformed: file unchanged" cmp -s "$SECRET" "$PW_TMP/before"
cli_rc "unsubscribe with a malformed keyring: exit 2" 2 unsubscribe "$v2new"
cli_rc "rotate a missing file: exit 2" 2 secret rotate "$PW_TMP/none"
cli_like "missing: names it" "$PW_TMP/none: cannot open" "$ERR"
cli_rc "--verify-days x: exit 64" 64 secret rotate --verify-days x
cli_rc "two files: exit 64" 64 secret rotate a b
cli_rc "no subcommand: exit 64" 64 secret
printf 'redis_server = unix:%s/nothing.sock\n' "$PW_TMP" >"$CLI_CONF"
cli_rc "no tracking_secret_file, no FILE: exit 2" 2 secret list
cli_like "no tracking_secret_file: says so" "tracking_secret_file is not set" \
    "$ERR"
