/*
 * policyd_identity.c -- who sends, for the policy daemon (see
 * policyd_identity.h).
 *
 * Ownership: each Redis lookup carries a small struct with the identity
 * being built and the caller's callback; it is freed when the lookup's
 * callback runs, which lib/redis_async guarantees happens exactly once.
 *
 * Failures: a Redis failure is not an answer: the key's tenant is the
 * cache's last answer for it, however old (lib/identity_cache.h), and
 * without one the caller learns the tenant is unknown and why
 * (lib/redis_async logs the outage once).
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "identity_cache.h"
#include "policyd_metrics.h"
#include "log.h"
#include "policyd_identity.h"
#include "redis_async.h"
#include "xmalloc.h"

struct policyd_identity {
	struct event_base		*base;
	struct pw_redis_async		*redis;
	struct pw_identity_cache	*cache;
	int				 cache_size;
	char				*prefix;
	int64_t				 ttl_ms;
	struct pw_redis_params		*params;	/* to spot changes */
};

struct policyd_identity_lookup {
	struct policyd_identity	*pi;
	struct pw_identity	 id;
	policyd_identity_cb	*cb;
	void			*arg;
};

/* Make the Redis client and remember what it was made from. */
static int
policyd_identity_connect(struct policyd_identity *pi,
    const struct pw_conf *conf, const char **why_r)
{
	struct pw_redis_params *params;
	struct pw_redis_async *redis;

	if ((params = pw_redis_params_new(conf, why_r)) == NULL)
		return -1;
	if ((redis = pw_redis_async_new(conf, pi->base, why_r)) == NULL) {
		pw_redis_params_free(&params);
		return -1;
	}
	pw_redis_async_free(&pi->redis);
	pw_redis_params_free(&pi->params);
	pi->redis = redis;
	pi->params = params;
	policyd_metrics_redis(redis);	/* nothing before init */
	free(pi->prefix);
	pi->prefix = pw_xstrdup(conf->redis_key_prefix);
	pi->ttl_ms = conf->identity_cache_ttl_ms;
	return 0;
}

struct policyd_identity *
policyd_identity_new(struct event_base *base, const struct pw_conf *conf,
    char *err, size_t errsize)
{
	struct policyd_identity *pi = pw_xcalloc(1, sizeof(*pi));
	const char *why;

	pi->base = base;
	pi->cache_size = conf->identity_cache_size;
	pi->cache = pw_identity_cache_new((size_t)pi->cache_size);
	if (policyd_identity_connect(pi, conf, &why) < 0) {
		snprintf(err, errsize, "redis_server: %s", why);
		policyd_identity_free(&pi);
		return NULL;
	}
	return pi;
}

void
policyd_identity_free(struct policyd_identity **pip)
{
	struct policyd_identity *pi = *pip;

	if (pi == NULL)
		return;
	*pip = NULL;
	pw_redis_async_free(&pi->redis);
	pw_redis_params_free(&pi->params);
	pw_identity_cache_free(&pi->cache);
	free(pi->prefix);
	free(pi);
}

/* Compare two settings that may be NULL (unset). */
static bool
policyd_identity_differ(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0;
}

