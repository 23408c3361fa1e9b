/*
 * test_track.c -- unit tests for lib/track.c and lib/track_keyring.c:
 * tracking ids (round trip, order by time, uniqueness, alphabet and
 * length, every forgery a bit flip or a changed character makes,
 * truncation, wrong tenant, wrong secret), the keyring file (one-secret
 * files as before: short, missing, too open, too large; the keyring
 * format and its errors; rotation and end dates), and unsubscribe
 * tokens (fixed vectors of both versions, round trip, nothing readable
 * in any decoding, tampering, truncation, wrong secret, oversized input,
 * old tokens and ids across a rotation until the end date).
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

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <strings.h>

#include "track.h"

#define SECRET_A	"0123456789abcdef0123456789abcdef-secret-a"
#define SECRET_B	"0123456789abcdef0123456789abcdef-secret-b"
#define NOW_MS		UINT64_C(1795775462123)	/* 2026-11-27T10:31:02.123Z */
#define ALPHABET	"0123456789abcdefghjkmnpqrstvwxyz"
#define UNIQUE_N	100000

static struct pw_track_keyring sa, sb;
static char tmpdir[] = "/tmp/pw-track-test.XXXXXX";

static int
setup(void **state)
{
	const char *why;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if (pw_track_keyring_init(&sa, &why) < 0 ||
	    pw_track_keyring_add(&sa, 0, 0, SECRET_A, strlen(SECRET_A),
	    &why) < 0 || pw_track_keyring_init(&sb, &why) < 0 ||
	    pw_track_keyring_add(&sb, 0, 0, SECRET_B, strlen(SECRET_B),
	    &why) < 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	pw_track_keyring_free(&sa);
	pw_track_keyring_free(&sb);
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

/* --- the keyring file ----------------------------------------------------- */

#define V2_TOKEN \
	"2AP_4nuUPOdnQrL3UZL58FO0r2UqTGCWBLiAB07JKLmLsQJv5-0Drd8kwPg"
#define FUZZ_SECRET	"fuzz-secret-fuzz-secret-fuzz-secret-0123"
/* Made by the code before keyrings, with FUZZ_SECRET (tests/fuzz/corpus). */
#define V1_TOKEN	"1YWNtZQp1c2VyQGV4YW1wbGUubmV0.TuXWCyUa9Q0cukSd7GrGtw"
#define V1_ID		"06h1s3qtxehtj2fec1sy5cjcs0y7n6x6wy3kzj81yr"
#define HEX_A \
	"3f1a0c9d2b7e4f6a8c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"
#define HEX_B \
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define T0		((time_t)1796000000)	/* 2026-11-30T00:53:20Z */
#define DAY		((time_t)86400)

static void
write_secret(const char *path, const char *text, size_t len, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

/* A keyring of one secret given as text (a one-secret file). */
static void
ring_of(struct pw_track_keyring *kr, const char *text)
{
	char err[PW_TRACK_ERR_MAX];

	if (pw_track_keyring_parse(text, strlen(text), "mem", kr, err,
	    sizeof(err)) < 0)
		fail_msg("%s", err);
}

/* A one-secret file, as tracking_secret_file held before keyrings. */
static void
test_secret_file(void **state)
{
	struct pw_track_keyring s, m;
	char path[300], err[PW_TRACK_ERR_MAX], *big;
	char id[PW_TRACK_ID_LEN + 1];
	size_t bigsize = PW_TRACK_SECRET_MAX + 2;

	snprintf(path, sizeof(path), "%s/secret", tmpdir);
	/* Missing. */
	assert_int_equal(pw_track_keyring_load(path, true, &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_non_null(strstr(err, path));
	assert_int_equal(pw_track_keyring_load("", true, &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "tracking_secret_file"));
	/* Short: 31 bytes once the trailing white space is gone. */
	write_secret(path, "0123456789012345678901234567890 \n\t\n", 35,
	    0600);
	assert_int_equal(pw_track_keyring_load(path, true, &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "of 31 bytes; at least 32"));
	assert_non_null(strstr(err, "postwarden secret rotate"));
	assert_null(strstr(err, "0123456789"));
	/* Group or world readable. */
	write_secret(path, HEX_A, strlen(HEX_A), 0644);
	assert_int_equal(pw_track_keyring_load(path, true, &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "accessible by group or others "
	    "(mode 0644)"));
	assert_non_null(strstr(err, "dkim_key_mode_check"));
	assert_non_null(strstr(err, path));
	assert_null(strstr(err, "3f1a0c9d"));
	write_secret(path, HEX_A, strlen(HEX_A), 0640);
	assert_int_equal(pw_track_keyring_load(path, true, &s, err,
	    sizeof(err)), -1);
	/* Accepted with the check off, and the same as from memory. */
	write_secret(path, HEX_A, strlen(HEX_A), 0644);
	assert_int_equal(pw_track_keyring_load(path, false, &s, err,
	    sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.legacy);
	assert_int_equal(s.s[0].id, 0);
	assert_true(s.s[0].current);
	assert_int_equal(s.s[0].len, 64);	/* the text's bytes */
	ring_of(&m, HEX_A);
	assert_int_equal(pw_track_id_make(&s, "acme", NOW_MS, id), 0);
	assert_int_equal(pw_track_id_verify(&m, id, strlen(id), "acme", NULL),
	    PW_TRACK_OK);
	pw_track_keyring_free(&s);
	assert_int_equal(s.n, 0);
	pw_track_keyring_free(&s);	/* twice is harmless */
	pw_track_keyring_free(&m);
	/* Trailing newline stripped: the same secret as without it. */
	write_secret(path, HEX_A "\r\n", 66, 0600);
	assert_int_equal(pw_track_keyring_load(path, true, &s, err,
	    sizeof(err)), 0);
	assert_int_equal(s.s[0].len, 64);
	assert_memory_equal(s.s[0].key, HEX_A, 64);
	pw_track_keyring_free(&s);
	/* Too large for one secret; too large for a file. */
	big = malloc(PW_TRACK_FILE_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', PW_TRACK_FILE_MAX + 2);
	write_secret(path, big, bigsize, 0600);
	assert_int_equal(pw_track_keyring_load(path, true, &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "secret longer than 4096 bytes"));
	write_secret(path, big, PW_TRACK_FILE_MAX + 1, 0600);
	assert_int_equal(pw_track_keyring_load(path, true, &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than"));
	free(big);
	/* Not a regular file. */
	assert_int_equal(pw_track_keyring_load(tmpdir, false, &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	unlink(path);
}

/* The keyring format: what it accepts, and every error with its line. */
static void
test_keyring_file(void **state)
{
	static const struct {
		const char	*name, *text, *err;
	} bad[] = {
		{ "no current", PW_TRACK_KEYRING_MAGIC "\n1 "
		    "2026-12-01T00:00:00Z " HEX_A "\n", "mem: no current" },
		{ "two current", PW_TRACK_KEYRING_MAGIC "\n1 current " HEX_A
		    "\n2 current " HEX_B "\n", "mem:3: two current" },
		{ "same id", PW_TRACK_KEYRING_MAGIC "\n1 current " HEX_A
		    "\n1 2026-12-01T00:00:00Z " HEX_B "\n",
		    "mem:3: two secrets with the same id" },
		{ "id 256", PW_TRACK_KEYRING_MAGIC "\n256 current " HEX_A,
		    "mem:2: a secret's id is 0 to 255" },
		{ "id 01", PW_TRACK_KEYRING_MAGIC "\n01 current " HEX_A,
		    "mem:2: the id is a number" },
		{ "id x", PW_TRACK_KEYRING_MAGIC "\nx current " HEX_A,
		    "mem:2: the id is a number" },
		{ "30 February", PW_TRACK_KEYRING_MAGIC "\n\n1 current " HEX_A
		    "\n2 2026-02-30T00:00:00Z " HEX_B, "mem:4: the end date" },
		{ "date only", PW_TRACK_KEYRING_MAGIC "\n1 2026-02-01 " HEX_A,
		    "mem:2: the end date" },
		{ "odd hex", PW_TRACK_KEYRING_MAGIC "\n1 current " HEX_A "0",
		    "mem:2: the secret is 64 to 8192 hex digits" },
		{ "short", PW_TRACK_KEYRING_MAGIC "\n1 current 0011",
		    "mem:2: the secret is 64 to 8192 hex digits" },
		{ "not hex", PW_TRACK_KEYRING_MAGIC "\n1 current "
		    "3f1a0c9d2b7e4f6a8c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e"
		    "0f1a2g", "mem:2: the secret is hex digits" },
		{ "four fields", PW_TRACK_KEYRING_MAGIC "\n1 current " HEX_A
		    " x", "mem:2: more than three fields" },
		{ "two fields", PW_TRACK_KEYRING_MAGIC "\n1 current",
		    "mem:2: expected three fields" },
		{ "empty", PW_TRACK_KEYRING_MAGIC "\n", "mem: no current" },
	};
	static const char good[] = PW_TRACK_KEYRING_MAGIC "\r\n"
	    "# a comment\n"
	    "\n"
	    "  7\tcurrent  " HEX_A "  \r\n"
	    "3 2026-12-01T00:00:00Z " HEX_B "\n"
	    "  # another";
	struct pw_track_keyring kr;
	char err[PW_TRACK_ERR_MAX], until[PW_TRACK_UNTIL_LEN + 1];
	const struct pw_track_secret *s;
	size_t i;

	assert_int_equal(pw_track_keyring_parse(good, strlen(good), "mem",
	    &kr, err, sizeof(err)), 0);
	assert_int_equal(kr.n, 2);
	assert_false(kr.legacy);
	assert_non_null(s = pw_track_keyring_current(&kr));
	assert_int_equal(s->id, 7);
	assert_int_equal(s->len, 32);
	assert_int_equal(s->key[0], 0x3f);
	assert_non_null(s = pw_track_keyring_find(&kr, 3));
	assert_false(s->current);
	pw_track_keyring_time(s->until, until);
	assert_string_equal(until, "2026-12-01T00:00:00Z");
	kr.now = s->until - 1;
	assert_true(pw_track_keyring_live(&kr, s));
	kr.now = s->until;
	assert_false(pw_track_keyring_live(&kr, s));
	assert_null(pw_track_keyring_find(&kr, 4));
	pw_track_keyring_free(&kr);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (pw_track_keyring_parse(bad[i].text, strlen(bad[i].text),
		    "mem", &kr, err, sizeof(err)) == 0)
			fail_msg("%s: accepted", bad[i].name);
		if (strstr(err, bad[i].err) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].name, err,
			    bad[i].err);
		if (strstr(err, "3f1a0c9d") != NULL ||
		    strstr(err, "00112233") != NULL)
			fail_msg("%s: a secret in \"%s\"", bad[i].name, err);
		assert_int_equal(kr.n, 0);
	}
}

/* Rotation: ids, end dates, expired secrets dropped, written and read. */
static void
test_keyring_rotate(void **state)
{
	struct pw_track_keyring kr, back;
	char err[PW_TRACK_ERR_MAX], *text;
	const struct pw_track_secret *s, *t;
	size_t len, i, size = PW_TRACK_FILE_MAX + 1;
	unsigned id;
	const char *why;

	text = malloc(size);
	assert_non_null(text);
	ring_of(&kr, HEX_A);
	assert_int_equal(pw_track_keyring_rotate(&kr, T0, -1, &id, &why), -1);
	assert_int_equal(kr.n, 1);
	assert_int_equal(pw_track_keyring_rotate(&kr, T0, 30 * DAY, &id,
	    &why), 0);
	assert_int_equal(id, 1);
	assert_false(kr.legacy);
	assert_int_equal(kr.n, 2);
	assert_int_equal(pw_track_keyring_current(&kr)->id, 1);
	assert_int_equal(pw_track_keyring_current(&kr)->len, 32);
	assert_int_equal(pw_track_keyring_find(&kr, 0)->until, T0 + 30 * DAY);
	/* Written and read back: the same keyring. */
	assert_int_equal(pw_track_keyring_format(&kr, text, size, &len), 0);
	assert_int_equal(strlen(text), len);
	assert_memory_equal(text, PW_TRACK_KEYRING_MAGIC "\n",
	    strlen(PW_TRACK_KEYRING_MAGIC) + 1);
	assert_non_null(strstr(text, "\n0 2026-12-30T00:53:20Z "));
	assert_int_equal(pw_track_keyring_parse(text, len, "back", &back,
	    err, sizeof(err)), 0);
	assert_int_equal(back.n, kr.n);
	for (i = 0; i < kr.n; i++) {
		s = &kr.s[i];
		assert_non_null(t = pw_track_keyring_find(&back, s->id));
		assert_int_equal(t->current, s->current);
		assert_int_equal(t->until, s->until);
		assert_int_equal(t->len, s->len);
		assert_memory_equal(t->key, s->key, s->len);
		assert_memory_equal(t->siv, s->siv, sizeof(s->siv));
	}
	pw_track_keyring_free(&back);
	assert_int_equal(pw_track_keyring_format(&kr, text, 100, &len), -1);
	/* Later: secret 0 has expired and goes; 1 gets an end date. */
	assert_int_equal(pw_track_keyring_rotate(&kr, T0 + 31 * DAY, DAY, &id,
	    &why), 0);
	assert_int_equal(id, 2);
	assert_int_equal(kr.n, 2);
	assert_null(pw_track_keyring_find(&kr, 0));
	assert_int_equal(pw_track_keyring_find(&kr, 1)->until, T0 + 32 * DAY);
	/* Full: 32 secrets that all still verify. */
	for (i = 2; i < PW_TRACK_KEYRING_MAX; i++)
		assert_int_equal(pw_track_keyring_rotate(&kr, T0 + 31 * DAY,
		    DAY, &id, &why), 0);
	assert_int_equal(kr.n, PW_TRACK_KEYRING_MAX);
	assert_int_equal(pw_track_keyring_rotate(&kr, T0 + 31 * DAY, DAY, &id,
	    &why), -1);
	assert_non_null(strstr(why, "full"));
	assert_int_equal(kr.n, PW_TRACK_KEYRING_MAX);
	/* No verify period: the old secret goes at once. */
	assert_int_equal(pw_track_keyring_rotate(&kr, T0 + 31 * DAY, 0, &id,
	    &why), 0);	/* a full keyring too: the current one goes */
	assert_int_equal(kr.n, PW_TRACK_KEYRING_MAX);
	pw_track_keyring_free(&kr);
	ring_of(&kr, HEX_A);
	assert_int_equal(pw_track_keyring_rotate(&kr, T0, 0, &id, &why), 0);
	assert_int_equal(kr.n, 1);
	assert_int_equal(pw_track_keyring_current(&kr)->id, 1);
	assert_null(pw_track_keyring_find(&kr, 0));
	/* Ids wrap around and skip the ones in use. */
	pw_track_keyring_free(&kr);
	snprintf(text, size, "%s\n255 current %s\n0 2030-01-01T00:00:00Z "
	    "%s\n", PW_TRACK_KEYRING_MAGIC, HEX_A, HEX_B);
	assert_int_equal(pw_track_keyring_parse(text, strlen(text), "mem",
	    &kr, err, sizeof(err)), 0);
	assert_int_equal(pw_track_keyring_rotate(&kr, T0, DAY, &id, &why), 0);
	assert_int_equal(id, 1);
	pw_track_keyring_free(&kr);
	OPENSSL_cleanse(text, size);
	free(text);
}

/* --- unsubscribe tokens --------------------------------------------------- */

static void
make_token(const char *tenant, const char *rcpt,
    char tok[PW_TRACK_TOKEN_MAX + 1])
{
	const char *why = NULL;

	if (pw_track_unsub_make(&sa, tenant, rcpt, "news", tok, &why) < 0)
		fail_msg("make %s %s: %s", tenant, rcpt, why);
}

static bool
url_safe(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == strlen(s);
}

/* Fixed vectors: version 1 made before keyrings; version 2 of today. */
static void
test_token_vectors(void **state)
{
	static const char v2[] = V2_TOKEN;
	struct pw_track_keyring kr;
	char tok[PW_TRACK_TOKEN_MAX + 1];
	struct pw_track_unsub u;
	const char *why;

	ring_of(&kr, FUZZ_SECRET);
	assert_int_equal(pw_track_unsub_verify(&kr, V1_TOKEN,
	    strlen(V1_TOKEN), &u), PW_TRACK_OK);
	assert_string_equal(u.tenant, "acme");
	assert_string_equal(u.recipient, "user@example.net");
	assert_string_equal(u.stream, "");
	assert_int_equal(u.version, 1);
	assert_int_equal(pw_track_id_verify(&kr, V1_ID, strlen(V1_ID), "acme",
	    NULL), PW_TRACK_OK);
	/* Version 2 is deterministic: the same inputs, the same token. */
	assert_int_equal(pw_track_unsub_make(&kr, "acme", "User@Example.NET",
	    "news", tok, &why), 0);
	assert_string_equal(tok, v2);
	assert_int_equal(pw_track_unsub_verify(&kr, v2, strlen(v2), &u),
	    PW_TRACK_OK);
	assert_string_equal(u.tenant, "acme");
	assert_string_equal(u.recipient, "user@example.net");
	assert_string_equal(u.stream, "news");
	assert_int_equal(u.version, 2);
	assert_int_equal(u.key_id, 0);
	/* Another stream, tenant or recipient: another token. */
	assert_int_equal(pw_track_unsub_make(&kr, "acme", "user@example.net",
	    "", tok, &why), 0);
	assert_string_not_equal(tok, v2);
	assert_int_equal(pw_track_unsub_verify(&kr, tok, strlen(tok), &u),
	    PW_TRACK_OK);
	assert_string_equal(u.stream, "");
	assert_int_equal(pw_track_unsub_make(&kr, "acmf", "user@example.net",
	    "news", tok, &why), 0);
	assert_string_not_equal(tok, v2);
	pw_track_keyring_free(&kr);
}

static void
test_token_round_trip(void **state)
{
	char tok[PW_TRACK_TOKEN_MAX + 1], rcpt[PW_TRACK_RCPT_MAX + 1];
	char tenant[PW_IDENTITY_TENANT_MAX + 1];
	char stream[PW_TRACK_STREAM_MAX + 1];
	struct pw_track_unsub u;
	const char *why;
	size_t i;

	make_token("acme", "User.Name+Tag@Example.NET", tok);
	assert_true(tok[0] == '2');
	assert_true(url_safe(tok));
	assert_int_equal(pw_track_unsub_verify(&sa, tok, strlen(tok), &u),
	    PW_TRACK_OK);
	assert_string_equal(u.tenant, "acme");
	assert_string_equal(u.recipient, "user.name+tag@example.net");
	assert_string_equal(u.stream, "news");
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
	memset(stream, 's', PW_TRACK_STREAM_MAX);
	stream[PW_TRACK_STREAM_MAX] = '\0';
	assert_int_equal(pw_track_unsub_make(&sa, tenant, rcpt, stream, tok,
	    &why), 0);
	assert_int_equal(strlen(tok), 493);
	assert_true(strlen(tok) <= PW_TRACK_TOKEN_MAX);
	assert_int_equal(pw_track_unsub_verify(&sa, tok, strlen(tok), &u),
	    PW_TRACK_OK);
	assert_string_equal(u.tenant, tenant);
	assert_string_equal(u.stream, stream);
	/* A typical one is short enough for a header line. */
	make_token("acme", "reader1@remote.example", tok);
	assert_true(strlen(tok) < 100);
}

/* base64url-decode s from offset off (any alignment) into out; length. */
static size_t
b64_any(const char *s, size_t off, unsigned char *out)
{
	unsigned char in[PW_TRACK_TOKEN_MAX + 8];
	size_t n = 0, i;
	int got;

	for (i = off; s[i] != '\0' && s[i] != '.'; i++)
		in[n++] = s[i] == '-' ? '+' : s[i] == '_' ? '/' :
		    (unsigned char)s[i];
	n -= n % 4;
	if (n == 0 || (got = EVP_DecodeBlock(out, in, (int)n)) < 0)
		return 0;
	return (size_t)got;
}

static bool
has(const unsigned char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (strncasecmp((const char *)hay + i, needle, n) == 0)
			return true;
	return false;
}

/* Nothing in a token reads as its tenant, recipient or stream. */
static void
test_token_opaque(void **state)
{
	static const char *const rcpts[] = { "reader1@remote.example",
	    "a@b.example", "someone.with.a.long.name@mail.example.org" };
	static const char *const tenants[] = { "acme", "tenant-42" };
	static const char *const words[] = { "reader1", "remote", "example",
	    "someone", "mail", "acme", "tenant", "newsletter" };
	char tok[PW_TRACK_TOKEN_MAX + 1];
	unsigned char dec[PW_TRACK_TOKEN_MAX];
	size_t r, t, off, w, n;
	const char *why;

	for (r = 0; r < 3; r++) {
		for (t = 0; t < 2; t++) {
			assert_int_equal(pw_track_unsub_make(&sa, tenants[t],
			    rcpts[r], "newsletter", tok, &why), 0);
			for (w = 0; w < sizeof(words) / sizeof(words[0]); w++)
				if (has((unsigned char *)tok, strlen(tok),
				    words[w]))
					fail_msg("%s shows %s", tok, words[w]);
			for (off = 0; off < 4; off++) {
				n = b64_any(tok, off, dec);
				for (w = 0; w < sizeof(words) /
				    sizeof(words[0]); w++)
					if (has(dec, n, words[w]))
						fail_msg("%s decodes (from %zu)"
						    " to %s", tok, off,
						    words[w]);
			}
		}
	}
	/* The version 1 token did show them: the check can see it. */
	n = b64_any(V1_TOKEN, 1, dec);
	assert_true(has(dec, n, "acme"));
	assert_true(has(dec, n, "user@example.net"));
}

static void
test_token_bad_input(void **state)
{
	char tok[PW_TRACK_TOKEN_MAX + 1], rcpt[PW_TRACK_RCPT_MAX + 2];
	struct pw_track_keyring none;
	const char *why = NULL;

	memset(rcpt, 'a', sizeof(rcpt) - 1);
	rcpt[0] = '@';
	rcpt[PW_TRACK_RCPT_MAX + 1] = '\0';
	assert_int_equal(pw_track_unsub_make(&sa, "acme", rcpt, "", tok,
	    &why), -1);
	assert_string_equal(why, "recipient longer than 254 bytes");
	assert_int_equal(pw_track_unsub_make(&sa, "acme", "no-at", "", tok,
	    &why), -1);
	assert_int_equal(pw_track_unsub_make(&sa, "acme", "a b@x", "", tok,
	    &why), -1);
	assert_int_equal(pw_track_unsub_make(&sa, "acme", "a\n@x", "", tok,
	    &why), -1);
	assert_int_equal(pw_track_unsub_make(&sa, "acme", "", "", tok, &why),
	    -1);
	assert_int_equal(pw_track_unsub_make(&sa, "{acme}", "a@x", "", tok,
	    &why), -1);
	assert_string_equal(why, "not a tenant name");
	assert_int_equal(pw_track_unsub_make(&sa, "acme", "a@x", "News", tok,
	    &why), -1);
	assert_non_null(strstr(why, "not a stream name"));
	assert_int_equal(pw_track_unsub_make(&sa, "acme", "a@x",
	    "a\nb", tok, &why), -1);
	assert_int_equal(pw_track_unsub_make(&sa, "acme", "a@x",
	    "123456789012345678901234567890123", tok, &why), -1);
	assert_int_equal(pw_track_unsub_make(&sa, "acme", "a@x", NULL, tok,
	    &why), 0);
	/* A keyring without a current secret makes nothing. */
	assert_int_equal(pw_track_keyring_init(&none, &why), 0);
	assert_int_equal(pw_track_unsub_make(&none, "acme", "a@x", "", tok,
	    &why), -1);
	assert_string_equal(why, "no current secret");
	assert_int_equal(pw_track_id_make(&none, "acme", NOW_MS, tok), -1);
	pw_track_keyring_free(&none);
}

static void
test_token_tampered(void **state)
{
	char tok[PW_TRACK_TOKEN_MAX + 1], bad[PW_TRACK_TOKEN_MAX + 2];
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_";
	struct pw_track_keyring other;
	struct pw_track_unsub u;
	enum pw_track_result r;
	size_t pos, c, len;
	const char *why;

	make_token("acme", "user@example.net", tok);
	len = strlen(tok);
	/* Every other character at every place. */
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
	/* Truncated anywhere. */
	for (pos = 0; pos < len; pos++) {
		r = pw_track_unsub_verify(&sa, tok, pos, &u);
		if (r == PW_TRACK_OK)
			fail_msg("truncated to %zu verifies", pos);
		assert_string_equal(u.tenant, "");
	}
	/* Wrong secret, same id; and a secret of another id. */
	assert_int_equal(pw_track_unsub_verify(&sb, tok, len, &u),
	    PW_TRACK_FORGED);
	assert_int_equal(pw_track_keyring_init(&other, &why), 0);
	assert_int_equal(pw_track_keyring_add(&other, 9, 0, SECRET_A,
	    strlen(SECRET_A), &why), 0);
	assert_int_equal(pw_track_unsub_verify(&other, tok, len, &u),
	    PW_TRACK_FORGED);
	pw_track_keyring_free(&other);
	/* Version, characters. */
	memcpy(bad, tok, len + 1);
	bad[0] = '3';
	assert_int_equal(pw_track_unsub_verify(&sa, bad, len, &u),
	    PW_TRACK_BAD_VERSION);
	bad[0] = '2';
	bad[5] = '=';
	assert_int_equal(pw_track_unsub_verify(&sa, bad, len, &u),
	    PW_TRACK_BAD_CHAR);
	bad[5] = '.';
	assert_int_equal(pw_track_unsub_verify(&sa, bad, len, &u),
	    PW_TRACK_BAD_CHAR);
	memcpy(bad, tok, len + 1);
	bad[len] = 'A';
	bad[len + 1] = '\0';
	r = pw_track_unsub_verify(&sa, bad, len + 1, &u);
	assert_true(r != PW_TRACK_OK);
}

/* The version 1 vector, changed anywhere or truncated, never verifies. */
static void
test_token_v1_tampered(void **state)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_.";
	struct pw_track_keyring kr;
	char bad[PW_TRACK_TOKEN_MAX + 2];
	struct pw_track_unsub u;
	size_t pos, c, len = strlen(V1_TOKEN);

	ring_of(&kr, FUZZ_SECRET);
	for (pos = 0; pos < len; pos++) {
		for (c = 0; c < sizeof(b64) - 1; c++) {
			if (b64[c] == V1_TOKEN[pos])
				continue;
			memcpy(bad, V1_TOKEN, len + 1);
			bad[pos] = b64[c];
			if (pw_track_unsub_verify(&kr, bad, len, &u) ==
			    PW_TRACK_OK)
				fail_msg("%s verifies", bad);
			assert_string_equal(u.tenant, "");
		}
		assert_true(pw_track_unsub_verify(&kr, V1_TOKEN, pos, &u) !=
		    PW_TRACK_OK);
	}
	assert_int_equal(pw_track_unsub_verify(&sa, V1_TOKEN, len, &u),
	    PW_TRACK_FORGED);
	pw_track_keyring_free(&kr);
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
	big[0] = '2';
	big[PW_TRACK_TOKEN_MAX - 23] = 'A';
	assert_int_equal(pw_track_unsub_verify(&sa, big, PW_TRACK_TOKEN_MAX,
	    &u), PW_TRACK_BAD_FORMAT);
	assert_int_equal(pw_track_unsub_verify(&sa, big, 2, &u),
	    PW_TRACK_BAD_FORMAT);
	assert_int_equal(pw_track_unsub_verify(&sa, "", 0, &u),
	    PW_TRACK_BAD_LENGTH);
	free(big);
}

/*
 * Tokens and ids made before a rotation verify after it until the old
 * secret's end date, and not after; what the new secret makes goes on.
 */
static void
test_rotation_end_date(void **state)
{
	char tok[PW_TRACK_TOKEN_MAX + 1], tok2[PW_TRACK_TOKEN_MAX + 1];
	char id[PW_TRACK_ID_LEN + 1], id2[PW_TRACK_ID_LEN + 1];
	char text[4096], err[PW_TRACK_ERR_MAX];
	struct pw_track_keyring kr, back;
	struct pw_track_unsub u;
	struct pw_track_id d;
	const char *why;
	unsigned nid;
	size_t len;

	ring_of(&kr, FUZZ_SECRET);
	assert_int_equal(pw_track_unsub_make(&kr, "acme", "a@example.net",
	    "news", tok, &why), 0);
	assert_int_equal(pw_track_id_make(&kr, "acme", NOW_MS, id), 0);
	assert_int_equal(pw_track_keyring_rotate(&kr, T0, 30 * DAY, &nid,
	    &why), 0);
	assert_int_equal(pw_track_unsub_make(&kr, "acme", "a@example.net",
	    "news", tok2, &why), 0);
	assert_string_not_equal(tok, tok2);
	assert_int_equal(pw_track_id_make(&kr, "acme", NOW_MS, id2), 0);
	assert_int_equal(pw_track_id_decode(id2, strlen(id2), &d),
	    PW_TRACK_OK);
	assert_int_equal(d.raw[10], nid);	/* the secret's id */
	/* Through the file, as the CLI and the milter read it. */
	assert_int_equal(pw_track_keyring_format(&kr, text, sizeof(text),
	    &len), 0);
	pw_track_keyring_free(&kr);
	assert_int_equal(pw_track_keyring_parse(text, len, "k", &back, err,
	    sizeof(err)), 0);
	/* A day after the rotation: old and new verify. */
	back.now = T0 + DAY;
	assert_int_equal(pw_track_unsub_verify(&back, tok, strlen(tok), &u),
	    PW_TRACK_OK);
	assert_int_equal(u.key_id, 0);
	assert_int_equal(pw_track_unsub_verify(&back, tok2, strlen(tok2), &u),
	    PW_TRACK_OK);
	assert_int_equal(u.key_id, nid);
	assert_int_equal(pw_track_unsub_verify(&back, V1_TOKEN,
	    strlen(V1_TOKEN), &u), PW_TRACK_OK);
	assert_int_equal(pw_track_id_verify(&back, id, strlen(id), "acme",
	    NULL), PW_TRACK_OK);
	assert_int_equal(pw_track_id_verify(&back, V1_ID, strlen(V1_ID),
	    "acme", NULL), PW_TRACK_OK);
	assert_int_equal(pw_track_id_verify(&back, id2, strlen(id2), "acme",
	    NULL), PW_TRACK_OK);
	/* The last second before the end date, then the end date. */
	back.now = T0 + 30 * DAY - 1;
	assert_int_equal(pw_track_unsub_verify(&back, tok, strlen(tok), &u),
	    PW_TRACK_OK);
	back.now = T0 + 30 * DAY;
	assert_int_equal(pw_track_unsub_verify(&back, tok, strlen(tok), &u),
	    PW_TRACK_EXPIRED);
	assert_string_equal(u.tenant, "");
	assert_int_equal(pw_track_unsub_verify(&back, V1_TOKEN,
	    strlen(V1_TOKEN), &u), PW_TRACK_EXPIRED);
	assert_int_equal(pw_track_id_verify(&back, id, strlen(id), "acme",
	    NULL), PW_TRACK_EXPIRED);
	assert_int_equal(pw_track_id_verify(&back, V1_ID, strlen(V1_ID),
	    "acme", NULL), PW_TRACK_EXPIRED);
	assert_true(pw_track_result_forged(PW_TRACK_EXPIRED));
	/* The new secret's go on. */
	assert_int_equal(pw_track_unsub_verify(&back, tok2, strlen(tok2), &u),
	    PW_TRACK_OK);
	assert_int_equal(pw_track_id_verify(&back, id2, strlen(id2), "acme",
	    NULL), PW_TRACK_OK);
	pw_track_keyring_free(&back);
	OPENSSL_cleanse(text, sizeof(text));
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
		cmocka_unit_test(test_keyring_file),
		cmocka_unit_test(test_keyring_rotate),
		cmocka_unit_test(test_token_vectors),
		cmocka_unit_test(test_token_round_trip),
		cmocka_unit_test(test_token_opaque),
		cmocka_unit_test(test_token_bad_input),
		cmocka_unit_test(test_token_tampered),
		cmocka_unit_test(test_token_v1_tampered),
		cmocka_unit_test(test_token_oversized),
		cmocka_unit_test(test_rotation_end_date),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
