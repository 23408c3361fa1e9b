/*
 * test_dkim_keys.c -- unit tests for lib/dkim_keys.c and the shape of
 * what lib/dkim_sign.c writes: key file checks (mode, type, size), key
 * and signing tables (errors with file:line, lookup order), DNS TXT
 * records, and the DKIM-Signature value (tags, folding, oversigning).
 * Whether signatures verify is for the independent verifiers
 * (tests/dkim/verify.sh).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "dkim_keys.h"
#include "dkim_sign.h"

static char tmpdir[] = "/tmp/pw-dkim-test.XXXXXX";
static char rsa_path[256], ed_path[256], open_path[256], small_path[256];

static void
write_key(const char *path, EVP_PKEY *pkey, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL,
	    NULL), 1);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

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
	const char *why;
	EVP_PKEY *k;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(rsa_path, sizeof(rsa_path), "%s/rsa.pem", tmpdir);
	snprintf(ed_path, sizeof(ed_path), "%s/ed.pem", tmpdir);
	snprintf(open_path, sizeof(open_path), "%s/open.pem", tmpdir);
	snprintf(small_path, sizeof(small_path), "%s/small.pem", tmpdir);
	k = pw_dkim_key_generate(PW_DKIM_RSA_SHA256, 2048, &why);
	write_key(rsa_path, k, 0600);
	write_key(open_path, k, 0644);
	EVP_PKEY_free(k);
	k = pw_dkim_key_generate(PW_DKIM_ED25519_SHA256, 0, &why);
	write_key(ed_path, k, 0600);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)768);
	if (k != NULL) {
		write_key(small_path, k, 0600);
		EVP_PKEY_free(k);
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_key_mode_check(void **state)
{
	char err[PW_DKIM_ERR_MAX];
	EVP_PKEY *k = NULL;
	int bits;

	assert_int_equal(pw_dkim_key_load(open_path, PW_DKIM_RSA_SHA256, 1, &k,
	    &bits, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "accessible by group or others "
	    "(mode 0644)"));
	assert_non_null(strstr(err, open_path));
	assert_int_equal(pw_dkim_key_load(open_path, PW_DKIM_RSA_SHA256, 0, &k,
	    &bits, err, sizeof(err)), 0);
	assert_int_equal(bits, 2048);
	EVP_PKEY_free(k);
	assert_int_equal(pw_dkim_key_load(rsa_path, PW_DKIM_RSA_SHA256, 1, &k,
	    &bits, err, sizeof(err)), 0);
	EVP_PKEY_free(k);
}

static void
test_key_type_and_size(void **state)
{
	char err[PW_DKIM_ERR_MAX], path[300];
	EVP_PKEY *k = NULL;

	assert_int_equal(pw_dkim_key_load(ed_path, PW_DKIM_RSA_SHA256, 1, &k,
	    NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an RSA key"));
	assert_int_equal(pw_dkim_key_load(rsa_path, PW_DKIM_ED25519_SHA256, 1,
	    &k, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an Ed25519 key"));
	assert_int_equal(pw_dkim_key_load(ed_path, PW_DKIM_ED25519_SHA256, 1,
	    &k, NULL, err, sizeof(err)), 0);
	EVP_PKEY_free(k);
	if (access(small_path, R_OK) == 0) {
		assert_int_equal(pw_dkim_key_load(small_path,
		    PW_DKIM_RSA_SHA256, 1, &k, NULL, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "RSA key of 768 bits"));
	}
	snprintf(path, sizeof(path), "%s/garbage.pem", tmpdir);
	write_file(path, "-----BEGIN PRIVATE KEY-----\nnot base64\n");
	chmod(path, 0600);
	assert_int_equal(pw_dkim_key_load(path, PW_DKIM_RSA_SHA256, 1, &k,
	    NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a PEM private key"));
	snprintf(path, sizeof(path), "%s/missing.pem", tmpdir);
	assert_int_equal(pw_dkim_key_load(path, PW_DKIM_RSA_SHA256, 1, &k,
	    NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
}

static void
test_txt_records(void **state)
{
	char err[PW_DKIM_ERR_MAX];
	struct pw_buf out;
	const char *why, *p;
	EVP_PKEY *k;

	pw_buf_init(&out, 4096);
	assert_int_equal(pw_dkim_key_load(rsa_path, PW_DKIM_RSA_SHA256, 1, &k,
	    NULL, err, sizeof(err)), 0);
	assert_int_equal(pw_dkim_key_txt(k, &out, &why), 0);
	assert_int_equal(strncmp(out.data, "v=DKIM1; k=rsa; p=MIIBIjAN", 26),
	    0);
	EVP_PKEY_free(k);
	pw_buf_reset(&out);
	assert_int_equal(pw_dkim_key_load(ed_path, PW_DKIM_ED25519_SHA256, 1,
	    &k, NULL, err, sizeof(err)), 0);
	assert_int_equal(pw_dkim_key_txt(k, &out, &why), 0);
	assert_int_equal(strncmp(out.data, "v=DKIM1; k=ed25519; p=", 22), 0);
	p = out.data + 22;
	assert_int_equal(strlen(p), 44);	/* 32 bytes in base64 */
	EVP_PKEY_free(k);
	pw_buf_free(&out);
}

