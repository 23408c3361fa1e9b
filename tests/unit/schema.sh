#!/bin/bash
# tests/unit/schema.sh -- lib/schema.c's table is the one spelling of the
# Redis key names: docs/redis-schema.md must list exactly its names in
# its tables and mention no other name, nor may the manual pages, and
# lua/schema.lua must be what the table makes of it (`make lua-schema`).
# Compared through tests/unit/schema_dump.  TAP.

dump=$PW_BUILDDIR/tests/unit/schema_dump
doc=$PW_SRCDIR/docs/redis-schema.md
lua=$PW_SRCDIR/lua/schema.lua
n=0 fails=0

ok() {	# ok NAME DIFFERENCE
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		printf '%s\n' "$2" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}

echo 1..4

# 1. The names in the tables' first column ("| `pw:...` |").
want=$("$dump" --doc | sort -u)
have=$(grep -o '^| `pw:[^`]*`' "$doc" | sed 's/^| `//; s/`$//' | sort -u)
ok "docs/redis-schema.md tables: the names of lib/schema, no other" \
    "$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$have") |
    sed -n 's/^</missing from the page:/p; s/^>/not in lib\/schema:/p')"

# 2. Every name the page mentions anywhere (prose, recipes) is one of
# them, with its holes filled in or not ("pw:{acme}:used:key:k1:d:...").
regex=$("$dump" --regex)
stray=$(grep -oE 'pw:[][A-Za-z0-9_{}<>:.@+-]+' "$doc" | sed 's/\.*$//' |
    grep -v '^pw:$' | sort -u | grep -vE -f <(printf '%s\n' "$regex"))
ok "docs/redis-schema.md: every name it mentions is in lib/schema" \
    "${stray:+not in lib/schema: }$stray"

# 3. The same of the manual pages, as nroff prints them.
if command -v nroff >/dev/null && command -v col >/dev/null; then
	stray=$(for f in "$PW_BUILDDIR"/man/*.[158]; do
		nroff -mandoc -rLL=300n -Tascii "$f" 2>/dev/null | col -b
	done | grep -oE 'pw:[][A-Za-z0-9_{}<>:.@+-]+' | sed 's/\.*$//' |
	    grep -v '^pw:$' | sort -u | grep -vE -f <(printf '%s\n' "$regex"))
	ok "man pages: every name they mention is in lib/schema" \
	    "${stray:+not in lib/schema: }$stray"
else
	n=$((n + 1))
	echo "ok $n # SKIP no nroff to read the manual pages"
fi

# 4. lua/schema.lua as the table writes it.
ok "lua/schema.lua is lib/schema's table (make lua-schema)" \
    "$(diff "$lua" <("$dump" --lua) 2>&1)"

[ "$fails" -eq 0 ]
