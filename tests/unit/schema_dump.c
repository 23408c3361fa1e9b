/*
 * schema_dump.c -- print lib/schema.c's table for tests/unit/schema.sh:
 *   --doc    each key name as docs/redis-schema.md's tables write it,
 *            prefix "pw:" and holes as they are ("pw:{T}:txn:<instance>");
 *   --regex  an extended regular expression per name and name prefix, a
 *            hole matching any text ("^pw:\{[^}]+\}:txn:[^ ]+$"), for the
 *            names the page mentions elsewhere;
 *   --lua    lua/schema.lua, the scripts' functions that build the same
 *            names (`make lua/schema.lua-update` writes it there).
 * Exit 0, or 64 for a bad argument.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

/* The pattern after the tenant's "{T}:" (slot names) or whole. */
static const char *
dump_rest(const struct pw_schema_entry *e)
{
	if ((e->flags & PW_SCHEMA_F_SLOT) &&
	    strncmp(e->pattern, "{T}:", 4) == 0)
		return e->pattern + 4;
	return e->pattern;
}

static void
dump_regex(const struct pw_schema_entry *e)
{
	const char *p;

	printf("^pw:");
	for (p = e->pattern; *p != '\0'; p++) {
		if (strncmp(p, "{T}", 3) == 0) {
			printf("\\{[^}]+\\}");
			p += 2;
		} else if (*p == '<' && strchr(p, '>') != NULL) {
			printf("[^ ]+");
			p = strchr(p, '>');
		} else if (strchr(".{}()[]*+?^$|\\", *p) != NULL)
			printf("\\%c", *p);
		else
			putchar(*p);
	}
	printf("$\n");
}

/* A hole's name as a Lua parameter: "<queue_id>" -> "queue_id". */
static void
dump_lua_hole(const char *p, const char *end)
{
	for (p++; p < end; p++)
		putchar(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
}

static void
dump_lua(const struct pw_schema_entry *e)
{
	const char *p, *end, *rest = dump_rest(e);
	bool slot = (e->flags & PW_SCHEMA_F_SLOT) != 0, first = true;
	bool lit = false;

	printf("\n-- %s%s\nlocal function schema_%s(", slot ? "<P>" : "",
	    rest, e->name);
	if (slot) {
		printf("P");
		first = false;
	}
	for (p = rest; (p = strchr(p, '<')) != NULL; p = end) {
		end = strchr(p, '>');
		printf("%s", first ? "" : ", ");
		dump_lua_hole(p, end);
		first = false;
	}
	printf(")\n\treturn %s", slot ? "P" : "");
	first = !slot;
	for (p = rest; *p != '\0'; p++) {
		if (*p == '<' && (end = strchr(p, '>')) != NULL) {
			if (lit)
				putchar('\'');
			printf("%s", first ? "" : " .. ");
			dump_lua_hole(p, end);
			lit = false;
			p = end;
		} else {
			if (!lit)
				printf("%s'", first ? "" : " .. ");
			putchar(*p);
			lit = true;
		}
		first = false;
	}
	printf("%s\nend\n", lit ? "'" : "");
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc != 2)
		goto usage;
	if (strcmp(argv[1], "--lua") == 0)
		printf("-- lua/schema.lua -- the Redis key names the scripts "
		    "derive, from\n-- lib/schema.c's table: written by "
		    "tests/unit/schema_dump --lua\n-- (make lua-schema), "
		    "checked by tests/unit/schema.sh; do not edit.\n"
		    "-- The build puts it in front of the scripts that "
		    "derive names\n-- (lua/local.mk).  P is the tenant's "
		    "slot prefix, \"pw:{acme}:\" (ARGV[1]);\n-- <who> is "
		    "schema_who_tenant() or schema_who_key(keyid), <window>\n"
		    "-- schema_window(unit, id): \"d:20261127\".\n");
	else if (strcmp(argv[1], "--doc") != 0 &&
	    strcmp(argv[1], "--regex") != 0)
		goto usage;
	for (i = 0; i < PW_SCHEMA_NNAMES; i++) {
		const struct pw_schema_entry *e = &pw_schema[i];

		if (argv[1][2] == 'l') {
			if ((e->flags & PW_SCHEMA_F_PART) ||
			    ((e->flags & PW_SCHEMA_F_SLOT) &&
			    !(e->flags & PW_SCHEMA_F_PREFIX)))
				dump_lua(e);
		} else if (e->flags & PW_SCHEMA_F_PART)
			continue;
		else if (argv[1][2] == 'r')
			dump_regex(e);
		else if (!(e->flags & PW_SCHEMA_F_PREFIX))
			printf("pw:%s\n", e->pattern);
	}
	return 0;
usage:
	fprintf(stderr, "usage: schema_dump --doc|--regex|--lua\n");
	return 64;
}
