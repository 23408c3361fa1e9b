/*
 * policyd_identity.h -- who sends, for the policy daemon: lib/identity
 * plus the key's tenant from the cache or, asynchronously, from Redis.
 *
 * One per process, on the event loop: it owns the Redis connection and
 * the key -> tenant cache.  A reload that changes redis_* settings gets a
 * new connection (policyd_identity_reconfigure); lookups in flight on the
 * old one complete with "redis: closed".
 *
 * Threads: the event loop's only.
 */
#ifndef POLICYD_IDENTITY_H
#define POLICYD_IDENTITY_H

#include <stddef.h>

#include <event2/event.h>

#include "identity.h"
#include "redis_async.h"
#include "runtime.h"

struct policyd_identity;

/*
 * The result: id as resolved, and res: PW_IDENTITY_OK (why NULL), or why
 * an API key's tenant is unknown (id->tenant empty), with a static reason
 * in why for the log: PW_IDENTITY_UNKNOWN_KEY, PW_IDENTITY_FAILED (Redis
 * failed, nothing cached) or PW_IDENTITY_INVALID_KEY (an invalid SASL
 * user name; id->source is NONE).
 */
typedef void policyd_identity_cb(const struct pw_identity *id,
    enum pw_identity_result res, const char *why, void *arg);

struct policyd_identity *policyd_identity_new(struct event_base *base,
	    const struct pw_conf *conf, char *err, size_t errsize);
/* Fails lookups in flight (their callbacks run), frees, NULLs *pi. */
void	policyd_identity_free(struct policyd_identity **pi);
/* Apply the redis_* settings of a reloaded configuration. */
void	policyd_identity_reconfigure(struct policyd_identity *pi,
	    const struct pw_conf *conf);

/* Resolve; cb runs exactly once, now (cache, tables) or later (Redis). */
void	policyd_identity_resolve(struct policyd_identity *pi,
	    const struct pw_runtime *rt, const char *sasl_username,
	    const char *client_address, const char *sender,
	    policyd_identity_cb *cb, void *arg);

/*
 * The Redis connection lookups use, for the decision's own commands
 * (scripts, events).  It may be replaced by a reload: fetch it for each
 * command, never keep it.
 */
struct pw_redis_async *policyd_identity_redis(struct policyd_identity *pi);

#endif
