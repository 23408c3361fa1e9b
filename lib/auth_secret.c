/*
 * auth_secret.c -- API key secrets: tokens made and taken apart, the
 * keyed hash Redis stores, the pepper file (formats in auth_secret.h).
 *
 * Exports: pw_auth_pepper_load, pw_auth_pepper_wipe, pw_auth_secret_new,
 * pw_auth_token_parse, pw_auth_secret_hash, pw_auth_token_wipe.
 *
 * Threads: no state of its own; a loaded pepper is only read, so any
 * thread may hash with it.
 * Failures: the pepper loader says why in the caller's buffer (path and
 * reason, never the file's bytes); the token parser returns a verdict
 * and reads no byte past len; making a secret fails only on a bad key id
 * or when the RNG does.
 * Security: the secret's random bytes, the pepper file's text and the
 * HMAC input are wiped (OPENSSL_cleanse); a token or secret is never
 * put in an error text.  The hash is HMAC-SHA256 under the pepper, over
 * a label and NUL-separated parts (the key id may not hold NUL), so no
 * two (key id, sid, secret) give the same message.
 */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth_secret.h"
#include "identity.h"
#include "secret_file.h"

#define PW_AUTH_TOKEN_PREFIX	"pw1."
#define PW_AUTH_HASH_LABEL	"postwarden api secret v1"
#define PW_AUTH_ID_LABEL	"postwarden pepper id"
#define PW_AUTH_HASH_VERSION	"v1"
#define PW_AUTH_PEPPERFILE_MAX	256	/* 64 hex digits and white space */
#define PW_AUTH_SECRET_BYTES	32
/* secret and check: the token's fixed tail after the last dot. */
#define PW_AUTH_TAIL_LEN	(PW_AUTH_SECRET_LEN + PW_AUTH_CHECK_LEN)

static const char pw_auth_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * The first nchars * 6 bits of in (which holds at least that many bits,
 * rounded up to bytes) as base64url characters, most significant first;
 * out gets nchars characters and a NUL.
 */
static void
pw_auth_b64url_bits(const unsigned char *in, size_t nchars, char *out)
{
	size_t i, bit, byte;
	unsigned v;

	for (i = 0; i < nchars; i++) {
		bit = i * 6;
		byte = bit / 8;
		/* Two bytes hold any 6 bits; past the end read zeros. */
		v = (unsigned)in[byte] << 8;
		if ((bit + 6 + 7) / 8 > byte + 1)
			v |= in[byte + 1];
		out[i] = pw_auth_b64url[(v >> (10 - bit % 8)) & 0x3f];
	}
	out[nchars] = '\0';
}

