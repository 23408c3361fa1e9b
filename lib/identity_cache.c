/*
 * identity_cache.c -- bounded key -> tenant cache (see identity_cache.h),
 * on lib/cache.c: an entry per API key, its tenant and freshness.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "identity_cache.h"
#include "xmalloc.h"

/* The value of a key's entry (lib/cache.h); the key is the API key. */
struct pw_identity_cache_slot {
	int64_t	expires_ms;		/* fresh until; the last answer after */
	char	tenant[PW_IDENTITY_TENANT_MAX + 1];
};

struct pw_identity_cache {
	int		 refs;		/* atomic */
	struct pw_cache	*cache;
};

struct pw_identity_cache *
pw_identity_cache_new(size_t slots)
{
	struct pw_identity_cache *c = pw_xcalloc(1, sizeof(*c));

	c->refs = 1;
	c->cache = pw_cache_new(slots, sizeof(struct pw_identity_cache_slot),
	    NULL);
	return c;
}

struct pw_identity_cache *
pw_identity_cache_ref(struct pw_identity_cache *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void
pw_identity_cache_free(struct pw_identity_cache **cachep)
{
	struct pw_identity_cache *c = *cachep;

	if (c == NULL)
		return;
	*cachep = NULL;
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	pw_cache_free(&c->cache);
	free(c);
}

int
pw_identity_cache_get(struct pw_identity_cache *c, struct pw_identity *id,
    int64_t now_ms)
{
	struct pw_identity_cache_slot *s;
	int found = 0;

	pw_cache_lock(c->cache);
	s = pw_cache_find(c->cache, id->key, strlen(id->key));
	if (s != NULL && s->expires_ms > now_ms) {
		memcpy(id->tenant, s->tenant, sizeof(id->tenant));
		found = 1;
	}
	pw_cache_unlock(c->cache);
	return found;
}

void
pw_identity_cache_put(struct pw_identity_cache *c,
    const struct pw_identity *id, int64_t now_ms, int64_t ttl_ms)
{
	struct pw_identity_cache_slot *s;

	pw_cache_lock(c->cache);
	s = pw_cache_put(c->cache, id->key, strlen(id->key), NULL);
	memcpy(s->tenant, id->tenant, sizeof(s->tenant));
	s->expires_ms = now_ms + (ttl_ms > 0 ? ttl_ms : 0);
	pw_cache_unlock(c->cache);
}

int
pw_identity_cache_last(struct pw_identity_cache *c, struct pw_identity *id)
{
	struct pw_identity_cache_slot *s;
	int found = 0;

	pw_cache_lock(c->cache);
	s = pw_cache_find(c->cache, id->key, strlen(id->key));
	if (s != NULL) {
		memcpy(id->tenant, s->tenant, sizeof(id->tenant));
		found = 1;
	}
	pw_cache_unlock(c->cache);
	return found;
}

void
pw_identity_cache_forget(struct pw_identity_cache *c, const char *key)
{
	pw_cache_lock(c->cache);
	pw_cache_remove(c->cache, key, strlen(key));
	pw_cache_unlock(c->cache);
}
