/*
 * track.c -- tracking ids and unsubscribe tokens (see track.h).
 *
 * Exports: pw_track_secret_*, pw_track_id_*, pw_track_unsub_*,
 * pw_track_result_text/_forged.
 *
 * Every MAC is HMAC-SHA256 by OpenSSL's EVP_MAC, over a label with its
 * NUL (so that an id's MAC can never stand in for a tag or a token's)
 * followed by the data; it is truncated and compared with CRYPTO_memcmp.
 * Base64 is OpenSSL's, translated to the URL alphabet; base32 is the
 * few lines below (no crypto in it).
 *
 * Ownership: a struct pw_track_secret owns its key bytes and EVP_MAC.
 * Failures: loading reports "path: why"; decoders report an enum
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

#include "secret_file.h"
#include "track.h"
#include "xmalloc.h"

#define PW_TRACK_HMAC_LEN	32
#define PW_TRACK_TAG_OFF	6
#define PW_TRACK_TAG_LEN	4
#define PW_TRACK_RAND_OFF	10
#define PW_TRACK_RAND_LEN	8
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

/* Crockford's base32 alphabet, lower case: it sorts in ASCII order. */
static const char pw_track_b32[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* --- the secret ----------------------------------------------------------- */

int
pw_track_secret_set(struct pw_track_secret *s, const void *key, size_t len,
    const char **why_r)
{
	memset(s, 0, sizeof(*s));
	if (len < PW_TRACK_SECRET_MIN || len > PW_TRACK_SECRET_MAX) {
		*why_r = len < PW_TRACK_SECRET_MIN ?
		    "secret shorter than 32 bytes" :
		    "secret longer than 4096 bytes";
		return -1;
	}
	if ((s->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
		ERR_clear_error();
		*why_r = "OpenSSL has no HMAC";
		return -1;
	}
	s->key = pw_xmalloc(len);
	memcpy(s->key, key, len);
	s->len = len;
	return 0;
}

void
pw_track_secret_free(struct pw_track_secret *s)
{
	if (s->key != NULL) {
		OPENSSL_cleanse(s->key, s->len);
		free(s->key);
	}
	EVP_MAC_free(s->mac);
	memset(s, 0, sizeof(*s));
}

int
pw_track_secret_load(const char *path, bool mode_check,
    struct pw_track_secret *s, char *err, size_t errsize)
{
	char buf[PW_TRACK_SECRET_MAX + 1];
	const char *why;
	size_t len;
	int ret = -1;

	memset(s, 0, sizeof(*s));
	if (path == NULL || *path == '\0') {
		snprintf(err, errsize, "tracking_secret_file is not set");
		return -1;
	}
	if (pw_secret_file_read(path, mode_check, "tracking secret", buf,
	    PW_TRACK_SECRET_MAX, &len, err, errsize) < 0)
		goto out;
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	if (len < PW_TRACK_SECRET_MIN) {
		snprintf(err, errsize, "%s: tracking secret of %zu bytes; at "
		    "least %d are needed (make one with: openssl rand -hex "
		    "32)", path, len, PW_TRACK_SECRET_MIN);
		goto out;
	}
	if (pw_track_secret_set(s, buf, (size_t)len, &why) < 0) {
		snprintf(err, errsize, "%s: %s", path, why);
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}

/*
 * HMAC-SHA256(secret, label "\0" a b) into out.  0, or -1 when OpenSSL
 * fails (callers then refuse what they were checking).
 */
static int
pw_track_hmac(const struct pw_track_secret *s, const char *label,
    const void *a, size_t alen, const void *b, size_t blen,
    unsigned char out[PW_TRACK_HMAC_LEN])
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	size_t outlen = 0;
	int ok;

	if (s->mac == NULL || (ctx = EVP_MAC_CTX_new(s->mac)) == NULL) {
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
pw_track_tag(const struct pw_track_secret *s, const char *tenant,
    unsigned char tag[PW_TRACK_TAG_LEN])
{
	unsigned char h[PW_TRACK_HMAC_LEN];

	if (pw_track_hmac(s, PW_TRACK_LABEL_TAG, tenant, strlen(tenant),
	    NULL, 0, h) < 0)
		return -1;
	memcpy(tag, h, PW_TRACK_TAG_LEN);
	return 0;
}

/* The 8-byte MAC of an id's first 18 bytes for tenant; 0, or -1. */
static int
pw_track_id_mac(const struct pw_track_secret *s, const unsigned char *raw,
    const char *tenant, unsigned char mac[PW_TRACK_MAC_LEN])
{
	unsigned char h[PW_TRACK_HMAC_LEN];

	if (pw_track_hmac(s, PW_TRACK_LABEL_ID, raw, PW_TRACK_MAC_OFF, tenant,
	    strlen(tenant), h) < 0)
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
pw_track_id_make(const struct pw_track_secret *s, const char *tenant,
    uint64_t now_ms, char out[PW_TRACK_ID_LEN + 1])
{
	unsigned char raw[PW_TRACK_ID_RAW];
	int i;

	if (!pw_track_valid_tenant(tenant) || now_ms > PW_TRACK_TIME_MAX)
		return -1;
	for (i = 0; i < 6; i++)
		raw[i] = (unsigned char)(now_ms >> (8 * (5 - i)));
	if (pw_track_tag(s, tenant, raw + PW_TRACK_TAG_OFF) < 0)
		return -1;
	if (RAND_bytes(raw + PW_TRACK_RAND_OFF, PW_TRACK_RAND_LEN) != 1) {
		ERR_clear_error();
		return -1;
	}
	if (pw_track_id_mac(s, raw, tenant, raw + PW_TRACK_MAC_OFF) < 0)
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

bool
pw_track_id_tag_matches(const struct pw_track_secret *s,
    const struct pw_track_id *d, const char *tenant)
{
	unsigned char tag[PW_TRACK_TAG_LEN];

	return pw_track_valid_tenant(tenant) &&
	    pw_track_tag(s, tenant, tag) == 0 &&
	    CRYPTO_memcmp(tag, d->raw + PW_TRACK_TAG_OFF,
	    PW_TRACK_TAG_LEN) == 0;
}

enum pw_track_result
pw_track_id_check(const struct pw_track_secret *s,
    const struct pw_track_id *d, const char *tenant)
{
	unsigned char mac[PW_TRACK_MAC_LEN];

	if (!pw_track_id_tag_matches(s, d, tenant))
		return PW_TRACK_WRONG_TENANT;
	if (pw_track_id_mac(s, d->raw, tenant, mac) < 0 ||
	    CRYPTO_memcmp(mac, d->raw + PW_TRACK_MAC_OFF,
	    PW_TRACK_MAC_LEN) != 0)
		return PW_TRACK_FORGED;
	return PW_TRACK_OK;
}

enum pw_track_result
pw_track_id_verify(const struct pw_track_secret *s, const char *id,
    size_t len, const char *tenant, uint64_t *time_ms_r)
{
	struct pw_track_id d;
	enum pw_track_result r;

	if ((r = pw_track_id_decode(id, len, &d)) != PW_TRACK_OK ||
	    (r = pw_track_id_check(s, &d, tenant)) != PW_TRACK_OK)
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

int
pw_track_unsub_make(const struct pw_track_secret *s, const char *tenant,
    const char *recipient, char out[PW_TRACK_TOKEN_MAX + 1],
    const char **why_r)
{
	unsigned char payload[PW_TRACK_PAYLOAD_MAX], h[PW_TRACK_HMAC_LEN];
	size_t tlen, rlen, plen, i, o = 0;

	if (!pw_track_valid_tenant(tenant)) {
		*why_r = "not a tenant name";
		return -1;
	}
	tlen = strlen(tenant);
	rlen = strlen(recipient);
	if (rlen > PW_TRACK_RCPT_MAX) {
		*why_r = "recipient longer than 254 bytes";
		return -1;
	}
	memcpy(payload, tenant, tlen);
	payload[tlen] = '\n';
	for (i = 0; i < rlen; i++)
		payload[tlen + 1 + i] =
		    (unsigned char)tolower((unsigned char)recipient[i]);
	plen = tlen + 1 + rlen;
	if (!pw_track_valid_rcpt((const char *)payload + tlen + 1, rlen)) {
		*why_r = "recipient is not printable ASCII with an @";
		return -1;
	}
	if (pw_track_hmac(s, PW_TRACK_LABEL_UNSUB, payload, plen, NULL, 0,
	    h) < 0) {
		*why_r = "HMAC failed (OpenSSL)";
		return -1;
	}
	out[o++] = '1';
	o += pw_track_b64url_encode(payload, plen, out + o);
	out[o++] = '.';
	o += pw_track_b64url_encode(h, PW_TRACK_TOKEN_MACLEN, out + o);
	out[o] = '\0';
	return 0;
}

/* Split a payload into u; PW_TRACK_OK or PW_TRACK_BAD_FORMAT. */
static enum pw_track_result
pw_track_unsub_payload(const unsigned char *p, size_t len,
    struct pw_track_unsub *u)
{
	const unsigned char *nl = memchr(p, '\n', len);
	size_t tlen, rlen;

	if (nl == NULL)
		return PW_TRACK_BAD_FORMAT;
	tlen = (size_t)(nl - p);
	rlen = len - tlen - 1;
	if (!pw_identity_valid_tenant((const char *)p, tlen) ||
	    !pw_track_valid_rcpt((const char *)nl + 1, rlen))
		return PW_TRACK_BAD_FORMAT;
	memcpy(u->tenant, p, tlen);
	u->tenant[tlen] = '\0';
	memcpy(u->recipient, nl + 1, rlen);
	u->recipient[rlen] = '\0';
	return PW_TRACK_OK;
}

enum pw_track_result
pw_track_unsub_verify(const struct pw_track_secret *s, const char *token,
    size_t len, struct pw_track_unsub *u)
{
	/* Decoding writes up to 2 bytes more than it returns. */
	unsigned char payload[PW_TRACK_PAYLOAD_MAX + 3];
	unsigned char mac[PW_TRACK_HMAC_LEN], h[PW_TRACK_HMAC_LEN];
	const char *dot;
	size_t i, plen, mlen;
	enum pw_track_result r;

	memset(u, 0, sizeof(*u));
	if (len < 1 + 4 + 1 + PW_TRACK_TOKEN_MACB64 ||
	    len > PW_TRACK_TOKEN_MAX)
		return PW_TRACK_BAD_LENGTH;
	for (i = 0; i < len; i++)
		if (!pw_track_b64url_char(token[i]) && token[i] != '.')
			return PW_TRACK_BAD_CHAR;
	if (token[0] != '1')
		return PW_TRACK_BAD_VERSION;
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
	if ((r = pw_track_unsub_payload(payload, plen, u)) != PW_TRACK_OK)
		return r;
	if (pw_track_hmac(s, PW_TRACK_LABEL_UNSUB, payload, plen, NULL, 0,
	    h) < 0 || CRYPTO_memcmp(h, mac, PW_TRACK_TOKEN_MACLEN) != 0) {
		memset(u, 0, sizeof(*u));
		return PW_TRACK_FORGED;
	}
	return PW_TRACK_OK;
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
	}
	return "unknown result";
}

bool
pw_track_result_forged(enum pw_track_result r)
{
	return r == PW_TRACK_WRONG_TENANT || r == PW_TRACK_FORGED;
}
