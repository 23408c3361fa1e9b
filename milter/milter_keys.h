/*
 * milter_keys.h -- the DKIM keys a tenant keeps in Redis for one of its
 * sending domains (`postwarden domain dkim`, docs/redis-schema.md "DKIM
 * keys of sending domains"), opened under the node's KEK (dkim_kek_file,
 * lib/seal.h) and cached per (tenant, domain).
 *
 * Exports: milter_keys_cache_new/_expire (the cache, a lib/cache.h
 * struct pw_cache, part of a runtime snapshot), struct milter_keys (one
 * (tenant, domain)'s opened active keys, shared and counted),
 * milter_keys_get(), milter_keys_list(), milter_keys_release().
 *
 * What signs: the selectors of <prefix>{T}:dkim:<domain> in state
 * `active` (with dkim_require_verified, only those in the domain
 * record's verified_selectors, which `postwarden domain verify` writes),
 * each record opened with lib/dkim_store.c (at most PW_DKIM_MAX_SIGS).  A record that does not open (another KEK, edited,
 * moved, a public field that is not its key's) is logged once, when the
 * entry is filled, without key material, and does not sign.
 *
 * Freshness: an entry is read once and kept while the tenant record's
 * dkim_version (which `domain dkim` and `domain verify` increment) (milter_tenant.h, which is re-read on identity_cache_ttl)
 * is the version it was read at: a key added, activated or retired on
 * any node is noticed through the tenant cache, never by asking Redis per
 * message.  A reload that keeps the same Redis data shares the cache and
 * makes every entry due; while Redis does not answer, the last entry
 * read stands (the cached keys keep signing), and Redis is asked again
 * MILTER_KEYS_RETRY_MS later at the earliest.
 *
 * Memory: at most milter_dkim_key_cache_size (postwarden.conf(5)) (tenant,
 * domain) entries, the least recently used evicted when a new pair comes
 * (lib/cache.h: any pairs up to that number stay, whatever their
 * hashes).  An entry is about 0.5 KB of its own (cache entry and struct
 * milter_keys) plus its opened keys: about 7 KB per RSA-2048 key once it
 * has signed, 2.5 KB per Ed25519 key (docs/bench-milter.md).  An entry
 * holds at most PW_DKIM_MAX_SIGS keys, and stays alive while a message
 * signing with it holds a reference (milter_keys_release when the
 * message ends), evicted or not.
 *
 * Threads: the cache's one mutex, never held across a Redis command or a
 * key being opened (an evicted entry's keys are released under it);
 * references are atomic; an entry is immutable.
 *
 * Security: Redis content is untrusted: selectors are checked
 * (pw_dkim_store_valid_selector), records are authenticated by the seal.
 * Keys live only in the entry's EVP_PKEYs; no log line or reason holds
 * key material.
 */
#ifndef PW_MILTER_KEYS_H
#define PW_MILTER_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "dkim_keys.h"
#include "runtime.h"
#include "seal.h"

struct pw_cache;
struct milter_keys;

enum milter_keys_result {
	MILTER_KEYS_NONE = 0,	/* no active key in Redis for the domain */
	MILTER_KEYS_FOUND,	/* *keys_r: at least one opened key */
	MILTER_KEYS_BROKEN,	/* active keys, none opens (logged) */
	MILTER_KEYS_UNVERIFIED,	/* active keys, none verified in DNS */
	MILTER_KEYS_UNKNOWN,	/* Redis did not answer, nothing cached */
};

/*
 * An empty cache of at most size entries (milter_dkim_key_cache_size);
 * shared and freed with pw_cache_ref/pw_cache_free.  _expire makes every
 * entry due (a reload that keeps the same Redis data).
 */
struct pw_cache *milter_keys_cache_new(size_t size);
void	milter_keys_cache_expire(struct pw_cache *c);

/*
 * The active keys of tenant's domain (a checked tenant name; domain in
 * lib/address's normal form), opened with kek, as of the tenant's
 * dkim_version version: from the snapshot's cache, else Redis, else the
 * last entry read.  FOUND: *keys_r holds a reference (release it when the
 * message no longer signs).  Otherwise *keys_r is NULL; UNKNOWN gives a
 * static *why_r.  Any thread.
 */
enum milter_keys_result milter_keys_get(const struct pw_runtime *rt,
	    const struct pw_seal_kek *kek, const char *tenant,
	    const char *domain, uint64_t version, struct milter_keys **keys_r,
	    const char **why_r);

/* The keys of an entry, up to PW_DKIM_MAX_SIGS; returns how many. */
size_t	milter_keys_list(const struct milter_keys *k,
	    const struct pw_dkim_key *keys_r[PW_DKIM_MAX_SIGS]);

/* Drop a reference (NULL fine); the last frees the keys.  NULLs *kp. */
void	milter_keys_release(struct milter_keys **kp);

#endif
