/*
 * milter_identity.c -- who sends a message, for the milter (see
 * milter_identity.h).
 *
 * Threads: libmilter runs connections in many threads, and a hiredis
 * context is not thread-safe, so Redis handles live in a small pool: a
 * thread takes one for a command and gives it back.  The pool keeps at
 * most MILTER_REDIS_IDLE idle handles; more are made when many threads
 * ask at once; milter_tenant.c borrows them the same way.  The cache
 * (lib/identity_cache) is shared.
 *
 * Failures: when Redis cannot answer, a key's tenant is the cache's last
 * answer, however old (lib/identity_cache.h); without one the tenant is
 * unresolved, and the caller applies milter_identity_failure_mode and
 * logs why (lib/redis logs the outage itself once).
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "identity_cache.h"
#include "log.h"
#include "milter.h"
#include "milter_identity.h"
#include "milter_metrics.h"
#include "redis.h"
#include "xmalloc.h"

#define MILTER_REDIS_IDLE	16
#define MILTER_CACHE_SLOTS	4096

struct milter_state {
	pthread_mutex_t			 lock;
	struct pw_redis			*idle[MILTER_REDIS_IDLE];
	int				 nidle;
	const struct pw_conf		*conf;	/* of the owning snapshot */
	struct pw_identity_cache	*cache;
};

void
milter_identity_free(struct milter_state *arg)
{
	struct milter_state *st = arg;
	int i;

	for (i = 0; i < st->nidle; i++)
		pw_redis_free(&st->idle[i]);
	pw_identity_cache_free(&st->cache);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

int
milter_identity_load(struct pw_runtime *rt, struct milter_state **st_r,
    char *err, size_t errsize)
{
	struct milter_state *st;
	struct pw_redis *probe;
	const char *why;

	/* Refuse a redis_server that lib/redis cannot use, at load time. */
	if ((probe = pw_redis_new(rt->conf, &why)) == NULL) {
		snprintf(err, errsize, "%s: redis_server: %s", rt->conf->path,
		    why);
		return -1;
	}
	st = pw_xcalloc(1, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	st->conf = rt->conf;
	st->cache = pw_identity_cache_new(MILTER_CACHE_SLOTS);
	st->idle[st->nidle++] = probe;
	*st_r = st;
	return 0;
}

void
milter_identity_share_cache(struct milter_state *st,
    const struct milter_state *old)
{
	pw_identity_cache_free(&st->cache);
	st->cache = pw_identity_cache_ref(old->cache);
}

/* The identity state of a snapshot. */
static struct milter_state *
milter_identity_state(const struct pw_runtime *rt)
{
	return ((const struct milter_runtime *)rt->extra)->identity;
}

struct pw_redis *
milter_identity_redis_take(const struct pw_runtime *rt)
{
	struct milter_state *st = milter_identity_state(rt);
	struct pw_redis *r = NULL;
	const char *why;

	pthread_mutex_lock(&st->lock);
	if (st->nidle > 0)
		r = st->idle[--st->nidle];
	pthread_mutex_unlock(&st->lock);
	if (r == NULL && (r = pw_redis_new(st->conf, &why)) == NULL)
		pw_log_warnx("milter: cannot make a Redis handle: %s", why);
	return r;
}

void
milter_identity_redis_give(const struct pw_runtime *rt, struct pw_redis *r)
{
	struct milter_state *st = milter_identity_state(rt);

	if (r == NULL)
		return;
	pthread_mutex_lock(&st->lock);
	if (st->nidle < MILTER_REDIS_IDLE) {
		st->idle[st->nidle++] = r;
		r = NULL;
	}
	pthread_mutex_unlock(&st->lock);
	pw_redis_free(&r);
}

/*
 * Fill id->tenant for an API key from the cache or Redis: NULL, or why
 * not.  *down_r: Redis could not answer (id->tenant, if set, is the
 * cache's last answer).
 */
static const char *
milter_identity_tenant(const struct pw_runtime *rt, struct pw_identity *id,
    bool *down_r)
{
	struct milter_state *st = milter_identity_state(rt);
	const char *argv[PW_IDENTITY_KEY_ARGC], *why = NULL;
	size_t argvlen[PW_IDENTITY_KEY_ARGC];
	char keybuf[PW_IDENTITY_KEY_MAX + 128];
	struct pw_redis *r;
	redisReply *reply;
	int64_t now = pw_clock_ms();
	enum pw_identity_result res;

	if (pw_identity_cache_get(st->cache, id, now))
		return NULL;
	if ((r = milter_identity_redis_take(rt)) == NULL) {
		milter_metrics_identity_down();
		*down_r = true;
		return pw_identity_cache_last(st->cache, id) ? NULL :
		    "redis: no handle";
	}
	pw_identity_key_argv(rt->conf->redis_key_prefix, id, keybuf,
	    sizeof(keybuf), argv, argvlen);
	reply = pw_redis_command_argv(r, PW_IDENTITY_KEY_ARGC, argv, argvlen,
	    &why);
	milter_identity_redis_give(rt, r);
	res = pw_identity_key_reply(reply, id, &why);
	if (reply != NULL)
		freeReplyObject(reply);
	if (res == PW_IDENTITY_OK) {
		pw_identity_cache_put(st->cache, id, now,
		    rt->conf->identity_cache_ttl_ms);
		return NULL;
	}
	if (res == PW_IDENTITY_UNKNOWN_KEY) {
		pw_identity_cache_forget(st->cache, id->key);
		return "unknown API key";
	}
	milter_metrics_identity_down();
	*down_r = true;
	return pw_identity_cache_last(st->cache, id) ? NULL : why;
}

int
milter_identity_resolve(const struct pw_runtime *rt, const char *sasl,
    const char *client_addr, const char *sender, struct pw_identity *id,
    const char **why_r, bool *down_r)
{
	*why_r = NULL;
	*down_r = false;
	if (pw_identity_resolve(rt->identity, sasl, client_addr, sender, id,
	    why_r) != PW_IDENTITY_OK)
		return -1;
	if (id->source == PW_IDENTITY_SASL)
		*why_r = milter_identity_tenant(rt, id, down_r);
	return 0;
}