/* Is c in the base64url alphabet? */
static int
pw_auth_is_b64url(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The check of the len bytes s (everything before it) into check. */
static int
pw_auth_check(const char *s, size_t len, char check[PW_AUTH_CHECK_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < 5)
		return -1;
	pw_auth_b64url_bits(md, PW_AUTH_CHECK_LEN, check);
	return 0;
}

int
pw_auth_pepper_load(struct pw_auth_pepper *p, const char *path,
    bool mode_check, char *err, size_t errsize)
{
	char buf[PW_AUTH_PEPPERFILE_MAX + 1];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t len, i;
	int ret = -1;

	pw_auth_pepper_wipe(p);
	if (path == NULL || *path == '\0') {
		snprintf(err, errsize, "auth_pepper_file is not set");
		return -1;
	}
	if (pw_secret_file_read(path, mode_check, "pepper", buf,
	    PW_AUTH_PEPPERFILE_MAX, &len, err, errsize) < 0)
		goto out;
	if (pw_secret_file_hex(buf, len, p->bytes, PW_AUTH_PEPPER_LEN) < 0) {
		snprintf(err, errsize, "%s: a pepper file holds 64 hexadecimal "
		    "digits (32 bytes; make one with: postwarden auth "
		    "pepper-generate FILE)", path);
		goto out;
	}
	if (HMAC(EVP_sha256(), p->bytes, PW_AUTH_PEPPER_LEN,
	    (const unsigned char *)PW_AUTH_ID_LABEL, strlen(PW_AUTH_ID_LABEL),
	    mac, &maclen) == NULL || maclen < PW_AUTH_PEPPER_ID_LEN / 2) {
		snprintf(err, errsize, "%s: cannot derive the pepper id "
		    "(OpenSSL)", path);
		goto out;
	}
	for (i = 0; i < PW_AUTH_PEPPER_ID_LEN / 2; i++)
		snprintf(p->id + 2 * i, 3, "%02x", mac[i]);
	ret = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(mac, sizeof(mac));
	if (ret < 0)
		pw_auth_pepper_wipe(p);
	return ret;
}

void
pw_auth_pepper_wipe(struct pw_auth_pepper *p)
{
	OPENSSL_cleanse(p, sizeof(*p));
}

/* HMAC of label NUL keyid NUL sid NUL secret under the pepper into hash. */
static int
pw_auth_hash_parts(const struct pw_auth_pepper *p, const char *keyid,
    const char *sid, const char *secret, char *hash)
{
	static const char digits[] = "0123456789abcdef";
	const char *parts[4] = { PW_AUTH_HASH_LABEL, keyid, sid, secret };
	unsigned char msg[sizeof(PW_AUTH_HASH_LABEL) + PW_AUTH_KEYID_MAX + 1 +
	    PW_AUTH_SID_LEN + 1 + PW_AUTH_SECRET_LEN];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t i, n, len;
	char *o;
	int ret = -1;

	len = 0;
	for (i = 0; i < 4; i++) {
		n = strlen(parts[i]) + (i < 3);	/* NUL after all but the last */
		if (n > sizeof(msg) - len)
			goto out;
		memcpy(msg + len, parts[i], n);
		len += n;
	}
	if (HMAC(EVP_sha256(), p->bytes, PW_AUTH_PEPPER_LEN, msg, len, mac,
	    &maclen) == NULL || maclen != 32)
		goto out;
	o = hash;
	memcpy(o, PW_AUTH_HASH_VERSION ":", 3);
	o += 3;
	memcpy(o, p->id, PW_AUTH_PEPPER_ID_LEN);
	o += PW_AUTH_PEPPER_ID_LEN;
	*o++ = ':';
	for (i = 0; i < 32; i++) {
		*o++ = digits[mac[i] >> 4];
		*o++ = digits[mac[i] & 0xf];
	}
	*o = '\0';
	ret = 0;
out:
	OPENSSL_cleanse(msg, sizeof(msg));
	OPENSSL_cleanse(mac, sizeof(mac));
	return ret;
}

void
pw_auth_secret_hash(const struct pw_auth_pepper *p,
    const struct pw_auth_token *t, char *hash)
{
	/* Only an OpenSSL failure: a hash no stored one can equal. */
	if (pw_auth_hash_parts(p, t->keyid, t->sid, t->secret, hash) < 0)
		snprintf(hash, PW_AUTH_HASH_MAX, "error");
}

int
pw_auth_secret_new(const struct pw_auth_pepper *p, const char *keyid,
    char *token, char *sid, char *hash)
{
	unsigned char raw[PW_AUTH_SECRET_BYTES + 1], sidraw[4];
	char secret[PW_AUTH_SECRET_LEN + 1], check[PW_AUTH_CHECK_LEN + 1];
	size_t klen = strlen(keyid), len;
	int ret = -1;

	if (klen > PW_AUTH_KEYID_MAX || !pw_identity_valid_key(keyid, klen))
		return -1;
	if (RAND_bytes(raw, PW_AUTH_SECRET_BYTES) != 1 ||
	    RAND_bytes(sidraw, sizeof(sidraw)) != 1)
		goto out;
	raw[PW_AUTH_SECRET_BYTES] = 0;	/* the last character's low bits */
	pw_auth_b64url_bits(raw, PW_AUTH_SECRET_LEN, secret);
	snprintf(sid, PW_AUTH_SID_LEN + 1, "%02x%02x%02x%02x", sidraw[0],
	    sidraw[1], sidraw[2], sidraw[3]);
	len = (size_t)snprintf(token, PW_AUTH_TOKEN_MAX,
	    PW_AUTH_TOKEN_PREFIX "%s.%s.%s", keyid, sid, secret);
	if (pw_auth_check(token, len, check) < 0 ||
	    pw_auth_hash_parts(p, keyid, sid, secret, hash) < 0) {
		OPENSSL_cleanse(token, PW_AUTH_TOKEN_MAX);
		goto out;
	}
	memcpy(token + len, check, PW_AUTH_CHECK_LEN + 1);
	ret = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(secret, sizeof(secret));
	return ret;
}

enum pw_auth_token_result
pw_auth_token_parse(const char *s, size_t len, struct pw_auth_token *t)
{
	const size_t plen = strlen(PW_AUTH_TOKEN_PREFIX);
	char check[PW_AUTH_CHECK_LEN + 1];
	const char *tail, *sid;
	size_t klen, i;

	memset(t, 0, sizeof(*t));
	/* prefix, a key id of 1 byte or more, ".", sid, ".", the tail */
	if (len < plen + 1 + 1 + PW_AUTH_SID_LEN + 1 + PW_AUTH_TAIL_LEN ||
	    len > PW_AUTH_TOKEN_MAX - 1 ||
	    memcmp(s, PW_AUTH_TOKEN_PREFIX, plen) != 0)
		return PW_AUTH_TOKEN_MALFORMED;
	tail = s + len - PW_AUTH_TAIL_LEN;
	sid = tail - 1 - PW_AUTH_SID_LEN;
	if (tail[-1] != '.' || sid[-1] != '.')
		return PW_AUTH_TOKEN_MALFORMED;
	for (i = 0; i < PW_AUTH_TAIL_LEN; i++)
		if (!pw_auth_is_b64url((unsigned char)tail[i]))
			return PW_AUTH_TOKEN_MALFORMED;
	for (i = 0; i < PW_AUTH_SID_LEN; i++)
		if (!((sid[i] >= '0' && sid[i] <= '9') ||
		    (sid[i] >= 'a' && sid[i] <= 'f')))
			return PW_AUTH_TOKEN_MALFORMED;
	klen = (size_t)(sid - 1 - (s + plen));
	if (klen > PW_AUTH_KEYID_MAX || !pw_identity_valid_key(s + plen, klen))
		return PW_AUTH_TOKEN_MALFORMED;
	if (pw_auth_check(s, len - PW_AUTH_CHECK_LEN, check) < 0 ||
	    CRYPTO_memcmp(check, tail + PW_AUTH_SECRET_LEN,
	    PW_AUTH_CHECK_LEN) != 0)
		return PW_AUTH_TOKEN_TYPO;
	memcpy(t->keyid, s + plen, klen);
	t->keyid[klen] = '\0';
	memcpy(t->sid, sid, PW_AUTH_SID_LEN);
	t->sid[PW_AUTH_SID_LEN] = '\0';
	memcpy(t->secret, tail, PW_AUTH_SECRET_LEN);
	t->secret[PW_AUTH_SECRET_LEN] = '\0';
	return PW_AUTH_TOKEN_OK;
}

void
pw_auth_token_wipe(struct pw_auth_token *t)
{
	OPENSSL_cleanse(t, sizeof(*t));
}
