/*
 * track.h -- tracking ids and RFC 8058 unsubscribe tokens, both
 * authenticated with HMAC-SHA256 and the secret of tracking_secret_file.
 *
 * Tracking id: 26 bytes, written as 42 characters of lower-case Crockford
 * base32 (0-9 a-z without i l o u), which is safe in a URL and in an
 * address local part:
 *
 *	 0..5	Unix time in milliseconds, 48 bits, big-endian
 *	 6..9	tenant tag: HMAC(secret, "postwarden-tag\0" tenant)[0..3]
 *	10..17	random (RAND_bytes)
 *	18..25	MAC: HMAC(secret, "postwarden-id\0" bytes 0..17 tenant)[0..7]
 *
 * The alphabet sorts in ASCII order and the time comes first, so ids
 * sort by time; 64 random bits make ids unique across a fleet without
 * coordination.  The tag lets a verifier that does not know the tenant
 * try only the tenants whose tag matches.  Decoding accepts upper case
 * but not i, l, o or u, and refuses non-zero padding bits, so an id has
 * one spelling per case.
 *
 * Unsubscribe token: "1" base64url(tenant "\n" recipient) "."
 * base64url(HMAC(secret, "postwarden-unsub\0" payload)[0..15]), without
 * padding: letters, digits, "-", "_" and one ".", safe in a URL and in a
 * Subject.  The recipient is lower-cased printable ASCII with an "@".
 *
 * Thread-safety: a loaded secret is read only; every function may run on
 * any thread.  Security: the secret's bytes are wiped when freed and
 * never appear in a message; MACs are compared in constant time; every
 * decoder is bounded and takes any bytes (tests/fuzz/fuzz_track.c).
 */
#ifndef PW_TRACK_H
#define PW_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "identity.h"

#define PW_TRACK_SECRET_MIN	32	/* bytes */
#define PW_TRACK_SECRET_MAX	4096	/* largest secret file */
#define PW_TRACK_ERR_MAX	512

#define PW_TRACK_ID_RAW		26	/* bytes */
#define PW_TRACK_ID_LEN		42	/* characters */
#define PW_TRACK_TIME_MAX	((UINT64_C(1) << 48) - 1)	/* ms */

#define PW_TRACK_RCPT_MAX	254
/* "1" + base64url of 64 + 1 + 254 bytes + "." + base64url of 16 bytes. */
#define PW_TRACK_TOKEN_MAX	450

struct pw_track_secret {
	unsigned char	*key;	/* wiped and freed by pw_track_secret_free */
	size_t		 len;
	EVP_MAC		*mac;	/* HMAC, fetched once */
};

/* What a decoder or verifier found. */
enum pw_track_result {
	PW_TRACK_OK = 0,
	PW_TRACK_BAD_LENGTH,	/* malformed: too short or too long */
	PW_TRACK_BAD_CHAR,	/* malformed: outside the alphabet */
	PW_TRACK_BAD_FORMAT,	/* malformed: padding, parts, payload */
	PW_TRACK_BAD_VERSION,	/* malformed: an unknown token version */
	PW_TRACK_WRONG_TENANT,	/* forged, or an id of another tenant */
	PW_TRACK_FORGED,	/* the MAC does not match */
};

/* A decoded (not yet verified) tracking id. */
struct pw_track_id {
	uint64_t	 time_ms;
	unsigned char	 raw[PW_TRACK_ID_RAW];
};

/* A verified unsubscribe token. */
struct pw_track_unsub {
	char	tenant[PW_IDENTITY_TENANT_MAX + 1];
	char	recipient[PW_TRACK_RCPT_MAX + 1];
};

/*
 * Read the secret from path: at most PW_TRACK_SECRET_MAX bytes, trailing
 * white space dropped, at least PW_TRACK_SECRET_MIN left.  With
 * mode_check a file group or others may access is refused.  0 and *s
 * filled; -1 with "path: why" in err (never the secret's bytes).
 */
int	pw_track_secret_load(const char *path, bool mode_check,
	    struct pw_track_secret *s, char *err, size_t errsize);
/* The same from bytes in memory; 0, or -1 with a static *why_r. */
int	pw_track_secret_set(struct pw_track_secret *s, const void *key,
	    size_t len, const char **why_r);
/* Wipe and free; s is left empty (safe to call twice). */
void	pw_track_secret_free(struct pw_track_secret *s);

/*
 * Make an id for tenant (a valid tenant name) at now_ms (at most
 * PW_TRACK_TIME_MAX).  0 and out filled (NUL-terminated), or -1 when an
 * argument is bad or OpenSSL fails.
 */
int	pw_track_id_make(const struct pw_track_secret *s, const char *tenant,
	    uint64_t now_ms, char out[PW_TRACK_ID_LEN + 1]);
/* Decode without the secret: PW_TRACK_OK and *d, or why it is malformed. */
enum pw_track_result pw_track_id_decode(const char *id, size_t len,
	    struct pw_track_id *d);
/* Whether d's tag is tenant's: cheap, picks the candidates to check. */
bool	pw_track_id_tag_matches(const struct pw_track_secret *s,
	    const struct pw_track_id *d, const char *tenant);
/* Check a decoded id's tag and MAC against tenant. */
enum pw_track_result pw_track_id_check(const struct pw_track_secret *s,
	    const struct pw_track_id *d, const char *tenant);
/*
 * Decode and check: PW_TRACK_OK and *time_ms_r (may be NULL), or why
 * not.
 */
enum pw_track_result pw_track_id_verify(const struct pw_track_secret *s,
	    const char *id, size_t len, const char *tenant,
	    uint64_t *time_ms_r);

/*
 * Make the unsubscribe token of tenant and recipient (lower-cased here).
 * 0 and out filled (NUL-terminated), or -1 and a static *why_r.
 */
int	pw_track_unsub_make(const struct pw_track_secret *s,
	    const char *tenant, const char *recipient,
	    char out[PW_TRACK_TOKEN_MAX + 1], const char **why_r);
/* Verify a token: PW_TRACK_OK and *u filled, or why not. */
enum pw_track_result pw_track_unsub_verify(const struct pw_track_secret *s,
	    const char *token, size_t len, struct pw_track_unsub *u);

/* A result in words ("MAC does not match"); static. */
const char *pw_track_result_text(enum pw_track_result r);
/* Whether r says forged (true) rather than malformed; false for OK. */
bool	pw_track_result_forged(enum pw_track_result r);

#endif
