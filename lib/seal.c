/*
 * seal.c -- AES-256-GCM sealing of secrets under a key-encryption key
 * (see seal.h for the format, the associated data and the KEK file).
 *
 * Exports: pw_seal_kek_set, pw_seal_kek_load, pw_seal_kek_parse,
 * pw_seal_kek_wipe, pw_seal, pw_seal_open, pw_seal_plain_free,
 * pw_seal_text_kek_id.
 *
 * Threads: no state of its own; a KEK is read-only once set.
 * Failures: every function says why with a static string; pw_seal_open
 * checks the text completely (version, kek id, base64url alphabet,
 * length) before any decryption and returns no plaintext unless the tag
 * verified.  Security: plaintexts are only in buffers this file wipes
 * (OPENSSL_cleanse) or hands to the caller to wipe; the KEK file's
 * bytes are wiped after parsing.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "seal.h"
#include "secret_file.h"
#include "xmalloc.h"

#define PW_SEAL_VERSION		"v1"
#define PW_SEAL_AAD_LABEL	"postwarden seal v1"
#define PW_SEAL_ID_LABEL	"postwarden kek id"
#define PW_SEAL_KEKFILE_MAX	256	/* 64 hex digits and white space */
/* Bytes after the base64url part: nonce, at least 1 byte, tag. */
#define PW_SEAL_RAW_MIN		(PW_SEAL_NONCE_LEN + 1 + PW_SEAL_TAG_LEN)
#define PW_SEAL_RAW_MAX		(PW_SEAL_NONCE_LEN + PW_SEAL_PLAIN_MAX + \
	    PW_SEAL_TAG_LEN)

