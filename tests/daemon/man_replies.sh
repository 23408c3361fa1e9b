#!/bin/bash
# tests/daemon/man_replies.sh -- the REPLIES table of postwarden-policyd(8)
# is lib/rule's table: the same rows (label, SMTP code and enhanced
# status), and each row's text begins with the reply's literal words.

. "$PW_SRCDIR/tests/harness/harness.sh"

MAN=$PW_SRCDIR/man/postwarden-policyd.8.in
TABLE=$PW_BUILDDIR/tests/daemon/rule_table
[ -r "$MAN" ] || pw_skip_all "$MAN missing"
[ -x "$TABLE" ] || pw_skip_all "$TABLE not built"
pw_plan 3

# The rows of the table under ".Sh REPLIES": ".It label Ta code Ta text",
# without the header row (".It Sy rule ...").
rows=$(sed -n '/^\.Sh REPLIES/,/^\.El/p' "$MAN" |
    sed -n 's/^\.It \(.*\)$/\1/p' | grep -v '^Sy rule ' |
    sed 's/ Ta */\t/g')
man=$(echo "$rows" | cut -f1,2 | sort)
code=$("$TABLE" | cut -f1,2 | sort)

missing=$(comm -13 <(echo "$man") <(echo "$code"))
extra=$(comm -23 <(echo "$man") <(echo "$code"))
if [ -z "$missing" ]; then
	pw_ok "every rule of lib/rule has its row, code and status in the page"
else
	pw_not_ok "every rule of lib/rule has its row, code and status in the page" \
	    "missing or with another code:
$missing"
fi
if [ -z "$extra" ]; then
	pw_ok "the page has no reply row that lib/rule does not make"
else
	pw_not_ok "the page has no reply row that lib/rule does not make" "$extra"
fi

bad=
while IFS=$'\t' read -r label c prefix; do
	text=$(echo "$rows" | awk -F '\t' -v l="$label" '$1 == l { print $3 }')
	case $text in
	"$prefix"*) ;;
	*) bad="$bad$label: page \"$text\", code \"$prefix...\""$'\n' ;;
	esac
done < <("$TABLE")
if [ -z "$bad" ]; then
	pw_ok "each row's text begins as the reply does"
else
	pw_not_ok "each row's text begins as the reply does" "$bad"
fi
