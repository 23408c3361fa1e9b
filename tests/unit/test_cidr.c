/*
 * test_cidr.c -- unit tests for lib/cidr.c: parsing (host bits, bounds,
 * families) and matching at and around prefix boundaries.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cidr.h"

static const struct {
	const char	*net;
	int		 valid;
} parse_cases[] = {
	{ "192.0.2.0/24", 1 }, { "192.0.2.7", 1 }, { "0.0.0.0/0", 1 },
	{ "2001:db8::/32", 1 }, { "::/0", 1 }, { "2001:db8::1/128", 1 },
	{ "192.0.2.1/24", 0 },		/* host bits set */
	{ "192.0.2.0/33", 0 }, { "2001:db8::/129", 0 }, { "192.0.2.0/", 0 },
	{ "192.0.2.0/-1", 0 }, { "192.0.2.0/2x", 0 }, { "example.com", 0 },
	{ "", 0 }, { "[2001:db8::]/32", 0 },
};

static void
test_parse(void **state)
{
	struct pw_cidr net;
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		int ret = pw_cidr_parse(parse_cases[i].net,
		    strlen(parse_cases[i].net), &net);

		if ((ret == 0) != parse_cases[i].valid)
			fail_msg("\"%s\": got %d", parse_cases[i].net, ret);
	}
	/* Only len bytes count: "0.0.0.0/16" cut to "0.0.0.0/1". */
	assert_int_equal(pw_cidr_parse("0.0.0.0/16", 9, &net), 0);
	assert_int_equal(net.bits, 1);
}

/* Postfix's mynetworks form: brackets allowed around IPv6 only there. */
static const struct {
	const char	*net;
	int		 valid;
	unsigned	 bits;
} mynetworks_cases[] = {
	{ "[::1]/128", 1, 128 }, { "[::1]", 1, 128 },
	{ "[2001:db8::]/32", 1, 32 }, { "127.0.0.0/8", 1, 8 },
	{ "[::1]x/128", 0, 0 }, { "[::1/128", 0, 0 }, { "[]", 0, 0 },
	{ "[2001:db8::1]/32", 0, 0 },	/* host bits set */
};

static void
test_parse_mynetworks(void **state)
{
	struct pw_cidr net;
	size_t i;

	for (i = 0; i < sizeof(mynetworks_cases) /
	    sizeof(mynetworks_cases[0]); i++) {
		int ret = pw_cidr_parse_mynetworks(mynetworks_cases[i].net,
		    strlen(mynetworks_cases[i].net), &net);

		if ((ret == 0) != mynetworks_cases[i].valid ||
		    (ret == 0 && net.bits != mynetworks_cases[i].bits))
			fail_msg("\"%s\": got %d", mynetworks_cases[i].net,
			    ret);
	}
}

/* Peers as accept() gives them: IPv4, IPv6, IPv4-mapped IPv6. */
static void
test_from_sockaddr(void **state)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr sa;
	struct pw_cidr_addr a;
	struct pw_cidr net;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, "127.0.0.2", &sin.sin_addr), 1);
	assert_int_equal(pw_cidr_addr_from_sockaddr((struct sockaddr *)&sin,
	    &a), 0);
	assert_int_equal(pw_cidr_parse("127.0.0.0/8", 11, &net), 0);
	assert_true(pw_cidr_match(&net, &a));

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.2",
	    &sin6.sin6_addr), 1);
	assert_int_equal(pw_cidr_addr_from_sockaddr((struct sockaddr *)&sin6,
	    &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_true(pw_cidr_match(&net, &a));

	assert_int_equal(inet_pton(AF_INET6, "::1", &sin6.sin6_addr), 1);
	assert_int_equal(pw_cidr_addr_from_sockaddr((struct sockaddr *)&sin6,
	    &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_false(pw_cidr_match(&net, &a));

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	assert_int_equal(pw_cidr_addr_from_sockaddr(&sa, &a), -1);
}

static const struct {
	const char	*net, *addr;
	int		 match;
} match_cases[] = {
	{ "192.0.2.0/24", "192.0.2.255", 1 },
	{ "192.0.2.0/24", "192.0.3.0", 0 },
	{ "192.0.2.128/25", "192.0.2.127", 0 },
	{ "192.0.2.128/25", "192.0.2.128", 1 },
	{ "10.0.0.0/9", "10.127.255.255", 1 },
	{ "10.0.0.0/9", "10.128.0.0", 0 },
	{ "0.0.0.0/0", "203.0.113.9", 1 },
	{ "0.0.0.0/0", "2001:db8::1", 0 },	/* other family */
	{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
	{ "2001:db8::/32", "2001:db9::1", 0 },
	{ "2001:db8::1/128", "2001:db8::1", 1 },
	{ "2001:db8::1/128", "2001:db8::2", 0 },
	{ "192.0.2.7", "192.0.2.7", 1 },
};

static void
test_match(void **state)
{
	struct pw_cidr net;
	struct pw_cidr_addr a;
	size_t i;

	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		assert_int_equal(pw_cidr_parse(match_cases[i].net,
		    strlen(match_cases[i].net), &net), 0);
		assert_int_equal(pw_cidr_addr_parse(match_cases[i].addr, &a),
		    0);
		if (pw_cidr_match(&net, &a) != match_cases[i].match)
			fail_msg("%s in %s: expected %d", match_cases[i].addr,
			    match_cases[i].net, match_cases[i].match);
	}
	assert_int_equal(pw_cidr_addr_parse("unknown", &a), -1);
	assert_int_equal(pw_cidr_addr_parse("192.0.2.0/24", &a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_mynetworks),
		cmocka_unit_test(test_from_sockaddr),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
