/*
 * milter_route.h -- which egress pool a message leaves through.
 *
 * Exports: struct milter_route, milter_route_choose().
 *
 * The milter names the pool in milter_route_header; Postfix's
 * milter_header_checks turn it into "FILTER pool_<name>:" (contrib/), so
 * a pool must be one with a master.cf transport: one of milter_pools.
 * Rules, the first that applies wins:
 *   1. geo rule:    the tenant's geo_pools entry for the client's country
 *   2. stream rule: the tenant's stream_pools entry for the stream
 *   3. tenant pool: the tenant's pool
 *   4. default:     milter_default_pool
 * A pool a rule names that is not in milter_pools is replaced by
 * milter_default_pool, and the caller is told so, to log.
 *
 * Pure: no state, no I/O, no locks; any thread.
 */
#ifndef PW_MILTER_ROUTE_H
#define PW_MILTER_ROUTE_H

#include "milter_tenant.h"

enum milter_route_rule {
	MILTER_ROUTE_DEFAULT = 0,	/* milter_default_pool */
	MILTER_ROUTE_TENANT,		/* the tenant's pool */
	MILTER_ROUTE_STREAM,		/* stream_pools */
	MILTER_ROUTE_GEO,		/* geo_pools */
};

#define MILTER_ROUTE_REASON_MAX		64
#define MILTER_ROUTE_FALLBACK_MAX	256

struct milter_route {
	char			pool[PW_TENANT_NAME_MAX + 1];
	enum milter_route_rule	rule;		/* what chose pool */
	/* "geo rule CN", "stream bulk", "tenant pool" or "default" */
	char			reason[MILTER_ROUTE_REASON_MAX];
	/*
	 * "" or, when a rule named a pool that is not in milter_pools,
	 * "tenant acme names pool x (stream bulk), which is not in
	 * milter_pools"; the route is then the default.
	 */
	char			fallback[MILTER_ROUTE_FALLBACK_MAX];
};

/*
 * Choose the pool of a message.  pools is milter_pools (a list, "a, b"),
 * default_pool milter_default_pool; t the tenant's settings, or NULL for
 * none; stream the message's stream and country the client's ISO code
 * (upper case), each "" or NULL when unknown.  1 and *r filled; 0 when
 * pools is empty: routing is off, no route header (*r zeroed).
 */
int	milter_route_choose(const char *pools, const char *default_pool,
	    const struct milter_tenant *t, const char *stream,
	    const char *country, struct milter_route *r);

#endif