void
policyd_identity_reconfigure(struct policyd_identity *pi,
    const struct pw_conf *conf)
{
	const struct pw_redis_params *o = pi->params;
	struct pw_redis_params *n;
	const char *why;
	bool changed;

	pi->ttl_ms = conf->identity_cache_ttl_ms;
	if (conf->identity_cache_size != pi->cache_size) {
		/* A new size: start again with an empty cache. */
		pw_identity_cache_free(&pi->cache);
		pi->cache_size = conf->identity_cache_size;
		pi->cache = pw_identity_cache_new((size_t)pi->cache_size);
		pw_log_info("reload: identity_cache_size is now %d",
		    pi->cache_size);
	}
	if ((n = pw_redis_params_new(conf, &why)) == NULL)
		return;		/* cannot happen: the conf was checked */
	changed = policyd_identity_differ(o->server, n->server) ||
	    policyd_identity_differ(o->username, n->username) ||
	    policyd_identity_differ(o->password, n->password) ||
	    o->database != n->database ||
	    o->connect_timeout_ms != n->connect_timeout_ms ||
	    o->command_timeout_ms != n->command_timeout_ms ||
	    o->reconnect_delay_ms != n->reconnect_delay_ms ||
	    o->reconnect_max_delay_ms != n->reconnect_max_delay_ms ||
	    policyd_identity_differ(o->key_prefix, n->key_prefix);
	pw_redis_params_free(&n);
	if (!changed)
		return;
	if (policyd_identity_connect(pi, conf, &why) < 0)
		pw_log_warnx("reload: keeping the old Redis connection: %s",
		    why);
	else
		pw_log_info("reload: Redis settings changed; reconnecting");
}

static void
policyd_identity_reply(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	struct policyd_identity_lookup *l = arg;
	enum pw_identity_result res = PW_IDENTITY_FAILED;

	if (reply != NULL)
		res = pw_identity_key_reply(reply, &l->id, &why);
	if (res == PW_IDENTITY_OK) {
		pw_identity_cache_put(l->pi->cache, &l->id, pw_clock_ms(),
		    l->pi->ttl_ms);
		why = NULL;
	} else if (res == PW_IDENTITY_UNKNOWN_KEY) {
		pw_identity_cache_forget(l->pi->cache, l->id.key);
		why = "unknown API key";
	} else if (pw_identity_cache_last(l->pi->cache, &l->id)) {
		policyd_metrics_identity_cache("stale");
		res = PW_IDENTITY_OK;
		why = NULL;
	}
	l->cb(&l->id, res, why, l->arg);
	free(l);
}

void
policyd_identity_resolve(struct policyd_identity *pi,
    const struct pw_runtime *rt, const char *sasl_username,
    const char *client_address, const char *sender,
    policyd_identity_cb *cb, void *arg)
{
	const char *argv[PW_IDENTITY_KEY_ARGC], *why = NULL;
	size_t argvlen[PW_IDENTITY_KEY_ARGC];
	char keybuf[PW_IDENTITY_KEY_MAX + 128];
	struct policyd_identity_lookup *l;
	struct pw_identity id;

	if (pw_identity_resolve(rt->identity, sasl_username, client_address,
	    sender, &id, &why) != PW_IDENTITY_OK) {
		memset(&id, 0, sizeof(id));
		cb(&id, PW_IDENTITY_INVALID_KEY, why, arg);
		return;
	}
	if (id.source != PW_IDENTITY_SASL) {
		cb(&id, PW_IDENTITY_OK, NULL, arg);
		return;
	}
	if (pw_identity_cache_get(pi->cache, &id, pw_clock_ms())) {
		policyd_metrics_identity_cache("hit");
		cb(&id, PW_IDENTITY_OK, NULL, arg);
		return;
	}
	policyd_metrics_identity_cache("miss");
	l = pw_xcalloc(1, sizeof(*l));
	l->pi = pi;
	l->id = id;
	l->cb = cb;
	l->arg = arg;
	pw_identity_key_argv(pi->prefix, &l->id, keybuf, sizeof(keybuf), argv,
	    argvlen);
	if (pw_redis_async_command_argv(pi->redis, PW_IDENTITY_KEY_ARGC, argv,
	    argvlen, policyd_identity_reply, l, &why) < 0) {
		free(l);
		if (pw_identity_cache_last(pi->cache, &id)) {
			policyd_metrics_identity_cache("stale");
			cb(&id, PW_IDENTITY_OK, NULL, arg);
		} else
			cb(&id, PW_IDENTITY_FAILED, why, arg);
	}
}

struct pw_redis_async *
policyd_identity_redis(struct policyd_identity *pi)
{
	return pi->redis;
}
