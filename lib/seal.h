/*
 * seal.h -- secrets sealed for storage outside the node (DKIM private
 * keys in Redis): AES-256-GCM under a key-encryption key (KEK) that each
 * node holds in a file, bound to where the secret belongs.
 *
 * The sealed form is one line of text, fit for a Redis hash field:
 *
 *	v1:<kek id>:<base64url(nonce | ciphertext | tag)>
 *
 *   v1        the format (AES-256-GCM, 96-bit nonce, 128-bit tag);
 *   kek id    16 lower-case hex digits, the first 8 bytes of
 *             HMAC-SHA256(KEK, "postwarden kek id"): says which KEK
 *             sealed it, so that a node with another KEK says "sealed
 *             under KEK x, this node has y" instead of "tampered";
 *   the rest  RFC 4648 base64url without padding (OpenSSL's
 *             EVP_EncodeBlock, then + / to - _, = dropped): no ':',
 *             no character a shell, redis-cli or JSON must quote.
 *             The nonce is 12 random bytes (RAND_bytes) per seal; the
 *             tag 16 bytes.
 *
 * Associated data (authenticated, not stored): "postwarden seal v1",
 * the kek id and the caller's context strings (for a DKIM key: tenant,
 * domain, selector), each with a 2-byte length in front, so that no two
 * contexts give the same bytes.  A sealed secret copied to another
 * tenant, domain or selector does not open; neither does one whose
 * version or kek id text was edited.
 *
 * KEK file (setting dkim_kek_file): 64 hexadecimal digits (32 bytes),
 * optionally followed by white space, nothing else; `postwarden dkim
 * kek-generate FILE` writes one, and so does `openssl rand -hex 32`.
 * Hex, not raw bytes: a file an admin can copy to every node with any
 * tool, check by eye (the kek id is printed) and paste into a secret
 * store.  Read with lib/secret_file.c: mode and owner checked like DKIM
 * key files.
 *
 * Threads: a loaded KEK is only read; any thread may seal and open with
 * it.  Security: KEK bytes and opened plaintexts are wiped with
 * OPENSSL_cleanse (pw_seal_kek_wipe, pw_seal_plain_free); error texts
 * never hold key material.
 */
#ifndef PW_SEAL_H
#define PW_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define PW_SEAL_KEK_LEN		32	/* AES-256 */
#define PW_SEAL_KEK_ID_LEN	16	/* hex digits */
#define PW_SEAL_NONCE_LEN	12
#define PW_SEAL_TAG_LEN		16
#define PW_SEAL_PLAIN_MAX	16384	/* largest secret sealed */
/* "v1:" + id + ":" + base64url of nonce, plaintext and tag. */
#define PW_SEAL_TEXT_MAX	(3 + PW_SEAL_KEK_ID_LEN + 1 + \
	    ((PW_SEAL_NONCE_LEN + PW_SEAL_PLAIN_MAX + PW_SEAL_TAG_LEN + 2) / \
	    3 * 4))
#define PW_SEAL_CTX_MAX		8	/* context strings */

struct pw_seal_kek {
	unsigned char	key[PW_SEAL_KEK_LEN];
	char		id[PW_SEAL_KEK_ID_LEN + 1];
	bool		set;
};

/* Why pw_seal_open failed. */
enum pw_seal_err {
	PW_SEAL_OK = 0,
	PW_SEAL_E_FORMAT,	/* not the text of a sealed secret */
	PW_SEAL_E_VERSION,	/* a format version we do not know */
	PW_SEAL_E_KEK,		/* sealed under another KEK (kek id) */
	PW_SEAL_E_AUTH,		/* tampered, or another context */
	PW_SEAL_E_INTERNAL,	/* OpenSSL failed */
};

/* Use these 32 bytes as the KEK (and derive its id).  0, or -1. */
int	pw_seal_kek_set(struct pw_seal_kek *kek,
	    const unsigned char key[PW_SEAL_KEK_LEN]);
/*
 * Read a KEK file (format above) through pw_secret_file_read.  0, or -1
 * with "path: why" in err; *kek is wiped either way first.
 */
int	pw_seal_kek_load(const char *path, bool mode_check,
	    struct pw_seal_kek *kek, char *err, size_t errsize);
/*
 * Parse the text of a KEK file (len bytes) into kek.  0, or -1 with a
 * static *why_r.
 */
int	pw_seal_kek_parse(const char *text, size_t len, struct pw_seal_kek *kek,
	    const char **why_r);
/* Wipe a KEK (OPENSSL_cleanse). */
void	pw_seal_kek_wipe(struct pw_seal_kek *kek);

/*
 * Seal len bytes of plain (1..PW_SEAL_PLAIN_MAX) under kek, bound to the
 * nctx context strings (at most PW_SEAL_CTX_MAX, each < 65536 bytes):
 * append the text to out.  0, or -1 with a static *why_r.
 */
int	pw_seal(const struct pw_seal_kek *kek, const char *const *ctx,
	    size_t nctx, const void *plain, size_t len, struct pw_buf *out,
	    const char **why_r);

/*
 * Open the sealed text (len bytes, need not be NUL-terminated) with kek
 * and the same context strings.  0 with *plain_r (allocated; free it
 * with pw_seal_plain_free) and *plainlen_r; -1 with *err_r and a static
 * *why_r.  Never returns a plaintext that did not authenticate.
 */
int	pw_seal_open(const struct pw_seal_kek *kek, const char *const *ctx,
	    size_t nctx, const char *text, size_t len,
	    unsigned char **plain_r, size_t *plainlen_r,
	    enum pw_seal_err *err_r, const char **why_r);
/* Wipe and free what pw_seal_open returned; NULLs *plain. */
void	pw_seal_plain_free(unsigned char **plain, size_t len);

/*
 * The kek id of a sealed text (its second part) into id_r: 0, or -1
 * when the text is not a sealed secret.  For messages and tests.
 */
int	pw_seal_text_kek_id(const char *text, size_t len,
	    char id_r[PW_SEAL_KEK_ID_LEN + 1]);

#endif
