/*
 * auth_secret.h -- API key secrets: the token a client logs in with, and
 * the keyed hash Redis holds instead of it (docs/redis-schema.md "API key
 * secrets").  Shared by `postwarden key` (makes and stores secrets) and
 * postwarden-policyd's SASL service (checks them), so that the two can
 * never disagree on a format.
 *
 * Token: "pw1." <keyid> "." <sid> "." <secret> <check>
 *   keyid   the API key id (cli_parse's alphabet: A-Z a-z 0-9 . _ @ + -;
 *           it may itself hold dots, so a token is parsed from the right)
 *   sid     the secret's id: 8 lower-case hex digits
 *   secret  43 base64url characters: 32 bytes from RAND_bytes
 *   check   6 base64url characters: the first 36 bits of SHA-256 of
 *           everything before them; a token whose check fails is a typo
 *           (PW_AUTH_TOKEN_TYPO), told apart from a wrong secret
 *
 * Hash: "v1:" <pepper id> ":" <64 hex digits>, HMAC-SHA256 under the
 * pepper of "postwarden api secret v1" NUL keyid NUL sid NUL secret.  The
 * secrets are random, so a fast keyed hash is enough: without the pepper
 * (auth_pepper_file, on the nodes only) a Redis dump lets no one log in,
 * and a slow password hash would cap logins at a few per second.
 *
 * Pepper file (setting auth_pepper_file): 64 hexadecimal digits, as
 * dkim_kek_file (lib/seal.h); read with lib/secret_file.c, mode and
 * owner checked.  Its id is the first 8 bytes, in hex, of
 * HMAC-SHA256(pepper, "postwarden pepper id").
 *
 * Threads: a loaded pepper is only read.  Pepper bytes and secrets are
 * wiped with OPENSSL_cleanse; error texts never hold them.
 */
#ifndef PW_AUTH_SECRET_H
#define PW_AUTH_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define PW_AUTH_PEPPER_LEN	32
#define PW_AUTH_PEPPER_ID_LEN	16	/* hex digits */
#define PW_AUTH_SID_LEN		8	/* hex digits */
#define PW_AUTH_SECRET_LEN	43	/* base64url characters */
#define PW_AUTH_CHECK_LEN	6	/* base64url characters */
#define PW_AUTH_KEYID_MAX	128	/* PW_IDENTITY_KEY_MAX */
/* "pw1." keyid "." sid "." secret check, NUL included. */
#define PW_AUTH_TOKEN_MAX	(4 + PW_AUTH_KEYID_MAX + 1 + \
	    PW_AUTH_SID_LEN + 1 + PW_AUTH_SECRET_LEN + PW_AUTH_CHECK_LEN + 1)
/* "v1:" pepper id ":" hex, NUL included. */
#define PW_AUTH_HASH_MAX	(3 + PW_AUTH_PEPPER_ID_LEN + 1 + 64 + 1)

struct pw_auth_pepper {
	unsigned char	bytes[PW_AUTH_PEPPER_LEN];
	char		id[PW_AUTH_PEPPER_ID_LEN + 1];
};

/* A token taken apart, each part NUL-terminated. */
struct pw_auth_token {
	char	keyid[PW_AUTH_KEYID_MAX + 1];
	char	sid[PW_AUTH_SID_LEN + 1];
	char	secret[PW_AUTH_SECRET_LEN + 1];
};

enum pw_auth_token_result {
	PW_AUTH_TOKEN_OK = 0,
	PW_AUTH_TOKEN_MALFORMED,	/* not a token at all */
	PW_AUTH_TOKEN_TYPO,		/* a token whose check fails */
};

/*
 * Load the pepper from path (mode and owner checked when mode_check):
 * 0, or -1 with why in err (never the file's bytes).
 */
int	pw_auth_pepper_load(struct pw_auth_pepper *p, const char *path,
	    bool mode_check, char *err, size_t errsize);
void	pw_auth_pepper_wipe(struct pw_auth_pepper *p);

/*
 * A new secret for keyid: a fresh sid and secret from RAND_bytes, the
 * token into token (PW_AUTH_TOKEN_MAX) and its hash into hash
 * (PW_AUTH_HASH_MAX).  0, or -1 (bad key id, RNG failure).
 */
int	pw_auth_secret_new(const struct pw_auth_pepper *p, const char *keyid,
	    char *token, char *sid, char *hash);

/* Take a token of len bytes apart (no NUL needed). */
enum pw_auth_token_result pw_auth_token_parse(const char *s, size_t len,
	    struct pw_auth_token *t);

/* The stored hash of a parsed token into hash (PW_AUTH_HASH_MAX). */
void	pw_auth_secret_hash(const struct pw_auth_pepper *p,
	    const struct pw_auth_token *t, char *hash);

/* Wipe a parsed token's secret. */
void	pw_auth_token_wipe(struct pw_auth_token *t);

#endif
