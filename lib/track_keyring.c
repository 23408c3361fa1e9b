/*
 * track_keyring.c -- the tracking keyring (see track_keyring.h): its
 * file format, loading, rotation and writing.
 *
 * Exports: pw_track_keyring_*.
 *
 * Ownership: a struct pw_track_keyring owns its secrets' bytes, their
 * derived keys and the fetched EVP_MAC/EVP_CIPHER; pw_track_keyring_free
 * wipes and frees all of it.  Failures: every error says where (file and
 * line) and why, never what a secret is.  Security: the file's bytes
 * are wiped after parsing; hex and dates are checked strictly, so one
 * file has one meaning.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "secret_file.h"
#include "track_keyring.h"
#include "xmalloc.h"

#define PW_TRACK_HKDF_SALT	"postwarden-keyring"
#define PW_TRACK_HKDF_INFO	"postwarden-unsub-siv"
#define PW_TRACK_NEW_SECRET	32	/* bytes of a rotated-in secret */

int
pw_track_keyring_init(struct pw_track_keyring *kr, const char **why_r)
{
	memset(kr, 0, sizeof(*kr));
	if ((kr->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
		ERR_clear_error();
		*why_r = "OpenSSL has no HMAC";
		return -1;
	}
	if ((kr->siv = EVP_CIPHER_fetch(NULL, "AES-256-SIV", NULL)) == NULL) {
		ERR_clear_error();
		EVP_MAC_free(kr->mac);
		kr->mac = NULL;
		*why_r = "OpenSSL has no AES-256-SIV";
		return -1;
	}
	return 0;
}

void
pw_track_keyring_free(struct pw_track_keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->n; i++) {
		if (kr->s[i].key != NULL) {
			OPENSSL_cleanse(kr->s[i].key, kr->s[i].len);
			free(kr->s[i].key);
		}
	}
	EVP_MAC_free(kr->mac);
	EVP_CIPHER_free(kr->siv);
	OPENSSL_cleanse(kr, sizeof(*kr));
	memset(kr, 0, sizeof(*kr));
}

/* HKDF-SHA256 of key into the AES-256-SIV key; 0, or -1. */
static int
pw_track_keyring_derive(const unsigned char *key, size_t len,
    unsigned char out[PW_TRACK_SIV_KEY])
{
	OSSL_PARAM p[5];
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx = NULL;
	int ok = 0;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) != NULL &&
	    (ctx = EVP_KDF_CTX_new(kdf)) != NULL) {
		p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
		    (char *)"SHA256", 0);
		p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
		    (void *)key, len);
		p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)PW_TRACK_HKDF_SALT, strlen(PW_TRACK_HKDF_SALT));
		p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		    (void *)PW_TRACK_HKDF_INFO, strlen(PW_TRACK_HKDF_INFO));
		p[4] = OSSL_PARAM_construct_end();
		ok = EVP_KDF_derive(ctx, out, PW_TRACK_SIV_KEY, p) == 1;
	}
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	if (!ok)
		ERR_clear_error();
	return ok ? 0 : -1;
}

int
pw_track_keyring_add(struct pw_track_keyring *kr, unsigned id, time_t until,
    const void *key, size_t len, const char **why_r)
{
	struct pw_track_secret *s;

	if (id > 255) {
		*why_r = "a secret's id is 0 to 255";
		return -1;
	}
	if (len < PW_TRACK_SECRET_MIN || len > PW_TRACK_SECRET_MAX) {
		*why_r = len < PW_TRACK_SECRET_MIN ?
		    "secret shorter than 32 bytes" :
		    "secret longer than 4096 bytes";
		return -1;
	}
	if (pw_track_keyring_find(kr, id) != NULL) {
		*why_r = "two secrets with the same id";
		return -1;
	}
	if (until == 0 && pw_track_keyring_current(kr) != NULL) {
		*why_r = "two current secrets (one only; the others have an "
		    "end date)";
		return -1;
	}
	if (kr->n == PW_TRACK_KEYRING_MAX) {
		*why_r = "more than 32 secrets";
		return -1;
	}
	s = &kr->s[kr->n];
	memset(s, 0, sizeof(*s));
	if (pw_track_keyring_derive(key, len, s->siv) < 0) {
		*why_r = "HKDF failed (OpenSSL)";
		return -1;
	}
	s->id = (uint8_t)id;
	s->until = until;
	s->current = until == 0;
	s->key = pw_xmalloc(len);
	memcpy(s->key, key, len);
	s->len = len;
	kr->n++;
	return 0;
}

