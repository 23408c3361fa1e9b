/*
 * dkim_keys.c -- DKIM private keys, key table and signing table (see
 * dkim_keys.h).
 *
 * Exports: pw_dkim_key_load/_generate/_txt/_alg, pw_dkim_keyset_*,
 * pw_dkim_alg_name/_parse, pw_dkim_valid_domain.
 *
 * The signing table is kept as one array sorted by pattern text
 * ("example.com", "*.example.com", "tenant:acme"), so a lookup is a few
 * binary searches and never takes a lock.
 *
 * Ownership: the key set owns its keys (EVP_PKEY) and strings; a key
 * file's bytes live in a local buffer that is wiped before it is freed.
 * Failures: the first bad line or key stops the load with file:line and a
 * reason; nothing is half loaded.  Security: see dkim_keys.h; OpenSSL's
 * error strings are not logged for key parsing (they may quote input).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim_keys.h"
#include "secret_file.h"
#include "table.h"
#include "xmalloc.h"

#define PW_DKIM_KEYFILE_MAX	(64 * 1024)
#define PW_DKIM_LINE_MAX	4096
#define PW_DKIM_TABLE_MAX	1000000
#define PW_DKIM_RSA_MIN		1024
#define PW_DKIM_RSA_MAX		4096

struct pw_dkim_entry {
	char	*pattern;
	size_t	 nkeys;
	size_t	 keys[PW_DKIM_MAX_SIGS];	/* into ks->keys */
};

struct pw_dkim_keyset {
	struct pw_dkim_key	*keys;
	size_t			 nkeys;
	struct pw_dkim_entry	*entries;	/* sorted by pattern */
	size_t			 nentries;
};

const char *
pw_dkim_alg_name(enum pw_dkim_alg alg)
{
	return alg == PW_DKIM_ED25519_SHA256 ? "ed25519-sha256" :
	    "rsa-sha256";
}

int
pw_dkim_alg_parse(const char *s, enum pw_dkim_alg *alg_r)
{
	if (strcmp(s, "rsa") == 0 || strcmp(s, "rsa-sha256") == 0)
		*alg_r = PW_DKIM_RSA_SHA256;
	else if (strcmp(s, "ed25519") == 0 || strcmp(s, "ed25519-sha256") == 0)
		*alg_r = PW_DKIM_ED25519_SHA256;
	else
		return -1;
	return 0;
}

int
pw_dkim_valid_domain(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > PW_DKIM_DOMAIN_MAX || s[0] == '.' ||
	    s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

int
pw_dkim_key_alg(EVP_PKEY *pkey, enum pw_dkim_alg *alg_r)
{
	if (EVP_PKEY_is_a(pkey, "RSA"))
		*alg_r = PW_DKIM_RSA_SHA256;
	else if (EVP_PKEY_is_a(pkey, "ED25519"))
		*alg_r = PW_DKIM_ED25519_SHA256;
	else
		return -1;
	return 0;
}

/*
 * Read a key; want is the algorithm it must have, or -1 for either (the
 * one found goes to *alg_r).
 */
static int
pw_dkim_key_read(const char *path, int want, int mode_check,
    EVP_PKEY **pkey_r, int *bits_r, enum pw_dkim_alg *alg_r, char *err,
    size_t errsize)
{
	enum pw_dkim_alg alg;
	char *text;
	enum pw_dkim_alg got;
	EVP_PKEY *pkey = NULL;
	size_t len;
	BIO *bio;
	int bits = 0;

	text = pw_xmalloc(PW_DKIM_KEYFILE_MAX + 1);
	if (pw_secret_file_read(path, mode_check != 0, "private key", text,
	    PW_DKIM_KEYFILE_MAX, &len, err, errsize) < 0)
		goto fail;
	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL) {
		snprintf(err, errsize, "%s: out of memory", path);
		goto fail;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	BIO_free(bio);
	ERR_clear_error();
	if (pkey == NULL) {
		snprintf(err, errsize, "%s: not a PEM private key (or it is "
		    "encrypted)", path);
		goto fail;
	}
	if (pw_dkim_key_alg(pkey, &got) < 0 || (want >= 0 &&
	    got != (enum pw_dkim_alg)want)) {
		snprintf(err, errsize, "%s: not an %s key", path,
		    want < 0 ? "RSA or Ed25519" :
		    want == PW_DKIM_RSA_SHA256 ? "RSA" : "Ed25519");
		goto fail;
	}
	alg = got;
	if (alg == PW_DKIM_RSA_SHA256) {
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < PW_DKIM_RSA_MIN || bits > PW_DKIM_RSA_MAX) {
			snprintf(err, errsize, "%s: RSA key of %d bits; "
			    "%d to %d are accepted", path, bits,
			    PW_DKIM_RSA_MIN, PW_DKIM_RSA_MAX);
			goto fail;
		}
	} else
		bits = 256;
	OPENSSL_cleanse(text, PW_DKIM_KEYFILE_MAX + 1);
	free(text);
	*pkey_r = pkey;
	if (bits_r != NULL)
		*bits_r = bits;
	if (alg_r != NULL)
		*alg_r = alg;
	return 0;
fail:
	OPENSSL_cleanse(text, PW_DKIM_KEYFILE_MAX + 1);
	free(text);
	EVP_PKEY_free(pkey);
	return -1;
}