/* Load tables from text; returns the load's result, err filled. */
static int
load_tables(const char *keys, const char *signing,
    struct pw_dkim_keyset **ks, char *err, size_t errsize)
{
	char kpath[300], spath[300];

	snprintf(kpath, sizeof(kpath), "%s/keytable", tmpdir);
	snprintf(spath, sizeof(spath), "%s/signingtable", tmpdir);
	write_file(kpath, keys);
	write_file(spath, signing);
	return pw_dkim_keyset_load(kpath, spath, 1, ks, err, errsize);
}

static char *
keytable(void)
{
	static char text[2048];

	snprintf(text, sizeof(text),
	    "# comment\n"
	    "\n"
	    "ex-rsa  Example.COM  s1  rsa      %s\n"
	    "ex-ed   example.com  s2  ed25519  %s   # trailing comment\n"
	    "sub     sub.example.com s3 rsa    %s\n", rsa_path, ed_path,
	    rsa_path);
	return text;
}

static void
test_tables_and_lookup(void **state)
{
	const struct pw_dkim_key *keys[PW_DKIM_MAX_SIGS];
	struct pw_dkim_keyset *ks = NULL;
	char err[PW_DKIM_ERR_MAX];

	assert_int_equal(load_tables(keytable(),
	    "example.com ex-rsa,ex-ed\n"
	    "*.example.com sub\n"
	    "*.deep.example.com ex-ed\n"
	    "tenant:acme ex-rsa\n", &ks, err, sizeof(err)), 0);
	assert_int_equal(pw_dkim_keyset_count(ks), 3);
	assert_int_equal(pw_dkim_keyset_lookup(ks, "EXAMPLE.com", NULL, keys),
	    2);
	assert_string_equal(keys[0]->name, "ex-rsa");
	assert_string_equal(keys[0]->domain, "example.com");
	assert_string_equal(keys[1]->name, "ex-ed");
	assert_int_equal(keys[1]->alg, PW_DKIM_ED25519_SHA256);
	assert_int_equal(pw_dkim_keyset_lookup(ks, "a.example.com", NULL,
	    keys), 1);
	assert_string_equal(keys[0]->name, "sub");
	/* The most specific wildcard wins. */
	assert_int_equal(pw_dkim_keyset_lookup(ks, "x.deep.example.com", NULL,
	    keys), 1);
	assert_string_equal(keys[0]->name, "ex-ed");
	/* Domain first, then tenant. */
	assert_int_equal(pw_dkim_keyset_lookup(ks, "other.example", "acme",
	    keys), 1);
	assert_string_equal(keys[0]->name, "ex-rsa");
	assert_int_equal(pw_dkim_keyset_lookup(ks, "other.example", "nobody",
	    keys), 0);
	assert_int_equal(pw_dkim_keyset_lookup(ks, "example.org", NULL, keys),
	    0);
	assert_int_equal(pw_dkim_keyset_lookup(ks, "", "", keys), 0);
	assert_int_equal(pw_dkim_keyset_lookup(ks, "xexample.com", NULL, keys),
	    0);
	/* A tenant's dkim_domain: its entry, else its keys in the table. */
	assert_int_equal(pw_dkim_keyset_lookup_domain(ks, "EXAMPLE.com",
	    keys), 2);
	assert_string_equal(keys[1]->name, "ex-ed");
	assert_int_equal(pw_dkim_keyset_lookup_domain(ks, "sub.example.com",
	    keys), 1);
	assert_string_equal(keys[0]->name, "sub");
	assert_int_equal(pw_dkim_keyset_lookup_domain(ks, "none.example",
	    keys), 0);
	pw_dkim_keyset_free(&ks);
	assert_null(ks);
}