const struct pw_track_secret *
pw_track_keyring_current(const struct pw_track_keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		if (kr->s[i].current)
			return &kr->s[i];
	return NULL;
}

const struct pw_track_secret *
pw_track_keyring_find(const struct pw_track_keyring *kr, unsigned id)
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		if (kr->s[i].id == id)
			return &kr->s[i];
	return NULL;
}

bool
pw_track_keyring_live(const struct pw_track_keyring *kr,
    const struct pw_track_secret *s)
{
	time_t now = kr->now != 0 ? kr->now : time(NULL);

	return s->current || now < s->until;
}

void
pw_track_keyring_time(time_t t, char buf[PW_TRACK_UNTIL_LEN + 1])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, PW_TRACK_UNTIL_LEN + 1, "%Y-%m-%dT%H:%M:%SZ",
	    &tm) != PW_TRACK_UNTIL_LEN)
		snprintf(buf, PW_TRACK_UNTIL_LEN + 1, "1970-01-01T00:00:00Z");
}

/* --- parsing -------------------------------------------------------------- */

/* An end date YYYY-MM-DDTHH:MM:SSZ, after 1970; 0 and *t_r, or -1. */
static int
pw_track_keyring_date(const char *s, size_t len, time_t *t_r)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	char again[PW_TRACK_UNTIL_LEN + 1];
	struct tm tm;
	time_t t;
	size_t i;

	if (len != PW_TRACK_UNTIL_LEN)
		return -1;
	for (i = 0; i < len; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != shape[i])
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if ((t = timegm(&tm)) <= 0)
		return -1;
	/* 2026-02-30 or 25:00 would normalise to another date. */
	pw_track_keyring_time(t, again);
	if (memcmp(again, s, len) != 0)
		return -1;
	*t_r = t;
	return 0;
}

static int
pw_track_keyring_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * One line "ID UNTIL SECRET" (without its newline) into kr.  0, or -1
 * with a static *why_r.
 */
static int
pw_track_keyring_line(struct pw_track_keyring *kr, const char *line,
    size_t len, const char **why_r)
{
	unsigned char key[PW_TRACK_SECRET_MAX];
	const char *f[3];
	size_t flen[3], i = 0, nf = 0, k;
	unsigned id = 0;
	time_t until = 0;
	int hi, lo, ret = -1;

	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (nf == 3) {
			*why_r = "more than three fields (ID UNTIL SECRET)";
			return -1;
		}
		f[nf] = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		flen[nf] = (size_t)(line + i - f[nf]);
		nf++;
	}
	if (nf != 3) {
		*why_r = "expected three fields: ID UNTIL SECRET";
		return -1;
	}
	if (flen[0] > 3 || (flen[0] > 1 && f[0][0] == '0')) {
		*why_r = "the id is a number 0 to 255";
		return -1;
	}
	for (k = 0; k < flen[0]; k++) {
		if (!isdigit((unsigned char)f[0][k])) {
			*why_r = "the id is a number 0 to 255";
			return -1;
		}
		id = id * 10 + (unsigned)(f[0][k] - '0');
	}
	if (!(flen[1] == 7 && memcmp(f[1], "current", 7) == 0) &&
	    pw_track_keyring_date(f[1], flen[1], &until) < 0) {
		*why_r = "the end date is \"current\" or "
		    "YYYY-MM-DDTHH:MM:SSZ (UTC)";
		return -1;
	}
	if (flen[2] % 2 != 0 || flen[2] / 2 < PW_TRACK_SECRET_MIN ||
	    flen[2] / 2 > PW_TRACK_SECRET_MAX) {
		*why_r = "the secret is 64 to 8192 hex digits (32 to 4096 "
		    "bytes)";
		return -1;
	}
	for (k = 0; k < flen[2] / 2; k++) {
		if ((hi = pw_track_keyring_hexval((unsigned char)f[2][2 * k]))
		    < 0 || (lo = pw_track_keyring_hexval(
		    (unsigned char)f[2][2 * k + 1])) < 0) {
			*why_r = "the secret is hex digits";
			goto out;
		}
		key[k] = (unsigned char)(hi << 4 | lo);
	}
	ret = pw_track_keyring_add(kr, id, until, key, flen[2] / 2, why_r);
