/*
 * auth_throttle.c -- the local record of throttled client addresses (see
 * auth_throttle.h), on lib/cache.c's bounded LRU cache.
 *
 * Exports: auth_throttle_new/free/add/check.
 * Threads: the event loop's only (the pw_cache lock is taken anyway, as
 * lib/cache.h asks; it is never contended).  Ownership: the record owns
 * its entries.
 * Failures: none (allocation failure exits).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "auth_throttle.h"
#include "cache.h"
#include "xmalloc.h"

/* An entry's value: until when its address is throttled. */
struct auth_throttle_value {
	int64_t	until_ms;
};

struct auth_throttle {
	struct pw_cache	*lru;
};

struct auth_throttle *
auth_throttle_new(void)
{
	struct auth_throttle *t = pw_xcalloc(1, sizeof(*t));

	t->lru = pw_cache_new(AUTH_THROTTLE_SIZE,
	    sizeof(struct auth_throttle_value), NULL);
	return t;
}

void
auth_throttle_free(struct auth_throttle **tp)
{
	struct auth_throttle *t = *tp;

	if (t == NULL)
		return;
	*tp = NULL;
	pw_cache_free(&t->lru);
	free(t);
}

void
auth_throttle_add(struct auth_throttle *t, const char *addr,
    int64_t until_ms)
{
	struct auth_throttle_value *v;
	size_t len = strlen(addr);

	if (len == 0 || len > AUTH_THROTTLE_ADDR_MAX)
		return;
	pw_cache_lock(t->lru);
	v = pw_cache_put(t->lru, addr, len, NULL);
	v->until_ms = until_ms;
	pw_cache_unlock(t->lru);
}

int
auth_throttle_check(struct auth_throttle *t, const char *addr,
    int64_t now_ms)
{
	struct auth_throttle_value *v;
	size_t len = strlen(addr);
	int throttled = 0;

	if (len == 0 || len > AUTH_THROTTLE_ADDR_MAX)
		return 0;
	pw_cache_lock(t->lru);
	if ((v = pw_cache_find(t->lru, addr, len)) != NULL) {
		throttled = now_ms < v->until_ms;
		/* Expired: room for an address that is throttled now. */
		if (!throttled)
			pw_cache_remove(t->lru, addr, len);
	}
	pw_cache_unlock(t->lru);
	return throttled;
}
