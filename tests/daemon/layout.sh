#!/bin/bash
# tests/daemon/layout.sh -- the README's layout and each directory's
# README.md tell a newcomer where to look, and stay true:
#
#   - every directory of the tree has a README.md;
#   - every .c and .lua file of a code directory is named in its README.md
#     (a new file cannot land undescribed);
#   - every reference `path: symbol` in README.md or a directory's README.md
#     names a file that exists and a symbol defined in it (a C function
#     starts a line, as in "name(", a Lua function follows "function ");
#   - the README's "Where to look" section answers the questions of
#     issue 13, each with such a reference.

. "$PW_SRCDIR/tests/harness/harness.sh"

S=$PW_SRCDIR
dirs="lib lua policyd auth http milter cli tests contrib docs man"
code_dirs="lib lua policyd auth http milter cli"
questions=(
	"where a daily quota is decided"
	"where the reply text for a refusal is made"
	"where the DKIM body is hashed"
	"where the tracking id is made"
	"where a Redis key name is spelled"
)

# Every `path: symbol` reference of the READMEs, one per line.
refs() {
	cat "$S/README.md" "$S"/*/README.md 2>/dev/null |
	grep -o '`[a-z][a-z0-9_./-]*\.[a-z]*: [A-Za-z_][A-Za-z0-9_]*`' |
	tr -d '`' | sort -u
}
nrefs=$(refs | wc -l)

for d in $dirs; do
	pw_check "$d/ has a README.md" test -s "$S/$d/README.md"
done

for d in $code_dirs; do
	missing=
	for f in "$S/$d"/*.c "$S/$d"/*.lua; do
		[ -e "$f" ] || continue
		b=$(basename "$f")
		grep -q -w -F -- "$b" "$S/$d/README.md" 2>/dev/null ||
			missing="$missing $b"
	done
	if [ -z "$missing" ]; then
		pw_ok "$d/README.md names every file of $d/"
	else
		pw_not_ok "$d/README.md names every file of $d/"
		echo "# not named:$missing"
	fi
done

pw_check "the READMEs give references (found $nrefs)" test "$nrefs" -ge 5
while read -r ref; do
	path=${ref%%:*}
	sym=${ref#*: }
	f=$S/$path
	case $path in
	*.c|*.h)	pat="^$sym\\(" ;;
	*.lua)		pat="function $sym\\b" ;;
	*)		pat="\\b$sym\\b" ;;
	esac
	if [ -f "$f" ] && grep -q -E -- "$pat" "$f"; then
		pw_ok "$path defines $sym"
	else
		pw_not_ok "$path defines $sym"
		[ -f "$f" ] || echo "# no such file: $path"
	fi
done < <(refs)

section=$(sed -n '/^## Where to look/,/^## /p' "$S/README.md")
for q in "${questions[@]}"; do
	line=$(printf '%s\n' "$section" | grep -i -F -- "$q")
	if printf '%s\n' "$line" | grep -q '`[a-z][a-z0-9_./-]*\.[a-z]*: [A-Za-z_]'; then
		pw_ok "README answers: $q"
	else
		pw_not_ok "README answers: $q"
	fi
done
pw_done