out:
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

/* The keyring format, after its magic line. */
static int
pw_track_keyring_lines(struct pw_track_keyring *kr, const char *text,
    size_t len, const char *name, char *err, size_t errsize)
{
	const char *p = text, *end = text + len, *nl;
	const char *why;
	size_t linelen, lineno = 0, i;	/* the magic line ends the first */

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		linelen = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if (linelen > 0 && p[linelen - 1] == '\r')
			linelen--;
		for (i = 0; i < linelen && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		if (i < linelen && p[i] != '#' &&
		    pw_track_keyring_line(kr, p, linelen, &why) < 0) {
			snprintf(err, errsize, "%s:%zu: %s", name, lineno,
			    why);
			return -1;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (pw_track_keyring_current(kr) == NULL) {
		snprintf(err, errsize, "%s: no current secret (one line has "
		    "\"current\" as its end date)", name);
		return -1;
	}
	return 0;
}

int
pw_track_keyring_parse(const char *text, size_t len, const char *name,
    struct pw_track_keyring *kr, char *err, size_t errsize)
{
	size_t mlen = strlen(PW_TRACK_KEYRING_MAGIC);
	const char *why;

	if (pw_track_keyring_init(kr, &why) < 0) {
		snprintf(err, errsize, "%s: %s", name, why);
		return -1;
	}
	if (len >= mlen && memcmp(text, PW_TRACK_KEYRING_MAGIC, mlen) == 0 &&
	    (len == mlen || text[mlen] == '\n' || text[mlen] == '\r')) {
		if (pw_track_keyring_lines(kr, text + mlen, len - mlen, name,
		    err, errsize) < 0)
			goto fail;
		return 0;
	}
	/* One secret, as tracking_secret_file held before keyrings. */
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len < PW_TRACK_SECRET_MIN) {
		snprintf(err, errsize, "%s: tracking secret of %zu bytes; at "
		    "least %d are needed (make a keyring with: postwarden "
		    "secret rotate %s)", name, len, PW_TRACK_SECRET_MIN, name);
		goto fail;
	}
	if (pw_track_keyring_add(kr, 0, 0, text, len, &why) < 0) {
		snprintf(err, errsize, "%s: %s", name, why);
		goto fail;
	}
	kr->legacy = true;
	return 0;
fail:
	pw_track_keyring_free(kr);
	return -1;
}

int
pw_track_keyring_load(const char *path, bool mode_check,
    struct pw_track_keyring *kr, char *err, size_t errsize)
{
	char *buf;
	size_t len;
	int ret = -1;

	memset(kr, 0, sizeof(*kr));
	if (path == NULL || *path == '\0') {
		snprintf(err, errsize, "tracking_secret_file is not set");
		return -1;
	}
	buf = pw_xmalloc(PW_TRACK_FILE_MAX + 1);
	if (pw_secret_file_read(path, mode_check, "tracking secret", buf,
	    PW_TRACK_FILE_MAX, &len, err, errsize) == 0)
		ret = pw_track_keyring_parse(buf, len, path, kr, err, errsize);
	OPENSSL_cleanse(buf, PW_TRACK_FILE_MAX + 1);
	free(buf);
	return ret;
}

/* --- rotation and writing ------------------------------------------------- */

int
pw_track_keyring_rotate(struct pw_track_keyring *kr, time_t now,
    time_t grace, unsigned *new_id_r, const char **why_r)
{
	unsigned char key[PW_TRACK_NEW_SECRET];
	struct pw_track_secret *s;
	size_t i, o, keep = 0;
	unsigned id, top = 0;
	int ret;

	if (grace < 0) {
		*why_r = "a negative verify period";
		return -1;
	}
	for (i = 0; i < kr->n; i++) {
		if ((kr->s[i].current && grace > 0) || kr->s[i].until > now)
			keep++;
		if (kr->s[i].id >= top)
			top = kr->s[i].id;
	}
	if (keep >= PW_TRACK_KEYRING_MAX) {
		*why_r = "the keyring is full (32 secrets still verify)";
		return -1;
	}
	/* The next id after the highest, skipping ids in use. */
	for (id = (top + 1) % 256; pw_track_keyring_find(kr, id) != NULL;
	    id = (id + 1) % 256)
		;	/* ends: at most 32 of the 256 ids are in use */
	if (RAND_bytes(key, sizeof(key)) != 1) {
		ERR_clear_error();
		*why_r = "no random bytes (OpenSSL)";
		return -1;
	}
	/*
	 * The current one gets its end date (now with no verify period:
	 * it goes at once), then what no longer verifies is dropped.
	 */
	for (i = 0, o = 0; i < kr->n; i++) {
		s = &kr->s[i];
		if (s->current) {
			s->current = false;
			s->until = now + grace;
		}
		if (s->until <= now) {
			OPENSSL_cleanse(s->key, s->len);
			free(s->key);
			OPENSSL_cleanse(s, sizeof(*s));
			continue;
		}
		if (o != i) {
			kr->s[o] = *s;
			memset(s, 0, sizeof(*s));
		}
		o++;
	}
	kr->n = o;
	ret = pw_track_keyring_add(kr, id, 0, key, sizeof(key), why_r);
	OPENSSL_cleanse(key, sizeof(key));
	if (ret == 0) {
		kr->legacy = false;
		*new_id_r = id;
	}
	return ret;
}

int
pw_track_keyring_format(const struct pw_track_keyring *kr, char *out,
    size_t size, size_t *len_r)
{
	static const char hex[] = "0123456789abcdef";
	char until[PW_TRACK_UNTIL_LEN + 1];
	const struct pw_track_secret *s;
	size_t i, k, o;
	int n, pass;

	n = snprintf(out, size, "%s\n# The tracking keyring: see "
	    "postwarden.conf(5), tracking_secret_file.\n# ID UNTIL SECRET "
	    "(hex); the current secret first.\n", PW_TRACK_KEYRING_MAGIC);
	if (n < 0 || (size_t)n >= size)
		return -1;
	o = (size_t)n;
	/* The current one first, then the others as they are. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < kr->n; i++) {
			s = &kr->s[i];
			if (s->current != (pass == 0))
				continue;
			if (s->current)
				snprintf(until, sizeof(until), "current");
			else
				pw_track_keyring_time(s->until, until);
			n = snprintf(out + o, size - o, "%u %s ", s->id,
			    until);
			/* @UNSAFE: the hex and the newline must fit too. */
			if (n < 0 || (size_t)n >= size - o ||
			    size - o - (size_t)n < s->len * 2 + 2)
				return -1;
			o += (size_t)n;
			for (k = 0; k < s->len; k++) {
				out[o++] = hex[s->key[k] >> 4];
				out[o++] = hex[s->key[k] & 15];
			}
			out[o++] = '\n';
			out[o] = '\0';
		}
	}
	*len_r = o;
	return 0;
}
