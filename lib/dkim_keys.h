/*
 * dkim_keys.h -- DKIM private keys, the key table and the signing table.
 *
 * Key table: one key per line, "NAME DOMAIN SELECTOR ALGORITHM FILE":
 *
 *	acme-rsa  acme.example  s1r  rsa      /etc/postwarden/dkim/acme-r.pem
 *	acme-ed   acme.example  s1e  ed25519  /etc/postwarden/dkim/acme-e.pem
 *
 * ALGORITHM is rsa (rsa-sha256, 1024 to 4096 bits) or ed25519
 * (ed25519-sha256, RFC 8463); FILE holds a PEM private key of that type.
 *
 * Signing table: "PATTERN KEYNAME[,KEYNAME...]", PATTERN being a From
 * domain (example.com), every subdomain of one (*.example.com, which does
 * not match example.com itself) or a tenant (tenant:acme).  Lookup order:
 * the exact domain, the most specific wildcard, the tenant.  Several key
 * names give several signatures.
 *
 * Both files: "#" comments, blank lines ignored, errors as file:line.
 * The whole set loads or nothing does; a loaded set is immutable and is
 * shared by threads (it belongs to a runtime snapshot).
 *
 * Security: a key file readable or writable by group or others is
 * refused (unless mode_check is off), the file's bytes are wiped with
 * OPENSSL_cleanse after parsing, and no key material is ever logged.
 */
#ifndef PW_DKIM_KEYS_H
#define PW_DKIM_KEYS_H

#include <stddef.h>

#include <openssl/evp.h>

#include "buf.h"

#define PW_DKIM_ERR_MAX		512
#define PW_DKIM_MAX_SIGS	8	/* key names per signing table entry */
#define PW_DKIM_DOMAIN_MAX	253

enum pw_dkim_alg {
	PW_DKIM_RSA_SHA256 = 0,
	PW_DKIM_ED25519_SHA256,
};

struct pw_dkim_key {
	char			*name;
	char			*domain;	/* d=, lower case */
	char			*selector;	/* s= */
	char			*path;
	enum pw_dkim_alg	 alg;
	int			 bits;
	EVP_PKEY		*pkey;
};

struct pw_dkim_keyset;

/* "rsa-sha256" / "ed25519-sha256". */
const char *pw_dkim_alg_name(enum pw_dkim_alg alg);
/* Parse rsa, ed25519 (or their a= names); 0, or -1. */
int	pw_dkim_alg_parse(const char *s, enum pw_dkim_alg *alg_r);

/*
 * Read a PEM private key of algorithm alg from path.  0 and *pkey_r (the
 * caller frees it with EVP_PKEY_free); -1 with a message in err saying
 * why, never with key material in it.
 */
int	pw_dkim_key_load(const char *path, enum pw_dkim_alg alg,
	    int mode_check, EVP_PKEY **pkey_r, int *bits_r, char *err,
	    size_t errsize);
/* The same for a key of either algorithm; *alg_r says which. */
int	pw_dkim_key_load_any(const char *path, int mode_check,
	    EVP_PKEY **pkey_r, enum pw_dkim_alg *alg_r, int *bits_r,
	    char *err, size_t errsize);
/* A new private key (bits for RSA only); NULL with *why_r on failure. */
EVP_PKEY *pw_dkim_key_generate(enum pw_dkim_alg alg, int bits,
	    const char **why_r);
/*
 * Append the DNS TXT record value of pkey's public key to out
 * ("v=DKIM1; k=rsa; p=...").  0, or -1 with *why_r.
 */
int	pw_dkim_key_txt(EVP_PKEY *pkey, struct pw_buf *out,
	    const char **why_r);
/* The algorithm of pkey; 0, or -1 when it is neither RSA nor Ed25519. */
int	pw_dkim_key_alg(EVP_PKEY *pkey, enum pw_dkim_alg *alg_r);

/*
 * Load both tables and every key they name.  Empty key_table: an empty
 * set (nothing is signed).  0 and *ks_r; -1 with "file:line: why" in err.
 */
int	pw_dkim_keyset_load(const char *key_table, const char *signing_table,
	    int mode_check, struct pw_dkim_keyset **ks_r, char *err,
	    size_t errsize);
void	pw_dkim_keyset_free(struct pw_dkim_keyset **ks);
/* Number of keys in the key table. */
size_t	pw_dkim_keyset_count(const struct pw_dkim_keyset *ks);
/* The i-th key of the key table (i < count), in table order. */
const struct pw_dkim_key *pw_dkim_keyset_key(const struct pw_dkim_keyset *ks,
	    size_t i);

/*
 * The keys that sign mail From domain (may be NULL) of tenant (may be
 * NULL or ""): up to PW_DKIM_MAX_SIGS into keys_r; returns how many (0:
 * no entry matches).  Thread-safe.
 */
size_t	pw_dkim_keyset_lookup(const struct pw_dkim_keyset *ks,
	    const char *domain, const char *tenant,
	    const struct pw_dkim_key *keys_r[PW_DKIM_MAX_SIGS]);

/*
 * The keys of a signing domain a tenant names in Redis: the signing table
 * entry of exactly that domain, else every key table key with d= that
 * domain (at most PW_DKIM_MAX_SIGS, in table order).  Returns how many.
 */
size_t	pw_dkim_keyset_lookup_domain(const struct pw_dkim_keyset *ks,
	    const char *domain,
	    const struct pw_dkim_key *keys_r[PW_DKIM_MAX_SIGS]);

/* Is s a domain name DKIM can use (LDH labels, 1..253 bytes)? */
int	pw_dkim_valid_domain(const char *s, size_t len);

#endif
