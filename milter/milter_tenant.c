/*
 * milter_tenant.c -- a tenant's milter settings from Redis, cached (see
 * milter_tenant.h).
 *
 * Exports: milter_tenant_cache_new/_expire, milter_tenant_defaults,
 * milter_tenant_get, milter_tenant_has_stream, milter_tenant_is_bulk.
 *
 * The cache is lib/cache.h's, keyed by tenant name, of at most
 * milter_tenant_cache_size entries (the least recently used evicted).  An
 * entry points to an immutable struct milter_tenant, copied out under the
 * lock and replaced whole.
 *
 * Redis: one HMGET of every field per fill, on a handle borrowed from
 * milter_identity.c's pool.  When it fails, the slot keeps its entry,
 * marked stale, and Redis is asked again MILTER_TENANT_RETRY_MS later at
 * the earliest, so that a Redis that hangs delays one message a second,
 * not every message.
 *
 * Fields: each value is checked by lib/tenant_fields.c's rule for it (the
 * rules `postwarden tenant` writes by) and normalised here.
 *
 * Failures and logs: a field whose value breaks its rule is logged here
 * (warning, value escaped and truncated) when the entry is filled, not
 * per message; Redis failures are the caller's to log.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "clock.h"
#include "log.h"
#include "milter.h"
#include "milter_identity.h"
#include "milter_metrics.h"
#include "milter_tenant.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

#define MILTER_TENANT_RETRY_MS	1000
#define MILTER_TENANT_STALE	"redis did not answer; the last answer " \
	"stands"

/* The value of a tenant's cache entry (lib/cache.h). */
struct milter_tenant_slot {
	struct milter_tenant	*t;		/* never NULL */
	int64_t			 expires_ms;
	bool			 stale;		/* Redis failed */
	bool			 refreshing;	/* one asks Redis */
};

/* A field parser: NULL when v (len bytes, NUL-terminated) went into t. */
typedef const char *milter_tenant_parser(struct milter_tenant *t,
    const char *v, size_t len);

static milter_tenant_parser milter_tenant_pool, milter_tenant_stream_pools,
    milter_tenant_geo_pools, milter_tenant_streams,
    milter_tenant_default_stream, milter_tenant_bulk_streams,
    milter_tenant_url, milter_tenant_mailto, milter_tenant_bounce_domain,
    milter_tenant_bounce_local, milter_tenant_dkim_domain,
    milter_tenant_dkim_version;

/* The fields of the HMGET, in order; default_stream after streams. */
static const struct {
	const char		*name;
	milter_tenant_parser	*parse;
} milter_tenant_fields[] = {
	{ "pool",		milter_tenant_pool },
	{ "stream_pools",	milter_tenant_stream_pools },
	{ "geo_pools",		milter_tenant_geo_pools },
	{ "streams",		milter_tenant_streams },
	{ "default_stream",	milter_tenant_default_stream },
	{ "bulk_streams",	milter_tenant_bulk_streams },
	{ "unsubscribe_url",	milter_tenant_url },
	{ "unsubscribe_mailto",	milter_tenant_mailto },
	{ "bounce_domain",	milter_tenant_bounce_domain },
	{ "bounce_local",	milter_tenant_bounce_local },
	{ "dkim_domain",	milter_tenant_dkim_domain },
	{ "dkim_version",	milter_tenant_dkim_version },
};
#define MILTER_TENANT_NFIELDS \
	(sizeof(milter_tenant_fields) / sizeof(milter_tenant_fields[0]))

/* --- cache ------------------------------------------------------------ */

/* lib/cache's free_value. */
static void
milter_tenant_slot_free(void *value)
{
	free(((struct milter_tenant_slot *)value)->t);
}

struct pw_cache *
milter_tenant_cache_new(size_t size)
{
	return pw_cache_new(size, sizeof(struct milter_tenant_slot),
	    milter_tenant_slot_free);
}

static void
milter_tenant_slot_due(void *value, void *arg)
{
	(void)arg;
	((struct milter_tenant_slot *)value)->expires_ms = 0;
}

