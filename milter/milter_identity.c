/*
 * milter_identity.c -- who sends a message, for the milter (see
 * milter_identity.h).
 *
 * Threads: libmilter runs connections in many threads, and a hiredis
 * context is not thread-safe, so Redis handles live in a small pool: a
 * thread takes one for a command and gives it back.  The pool keeps at
 * most MILTER_REDIS_IDLE idle handles; more are made when many threads
 * ask at once.  The cache (lib/identity_cache) is shared.
 *
 * Failures: Redis trouble never stops mail here; the message goes on
 * without a tenant, and the caller logs why (lib/redis logs the outage
 * itself once).
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_keys.h"
#include "identity_cache.h"
#include "log.h"
#include "milter.h"
#include "milter_identity.h"
#include "redis.h"
#include "xmalloc.h"

#define MILTER_REDIS_IDLE	16
#define MILTER_CACHE_SLOTS	4096
#define MILTER_DOMAIN_SLOTS	1024	/* tenant -> DKIM domain, a power of 2 */

/* A tenant's dkim_domain ("" for none) as Redis last said it. */
struct milter_domain_slot {
	char	tenant[PW_IDENTITY_TENANT_MAX + 1];
	char	domain[PW_DKIM_DOMAIN_MAX + 1];
	int64_t	expires_ms;
};

struct milter_state {
	pthread_mutex_t			 lock;
	struct pw_redis			*idle[MILTER_REDIS_IDLE];
	int				 nidle;
	const struct pw_conf		*conf;	/* of the owning snapshot */
	struct pw_identity_cache	*cache;
	pthread_mutex_t			 domain_lock;
	struct milter_domain_slot	*domains;
};

void
milter_identity_free(struct milter_state *arg)
{
	struct milter_state *st = arg;
	int i;

	for (i = 0; i < st->nidle; i++)
		pw_redis_free(&st->idle[i]);
	pw_identity_cache_free(&st->cache);
	free(st->domains);
	pthread_mutex_destroy(&st->domain_lock);
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
	pthread_mutex_init(&st->domain_lock, NULL);
	st->domains = pw_xcalloc(MILTER_DOMAIN_SLOTS, sizeof(*st->domains));
	st->idle[st->nidle++] = probe;
	*st_r = st;
	return 0;
}

