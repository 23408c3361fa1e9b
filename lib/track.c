/*
 * track.c -- tracking ids and unsubscribe tokens (see track.h).
 *
 * Exports: pw_track_id_*, pw_track_unsub_*, pw_track_result_text/_forged.
 *
 * Every MAC is HMAC-SHA256 by OpenSSL's EVP_MAC, over a label with its
 * NUL (so that an id's MAC can never stand in for a tag or a token's)
 * followed by the data; it is truncated and compared with CRYPTO_memcmp.
 * Version 2 tokens are AES-256-SIV by OpenSSL's EVP_CIPHER (one update:
 * SIV takes the whole plaintext at once).  Base64 is OpenSSL's,
 * translated to the URL alphabet; base32 is the few lines below (no
 * crypto in it).
 *
 * Ownership: the keyring (track_keyring.c) owns every secret.
 * Failures: decoders report an enum
 * pw_track_result and never read past len.  Security: see track.h;
 * decoded text is checked before anyone sees it, and every encoding is
 * canonical (a decoded value re-encodes to the same text), so a changed
 * character can never verify.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "track.h"
#include "xmalloc.h"

#define PW_TRACK_HMAC_LEN	32
#define PW_TRACK_TAG_OFF	6
#define PW_TRACK_TAG_LEN	4
#define PW_TRACK_KID_OFF	10
#define PW_TRACK_RAND_OFF	11
#define PW_TRACK_RAND_LEN	7
#define PW_TRACK_MAC_OFF	18
#define PW_TRACK_MAC_LEN	8
#define PW_TRACK_TOKEN_MACLEN	16
#define PW_TRACK_TOKEN_MACB64	22	/* base64url of 16 bytes */
#define PW_TRACK_PAYLOAD_MAX	(PW_IDENTITY_TENANT_MAX + 1 + \
	PW_TRACK_RCPT_MAX)
/* Room for the base64 of a token's payload, or of what a token decodes to. */
#define PW_TRACK_B64_MAX	(PW_TRACK_TOKEN_MAX + 16)
#define PW_TRACK_B64_IN_MAX	((PW_TRACK_B64_MAX - 1) / 4 * 3)

#define PW_TRACK_LABEL_TAG	"postwarden-tag"
#define PW_TRACK_LABEL_ID	"postwarden-id"
#define PW_TRACK_LABEL_UNSUB	"postwarden-unsub"
#define PW_TRACK_LABEL_UNSUB2	"postwarden-unsub-2"
#define PW_TRACK_SIV_TAG	16
/* A version 2 plaintext: tenant "\n" recipient "\n" stream. */
#define PW_TRACK_PLAIN_MAX	(PW_IDENTITY_TENANT_MAX + 1 + \
	PW_TRACK_RCPT_MAX + 1 + PW_TRACK_STREAM_MAX)
#define PW_TRACK_BLOB_MAX	(1 + PW_TRACK_SIV_TAG + PW_TRACK_PLAIN_MAX)

/* Crockford's base32 alphabet, lower case: it sorts in ASCII order. */
static const char pw_track_b32[] = "0123456789abcdefghjkmnpqrstvwxyz";

/*
 * HMAC-SHA256(secret, label "\0" a b) into out.  0, or -1 when OpenSSL
 * fails (callers then refuse what they were checking).
 */
static int
pw_track_hmac(const struct pw_track_keyring *kr,
    const struct pw_track_secret *s, const char *label,
    const void *a, size_t alen, const void *b, size_t blen,
    unsigned char out[PW_TRACK_HMAC_LEN])
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	size_t outlen = 0;
	int ok;

	if (kr->mac == NULL || (ctx = EVP_MAC_CTX_new(kr->mac)) == NULL) {
		ERR_clear_error();
		return -1;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(ctx, s->key, s->len, params) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)label,
	    strlen(label) + 1) == 1 &&
	    (alen == 0 || EVP_MAC_update(ctx, a, alen) == 1) &&
	    (blen == 0 || EVP_MAC_update(ctx, b, blen) == 1) &&
	    EVP_MAC_final(ctx, out, &outlen, PW_TRACK_HMAC_LEN) == 1 &&
	    outlen == PW_TRACK_HMAC_LEN;
	EVP_MAC_CTX_free(ctx);
	if (!ok)
		ERR_clear_error();
	return ok ? 0 : -1;
}

