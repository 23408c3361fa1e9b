/*
 * test_schema.c -- unit tests for lib/schema.c: every name, spelled as
 * the daemons, the CLI and the scripts spelled it before there was a
 * table (the bytes in Redis must not change); truncation and a missing
 * hole are reported.  tests/unit/schema.sh checks the table against
 * docs/redis-schema.md and lua/schema.lua.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema.h"

static const struct {
	const char		*what;
	enum pw_schema_name	 n;
	const char		*prefix, *tenant, *arg1, *arg2;
	const char		*want;
} cases[] = {
	{ "key directory", PW_SCHEMA_KEY_DIR, "pw:", NULL, "k_live_1", NULL,
	    "pw:key:k_live_1" },
	{ "tenant list", PW_SCHEMA_TENANTS, "pw:", NULL, NULL, NULL,
	    "pw:tenants" },
	{ "store marker", PW_SCHEMA_STORE, "pw:", NULL, NULL, NULL,
	    "pw:store" },
	{ "global suppressions", PW_SCHEMA_SUPP_GLOBAL, "pw:", NULL, NULL,
	    NULL, "pw:supp:global" },
	{ "event stream", PW_SCHEMA_EVENTS, "pw:", NULL, NULL, NULL,
	    "pw:events" },
	{ "domain directory", PW_SCHEMA_DOMAIN_DIR, "pw:", NULL,
	    "mail.acme.example", NULL, "pw:domain:mail.acme.example" },
	{ "client login failures", PW_SCHEMA_AUTHFAIL_CLIENT, "pw:", NULL,
	    "2001:db8::7", NULL, "pw:authfail:2001:db8::7" },
	{ "slot prefix", PW_SCHEMA_SLOT, "pw:", "acme", NULL, NULL,
	    "pw:{acme}:" },
	{ "tenant record", PW_SCHEMA_TENANT, "pw:", "acme", NULL, NULL,
	    "pw:{acme}:tenant" },
	{ "key record", PW_SCHEMA_KEY, "pw:", "acme", "k_live_1", NULL,
	    "pw:{acme}:key:k_live_1" },
	{ "key set", PW_SCHEMA_KEYS, "pw:", "acme", NULL, NULL,
	    "pw:{acme}:keys" },
	{ "key secrets", PW_SCHEMA_KEY_SECRETS, "pw:", "acme", "k_live_1",
	    NULL, "pw:{acme}:key:k_live_1:secrets" },
	{ "key login failures", PW_SCHEMA_AUTHFAIL_KEY, "pw:", "acme",
	    "k_live_1", NULL, "pw:{acme}:authfail:k_live_1" },
	{ "suppressions", PW_SCHEMA_SUPP, "pw:", "acme", NULL, NULL,
	    "pw:{acme}:supp" },
	{ "a stream's suppressions", PW_SCHEMA_SUPP_STREAM, "pw:", "acme",
	    "news", NULL, "pw:{acme}:supp:stream:news" },
	{ "every bulk stream's suppressions", PW_SCHEMA_SUPP_BULK, "pw:",
	    "acme", NULL, NULL, "pw:{acme}:supp:bulk" },
	{ "decision generation", PW_SCHEMA_GEN, "pw:", "acme", NULL, NULL,
	    "pw:{acme}:gen" },
	{ "sending domains", PW_SCHEMA_DOMAINS, "pw:", "acme", NULL, NULL,
	    "pw:{acme}:domains" },
	{ "domain record", PW_SCHEMA_DOMAIN, "pw:", "acme", "acme.example",
	    NULL, "pw:{acme}:domain:acme.example" },
	{ "dkim selectors", PW_SCHEMA_DKIM_SELECTORS, "pw:", "acme",
	    "acme.example", NULL, "pw:{acme}:dkim:acme.example" },
	{ "dkim key", PW_SCHEMA_DKIM_KEY, "pw:", "acme", "acme.example",
	    "pw202612a", "pw:{acme}:dkim:acme.example:pw202612a" },
	{ "transaction", PW_SCHEMA_TXN, "pw:", "acme", "a1b2.c3", NULL,
	    "pw:{acme}:txn:a1b2.c3" },
	{ "billing record", PW_SCHEMA_BILLED, "pw:", "acme", "4XyZ1", NULL,
	    "pw:{acme}:billed:4XyZ1" },
	{ "rate limiter", PW_SCHEMA_GCRA, "pw:", "acme", "key:k1", NULL,
	    "pw:{acme}:gcra:key:k1" },
	{ "used", PW_SCHEMA_USED, "pw:", "acme", "tenant", "h:2026112709",
	    "pw:{acme}:used:tenant:h:2026112709" },
	{ "reservations", PW_SCHEMA_RESV, "pw:", "acme", "key:k1",
	    "d:20261127", "pw:{acme}:resv:key:k1:d:20261127" },
	{ "messages", PW_SCHEMA_MSGS, "pw:", "acme", "key:k1", "20261127",
	    "pw:{acme}:msgs:key:k1:d:20261127" },
	{ "bytes", PW_SCHEMA_BYTES, "pw:", "acme", "tenant", "20261127",
	    "pw:{acme}:bytes:tenant:d:20261127" },
	{ "who: tenant", PW_SCHEMA_WHO_TENANT, "pw:", NULL, NULL, NULL,
	    "tenant" },
	{ "who: key", PW_SCHEMA_WHO_KEY, "pw:", NULL, "k1", NULL, "key:k1" },
	{ "window", PW_SCHEMA_WINDOW, "pw:", NULL, "m", "202611",
	    "m:202611" },
	{ "another prefix", PW_SCHEMA_TENANT, "mail:pw:", "b.c-d_e", NULL,
	    NULL, "mail:pw:{b.c-d_e}:tenant" },
	{ "empty prefix", PW_SCHEMA_EVENTS, "", NULL, NULL, NULL, "events" },
};

static void
test_names(void **state)
{
	char buf[128], *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("# %s\n", cases[i].what);
		assert_int_equal(pw_schema_key(buf, sizeof(buf),
		    cases[i].prefix, cases[i].n, cases[i].tenant,
		    cases[i].arg1, cases[i].arg2), 0);
		assert_string_equal(buf, cases[i].want);
		s = pw_schema_key_new(cases[i].prefix, cases[i].n,
		    cases[i].tenant, cases[i].arg1, cases[i].arg2);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
}

/* Every name of the table has a case above. */
static void
test_every_name(void **state)
{
	size_t i, n;

	(void)state;
	for (n = 0; n < PW_SCHEMA_NNAMES; n++) {
		assert_non_null(pw_schema[n].name);
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (cases[i].n == n)
				break;
		print_message("# %s\n", pw_schema[n].name);
		assert_true(i < sizeof(cases) / sizeof(cases[0]));
	}
}

