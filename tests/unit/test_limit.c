/*
 * test_limit.c -- unit tests for lib/limit.c: which values of a limit
 * field are valid, and which fields are limits.  (postwarden-policyd
 * checks them in C since issue 17; lua/rcpt.lua no longer has a list of
 * its own to compare.)
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
