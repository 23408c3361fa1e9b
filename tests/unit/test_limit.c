/*
 * test_limit.c -- unit tests for lib/limit.c: which values of a limit
 * field are valid, and that its fields are those lua/rcpt.lua checks
 * (LIMITS there), in the same order.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "limit.h"

static const struct {
	const char		*value;
	enum pw_limit_value	 want;
	long long		 n;
} parse_cases[] = {
	{ NULL, PW_LIMIT_NONE, 0 }, { "", PW_LIMIT_NONE, 0 },
	{ "0", PW_LIMIT_NONE, 0 }, { "000", PW_LIMIT_NONE, 0 },
	{ "1", PW_LIMIT_SET, 1 }, { "1000", PW_LIMIT_SET, 1000 },
	{ "999999999999999", PW_LIMIT_SET, 999999999999999LL },
	{ "1000000000000000", PW_LIMIT_INVALID, 0 },	/* 16 digits */
	{ "1,000", PW_LIMIT_INVALID, 0 }, { "-5", PW_LIMIT_INVALID, 0 },
	{ "ten", PW_LIMIT_INVALID, 0 }, { "1e1", PW_LIMIT_INVALID, 0 },
	{ "0x2", PW_LIMIT_INVALID, 0 }, { " 5", PW_LIMIT_INVALID, 0 },
	{ "5 ", PW_LIMIT_INVALID, 0 },
};

static void
test_parse(void **state)
{
	long long n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		if (pw_limit_parse(parse_cases[i].value, &n) !=
		    parse_cases[i].want || n != parse_cases[i].n)
			fail_msg("\"%s\": got %lld", parse_cases[i].value ?
			    parse_cases[i].value : "(absent)", n);
	}
}

static void
test_fields(void **state)
{
	(void)state;
	assert_true(pw_limit_field_is("quota_hour"));
	assert_true(pw_limit_field_is("max_recipients"));
	assert_false(pw_limit_field_is("status"));
	assert_false(pw_limit_field_is("quota"));
	assert_false(pw_limit_field_is(""));
}

/* The C list is the one in lua/rcpt.lua ("local LIMITS = { ... }"). */
static void
test_fields_match_lua(void **state)
{
	const char *src = getenv("PW_SRCDIR");
	char path[4096], text[65536], want[512] = "", got[512] = "";
	const char *p, *end;
	size_t n, i, o = 0;
	FILE *fp;

	(void)state;
	if (src == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/lua/rcpt.lua", src);
	assert_non_null(fp = fopen(path, "r"));
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	assert_non_null(p = strstr(text, "local LIMITS = {"));
	assert_non_null(end = strchr(p, '}'));
	for (p += strlen("local LIMITS = {"); p < end; p++)
		if (*p == '\'' || *p == ',' || (*p >= 'a' && *p <= 'z') ||
		    *p == '_')
			if (o + 1 < sizeof(got) && *p != '\'')
				got[o++] = *p;
	got[o] = '\0';
	for (i = 0; i < PW_LIMIT_NFIELDS; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    "%s%s", i > 0 ? "," : "", pw_limit_fields[i]);
	assert_string_equal(got, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_fields_match_lua),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