void
milter_tenant_cache_expire(struct pw_cache *c)
{
	pw_cache_lock(c);
	pw_cache_foreach(c, milter_tenant_slot_due, NULL);
	pw_cache_unlock(c);
}

/* --- fields ----------------------------------------------------------- */

/* Copy len bytes (len < size) lower-cased. */
static void
milter_tenant_lower(char *dst, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[len] = '\0';
}

static const char *
milter_tenant_pool(struct milter_tenant *t, const char *v, size_t len)
{
	if (!pw_tenant_name_ok(v, len))
		return "not a pool name (1 to 32 of a-z 0-9 _ -)";
	memcpy(t->pool, v, len + 1);
	return NULL;
}

static const char *
milter_tenant_streams(struct milter_tenant *t, const char *v, size_t len)
{
	const char *why;

	(void)len;
	return pw_tenant_list_parse(v, t->streams, &why) == 0 ? NULL : why;
}

static const char *
milter_tenant_bulk_streams(struct milter_tenant *t, const char *v,
    size_t len)
{
	const char *why;

	(void)len;
	return pw_tenant_list_parse(v, t->bulk_streams, &why) == 0 ? NULL :
	    why;
}

static const char *
milter_tenant_default_stream(struct milter_tenant *t, const char *v,
    size_t len)
{
	if (!pw_tenant_name_ok(v, len))
		return "not a stream name (1 to 32 of a-z 0-9 _ -)";
	/* streams is parsed first. */
	if (!pw_tenant_list_has(t->streams, v))
		return "not one of the tenant's streams";
	memcpy(t->default_stream, v, len + 1);
	return NULL;
}

static const char *
milter_tenant_stream_pools(struct milter_tenant *t, const char *v,
    size_t len)
{
	const char *why;

	(void)len;
	return pw_tenant_map_parse(v, false, t->stream_pools,
	    PW_TENANT_STREAM_POOLS_MAX, &t->nstream_pools, &why) == 0 ? NULL :
	    why;
}

static const char *
milter_tenant_geo_pools(struct milter_tenant *t, const char *v, size_t len)
{
	const char *why;

	(void)len;
	return pw_tenant_map_parse(v, true, t->geo_pools,
	    PW_TENANT_GEO_POOLS_MAX, &t->ngeo_pools, &why) == 0 ? NULL : why;
}

static const char *
milter_tenant_url(struct milter_tenant *t, const char *v, size_t len)
{
	const char *why;

	if (!pw_tenant_url_ok(v, len, &why))
		return why;
	memcpy(t->unsubscribe_url, v, len + 1);
	return NULL;
}

/* The local part as written, the domain lower-cased. */
static const char *
milter_tenant_mailto(struct milter_tenant *t, const char *v, size_t len)
{
	size_t local;

	if (!pw_tenant_addr_ok(v, len))
		return "not an address (local@domain, no quotes)";
	local = strcspn(v, "@");
	memcpy(t->unsubscribe_mailto, v, local + 1);
	milter_tenant_lower(t->unsubscribe_mailto + local + 1, v + local + 1,
	    len - local - 1);
	return NULL;
}

static const char *
milter_tenant_bounce_domain(struct milter_tenant *t, const char *v,
    size_t len)
{
	if (!pw_tenant_host_ok(v, len))
		return "not a domain name";
	milter_tenant_lower(t->bounce_domain, v, len);
	return NULL;
}

static const char *
milter_tenant_bounce_local(struct milter_tenant *t, const char *v,
    size_t len)
{
	if (!pw_tenant_bounce_local_ok(v, len))
		return "not 1 to 15 of a-z 0-9 . _ - (no dot at either end)";
	memcpy(t->bounce_local, v, len + 1);
	return NULL;
}

static const char *
milter_tenant_dkim_domain(struct milter_tenant *t, const char *v, size_t len)
{
	if (!pw_dkim_valid_domain(v, len))
		return "not a domain name";
	memcpy(t->dkim_domain, v, len + 1);
	return NULL;
}

