/*
 * track_keyring.h -- the tracking keyring: the secrets that make and
 * verify tracking ids and unsubscribe tokens (lib/track.h), so that a
 * secret can be rotated without breaking the links and ids in mail
 * already sent.
 *
 * A keyring holds one current secret (the milter makes ids and tokens
 * with it) and older verify-only secrets, each with an id (0..255, the
 * byte that ids and tokens carry) and an end date: verification accepts
 * a secret until its end date, and refuses after.  The file that
 * tracking_secret_file names is either
 *
 *   - a keyring, whose first line is "postwarden-keyring 1", then one
 *     line per secret (blank lines and "#" comments allowed):
 *
 *	ID UNTIL SECRET
 *
 *     ID a decimal 0..255, unique; UNTIL "current" for exactly one line,
 *     else the end date as YYYY-MM-DDTHH:MM:SSZ (UTC); SECRET the
 *     secret's bytes in hex (32 to 4096 bytes); at most
 *     PW_TRACK_KEYRING_MAX lines; or
 *   - anything else: one secret (at least 32 bytes, trailing white space
 *     dropped) as before keyrings, loaded as a keyring whose current
 *     secret has id 0 and no end date.
 *
 * `postwarden secret rotate FILE` (pw_track_keyring_rotate) turns either
 * into a keyring with a new current secret.
 *
 * Each secret keeps the HMAC-SHA256 key (the secret's bytes) for ids and
 * old "1" tokens, and an AES-256-SIV key for "2" tokens derived from it
 * with HKDF-SHA256 (info "postwarden-unsub-siv"), so one secret serves
 * both purposes without one key doing two jobs.
 *
 * Thread-safety: a loaded keyring is read only; the milter shares one
 * per configuration snapshot.  Security: secret bytes and derived keys
 * are wiped when freed and never appear in an error text; the parser
 * takes any bytes (tests/fuzz/fuzz_track.c).
 */
#ifndef PW_TRACK_KEYRING_H
#define PW_TRACK_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#define PW_TRACK_SECRET_MIN	32	/* bytes */
#define PW_TRACK_SECRET_MAX	4096	/* bytes of one secret */
/* The largest file: a full keyring of the largest secrets, in hex. */
#define PW_TRACK_FILE_MAX	(PW_TRACK_KEYRING_MAX * \
	(2 * PW_TRACK_SECRET_MAX + 64) + 256)
#define PW_TRACK_KEYRING_MAX	32	/* secrets in a keyring */
#define PW_TRACK_ERR_MAX	512
#define PW_TRACK_SIV_KEY	64	/* AES-256-SIV: two AES-256 keys */
#define PW_TRACK_KEYRING_MAGIC	"postwarden-keyring 1"
#define PW_TRACK_UNTIL_LEN	20	/* 2026-12-06T18:00:00Z */

struct pw_track_secret {
	uint8_t		 id;
	bool		 current;	/* the one that makes ids and tokens */
	time_t		 until;		/* verify until (0 for the current) */
	unsigned char	*key;		/* HMAC key; wiped and freed */
	size_t		 len;
	unsigned char	 siv[PW_TRACK_SIV_KEY];	/* derived; wiped */
};

struct pw_track_keyring {
	struct pw_track_secret	 s[PW_TRACK_KEYRING_MAX];
	size_t			 n;
	bool			 legacy;	/* from a one-secret file */
	time_t			 now;	/* 0: time(NULL) when verifying */
	EVP_MAC			*mac;	/* HMAC, fetched once */
	EVP_CIPHER		*siv;	/* AES-256-SIV, fetched once */
};

/*
 * Read path (either format; see the top).  With mode_check a file group
 * or others may access is refused.  0 and *kr filled; -1 with "path:
 * why" in err (never a secret's bytes).
 */
int	pw_track_keyring_load(const char *path, bool mode_check,
	    struct pw_track_keyring *kr, char *err, size_t errsize);
/*
 * The same from len bytes in memory; name is the path in errors.  0, or
 * -1 with "name: why" (or "name:LINE: why") in err.
 */
int	pw_track_keyring_parse(const char *text, size_t len,
	    const char *name, struct pw_track_keyring *kr, char *err,
	    size_t errsize);
/* An empty keyring with OpenSSL's algorithms fetched; 0, or -1 and *why_r. */
int	pw_track_keyring_init(struct pw_track_keyring *kr, const char **why_r);
/*
 * Add a secret (id unused, len PW_TRACK_SECRET_MIN..MAX; until 0 makes
 * it the current one, which must be the only one).  0, or -1 and a
 * static *why_r.
 */
int	pw_track_keyring_add(struct pw_track_keyring *kr, unsigned id,
	    time_t until, const void *key, size_t len, const char **why_r);
/* Wipe and free; kr is left empty (safe to call twice). */
void	pw_track_keyring_free(struct pw_track_keyring *kr);

/* The current secret, or NULL when the keyring has none. */
const struct pw_track_secret *pw_track_keyring_current(
	    const struct pw_track_keyring *kr);
/* The secret with that id, or NULL. */
const struct pw_track_secret *pw_track_keyring_find(
	    const struct pw_track_keyring *kr, unsigned id);
/* Whether s may still verify (current, or before its end date). */
bool	pw_track_keyring_live(const struct pw_track_keyring *kr,
	    const struct pw_track_secret *s);

/*
 * Rotate: the current secret becomes verify-only until now + grace
 * (grace 0: it goes at once, for a secret that leaked), secrets whose
 * end date has come are dropped, and a new random current secret of 32
 * bytes gets the next free id.  0 and *new_id_r, or -1 and a static
 * *why_r (kr unchanged).
 */
int	pw_track_keyring_rotate(struct pw_track_keyring *kr, time_t now,
	    time_t grace, unsigned *new_id_r, const char **why_r);
/*
 * The keyring as a file in the keyring format, into out (size bytes,
 * NUL-terminated; it then holds secrets: the caller wipes it).  0 and
 * *len_r, or -1 if it does not fit.
 */
int	pw_track_keyring_format(const struct pw_track_keyring *kr,
	    char *out, size_t size, size_t *len_r);
/* "YYYY-MM-DDTHH:MM:SSZ" of t into buf. */
void	pw_track_keyring_time(time_t t, char buf[PW_TRACK_UNTIL_LEN + 1]);

#endif
