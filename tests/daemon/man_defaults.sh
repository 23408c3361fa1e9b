#!/bin/bash
# tests/daemon/man_defaults.sh -- postwarden.conf(5) documents every
# setting with the default the programs really use, and nothing else.

. "$PW_SRCDIR/tests/harness/harness.sh"

MAN=$PW_BUILDDIR/man/postwarden.conf.5
CLI=$PW_BUILDDIR/cli/postwarden
[ -r "$MAN" ] || pw_skip_all "$MAN not built"
pw_plan 3

# ".TP" followed by "\fBname\fR = default" in the page.
documented=$(sed -n 's/^\\fB\([a-z_0-9]*\)\\fR = *\(.*\)$/\1 = \2/p' "$MAN" |
    sed 's/ = $/ =/' | sort)
actual=$("$CLI" config -d | sort)

missing=$(comm -13 <(echo "$documented") <(echo "$actual"))
extra=$(comm -23 <(echo "$documented") <(echo "$actual"))
if [ -z "$missing" ]; then
	pw_ok "every setting and default is documented"
else
	pw_not_ok "every setting and default is documented" \
	    "undocumented or documented with another default:
$missing"
fi
if [ -z "$extra" ]; then
	pw_ok "the page documents no setting or default that does not exist"
else
	pw_not_ok "the page documents no setting or default that does not exist" "$extra"
fi
n=$(echo "$actual" | wc -l)
if [ "$n" -ge 20 ]; then
	pw_ok "config -d lists the settings ($n)"
else
	pw_not_ok "config -d lists the settings ($n)"
fi
