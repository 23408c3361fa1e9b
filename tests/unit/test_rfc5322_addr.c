/*
 * test_rfc5322_addr.c -- unit tests for lib/rfc5322_addr.c: the domain of
 * the one mailbox of an address header value.  A table of named values:
 * plain forms, text that looks like an address inside quoted strings and
 * comments (the way a From domain was once spoofed), folding, groups,
 * the obsolete forms, and everything that must give no domain (several
 * mailboxes, empty groups, literals, bad syntax, bad host names).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rfc5322_addr.h"

static const struct {
	const char	*name;
	const char	*value;
	const char	*domain;	/* NULL: no domain */
} cases[] = {
	/* plain */
	{ "addr-spec", "a@example.com", "example.com" },
	{ "addr-spec, leading space", " a@example.com", "example.com" },
	{ "upper case is lowered", "A@Example.COM", "example.com" },
	{ "name-addr", "Jo Doe <jo@example.com>", "example.com" },
	{ "angle-addr alone", "<jo@example.com>", "example.com" },
	{ "quoted local part", "\"jo doe\"@example.com", "example.com" },
	{ "quoted local part with @", "\"a@evil.example\"@example.com",
	    "example.com" },
	{ "dotted local part", "jo.q.doe@example.com", "example.com" },
	{ "host name characters", "a@x_1-y.example.com", "x_1-y.example.com" },
	{ "UTF-8 display name", "J\xc3\xb6 <jo@example.com>", "example.com" },
	{ "UTF-8 local part", "j\xc3\xb6@example.com", "example.com" },

	/* what is inside quotes and comments is not the address */
	{ "quoted name holding <addr>",
	    "\"<ceo@canon.test>\" <attacker@nokey.example>", "nokey.example" },
	{ "quoted name holding an addr-spec",
	    "\"ceo@canon.test\" <attacker@nokey.example>", "nokey.example" },
	{ "quoted name holding > and <",
	    "\"a> <ceo@canon.test\" <x@nokey.example>", "nokey.example" },
	{ "quoted name with escaped quote",
	    "\"a\\\" <ceo@canon.test>\" <x@nokey.example>", "nokey.example" },
	{ "comment holding <addr>",
	    "x@nokey.example (<ceo@canon.test>)", "nokey.example" },
	{ "comment before the address",
	    "(ceo@canon.test) x@nokey.example", "nokey.example" },
	{ "comment in the name",
	    "Jo (<ceo@canon.test>) <x@nokey.example>", "nokey.example" },
	{ "nested comments",
	    "x@nokey.example (a (b <c@canon.test>) d)", "nokey.example" },
	{ "escaped paren in comment",
	    "x@nokey.example (a \\) <c@canon.test>)", "nokey.example" },
	{ "comment inside the domain",
	    "x@nokey(canon.test).example", "nokey.example" },
	{ "comment inside <>",
	    "<(c@canon.test)x@nokey.example(y)>", "nokey.example" },

	/* folding white space as libmilter gives it */
	{ "folded with LF TAB", "Jo Doe\n\t<jo@example.com>", "example.com" },
	{ "folded with CRLF SP", "Jo Doe\r\n <jo@example.com>",
	    "example.com" },
	{ "folded inside a quoted name",
	    "\"Jo\n Doe <c@canon.test>\" <jo@example.com>", "example.com" },

	/* obsolete forms (RFC 5322 4.4) */
	{ "obs-phrase with dots", "John Q. Public <jqp@example.com>",
	    "example.com" },
	{ "obs-local-part with spaces", "jo . doe @ example . com",
	    "example.com" },
	{ "obs-route", "<@relay.example,@r2.example:jo@example.com>",
	    "example.com" },
	{ "obs-route with a literal",
	    "<@[192.0.2.1]:jo@example.com>", "example.com" },
	{ "empty list elements", ", a@example.com ,,", "example.com" },

	/* groups (RFC 6854) */
	{ "group of one", "Team: Jo <jo@example.com>;", "example.com" },
	{ "group of one, empty elements", "Team: , jo@example.com, ;",
	    "example.com" },
	{ "group of one with a comment after", "Team:jo@example.com; (x)",
	    "example.com" },
	{ "empty group", "undisclosed-recipients:;", NULL },
	{ "empty group with space", "Team: ;", NULL },
	{ "group of two", "Team: a@example.com, b@example.com;", NULL },
	{ "group and a mailbox", "Team: ;, a@example.com", "example.com" },
	{ "group of one and another mailbox",
	    "Team: a@example.com;, b@example.com", NULL },
	{ "group without ;", "Team: a@example.com", NULL },
	{ "nested group", "A: B: a@example.com;;", NULL },
	{ "group without a name", ": a@example.com;", NULL },

	/* several mailboxes */
	{ "two addr-specs", "a@example.com, b@example.com", NULL },
	{ "two name-addrs", "A <a@canon.test>, B <b@nokey.example>", NULL },
	{ "same mailbox twice", "a@example.com, a@example.com", NULL },

	/* nothing */
	{ "empty", "", NULL },
	{ "white space", " \t\n ", NULL },
	{ "only a comment", "(a@example.com)", NULL },
	{ "only commas", ",,", NULL },

	/* bad syntax */
	{ "no @", "jo", NULL },
	{ "name and addr-spec, no angles", "Jo jo@example.com", NULL },
	{ "addr-spec then <addr>", "attacker@nokey.example <ceo@canon.test>",
	    NULL },
	{ "<addr> then addr-spec", "<a@canon.test> b@nokey.example", NULL },
	{ "two <addr>", "<a@canon.test> <b@nokey.example>", NULL },
	{ "unterminated quoted name",
	    "\"<ceo@canon.test> <x@nokey.example>", NULL },
	{ "unterminated comment", "x@nokey.example (<ceo@canon.test>",
	    NULL },
	{ "stray )", "x@nokey.example )", NULL },
	{ "stray ]", "x@nokey.example]", NULL },
	{ "backslash outside quotes", "a\\@b@example.com", NULL },
	{ "unterminated <", "Jo <jo@example.com", NULL },
	{ "stray >", "jo@example.com>", NULL },
	{ "empty <>", "<>", NULL },
	{ "<> without @", "<jo>", NULL },
	{ "two @", "a@b@example.com", NULL },
	{ "empty local part", "@example.com", NULL },
	{ "leading dot in local part", ".a@example.com", NULL },
	{ "trailing dot in local part", "a.@example.com", NULL },
	{ "double dot in local part", "a..b@example.com", NULL },
	{ "display name starting with a dot", ". Jo <jo@example.com>", NULL },
	{ "semicolon after a mailbox", "a@example.com;", NULL },
	{ "control character", "a@exa\x01mple.com", NULL },
	{ "DEL", "a@example.com\x7f", NULL },
	{ "bad source route", "<@relay.example jo@example.com>", NULL },

	/* the domain */
	{ "domain literal", "a@[192.0.2.1]", NULL },
	{ "domain literal in <>", "Jo <a@[IPv6:2001:db8::1]>", NULL },
	{ "trailing dot", "a@example.com.", NULL },
	{ "leading dot", "a@.example.com", NULL },
	{ "empty label", "a@example..com", NULL },
	{ "no domain", "a@", NULL },
	{ "quoted domain", "a@\"example.com\"", NULL },
	{ "U-label", "a@b\xc3\xbc" "cher.example", NULL },
	{ "atext that is no host name", "a@ex+ample.com", NULL },
#define L63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	{ "label of 63", "a@" L63 ".example", L63 ".example" },
	{ "label of 64", "a@" L63 "a.example", NULL },
#undef L63
};

