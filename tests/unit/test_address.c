/*
 * test_address.c -- unit tests for lib/address.c: a table of inputs and
 * the normal form each must have (or the reason it is refused), among
 * them every way issue 12 slipped a recipient past a suppression (a
 * trailing dot, a U-label, upper case outside ASCII, a long local part)
 * and the lengths around each cap.
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

#include "address.h"

#define A	PW_ADDRESS_F_DOMAIN
#define B	PW_ADDRESS_F_BARE

struct address_case {
	const char	*name;
	const char	*in;
	int		 flags;
	const char	*want;		/* NULL: refused */
	const char	*why;		/* when refused: part of the reason */
};

static const struct address_case address_cases[] = {
	{ "plain", "victim@ok.example", 0, "victim@ok.example", NULL },
	{ "ASCII upper case folded, local part too", "Victim@OK.Example", 0,
	    "victim@ok.example", NULL },
	{ "one trailing dot removed", "victim@ok.example.", 0,
	    "victim@ok.example", NULL },
	{ "two trailing dots refused", "victim@ok.example..", 0, NULL,
	    "empty label" },
	{ "U-label to A-label", "user@bücher.example", 0,
	    "user@xn--bcher-kva.example", NULL },
	{ "upper-case U-label folded", "user@BÜCHER.EXAMPLE", 0,
	    "user@xn--bcher-kva.example", NULL },
	{ "decomposed U-label (NFC)", "user@bu\xcc\x88" "cher.example", 0,
	    "user@xn--bcher-kva.example", NULL },
	{ "upper-case A-label folded", "user@XN--BCHER-KVA.example", 0,
	    "user@xn--bcher-kva.example", NULL },
	{ "U-label and trailing dot", "user@bücher.example.", 0,
	    "user@xn--bcher-kva.example", NULL },
	{ "ideographic full stop is a dot", "user@bücher\xe3\x80\x82" "example",
	    0, "user@xn--bcher-kva.example", NULL },
	{ "full-width letters folded", "user@\xef\xbd\x81\xef\xbd\x82.example",
	    0, "user@ab.example", NULL },
	{ "sharp s kept (non-transitional, as Postfix)", "a@straße.de", 0,
	    "a@xn--strae-oqa.de", NULL },
	{ "full-width @ in the domain refused", "a@x\xef\xbc\xa0y.example",
	    0, NULL, "only letters" },
	{ "bad A-label refused", "a@xn--zz.example", 0, NULL, "xn--" },
	{ "invalid UTF-8 in the domain", "a@\xff.example", 0, NULL, "UTF-8" },
	{ "invalid UTF-8 in the local part", "\xc0\x80@ok.example", 0, NULL,
	    "UTF-8" },
	{ "control character in the local part", "a\tb@ok.example", 0, NULL,
	    "control" },
	{ "UTF-8 local part kept exactly", "Jörg@ok.example", 0,
	    "jörg@ok.example", NULL },
	{ "plus address is its own mailbox", "a+Tag@ok.example", 0,
	    "a+tag@ok.example", NULL },
	{ "dots in the local part kept", "a.b@ok.example", 0,
	    "a.b@ok.example", NULL },
	{ "last @ ends the local part", "a@b@ok.example", 0,
	    "a@b@ok.example", NULL },
	{ "underscore in a host name", "a@mx_1.ok.example", 0,
	    "a@mx_1.ok.example", NULL },
	{ "address literal", "a@[192.0.2.1]", 0, "a@[192.0.2.1]", NULL },
	{ "IPv6 literal lower-cased", "a@[IPv6:2001:DB8::1]", 0,
	    "a@[ipv6:2001:db8::1]", NULL },
	{ "unclosed literal", "a@[192.0.2.1", 0, NULL, "]" },
	{ "empty", "", 0, NULL, "empty" },
	{ "no domain", "postmaster", 0, NULL, "expected user@domain" },
	{ "no domain, whole domains allowed", "ok.example", A, NULL,
	    "user@domain or @domain" },
	{ "bare local part when allowed", "PostMaster", B, "postmaster", NULL },
	{ "empty domain", "a@", 0, NULL, "missing domain" },
	{ "a lone dot is no domain", "a@.", 0, NULL, "missing domain" },
	{ "empty local part", "@ok.example", 0, NULL, "empty local part" },
	{ "whole domain when allowed", "@OK.example.", A, "@ok.example", NULL },
	{ "whole IDN domain", "@bücher.example", A, "@xn--bcher-kva.example",
	    NULL },
	{ "empty label", "a@ok..example", 0, NULL, "empty label" },
	{ "leading dot", "a@.ok.example", 0, NULL, "empty label" },
	{ "label starting with -", "a@-ok.example", 0, NULL, "starts" },
	{ "label ending with -", "a@ok-.example", 0, NULL, "ends" },
	{ "space in the domain", "a@o k.example", 0, NULL, "only letters" },
};