int
pw_dkim_key_load(const char *path, enum pw_dkim_alg alg, int mode_check,
    EVP_PKEY **pkey_r, int *bits_r, char *err, size_t errsize)
{
	return pw_dkim_key_read(path, (int)alg, mode_check, pkey_r, bits_r,
	    NULL, err, errsize);
}

int
pw_dkim_key_load_any(const char *path, int mode_check, EVP_PKEY **pkey_r,
    enum pw_dkim_alg *alg_r, int *bits_r, char *err, size_t errsize)
{
	return pw_dkim_key_read(path, -1, mode_check, pkey_r, bits_r, alg_r,
	    err, errsize);
}

EVP_PKEY *
pw_dkim_key_generate(enum pw_dkim_alg alg, int bits, const char **why_r)
{
	EVP_PKEY *pkey = NULL;

	if (alg == PW_DKIM_RSA_SHA256) {
		if (bits < PW_DKIM_RSA_MIN || bits > PW_DKIM_RSA_MAX) {
			*why_r = "RSA keys must have 1024 to 4096 bits";
			return NULL;
		}
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	} else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		*why_r = "key generation failed (OpenSSL)";
	return pkey;
}

int
pw_dkim_key_txt(EVP_PKEY *pkey, struct pw_buf *out, const char **why_r)
{
	unsigned char raw[64], *der = NULL;
	char *b64;
	size_t rawlen = sizeof(raw);
	enum pw_dkim_alg alg;
	int derlen, n, ret = -1;

	if (pw_dkim_key_alg(pkey, &alg) < 0) {
		*why_r = "neither an RSA nor an Ed25519 key";
		return -1;
	}
	if (alg == PW_DKIM_RSA_SHA256) {
		/* p= is the DER SubjectPublicKeyInfo (RFC 6376 3.6.1). */
		if ((derlen = i2d_PUBKEY(pkey, &der)) <= 0) {
			*why_r = "cannot encode the public key";
			return -1;
		}
	} else {
		/* p= is the raw 32-byte public key (RFC 8463 4.2). */
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) != 1) {
			*why_r = "cannot encode the public key";
			return -1;
		}
		der = raw;
		derlen = (int)rawlen;
	}
	b64 = pw_xmalloc(((size_t)derlen + 2) / 3 * 4 + 1);
	n = EVP_EncodeBlock((unsigned char *)b64, der, derlen);
	if (pw_buf_printf(out, "v=DKIM1; k=%s; p=%.*s",
	    alg == PW_DKIM_RSA_SHA256 ? "rsa" : "ed25519", n, b64) < 0)
		*why_r = "record too long";
	else
		ret = 0;
	free(b64);
	if (der != raw)
		OPENSSL_free(der);
	return ret;
}

