#!/bin/bash
# tests/cli/key_secret.sh -- API key secrets from the command line:
# `postwarden auth pepper-generate` (mode, format, pepper id), `key add`
# printing the first secret's token once (and adding the key without one
# when auth_pepper_file is not set or not usable, with the exit codes of
# postwarden(1)), the stored hash against openssl's own HMAC, no plaintext
# secret anywhere in Redis (every value read back, and an RDB dump), `key
# secret add|list|revoke` (at most two live secrets, JSON), `key show`
# listing secrets without hashes, and `key delete` removing them.

. "$PW_SRCDIR/tests/cli/common.sh"
command -v openssl >/dev/null 2>&1 || pw_skip_all "openssl not installed"
cli_start

NOPEPPER_CONF=$CLI_CONF
PEPPER=$PW_TMP/pepper
CONF=$PW_TMP/with-pepper.conf
rcli HSET 'pw:{acme}:tenant' status active created 1 >/dev/null
rcli SADD pw:tenants acme >/dev/null
S='pw:{acme}:key:k1:secrets'

# The pepper file.
pwcli auth pepper-generate "$PEPPER"
pw_is "pepper-generate: exit 0" "$RC" 0
pw_is "pepper-generate: mode 0600" "$(stat -c %a "$PEPPER")" 600
pw_check "pepper-generate: 64 hex digits and a newline" \
    grep -qxE '[0-9a-f]{64}' "$PEPPER"
pw_is "pepper-generate: one line" "$(wc -c <"$PEPPER")" 65
PEPHEX=$(cat "$PEPPER")
PEPID=$(printf 'postwarden pepper id' | openssl dgst -sha256 -mac HMAC \
    -macopt "hexkey:$PEPHEX" | awk '{ print substr($NF, 1, 16) }')
pw_is "pepper-generate: prints the pepper id (openssl's HMAC)" "$OUT" \
    "pepper id $PEPID"
cli_rc "pepper-generate: an existing file is not overwritten (exit 2)" 2 \
    auth pepper-generate "$PEPPER"
pw_is "pepper-generate: the file is unchanged" "$(cat "$PEPPER")" "$PEPHEX"
cli_rc "pepper-generate --json: exit 0" 0 --json auth pepper-generate \
    "$PW_TMP/pepper2"
pw_is "pepper-generate --json: file and id" \
    "$(cli_json '[j["file"].endswith("/pepper2"), len(j["pepper_id"])]')" \
    "[True, 16]"

# key add without auth_pepper_file: the key, no secret.
cli_rc "key add without a pepper: exit 0" 0 key add k0 --tenant acme
pw_is "without a pepper: stdout as before" "$OUT" \
    "key k0 (tenant acme) added"
cli_like "without a pepper: says no secret was made and how to make one" \
    "no secret made: auth_pepper_file is not set.*key secret add k0" "$ERR"
pw_is "without a pepper: no secrets hash" \
    "$(rcli EXISTS 'pw:{acme}:key:k0:secrets')" 0
cli_rc "key secret add without a pepper: exit 2" 2 key secret add k0
cli_like "key secret add without a pepper: says why" \
    "auth_pepper_file is not set" "$ERR"

{ cat "$NOPEPPER_CONF"; printf 'auth_pepper_file = %s\n' "$PEPPER"; } \
    >"$CONF"
CLI_CONF=$CONF

