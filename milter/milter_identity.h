/*
 * milter_identity.h -- who sends a message, for the milter: lib/identity
 * plus the key's tenant from the cache or Redis.
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

/* pw_runtime_loader for the milter: Redis handle pool and tenant cache. */
int	milter_runtime_load(struct pw_runtime *rt, char *err, size_t errsize);

/*
 * Resolve the identity of a message.  0 when resolved; *why_r is NULL, or
 * a static reason why an API key's tenant is unknown (unknown key, Redis
 * down; id->tenant stays empty).  -1 with *why_r when the SASL user name
 * is not a valid key id.  The caller logs, with the queue id once known.
 */
int	milter_identity_resolve(const struct pw_runtime *rt,
	    const char *sasl, const char *client_addr, const char *sender,
	    struct pw_identity *id, const char **why_r);

#endif