/* --- tables ------------------------------------------------------------- */

static void
pw_dkim_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int
pw_dkim_valid_name(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' &&
		    *s != '-')
			return 0;
	return n > 0 && n <= 64;
}

/* What the table reader hands each line to. */
struct pw_dkim_reader {
	struct pw_dkim_keyset	*ks;
	int			 mode_check;
	int	(*fn)(struct pw_dkim_keyset *, char **, int, int, char *,
		    size_t, const char **);
};

static int
pw_dkim_read_line(char **fields, int nf, void *arg, const char **why_r,
    char *msg, size_t msgsize)
{
	struct pw_dkim_reader *r = arg;

	return r->fn(r->ks, fields, nf, r->mode_check, msg, msgsize, why_r);
}

/* Call fn for each entry of path.  -1 with "path:line: why" in err. */
static int
pw_dkim_read_table(const char *path, struct pw_dkim_keyset *ks,
    int mode_check,
    int (*fn)(struct pw_dkim_keyset *, char **, int, int, char *, size_t,
    const char **), char *err, size_t errsize)
{
	struct pw_dkim_reader r = { ks, mode_check, fn };

	return pw_table_read(path, PW_DKIM_LINE_MAX, pw_dkim_read_line, &r,
	    err, errsize);
}

static int
pw_dkim_find_key(const struct pw_dkim_keyset *ks, const char *name,
    size_t *index_r)
{
	size_t i;

	for (i = 0; i < ks->nkeys; i++) {
		if (strcmp(ks->keys[i].name, name) == 0) {
			*index_r = i;
			return 0;
		}
	}
	return -1;
}

/* One key table line: NAME DOMAIN SELECTOR ALGORITHM FILE. */
static int
pw_dkim_add_key(struct pw_dkim_keyset *ks, char **f, int nf, int mode_check,
    char *kerr, size_t kerrsize, const char **why_r)
{
	struct pw_dkim_key *k;
	enum pw_dkim_alg alg;
	size_t dummy;

	if (nf != 5) {
		*why_r = "expected \"name domain selector algorithm file\"";
		return -1;
	}
	if (!pw_dkim_valid_name(f[0])) {
		*why_r = "bad key name (A-Z a-z 0-9 . _ -, at most 64)";
		return -1;
	}
	if (pw_dkim_find_key(ks, f[0], &dummy) == 0) {
		*why_r = "key name given twice";
		return -1;
	}
	if (!pw_dkim_valid_domain(f[1], strlen(f[1]))) {
		*why_r = "bad signing domain";
		return -1;
	}
	if (!pw_dkim_valid_domain(f[2], strlen(f[2]))) {
		*why_r = "bad selector";
		return -1;
	}
	if (pw_dkim_alg_parse(f[3], &alg) < 0) {
		*why_r = "algorithm must be rsa or ed25519";
		return -1;
	}
	if (f[4][0] != '/') {
		*why_r = "key file must be an absolute path";
		return -1;
	}
	if (ks->nkeys >= PW_DKIM_TABLE_MAX) {
		*why_r = "too many keys";
		return -1;
	}
	ks->keys = pw_xrealloc(ks->keys, (ks->nkeys + 1) * sizeof(*ks->keys));
	k = &ks->keys[ks->nkeys];
	memset(k, 0, sizeof(*k));
	k->alg = alg;
	if (pw_dkim_key_load(f[4], alg, mode_check, &k->pkey, &k->bits, kerr,
	    kerrsize) < 0)
		return -1;
	k->name = pw_xstrdup(f[0]);
	k->domain = pw_xstrdup(f[1]);
	pw_dkim_lower(k->domain);
	k->selector = pw_xstrdup(f[2]);
	k->path = pw_xstrdup(f[4]);
	ks->nkeys++;
	return 0;
}

