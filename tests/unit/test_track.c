/*
 * test_track.c -- unit tests for lib/track.c: tracking ids (round trip,
 * order by time, uniqueness, alphabet and length, every forgery a bit
 * flip or a changed character makes, truncation, wrong tenant, wrong
 * secret), the secret file (short, missing, too open, too large), and
 * unsubscribe tokens (round trip, tampered payload or MAC, truncation,
 * wrong secret, oversized input).
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

#include "track.h"

#define SECRET_A	"0123456789abcdef0123456789abcdef-secret-a"
#define SECRET_B	"0123456789abcdef0123456789abcdef-secret-b"
#define NOW_MS		UINT64_C(1795775462123)	/* 2026-11-27T10:31:02.123Z */
#define ALPHABET	"0123456789abcdefghjkmnpqrstvwxyz"
#define UNIQUE_N	100000

static struct pw_track_secret sa, sb;
static char tmpdir[] = "/tmp/pw-track-test.XXXXXX";

static int
setup(void **state)
{
	const char *why;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if (pw_track_secret_set(&sa, SECRET_A, strlen(SECRET_A), &why) < 0 ||
	    pw_track_secret_set(&sb, SECRET_B, strlen(SECRET_B), &why) < 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	pw_track_secret_free(&sa);
	pw_track_secret_free(&sb);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
make_id(const char *tenant, uint64_t ms, char id[PW_TRACK_ID_LEN + 1])
{
	assert_int_equal(pw_track_id_make(&sa, tenant, ms, id), 0);
}

static void
test_id_round_trip(void **state)
{
	char id[PW_TRACK_ID_LEN + 1], upper[PW_TRACK_ID_LEN + 1];
	uint64_t t = 0;
	size_t i;

	make_id("acme", NOW_MS, id);
	assert_int_equal(strlen(id), PW_TRACK_ID_LEN);
	assert_int_equal(pw_track_id_verify(&sa, id, strlen(id), "acme", &t),
	    PW_TRACK_OK);
	assert_true(t == NOW_MS);
	/* Crockford: upper case decodes to the same id. */
	for (i = 0; i <= PW_TRACK_ID_LEN; i++)
		upper[i] = (char)(id[i] >= 'a' && id[i] <= 'z' ?
		    id[i] - 'a' + 'A' : id[i]);
	assert_int_equal(pw_track_id_verify(&sa, upper, strlen(upper), "acme",
	    &t), PW_TRACK_OK);
	/* The extremes of the 48-bit clock. */
	make_id("a", 0, id);
	assert_int_equal(pw_track_id_verify(&sa, id, strlen(id), "a", &t),
	    PW_TRACK_OK);
	assert_true(t == 0);
	make_id("acme", PW_TRACK_TIME_MAX, id);
	assert_int_equal(pw_track_id_verify(&sa, id, strlen(id), "acme", &t),
	    PW_TRACK_OK);
	assert_true(t == PW_TRACK_TIME_MAX);
	/* Bad arguments. */
	assert_int_equal(pw_track_id_make(&sa, "acme", PW_TRACK_TIME_MAX + 1,
	    id), -1);
	assert_int_equal(pw_track_id_make(&sa, "", NOW_MS, id), -1);
	assert_int_equal(pw_track_id_make(&sa, "Acme", NOW_MS, id), -1);
	assert_int_equal(pw_track_id_make(&sa, NULL, NOW_MS, id), -1);
}

static void
test_id_order_by_time(void **state)
{
	static const uint64_t times[] = { 0, 1, 255, 256, 65535, 65536,
	    NOW_MS - 1000, NOW_MS - 1, NOW_MS, NOW_MS + 1, NOW_MS + 1000,
	    PW_TRACK_TIME_MAX - 1, PW_TRACK_TIME_MAX };
	char prev[PW_TRACK_ID_LEN + 1], id[PW_TRACK_ID_LEN + 1];
	size_t i, j;

	/* Different tenants and random parts: the time still decides. */
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		make_id(i % 2 == 0 ? "zzz" : "aaa", times[i], id);
		if (i > 0 && strcmp(prev, id) >= 0)
			fail_msg("id of %llu ms does not sort after the one "
			    "before: %s, %s", (unsigned long long)times[i],
			    prev, id);
		memcpy(prev, id, sizeof(id));
	}
	for (j = 0; j < 1000; j++) {
		make_id("acme", NOW_MS + j, id);
		if (j > 0 && strcmp(prev, id) >= 0)
			fail_msg("ids out of order at +%zu ms", j);
		memcpy(prev, id, sizeof(id));
	}
}

static int
cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, PW_TRACK_ID_LEN);
}

