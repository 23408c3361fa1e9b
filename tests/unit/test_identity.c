/*
 * test_identity.c -- unit tests for lib/identity.c: precedence, CIDR and
 * sender-domain tables, validation of key ids, and the Redis reply step.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "identity.h"

struct fixture {
	char	 dir[64];
	char	 net[128];
	char	 sender[128];
	struct pw_identity_tables *tables;
};

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];

	snprintf(f->dir, sizeof(f->dir), "/tmp/pw-identity-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->net, sizeof(f->net), "%s/networks", f->dir);
	snprintf(f->sender, sizeof(f->sender), "%s/senders", f->dir);
	write_file(f->net,
	    "# client networks\n"
	    "192.0.2.0/24     acme\n"
	    "192.0.2.128/25   beta   # more specific wins\n"
	    "2001:db8::/32    v6corp\n"
	    "198.51.100.7     single\n");
	write_file(f->sender,
	    "example.com      acme\n"
	    ".example.org     orgs\n"
	    "exact.example.org exact\n");
	if (pw_identity_tables_load(f->net, f->sender, &f->tables, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	pw_identity_tables_free(&f->tables);
	unlink(f->net);
	unlink(f->sender);
	rmdir(f->dir);
	free(f);
	return 0;
}

static const struct {
	const char	*name;
	const char	*sasl, *addr, *sender;
	enum pw_identity_source source;
	const char	*key, *tenant;
} cases[] = {
	{ "sasl wins over network and sender", "k_live_acme1", "192.0.2.1",
	    "a@example.com", PW_IDENTITY_SASL, "k_live_acme1", "" },
	{ "network /24", NULL, "192.0.2.1", NULL,
	    PW_IDENTITY_NETWORK, "", "acme" },
	{ "longest prefix first", NULL, "192.0.2.200", NULL,
	    PW_IDENTITY_NETWORK, "", "beta" },
	{ "host entry", NULL, "198.51.100.7", NULL,
	    PW_IDENTITY_NETWORK, "", "single" },
	{ "host entry does not match neighbour", NULL, "198.51.100.8", NULL,
	    PW_IDENTITY_NONE, "", "" },
	{ "ipv6 network", NULL, "2001:db8:1::25", NULL,
	    PW_IDENTITY_NETWORK, "", "v6corp" },
	{ "network wins over sender", NULL, "192.0.2.1", "x@exact.example.org",
	    PW_IDENTITY_NETWORK, "", "acme" },
	{ "sender exact domain, case folded", NULL, "203.0.113.1",
	    "Bob@EXAMPLE.com", PW_IDENTITY_SENDER, "", "acme" },
	{ "sender with angle brackets", NULL, NULL, "<bob@example.com>",
	    PW_IDENTITY_SENDER, "", "acme" },
	{ "exact domain does not cover subdomains", NULL, NULL,
	    "a@sub.example.com", PW_IDENTITY_NONE, "", "" },
	{ "dot entry covers subdomains", NULL, NULL, "a@x.y.example.org",
	    PW_IDENTITY_SENDER, "", "orgs" },
	{ "dot entry does not cover the parent", NULL, NULL,
	    "a@example.org", PW_IDENTITY_NONE, "", "" },
	{ "exact entry beats dot entry", NULL, NULL, "a@exact.example.org",
	    PW_IDENTITY_SENDER, "", "exact" },
	{ "null sender, unknown client", NULL, "203.0.113.9", "",
	    PW_IDENTITY_NONE, "", "" },
	{ "unparsable client address", NULL, "unknown", NULL,
	    PW_IDENTITY_NONE, "", "" },
	{ "empty sasl name is no sasl", "", "192.0.2.1", NULL,
	    PW_IDENTITY_NETWORK, "", "acme" },
};

static void
test_resolve_table(void **state)
{
	struct fixture *f = *state;
	struct pw_identity id;
	const char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum pw_identity_result ret = pw_identity_resolve(f->tables,
		    cases[i].sasl, cases[i].addr, cases[i].sender, &id, &why);

		if (ret != PW_IDENTITY_OK || id.source != cases[i].source ||
		    strcmp(id.key, cases[i].key) != 0 ||
		    strcmp(id.tenant, cases[i].tenant) != 0)
			fail_msg("case \"%s\": ret=%d source=%s key=%s "
			    "tenant=%s", cases[i].name, ret,
			    pw_identity_source_name(id.source), id.key,
			    id.tenant);
	}
}

static void
test_invalid_sasl_names(void **state)
{
	static const char *bad[] = { "key with space", "k\r\nINJECT",
	    "{acme}", "k:1", "\xc3\xa9t\xc3\xa9" };
	char longname[PW_IDENTITY_KEY_MAX + 2];
	struct pw_identity id;
	const char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pw_identity_resolve(NULL, bad[i], NULL, NULL,
		    &id, &why), PW_IDENTITY_INVALID_KEY);
		assert_string_equal(why, "SASL user name is not a valid key id");
	}
	memset(longname, 'k', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(pw_identity_resolve(NULL, longname, NULL, NULL, &id,
	    &why), PW_IDENTITY_INVALID_KEY);
	longname[PW_IDENTITY_KEY_MAX] = '\0';
	assert_int_equal(pw_identity_resolve(NULL, longname, NULL, NULL, &id,
	    &why), PW_IDENTITY_OK);
	assert_int_equal(id.source, PW_IDENTITY_SASL);
}

static void
test_bad_tables(void **state)
{
	static const struct {
		const char *text;
		const char *want;	/* after "<path>:" */
	} bad[] = {
		{ "192.0.2.1/24 acme\n", "1: bad network (expected "
		    "address/bits with host bits zero)" },
		{ "10.0.0.0/33 acme\n", "1: bad network (expected "
		    "address/bits with host bits zero)" },
		{ "# c\n10.0.0.0/8\n", "2: expected \"key tenant\"" },
		{ "10.0.0.0/8 Acme\n", "1: bad tenant name (a-z 0-9 . _ -, "
		    "at most 64)" },
		{ "10.0.0.0/8 acme extra\n", "1: expected \"key tenant\"" },
	};
	char path[] = "/tmp/pw-identity-bad-XXXXXX";
	struct pw_identity_tables *t = NULL;
	char err[512], want[512];
	size_t i;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i].text);
		assert_int_equal(pw_identity_tables_load(path, NULL, &t, err,
		    sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s:%s", path, bad[i].want);
		assert_string_equal(err, want);
		assert_null(t);
	}
	write_file(path, "example.com a\nEXAMPLE.COM b\n");
	assert_int_equal(pw_identity_tables_load(NULL, path, &t, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "domain example.com listed twice"));
	unlink(path);
}