int
pw_seal_kek_set(struct pw_seal_kek *kek,
    const unsigned char key[PW_SEAL_KEK_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t i;

	pw_seal_kek_wipe(kek);
	if (HMAC(EVP_sha256(), key, PW_SEAL_KEK_LEN,
	    (const unsigned char *)PW_SEAL_ID_LABEL, strlen(PW_SEAL_ID_LABEL),
	    mac, &maclen) == NULL || maclen < PW_SEAL_KEK_ID_LEN / 2)
		return -1;
	memcpy(kek->key, key, PW_SEAL_KEK_LEN);
	for (i = 0; i < PW_SEAL_KEK_ID_LEN / 2; i++)
		snprintf(kek->id + 2 * i, 3, "%02x", mac[i]);
	OPENSSL_cleanse(mac, sizeof(mac));
	kek->set = true;
	return 0;
}

void
pw_seal_kek_wipe(struct pw_seal_kek *kek)
{
	OPENSSL_cleanse(kek, sizeof(*kek));
}

int
pw_seal_kek_parse(const char *text, size_t len, struct pw_seal_kek *kek,
    const char **why_r)
{
	unsigned char key[PW_SEAL_KEK_LEN];
	int ret = -1;

	pw_seal_kek_wipe(kek);
	if (pw_secret_file_hex(text, len, key, PW_SEAL_KEK_LEN) < 0) {
		*why_r = "a KEK file holds 64 hexadecimal digits (32 bytes; "
		    "make one with: postwarden dkim kek-generate FILE)";
		return -1;
	}
	if (pw_seal_kek_set(kek, key) < 0) {
		*why_r = "cannot derive the kek id (OpenSSL)";
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

int
pw_seal_kek_load(const char *path, bool mode_check, struct pw_seal_kek *kek,
    char *err, size_t errsize)
{
	char buf[PW_SEAL_KEKFILE_MAX + 1];
	const char *why;
	size_t len;
	int ret = -1;

	pw_seal_kek_wipe(kek);
	if (path == NULL || *path == '\0') {
		snprintf(err, errsize, "dkim_kek_file is not set");
		return -1;
	}
	if (pw_secret_file_read(path, mode_check, "key-encryption key", buf,
	    PW_SEAL_KEKFILE_MAX, &len, err, errsize) < 0)
		goto out;
	if (pw_seal_kek_parse(buf, len, kek, &why) < 0) {
		snprintf(err, errsize, "%s: %s", path, why);
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}

/*
 * The associated data: label, kek id and the context strings, each with
 * a 2-byte big-endian length.  0, or -1 when a context is too long.
 */
static int
pw_seal_aad(struct pw_buf *aad, const char *kek_id, const char *const *ctx,
    size_t nctx)
{
	const char *parts[2 + PW_SEAL_CTX_MAX];
	unsigned char len2[2];
	size_t i, n = 0, len;

	if (nctx > PW_SEAL_CTX_MAX)
		return -1;
	parts[n++] = PW_SEAL_AAD_LABEL;
	parts[n++] = kek_id;
	for (i = 0; i < nctx; i++)
		parts[n++] = ctx[i] != NULL ? ctx[i] : "";
	for (i = 0; i < n; i++) {
		if ((len = strlen(parts[i])) > 0xffff)
			return -1;
		len2[0] = (unsigned char)(len >> 8);
		len2[1] = (unsigned char)(len & 0xff);
		if (pw_buf_append(aad, len2, 2) < 0 ||
		    pw_buf_append(aad, parts[i], len) < 0)
			return -1;
	}
	return 0;
}

/*
 * AES-256-GCM over in (len bytes) into out; enc 1 seals (tag written),
 * 0 opens (tag checked).  0, or -1.
 */
static int
pw_seal_gcm(int enc, const unsigned char *key, const unsigned char *nonce,
    const struct pw_buf *aad, const unsigned char *in, size_t len,
    unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c;
	int n = 0, fin = 0, ok = 0;

	if (len > INT32_MAX || (c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL,
	    enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, PW_SEAL_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, (const unsigned char *)aad->data,
	    (int)aad->len) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG,
	    PW_SEAL_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + n, &fin) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG,
	    PW_SEAL_TAG_LEN, tag) != 1)
		goto out;
	ok = 1;
out:
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

int
pw_seal(const struct pw_seal_kek *kek, const char *const *ctx, size_t nctx,
    const void *plain, size_t len, struct pw_buf *out, const char **why_r)
{
	unsigned char *raw;
	char *b64;
	struct pw_buf aad;
	size_t rawlen, i;
	int n, ret = -1;

	if (!kek->set) {
		*why_r = "no key-encryption key";
		return -1;
	}
	if (len == 0 || len > PW_SEAL_PLAIN_MAX) {
		*why_r = "secret too large to seal";
		return -1;
	}
	pw_buf_init(&aad, 2 * 65536 + 1024);
	rawlen = PW_SEAL_NONCE_LEN + len + PW_SEAL_TAG_LEN;
	raw = pw_xmalloc(rawlen);
	b64 = pw_xmalloc((rawlen + 2) / 3 * 4 + 1);
	if (pw_seal_aad(&aad, kek->id, ctx, nctx) < 0) {
		*why_r = "context too long";
		goto out;
	}
	if (RAND_bytes(raw, PW_SEAL_NONCE_LEN) != 1) {
		*why_r = "no random bytes for a nonce (OpenSSL)";
		goto out;
	}
	if (pw_seal_gcm(1, kek->key, raw, &aad, plain, len,
	    raw + PW_SEAL_NONCE_LEN, raw + PW_SEAL_NONCE_LEN + len) < 0) {
		*why_r = "encryption failed (OpenSSL)";
		goto out;
	}
	n = EVP_EncodeBlock((unsigned char *)b64, raw, (int)rawlen);
	/* base64url, no padding (RFC 4648 section 5). */
	while (n > 0 && b64[n - 1] == '=')
		n--;
	for (i = 0; i < (size_t)n; i++) {
		if (b64[i] == '+')
			b64[i] = '-';
		else if (b64[i] == '/')
			b64[i] = '_';
	}
	if (pw_buf_printf(out, PW_SEAL_VERSION ":%s:%.*s", kek->id, n,
	    b64) < 0) {
		*why_r = "sealed text too long";
		goto out;
	}
	ret = 0;
out:
	pw_buf_free(&aad);
	free(raw);
	free(b64);
	return ret;
}

/*
 * Split text into its three parts: 0 and the kek id and base64url part
 * (b64, b64len), or -1 with *err_r.
 */
static int
pw_seal_split(const char *text, size_t len, const char **id_r,
    const char **b64_r, size_t *b64len_r, enum pw_seal_err *err_r)
{
	const char *c1, *c2;
	size_t i;

	if ((c1 = memchr(text, ':', len)) == NULL) {
		*err_r = PW_SEAL_E_FORMAT;
		return -1;
	}
	if ((size_t)(c1 - text) != strlen(PW_SEAL_VERSION) ||
	    memcmp(text, PW_SEAL_VERSION, strlen(PW_SEAL_VERSION)) != 0) {
		/* "vN:..." is a version; anything else is not ours. */
		*err_r = c1 - text >= 2 && c1 - text <= 4 && text[0] == 'v' ?
		    PW_SEAL_E_VERSION : PW_SEAL_E_FORMAT;
		for (i = 1; i < (size_t)(c1 - text); i++)
			if (!isdigit((unsigned char)text[i]))
				*err_r = PW_SEAL_E_FORMAT;
		return -1;
	}
	c1++;
	c2 = memchr(c1, ':', len - (size_t)(c1 - text));
	if (c2 == NULL || c2 - c1 != PW_SEAL_KEK_ID_LEN) {
		*err_r = PW_SEAL_E_FORMAT;
		return -1;
	}
	for (i = 0; i < PW_SEAL_KEK_ID_LEN; i++)
		if (!isdigit((unsigned char)c1[i]) &&
		    !(c1[i] >= 'a' && c1[i] <= 'f')) {
			*err_r = PW_SEAL_E_FORMAT;
			return -1;
		}
	*id_r = c1;
	*b64_r = c2 + 1;
	*b64len_r = len - (size_t)(c2 + 1 - text);
	return 0;
}

int
pw_seal_text_kek_id(const char *text, size_t len,
    char id_r[PW_SEAL_KEK_ID_LEN + 1])
{
	enum pw_seal_err err;
	const char *id, *b64;
	size_t b64len;

	if (pw_seal_split(text, len, &id, &b64, &b64len, &err) < 0)
		return -1;
	memcpy(id_r, id, PW_SEAL_KEK_ID_LEN);
	id_r[PW_SEAL_KEK_ID_LEN] = '\0';
	return 0;
}

/*
 * Decode base64url without padding (len characters, alphabet checked)
 * into a new buffer: 0 with *raw_r and *rawlen_r, or -1.
 */
static int
pw_seal_b64url_decode(const char *s, size_t len, unsigned char **raw_r,
    size_t *rawlen_r)
{
	char *std;
	unsigned char *raw;
	size_t i, pad, stdlen;
	int n;

	if (len == 0 || len % 4 == 1 ||
	    len > (PW_SEAL_RAW_MAX + 2) / 3 * 4)
		return -1;
	pad = (4 - len % 4) % 4;
	stdlen = len + pad;
	std = pw_xmalloc(stdlen + 1);
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!isalnum((unsigned char)c)) {
			free(std);
			return -1;
		}
		std[i] = c;
	}
	memset(std + len, '=', pad);
	std[stdlen] = '\0';
	raw = pw_xmalloc(stdlen / 4 * 3);
	n = EVP_DecodeBlock(raw, (unsigned char *)std, (int)stdlen);
	free(std);
	if (n < 0 || (size_t)n < pad) {
		free(raw);
		return -1;
	}
	*raw_r = raw;
	*rawlen_r = (size_t)n - pad;
	return 0;
}

int
pw_seal_open(const struct pw_seal_kek *kek, const char *const *ctx,
    size_t nctx, const char *text, size_t len, unsigned char **plain_r,
    size_t *plainlen_r, enum pw_seal_err *err_r, const char **why_r)
{
	unsigned char *raw = NULL, *plain = NULL;
	const char *id, *b64;
	struct pw_buf aad;
	size_t rawlen = 0, b64len, plainlen;
	enum pw_seal_err err = PW_SEAL_E_FORMAT;
	int ret = -1;

	*plain_r = NULL;
	*plainlen_r = 0;
	pw_buf_init(&aad, 2 * 65536 + 1024);
	if (len > PW_SEAL_TEXT_MAX || pw_seal_split(text, len, &id, &b64,
	    &b64len, &err) < 0)
		goto out;
	if (pw_seal_b64url_decode(b64, b64len, &raw, &rawlen) < 0 ||
	    rawlen < PW_SEAL_RAW_MIN || rawlen > PW_SEAL_RAW_MAX) {
		err = PW_SEAL_E_FORMAT;
		goto out;
	}
	if (!kek->set || memcmp(id, kek->id, PW_SEAL_KEK_ID_LEN) != 0) {
		err = PW_SEAL_E_KEK;
		goto out;
	}
	if (pw_seal_aad(&aad, kek->id, ctx, nctx) < 0) {
		err = PW_SEAL_E_INTERNAL;
		goto out;
	}
	plainlen = rawlen - PW_SEAL_NONCE_LEN - PW_SEAL_TAG_LEN;
	plain = pw_xmalloc(plainlen);
	if (pw_seal_gcm(0, kek->key, raw, &aad, raw + PW_SEAL_NONCE_LEN,
	    plainlen, plain, raw + PW_SEAL_NONCE_LEN + plainlen) < 0) {
		pw_seal_plain_free(&plain, plainlen);
		err = PW_SEAL_E_AUTH;
		goto out;
	}
	*plain_r = plain;
	*plainlen_r = plainlen;
	err = PW_SEAL_OK;
	ret = 0;
out:
	pw_buf_free(&aad);
	free(raw);
	if (err_r != NULL)
		*err_r = err;
	switch (err) {
	case PW_SEAL_OK:
		break;
	case PW_SEAL_E_FORMAT:
		*why_r = "not a sealed secret (v1:<kek id>:<base64url>)";
		break;
	case PW_SEAL_E_VERSION:
		*why_r = "sealed in a format this version does not know";
		break;
	case PW_SEAL_E_KEK:
		*why_r = "sealed under another key-encryption key (kek id "
		    "differs: check dkim_kek_file)";
		break;
	case PW_SEAL_E_AUTH:
		*why_r = "does not authenticate: tampered with, or moved "
		    "from another tenant, domain or selector";
		break;
	case PW_SEAL_E_INTERNAL:
		*why_r = "decryption failed (OpenSSL)";
		break;
	}
	return ret;
}

void
pw_seal_plain_free(unsigned char **plain, size_t len)
{
	if (*plain == NULL)
		return;
	OPENSSL_cleanse(*plain, len);
	free(*plain);
	*plain = NULL;
}
