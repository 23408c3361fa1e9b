/*
 * test_dkim_store.c -- unit tests for lib/dkim_store.c: a made record
 * has every field (state pending, the TXT record of the key, the key
 * sealed under the KEK) and opens into a key lib/dkim_sign.c signs
 * with; it does not open for another tenant, domain or selector, under
 * another KEK, with another algorithm named, with a public field that is
 * not its key's, or with a field missing; its public half comes from the
 * record without the KEK; states and selectors parse.
 * Whether the signatures verify is tests/cli/domain_dkim.sh's
 * (python3-dkim against the printed record).
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

#include "dkim_sign.h"
#include "dkim_store.h"

static struct pw_seal_kek ka, kb;
static struct pw_dkim_store_made rsa, ed;

static int
setup(void **state)
{
	unsigned char a[PW_SEAL_KEK_LEN], b[PW_SEAL_KEK_LEN];
	const char *why;

	(void)state;
	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	if (pw_seal_kek_set(&ka, a) < 0 || pw_seal_kek_set(&kb, b) < 0)
		return -1;
	if (pw_dkim_store_make(&ka, "acme", "acme.example", "s1-rsa",
	    PW_DKIM_RSA_SHA256, 1024, 1795775462, &rsa, &why) < 0 ||
	    pw_dkim_store_make(&ka, "acme", "acme.example", "s1-ed25519",
	    PW_DKIM_ED25519_SHA256, 0, 1795775462, &ed, &why) < 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pw_dkim_store_made_free(&rsa);
	pw_dkim_store_made_free(&ed);
	pw_seal_kek_wipe(&ka);
	pw_seal_kek_wipe(&kb);
	return 0;
}

/* Open values as tenant/domain/selector under kek: 0 or -1 (err kept). */
static int
try_open(const struct pw_seal_kek *kek, const char *tenant,
    const char *domain, const char *selector, char **values,
    char *err, size_t errsize)
{
	struct pw_dkim_key *key = NULL;
	int rc;

	err[0] = '\0';
	rc = pw_dkim_store_open(kek, tenant, domain, selector,
	    (const char *const *)values, &key, err, errsize);
	if (rc == 0) {
		assert_non_null(key);
		pw_dkim_store_key_free(&key);
		assert_null(key);
	} else {
		assert_null(key);
		assert_true(err[0] != '\0');
	}
	return rc;
}

static void
test_made_fields(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < PW_DKIM_NFIELDS; i++) {
		assert_non_null(rsa.values[i]);
		assert_non_null(ed.values[i]);
	}
	assert_string_equal(rsa.values[PW_DKIM_F_ALGORITHM], "rsa");
	assert_string_equal(rsa.values[PW_DKIM_F_BITS], "1024");
	assert_string_equal(ed.values[PW_DKIM_F_ALGORITHM], "ed25519");
	assert_string_equal(ed.values[PW_DKIM_F_STATE], "pending");
	assert_string_equal(ed.values[PW_DKIM_F_CREATED], "1795775462");
	assert_string_equal(ed.values[PW_DKIM_F_ACTIVATED], "0");
	assert_memory_equal(rsa.values[PW_DKIM_F_PUBLIC],
	    "v=DKIM1; k=rsa; p=", 18);
	assert_memory_equal(ed.values[PW_DKIM_F_PUBLIC],
	    "v=DKIM1; k=ed25519; p=", 22);
	assert_memory_equal(rsa.values[PW_DKIM_F_SEALED], "v1:", 3);
	assert_memory_equal(rsa.values[PW_DKIM_F_SEALED] + 3, ka.id,
	    PW_SEAL_KEK_ID_LEN);
	/* No PEM or DER header in the clear. */
	assert_null(strstr(rsa.values[PW_DKIM_F_SEALED], "BEGIN"));
	assert_null(strstr(rsa.values[PW_DKIM_F_SEALED], "MII"));
}

