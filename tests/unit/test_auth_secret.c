/*
 * test_auth_secret.c -- unit tests for lib/auth_secret.c: known answers
 * computed by python3's hmac, hashlib and base64 (the pepper id, a
 * token's check, the stored hash), a new secret parsed back and hashed
 * to what it was stored as, a key id holding dots, every one-character
 * typo of a token told as TYPO (or MALFORMED when it leaves the
 * alphabet), malformed tokens, and the pepper file (mode, length).
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

#include "auth_secret.h"

/* Pepper: bytes 0..31; its id, HMAC-SHA256(pepper, "postwarden pepper
   id") cut to 8 bytes, as python3's hmac computes it. */
#define PEPPER_HEX \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define PEPPER_ID	"d71a46e7e67c471a"
/* The secret: base64url of bytes 0x20..0x3f; check and hash by python3:
 *   body = "pw1.acme.k1.0011aabb." + secret
 *   check = urlsafe_b64encode(sha256(body).digest())[:6]
 *   hmac.new(pepper, b"postwarden api secret v1\0acme.k1\0"
 *       b"0011aabb\0" + secret, sha256).hexdigest() */
#define SECRET	"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"
#define TOKEN_A	"pw1.acme.k1.0011aabb." SECRET "DolqXO"
#define HASH_A	"v1:" PEPPER_ID ":" \
	"ba608a5451755fb4224b16779e80f02c289f9531eeffad3bace2991eb4fb2674"
#define TOKEN_B	"pw1.k.0011aabb." SECRET "r3hinD"
#define HASH_B	"v1:" PEPPER_ID ":" \
	"6628daedcf1a1b2e2503bf1c8b07fc61a845ab4cf7df69145542d654ba39a683"

static struct pw_auth_pepper pepper;
static char tmpdir[] = "/tmp/pw-auth-test.XXXXXX";

