/*
 * test_auth_proto.c -- unit tests of auth/auth_proto.c and
 * auth/auth_mech.c: the lines Postfix's xsasl_dovecot_server.c sends,
 * malformed ids and lines, strict base64, PLAIN and LOGIN exchanges and
 * their refusals, each a named case in a table.
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
#include <openssl/evp.h>

#include "auth_mech.h"
#include "auth_proto.h"

/* Lines: parsed or refused. */
struct line_case {
	const char		*name;
	const char		*line;
	int			 ok;
	enum auth_proto_cmd	 cmd;
	unsigned int		 id;
};

static const struct line_case line_cases[] = {
	{ "Postfix's VERSION", "VERSION\t1\t0", 1, AUTH_PROTO_VERSION, 0 },
	{ "Postfix's CPID", "CPID\t4242", 1, AUTH_PROTO_CPID, 0 },
	{ "Postfix's AUTH", "AUTH\t1\tPLAIN\tservice=smtp\tnologin\t"
	    "lip=127.0.0.1\trip=192.0.2.7\tsecured\tresp=AGsxAHg=", 1,
	    AUTH_PROTO_AUTH, 1 },
	{ "CONT with data", "CONT\t7\tazE=", 1, AUTH_PROTO_CONT, 7 },
	{ "CONT with empty data", "CONT\t7\t", 1, AUTH_PROTO_CONT, 7 },
	{ "largest id", "AUTH\t4294967295\tLOGIN", 1, AUTH_PROTO_AUTH,
	    4294967295U },
	{ "unknown command", "HELLO\tworld", 1, AUTH_PROTO_UNKNOWN, 0 },
	{ "id 0", "AUTH\t0\tPLAIN", 0, 0, 0 },
	{ "id beyond 32 bits", "AUTH\t4294967296\tPLAIN", 0, 0, 0 },
	{ "negative id", "AUTH\t-1\tPLAIN", 0, 0, 0 },
	{ "id with junk", "AUTH\t1x\tPLAIN", 0, 0, 0 },
	{ "id with a space", "AUTH\t 1\tPLAIN", 0, 0, 0 },
	{ "AUTH without mechanism", "AUTH\t1", 0, 0, 0 },
	{ "AUTH with empty mechanism", "AUTH\t1\t", 0, 0, 0 },
	{ "CONT without data", "CONT\t1", 0, 0, 0 },
	{ "CONT with two data fields", "CONT\t1\ta\tb", 0, 0, 0 },
	{ "VERSION without minor", "VERSION\t1", 0, 0, 0 },
	{ "too many fields", "AUTH\t1\tPLAIN\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta"
	    "\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta\ta", 0,
	    0, 0 },
};

static void
test_lines(void **state)
{
	struct auth_proto_req q;
	char buf[512];
	const char *why;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]); i++) {
		const struct line_case *c = &line_cases[i];

		snprintf(buf, sizeof(buf), "%s", c->line);
		why = NULL;
		rc = auth_proto_parse(buf, strlen(buf), &q, &why);
		if ((rc == 0) != c->ok)
			fail_msg("%s: parse returned %d (%s)", c->name, rc,
			    why != NULL ? why : "");
		if (!c->ok) {
			assert_non_null(why);
			continue;
		}
		if (q.cmd != c->cmd || q.id != c->id)
			fail_msg("%s: cmd %d id %u", c->name, q.cmd, q.id);
	}
}

static void
test_auth_params(void **state)
{
	char line[] = "AUTH\t3\tLOGIN\tservice=smtp\tnologin\tlip=127.0.0.1\t"
	    "rip=2001:db8::7\tsecured\tresp=dXNlcg==\tlport=25";
	struct auth_proto_req q;
	const char *why;

	(void)state;
	assert_int_equal(auth_proto_parse(line, strlen(line), &q, &why), 0);
	assert_string_equal(q.mech, "LOGIN");
	assert_string_equal(q.service, "smtp");
	assert_string_equal(q.rip, "2001:db8::7");
	assert_string_equal(q.lip, "127.0.0.1");
	assert_string_equal(q.resp, "dXNlcg==");
	assert_true(q.secured);
}

