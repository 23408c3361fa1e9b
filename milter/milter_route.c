/*
 * milter_route.c -- the egress pool of a message (see milter_route.h).
 *
 * Exports: milter_route_choose.
 *
 * Everything it returns is copied into the caller's struct: the names
 * come from the snapshot's settings and the tenant's checked settings
 * (milter_tenant.c), so they fit and are safe in a header and a log line.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "milter_route.h"

/* pw_conf_list_foreach callbacks: 1 when item is the name sought; 1. */
static int
milter_route_is(const char *item, size_t len, void *arg)
{
	const char *name = arg;

	return strlen(name) == len && memcmp(item, name, len) == 0;
}

static int
milter_route_any(const char *item, size_t len, void *arg)
{
	return 1;
}

/* The pool of key in a tenant map, or NULL. */
static const char *
milter_route_lookup(const struct pw_tenant_pool *e, size_t n, const char *key)
{
	size_t i;

	if (key == NULL || *key == '\0')
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(e[i].key, key) == 0)
			return e[i].pool;
	return NULL;
}

/* Which rule applies: the pool it names (NULL: default) and r->reason. */
static const char *
milter_route_rule(const struct milter_tenant *t, const char *stream,
    const char *country, struct milter_route *r)
{
	const char *pool;

	if (t == NULL)
		return NULL;
	if ((pool = milter_route_lookup(t->geo_pools, t->ngeo_pools,
	    country)) != NULL) {
		r->rule = MILTER_ROUTE_GEO;
		snprintf(r->reason, sizeof(r->reason), "geo rule %s", country);
	} else if ((pool = milter_route_lookup(t->stream_pools,
	    t->nstream_pools, stream)) != NULL) {
		r->rule = MILTER_ROUTE_STREAM;
		snprintf(r->reason, sizeof(r->reason), "stream %s", stream);
	} else if (t->pool[0] != '\0') {
		pool = t->pool;
		r->rule = MILTER_ROUTE_TENANT;
		snprintf(r->reason, sizeof(r->reason), "tenant pool");
	}
	return pool;
}

int
milter_route_choose(const char *pools, const char *default_pool,
    const struct milter_tenant *t, const char *stream, const char *country,
    struct milter_route *r)
{
	char name[PW_TENANT_NAME_MAX + 1];
	const char *pool;

	memset(r, 0, sizeof(*r));
	if (pw_conf_list_foreach(pools, milter_route_any, NULL) == 0)
		return 0;
	if ((pool = milter_route_rule(t, stream, country, r)) != NULL) {
		snprintf(name, sizeof(name), "%s", pool);
		if (pw_conf_list_foreach(pools, milter_route_is, name) != 0) {
			snprintf(r->pool, sizeof(r->pool), "%s", name);
			return 1;
		}
		snprintf(r->fallback, sizeof(r->fallback), "tenant %s names "
		    "pool %s (%s), which is not in milter_pools", t->name,
		    name, r->reason);
	}
	r->rule = MILTER_ROUTE_DEFAULT;
	snprintf(r->reason, sizeof(r->reason), "default");
	snprintf(r->pool, sizeof(r->pool), "%s", default_pool);
	return 1;
}