/* Decimal digits, at most 19 (HINCRBY's counter, never negative). */
static const char *
milter_tenant_dkim_version(struct milter_tenant *t, const char *v,
    size_t len)
{
	uint64_t n = 0;
	size_t i;

	if (len > 19)
		return "not a version number (at most 19 digits)";
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return "not a version number (digits)";
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	t->dkim_version = n;
	return NULL;
}

/* --- settings ------------------------------------------------------------ */

void
milter_tenant_defaults(struct milter_tenant *t, const char *tenant)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", tenant);
	snprintf(t->streams, sizeof(t->streams), "transactional,bulk");
	snprintf(t->default_stream, sizeof(t->default_stream),
	    "transactional");
	snprintf(t->bulk_streams, sizeof(t->bulk_streams), "bulk");
	snprintf(t->bounce_local, sizeof(t->bounce_local), "bounce");
}

/* Take one field's value from Redis; a bad one is logged and ignored. */
static void
milter_tenant_field(struct milter_tenant *t, size_t i, const redisReply *v)
{
	char safe[80];
	const char *why;

	if (v->type != REDIS_REPLY_STRING || v->len == 0)
		return;
	if (v->len > PW_TENANT_VALUE_MAX)
		why = "too long";
	else if (memchr(v->str, '\0', v->len) != NULL)
		why = "holds a NUL byte";
	else
		why = milter_tenant_fields[i].parse(t, v->str, v->len);
	if (why != NULL)
		pw_log_warnx("milter: tenant %s: %s \"%s\" in Redis: %s; "
		    "ignored", t->name, milter_tenant_fields[i].name,
		    pw_log_escape(safe, sizeof(safe), v->str, v->len), why);
}

/* The default stream: transactional when listed, else the first. */
static void
milter_tenant_default_stream_fix(struct milter_tenant *t)
{
	size_t len;

	if (t->default_stream[0] != '\0' &&
	    pw_tenant_list_has(t->streams, t->default_stream))
		return;
	if (pw_tenant_list_has(t->streams, "transactional")) {
		snprintf(t->default_stream, sizeof(t->default_stream),
		    "transactional");
		return;
	}
	len = strcspn(t->streams, ",");
	memcpy(t->default_stream, t->streams, len);
	t->default_stream[len] = '\0';
}

/*
 * Ask Redis for tenant's fields (one HMGET) and fill t.  0, or -1 and a
 * static reason when there is no usable reply.
 */
static int
milter_tenant_fetch(const struct pw_runtime *rt, const char *tenant,
    struct milter_tenant *t, const char **why_r)
{
	const char *argv[2 + MILTER_TENANT_NFIELDS];
	char key[256];
	struct pw_redis *r;
	redisReply *reply;
	size_t i;
	int ret = -1;

	if (pw_schema_key(key, sizeof(key), rt->conf->redis_key_prefix,
	    PW_SCHEMA_TENANT, tenant, NULL, NULL) < 0) {
		*why_r = "tenant key name too long";
		return -1;
	}
	argv[0] = "HMGET";
	argv[1] = key;
	for (i = 0; i < MILTER_TENANT_NFIELDS; i++)
		argv[2 + i] = milter_tenant_fields[i].name;
	if ((r = milter_identity_redis_take(rt)) == NULL) {
		*why_r = "redis: no handle";
		return -1;
	}
	reply = pw_redis_command_argv(r, (int)(2 + MILTER_TENANT_NFIELDS),
	    argv, NULL, why_r);
	milter_identity_redis_give(rt, r);
	if (reply == NULL)
		return -1;
	if (reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != MILTER_TENANT_NFIELDS) {
		*why_r = reply->type == REDIS_REPLY_ERROR ?
		    "redis: error reply to HMGET" :
		    "redis: unexpected reply to HMGET";
		goto out;
	}
	for (i = 0; i < MILTER_TENANT_NFIELDS; i++) {
		if (reply->element[i]->type != REDIS_REPLY_STRING &&
		    reply->element[i]->type != REDIS_REPLY_NIL) {
			*why_r = "redis: unexpected reply to HMGET";
			goto out;
		}
	}
	milter_tenant_defaults(t, tenant);
	for (i = 0; i < MILTER_TENANT_NFIELDS; i++)
		milter_tenant_field(t, i, reply->element[i]);
	milter_tenant_default_stream_fix(t);
	ret = 0;
out:
	freeReplyObject(reply);
	return ret;
}