static void
test_nul_in_line(void **state)
{
	char line[] = "AUTH\t1\tPLAIN\0junk";
	struct auth_proto_req q;
	const char *why = NULL;

	(void)state;
	assert_int_equal(auth_proto_parse(line, sizeof(line) - 1, &q, &why),
	    -1);
	assert_string_equal(why, "NUL byte in line");
}

/* Base64: decoded text, or refused. */
struct b64_case {
	const char	*name;
	const char	*in;
	const char	*out;	/* NULL: refused */
	size_t		 outlen;
};

static const struct b64_case b64_cases[] = {
	{ "empty", "", "", 0 },
	{ "SMTP's empty response", "=", "", 0 },
	{ "no padding", "YWJj", "abc", 3 },
	{ "one pad", "YWI=", "ab", 2 },
	{ "two pads", "YQ==", "a", 1 },
	{ "NULs inside", "AGsxAHg=", "\0k1\0x", 5 },
	{ "length not a multiple of 4", "YWJ", NULL, 0 },
	{ "pad in the middle", "YQ==YQ==", NULL, 0 },
	{ "three pads", "Y===", NULL, 0 },
	{ "url alphabet", "YW-_", NULL, 0 },
	{ "space", "YW J", NULL, 0 },
	{ "only pads", "====", NULL, 0 },
};

static void
test_base64(void **state)
{
	unsigned char out[64];
	const char *why;
	size_t i, len;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(b64_cases) / sizeof(b64_cases[0]); i++) {
		const struct b64_case *c = &b64_cases[i];

		rc = auth_proto_b64_decode(c->in, strlen(c->in), out,
		    sizeof(out), &len, &why);
		if (c->out == NULL) {
			if (rc != -1)
				fail_msg("%s: accepted", c->name);
			continue;
		}
		if (rc != 0 || len != c->outlen ||
		    memcmp(out, c->out, len) != 0 || out[len] != '\0')
			fail_msg("%s: rc %d len %zu", c->name, rc, len);
	}
	/* Room: 4 characters need 3 bytes and the NUL. */
	assert_int_equal(auth_proto_b64_decode("YWJj", 4, out, 3, &len, &why),
	    -1);
}

/* A PLAIN initial response, decoded: the result. */
struct plain_case {
	const char		*name;
	const char		*msg;
	size_t			 len;
	enum auth_mech_result	 res;
	const char		*user;
};

#define P(s)	s, sizeof(s) - 1
static const struct plain_case plain_cases[] = {
	{ "no authzid", P("\0k1\0pw1.secret"), AUTH_MECH_DONE, "k1" },
	{ "authzid = authcid", P("k1\0k1\0pw1.secret"), AUTH_MECH_DONE, "k1" },
	{ "apikey", P("\0apikey\0pw1.secret"), AUTH_MECH_DONE, "apikey" },
	{ "authzid of another", P("k2\0k1\0pw1.secret"), AUTH_MECH_FAIL, NULL },
	{ "one NUL", P("k1\0secret"), AUTH_MECH_FAIL, NULL },
	{ "no NUL", P("k1secret"), AUTH_MECH_FAIL, NULL },
	{ "empty user", P("\0\0secret"), AUTH_MECH_FAIL, NULL },
	{ "empty password", P("\0k1\0"), AUTH_MECH_FAIL, NULL },
	{ "NUL in password", P("\0k1\0se\0cret"), AUTH_MECH_FAIL, NULL },
	{ "space in user", P("\0k 1\0secret"), AUTH_MECH_FAIL, NULL },
	{ "control in user", P("\0k\0011\0secret"), AUTH_MECH_FAIL, NULL },
	{ "8-bit user", P("\0k\3031\0secret"), AUTH_MECH_FAIL, NULL },
};