/* Write text to tmpdir/name with mode; the path (static). */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static int
setup(void **state)
{
	char err[512];

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if (pw_auth_pepper_load(&pepper, write_file("pepper", PEPPER_HEX "\n",
	    0600), true, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	pw_auth_pepper_wipe(&pepper);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static enum pw_auth_token_result
parse(const char *s, struct pw_auth_token *t)
{
	return pw_auth_token_parse(s, strlen(s), t);
}

/* The python3 vectors: pepper id, token taken apart, stored hash. */
static void
test_known_answer(void **state)
{
	struct pw_auth_token t;
	char hash[PW_AUTH_HASH_MAX];

	(void)state;
	assert_string_equal(pepper.id, PEPPER_ID);
	assert_int_equal(parse(TOKEN_A, &t), PW_AUTH_TOKEN_OK);
	assert_string_equal(t.keyid, "acme.k1");
	assert_string_equal(t.sid, "0011aabb");
	assert_string_equal(t.secret, SECRET);
	pw_auth_secret_hash(&pepper, &t, hash);
	assert_string_equal(hash, HASH_A);
	assert_int_equal(strlen(hash), PW_AUTH_HASH_MAX - 1);
	pw_auth_token_wipe(&t);
	assert_string_equal(t.secret, "");
	assert_int_equal(parse(TOKEN_B, &t), PW_AUTH_TOKEN_OK);
	assert_string_equal(t.keyid, "k");
	pw_auth_secret_hash(&pepper, &t, hash);
	assert_string_equal(hash, HASH_B);
}

/* New secrets: parsed back, hashed to what was stored, all different. */
static void
test_new(void **state)
{
	char token[PW_AUTH_TOKEN_MAX], token2[PW_AUTH_TOKEN_MAX];
	char sid[PW_AUTH_SID_LEN + 1], hash[PW_AUTH_HASH_MAX];
	char hash2[PW_AUTH_HASH_MAX], key[PW_AUTH_KEYID_MAX + 1];
	struct pw_auth_token t;

	(void)state;
	assert_int_equal(pw_auth_secret_new(&pepper, "a.b.c@x+y_z-1", token,
	    sid, hash), 0);
	assert_int_equal(strncmp(token, "pw1.a.b.c@x+y_z-1.", 18), 0);
	assert_int_equal(strlen(token), 18 + 8 + 1 + 43 + 6);
	assert_int_equal(strlen(sid), PW_AUTH_SID_LEN);
	assert_int_equal(parse(token, &t), PW_AUTH_TOKEN_OK);
	assert_string_equal(t.keyid, "a.b.c@x+y_z-1");
	assert_string_equal(t.sid, sid);
	pw_auth_secret_hash(&pepper, &t, hash2);
	assert_string_equal(hash, hash2);
	assert_int_equal(pw_auth_secret_new(&pepper, "a.b.c@x+y_z-1", token2,
	    sid, hash2), 0);
	assert_string_not_equal(token, token2);
	assert_string_not_equal(hash, hash2);
	/* The longest key id fits the buffers. */
	memset(key, 'k', PW_AUTH_KEYID_MAX);
	key[PW_AUTH_KEYID_MAX] = '\0';
	assert_int_equal(pw_auth_secret_new(&pepper, key, token, sid, hash),
	    0);
	assert_int_equal(strlen(token), PW_AUTH_TOKEN_MAX - 1);
	assert_int_equal(parse(token, &t), PW_AUTH_TOKEN_OK);
	assert_string_equal(t.keyid, key);
	/* Not key ids. */
	assert_int_equal(pw_auth_secret_new(&pepper, "", token, sid, hash), -1);
	assert_int_equal(pw_auth_secret_new(&pepper, "a b", token, sid, hash),
	    -1);
	{
		char big[PW_AUTH_KEYID_MAX + 2];

		memset(big, 'k', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(pw_auth_secret_new(&pepper, big, token, sid,
		    hash), -1);
	}
}

/*
 * Every character of TOKEN_A's key id, sid, secret and check replaced by
 * another of its part's alphabet: TYPO (never OK); a character outside
 * the alphabet: MALFORMED.
 */
static void
test_typo(void **state)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789-_";
	char tok[sizeof(TOKEN_A)];
	struct pw_auth_token t;
	size_t i, start = strlen("pw1.acme.k1.");
	const char *p;

	(void)state;
	for (i = 4; i < strlen(TOKEN_A); i++) {
		if (TOKEN_A[i] == '.')
			continue;
		memcpy(tok, TOKEN_A, sizeof(tok));
		if (i < start - 1)	/* key id: a letter or digit */
			tok[i] = tok[i] == 'a' ? 'b' : 'a';
		else if (i < start + PW_AUTH_SID_LEN)	/* sid: hex */
			tok[i] = tok[i] == '0' ? '1' : '0';
		else {
			p = strchr(b64, tok[i]);
			assert_non_null(p);
			tok[i] = p[1] != '\0' ? p[1] : b64[0];
		}
		assert_int_equal(parse(tok, &t), PW_AUTH_TOKEN_TYPO);
		assert_string_equal(t.secret, "");
		tok[i] = '!';
		assert_int_equal(parse(tok, &t), PW_AUTH_TOKEN_MALFORMED);
	}
	/* Two characters swapped. */
	memcpy(tok, TOKEN_A, sizeof(tok));
	tok[25] = TOKEN_A[26];
	tok[26] = TOKEN_A[25];
	assert_int_equal(parse(tok, &t), PW_AUTH_TOKEN_TYPO);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"pw1.",
		"pw1..0011aabb." SECRET "DolqXO",		/* no key id */
		"pw2.acme.k1.0011aabb." SECRET "DolqXO",	/* version */
		"PW1.acme.k1.0011aabb." SECRET "DolqXO",
		"pw1.acme.k1.0011AABB." SECRET "DolqXO",	/* upper hex */
		"pw1.acme.k1.0011aab." SECRET "DolqXO",		/* short sid */
		"pw1.acme.k1.0011aabbc" SECRET "DolqXO",
		"pw1.acme.k1.0011aabb." SECRET "DolqX",		/* short */
		"pw1.acme.k1.0011aabb." SECRET "DolqXOO",	/* long */
		"pw1.acme.k1-0011aabb." SECRET "DolqXO",
		"pw1.acme.k1.0011aabb-" SECRET "DolqXO",
		"pw1.acme k1.0011aabb." SECRET "DolqXO",	/* key id */
		"pw1.acme.k1.0011aabb." SECRET "Dolq=O",
		"pw1.acme.k1.0011aabb." SECRET "DolqXO\n",
		" pw1.acme.k1.0011aabb." SECRET "DolqXO",
		"acme.k1",
		"a secret that is not a token at all, of some length 0123456",
	};
	struct pw_auth_token t;
	char big[PW_AUTH_TOKEN_MAX + 8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &t), PW_AUTH_TOKEN_MALFORMED);
		assert_string_equal(t.keyid, "");
	}
	/* A NUL inside. */
	assert_int_equal(pw_auth_token_parse(TOKEN_A, sizeof(TOKEN_A), &t),
	    PW_AUTH_TOKEN_MALFORMED);
	/* A key id one longer than allowed. */
	memset(big, 'k', sizeof(big));
	memcpy(big, "pw1.", 4);
	snprintf(big + 4 + PW_AUTH_KEYID_MAX + 1, sizeof(big) -
	    (4 + PW_AUTH_KEYID_MAX + 1), ".0011aabb.%sAAAAAA", SECRET);
	assert_int_equal(parse(big, &t), PW_AUTH_TOKEN_MALFORMED);
	/* Only the first len bytes count. */
	assert_int_equal(pw_auth_token_parse(TOKEN_A "xyz", strlen(TOKEN_A),
	    &t), PW_AUTH_TOKEN_OK);
}

static void
test_pepper_file(void **state)
{
	struct pw_auth_pepper p;
	const char *path;
	char err[512];

	(void)state;
	path = write_file("open", PEPPER_HEX "\n", 0640);
	assert_int_equal(pw_auth_pepper_load(&p, path, true, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "group or others"));
	assert_int_equal(pw_auth_pepper_load(&p, path, false, err,
	    sizeof(err)), 0);
	assert_string_equal(p.id, PEPPER_ID);
	path = write_file("short", "0011\n", 0600);
	assert_int_equal(pw_auth_pepper_load(&p, path, true, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "64 hexadecimal digits"));
	assert_null(strstr(err, "0011"));
	assert_string_equal(p.id, "");
	path = write_file("nothex", "0g0102030405060708090a0b0c0d0e0f10111213"
	    "1415161718191a1b1c1d1e1f\n", 0600);
	assert_int_equal(pw_auth_pepper_load(&p, path, true, err,
	    sizeof(err)), -1);
	assert_int_equal(pw_auth_pepper_load(&p, "", true, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "auth_pepper_file is not set"));
	assert_int_equal(pw_auth_pepper_load(&p, "/nonexistent/pepper", true,
	    err, sizeof(err)), -1);
	pw_auth_pepper_wipe(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_typo),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_pepper_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
