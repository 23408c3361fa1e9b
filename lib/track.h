/*
 * track.h -- tracking ids and RFC 8058 unsubscribe tokens, made with the
 * current secret of the tracking keyring (lib/track_keyring.h, the file
 * tracking_secret_file names) and verified with any of its secrets that
 * has not reached its end date.
 *
 * Tracking id: 26 bytes, written as 42 characters of lower-case Crockford
 * base32 (0-9 a-z without i l o u), which is safe in a URL and in an
 * address local part:
 *
 *	 0..5	Unix time in milliseconds, 48 bits, big-endian
 *	 6..9	tenant tag: HMAC(secret, "postwarden-tag\0" tenant)[0..3]
 *	10	the id of the keyring secret that made it
 *	11..17	random (RAND_bytes)
 *	18..25	MAC: HMAC(secret, "postwarden-id\0" bytes 0..17 tenant)[0..7]
 *
 * The alphabet sorts in ASCII order and the time comes first, so ids
 * sort by time; 56 random bits per tenant and millisecond make ids
 * unique across a fleet without coordination.  The tag lets a verifier
 * that does not know the tenant try only the tenants whose tag matches.
 * Byte 10 names the secret to try first; ids made before keyrings (byte
 * 10 was random) are found by trying the others, at most
 * PW_TRACK_KEYRING_MAX HMACs.  Decoding accepts upper case but not i,
 * l, o or u, and refuses non-zero padding bits, so an id has one
 * spelling per case.
 *
 * Unsubscribe token, version 2 (made today): "2" base64url(K T C),
 * without padding, where K is the secret's id (1 byte) and T C (16-byte
 * SIV tag, ciphertext) is AES-256-SIV (RFC 5297) under the key derived
 * from that secret, of the plaintext tenant "\n" recipient "\n" stream,
 * with associated data "postwarden-unsub-2\0" K.  Why SIV rather than
 * GCM: it is deterministic, so the same (tenant, recipient, stream) always
 * gets the same token (List-Unsubscribe stays stable, an unsubscribe is
 * idempotent, and no nonce is stored: a token is 23 bytes plus the
 * plaintext, about 100 characters), and a repeated plaintext reveals
 * only that it repeats, where a repeated GCM nonce would reveal the key
 * stream.  Nothing in a token can be read without the secret: web and
 * proxy logs that record the link learn neither address nor tenant.
 * The stream is the message's stream as the milter knows it (the
 * client's control header, else the tenant's default stream); empty if
 * none.
 *
 * Version 1 (made before keyrings, still in inboxes): "1"
 * base64url(tenant "\n" recipient) "." base64url(HMAC(secret,
 * "postwarden-unsub\0" payload)[0..15]).  It is verified, never made:
 * under every secret of the keyring, so such links keep working until the
 * secret that made them reaches its end date after a rotation.
 *
 * Both: letters, digits, "-", "_" (and one "." in version 1), safe in a
 * URL and in a Subject.  The recipient is lower-cased printable ASCII
 * with an "@".
 *
 * Thread-safety: a loaded keyring is read only; every function may run
 * on any thread.  Security: secrets never appear in a message; MACs are
 * compared in constant time; every decoder is bounded and takes any
 * bytes (tests/fuzz/fuzz_track.c).
 */
#ifndef PW_TRACK_H
#define PW_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "identity.h"
#include "track_keyring.h"

#define PW_TRACK_ID_RAW		26	/* bytes */
#define PW_TRACK_ID_LEN		42	/* characters */
#define PW_TRACK_TIME_MAX	((UINT64_C(1) << 48) - 1)	/* ms */

#define PW_TRACK_RCPT_MAX	254
#define PW_TRACK_STREAM_MAX	32	/* a-z 0-9 _ -, as tenant streams */
/* "2" + base64url of 1 + 16 + 64 + 1 + 254 + 1 + 32 bytes: 493. */
#define PW_TRACK_TOKEN_MAX	500

/* What a decoder or verifier found. */
enum pw_track_result {
	PW_TRACK_OK = 0,
	PW_TRACK_BAD_LENGTH,	/* malformed: too short or too long */
	PW_TRACK_BAD_CHAR,	/* malformed: outside the alphabet */
	PW_TRACK_BAD_FORMAT,	/* malformed: padding, parts, payload */
	PW_TRACK_BAD_VERSION,	/* malformed: an unknown token version */
	PW_TRACK_WRONG_TENANT,	/* forged, or an id of another tenant */
	PW_TRACK_FORGED,	/* the MAC does not match */
	PW_TRACK_EXPIRED,	/* made by a secret past its end date */
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
	char	stream[PW_TRACK_STREAM_MAX + 1];	/* "" in version 1 */
	int	version;	/* 1 or 2 */
	uint8_t	key_id;		/* the secret that verified it */
};

/*
 * Make an id for tenant (a valid tenant name) at now_ms (at most
 * PW_TRACK_TIME_MAX) with kr's current secret.  0 and out filled
 * (NUL-terminated), or -1 when an argument is bad, kr has no current
 * secret or OpenSSL fails.
 */
int	pw_track_id_make(const struct pw_track_keyring *kr, const char *tenant,
	    uint64_t now_ms, char out[PW_TRACK_ID_LEN + 1]);
/* Decode without the secret: PW_TRACK_OK and *d, or why it is malformed. */
enum pw_track_result pw_track_id_decode(const char *id, size_t len,
	    struct pw_track_id *d);
/*
 * Whether d's tag is tenant's under a secret of kr: cheap, picks the
 * candidates to check.
 */
bool	pw_track_id_tag_matches(const struct pw_track_keyring *kr,
	    const struct pw_track_id *d, const char *tenant);
/*
 * Check a decoded id's tag and MAC against tenant under kr's secrets:
 * PW_TRACK_OK (a secret still live made it), PW_TRACK_EXPIRED (only a
 * secret past its end date did), or why not.
 */
enum pw_track_result pw_track_id_check(const struct pw_track_keyring *kr,
	    const struct pw_track_id *d, const char *tenant);
/*
 * Decode and check: PW_TRACK_OK and *time_ms_r (may be NULL), or why
 * not.
 */
enum pw_track_result pw_track_id_verify(const struct pw_track_keyring *kr,
	    const char *id, size_t len, const char *tenant,
	    uint64_t *time_ms_r);

/*
 * Make the version 2 token of tenant, recipient (lower-cased here) and
 * stream ("" or NULL: none) with kr's current secret.  0 and out filled
 * (NUL-terminated), or -1 and a static *why_r.
 */
int	pw_track_unsub_make(const struct pw_track_keyring *kr,
	    const char *tenant, const char *recipient, const char *stream,
	    char out[PW_TRACK_TOKEN_MAX + 1], const char **why_r);
/*
 * Verify a token of either version: PW_TRACK_OK and *u filled, or why
 * not (PW_TRACK_EXPIRED: genuine, but its secret's end date has passed).
 */
enum pw_track_result pw_track_unsub_verify(const struct pw_track_keyring *kr,
	    const char *token, size_t len, struct pw_track_unsub *u);

/* A result in words ("MAC does not match"); static. */
const char *pw_track_result_text(enum pw_track_result r);
/*
 * Whether r says forged or expired (true) rather than malformed; false
 * for OK.
 */
bool	pw_track_result_forged(enum pw_track_result r);

#endif
