/*
 * identity_cache.h -- a bounded cache of key id -> tenant, so that a
 * daemon need not ask Redis for every message of the same API key.
 *
 * At most `slots` entries (lib/cache.h: the least recently used evicted
 * by a new key; any keys up to that number stay); about 200 bytes an
 * entry, allocated when first put; lookups and inserts are O(1).  Only positive answers are cached: Postfix
 * has already checked the key's SASL secret, so unknown keys are rare, and
 * a key that was just created must work at once.  Entries are fresh for
 * identity_cache_ttl (0: never; every message asks Redis).
 *
 * Redis down: an entry is kept after it goes stale, and a daemon whose
 * Redis lookup fails (error, timeout, no connection) takes the last
 * answer from pw_identity_cache_last(), however old, as the tenant
 * settings cache of the milter does; only when there is none is the
 * tenant unknown (and the daemon's failure mode decides).  An answer
 * from Redis that the key does not exist drops the entry
 * (pw_identity_cache_forget), so a deleted key is not revived by an
 * outage that follows.  Both daemons follow this rule.
 *
 * Threads: safe to share; lib/cache's one mutex, held for a memcpy.  A cache may
 * belong to several runtime snapshots (a reload that keeps the same Redis
 * data keeps what the cache learnt): pw_identity_cache_ref() adds an
 * owner, pw_identity_cache_free() drops one and frees with the last.
 */
#ifndef PW_IDENTITY_CACHE_H
#define PW_IDENTITY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"

struct pw_identity_cache;

/* A cache of at most slots entries (1 .. PW_CACHE_MAX). */
struct pw_identity_cache *pw_identity_cache_new(size_t slots);
/* One more owner of cache; returns cache. */
struct pw_identity_cache *pw_identity_cache_ref(struct pw_identity_cache *cache);
/* Drop the caller's ownership (freed with the last); set *cache to NULL. */
void	pw_identity_cache_free(struct pw_identity_cache **cache);

/*
 * Fill id->tenant for id->key if a live entry exists: 1 when found, 0
 * otherwise.  now_ms is a monotonic clock (pw_clock_ms()).
 */
int	pw_identity_cache_get(struct pw_identity_cache *cache,
	    struct pw_identity *id, int64_t now_ms);
/*
 * Remember id->key -> id->tenant: fresh until now_ms + ttl_ms, the last
 * answer after that (ttl_ms <= 0: never fresh).
 */
void	pw_identity_cache_put(struct pw_identity_cache *cache,
	    const struct pw_identity *id, int64_t now_ms, int64_t ttl_ms);
/*
 * Redis could not answer: fill id->tenant with the last answer for
 * id->key, fresh or not.  1 when there is one, 0 otherwise.
 */
int	pw_identity_cache_last(struct pw_identity_cache *cache,
	    struct pw_identity *id);
/* Redis says key does not exist: forget what the cache knew of it. */
void	pw_identity_cache_forget(struct pw_identity_cache *cache,
	    const char *key);

#endif
