/*
 * auth_cache.c -- (key id, secret hash) pairs Redis verified, for logins
 * while Redis is down (see auth_cache.h), on lib/cache.c's bounded LRU
 * cache.
 *
 * Exports: auth_cache_new/free/put/get/forget.
 * Threads: the event loop's only (the pw_cache lock is taken anyway, as
 * lib/cache.h asks; it is never contended).  Ownership: the cache owns
 * its entries.
 * Failures: none (allocation failure exits).
 * Security: the cache key is "<keyid>\0<hash>" (a keyed hash, as in
 * Redis), never a secret; values are wiped when their entry goes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth_cache.h"
#include "auth_secret.h"
#include "cache.h"
#include "xmalloc.h"

/* An entry's value: when Redis last verified its pair. */
struct auth_cache_value {
	int64_t	verified_ms;
};

struct auth_cache {
	struct pw_cache	*lru;	/* NULL: a cache that holds nothing */
};

/* The longest cache key: a key id, its NUL, a hash. */
#define AUTH_CACHE_KEY_MAX	(PW_AUTH_KEYID_MAX + 1 + PW_AUTH_HASH_MAX)

static void
auth_cache_value_free(void *value)
{
	OPENSSL_cleanse(value, sizeof(struct auth_cache_value));
}

struct auth_cache *
auth_cache_new(size_t size)
{
	struct auth_cache *c = pw_xcalloc(1, sizeof(*c));

	if (size > 0)
		c->lru = pw_cache_new(size, sizeof(struct auth_cache_value),
		    auth_cache_value_free);
	return c;
}

void
auth_cache_free(struct auth_cache **cp)
{
	struct auth_cache *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	pw_cache_free(&c->lru);
	free(c);
}

/*
 * The cache key of (keyid, hash) in key (AUTH_CACHE_KEY_MAX bytes): its
 * length, or 0 when either part is too long to be kept.
 */
static size_t
auth_cache_key(char *key, const char *keyid, const char *hash)
{
	size_t klen = strlen(keyid), hlen = strlen(hash);

	if (klen > PW_AUTH_KEYID_MAX || hlen >= PW_AUTH_HASH_MAX)
		return 0;
	memcpy(key, keyid, klen + 1);
	memcpy(key + klen + 1, hash, hlen);
	return klen + 1 + hlen;
}

void
auth_cache_put(struct auth_cache *c, const char *keyid, const char *hash,
    int64_t now_ms)
{
	char key[AUTH_CACHE_KEY_MAX];
	struct auth_cache_value *v;
	size_t len;

	if (c->lru == NULL || (len = auth_cache_key(key, keyid, hash)) == 0)
		return;
	pw_cache_lock(c->lru);
	v = pw_cache_put(c->lru, key, len, NULL);
	v->verified_ms = now_ms;
	pw_cache_unlock(c->lru);
}

int
auth_cache_get(struct auth_cache *c, const char *keyid, const char *hash,
    int64_t now_ms, int64_t ttl_ms)
{
	char key[AUTH_CACHE_KEY_MAX];
	struct auth_cache_value *v;
	size_t len;
	int ok;

	if (c->lru == NULL || (len = auth_cache_key(key, keyid, hash)) == 0)
		return 0;
	pw_cache_lock(c->lru);
	v = pw_cache_find(c->lru, key, len);
	ok = v != NULL && now_ms - v->verified_ms <= ttl_ms;
	pw_cache_unlock(c->lru);
	return ok;
}

void
auth_cache_forget(struct auth_cache *c, const char *keyid, const char *hash)
{
	char key[AUTH_CACHE_KEY_MAX];
	size_t len;

	if (c->lru == NULL || (len = auth_cache_key(key, keyid, hash)) == 0)
		return;
	pw_cache_lock(c->lru);
	pw_cache_remove(c->lru, key, len);
	pw_cache_unlock(c->lru);
}