static void
test_plain(void **state)
{
	unsigned char b64[1024];
	struct auth_mech m;
	enum auth_mech_result res;
	const char *ch, *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(plain_cases) / sizeof(plain_cases[0]); i++) {
		const struct plain_case *c = &plain_cases[i];

		EVP_EncodeBlock(b64, (const unsigned char *)c->msg,
		    (int)c->len);
		res = auth_mech_start(&m, AUTH_MECH_PLAIN, (char *)b64, &ch,
		    &why);
		if (res != c->res)
			fail_msg("%s: result %d", c->name, res);
		if (c->user != NULL && strcmp(m.user, c->user) != 0)
			fail_msg("%s: user %s", c->name, m.user);
		auth_mech_wipe(&m);
	}
}

static void
test_plain_no_initial_response(void **state)
{
	struct auth_mech m;
	const char *ch = NULL, *why;

	(void)state;
	assert_int_equal(auth_mech_start(&m, AUTH_MECH_PLAIN, NULL, &ch, &why),
	    AUTH_MECH_MORE);
	assert_string_equal(ch, "");
	/* "\0k1\0pw" */
	assert_int_equal(auth_mech_step(&m, "AGsxAHB3", &ch, &why),
	    AUTH_MECH_DONE);
	assert_string_equal(m.user, "k1");
	assert_string_equal(m.pass, "pw");
}

static void
test_login(void **state)
{
	struct auth_mech m;
	const char *ch = NULL, *why;

	(void)state;
	assert_int_equal(auth_mech_start(&m, AUTH_MECH_LOGIN, NULL, &ch, &why),
	    AUTH_MECH_MORE);
	assert_string_equal(ch, "VXNlcm5hbWU6");	/* Username: */
	assert_int_equal(auth_mech_step(&m, "azE=", &ch, &why),
	    AUTH_MECH_MORE);
	assert_string_equal(ch, "UGFzc3dvcmQ6");	/* Password: */
	assert_int_equal(auth_mech_step(&m, "cHc=", &ch, &why),
	    AUTH_MECH_DONE);
	assert_string_equal(m.user, "k1");
	assert_string_equal(m.pass, "pw");
	/* The user name as initial response: straight to the password. */
	assert_int_equal(auth_mech_start(&m, AUTH_MECH_LOGIN, "azE=", &ch,
	    &why), AUTH_MECH_MORE);
	assert_string_equal(ch, "UGFzc3dvcmQ6");
	/* Bad base64 and an empty password are refused. */
	assert_int_equal(auth_mech_step(&m, "!!!!", &ch, &why),
	    AUTH_MECH_FAIL);
	assert_int_equal(auth_mech_start(&m, AUTH_MECH_LOGIN, "azE=", &ch,
	    &why), AUTH_MECH_MORE);
	assert_int_equal(auth_mech_step(&m, "=", &ch, &why), AUTH_MECH_FAIL);
}

static void
test_mech_names(void **state)
{
	enum auth_mech_kind k;

	(void)state;
	assert_int_equal(auth_mech_lookup("plain", &k), 0);
	assert_int_equal(k, AUTH_MECH_PLAIN);
	assert_int_equal(auth_mech_lookup("LOGIN", &k), 0);
	assert_int_equal(k, AUTH_MECH_LOGIN);
	assert_int_equal(auth_mech_lookup("CRAM-MD5", &k), -1);
}

static void
test_replies(void **state)
{
	static const char *const mechs[] = { "PLAIN", "LOGIN", NULL };
	struct pw_buf out;

	(void)state;
	pw_buf_init(&out, 1024);
	assert_int_equal(auth_proto_handshake(&out, mechs, 42, 7,
	    "0123456789abcdef0123456789abcdef"), 0);
	assert_string_equal(out.data, "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\n"
	    "MECH\tLOGIN\tplaintext\nSPID\t42\nCUID\t7\n"
	    "COOKIE\t0123456789abcdef0123456789abcdef\nDONE\n");
	pw_buf_reset(&out);
	assert_int_equal(auth_proto_ok(&out, 3, "k1"), 0);
	assert_int_equal(auth_proto_fail(&out, 4, NULL), 0);
	assert_int_equal(auth_proto_cont(&out, 5, ""), 0);
	assert_string_equal(out.data, "OK\t3\tuser=k1\nFAIL\t4\nCONT\t5\t\n");
	pw_buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_auth_params),
		cmocka_unit_test(test_nul_in_line),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_plain_no_initial_response),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_mech_names),
		cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