static void
test_key_argv_and_reply(void **state)
{
	struct pw_identity id;
	const char *argv[PW_IDENTITY_KEY_ARGC], *why = NULL;
	size_t argvlen[PW_IDENTITY_KEY_ARGC];
	char keybuf[256];
	redisReply reply;

	assert_int_equal(pw_identity_resolve(NULL, "k_live_acme1", NULL, NULL,
	    &id, &why), 0);
	pw_identity_key_argv("pw:", &id, keybuf, sizeof(keybuf), argv,
	    argvlen);
	assert_string_equal(argv[0], "HGET");
	assert_string_equal(argv[1], "pw:key:k_live_acme1");
	assert_int_equal(argvlen[1], strlen("pw:key:k_live_acme1"));
	assert_string_equal(argv[2], "tenant");

	memset(&reply, 0, sizeof(reply));
	reply.type = REDIS_REPLY_NIL;
	assert_int_equal(pw_identity_key_reply(&reply, &id, &why),
	    PW_IDENTITY_UNKNOWN_KEY);

	reply.type = REDIS_REPLY_STRING;
	reply.str = "acme";
	reply.len = 4;
	assert_int_equal(pw_identity_key_reply(&reply, &id, &why),
	    PW_IDENTITY_OK);
	assert_string_equal(id.tenant, "acme");

	reply.str = "{evil}";
	reply.len = 6;
	assert_int_equal(pw_identity_key_reply(&reply, &id, &why),
	    PW_IDENTITY_FAILED);
	assert_string_equal(why, "key record names an invalid tenant");

	reply.type = REDIS_REPLY_ERROR;
	reply.str = "WRONGTYPE";
	reply.len = 9;
	assert_int_equal(pw_identity_key_reply(&reply, &id, &why),
	    PW_IDENTITY_FAILED);
	assert_int_equal(pw_identity_key_reply(NULL, &id, &why),
	    PW_IDENTITY_FAILED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve_table, setup,
		    teardown),
		cmocka_unit_test(test_invalid_sasl_names),
		cmocka_unit_test(test_bad_tables),
		cmocka_unit_test(test_key_argv_and_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