# key add with a pepper: the token, once.
cli_rc "key add: exit 0" 0 key add k1 --tenant acme
first=$(printf '%s\n' "$OUT" | sed -n 1p)
pw_is "key add: says so first" "$first" "key k1 (tenant acme) added"
line=$(printf '%s\n' "$OUT" | sed -n 2p)
SID1=$(printf '%s\n' "$line" | sed -nE 's/^secret ([0-9a-f]{8}): .*/\1/p')
TOKEN1=${line#secret $SID1: }
pw_check "key add: prints 'secret SID: TOKEN' ($line)" \
    test -n "$SID1" -a "$TOKEN1" != "$line"
pw_check "key add: the token is pw1.k1.SID. + 49 base64url characters" \
    grep -qxE "pw1\.k1\.$SID1\.[A-Za-z0-9_-]{49}" <<<"$TOKEN1"
cli_like "key add: says the secret will not be shown again" \
    "secret $SID1 is shown only this once and cannot be shown again" "$ERR"
SECRET1=${TOKEN1#pw1.k1.$SID1.}
SECRET1=${SECRET1:0:43}
pw_is "key add: Redis has the secret's hash and creation time" \
    "$(rcli HKEYS "$S" | sort | tr '\n' ' ')" "$SID1 $SID1:created "
created=$(rcli HGET "$S" "$SID1:created")
pw_check "key add: created is now" [ $((created - $(date +%s))) -le 1 ]
want=$(printf 'postwarden api secret v1\0k1\0%s\0%s' "$SID1" "$SECRET1" |
    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$PEPHEX" |
    awk '{ print $NF }')
pw_is "the stored hash is openssl's HMAC-SHA256 under the pepper" \
    "$(rcli HGET "$S" "$SID1")" "v1:$PEPID:$want"

# Shown once: show and list print no token, secret or hash.
cli_rc "key show: exit 0" 0 key show k1
cli_like "key show: the secret's id, created, last used" \
    "^secret +$SID1 created [0-9T:-]+Z, last used never$" "$OUT"
pw_check "key show: neither the secret nor its hash" \
    bash -c '! grep -qF -e "$1" -e "$2" <<<"$3"' _ "$SECRET1" "$want" "$OUT"
cli_rc "key show --json: exit 0" 0 key show k1 --json
pw_is "key show --json: secrets with id, created, used" \
    "$(cli_json '[(s["id"], s["created"] > 0, s["used"]) for s in j["secrets"]]')" \
    "[('$SID1', True, None)]"
pw_check "key show --json: no token field, no secret" \
    bash -c '! grep -qF -e "$1" -e "$2" -e "\"token\"" <<<"$3"' _ \
    "$SECRET1" "$want" "$OUT"

# The second secret; the third is refused.
cli_rc "secret add: exit 0" 0 key secret add k1
TOKEN2=$OUT
SID2=$(cut -d. -f3 <<<"$TOKEN2")
pw_check "secret add: prints the token alone on stdout" \
    grep -qxE "pw1\.k1\.[0-9a-f]{8}\.[A-Za-z0-9_-]{49}" <<<"$TOKEN2"
pw_check "secret add: another secret" test "$SID2" != "$SID1"
cli_like "secret add: not shown again" "is shown only this once" "$ERR"
cli_rc "a third live secret: exit 3" 3 key secret add k1
cli_like "a third live secret: says why and what to do" \
    "has 2 live secrets already: revoke one first" "$ERR"
pw_is "a third live secret: no token printed" "$OUT" ""
pw_is "a third live secret: Redis holds two" \
    "$(rcli HKEYS "$S" | grep -cvF :)" 2
cli_rc "secret add --json: the limit holds (exit 3)" 3 key secret add k1 --json

# list
rcli HSET "$S" "$SID2:used" 1800000000 >/dev/null
cli_rc "secret list: exit 0" 0 key secret list k1
pw_is "secret list: header and two secrets" \
    "$(printf '%s\n' "$OUT" | awk '{ print $1 }' | sort | tr '\n' ' ')" \
    "$(printf '%s\n' SECRET "$SID1" "$SID2" | sort | tr '\n' ' ')"
cli_like "secret list: last used as a time" \
    "^$SID2 +[0-9T:-]+Z +2027-01-15T08:00:00Z$" "$OUT"
cli_like "secret list: never used" "^$SID1 +[0-9T:-]+Z +never$" "$OUT"
cli_rc "secret list --json: exit 0" 0 key secret list k1 --json
pw_is "secret list --json: ids, used" \
    "$(cli_json 'sorted((s["id"], s["used"]) for s in j)')" \
    "$(python3 -c 'import sys; print(sorted([(sys.argv[1], None), (sys.argv[2], 1800000000)]))' "$SID1" "$SID2")"
cli_rc "secret list of an unknown key: exit 1" 1 key secret list nobody

# No plaintext secret in Redis: every value of every key, and a dump.
rcli SET scratch:probe x >/dev/null
all=$(for k in $(rcli --scan); do
	case $(rcli TYPE "$k") in
	string) rcli GET "$k" ;;
	hash) rcli HGETALL "$k" ;;
	set) rcli SMEMBERS "$k" ;;
	zset) rcli ZRANGE "$k" 0 -1 WITHSCORES ;;
	list) rcli LRANGE "$k" 0 -1 ;;
	esac
done)
pw_check "the walk over Redis sees the values (a hash is there)" \
    grep -qF "v1:$PEPID:$want" <<<"$all"