/* Store fresh (the cache owns it now) as tenant's entry. */
static void
milter_tenant_store(struct pw_cache *c, const char *tenant,
    struct milter_tenant *fresh, int64_t expires_ms)
{
	struct milter_tenant_slot *slot;
	struct milter_tenant *old;

	pw_cache_lock(c);
	slot = pw_cache_put(c, tenant, strlen(tenant), NULL);
	old = slot->t;
	slot->t = fresh;
	slot->expires_ms = expires_ms;
	slot->stale = false;
	slot->refreshing = false;
	pw_cache_unlock(c);
	free(old);
}

/* Redis failed: tenant's entry, if still there, is stale; retry later. */
static void
milter_tenant_failed(struct pw_cache *c, const char *tenant, int64_t now)
{
	struct milter_tenant_slot *slot;

	pw_cache_lock(c);
	if ((slot = pw_cache_find(c, tenant, strlen(tenant))) != NULL) {
		slot->stale = true;
		slot->refreshing = false;
		slot->expires_ms = now + MILTER_TENANT_RETRY_MS;
	}
	pw_cache_unlock(c);
}

int
milter_tenant_get(const struct pw_runtime *rt, const char *tenant,
    struct milter_tenant *t, const char **why_r)
{
	struct pw_cache *c = ((const struct milter_runtime *)rt->extra)->tenants;
	struct milter_tenant_slot *slot;
	struct milter_tenant *fresh;
	int64_t now = pw_clock_ms();
	bool found = false, use = false, stale = false;

	*why_r = NULL;
	if (!pw_identity_valid_tenant(tenant, strlen(tenant))) {
		milter_tenant_defaults(t, "");
		*why_r = "not a valid tenant name";
		return -1;
	}
	pw_cache_lock(c);
	if ((slot = pw_cache_find(c, tenant, strlen(tenant))) != NULL) {
		found = true;
		*t = *slot->t;
		stale = slot->stale;
		/* Fresh, or another thread is asking Redis already. */
		if (now < slot->expires_ms || slot->refreshing)
			use = true;
		else
			slot->refreshing = true;
	}
	pw_cache_unlock(c);
	if (use) {
		milter_metrics_cache(MILTER_METRICS_CACHE_TENANT,
		    MILTER_METRICS_HIT);
		if (stale)
			*why_r = MILTER_TENANT_STALE;
		return 0;
	}
	fresh = pw_xmalloc(sizeof(*fresh));
	if (milter_tenant_fetch(rt, tenant, fresh, why_r) == 0) {
		*t = *fresh;
		milter_tenant_store(c, tenant, fresh,
		    now + rt->conf->identity_cache_ttl_ms);
		milter_metrics_cache(MILTER_METRICS_CACHE_TENANT,
		    MILTER_METRICS_MISS);
		return 0;
	}
	free(fresh);
	milter_tenant_failed(c, tenant, now);
	milter_metrics_cache(MILTER_METRICS_CACHE_TENANT, found ?
	    MILTER_METRICS_STALE : MILTER_METRICS_UNKNOWN);
	if (found)
		return 0;	/* *t: the last answer; *why_r says why */
	milter_tenant_defaults(t, tenant);
	return -1;
}

bool
milter_tenant_has_stream(const struct milter_tenant *t, const char *stream)
{
	return *stream != '\0' && pw_tenant_list_has(t->streams, stream);
}

bool
milter_tenant_is_bulk(const struct milter_tenant *t, const char *stream)
{
	return *stream != '\0' && pw_tenant_list_has(t->bulk_streams, stream);
}