static struct pw_redis *
milter_redis_take(struct milter_state *st)
{
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

static void
milter_redis_give(struct milter_state *st, struct pw_redis *r)
{
	pthread_mutex_lock(&st->lock);
	if (st->nidle < MILTER_REDIS_IDLE) {
		st->idle[st->nidle++] = r;
		r = NULL;
	}
	pthread_mutex_unlock(&st->lock);
	pw_redis_free(&r);
}

/* Fill id->tenant for an API key from the cache or Redis; NULL or why not. */
static const char *
milter_identity_tenant(const struct pw_runtime *rt, struct pw_identity *id)
{
	struct milter_state *st =
	    ((const struct milter_runtime *)rt->extra)->identity;
	const char *argv[PW_IDENTITY_KEY_ARGC], *why = NULL;
	size_t argvlen[PW_IDENTITY_KEY_ARGC];
	char keybuf[PW_IDENTITY_KEY_MAX + 128];
	struct pw_redis *r;
	redisReply *reply;
	int64_t now = pw_redis_now_ms();
	int ret;

	if (pw_identity_cache_get(st->cache, id, now))
		return NULL;
	if ((r = milter_redis_take(st)) == NULL)
		return "redis: no handle";
	pw_identity_key_argv(rt->conf->redis_key_prefix, id, keybuf,
	    sizeof(keybuf), argv, argvlen);
	reply = pw_redis_command_argv(r, PW_IDENTITY_KEY_ARGC, argv, argvlen,
	    &why);
	milter_redis_give(st, r);
	ret = pw_identity_key_reply(reply, id, &why);
	if (reply != NULL)
		freeReplyObject(reply);
	if (ret == 0) {
		pw_identity_cache_put(st->cache, id, now,
		    rt->conf->identity_cache_ttl_ms);
		return NULL;
	}
	return ret == 1 ? "unknown API key" : why;
}

int
milter_identity_resolve(const struct pw_runtime *rt, const char *sasl,
    const char *client_addr, const char *sender, struct pw_identity *id,
    const char **why_r)
{
	*why_r = NULL;
	if (pw_identity_resolve(rt->identity, sasl, client_addr, sender, id,
	    why_r) < 0)
		return -1;
	if (id->source == PW_IDENTITY_SASL)
		*why_r = milter_identity_tenant(rt, id);
	return 0;
}

static struct milter_domain_slot *
milter_domain_slot(struct milter_state *st, const char *tenant)
{
	uint32_t h = 2166136261u;

	for (; *tenant != '\0'; tenant++)
		h = (h ^ (unsigned char)*tenant) * 16777619u;
	return &st->domains[h & (MILTER_DOMAIN_SLOTS - 1)];
}

/* Ask Redis: 0 and domain ("" if none), or -1 with *why_r. */
static int
milter_domain_redis(struct milter_state *st, const char *tenant,
    char *domain, size_t size, const char **why_r)
{
	char key[256];
	const char *argv[3];
	size_t argvlen[3];
	struct pw_redis *r;
	redisReply *reply;
	int n, ret = -1;

	n = snprintf(key, sizeof(key), "%s{%s}:tenant",
	    st->conf->redis_key_prefix, tenant);
	if (n < 0 || (size_t)n >= sizeof(key)) {
		*why_r = "tenant name too long";
		return -1;
	}
	argv[0] = "HGET";
	argv[1] = key;
	argv[2] = "dkim_domain";
	argvlen[0] = 4;
	argvlen[1] = (size_t)n;
	argvlen[2] = 11;
	if ((r = milter_redis_take(st)) == NULL) {
		*why_r = "redis: no handle";
		return -1;
	}
	reply = pw_redis_command_argv(r, 3, argv, argvlen, why_r);
	milter_redis_give(st, r);
	if (reply == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_NIL) {
		domain[0] = '\0';
		ret = 0;
	} else if (reply->type == REDIS_REPLY_STRING && reply->len < size &&
	    pw_dkim_valid_domain(reply->str, reply->len)) {
		memcpy(domain, reply->str, reply->len);
		domain[reply->len] = '\0';
		ret = 0;
	} else
		*why_r = "dkim_domain in Redis is not a domain name";
	freeReplyObject(reply);
	return ret;
}

int
milter_identity_dkim_domain(const struct pw_runtime *rt, const char *tenant,
    char *domain, size_t size, const char **why_r)
{
	struct milter_state *st =
	    ((const struct milter_runtime *)rt->extra)->identity;
	struct milter_domain_slot *slot;
	int64_t now = pw_redis_now_ms();
	int found = 0, fresh = 0;

	if (size < sizeof(slot->domain)) {
		*why_r = "buffer too small";
		return -1;
	}
	slot = milter_domain_slot(st, tenant);
	pthread_mutex_lock(&st->domain_lock);
	if (strcmp(slot->tenant, tenant) == 0) {
		found = 1;
		fresh = now < slot->expires_ms;
		memcpy(domain, slot->domain, sizeof(slot->domain));
	}
	pthread_mutex_unlock(&st->domain_lock);
	if (fresh)
		return 0;
	if (milter_domain_redis(st, tenant, domain, size, why_r) < 0)
		/* Redis in trouble: what it said last time still holds. */
		return found ? 0 : -1;
	pthread_mutex_lock(&st->domain_lock);
	snprintf(slot->tenant, sizeof(slot->tenant), "%s", tenant);
	snprintf(slot->domain, sizeof(slot->domain), "%s", domain);
	slot->expires_ms = now + st->conf->identity_cache_ttl_ms;
	pthread_mutex_unlock(&st->domain_lock);
	return 0;
}