static void
expect_error(const char *keys, const char *signing, const char *want)
{
	struct pw_dkim_keyset *ks = NULL;
	char err[PW_DKIM_ERR_MAX];

	assert_int_equal(load_tables(keys, signing, &ks, err, sizeof(err)),
	    -1);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	assert_null(ks);
}

static void
test_table_errors(void **state)
{
	char text[2048];

	expect_error("a example.com s1 rsa\n", "", "keytable:1: expected");
	snprintf(text, sizeof(text), "a example.com s1 dsa %s\n", rsa_path);
	expect_error(text, "", "keytable:1: algorithm must be rsa or ed25519");
	snprintf(text, sizeof(text), "a example.com s1 rsa %s\n"
	    "a example.com s2 rsa %s\n", rsa_path, rsa_path);
	expect_error(text, "", "keytable:2: key name given twice");
	snprintf(text, sizeof(text), "\n\na exa..mple.com s1 rsa %s\n",
	    rsa_path);
	expect_error(text, "", "keytable:3: bad signing domain");
	snprintf(text, sizeof(text), "a example.com s1 rsa relative.pem\n");
	expect_error(text, "", "keytable:1: key file must be an absolute");
	snprintf(text, sizeof(text), "a example.com s1 rsa %s\n", open_path);
	expect_error(text, "", "keytable:1: ");
	expect_error(text, "", "accessible by group or others");
	expect_error(keytable(), "example.com ex-rsa\nexample.org nokey\n",
	    "signingtable:2: names a key that is not in dkim_key_table");
	expect_error(keytable(), "example.com ex-rsa\nEXAMPLE.com ex-ed\n",
	    "signingtable:2: pattern given twice");
	expect_error(keytable(), "example.com\n", "signingtable:1: expected");
	expect_error(keytable(), "*.*.com ex-rsa\n", "signingtable:1: bad "
	    "pattern");
}

static void
test_signature_value(void **state)
{
	static const char *sign[] = { "From", "To", "Subject", "Date" };
	static const char *over[] = { "From", "Subject" };
	static const char *also[] = { "X-Added" };
	const struct pw_dkim_key *keys[PW_DKIM_MAX_SIGS];
	struct pw_dkim_header hdrs[] = {
		{ "From", 4, " a@example.com", 14 },
		{ "To", 2, " b@example.org", 14 },
		{ "To", 2, " c@example.org", 14 },
		{ "Subject", 7, " hi", 3 },
		{ "X-Added", 7, " 1", 2 },
		{ "X-Unsigned", 10, " 2", 2 },
	};
	struct pw_dkim_sign_opts o = {
		.hcanon = PW_DKIM_CANON_RELAXED,
		.bcanon = PW_DKIM_CANON_SIMPLE,
		.sign = sign, .nsign = 4,
		.oversign = over, .noversign = 2,
		.expire = 86400,
	};
	struct pw_dkim_keyset *ks = NULL;
	struct pw_buf v[2];
	struct pw_dkim_sign *s;
	char err[PW_DKIM_ERR_MAX];
	const char *why, *line, *nl;
	size_t col;
	int i;

	assert_int_equal(load_tables(keytable(), "example.com ex-rsa,ex-ed\n",
	    &ks, err, sizeof(err)), 0);
	assert_int_equal(pw_dkim_keyset_lookup(ks, "example.com", NULL, keys),
	    2);
	s = pw_dkim_sign_new(&o, keys, 2);
	pw_dkim_sign_body(s, "hello\r\n", 7);
	pw_buf_init(&v[0], PW_DKIM_SIG_MAX);
	pw_buf_init(&v[1], PW_DKIM_SIG_MAX);
	assert_int_equal(pw_dkim_sign_final(s, hdrs, 6, also, 1, 1700000000,
	    v, &why), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(strncmp(v[i].data, " v=1; a=", 8), 0);
		assert_non_null(strstr(v[i].data, "c=relaxed/simple;"));
		assert_non_null(strstr(v[i].data, "d=example.com;"));
		assert_non_null(strstr(v[i].data, "t=1700000000;"));
		assert_non_null(strstr(v[i].data, "x=1700086400;"));
		assert_null(strstr(v[i].data, "l="));
		assert_null(strstr(v[i].data, "i="));
		assert_null(strchr(v[i].data, '\r'));
		/* To twice (two instances), From and Subject once more. */
		assert_non_null(strstr(v[i].data, "h=From:To:To:Subject:"));
		assert_non_null(strstr(v[i].data, "X-Added:From:Subject;"));
		assert_null(strstr(v[i].data, "X-Unsigned"));
		assert_null(strstr(v[i].data, "Date"));
		/* Folded at 78 columns: "DKIM-Signature:" starts line 1. */
		col = 15;
		for (line = v[i].data; (nl = strchr(line, '\n')) != NULL;
		    line = nl + 2) {
			assert_true(col + (size_t)(nl - line) <= 78);
			assert_int_equal(nl[1], '\t');
			col = 8;
		}
		assert_true(col + strlen(line) <= 78);
	}
	assert_non_null(strstr(v[0].data, "a=rsa-sha256;"));
	assert_non_null(strstr(v[1].data, "a=ed25519-sha256;"));
	pw_dkim_sign_free(&s);

	/* No From: no signature. */
	s = pw_dkim_sign_new(&o, keys, 1);
	assert_int_equal(pw_dkim_sign_final(s, hdrs + 1, 5, NULL, 0, 1, v,
	    &why), -1);
	assert_string_equal(why, "no From header field");
	pw_dkim_sign_free(&s);
	pw_buf_free(&v[0]);
	pw_buf_free(&v[1]);
	pw_dkim_keyset_free(&ks);
}