/* --- tracking ids --------------------------------------------------------- */

/* Encode len bytes as base32, most significant bit first; out gets NUL. */
static void
pw_track_b32_encode(const unsigned char *in, size_t len, char *out)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	for (i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = pw_track_b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = pw_track_b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

/* A character's base32 value (upper case too), or -1. */
static int
pw_track_b32_value(unsigned char c)
{
	const char *p;

	if (c >= 'A' && c <= 'Z')
		c = (unsigned char)(c - 'A' + 'a');
	if (c == '\0' || (p = strchr(pw_track_b32, c)) == NULL)
		return -1;
	return (int)(p - pw_track_b32);
}

/* The tenant's 4-byte tag; 0, or -1. */
static int
pw_track_tag(const struct pw_track_keyring *kr,
    const struct pw_track_secret *s, const char *tenant,
    unsigned char tag[PW_TRACK_TAG_LEN])
{
	unsigned char h[PW_TRACK_HMAC_LEN];

	if (pw_track_hmac(kr, s, PW_TRACK_LABEL_TAG, tenant, strlen(tenant),
	    NULL, 0, h) < 0)
		return -1;
	memcpy(tag, h, PW_TRACK_TAG_LEN);
	return 0;
}

/* The 8-byte MAC of an id's first 18 bytes for tenant; 0, or -1. */
static int
pw_track_id_mac(const struct pw_track_keyring *kr,
    const struct pw_track_secret *s, const unsigned char *raw,
    const char *tenant, unsigned char mac[PW_TRACK_MAC_LEN])
{
	unsigned char h[PW_TRACK_HMAC_LEN];

	if (pw_track_hmac(kr, s, PW_TRACK_LABEL_ID, raw, PW_TRACK_MAC_OFF,
	    tenant, strlen(tenant), h) < 0)
		return -1;
	memcpy(mac, h, PW_TRACK_MAC_LEN);
	return 0;
}

static bool
pw_track_valid_tenant(const char *tenant)
{
	return tenant != NULL &&
	    pw_identity_valid_tenant(tenant, strlen(tenant));
}

int
pw_track_id_make(const struct pw_track_keyring *kr, const char *tenant,
    uint64_t now_ms, char out[PW_TRACK_ID_LEN + 1])
{
	const struct pw_track_secret *s = pw_track_keyring_current(kr);
	unsigned char raw[PW_TRACK_ID_RAW];
	int i;

	if (s == NULL || !pw_track_valid_tenant(tenant) ||
	    now_ms > PW_TRACK_TIME_MAX)
		return -1;
	for (i = 0; i < 6; i++)
		raw[i] = (unsigned char)(now_ms >> (8 * (5 - i)));
	if (pw_track_tag(kr, s, tenant, raw + PW_TRACK_TAG_OFF) < 0)
		return -1;
	raw[PW_TRACK_KID_OFF] = s->id;
	if (RAND_bytes(raw + PW_TRACK_RAND_OFF, PW_TRACK_RAND_LEN) != 1) {
		ERR_clear_error();
		return -1;
	}
	if (pw_track_id_mac(kr, s, raw, tenant, raw + PW_TRACK_MAC_OFF) < 0)
		return -1;
	pw_track_b32_encode(raw, sizeof(raw), out);
	return 0;
}

enum pw_track_result
pw_track_id_decode(const char *id, size_t len, struct pw_track_id *d)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	memset(d, 0, sizeof(*d));
	if (len != PW_TRACK_ID_LEN)
		return PW_TRACK_BAD_LENGTH;
	for (i = 0; i < len; i++) {
		if ((v = pw_track_b32_value((unsigned char)id[i])) < 0)
			return PW_TRACK_BAD_CHAR;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			d->raw[o++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* 42 * 5 = 210 bits: the last 2 are padding and must be 0. */
	if (o != PW_TRACK_ID_RAW || (acc & ((1U << bits) - 1)) != 0) {
		memset(d, 0, sizeof(*d));
		return PW_TRACK_BAD_FORMAT;
	}
	for (i = 0; i < 6; i++)
		d->time_ms = (d->time_ms << 8) | d->raw[i];
	return PW_TRACK_OK;
}

/*
 * The order in which to try kr's secrets for something that names
 * secret id: that one first, then the others as they are.  Fills order
 * (kr->n entries).
 */
static void
pw_track_order(const struct pw_track_keyring *kr, unsigned id,
    size_t order[PW_TRACK_KEYRING_MAX])
{
	size_t i, o = 0;

	for (i = 0; i < kr->n; i++)
		if (kr->s[i].id == id)
			order[o++] = i;
	for (i = 0; i < kr->n; i++)
		if (kr->s[i].id != id)
			order[o++] = i;
}

/* Whether d's tag is tenant's under secret s. */
static bool
pw_track_tag_is(const struct pw_track_keyring *kr,
    const struct pw_track_secret *s, const struct pw_track_id *d,
    const char *tenant)
{
	unsigned char tag[PW_TRACK_TAG_LEN];

	return pw_track_tag(kr, s, tenant, tag) == 0 &&
	    CRYPTO_memcmp(tag, d->raw + PW_TRACK_TAG_OFF,
	    PW_TRACK_TAG_LEN) == 0;
}

bool
pw_track_id_tag_matches(const struct pw_track_keyring *kr,
    const struct pw_track_id *d, const char *tenant)
{
	size_t order[PW_TRACK_KEYRING_MAX], i;

	if (!pw_track_valid_tenant(tenant))
		return false;
	pw_track_order(kr, d->raw[PW_TRACK_KID_OFF], order);
	for (i = 0; i < kr->n; i++)
		if (pw_track_tag_is(kr, &kr->s[order[i]], d, tenant))
			return true;
	return false;
}

/*
 * Try every secret (the named one first): OK beats EXPIRED beats FORGED
 * (a tag matched, the MAC did not) beats WRONG_TENANT.
 */
enum pw_track_result
pw_track_id_check(const struct pw_track_keyring *kr,
    const struct pw_track_id *d, const char *tenant)
{
	size_t order[PW_TRACK_KEYRING_MAX], i;
	enum pw_track_result best = PW_TRACK_WRONG_TENANT;
	const struct pw_track_secret *s;
	unsigned char mac[PW_TRACK_MAC_LEN];

	if (!pw_track_valid_tenant(tenant))
		return PW_TRACK_WRONG_TENANT;
	pw_track_order(kr, d->raw[PW_TRACK_KID_OFF], order);
	for (i = 0; i < kr->n; i++) {
		s = &kr->s[order[i]];
		if (!pw_track_tag_is(kr, s, d, tenant))
			continue;
		if (pw_track_id_mac(kr, s, d->raw, tenant, mac) < 0 ||
		    CRYPTO_memcmp(mac, d->raw + PW_TRACK_MAC_OFF,
		    PW_TRACK_MAC_LEN) != 0) {
			if (best == PW_TRACK_WRONG_TENANT)
				best = PW_TRACK_FORGED;
			continue;
		}
		if (pw_track_keyring_live(kr, s))
			return PW_TRACK_OK;
		best = PW_TRACK_EXPIRED;
	}
	return best;
}

enum pw_track_result
pw_track_id_verify(const struct pw_track_keyring *kr, const char *id,
    size_t len, const char *tenant, uint64_t *time_ms_r)
{
	struct pw_track_id d;
	enum pw_track_result r;

	if ((r = pw_track_id_decode(id, len, &d)) != PW_TRACK_OK ||
	    (r = pw_track_id_check(kr, &d, tenant)) != PW_TRACK_OK)
		return r;
	if (time_ms_r != NULL)
		*time_ms_r = d.time_ms;
	return PW_TRACK_OK;
}

/* --- unsubscribe tokens --------------------------------------------------- */

static bool
pw_track_b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Write the base64url encoding of len bytes (at most PW_TRACK_B64_IN_MAX)
 * to out, without padding and without a NUL; returns how many characters.
 */
static size_t
pw_track_b64url_encode(const unsigned char *in, size_t len, char *out)
{
	unsigned char tmp[PW_TRACK_B64_MAX];
	size_t i, n;

	if (len > PW_TRACK_B64_IN_MAX)		/* @UNSAFE: tmp's size */
		return 0;
	n = (size_t)EVP_EncodeBlock(tmp, in, (int)len);
	while (n > 0 && tmp[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++)
		out[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' :
		    (char)tmp[i];
	return n;
}

/*
 * Decode len characters of base64url without padding into out (outsize
 * bytes).  0 and *outlen_r, or -1 unless it is the one canonical
 * encoding of what it decodes to.
 */
static int
pw_track_b64url_decode(const char *in, size_t len, unsigned char *out,
    size_t outsize, size_t *outlen_r)
{
	unsigned char tmp[PW_TRACK_B64_MAX];
	char again[PW_TRACK_B64_MAX];
	size_t i, pad, n;
	int got;

	if (len == 0 || len % 4 == 1 || len > PW_TRACK_TOKEN_MAX)
		return -1;
	/* @UNSAFE: EVP_DecodeBlock writes 3 bytes per 4 characters. */
	pad = (4 - len % 4) % 4;
	if ((len + pad) / 4 * 3 > outsize ||
	    (len + pad) / 4 * 3 > PW_TRACK_B64_IN_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		if (!pw_track_b64url_char(in[i]))
			return -1;
		tmp[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' :
		    (unsigned char)in[i];
	}
	memset(tmp + len, '=', pad);
	if ((got = EVP_DecodeBlock(out, tmp, (int)(len + pad))) < 0 ||
	    (size_t)got < pad) {
		ERR_clear_error();
		return -1;
	}
	n = (size_t)got - pad;
	if (pw_track_b64url_encode(out, n, again) != len ||
	    memcmp(again, in, len) != 0)
		return -1;
	*outlen_r = n;
	return 0;
}

/*
 * A recipient as tokens carry it: 1..PW_TRACK_RCPT_MAX bytes of
 * printable ASCII with an "@", no upper case.
 */
static bool
pw_track_valid_rcpt(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > PW_TRACK_RCPT_MAX || memchr(s, '@', len) ==
	    NULL)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* A stream as tokens carry it: 0..PW_TRACK_STREAM_MAX of a-z 0-9 _ -. */
static bool
pw_track_valid_stream(const char *s, size_t len)
{
	size_t i;

	if (len > PW_TRACK_STREAM_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-'))
			return false;
	return true;
}

/* A version 2 token's associated data: label "\0" key id; its length. */
static size_t
pw_track_siv_aad(uint8_t kid, unsigned char aad[32])
{
	size_t n = strlen(PW_TRACK_LABEL_UNSUB2) + 1;

	memcpy(aad, PW_TRACK_LABEL_UNSUB2, n);
	aad[n] = kid;
	return n + 1;
}

/*
 * AES-256-SIV of plain (plen bytes, at least 1) under s: the tag and
 * plen bytes of ciphertext.  0, or -1 when OpenSSL fails.
 */
static int
pw_track_siv_seal(const struct pw_track_keyring *kr,
    const struct pw_track_secret *s, const unsigned char *plain,
    size_t plen, unsigned char tag[PW_TRACK_SIV_TAG], unsigned char *ct)
{
	unsigned char aad[32];
	size_t alen = pw_track_siv_aad(s->id, aad);
	EVP_CIPHER_CTX *ctx;
	int n = 0, fin = 0, ok;

	if (kr->siv == NULL || (ctx = EVP_CIPHER_CTX_new()) == NULL) {
		ERR_clear_error();
		return -1;
	}
	ok = EVP_EncryptInit_ex2(ctx, kr->siv, s->siv, NULL, NULL) == 1 &&
	    EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)alen) == 1 &&
	    EVP_EncryptUpdate(ctx, ct, &n, plain, (int)plen) == 1 &&
	    (size_t)n == plen &&
	    EVP_EncryptFinal_ex(ctx, ct + n, &fin) == 1 && fin == 0 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, PW_TRACK_SIV_TAG,
	    tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		ERR_clear_error();
	return ok ? 0 : -1;
}

/*
 * Open what pw_track_siv_seal made: 0 and clen bytes of plain, or -1
 * when the tag does not match (or OpenSSL fails).
 */
static int
pw_track_siv_open(const struct pw_track_keyring *kr,
    const struct pw_track_secret *s, const unsigned char *tag,
    const unsigned char *ct, size_t clen, unsigned char *plain)
{
	unsigned char aad[32], t[PW_TRACK_SIV_TAG];
	size_t alen = pw_track_siv_aad(s->id, aad);
	EVP_CIPHER_CTX *ctx;
	int n = 0, fin = 0, ok;

	if (kr->siv == NULL || (ctx = EVP_CIPHER_CTX_new()) == NULL) {
		ERR_clear_error();
		return -1;
	}
	memcpy(t, tag, sizeof(t));
	ok = EVP_DecryptInit_ex2(ctx, kr->siv, s->siv, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, PW_TRACK_SIV_TAG,
	    t) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)alen) == 1 &&
	    EVP_DecryptUpdate(ctx, plain, &n, ct, (int)clen) == 1 &&
	    (size_t)n == clen &&
	    EVP_DecryptFinal_ex(ctx, plain + n, &fin) == 1 && fin == 0;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		ERR_clear_error();
		OPENSSL_cleanse(plain, clen);
	}
	return ok ? 0 : -1;
}

int
pw_track_unsub_make(const struct pw_track_keyring *kr, const char *tenant,
    const char *recipient, const char *stream,
    char out[PW_TRACK_TOKEN_MAX + 1], const char **why_r)
{
	const struct pw_track_secret *s = pw_track_keyring_current(kr);
	unsigned char plain[PW_TRACK_PLAIN_MAX], blob[PW_TRACK_BLOB_MAX];
	size_t tlen, rlen, slen, plen, i, o = 0;
	int ret = -1;

	if (s == NULL) {
		*why_r = "no current secret";
		return -1;
	}
	if (!pw_track_valid_tenant(tenant)) {
		*why_r = "not a tenant name";
		return -1;
	}
	if (stream == NULL)
		stream = "";
	tlen = strlen(tenant);
	rlen = strlen(recipient);
	slen = strlen(stream);
	if (!pw_track_valid_stream(stream, slen)) {
		*why_r = "not a stream name (up to 32 of a-z 0-9 _ -)";
		return -1;
	}
	if (rlen > PW_TRACK_RCPT_MAX) {
		*why_r = "recipient longer than 254 bytes";
		return -1;
	}
	memcpy(plain, tenant, tlen);
	plain[tlen] = '\n';
	for (i = 0; i < rlen; i++)
		plain[tlen + 1 + i] =
		    (unsigned char)tolower((unsigned char)recipient[i]);
	if (!pw_track_valid_rcpt((const char *)plain + tlen + 1, rlen)) {
		*why_r = "recipient is not printable ASCII with an @";
		goto out;
	}
	plain[tlen + 1 + rlen] = '\n';
	memcpy(plain + tlen + 2 + rlen, stream, slen);
	plen = tlen + 2 + rlen + slen;
	blob[0] = s->id;
	if (pw_track_siv_seal(kr, s, plain, plen, blob + 1,
	    blob + 1 + PW_TRACK_SIV_TAG) < 0) {
		*why_r = "AES-SIV failed (OpenSSL)";
		goto out;
	}
	out[o++] = '2';
	o += pw_track_b64url_encode(blob, 1 + PW_TRACK_SIV_TAG + plen,
	    out + o);
	out[o] = '\0';
	ret = 0;
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	return ret;
}

/*
 * Split a payload into u: tenant "\n" recipient, and with_stream "\n"
 * stream.  PW_TRACK_OK or PW_TRACK_BAD_FORMAT.
 */
static enum pw_track_result
pw_track_unsub_payload(const unsigned char *p, size_t len, bool with_stream,
    struct pw_track_unsub *u)
{
	const unsigned char *nl = memchr(p, '\n', len), *nl2 = NULL;
	size_t tlen, rlen, slen = 0;

	if (nl == NULL)
		return PW_TRACK_BAD_FORMAT;
	tlen = (size_t)(nl - p);
	rlen = len - tlen - 1;
	if (with_stream) {
		if ((nl2 = memchr(nl + 1, '\n', rlen)) == NULL)
			return PW_TRACK_BAD_FORMAT;
		slen = (size_t)(p + len - nl2 - 1);
		rlen = (size_t)(nl2 - nl - 1);
		if (!pw_track_valid_stream((const char *)nl2 + 1, slen))
			return PW_TRACK_BAD_FORMAT;
	}
	if (!pw_identity_valid_tenant((const char *)p, tlen) ||
	    !pw_track_valid_rcpt((const char *)nl + 1, rlen))
		return PW_TRACK_BAD_FORMAT;
	memcpy(u->tenant, p, tlen);
	u->tenant[tlen] = '\0';
	memcpy(u->recipient, nl + 1, rlen);
	u->recipient[rlen] = '\0';
	if (nl2 != NULL)
		memcpy(u->stream, nl2 + 1, slen);
	u->stream[slen] = '\0';
	return PW_TRACK_OK;
}

/* Version 1: "1" payload "." MAC, under any secret of kr. */
static enum pw_track_result
pw_track_unsub_v1(const struct pw_track_keyring *kr, const char *token,
    size_t len, struct pw_track_unsub *u)
{
	/* Decoding writes up to 2 bytes more than it returns. */
	unsigned char payload[PW_TRACK_PAYLOAD_MAX + 3];
	unsigned char mac[PW_TRACK_HMAC_LEN], h[PW_TRACK_HMAC_LEN];
	enum pw_track_result r, best = PW_TRACK_FORGED;
	const char *dot;
	size_t i, plen, mlen;

	if (len < 1 + 4 + 1 + PW_TRACK_TOKEN_MACB64)
		return PW_TRACK_BAD_LENGTH;
	dot = memchr(token, '.', len);
	if (dot == NULL || memchr(dot + 1, '.', len -
	    (size_t)(dot + 1 - token)) != NULL ||
	    len - (size_t)(dot + 1 - token) != PW_TRACK_TOKEN_MACB64)
		return PW_TRACK_BAD_FORMAT;
	if (pw_track_b64url_decode(token + 1, (size_t)(dot - token - 1),
	    payload, sizeof(payload), &plen) < 0 ||
	    pw_track_b64url_decode(dot + 1, PW_TRACK_TOKEN_MACB64, mac,
	    sizeof(mac), &mlen) < 0 || mlen != PW_TRACK_TOKEN_MACLEN)
		return PW_TRACK_BAD_FORMAT;
	if ((r = pw_track_unsub_payload(payload, plen, false, u)) !=
	    PW_TRACK_OK)
		return r;
	for (i = 0; i < kr->n; i++) {
		if (pw_track_hmac(kr, &kr->s[i], PW_TRACK_LABEL_UNSUB,
		    payload, plen, NULL, 0, h) < 0 ||
		    CRYPTO_memcmp(h, mac, PW_TRACK_TOKEN_MACLEN) != 0)
			continue;
		if (pw_track_keyring_live(kr, &kr->s[i])) {
			u->version = 1;
			u->key_id = kr->s[i].id;
			return PW_TRACK_OK;
		}
		best = PW_TRACK_EXPIRED;
	}
	memset(u, 0, sizeof(*u));
	return best;
}

/* Version 2: "2" base64url(K T C), under the secret K. */
static enum pw_track_result
pw_track_unsub_v2(const struct pw_track_keyring *kr, const char *token,
    size_t len, struct pw_track_unsub *u)
{
	/* Decoding writes up to 2 bytes more than it returns. */
	unsigned char blob[PW_TRACK_BLOB_MAX + 3];
	unsigned char plain[PW_TRACK_PLAIN_MAX];
	const struct pw_track_secret *s;
	enum pw_track_result r;
	size_t blen, clen;

	if (pw_track_b64url_decode(token + 1, len - 1, blob, sizeof(blob),
	    &blen) < 0)
		return PW_TRACK_BAD_FORMAT;
	if (blen < 1 + PW_TRACK_SIV_TAG + 6 || blen > PW_TRACK_BLOB_MAX)
		return PW_TRACK_BAD_LENGTH;
	clen = blen - 1 - PW_TRACK_SIV_TAG;
	if ((s = pw_track_keyring_find(kr, blob[0])) == NULL ||
	    pw_track_siv_open(kr, s, blob + 1, blob + 1 + PW_TRACK_SIV_TAG,
	    clen, plain) < 0)
		return PW_TRACK_FORGED;
	r = pw_track_unsub_payload(plain, clen, true, u);
	OPENSSL_cleanse(plain, sizeof(plain));
	if (r != PW_TRACK_OK)
		return r;
	if (!pw_track_keyring_live(kr, s)) {
		memset(u, 0, sizeof(*u));
		return PW_TRACK_EXPIRED;
	}
	u->version = 2;
	u->key_id = s->id;
	return PW_TRACK_OK;
}

enum pw_track_result
pw_track_unsub_verify(const struct pw_track_keyring *kr, const char *token,
    size_t len, struct pw_track_unsub *u)
{
	size_t i;

	memset(u, 0, sizeof(*u));
	if (len < 2 || len > PW_TRACK_TOKEN_MAX)
		return PW_TRACK_BAD_LENGTH;
	for (i = 0; i < len; i++)
		if (!pw_track_b64url_char(token[i]) && token[i] != '.')
			return PW_TRACK_BAD_CHAR;
	switch (token[0]) {
	case '1':
		return pw_track_unsub_v1(kr, token, len, u);
	case '2':
		if (memchr(token, '.', len) != NULL)
			return PW_TRACK_BAD_CHAR;
		return pw_track_unsub_v2(kr, token, len, u);
	}
	return PW_TRACK_BAD_VERSION;
}

/* --- results -------------------------------------------------------------- */

const char *
pw_track_result_text(enum pw_track_result r)
{
	switch (r) {
	case PW_TRACK_OK:
		return "valid";
	case PW_TRACK_BAD_LENGTH:
		return "wrong length";
	case PW_TRACK_BAD_CHAR:
		return "a character outside its alphabet";
	case PW_TRACK_BAD_FORMAT:
		return "not well formed";
	case PW_TRACK_BAD_VERSION:
		return "unknown version";
	case PW_TRACK_WRONG_TENANT:
		return "tenant tag does not match";
	case PW_TRACK_FORGED:
		return "MAC does not match";
	case PW_TRACK_EXPIRED:
		return "its secret is past its end date";
	}
	return "unknown result";
}

bool
pw_track_result_forged(enum pw_track_result r)
{
	return r == PW_TRACK_WRONG_TENANT || r == PW_TRACK_FORGED ||
	    r == PW_TRACK_EXPIRED;
}