static void
test_open_signs(void **state)
{
	static const char *const names[] = { "From" };
	static const char from[] = " a@acme.example";
	struct pw_dkim_sign_opts o = { 0 };
	struct pw_dkim_header h = { "From", 4, from, sizeof(from) - 1 };
	const struct pw_dkim_key *keys[2];
	struct pw_dkim_key *k1, *k2;
	struct pw_buf v[2];
	struct pw_dkim_sign *s;
	const char *why;
	char err[512];

	(void)state;
	assert_int_equal(pw_dkim_store_open(&ka, "acme", "acme.example",
	    "s1-rsa", (const char *const *)rsa.values, &k1, err,
	    sizeof(err)), 0);
	assert_int_equal(pw_dkim_store_open(&ka, "acme", "acme.example",
	    "s1-ed25519", (const char *const *)ed.values, &k2, err,
	    sizeof(err)), 0);
	assert_string_equal(k1->domain, "acme.example");
	assert_string_equal(k1->selector, "s1-rsa");
	assert_string_equal(k1->name, "s1-rsa._domainkey.acme.example");
	assert_int_equal(k1->alg, PW_DKIM_RSA_SHA256);
	assert_int_equal(k1->bits, 1024);
	assert_int_equal(k2->alg, PW_DKIM_ED25519_SHA256);
	o.hcanon = o.bcanon = PW_DKIM_CANON_RELAXED;
	o.sign = names;
	o.nsign = 1;
	keys[0] = k1;
	keys[1] = k2;
	s = pw_dkim_sign_new(&o, keys, 2);
	pw_dkim_sign_body(s, "hi\r\n", 4);
	pw_buf_init(&v[0], PW_DKIM_SIG_MAX);
	pw_buf_init(&v[1], PW_DKIM_SIG_MAX);
	assert_int_equal(pw_dkim_sign_final(s, &h, 1, NULL, 0, 1795775462,
	    v, &why), 0);
	assert_non_null(strstr(v[0].data, "a=rsa-sha256;"));
	assert_non_null(strstr(v[0].data, "s=s1-rsa;"));
	assert_non_null(strstr(v[1].data, "a=ed25519-sha256;"));
	assert_non_null(strstr(v[1].data, "d=acme.example;"));
	pw_buf_free(&v[0]);
	pw_buf_free(&v[1]);
	pw_dkim_sign_free(&s);
	pw_dkim_store_key_free(&k1);
	pw_dkim_store_key_free(&k2);
}