static int
pw_dkim_valid_pattern(char *p)
{
	if (strncmp(p, "tenant:", 7) == 0)
		return pw_dkim_valid_name(p + 7);
	pw_dkim_lower(p);
	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	return pw_dkim_valid_domain(p, strlen(p));
}

/* Add the key names of one comma (and/or space) separated field. */
static int
pw_dkim_entry_keys(const struct pw_dkim_keyset *ks, struct pw_dkim_entry *e,
    char *list, const char **why_r)
{
	char *name, *save;
	size_t idx;

	for (name = strtok_r(list, ",", &save); name != NULL;
	    name = strtok_r(NULL, ",", &save)) {
		if (pw_dkim_find_key(ks, name, &idx) < 0) {
			*why_r = "names a key that is not in dkim_key_table";
			return -1;
		}
		if (e->nkeys == PW_DKIM_MAX_SIGS) {
			*why_r = "more than 8 keys";
			return -1;
		}
		e->keys[e->nkeys++] = idx;
	}
	return 0;
}

/* One signing table line: PATTERN KEYNAME[,KEYNAME...] [KEYNAME...]. */
static int
pw_dkim_add_entry(struct pw_dkim_keyset *ks, char **f, int nf,
    int mode_check, char *kerr, size_t kerrsize, const char **why_r)
{
	struct pw_dkim_entry e;
	size_t i;
	int j;

	if (nf < 2) {
		*why_r = "expected \"pattern keyname[,keyname...]\"";
		return -1;
	}
	if (!pw_dkim_valid_pattern(f[0])) {
		*why_r = "bad pattern (expected example.com, *.example.com "
		    "or tenant:name)";
		return -1;
	}
	memset(&e, 0, sizeof(e));
	for (j = 1; j < nf; j++)
		if (pw_dkim_entry_keys(ks, &e, f[j], why_r) < 0)
			return -1;
	if (e.nkeys == 0) {
		*why_r = "no key names";
		return -1;
	}
	for (i = 0; i < ks->nentries; i++) {
		if (strcmp(ks->entries[i].pattern, f[0]) == 0) {
			*why_r = "pattern given twice";
			return -1;
		}
	}
	if (ks->nentries >= PW_DKIM_TABLE_MAX) {
		*why_r = "too many entries";
		return -1;
	}
	e.pattern = pw_xstrdup(f[0]);
	ks->entries = pw_xrealloc(ks->entries,
	    (ks->nentries + 1) * sizeof(*ks->entries));
	ks->entries[ks->nentries++] = e;
	return 0;
}

static int
pw_dkim_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pw_dkim_entry *)a)->pattern,
	    ((const struct pw_dkim_entry *)b)->pattern);
}

int
pw_dkim_keyset_load(const char *key_table, const char *signing_table,
    int mode_check, struct pw_dkim_keyset **ks_r, char *err,
    size_t errsize)
{
	struct pw_dkim_keyset *ks = pw_xcalloc(1, sizeof(*ks));

	if (key_table != NULL && *key_table != '\0' &&
	    pw_dkim_read_table(key_table, ks, mode_check, pw_dkim_add_key,
	    err, errsize) < 0)
		goto fail;
	if (signing_table != NULL && *signing_table != '\0') {
		if (pw_dkim_read_table(signing_table, ks, mode_check,
		    pw_dkim_add_entry, err, errsize) < 0)
			goto fail;
		/* The entry loop above rejects duplicates; now sort. */
		if (ks->nentries > 1)
			qsort(ks->entries, ks->nentries,
			    sizeof(*ks->entries), pw_dkim_entry_cmp);
	}
	*ks_r = ks;
	return 0;
fail:
	pw_dkim_keyset_free(&ks);
	return -1;
}