static void
test_id_unique(void **state)
{
	char (*ids)[PW_TRACK_ID_LEN + 1] = calloc(UNIQUE_N, sizeof(*ids));
	size_t i;

	assert_non_null(ids);
	/* The same tenant and millisecond: only the random part differs. */
	for (i = 0; i < UNIQUE_N; i++)
		make_id("acme", NOW_MS, ids[i]);
	qsort(ids, UNIQUE_N, sizeof(*ids), cmp_id);
	for (i = 1; i < UNIQUE_N; i++)
		if (memcmp(ids[i - 1], ids[i], PW_TRACK_ID_LEN) == 0)
			fail_msg("duplicate id %s", ids[i]);
	free(ids);
}

static void
test_id_charset(void **state)
{
	char id[PW_TRACK_ID_LEN + 1];
	size_t i, n;

	for (n = 0; n < 1000; n++) {
		make_id("a-tenant_with.every-char-0123456789", NOW_MS + n, id);
		assert_int_equal(strlen(id), PW_TRACK_ID_LEN);
		assert_true(PW_TRACK_ID_LEN <= 48);
		for (i = 0; i < PW_TRACK_ID_LEN; i++)
			if (strchr(ALPHABET, id[i]) == NULL)
				fail_msg("character '%c' in %s", id[i], id);
	}
}

/* Every single-bit change of the 26 bytes must fail to verify. */
static void
test_id_bit_flips(void **state)
{
	char id[PW_TRACK_ID_LEN + 1], bad[PW_TRACK_ID_LEN + 2];
	struct pw_track_id d, e;
	enum pw_track_result r;
	size_t bit;

	make_id("acme", NOW_MS, id);
	assert_int_equal(pw_track_id_decode(id, strlen(id), &d), PW_TRACK_OK);
	for (bit = 0; bit < 8 * PW_TRACK_ID_RAW; bit++) {
		e = d;
		e.raw[bit / 8] ^= (unsigned char)(0x80 >> (bit % 8));
		/* Re-encode by brute force: find the character that differs. */
		{
			size_t pos = bit / 5, v;

			memcpy(bad, id, sizeof(id));
			v = (size_t)(strchr(ALPHABET, id[pos]) - ALPHABET);
			v ^= (size_t)(0x10 >> (bit % 5));
			bad[pos] = ALPHABET[v];
		}
		assert_int_equal(pw_track_id_decode(bad, strlen(bad), &d),
		    PW_TRACK_OK);
		assert_memory_equal(d.raw, e.raw, PW_TRACK_ID_RAW);
		r = pw_track_id_verify(&sa, bad, strlen(bad), "acme", NULL);
		if (r == PW_TRACK_OK || !pw_track_result_forged(r))
			fail_msg("bit %zu flipped: %s", bit,
			    pw_track_result_text(r));
		assert_int_equal(pw_track_id_decode(id, strlen(id), &d),
		    PW_TRACK_OK);
	}
}

