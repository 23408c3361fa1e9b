/*
 * milter_metrics.h -- postwarden-milter's metrics (lib/metrics.h), the
 * text of GET /metrics (milter_http.c).  Every name is
 * postwarden_milter_*; docs/metrics.md lists them with type and labels.
 *
 * The files that count call the functions below: each is one relaxed
 * atomic add on a series made at milter_metrics_init (fixed labels: an
 * array index), or a lock-free lookup for the open-ended labels (a
 * pool, a rejection rule).  Gauges and counters that other modules
 * already keeps (the event queue of milter_events.c) are read when
 * /metrics is rendered, at no cost to mail.
 *
 * Threads: milter_metrics_init once, in main, before any other thread
 * runs; the counting functions from any thread, also before init (they
 * do nothing then); milter_metrics_render from one thread at a time (the
 * HTTP thread).
 */
#ifndef PW_MILTER_METRICS_H
#define PW_MILTER_METRICS_H

#include <stdbool.h>

#include "dkim_keys.h"
#include "milter_events.h"

enum milter_metrics_outcome {
	MILTER_METRICS_ACCEPTED,
	MILTER_METRICS_REJECTED,	/* with a reason: the rule */
	MILTER_METRICS_TEMPFAILED,
	MILTER_METRICS_DISCARDED,
	MILTER_METRICS_OUTCOMES
};

/* The caches of lib/cache.c the milter keeps (a label each). */
enum milter_metrics_cache {
	MILTER_METRICS_CACHE_TENANT,	/* milter_tenant.c */
	MILTER_METRICS_CACHE_DOMAIN,	/* milter_domain.c */
	MILTER_METRICS_CACHE_DKIM_KEYS,	/* milter_keys.c */
	MILTER_METRICS_CACHES
};

/*
 * What a cached lookup gave: hit (a fresh entry, Redis not asked), miss
 * (Redis asked and answered), stale (Redis did not answer: the last
 * answer served), unknown (Redis did not answer, nothing cached).  The
 * last two count a Redis error of that cache's operation too.
 */
enum milter_metrics_result {
	MILTER_METRICS_HIT,
	MILTER_METRICS_MISS,
	MILTER_METRICS_STALE,
	MILTER_METRICS_UNKNOWN,
	MILTER_METRICS_RESULTS
};

/* Simple counters without labels. */
enum milter_metrics_count {
	MILTER_METRICS_TRACKING_ID,	/* tracking id header added */
	MILTER_METRICS_LIST_UNSUBSCRIBE,	/* List-Unsubscribe added */
	MILTER_METRICS_VERP,		/* envelope sender rewritten */
	MILTER_METRICS_COUNTS
};

/* The settings that answer when Redis or signing fails. */
enum milter_metrics_fail_mode {
	MILTER_METRICS_FAIL_IDENTITY,	/* milter_identity_failure_mode */
	MILTER_METRICS_FAIL_DKIM,	/* dkim_failure_mode */
	MILTER_METRICS_FAIL_DOMAIN,	/* From domain unknown: tempfail */
	MILTER_METRICS_FAIL_MODES
};

/* Register every family (main, before the threads). */
void	milter_metrics_init(void);

/* A message's outcome; reason: the rule of a rejection, else NULL. */
void	milter_metrics_message(enum milter_metrics_outcome o,
	    const char *reason);
/* n signatures made with alg. */
void	milter_metrics_signed(enum pw_dkim_alg alg);
/*
 * A signature that could not be made: alg (negative: unknown, no key
 * opened) and a reason of a small fixed set ("key_unavailable",
 * "header_too_large", "sign_error", "insert_failed").
 */
void	milter_metrics_sign_failed(int alg, const char *reason);
void	milter_metrics_count(enum milter_metrics_count c);
/* A route header naming pool. */
void	milter_metrics_route(const char *pool);
void	milter_metrics_cache(enum milter_metrics_cache c,
	    enum milter_metrics_result r);
/* A Redis request of the key -> tenant lookup that got no answer. */
void	milter_metrics_identity_down(void);
/* What a fail-mode setting answered: tempfail (true) or accept. */
void	milter_metrics_fail_mode(enum milter_metrics_fail_mode m,
	    bool tempfail);
/* A connection opened (+1) or closed (-1). */
void	milter_metrics_connection(int delta);

/*
 * The Prometheus text of every metric (free() it), or NULL when it would
 * pass its cap; ev: the event writer's counters now (milter_events.h),
 * or NULL; in_flight: the messages between MAIL FROM and their end now
 * (milter_msg.h).  One thread at a time.
 */
char	*milter_metrics_render(const struct milter_events_stats *ev,
	    int in_flight);

#endif
