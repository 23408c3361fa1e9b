/*
 * test_seal.c -- unit tests for lib/seal.c: round trip (fresh nonce per
 * seal, the format's shape, the kek id's known answer), a text sealed by
 * another implementation (python3's cryptography), a wrong KEK told
 * apart from tampering, every changed character of the ciphertext,
 * truncation, wrong associated data (tenant, domain, selector, their
 * boundaries), malformed texts, and the KEK file (hex, white space,
 * length, mode).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "seal.h"

/* bytes 0..31; its kek id, HMAC-SHA256(key, "postwarden kek id"), as
   python3's hmac computes it. */
#define KEK_A_HEX \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEK_A_ID	"71922471ec830745"
#define KEK_B_HEX \
	"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static struct pw_seal_kek ka, kb;
static const char *ctx_acme[] = { "acme", "acme.example", "s1" };
static const char secret[] = "-----BEGIN PRIVATE KEY----- not really";
static char tmpdir[] = "/tmp/pw-seal-test.XXXXXX";

static int
setup(void **state)
{
	const char *why;

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if (pw_seal_kek_parse(KEK_A_HEX "\n", strlen(KEK_A_HEX) + 1, &ka,
	    &why) < 0 || pw_seal_kek_parse(KEK_B_HEX, strlen(KEK_B_HEX), &kb,
	    &why) < 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	pw_seal_kek_wipe(&ka);
	pw_seal_kek_wipe(&kb);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Seal secret under kek with ctx_acme into out (initialized). */
static void
seal_acme(const struct pw_seal_kek *kek, struct pw_buf *out)
{
	const char *why = NULL;

	pw_buf_init(out, PW_SEAL_TEXT_MAX);
	assert_int_equal(pw_seal(kek, ctx_acme, 3, secret, sizeof(secret),
	    out, &why), 0);
}

/* Open text with kek and ctx: the error (PW_SEAL_OK after checking the
   plaintext is secret). */
static enum pw_seal_err
open_with(const struct pw_seal_kek *kek, const char *const *ctx, size_t n,
    const char *text, size_t len)
{
	enum pw_seal_err err = PW_SEAL_E_INTERNAL;
	unsigned char *plain = (unsigned char *)"x";
	const char *why = NULL;
	size_t plen = 99;
	int rc;

	rc = pw_seal_open(kek, ctx, n, text, len, &plain, &plen, &err, &why);
	if (rc < 0) {
		assert_null(plain);
		assert_int_equal(plen, 0);
		assert_non_null(why);
		assert_int_not_equal(err, PW_SEAL_OK);
		return err;
	}
	assert_int_equal(err, PW_SEAL_OK);
	assert_int_equal(plen, sizeof(secret));
	assert_memory_equal(plain, secret, sizeof(secret));
	pw_seal_plain_free(&plain, plen);
	assert_null(plain);
	return PW_SEAL_OK;
}

static void
test_round_trip(void **state)
{
	struct pw_buf a, b;
	char id[PW_SEAL_KEK_ID_LEN + 1];
	size_t i;

	(void)state;
	assert_string_equal(ka.id, KEK_A_ID);
	seal_acme(&ka, &a);
	seal_acme(&ka, &b);
	/* v1:<16 hex>:<base64url, no padding>. */
	assert_memory_equal(a.data, "v1:" KEK_A_ID ":", 20);
	for (i = 20; i < a.len; i++)
		assert_true(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789-_", a.data[i]) != NULL);
	/* 12 + 39 + 16 = 67 bytes: 6 bits a character, rounded up. */
	assert_int_equal(a.len - 20, ((12 + sizeof(secret) + 16) * 8 + 5) / 6);
	assert_int_equal(a.len - 20, 90);
	/* A new nonce each time. */
	assert_int_equal(a.len, b.len);
	assert_memory_not_equal(a.data + 20, b.data + 20, 16);
	assert_int_equal(open_with(&ka, ctx_acme, 3, a.data, a.len),
	    PW_SEAL_OK);
	assert_int_equal(open_with(&ka, ctx_acme, 3, b.data, b.len),
	    PW_SEAL_OK);
	assert_int_equal(pw_seal_text_kek_id(a.data, a.len, id), 0);
	assert_string_equal(id, KEK_A_ID);
	pw_buf_free(&a);
	pw_buf_free(&b);
}

/*
 * A text sealed by another implementation of the format (python3's
 * cryptography AESGCM, nonce bytes 100..111, the AAD as seal.h says)
 * opens here to the same secret.
 */
static void
test_known_answer(void **state)
{
	static const char kat[] = "v1:" KEK_A_ID ":"
	    "ZGVmZ2hpamtsbW5vZTbzS1SrE9l3LH-4iCw8vBaHJkHONd5fivyBaJXM0WjmjC"
	    "GsIGubARp_j0jGDcv8f_M5nsCLJQ";

	(void)state;
	assert_int_equal(open_with(&ka, ctx_acme, 3, kat, strlen(kat)),
	    PW_SEAL_OK);
}

static void
test_sizes(void **state)
{
	static unsigned char big[PW_SEAL_PLAIN_MAX + 1];
	unsigned char *plain;
	enum pw_seal_err err;
	const char *why;
	struct pw_buf out;
	size_t sizes[] = { 1, 2, 3, 4, 1217, PW_SEAL_PLAIN_MAX }, i, plen;

	(void)state;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		pw_buf_init(&out, PW_SEAL_TEXT_MAX);
		assert_int_equal(pw_seal(&ka, ctx_acme, 3, big, sizes[i], &out,
		    &why), 0);
		assert_true(out.len <= PW_SEAL_TEXT_MAX);
		assert_int_equal(pw_seal_open(&ka, ctx_acme, 3, out.data,
		    out.len, &plain, &plen, &err, &why), 0);
		assert_int_equal(plen, sizes[i]);
		assert_memory_equal(plain, big, sizes[i]);
		pw_seal_plain_free(&plain, plen);
		pw_buf_free(&out);
	}
	pw_buf_init(&out, PW_SEAL_TEXT_MAX);
	assert_int_equal(pw_seal(&ka, ctx_acme, 3, big, 0, &out, &why), -1);
	assert_int_equal(pw_seal(&ka, ctx_acme, 3, big, sizeof(big), &out,
	    &why), -1);
	pw_buf_free(&out);
}

static void
test_wrong_kek(void **state)
{
	struct pw_buf a;
	char *forged;
	struct pw_seal_kek none;

	(void)state;
	seal_acme(&ka, &a);
	assert_int_equal(open_with(&kb, ctx_acme, 3, a.data, a.len),
	    PW_SEAL_E_KEK);
	memset(&none, 0, sizeof(none));
	assert_int_equal(open_with(&none, ctx_acme, 3, a.data, a.len),
	    PW_SEAL_E_KEK);
	/* Claiming B's id does not let B open it: the id is authenticated
	   and the key differs. */
	forged = strdup(a.data);
	memcpy(forged + 3, kb.id, PW_SEAL_KEK_ID_LEN);
	assert_int_equal(open_with(&kb, ctx_acme, 3, forged, a.len),
	    PW_SEAL_E_AUTH);
	assert_int_equal(open_with(&ka, ctx_acme, 3, forged, a.len),
	    PW_SEAL_E_KEK);
	free(forged);
	pw_buf_free(&a);
}

static void
test_tampered(void **state)
{
	struct pw_buf a;
	char *t;
	size_t i;
	enum pw_seal_err e;

	(void)state;
	seal_acme(&ka, &a);
	t = strdup(a.data);
	/* Every character of the base64url part but the last (whose low
	   bits may be padding) carries nonce, ciphertext or tag bits. */
	for (i = 20; i + 1 < a.len; i++) {
		char was = t[i];

		t[i] = was == 'A' ? 'B' : 'A';
		e = open_with(&ka, ctx_acme, 3, t, a.len);
		if (e != PW_SEAL_E_AUTH)
			fail_msg("changed character %zu: error %d", i, e);
		t[i] = was;
	}
	/* Cut short: a tag that does not match, or no room for one. */
	for (i = a.len - 1; i > 20; i -= 7)
		assert_int_not_equal(open_with(&ka, ctx_acme, 3, t, i),
		    PW_SEAL_OK);
	/* One character more. */
	t = realloc(t, a.len + 2);
	memcpy(t + a.len, "AA", 2);
	assert_int_not_equal(open_with(&ka, ctx_acme, 3, t, a.len + 2),
	    PW_SEAL_OK);
	free(t);
	pw_buf_free(&a);
}

static void
test_wrong_context(void **state)
{
	static const char *other_tenant[] = { "evil", "acme.example", "s1" };
	static const char *other_domain[] = { "acme", "evil.example", "s1" };
	static const char *other_sel[] = { "acme", "acme.example", "s2" };
	static const char *moved[] = { "acme", "acme.examples1", "" };
	static const char *shifted[] = { "acmeacme.example", "", "s1" };
	struct pw_buf a;

	(void)state;
	seal_acme(&ka, &a);
	assert_int_equal(open_with(&ka, other_tenant, 3, a.data, a.len),
	    PW_SEAL_E_AUTH);
	assert_int_equal(open_with(&ka, other_domain, 3, a.data, a.len),
	    PW_SEAL_E_AUTH);
	assert_int_equal(open_with(&ka, other_sel, 3, a.data, a.len),
	    PW_SEAL_E_AUTH);
	assert_int_equal(open_with(&ka, moved, 3, a.data, a.len),
	    PW_SEAL_E_AUTH);
	assert_int_equal(open_with(&ka, shifted, 3, a.data, a.len),
	    PW_SEAL_E_AUTH);
	assert_int_equal(open_with(&ka, ctx_acme, 2, a.data, a.len),
	    PW_SEAL_E_AUTH);
	assert_int_equal(open_with(&ka, NULL, 0, a.data, a.len),
	    PW_SEAL_E_AUTH);
	pw_buf_free(&a);
}

static void
test_bad_format(void **state)
{
	static const struct {
		const char		*text;
		enum pw_seal_err	 err;
	} cases[] = {
		{ "", PW_SEAL_E_FORMAT },
		{ "v1", PW_SEAL_E_FORMAT },
		{ "v1:", PW_SEAL_E_FORMAT },
		{ "v1:" KEK_A_ID, PW_SEAL_E_FORMAT },
		{ "v1:" KEK_A_ID ":", PW_SEAL_E_FORMAT },
		{ "v2:" KEK_A_ID ":AAAA", PW_SEAL_E_VERSION },
		{ "v10:" KEK_A_ID ":AAAA", PW_SEAL_E_VERSION },
		{ "V1:" KEK_A_ID ":AAAA", PW_SEAL_E_FORMAT },
		{ "v1x:" KEK_A_ID ":AAAA", PW_SEAL_E_FORMAT },
		{ "x:" KEK_A_ID ":AAAA", PW_SEAL_E_FORMAT },
		{ "v1:71922471EC830745:AAAA", PW_SEAL_E_FORMAT },
		{ "v1:71922471ec83074:AAAA", PW_SEAL_E_FORMAT },
		{ "v1:71922471ec8307455:AAAA", PW_SEAL_E_FORMAT },
		{ "v1:" KEK_A_ID ":AAAA", PW_SEAL_E_FORMAT },	/* too short */
		/* 29 bytes would be enough, but not with these characters. */
		{ "v1:" KEK_A_ID ":AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+A",
		    PW_SEAL_E_FORMAT },
		{ "v1:" KEK_A_ID ":AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/A",
		    PW_SEAL_E_FORMAT },
		{ "v1:" KEK_A_ID ":AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
		    PW_SEAL_E_FORMAT },
		{ "v1:" KEK_A_ID ":AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA A",
		    PW_SEAL_E_FORMAT },
		{ "v1:" KEK_A_ID ":AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:A",
		    PW_SEAL_E_FORMAT },
		/* length % 4 == 1 is no base64 at all */
		{ "v1:" KEK_A_ID ":AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		    PW_SEAL_E_FORMAT },
		/* well formed, wrong bytes */
		{ "v1:" KEK_A_ID ":AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		    PW_SEAL_E_AUTH },
	};
	char *huge;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum pw_seal_err e = open_with(&ka, ctx_acme, 3,
		    cases[i].text, strlen(cases[i].text));

		if (e != cases[i].err)
			fail_msg("case %zu \"%s\": error %d, want %d", i,
			    cases[i].text, e, cases[i].err);
	}
	huge = malloc(PW_SEAL_TEXT_MAX + 2);
	memset(huge, 'A', PW_SEAL_TEXT_MAX + 1);
	memcpy(huge, "v1:" KEK_A_ID ":", 20);
	assert_int_equal(open_with(&ka, ctx_acme, 3, huge,
	    PW_SEAL_TEXT_MAX + 1), PW_SEAL_E_FORMAT);
	free(huge);
}

/* Write text to tmpdir/name with mode; the path. */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void
test_kek_file(void **state)
{
	struct pw_seal_kek k;
	const char *why, *path;
	char err[512];

	(void)state;
	path = write_file("ok", KEK_A_HEX "\n", 0600);
	assert_int_equal(pw_seal_kek_load(path, true, &k, err, sizeof(err)),
	    0);
	assert_string_equal(k.id, KEK_A_ID);
	assert_memory_equal(k.key, ka.key, PW_SEAL_KEK_LEN);
	path = write_file("open", KEK_A_HEX "\n", 0640);
	assert_int_equal(pw_seal_kek_load(path, true, &k, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "group or others"));
	assert_false(k.set);
	assert_int_equal(pw_seal_kek_load(path, false, &k, err, sizeof(err)),
	    0);
	path = write_file("short", "0011\n", 0600);
	assert_int_equal(pw_seal_kek_load(path, true, &k, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "64 hexadecimal digits"));
	assert_int_equal(pw_seal_kek_load("", true, &k, err, sizeof(err)), -1);
	/* Upper case is hex too; other characters are not. */
	assert_int_equal(pw_seal_kek_parse(
	    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
	    64, &k, &why), 0);
	assert_string_equal(k.id, KEK_A_ID);
	assert_int_equal(pw_seal_kek_parse(
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g",
	    64, &k, &why), -1);
	assert_int_equal(pw_seal_kek_parse(
	    " 00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    64, &k, &why), -1);
	assert_int_equal(pw_seal_kek_parse(KEK_A_HEX "00", 66, &k, &why), -1);
	assert_false(k.set);
	pw_seal_kek_wipe(&k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_wrong_kek),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_wrong_context),
		cmocka_unit_test(test_bad_format),
		cmocka_unit_test(test_kek_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
