/*
 * milter_tenant.h -- a tenant's milter settings, from its Redis record
 * (<prefix>{T}:tenant, docs/redis-schema.md), through a bounded cache.
 *
 * Exports: struct milter_tenant (the settings, parsed and checked),
 * milter_tenant_cache_new/_expire (the cache, a lib/cache.h struct
 * pw_cache, part of a runtime snapshot), and milter_tenant_get(), which fills a tenant's settings with one HMGET of
 * the fields below, cached for identity_cache_ttl.
 *
 * Fields (all optional; "" counts as absent):
 *   pool               the tenant's egress pool
 *   stream_pools       "bulk=b,transactional=a": stream -> pool
 *   geo_pools          "CN=asia,RU=asia": client country -> pool
 *   streams            streams clients may name ("transactional,bulk")
 *   default_stream     a stream of streams ("transactional", else the
 *                      first of streams)
 *   bulk_streams       streams that get RFC 8058 headers ("bulk")
 *   unsubscribe_url    https:// URL prefix; the token is appended
 *   unsubscribe_mailto address of the mailto: List-Unsubscribe URI
 *   bounce_domain      VERP: <bounce_local>+<id>@<bounce_domain>
 *   bounce_local       ("bounce")
 *   dkim_domain        the tenant's DKIM signing domain
 *   dkim_version       incremented by every change of the tenant's DKIM
 *                      keys in Redis (`postwarden domain dkim`): a new
 *                      value makes milter_keys.c read them again (0:
 *                      absent)
 * What a valid value is, and the limits (PW_TENANT_*), is
 * lib/tenant_fields.h's to say: `postwarden tenant` writes by the same
 * rules.  Country codes are kept upper-cased, domains lower-cased.  A
 * value that breaks its rule is ignored (the default applies) with one
 * warning per cache fill.
 *
 * Threads: the cache is shared by every connection of a snapshot, and by
 * the next snapshot when a reload keeps the same Redis data (one mutex,
 * held for a copy); a message gets its own copy of the settings,
 * so no lock is held while it uses them.  At most one thread at a time
 * refreshes a tenant whose entry has expired; the others go on with the
 * entry they find.
 *
 * Failures: when Redis does not answer, the last answer stands, however
 * old (until the entry is evicted, or a reload names other Redis data); with none, the defaults, and the caller is told so, to log.
 * A tenant without a record gets the defaults: that is an answer.
 *
 * Security: everything read from Redis is untrusted (anyone with
 * redis-cli writes it): each value is bounded and checked before it can
 * reach a header, an envelope address or a route; log lines show it
 * escaped and truncated.
 */
#ifndef PW_MILTER_TENANT_H
#define PW_MILTER_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dkim_keys.h"
#include "identity.h"
#include "runtime.h"
#include "tenant_fields.h"

/* A tenant's settings; strings are "" when not set. */
struct milter_tenant {
	char	name[PW_IDENTITY_TENANT_MAX + 1];
	char	pool[PW_TENANT_NAME_MAX + 1];
	struct pw_tenant_pool stream_pools[PW_TENANT_STREAM_POOLS_MAX];
	size_t	nstream_pools;
	struct pw_tenant_pool geo_pools[PW_TENANT_GEO_POOLS_MAX];
	size_t	ngeo_pools;
	char	streams[PW_TENANT_LIST_MAX];	/* "a,b", not "" */
	char	default_stream[PW_TENANT_NAME_MAX + 1]; /* of streams */
	char	bulk_streams[PW_TENANT_LIST_MAX];	/* "a,b" */
	char	unsubscribe_url[PW_TENANT_URL_MAX + 1];
	char	unsubscribe_mailto[PW_TENANT_ADDR_MAX + 1];
	char	bounce_domain[PW_TENANT_HOST_MAX + 1];	/* lower */
	char	bounce_local[PW_TENANT_BOUNCE_LOCAL_MAX + 1];
	char	dkim_domain[PW_DKIM_DOMAIN_MAX + 1];
	uint64_t dkim_version;
};

struct pw_cache;

/*
 * An empty cache of at most size tenants (milter_tenant_cache_size; the
 * least recently used evicted; about 7.6 KB a tenant: sizeof(struct
 * milter_tenant) + 100).  A reload that keeps the same Redis data shares it
 * with the new snapshot (pw_cache_ref) and makes every entry due
 * (_expire): each tenant's settings are read again at their next use, and
 * stand while Redis does not answer.  pw_cache_free drops one owner,
 * frees with the last and NULLs.
 */
struct pw_cache *milter_tenant_cache_new(size_t size);
void	milter_tenant_cache_expire(struct pw_cache *cache);

/* The settings of a tenant without a record (name copied, bounded). */
void	milter_tenant_defaults(struct milter_tenant *t, const char *tenant);

/*
 * The settings of tenant (a valid tenant name): from the snapshot's
 * cache while fresh, else from Redis (HMGET), else what Redis said last.
 *   0   *t filled; *why_r is NULL, or says why these are the last
 *       settings Redis gave rather than fresh ones (Redis did not answer)
 *  -1   Redis did not answer and nothing is known of tenant: *t holds
 *       the defaults, *why_r says why (a static string), for the log.
 */
int	milter_tenant_get(const struct pw_runtime *rt, const char *tenant,
	    struct milter_tenant *t, const char **why_r);

/* Whether the tenant's clients may name stream. */
bool	milter_tenant_has_stream(const struct milter_tenant *t,
	    const char *stream);
/* Whether stream gets RFC 8058 one-click unsubscribe headers. */
bool	milter_tenant_is_bulk(const struct milter_tenant *t,
	    const char *stream);

#endif
