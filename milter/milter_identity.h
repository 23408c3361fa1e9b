/*
 * milter_identity.h -- who sends a message, for the milter: lib/identity
 * plus the key's tenant from the cache or Redis; and the milter's pool of
 * Redis handles, which milter_tenant.c borrows too.
 *
 * The Redis handles and the cache belong to a runtime snapshot (built by
 * milter_runtime_load, freed with the snapshot), so a reload that changes
 * redis_* settings takes effect for new connections without disturbing
 * the ones in flight.
 */
#ifndef PW_MILTER_IDENTITY_H
#define PW_MILTER_IDENTITY_H

#include <stdbool.h>

#include "identity.h"
#include "redis.h"
#include "runtime.h"

struct milter_state;

/* The identity part of a snapshot: Redis handle pool, key -> tenant cache. */
int	milter_identity_load(struct pw_runtime *rt,
	    struct milter_state **st_r, char *err, size_t errsize);
void	milter_identity_free(struct milter_state *st);
/* Use old's key -> tenant cache (a reload with the same Redis data). */
void	milter_identity_share_cache(struct milter_state *st,
	    const struct milter_state *old);

/*
 * Resolve the identity of a message.  0 when resolved; *why_r is NULL, or
 * a static reason why an API key's tenant is unknown (unknown key, Redis
 * down with nothing cached; id->tenant stays empty).  *down_r: Redis
 * could not answer for the key; with a tenant, it is the cache's last
 * answer.  -1 with *why_r when the SASL user name is not a valid key id.
 * The caller logs, with the queue id once known.
 */
int	milter_identity_resolve(const struct pw_runtime *rt,
	    const char *sasl, const char *client_addr, const char *sender,
	    struct pw_identity *id, const char **why_r, bool *down_r);

/*
 * A Redis handle of the snapshot's pool, for the calling thread alone
 * until it gives it back (after one command or a few); NULL, logged, when
 * no handle can be made.
 */
struct pw_redis *milter_identity_redis_take(const struct pw_runtime *rt);
/* Give a handle back (kept for the next taker, or freed); NULL is fine. */
void	milter_identity_redis_give(const struct pw_runtime *rt,
	    struct pw_redis *r);

#endif
