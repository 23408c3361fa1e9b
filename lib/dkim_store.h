/*
 * dkim_store.h -- DKIM keys kept in Redis (docs/redis-schema.md, "DKIM
 * keys of sending domains"): the record of one key of a tenant's domain,
 * pw:{T}:dkim:<domain>:<selector>, made and opened here.
 *
 * A record is a hash of the fields in pw_dkim_store_fields (enum
 * pw_dkim_store_field gives their order): the caller reads them with one
 * HMGET in that order and hands the values over, or writes what
 * pw_dkim_store_make made with one HSET.  The private key is PKCS#8 DER
 * sealed with lib/seal.c under the node's KEK, bound to (tenant, domain,
 * selector): a record copied to another place does not open.
 *
 * Use:
 *   the CLI   pw_dkim_store_make() -> HSET the values (a script), print
 *             values[PW_DKIM_F_PUBLIC] as the TXT record;
 *   a milter  HMGET the fields -> pw_dkim_store_open() -> a struct
 *             pw_dkim_key for lib/dkim_sign.c, freed with
 *             pw_dkim_store_key_free() when its cache drops it.
 *
 * Threads: no state; a made record or an opened key has one owner (an
 * opened key may then sign in many threads, as dkim_sign.h says).
 * Security: the private key is only in OpenSSL's EVP_PKEY and in buffers
 * wiped with OPENSSL_cleanse; error texts never hold key material.
 */
#ifndef PW_DKIM_STORE_H
#define PW_DKIM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "dkim_keys.h"
#include "seal.h"

#define PW_DKIM_SELECTOR_MAX	63	/* one DNS label */

enum pw_dkim_store_state {
	PW_DKIM_STATE_PENDING = 0,	/* made, not verified: does not sign */
	PW_DKIM_STATE_ACTIVE,		/* signs */
	PW_DKIM_STATE_RETIRING,		/* stopped; record stays published */
};

enum pw_dkim_store_field {
	PW_DKIM_F_ALGORITHM = 0,	/* rsa | ed25519 */
	PW_DKIM_F_BITS,
	PW_DKIM_F_STATE,
	PW_DKIM_F_CREATED,
	PW_DKIM_F_ACTIVATED,
	PW_DKIM_F_KEEP_UNTIL,		/* keep_published_until */
	PW_DKIM_F_PUBLIC,		/* the TXT record value */
	PW_DKIM_F_SEALED,		/* the private key, sealed */
	PW_DKIM_NFIELDS
};

/* The field names, indexed by enum pw_dkim_store_field. */
extern const char *const pw_dkim_store_fields[PW_DKIM_NFIELDS];

/* A new record: every value allocated (NUL-terminated text). */
struct pw_dkim_store_made {
	char	*values[PW_DKIM_NFIELDS];
};

/* "pending", "active", "retiring". */
const char *pw_dkim_store_state_name(enum pw_dkim_store_state s);
/* The state named s: 0, or -1. */
int	pw_dkim_store_state_parse(const char *s,
	    enum pw_dkim_store_state *s_r);
/* Is s a selector we make and accept (one LDH label, 1..63)? */
int	pw_dkim_store_valid_selector(const char *s);

/*
 * Generate a key of alg (bits: RSA only) for tenant's domain and
 * selector, seal it under kek and fill made (state pending, created
 * now).  0, or -1 with a static *why_r (made is then empty).
 */
int	pw_dkim_store_make(const struct pw_seal_kek *kek, const char *tenant,
	    const char *domain, const char *selector, enum pw_dkim_alg alg,
	    int bits, int64_t now, struct pw_dkim_store_made *made,
	    const char **why_r);
/* Free a made record (NULL values fine). */
void	pw_dkim_store_made_free(struct pw_dkim_store_made *made);

/*
 * Open the record of tenant's domain and selector: values as HMGET
 * returned them in pw_dkim_store_fields order (NULL: absent).  Checks the
 * algorithm, opens the sealed key with kek, checks that it is of that
 * algorithm and size and that its public half is the record's `public`.
 * The state is not checked: the caller decides what signs.  0 and
 * *key_r (name "<selector>._domainkey.<domain>", path NULL); -1 with
 * why in err (never key material).
 */
int	pw_dkim_store_open(const struct pw_seal_kek *kek, const char *tenant,
	    const char *domain, const char *selector,
	    const char *const values[PW_DKIM_NFIELDS],
	    struct pw_dkim_key **key_r, char *err, size_t errsize);
/*
 * The public key of a record, from its `public` field (the TXT record
 * value) and `algorithm`, without the KEK: for checking what DNS
 * publishes.  The key (public half only; EVP_PKEY_free it), or NULL with
 * a static *why_r.
 */
EVP_PKEY *pw_dkim_store_public(const char *const values[PW_DKIM_NFIELDS],
	    enum pw_dkim_alg *alg_r, const char **why_r);

/* Free an opened key; NULLs *key. */
void	pw_dkim_store_key_free(struct pw_dkim_key **key);

#endif