static void
test_open_refused(void **state)
{
	char err[512], *saved, *v[PW_DKIM_NFIELDS];

	(void)state;
	/* A copy of the pointers: teardown frees the record as made. */
	memcpy(v, rsa.values, sizeof(v));
	assert_int_equal(try_open(&ka, "acme", "acme.example", "s1-rsa",
	    v, err, sizeof(err)), 0);
	assert_int_equal(try_open(&ka, "evil", "acme.example", "s1-rsa",
	    v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not authenticate"));
	assert_int_equal(try_open(&ka, "acme", "evil.example", "s1-rsa",
	    v, err, sizeof(err)), -1);
	assert_int_equal(try_open(&ka, "acme", "acme.example", "s2-rsa",
	    v, err, sizeof(err)), -1);
	assert_int_equal(try_open(&kb, "acme", "acme.example", "s1-rsa",
	    v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "another key-encryption key"));
	/* The record says ed25519, the sealed key is RSA. */
	saved = v[PW_DKIM_F_ALGORITHM];
	v[PW_DKIM_F_ALGORITHM] = (char *)"ed25519";
	assert_int_equal(try_open(&ka, "acme", "acme.example", "s1-rsa",
	    v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not of algorithm ed25519"));
	v[PW_DKIM_F_ALGORITHM] = (char *)"dsa";
	assert_int_equal(try_open(&ka, "acme", "acme.example", "s1-rsa",
	    v, err, sizeof(err)), -1);
	v[PW_DKIM_F_ALGORITHM] = NULL;
	assert_int_equal(try_open(&ka, "acme", "acme.example", "s1-rsa",
	    v, err, sizeof(err)), -1);
	v[PW_DKIM_F_ALGORITHM] = saved;
	/* A public field that is not the sealed key's. */
	saved = v[PW_DKIM_F_PUBLIC];
	v[PW_DKIM_F_PUBLIC] = ed.values[PW_DKIM_F_PUBLIC];
	assert_int_equal(try_open(&ka, "acme", "acme.example", "s1-rsa",
	    v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not the sealed key's public key"));
	v[PW_DKIM_F_PUBLIC] = NULL;
	assert_int_equal(try_open(&ka, "acme", "acme.example", "s1-rsa",
	    v, err, sizeof(err)), -1);
	v[PW_DKIM_F_PUBLIC] = saved;
	/* Another record's sealed key under this record's names. */
	saved = v[PW_DKIM_F_SEALED];
	v[PW_DKIM_F_SEALED] = ed.values[PW_DKIM_F_SEALED];
	assert_int_equal(try_open(&ka, "acme", "acme.example", "s1-rsa",
	    v, err, sizeof(err)), -1);
	v[PW_DKIM_F_SEALED] = NULL;
	assert_int_equal(try_open(&ka, "acme", "acme.example", "s1-rsa",
	    v, err, sizeof(err)), -1);
	v[PW_DKIM_F_SEALED] = saved;
	assert_int_equal(try_open(&ka, "acme", "acme.example", "s1-rsa",
	    v, err, sizeof(err)), 0);
}

static void
test_public(void **state)
{
	struct pw_dkim_key *k;
	enum pw_dkim_alg alg;
	const char *why;
	char err[512], *v[PW_DKIM_NFIELDS];
	EVP_PKEY *pub;

	(void)state;
	/* The public half, without the KEK, is the sealed key's. */
	pub = pw_dkim_store_public((const char *const *)ed.values, &alg, &why);
	assert_non_null(pub);
	assert_int_equal(alg, PW_DKIM_ED25519_SHA256);
	assert_int_equal(pw_dkim_store_open(&ka, "acme", "acme.example",
	    "s1-ed25519", (const char *const *)ed.values, &k, err,
	    sizeof(err)), 0);
	assert_int_equal(EVP_PKEY_eq(pub, k->pkey), 1);
	EVP_PKEY_free(pub);
	pw_dkim_store_key_free(&k);
	pub = pw_dkim_store_public((const char *const *)rsa.values, &alg, &why);
	assert_non_null(pub);
	assert_int_equal(alg, PW_DKIM_RSA_SHA256);
	EVP_PKEY_free(pub);
	/* The algorithm field must be the record's. */
	memcpy(v, rsa.values, sizeof(v));
	v[PW_DKIM_F_ALGORITHM] = (char *)"ed25519";
	assert_null(pw_dkim_store_public((const char *const *)v, &alg, &why));
	v[PW_DKIM_F_ALGORITHM] = (char *)"rsa";
	v[PW_DKIM_F_PUBLIC] = (char *)"v=DKIM1; k=rsa; p=";
	assert_null(pw_dkim_store_public((const char *const *)v, &alg, &why));
	v[PW_DKIM_F_PUBLIC] = (char *)"v=DKIM1; k=rsa; p=AAAA";
	assert_null(pw_dkim_store_public((const char *const *)v, &alg, &why));
	v[PW_DKIM_F_PUBLIC] = NULL;
	assert_null(pw_dkim_store_public((const char *const *)v, &alg, &why));
}

static void
test_names(void **state)
{
	enum pw_dkim_store_state st;

	(void)state;
	assert_int_equal(pw_dkim_store_state_parse("retiring", &st), 0);
	assert_int_equal(st, PW_DKIM_STATE_RETIRING);
	assert_string_equal(pw_dkim_store_state_name(PW_DKIM_STATE_ACTIVE),
	    "active");
	assert_int_equal(pw_dkim_store_state_parse("Active", &st), -1);
	assert_int_equal(pw_dkim_store_state_parse(NULL, &st), -1);
	assert_true(pw_dkim_store_valid_selector("pw20261206-rsa"));
	assert_true(pw_dkim_store_valid_selector("s2"));
	assert_false(pw_dkim_store_valid_selector(""));
	assert_false(pw_dkim_store_valid_selector("a.b"));
	assert_false(pw_dkim_store_valid_selector("-a"));
	assert_false(pw_dkim_store_valid_selector("a-"));
	assert_false(pw_dkim_store_valid_selector("S1"));
	assert_false(pw_dkim_store_valid_selector(
	    "a123456789012345678901234567890123456789012345678901234567890123"));
	assert_string_equal(pw_dkim_store_fields[PW_DKIM_F_KEEP_UNTIL],
	    "keep_published_until");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_made_fields),
		cmocka_unit_test(test_open_signs),
		cmocka_unit_test(test_open_refused),
		cmocka_unit_test(test_public),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