static void
test_cases(void **state)
{
	char domain[PW_RFC5322_DOMAIN_MAX + 1];
	const char *why;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		memset(domain, 'x', sizeof(domain));
		ret = pw_rfc5322_addr_domain(cases[i].value,
		    strlen(cases[i].value), domain, &why);
		if (cases[i].domain != NULL &&
		    (ret != 0 || strcmp(domain, cases[i].domain) != 0))
			fail_msg("%s: want %s, got %d \"%s\" (%s)",
			    cases[i].name, cases[i].domain, ret,
			    ret == 0 ? domain : "", ret < 0 ? why : "");
		if (cases[i].domain == NULL && (ret != -1 || why == NULL ||
		    domain[0] != '\0'))
			fail_msg("%s: want no domain, got %d \"%s\"",
			    cases[i].name, ret, domain);
	}
}

/* Names of 253 bytes fit; 254 do not; len is honoured, NUL refused. */
static void
test_limits(void **state)
{
	char v[600], domain[PW_RFC5322_DOMAIN_MAX + 1];
	const char *why;
	size_t i, n;

	(void)state;
	/* "a@" + 3 labels of 63 + ".", then 1 label of 61: 253 bytes. */
	n = (size_t)snprintf(v, sizeof(v), "a@");
	for (i = 0; i < 3; i++)
		n += (size_t)snprintf(v + n, sizeof(v) - n, "%.63s.",
		    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	memset(v + n, 'c', 61);
	n += 61;
	v[n] = '\0';
	assert_int_equal(pw_rfc5322_addr_domain(v, n, domain, &why), 0);
	assert_int_equal(strlen(domain), 253);
	v[n] = 'c';
	v[n + 1] = '\0';
	assert_int_equal(pw_rfc5322_addr_domain(v, n + 1, domain, &why), -1);
	assert_string_equal(why, "the domain is not a host name");
	assert_string_equal(domain, "");

	/* Only len bytes are read. */
	assert_int_equal(pw_rfc5322_addr_domain("a@b.example, c@d.example",
	    11, domain, &why), 0);
	assert_string_equal(domain, "b.example");
	assert_int_equal(pw_rfc5322_addr_domain("a@b.example\0x", 13,
	    domain, &why), -1);
	assert_string_equal(why, "a NUL byte");

	/* Reasons callers may log. */
	assert_int_equal(pw_rfc5322_addr_domain("a@b, c@d", 8, domain, &why),
	    -1);
	assert_string_equal(why, "more than one mailbox");
	assert_int_equal(pw_rfc5322_addr_domain("g:;", 3, domain, &why), -1);
	assert_string_equal(why, "no mailbox");
	assert_int_equal(pw_rfc5322_addr_domain("(x", 2, domain, &why), -1);
	assert_string_equal(why, "unterminated comment");
}

/* Deep nesting and long values cost time, not stack. */
static void
test_deep(void **state)
{
	static char v[200000];
	char domain[PW_RFC5322_DOMAIN_MAX + 1];
	const char *why;
	size_t n = 0, i;

	(void)state;
	n += (size_t)snprintf(v, sizeof(v), "a@b.example ");
	for (i = 0; i < 90000; i++)
		v[n++] = '(';
	for (i = 0; i < 90000; i++)
		v[n++] = ')';
	assert_int_equal(pw_rfc5322_addr_domain(v, n, domain, &why), 0);
	assert_string_equal(domain, "b.example");
	v[n - 1] = ' ';
	assert_int_equal(pw_rfc5322_addr_domain(v, n, domain, &why), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_deep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