/* Every other character at every place must fail. */
static void
test_id_each_char(void **state)
{
	char id[PW_TRACK_ID_LEN + 1], bad[PW_TRACK_ID_LEN + 1];
	enum pw_track_result r;
	size_t pos, c;

	make_id("acme", NOW_MS, id);
	for (pos = 0; pos < PW_TRACK_ID_LEN; pos++) {
		for (c = 0; c < 32; c++) {
			if (ALPHABET[c] == id[pos])
				continue;
			memcpy(bad, id, sizeof(id));
			bad[pos] = ALPHABET[c];
			r = pw_track_id_verify(&sa, bad, strlen(bad), "acme",
			    NULL);
			if (r == PW_TRACK_OK)
				fail_msg("%s verifies (position %zu)", bad,
				    pos);
		}
	}
	/* The last character carries 2 padding bits, which must be 0. */
	memcpy(bad, id, sizeof(id));
	bad[PW_TRACK_ID_LEN - 1] = ALPHABET[(strchr(ALPHABET,
	    id[PW_TRACK_ID_LEN - 1]) - ALPHABET) ^ 1];
	assert_int_equal(pw_track_id_verify(&sa, bad, strlen(bad), "acme",
	    NULL), PW_TRACK_BAD_FORMAT);
}

static void
test_id_malformed(void **state)
{
	static const char *letters = "iloIL OU!-_.\n\x80";
	char id[PW_TRACK_ID_LEN + 1], bad[PW_TRACK_ID_LEN + 2];
	struct pw_track_id d;
	size_t i;

	make_id("acme", NOW_MS, id);
	for (i = 0; i < PW_TRACK_ID_LEN; i++)
		assert_int_equal(pw_track_id_verify(&sa, id, i, "acme", NULL),
		    PW_TRACK_BAD_LENGTH);
	memcpy(bad, id, sizeof(id));
	bad[PW_TRACK_ID_LEN] = '0';
	bad[PW_TRACK_ID_LEN + 1] = '\0';
	assert_int_equal(pw_track_id_verify(&sa, bad, strlen(bad), "acme",
	    NULL), PW_TRACK_BAD_LENGTH);
	for (i = 0; letters[i] != '\0'; i++) {
		memcpy(bad, id, sizeof(id));
		bad[7] = letters[i];
		assert_int_equal(pw_track_id_decode(bad, PW_TRACK_ID_LEN, &d),
		    PW_TRACK_BAD_CHAR);
	}
	memcpy(bad, id, sizeof(id));
	bad[20] = '\0';
	assert_int_equal(pw_track_id_decode(bad, PW_TRACK_ID_LEN, &d),
	    PW_TRACK_BAD_CHAR);
}

static void
test_id_wrong_tenant_and_secret(void **state)
{
	char id[PW_TRACK_ID_LEN + 1];
	struct pw_track_id d;

	make_id("acme", NOW_MS, id);
	assert_int_equal(pw_track_id_decode(id, strlen(id), &d), PW_TRACK_OK);
	assert_true(pw_track_id_tag_matches(&sa, &d, "acme"));
	assert_false(pw_track_id_tag_matches(&sa, &d, "acme2"));
	assert_false(pw_track_id_tag_matches(&sa, &d, "Acme"));
	assert_false(pw_track_id_tag_matches(&sb, &d, "acme"));
	assert_int_equal(pw_track_id_check(&sa, &d, "beta"),
	    PW_TRACK_WRONG_TENANT);
	assert_int_equal(pw_track_id_check(&sa, &d, ""),
	    PW_TRACK_WRONG_TENANT);
	assert_int_equal(pw_track_id_check(&sa, &d, NULL),
	    PW_TRACK_WRONG_TENANT);
	assert_true(pw_track_result_forged(pw_track_id_check(&sb, &d,
	    "acme")));
	/* A random part changed under a matching tag: the MAC catches it. */
	d.raw[12] ^= 1;
	assert_int_equal(pw_track_id_check(&sa, &d, "acme"), PW_TRACK_FORGED);
	assert_false(pw_track_result_forged(PW_TRACK_OK));
	assert_false(pw_track_result_forged(PW_TRACK_BAD_CHAR));
}

