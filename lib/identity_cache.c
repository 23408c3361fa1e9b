/*
 * identity_cache.c -- bounded key -> tenant cache (see identity_cache.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "identity_cache.h"
#include "xmalloc.h"

struct pw_identity_cache_slot {
	bool	used;
	int64_t	expires_ms;		/* fresh until; the last answer after */
	char	key[PW_IDENTITY_KEY_MAX + 1];
	char	tenant[PW_IDENTITY_TENANT_MAX + 1];
};

struct pw_identity_cache {
	int				 refs;		/* atomic */
	pthread_mutex_t			 lock;
	size_t				 mask;
	struct pw_identity_cache_slot	*slots;
};

struct pw_identity_cache *
pw_identity_cache_new(size_t slots)
{
	struct pw_identity_cache *c = pw_xcalloc(1, sizeof(*c));
	size_t n = 1;

	while (n < slots && n < ((size_t)1 << 24))
		n <<= 1;
	c->mask = n - 1;
	c->slots = pw_xcalloc(n, sizeof(*c->slots));
	c->refs = 1;
	pthread_mutex_init(&c->lock, NULL);
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
	pthread_mutex_destroy(&c->lock);
	free(c->slots);
	free(c);
}

/* FNV-1a: keys are short, and a bad spread only costs cache misses. */
static size_t
pw_identity_cache_slot(const struct pw_identity_cache *c, const char *key)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 1099511628211ULL;
	}
	return (size_t)h & c->mask;
}

int
pw_identity_cache_get(struct pw_identity_cache *c, struct pw_identity *id,
    int64_t now_ms)
{
	struct pw_identity_cache_slot *s;
	int found = 0;

	pthread_mutex_lock(&c->lock);
	s = &c->slots[pw_identity_cache_slot(c, id->key)];
	if (s->used && s->expires_ms > now_ms &&
	    strcmp(s->key, id->key) == 0) {
		memcpy(id->tenant, s->tenant, sizeof(id->tenant));
		found = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

void
pw_identity_cache_put(struct pw_identity_cache *c,
    const struct pw_identity *id, int64_t now_ms, int64_t ttl_ms)
{
	struct pw_identity_cache_slot *s;

	pthread_mutex_lock(&c->lock);
	s = &c->slots[pw_identity_cache_slot(c, id->key)];
	memcpy(s->key, id->key, sizeof(s->key));
	memcpy(s->tenant, id->tenant, sizeof(s->tenant));
	s->expires_ms = now_ms + (ttl_ms > 0 ? ttl_ms : 0);
	s->used = true;
	pthread_mutex_unlock(&c->lock);
}

int
pw_identity_cache_last(struct pw_identity_cache *c, struct pw_identity *id)
{
	struct pw_identity_cache_slot *s;
	int found = 0;

	pthread_mutex_lock(&c->lock);
	s = &c->slots[pw_identity_cache_slot(c, id->key)];
	if (s->used && strcmp(s->key, id->key) == 0) {
		memcpy(id->tenant, s->tenant, sizeof(id->tenant));
		found = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

void
pw_identity_cache_forget(struct pw_identity_cache *c, const char *key)
{
	struct pw_identity_cache_slot *s;

	pthread_mutex_lock(&c->lock);
	s = &c->slots[pw_identity_cache_slot(c, key)];
	if (s->used && strcmp(s->key, key) == 0)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&c->lock);
}