static void
test_truncated(void **state)
{
	char buf[17];

	(void)state;
	/* "pw:{acme}:tenant" is 16 bytes: it fits, one more does not. */
	assert_int_equal(pw_schema_key(buf, sizeof(buf), "pw:",
	    PW_SCHEMA_TENANT, "acme", NULL, NULL), 0);
	assert_string_equal(buf, "pw:{acme}:tenant");
	assert_int_equal(pw_schema_key(buf, sizeof(buf), "pw:",
	    PW_SCHEMA_TENANT, "acmex", NULL, NULL), -1);
	assert_string_equal(buf, "pw:{acmex}:tenan");
	assert_int_equal(pw_schema_key(buf, 0, "pw:", PW_SCHEMA_TENANT,
	    "acme", NULL, NULL), -1);
}

static void
test_missing_hole(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(pw_schema_key(buf, sizeof(buf), "pw:",
	    PW_SCHEMA_KEY, "acme", NULL, NULL), -1);
	assert_string_equal(buf, "");
	assert_int_equal(pw_schema_key(buf, sizeof(buf), "pw:",
	    PW_SCHEMA_TENANT, NULL, NULL, NULL), -1);
	assert_int_equal(pw_schema_key(buf, sizeof(buf), "pw:",
	    PW_SCHEMA_USED, "acme", "tenant", NULL), -1);
	assert_int_equal(pw_schema_key(buf, sizeof(buf), "pw:",
	    PW_SCHEMA_NNAMES, "acme", NULL, NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_every_name),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_missing_hole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
