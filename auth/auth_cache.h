/*
 * auth_cache.h -- what lets known clients log in while Redis is down: a
 * bounded cache of (key id, secret hash) pairs that Redis verified, each
 * with the time of its last verified login.  While Redis answers, every
 * login is checked there (a revoked secret or a suspended key is refused
 * at once) and the cache only learns; when Redis cannot answer, a pair
 * verified within auth_cache_ttl logs in from the cache, any other login
 * gets a temporary failure.
 *
 * Bounded LRU (lib/cache.h): up to auth_cache_size pairs all stay cached,
 * whatever their hashes; a new pair beyond that evicts the pair least
 * recently verified or used.  An entry is allocated when its pair is
 * first verified (about 200 bytes with the key).
 *
 * Threads: the event loop's only.
 * Security: it holds keyed hashes (as Redis does), never a secret.
 */
#ifndef AUTH_CACHE_H
#define AUTH_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct auth_cache;

/* A cache of at most size pairs (0: a cache that never holds anything). */
struct auth_cache *auth_cache_new(size_t size);
void	auth_cache_free(struct auth_cache **cache);
/* Redis verified (keyid, hash) at now_ms (monotonic). */
void	auth_cache_put(struct auth_cache *cache, const char *keyid,
	    const char *hash, int64_t now_ms);
/* 1 when (keyid, hash) was verified at most ttl_ms before now_ms. */
int	auth_cache_get(struct auth_cache *cache, const char *keyid,
	    const char *hash, int64_t now_ms, int64_t ttl_ms);
/* Redis refused (keyid, hash): forget it. */
void	auth_cache_forget(struct auth_cache *cache, const char *keyid,
	    const char *hash);

#endif
