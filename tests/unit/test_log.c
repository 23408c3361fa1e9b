/*
 * test_log.c -- unit tests for lib/log.c: escaping of peer text and
 * level names.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static const struct {
	const char	*name;
	const char	*in;
	size_t		 inlen;
	size_t		 outsize;
	const char	*want;
} cases[] = {
	{ "plain text kept", "hello world", 11, 64, "hello world" },
	{ "CR LF escaped", "a\r\nb", 4, 64, "a\\x0d\\x0ab" },
	{ "backslash doubled", "a\\b", 3, 64, "a\\\\b" },
	{ "8-bit bytes escaped", "\xc3\xa9", 2, 64, "\\xc3\\xa9" },
	{ "NUL inside escaped", "a\0b", 3, 64, "a\\x00b" },
	{ "truncated with dots", "abcdefghij", 10, 8, "abcd..." },
	{ "escape not split", "abc\x01", 4, 8, "abc..." },
	{ "exact fit", "abc", 3, 8, "abc" },
	{ "tiny buffer", "abcdef", 6, 3, "" },
};

static void
test_escape(void **state)
{
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'X', sizeof(out));
		pw_log_escape(out, cases[i].outsize, cases[i].in,
		    cases[i].inlen);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case \"%s\": got \"%s\"", cases[i].name, out);
		assert_true(strlen(out) < cases[i].outsize);
	}
}

static void
test_level_names(void **state)
{
	enum pw_log_level level;

	assert_int_equal(pw_log_level_parse("warning", &level), 0);
	assert_int_equal(level, PW_LOG_WARNING);
	assert_int_equal(pw_log_level_parse("DEBUG", &level), 0);
	assert_int_equal(level, PW_LOG_DEBUG);
	assert_int_equal(pw_log_level_parse("verbose", &level), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_level_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
