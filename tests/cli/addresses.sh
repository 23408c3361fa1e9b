#!/bin/bash
# tests/cli/addresses.sh -- postwarden keeps suppressions in the normal
# form postwarden-policyd compares recipients in (lib/address): a
# trailing dot, upper case and U-labels (IDNA) are taken and stored in
# one form by suppress add, remove, check, import and unsubscribe (a
# one-click token's recipient), so an entry matches however either side
# wrote the address (issue 12).

. "$PW_SRCDIR/tests/cli/common.sh"
cli_start
pw_plan 26

rcli HSET 'pw:{acme}:tenant' status active >/dev/null
rcli SADD pw:tenants acme >/dev/null
# has FIELD: 1 when pw:{acme}:supp holds it.
has() { rcli HEXISTS 'pw:{acme}:supp' "$1"; }

cli_rc "add victim@ok.example. (trailing dot): exit 0" 0 \
    suppress add victim@ok.example. --tenant acme
pw_is "... stored without the dot" \
    "$(has victim@ok.example) $(has victim@ok.example.)" "1 0"
cli_rc "add @bücher.example (U-label): exit 0" 0 \
    suppress add @bücher.example --tenant acme
pw_is "... stored as its A-label" \
    "$(has @xn--bcher-kva.example) $(rcli HLEN 'pw:{acme}:supp')" "1 2"
cli_like "... and says so" "^suppressed @xn--bcher-kva.example in tenant acme" \
    "$OUT"
cli_rc "add @BÜCHER.EXAMPLE. again: exit 0" 0 \
    suppress add @BÜCHER.EXAMPLE. --tenant acme
pw_is "... the same entry" "$(rcli HLEN 'pw:{acme}:supp')" 2
cli_rc "check user@bücher.example: suppressed (exit 0)" 0 \
    suppress check user@bücher.example --tenant acme
cli_rc "check user@xn--bcher-kva.example.: suppressed (exit 0)" 0 \
    suppress check user@xn--bcher-kva.example. --tenant acme
cli_rc "check VICTIM@OK.EXAMPLE.: suppressed (exit 0)" 0 \
    suppress check VICTIM@OK.EXAMPLE. --tenant acme
cli_rc "check victim+tag@ok.example: another mailbox (exit 1)" 1 \
    suppress check victim+tag@ok.example --tenant acme
cli_rc "add a 256-byte local part: exit 0" 0 \
    suppress add "$(printf '%256s' '' | tr ' ' x)@ok.example" --tenant acme
cli_rc "add a 257-byte local part: refused whole (exit 64)" 64 \
    suppress add "$(printf '%257s' '' | tr ' ' x)@ok.example" --tenant acme
cli_like "... with the reason" "local part longer than 256 bytes" "$ERR"
cli_rc "remove victim@OK.example.: exit 0" 0 \
    suppress remove victim@OK.example. --tenant acme
pw_is "... gone" "$(has victim@ok.example)" 0

printf '%s\n' 'address,reason,source,time,expires' \
    'dot@ok.example.,bounce,,,' \
    'x@Straße.DE,complaint,,,' \
    '@BÜCHER.example,manual,,,' >"$PW_TMP/in.csv"
cli_rc "import dotted and UTF-8 domains: exit 0" 0 \
    suppress import "$PW_TMP/in.csv" --tenant acme
pw_is "import: stored in normal form" \
    "$(has dot@ok.example) $(has x@xn--strae-oqa.de)" "1 1"
pw_is "import: an entry written two ways is one" \
    "$(rcli HGET 'pw:{acme}:supp' @xn--bcher-kva.example | cut -d'|' -f1)" \
    manual

cli_rc "global add victim2@ok.example.: exit 0" 0 \
    suppress add victim2@ok.example. --global
pw_is "global: master and tenant copy in normal form" \
    "$(rcli HEXISTS pw:supp:global victim2@ok.example) $(has victim2@ok.example)" \
    "1 1"
cli_rc "export: exit 0" 0 suppress export --tenant acme
pw_is "export: every address in normal form" \
    "$(printf '%s\n' "$OUT" | cut -d, -f1 | grep -c '[.]$\|[A-Z]\|ü')" 0

# unsubscribe: a token's recipient is stored in normal form too.
MAKE=$PW_BUILDDIR/tests/cli/track_make
SECRET=$PW_TMP/tracking.secret
printf '%s\n' 9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9 \
    >"$SECRET"
chmod 0600 "$SECRET"
printf 'tracking_secret_file = %s\n' "$SECRET" >>"$CLI_CONF"
cli_rc "unsubscribe a token for Victim3@OK.example.: exit 0" 0 \
    unsubscribe "$("$MAKE" "$SECRET" unsub acme Victim3@OK.example.)"
pw_is "... stored as victim3@ok.example" \
    "$(has victim3@ok.example) $(has victim3@ok.example.)" "1 0"
cli_like "... and says so" "^unsubscribed victim3@ok.example from tenant acme" \
    "$OUT"