/* --- the secret file ------------------------------------------------------ */

static void
write_secret(const char *path, const char *text, size_t len, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_secret_file(void **state)
{
	static const char hex[] =
	    "3f1a0c9d2b7e4f6a8c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b";
	struct pw_track_secret s, m;
	char path[300], err[PW_TRACK_ERR_MAX], big[PW_TRACK_SECRET_MAX + 2];
	char id[PW_TRACK_ID_LEN + 1];
	const char *why;

	snprintf(path, sizeof(path), "%s/secret", tmpdir);
	/* Missing. */
	assert_int_equal(pw_track_secret_load(path, true, &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_non_null(strstr(err, path));
	assert_int_equal(pw_track_secret_load("", true, &s, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "tracking_secret_file"));
	/* Short: 31 bytes once the trailing white space is gone. */
	write_secret(path, "0123456789012345678901234567890 \n\t\n", 35,
	    0600);
	assert_int_equal(pw_track_secret_load(path, true, &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "of 31 bytes; at least 32"));
	assert_null(strstr(err, "0123456789"));
	/* Group or world readable. */
	write_secret(path, hex, strlen(hex), 0644);
	assert_int_equal(pw_track_secret_load(path, true, &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "accessible by group or others "
	    "(mode 0644)"));
	assert_non_null(strstr(err, "dkim_key_mode_check"));
	assert_non_null(strstr(err, path));
	assert_null(strstr(err, "3f1a0c9d"));
	write_secret(path, hex, strlen(hex), 0640);
	assert_int_equal(pw_track_secret_load(path, true, &s, err,
	    sizeof(err)), -1);
	/* Accepted with the check off, and the same as from memory. */
	write_secret(path, hex, strlen(hex), 0644);
	assert_int_equal(pw_track_secret_load(path, false, &s, err,
	    sizeof(err)), 0);
	assert_int_equal(s.len, 64);
	assert_int_equal(pw_track_secret_set(&m, hex, strlen(hex), &why), 0);
	assert_int_equal(pw_track_id_make(&s, "acme", NOW_MS, id), 0);
	assert_int_equal(pw_track_id_verify(&m, id, strlen(id), "acme", NULL),
	    PW_TRACK_OK);
	pw_track_secret_free(&s);
	assert_null(s.key);
	pw_track_secret_free(&s);	/* twice is harmless */
	pw_track_secret_free(&m);
	/* Trailing newline stripped: the same secret as without it. */
	write_secret(path, "3f1a0c9d2b7e4f6a8c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f"
	    "5a6b7c8d9e0f1a2b\r\n", 66, 0600);
	assert_int_equal(pw_track_secret_load(path, true, &s, err,
	    sizeof(err)), 0);
	assert_int_equal(s.len, 64);
	assert_memory_equal(s.key, hex, 64);
	pw_track_secret_free(&s);
	/* Too large. */
	memset(big, 'x', sizeof(big));
	write_secret(path, big, sizeof(big), 0600);
	assert_int_equal(pw_track_secret_load(path, true, &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than 4096 bytes"));
	/* Not a regular file. */
	assert_int_equal(pw_track_secret_load(tmpdir, false, &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	/* From memory: too short. */
	assert_int_equal(pw_track_secret_set(&m, hex, 31, &why), -1);
	unlink(path);
}

/* --- unsubscribe tokens --------------------------------------------------- */

static void
make_token(const char *tenant, const char *rcpt,
    char tok[PW_TRACK_TOKEN_MAX + 1])
{
	const char *why = NULL;

	if (pw_track_unsub_make(&sa, tenant, rcpt, tok, &why) < 0)
		fail_msg("make %s %s: %s", tenant, rcpt, why);
}

static bool
url_safe(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_.") == strlen(s);
}

static void
test_token_round_trip(void **state)
{
	char tok[PW_TRACK_TOKEN_MAX + 1], rcpt[PW_TRACK_RCPT_MAX + 1];
	char tenant[PW_IDENTITY_TENANT_MAX + 1];
	struct pw_track_unsub u;
	size_t i;

	make_token("acme", "User.Name+Tag@Example.NET", tok);
	assert_true(tok[0] == '1');
	assert_true(url_safe(tok));
	assert_non_null(strchr(tok, '.'));
	assert_int_equal(pw_track_unsub_verify(&sa, tok, strlen(tok), &u),
	    PW_TRACK_OK);
	assert_string_equal(u.tenant, "acme");
	assert_string_equal(u.recipient, "user.name+tag@example.net");
	/* Lengths from 1 to the largest: every padding case. */
	for (i = 1; i <= PW_TRACK_RCPT_MAX; i++) {
		memset(rcpt, 'a', i);
		rcpt[0] = '@';
		rcpt[i] = '\0';
		make_token("t", rcpt, tok);
		assert_int_equal(pw_track_unsub_verify(&sa, tok, strlen(tok),
		    &u), PW_TRACK_OK);
		assert_string_equal(u.recipient, rcpt);
	}
	/* The largest token fits PW_TRACK_TOKEN_MAX. */
	memset(tenant, 'z', PW_IDENTITY_TENANT_MAX);
	tenant[PW_IDENTITY_TENANT_MAX] = '\0';
	make_token(tenant, rcpt, tok);
	assert_int_equal(strlen(tok), PW_TRACK_TOKEN_MAX);
	assert_int_equal(pw_track_unsub_verify(&sa, tok, strlen(tok), &u),
	    PW_TRACK_OK);
	assert_string_equal(u.tenant, tenant);
}

static void
test_token_bad_input(void **state)
{
	char tok[PW_TRACK_TOKEN_MAX + 1], rcpt[PW_TRACK_RCPT_MAX + 2];
	const char *why = NULL;

	memset(rcpt, 'a', sizeof(rcpt) - 1);
	rcpt[0] = '@';
	rcpt[PW_TRACK_RCPT_MAX + 1] = '\0';
	assert_int_equal(pw_track_unsub_make(&sa, "acme", rcpt, tok, &why),
	    -1);
	assert_string_equal(why, "recipient longer than 254 bytes");
	assert_int_equal(pw_track_unsub_make(&sa, "acme", "no-at", tok, &why),
	    -1);
	assert_int_equal(pw_track_unsub_make(&sa, "acme", "a b@x", tok, &why),
	    -1);
	assert_int_equal(pw_track_unsub_make(&sa, "acme", "a\n@x", tok, &why),
	    -1);
	assert_int_equal(pw_track_unsub_make(&sa, "acme", "", tok, &why), -1);
	assert_int_equal(pw_track_unsub_make(&sa, "{acme}", "a@x", tok, &why),
	    -1);
	assert_string_equal(why, "not a tenant name");
}

static void
test_token_tampered(void **state)
{
	char tok[PW_TRACK_TOKEN_MAX + 1], bad[PW_TRACK_TOKEN_MAX + 2];
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_";
	struct pw_track_unsub u;
	enum pw_track_result r;
	size_t pos, c, len;

	make_token("acme", "user@example.net", tok);
	len = strlen(tok);
	/* Every other character at every place, payload and MAC alike. */
	for (pos = 0; pos < len; pos++) {
		for (c = 0; c < sizeof(b64) - 1; c++) {
			if (b64[c] == tok[pos])
				continue;
			memcpy(bad, tok, len + 1);
			bad[pos] = b64[c];
			r = pw_track_unsub_verify(&sa, bad, len, &u);
			if (r == PW_TRACK_OK)
				fail_msg("%s verifies (position %zu)", bad,
				    pos);
			assert_string_equal(u.tenant, "");
		}
	}
	/* Tampered payload with a well-formed body: forged. */
	{
		char other[PW_TRACK_TOKEN_MAX + 1];
		const char *dot1, *dot2;

		make_token("acme", "other@example.net", other);
		dot1 = strchr(tok, '.');
		dot2 = strchr(other, '.');
		snprintf(bad, sizeof(bad), "%.*s%s", (int)(dot2 - other),
		    other, dot1);
		assert_int_equal(pw_track_unsub_verify(&sa, bad, strlen(bad),
		    &u), PW_TRACK_FORGED);
		/* And a MAC moved from another token. */
		snprintf(bad, sizeof(bad), "%.*s%s", (int)(dot1 - tok), tok,
		    dot2);
		assert_int_equal(pw_track_unsub_verify(&sa, bad, strlen(bad),
		    &u), PW_TRACK_FORGED);
	}
	/* Truncated anywhere. */
	for (pos = 0; pos < len; pos++) {
		r = pw_track_unsub_verify(&sa, tok, pos, &u);
		if (r == PW_TRACK_OK || pw_track_result_forged(r))
			fail_msg("truncated to %zu: %s", pos,
			    pw_track_result_text(r));
	}
	/* Wrong secret. */
	assert_int_equal(pw_track_unsub_verify(&sb, tok, len, &u),
	    PW_TRACK_FORGED);
	/* Version, characters, structure. */
	memcpy(bad, tok, len + 1);
	bad[0] = '2';
	assert_int_equal(pw_track_unsub_verify(&sa, bad, len, &u),
	    PW_TRACK_BAD_VERSION);
	bad[0] = '1';
	bad[5] = '=';
	assert_int_equal(pw_track_unsub_verify(&sa, bad, len, &u),
	    PW_TRACK_BAD_CHAR);
	memcpy(bad, tok, len + 1);
	bad[5] = '.';
	assert_int_equal(pw_track_unsub_verify(&sa, bad, len, &u),
	    PW_TRACK_BAD_FORMAT);
	memcpy(bad, tok, len + 1);
	bad[len] = 'A';
	bad[len + 1] = '\0';
	assert_int_equal(pw_track_unsub_verify(&sa, bad, len + 1, &u),
	    PW_TRACK_BAD_FORMAT);
}

static void
test_token_oversized(void **state)
{
	char *big = malloc(100000);
	struct pw_track_unsub u;

	assert_non_null(big);
	memset(big, 'A', 100000);
	big[0] = '1';
	big[1000] = '.';
	assert_int_equal(pw_track_unsub_verify(&sa, big, 100000, &u),
	    PW_TRACK_BAD_LENGTH);
	assert_int_equal(pw_track_unsub_verify(&sa, big,
	    PW_TRACK_TOKEN_MAX + 1, &u), PW_TRACK_BAD_LENGTH);
	/* Within the bound but a payload too long for any tenant. */
	big[PW_TRACK_TOKEN_MAX - 23] = '.';
	assert_int_equal(pw_track_unsub_verify(&sa, big, PW_TRACK_TOKEN_MAX,
	    &u), PW_TRACK_BAD_FORMAT);
	assert_int_equal(pw_track_unsub_verify(&sa, "", 0, &u),
	    PW_TRACK_BAD_LENGTH);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_round_trip),
		cmocka_unit_test(test_id_order_by_time),
		cmocka_unit_test(test_id_unique),
		cmocka_unit_test(test_id_charset),
		cmocka_unit_test(test_id_bit_flips),
		cmocka_unit_test(test_id_each_char),
		cmocka_unit_test(test_id_malformed),
		cmocka_unit_test(test_id_wrong_tenant_and_secret),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_token_round_trip),
		cmocka_unit_test(test_token_bad_input),
		cmocka_unit_test(test_token_tampered),
		cmocka_unit_test(test_token_oversized),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
