#!/bin/bash
# tests/cli/import.sh -- postwarden suppress import/export: the CSV
# format (header address,reason,source,time,expires; defaults; quoting),
# a bad line refusing the whole import (nothing written) or skipped with
# --skip-bad, the round trip through export, and 100,000 entries in
# seconds (the time is printed; the assertion is generous).

. "$PW_SRCDIR/tests/cli/common.sh"
cli_start
pw_plan 24

for t in acme beta gamma; do
	rcli HSET "pw:{$t}:tenant" status active >/dev/null
	rcli SADD pw:tenants "$t" >/dev/null
done
now=$(date +%s)
value() { rcli HGET "pw:{${2:-acme}}:supp" "$1"; }

cat >"$PW_TMP/good.csv" <<CSV
address,reason,source,time,expires
A@Example.net,bounce,import,1700000000,0
@domain.example,complaint,,2023-11-14,
"q@example.net",unsubscribe,"list-7",1700000000,4102444800
only@example.net
old@example.net,bounce,import,1,2
CSV
cli_rc "import: exit 0" 0 suppress import "$PW_TMP/good.csv" --tenant acme
cli_like "import: counts" \
    "^imported 4 entries into tenant acme in [0-9.]+ s \(0 bad lines "\
"skipped, 1 expired entry skipped\)$" \
    "$OUT"
pw_is "import: full line" "$(value a@example.net)" "bounce|import|1700000000|0"
pw_is "import: ISO date, default source and expires" \
    "$(value @domain.example)" "complaint|import|1699920000|0"
pw_is "import: quoted fields" "$(value q@example.net)" \
    "unsubscribe|list-7|1700000000|4102444800"
v=$(value only@example.net)
pw_is "import: address only: manual|import|now|0" \
    "$(echo "$v" | cut -d'|' -f1,2,4)" "manual|import|0"
pw_is "import: expired line not written" \
    "$(rcli HEXISTS 'pw:{acme}:supp' old@example.net)" 0

cat >"$PW_TMP/bad.csv" <<CSV
address,reason,source,time,expires
fine@example.net,bounce,,,
not an address,bounce,,,
x@example.net,spam,,,
y@example.net,bounce,Bad|Source,,
z@example.net,bounce,,yesterday,
w@example.net,bounce,,,,extra
"unterminated@example.net,bounce
CSV
cli_rc "bad lines: import refused, exit 64" 64 suppress import \
    "$PW_TMP/bad.csv" --tenant beta
cli_like "bad lines: line 3 named" \
    "bad.csv:3: expected user@domain or @domain" "$ERR"
cli_like "bad lines: line 4 named" "bad.csv:4: reason: expected" "$ERR"
cli_like "bad lines: line 5 named" "bad.csv:5: source: expected" "$ERR"
cli_like "bad lines: line 6 named" "bad.csv:6: time: expected" "$ERR"
cli_like "bad lines: lines 7, 8 named" \
    "bad.csv:8: more than 5 fields, or broken quoting" "$ERR"
cli_like "bad lines: refusal says nothing was written" \
    "import refused: 6 bad lines, nothing written" "$ERR"
pw_is "bad lines: nothing written" "$(rcli EXISTS 'pw:{beta}:supp')" 0
cli_rc "--skip-bad: exit 0" 0 suppress import "$PW_TMP/bad.csv" --tenant beta \
    --skip-bad --json
pw_is "--skip-bad: the good line imported" \
    "$(cli_json '[j["imported"], j["bad_lines_skipped"]]') $(
	rcli HLEN 'pw:{beta}:supp')" \
    "[1, 6] 1"
printf 'user@example.net\n' >"$PW_TMP/nohead.csv"
cli_rc "no header: exit 64" 64 suppress import "$PW_TMP/nohead.csv" \
    --tenant beta
cli_rc "missing file: exit 2" 2 suppress import "$PW_TMP/none.csv" --tenant beta

# Round trip: export acme, import into gamma from stdin, same entries.
pwcli suppress export "$PW_TMP/acme.csv" --tenant acme
pw_is "export to a file: mode 0600" "$(stat -c %a "$PW_TMP/acme.csv")" 600
OUT=$("$CLI_BIN" -c "$CLI_CONF" suppress import - --tenant gamma \
    <"$PW_TMP/acme.csv" 2>&1)
pw_is "round trip: same entries" \
    "$(rcli HGETALL 'pw:{gamma}:supp' | paste - - | sort)" \
    "$(rcli HGETALL 'pw:{acme}:supp' | paste - - | sort)"

# 100,000 entries.
"$PW_PYTHON" -c '
print("address,reason,source,time,expires")
for i in range(100000):
    print("user%d@example%d.com,bounce,import,1700000000,0" % (i, i % 97))
' >"$PW_TMP/big.csv"
start=$(date +%s%N)
pwcli suppress import "$PW_TMP/big.csv" --tenant acme
ms=$((($(date +%s%N) - start) / 1000000))
pw_diag "import of 100,000 entries into one tenant: $ms ms"
pw_check "100,000 entries into a tenant, under 30 s ($ms ms)" \
    test "$RC" = 0 -a "$ms" -lt 30000
start=$(date +%s%N)
pwcli suppress import "$PW_TMP/big.csv" --global
ms=$((($(date +%s%N) - start) / 1000000))
pw_diag "import of 100,000 global entries (master + 3 tenant copies): $ms ms"
pw_check "100,000 global entries with 3 tenants, under 30 s ($ms ms)" \
    test "$RC" = 0 -a "$ms" -lt 30000
pw_is "100,000: every copy there" \
    "$(rcli HLEN pw:supp:global) $(rcli HLEN 'pw:{beta}:supp')" "100000 100001"