void
pw_dkim_keyset_free(struct pw_dkim_keyset **ksp)
{
	struct pw_dkim_keyset *ks = *ksp;
	size_t i;

	if (ks == NULL)
		return;
	*ksp = NULL;
	for (i = 0; i < ks->nkeys; i++) {
		EVP_PKEY_free(ks->keys[i].pkey);
		free(ks->keys[i].name);
		free(ks->keys[i].domain);
		free(ks->keys[i].selector);
		free(ks->keys[i].path);
	}
	for (i = 0; i < ks->nentries; i++)
		free(ks->entries[i].pattern);
	free(ks->keys);
	free(ks->entries);
	free(ks);
}

size_t
pw_dkim_keyset_count(const struct pw_dkim_keyset *ks)
{
	return ks != NULL ? ks->nkeys : 0;
}

const struct pw_dkim_key *
pw_dkim_keyset_key(const struct pw_dkim_keyset *ks, size_t i)
{
	return ks != NULL && i < ks->nkeys ? &ks->keys[i] : NULL;
}

static const struct pw_dkim_entry *
pw_dkim_find_entry(const struct pw_dkim_keyset *ks, const char *pattern)
{
	struct pw_dkim_entry key = { .pattern = (char *)pattern };

	if (ks->nentries == 0)
		return NULL;
	return bsearch(&key, ks->entries, ks->nentries, sizeof(*ks->entries),
	    pw_dkim_entry_cmp);
}

size_t
pw_dkim_keyset_lookup(const struct pw_dkim_keyset *ks, const char *domain,
    const char *tenant, const struct pw_dkim_key *keys_r[PW_DKIM_MAX_SIGS])
{
	char name[PW_DKIM_DOMAIN_MAX + 8];
	const struct pw_dkim_entry *e = NULL;
	const char *p;
	size_t i, len;

	if (ks == NULL)
		return 0;
	if (domain != NULL && (len = strlen(domain)) > 0 &&
	    len <= PW_DKIM_DOMAIN_MAX) {
		for (i = 0; i <= len; i++)
			name[i + 2] = (char)tolower((unsigned char)domain[i]);
		e = pw_dkim_find_entry(ks, name + 2);
		/* *.parent for each parent, most specific first. */
		for (p = strchr(name + 2, '.'); e == NULL && p != NULL;
		    p = strchr(p + 1, '.')) {
			/* name has 2 spare bytes before the domain. */
			char *star = name + (p - name) - 1;
			char save = *star;

			*star = '*';
			e = pw_dkim_find_entry(ks, star);
			*star = save;
		}
	}
	if (e == NULL && tenant != NULL && *tenant != '\0' &&
	    strlen(tenant) <= 64) {
		snprintf(name, sizeof(name), "tenant:%s", tenant);
		e = pw_dkim_find_entry(ks, name);
	}
	if (e == NULL)
		return 0;
	for (i = 0; i < e->nkeys; i++)
		keys_r[i] = &ks->keys[e->keys[i]];
	return e->nkeys;
}

size_t
pw_dkim_keyset_lookup_domain(const struct pw_dkim_keyset *ks,
    const char *domain, const struct pw_dkim_key *keys_r[PW_DKIM_MAX_SIGS])
{
	char name[PW_DKIM_DOMAIN_MAX + 1];
	const struct pw_dkim_entry *e;
	size_t i, n = 0, len;

	if (ks == NULL || domain == NULL || (len = strlen(domain)) == 0 ||
	    len > PW_DKIM_DOMAIN_MAX)
		return 0;
	for (i = 0; i <= len; i++)
		name[i] = (char)tolower((unsigned char)domain[i]);
	if ((e = pw_dkim_find_entry(ks, name)) != NULL) {
		for (i = 0; i < e->nkeys; i++)
			keys_r[i] = &ks->keys[e->keys[i]];
		return e->nkeys;
	}
	for (i = 0; i < ks->nkeys && n < PW_DKIM_MAX_SIGS; i++)
		if (strcmp(ks->keys[i].domain, name) == 0)
			keys_r[n++] = &ks->keys[i];
	return n;
}