/* Peak resident set size of this process, kB (VmHWM). */
static long
peak_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}

/* A 100 MB body streams through the signer: the peak RSS grows < 1 MB. */
static void
test_stream_memory(void **state)
{
	static const char *sign[] = { "From" };
	static char chunk[65536];
	const struct pw_dkim_key *keys[PW_DKIM_MAX_SIGS];
	struct pw_dkim_header from = { "From", 4, " a@example.com", 14 };
	struct pw_dkim_sign_opts o = {
		.hcanon = PW_DKIM_CANON_RELAXED,
		.bcanon = PW_DKIM_CANON_RELAXED,
		.sign = sign, .nsign = 1,
	};
	struct pw_dkim_keyset *ks = NULL;
	struct pw_dkim_sign *s;
	struct pw_buf v[2];
	char err[PW_DKIM_ERR_MAX];
	const char *why;
	long before, after;
	size_t i;

	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = i % 80 == 78 ? '\r' : i % 80 == 79 ? '\n' :
		    i % 7 == 0 ? ' ' : 'a' + (char)(i % 26);
	assert_int_equal(load_tables(keytable(), "example.com ex-rsa,ex-ed\n",
	    &ks, err, sizeof(err)), 0);
	assert_int_equal(pw_dkim_keyset_lookup(ks, "example.com", NULL, keys),
	    2);
	pw_buf_init(&v[0], PW_DKIM_SIG_MAX);
	pw_buf_init(&v[1], PW_DKIM_SIG_MAX);
	/* Warm up: one small message, so that OpenSSL has loaded itself. */
	s = pw_dkim_sign_new(&o, keys, 2);
	pw_dkim_sign_body(s, chunk, sizeof(chunk));
	assert_int_equal(pw_dkim_sign_final(s, &from, 1, NULL, 0, 1, v, &why),
	    0);
	pw_dkim_sign_free(&s);
	before = peak_rss_kb();
	s = pw_dkim_sign_new(&o, keys, 2);
	for (i = 0; i < 100 * 16; i++)	/* 1600 x 64 KiB = 100 MiB */
		pw_dkim_sign_body(s, chunk, sizeof(chunk));
	assert_int_equal(pw_dkim_sign_final(s, &from, 1, NULL, 0, 1, v, &why),
	    0);
	assert_true(pw_dkim_sign_body_length(s) > 90 * 1024 * 1024);
	pw_dkim_sign_free(&s);
	after = peak_rss_kb();
	print_message("peak RSS %ld kB before, %ld kB after 100 MiB\n",
	    before, after);
	assert_true(after - before < 1024);
	pw_buf_free(&v[0]);
	pw_buf_free(&v[1]);
	pw_dkim_keyset_free(&ks);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_mode_check),
		cmocka_unit_test(test_key_type_and_size),
		cmocka_unit_test(test_txt_records),
		cmocka_unit_test(test_tables_and_lookup),
		cmocka_unit_test(test_table_errors),
		cmocka_unit_test(test_signature_value),
		cmocka_unit_test(test_stream_memory),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
