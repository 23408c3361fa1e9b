/*
 * rule_table.c -- print lib/rule's table for tests/daemon/man_replies.sh:
 * one line per rule, "label<TAB>code<TAB>prefix", where code is "550
 * 5.7.1" or "DUNNO" and prefix is the reply text up to its first
 * argument (the literal words the manual's row must begin with).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rule.h"

int
main(void)
{
	const struct pw_rule_entry *e;
	const char *arg;
	size_t i;

	for (i = 0; i < PW_RULE_COUNT; i++) {
		e = pw_rule_get((enum pw_rule)i);
		arg = strstr(e->text, "%s");
		if (e->code == 0)
			printf("%s\tDUNNO\t", e->label);
		else
			printf("%s\t%d %s\t", e->label, e->code, e->status);
		printf("%.*s\n", arg != NULL ? (int)(arg - e->text) :
		    (int)strlen(e->text), e->text);
	}
	return 0;
}