SECRET2=$(cut -d. -f4 <<<"$TOKEN2")
pw_check "no value in Redis holds either secret or token" \
    bash -c '! grep -qF -e "$1" -e "$2" <<<"$3"' _ "${SECRET1:0:20}" \
    "${SECRET2:0:20}" "$all"
rcli CONFIG SET rdbcompression no >/dev/null
rcli --rdb "$PW_TMP/dump.rdb" >/dev/null 2>&1
pw_check "the RDB dump (uncompressed) holds the hashes" \
    grep -qaF "v1:$PEPID:$want" "$PW_TMP/dump.rdb"
pw_check "the RDB dump holds neither secret" \
    bash -c '! grep -qaF -e "$1" -e "$2" "$3"' _ "${SECRET1:0:20}" \
    "${SECRET2:0:20}" "$PW_TMP/dump.rdb"

# revoke
cli_rc "revoke: exit 0" 0 key secret revoke k1 "$SID2"
pw_is "revoke: says so" "$OUT" "key k1: secret $SID2 revoked"
pw_is "revoke: the hash, created and used are gone" \
    "$(rcli HKEYS "$S" | grep -c "^$SID2")" 0
pw_is "revoke: the other secret stays" "$(rcli HEXISTS "$S" "$SID1")" 1
cli_rc "revoke again: exit 1" 1 key secret revoke k1 "$SID2"
cli_rc "revoke a bad id: exit 64" 64 key secret revoke k1 'x:created'
cli_rc "revoke --json: exit 0 after a new secret" 0 key secret add k1
SID3=$(cut -d. -f3 <<<"$OUT")
cli_rc "revoke --json: exit 0" 0 key secret revoke k1 "$SID3" --json
pw_is "revoke --json" "$(cli_json '[j["secret_id"], j["revoked"]]')" \
    "['$SID3', True]"

# key add --json: the token as a field.
cli_rc "key add --json: exit 0" 0 --json key add k2 --tenant acme
pw_is "key add --json: the token and its secret's id" \
    "$(cli_json '[j["token"].split(".")[:3] == ["pw1", "k2", j["secrets"][0]["id"]], len(j["token"])]')" \
    "[True, 65]"

# A pepper that cannot be used.
chmod 0644 "$PEPPER"
cli_rc "a group-readable pepper: key add exits 2" 2 key add k3 --tenant acme
cli_like "a group-readable pepper: says why" "group or others" "$ERR"
cli_like "a group-readable pepper: the key is added, without a secret" \
    "key k3 is added, but without a secret" "$ERR"
pw_is "a group-readable pepper: the key exists" \
    "$(rcli HGET pw:key:k3 tenant)" acme
chmod 0600 "$PEPPER"

# delete, and secrets left under an id by hand
rcli SET 'pw:{acme}:authfail:k1' 3 >/dev/null
cli_rc "key delete: exit 0" 0 key delete k1
pw_is "key delete: secrets and failure counter gone" \
    "$(rcli EXISTS "$S" 'pw:{acme}:authfail:k1')" 0
rcli HSET 'pw:{acme}:key:k4:secrets' 00000000 v1:x:y 00000000:created 1 \
    >/dev/null
cli_rc "key add over secrets left by hand: exit 0" 0 key add k4 --tenant acme
pw_is "key add over left secrets: only the new one" \
    "$(rcli HKEYS 'pw:{acme}:key:k4:secrets' | grep -c 00000000)" 0
# A pepper the daemons' user owns (as the harness's secret files are)
# serves the CLI too, as a KEK of that user does.
if [ "$(id -u)" = 0 ]; then
	cp -p "$PEPPER" "$PW_TMP/pepper-nobody"
	chown nobody "$PW_TMP/pepper-nobody"
	{ cat "$NOPEPPER_CONF"; printf 'user = nobody\n'
	  printf 'auth_pepper_file = %s\n' "$PW_TMP/pepper-nobody"; } \
	    >"$PW_TMP/nobody.conf"
	CLI_CONF=$PW_TMP/nobody.conf
	cli_rc "a pepper owned by the configured user: secret add, exit 0" 0 \
	    key secret add k0
	CLI_CONF=$CONF
else
	pw_ok "a pepper owned by the configured user # SKIP needs root"
fi
for k in k0 k2 k3 k4; do pwcli key delete "$k"; done
cli_rc "tenant delete: exit 0" 0 tenant delete acme
pw_is "no secrets hash is left" "$(rcli --scan --pattern '*secrets*')" ""
pw_done
