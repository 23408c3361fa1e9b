/*
 * test_rule.c -- unit tests for lib/rule.c: every row is whole, a reply
 * is "CODE STATUS text" with its arguments in order, truncation is
 * clean, and the checks of lua/rcpt.lua find their rules.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rule.h"

static void
test_rows_whole(void **state)
{
	const struct pw_rule_entry *e;
	size_t i;

	(void)state;
	for (i = 0; i < PW_RULE_COUNT; i++) {
		e = pw_rule_get((enum pw_rule)i);
		assert_int_equal(e->rule, i);	/* the table is in enum order */
		assert_non_null(e->label);
		assert_non_null(e->event);
		assert_non_null(e->text);
		if (i == PW_RULE_NONE)
			continue;
		assert_true(e->code >= 400 && e->code <= 599);
		/* The enhanced status class is the code's: 4.x.x for 4xx. */
		assert_int_equal(e->status[0] - '0', e->code / 100);
	}
	/* Out of range: the NONE row, never out of the table. */
	assert_int_equal(pw_rule_get(PW_RULE_COUNT)->rule, PW_RULE_NONE);
}

static const struct {
	enum pw_rule	 rule;
	const char	*args[5];
	size_t		 nargs;
	const char	*want;
} reply_cases[] = {
	{ PW_RULE_NONE, { NULL }, 0, "DUNNO" },
	{ PW_RULE_UNKNOWN_KEY, { "k1" }, 1,
	    "550 5.7.1 API key k1 is not known" },
	{ PW_RULE_INVALID_USER, { NULL }, 0,
	    "550 5.7.1 Authenticated user name is not a valid API key" },
	{ PW_RULE_TENANT_SUSPENDED, { "acme" }, 1,
	    "451 4.7.1 Tenant acme is suspended" },
	{ PW_RULE_QUOTA, { "Daily", "key k1", "5", "5",
	    "2026-11-28T00:00:00Z" }, 5, "451 4.7.1 Daily quota of key k1 "
	    "exhausted (5/5); resets 2026-11-28T00:00:00Z" },
	/* A missing argument is empty, never read past the array. */
	{ PW_RULE_INVALID_LIMIT, { "rate" }, 1,
	    "451 4.3.5 The rate setting of  is not valid; try again later" },
	/* An argument's "%s" is text, not a place for the next one. */
	{ PW_RULE_ADDRESS, { "%s%s" }, 1,
	    "550 5.1.3 Bad recipient address: %s%s" },
};

static void
test_replies(void **state)
{
	char buf[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++)
		assert_string_equal(pw_rule_reply(reply_cases[i].rule, buf,
		    sizeof(buf), reply_cases[i].args, reply_cases[i].nargs),
		    reply_cases[i].want);
}

static void
test_truncated(void **state)
{
	const char *k = "a_rather_long_key_id";
	char buf[16];

	(void)state;
	assert_string_equal(pw_rule_reply(PW_RULE_UNKNOWN_KEY, buf,
	    sizeof(buf), &k, 1), "550 5.7.1 API k");
	assert_string_equal(pw_rule_reply(PW_RULE_NONE, buf, 3, NULL, 0),
	    "DU");
}

static void
test_checks(void **state)
{
	(void)state;
	assert_int_equal(pw_rule_by_check("status"), PW_RULE_KEY_DISABLED);
	assert_int_equal(pw_rule_by_check("suppressed"),
	    PW_RULE_SUPPRESSED_ADDRESS);
	assert_int_equal(pw_rule_by_check("invalid"), PW_RULE_INVALID_LIMIT);
	assert_int_equal(pw_rule_by_check("quota"), PW_RULE_QUOTA);
	assert_int_equal(pw_rule_by_check("invalid_limit"), PW_RULE_NONE);
	assert_int_equal(pw_rule_by_check(""), PW_RULE_NONE);
	assert_string_equal(pw_rule_event(PW_RULE_INVALID_LIMIT),
	    "invalid_limit");
	assert_string_equal(pw_rule_event(PW_RULE_INVALID_USER), "unknown_key");
	assert_string_equal(pw_rule_event(PW_RULE_NONE), "-");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_whole),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
