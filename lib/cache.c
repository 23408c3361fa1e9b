/*
 * cache.c -- a bounded key -> value cache with LRU eviction (see
 * cache.h).
 *
 * Exports: pw_cache_new/_ref/_free, pw_cache_lock/_unlock,
 * pw_cache_find, pw_cache_put, pw_cache_remove, pw_cache_foreach,
 * pw_cache_count, pw_cache_capacity, pw_cache_key2.
 *
 * An entry is one allocation: header, value (aligned to 16), key.  It is
 * on one bucket's chain (singly linked, new entries first) and on the
 * LRU list (head: most recently used).  The hash is a 64-bit FNV-1a with
 * a final mix, so that keys that differ only in their last bytes (d00001,
 * d00002...) spread over the low bits that pick the bucket; a bad spread
 * would only lengthen chains, never evict.
 *
 * Threads: the caller holds c->lock (cache.h).  Failures: none
 * (pw_xmalloc exits when memory runs out).
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "xmalloc.h"

struct pw_cache_entry {
	struct pw_cache_entry	*hnext;		/* bucket chain */
	struct pw_cache_entry	*prev, *next;	/* LRU list */
	uint64_t		 hash;
	size_t			 keylen;
	/* value (value_size, rounded up to 16), then the key */
	_Alignas(16) unsigned char data[];
};

struct pw_cache {
	int			  refs;		/* atomic */
	pthread_mutex_t		  lock;
	size_t			  capacity, count, mask;
	size_t			  value_size;	/* rounded up to 16 */
	pw_cache_free_fn	 *free_value;
	struct pw_cache_entry	**buckets;
	struct pw_cache_entry	 *head, *tail;	/* most, least recent */
};

struct pw_cache *
pw_cache_new(size_t capacity, size_t value_size,
    pw_cache_free_fn *free_value)
{
	struct pw_cache *c = pw_xcalloc(1, sizeof(*c));
	size_t n = 1;

	if (capacity < 1)
		capacity = 1;
	if (capacity > PW_CACHE_MAX)
		capacity = PW_CACHE_MAX;
	while (n < capacity)
		n <<= 1;
	c->refs = 1;
	pthread_mutex_init(&c->lock, NULL);
	c->capacity = capacity;
	c->mask = n - 1;
	c->value_size = (value_size + 15) & ~(size_t)15;
	c->free_value = free_value;
	c->buckets = pw_xcalloc(n, sizeof(*c->buckets));
	return c;
}

struct pw_cache *
pw_cache_ref(struct pw_cache *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void
pw_cache_free(struct pw_cache **cp)
{
	struct pw_cache *c = *cp;
	struct pw_cache_entry *e, *next;

	if (c == NULL)
		return;
	*cp = NULL;
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (e = c->head; e != NULL; e = next) {
		next = e->next;
		if (c->free_value != NULL)
			c->free_value(e->data);
		free(e);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->buckets);
	free(c);
}

void
pw_cache_lock(struct pw_cache *c)
{
	pthread_mutex_lock(&c->lock);
}

void
pw_cache_unlock(struct pw_cache *c)
{
	pthread_mutex_unlock(&c->lock);
}

size_t
pw_cache_count(const struct pw_cache *c)
{
	return c->count;
}

size_t
pw_cache_capacity(const struct pw_cache *c)
{
	return c->capacity;
}

/* FNV-1a, 64 bits, then a mix of the high bits into the low ones. */
static uint64_t
pw_cache_hash(const void *key, size_t keylen)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < keylen; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static unsigned char *
pw_cache_entry_key(const struct pw_cache *c, struct pw_cache_entry *e)
{
	return e->data + c->value_size;
}

/* The entry of key, and the link that points to it; NULL when absent. */
static struct pw_cache_entry **
pw_cache_link(struct pw_cache *c, const void *key, size_t keylen,
    uint64_t h)
{
	struct pw_cache_entry **lp, *e;

	for (lp = &c->buckets[h & c->mask]; (e = *lp) != NULL;
	    lp = &e->hnext)
		if (e->hash == h && e->keylen == keylen &&
		    memcmp(pw_cache_entry_key(c, e), key, keylen) == 0)
			return lp;
	return NULL;
}

static void
pw_cache_lru_unlink(struct pw_cache *c, struct pw_cache_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
pw_cache_lru_push(struct pw_cache *c, struct pw_cache_entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

/* Drop e, whose chain link is *lp. */
static void
pw_cache_drop(struct pw_cache *c, struct pw_cache_entry **lp,
    struct pw_cache_entry *e)
{
	*lp = e->hnext;
	pw_cache_lru_unlink(c, e);
	c->count--;
	if (c->free_value != NULL)
		c->free_value(e->data);
	free(e);
}

void *
pw_cache_find(struct pw_cache *c, const void *key, size_t keylen)
{
	struct pw_cache_entry **lp, *e;

	if ((lp = pw_cache_link(c, key, keylen,
	    pw_cache_hash(key, keylen))) == NULL)
		return NULL;
	e = *lp;
	if (c->head != e) {
		pw_cache_lru_unlink(c, e);
		pw_cache_lru_push(c, e);
	}
	return e->data;
}

void *
pw_cache_put(struct pw_cache *c, const void *key, size_t keylen,
    bool *created_r)
{
	uint64_t h = pw_cache_hash(key, keylen);
	struct pw_cache_entry **lp, *e;

	if ((lp = pw_cache_link(c, key, keylen, h)) != NULL) {
		e = *lp;
		if (c->head != e) {
			pw_cache_lru_unlink(c, e);
			pw_cache_lru_push(c, e);
		}
		if (created_r != NULL)
			*created_r = false;
		return e->data;
	}
	if (c->count >= c->capacity) {
		e = c->tail;
		lp = pw_cache_link(c, pw_cache_entry_key(c, e), e->keylen,
		    e->hash);
		pw_cache_drop(c, lp, e);
	}
	/* @UNSAFE: header + value_size (bounded by the caller) + keylen. */
	e = pw_xcalloc(1, sizeof(*e) + c->value_size + keylen);
	e->hash = h;
	e->keylen = keylen;
	memcpy(pw_cache_entry_key(c, e), key, keylen);
	e->hnext = c->buckets[h & c->mask];
	c->buckets[h & c->mask] = e;
	pw_cache_lru_push(c, e);
	c->count++;
	if (created_r != NULL)
		*created_r = true;
	return e->data;
}

void
pw_cache_remove(struct pw_cache *c, const void *key, size_t keylen)
{
	struct pw_cache_entry **lp;

	if ((lp = pw_cache_link(c, key, keylen,
	    pw_cache_hash(key, keylen))) != NULL)
		pw_cache_drop(c, lp, *lp);
}

void
pw_cache_foreach(struct pw_cache *c, void (*fn)(void *value, void *arg),
    void *arg)
{
	struct pw_cache_entry *e;

	for (e = c->head; e != NULL; e = e->next)
		fn(e->data, arg);
}

size_t
pw_cache_key2(char *buf, const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);

	/* @UNSAFE: the caller sized buf for both. */
	memcpy(buf, a, al);
	buf[al] = '\0';
	memcpy(buf + al + 1, b, bl);
	return al + 1 + bl;
}