static void
test_table(void **state)
{
	char out[PW_ADDRESS_MAX + 1];
	const char *why;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(address_cases) / sizeof(address_cases[0]);
	    i++) {
		const struct address_case *c = &address_cases[i];

		why = NULL;
		rc = pw_address_normalize(c->in, strlen(c->in), c->flags, out,
		    &why);
		if (c->want != NULL) {
			if (rc != 0 || strcmp(out, c->want) != 0)
				fail_msg("%s: got %d '%s' (%s), want '%s'",
				    c->name, rc, out, why ? why : "", c->want);
		} else if (rc != -1 || why == NULL ||
		    strstr(why, c->why) == NULL) {
			fail_msg("%s: got %d '%s' (%s), want refused (%s)",
			    c->name, rc, out, why ? why : "", c->why);
		}
	}
}

/* "x" * n */
static char *
xs(char *buf, size_t n)
{
	memset(buf, 'x', n);
	buf[n] = '\0';
	return buf;
}

static void
test_lengths(void **state)
{
	char in[2048], out[PW_ADDRESS_MAX + 1], l[600], d1[80], d2[80];
	const char *why;

	(void)state;
	/* The local part: 256 held whole, 257 refused, never cut. */
	snprintf(in, sizeof(in), "%s@ok.example", xs(l, 256));
	assert_int_equal(pw_address_normalize(in, strlen(in), 0, out, &why), 0);
	assert_string_equal(out, in);
	snprintf(in, sizeof(in), "%s@ok.example", xs(l, 257));
	assert_int_equal(pw_address_normalize(in, strlen(in), 0, out, &why),
	    -1);
	assert_non_null(strstr(why, "256"));
	assert_string_equal(out, "");
	/* Issue 12: <500 x's>@blocked.example is refused, not truncated. */
	snprintf(in, sizeof(in), "%s@blocked.example", xs(l, 500));
	assert_int_equal(pw_address_normalize(in, strlen(in), 0, out, &why),
	    -1);
	/* A label: 63 fine, 64 refused. */
	snprintf(in, sizeof(in), "a@%s.example", xs(l, 63));
	assert_int_equal(pw_address_normalize(in, strlen(in), 0, out, &why), 0);
	snprintf(in, sizeof(in), "a@%s.example", xs(l, 64));
	assert_int_equal(pw_address_normalize(in, strlen(in), 0, out, &why),
	    -1);
	assert_non_null(strstr(why, "63"));
	/* The domain: 253 fine (with its trailing dot too), 254 refused. */
	xs(d1, 63);
	xs(d2, 61);
	snprintf(in, sizeof(in), "a@%s.%s.%s.%s", d1, d1, d1, d2);
	assert_int_equal(strlen(in), 2 + 253);
	assert_int_equal(pw_address_normalize(in, strlen(in), 0, out, &why), 0);
	strcat(in, ".");
	assert_int_equal(pw_address_normalize(in, strlen(in), 0, out, &why), 0);
	snprintf(in, sizeof(in), "a@%s.%s.%s.%sx", d1, d1, d1, d2);
	assert_int_equal(pw_address_normalize(in, strlen(in), 0, out, &why),
	    -1);
	/* The longest normal form fits. */
	snprintf(in, sizeof(in), "%s@%s.%s.%s.%s", xs(l, 256), d1, d1, d1, d2);
	assert_int_equal(pw_address_normalize(in, strlen(in), 0, out, &why), 0);
	assert_int_equal(strlen(out), PW_ADDRESS_MAX);
	/* A U-label whose A-label is too long. */
	snprintf(in, sizeof(in), "a@");
	while (strlen(in) < 2 + 70 * 2)
		strcat(in, "\xc3\xbc");
	strcat(in, ".de");
	assert_int_equal(pw_address_normalize(in, strlen(in), 0, out, &why),
	    -1);
	/* A NUL inside the given length. */
	assert_int_equal(pw_address_normalize("a\0b@ok.example", 14, 0, out,
	    &why), -1);
	/* Not NUL-terminated: only len bytes are read. */
	assert_int_equal(pw_address_normalize("a@ok.exampleZZZ", 12, 0, out,
	    &why), 0);
	assert_string_equal(out, "a@ok.example");
}

static void
test_domain(void **state)
{
	(void)state;
	assert_string_equal(pw_address_domain("a@b@ok.example"), "@ok.example");
	assert_string_equal(pw_address_domain("@ok.example"), "@ok.example");
	assert_null(pw_address_domain("postmaster"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
