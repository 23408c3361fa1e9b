/*
 * milter_identity.h -- who sends a message, for the milter: lib/identity
 * plus the key's tenant from the cache or Redis; and the tenant's own
 * DKIM signing domain, also from Redis.
 *
 * The Redis handles and the cache belong to a runtime snapshot (built by
 * milter_runtime_load, freed with the snapshot), so a reload that changes
 * redis_* settings takes effect for new connections without disturbing
 * the ones in flight.
 */
#ifndef PW_MILTER_IDENTITY_H
#define PW_MILTER_IDENTITY_H

#include "identity.h"
#include "runtime.h"

struct milter_state;

/* The identity part of a snapshot: Redis handle pool and tenant cache. */
int	milter_identity_load(struct pw_runtime *rt,
	    struct milter_state **st_r, char *err, size_t errsize);
void	milter_identity_free(struct milter_state *st);

/*
 * Resolve the identity of a message.  0 when resolved; *why_r is NULL, or
 * a static reason why an API key's tenant is unknown (unknown key, Redis
 * down; id->tenant stays empty).  -1 with *why_r when the SASL user name
 * is not a valid key id.  The caller logs, with the queue id once known.
 */
int	milter_identity_resolve(const struct pw_runtime *rt,
	    const char *sasl, const char *client_addr, const char *sender,
	    struct pw_identity *id, const char **why_r);

/*
 * The DKIM signing domain tenant names in Redis (field dkim_domain of
 * <prefix>{tenant}:tenant), cached for identity_cache_ttl; when Redis
 * does not answer, the last answer stands.  0 and domain (size at least
 * 254) filled, "" when none; -1 with *why_r when Redis did not answer and
 * nothing is cached.
 */
int	milter_identity_dkim_domain(const struct pw_runtime *rt,
	    const char *tenant, char *domain, size_t size, const char **why_r);

#endif
