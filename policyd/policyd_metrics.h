/*
 * policyd_metrics.h -- the Prometheus metrics of postwarden-policyd: its
 * registry (lib/metrics.h), every family registered once at start, and
 * one call per event for the code that counts (policy decisions, SASL
 * logins, one-click unsubscribes, connections, the key cache, events).
 *
 * Exports: policyd_metrics_init/_reconfigure/_free/_registry,
 * policyd_metrics_decision, _sasl, _unsub, _conn, _identity_cache,
 * _event_dropped, _redis.
 *
 * Every family is listed, with its labels and meaning, in
 * docs/metrics.md (tests/http/metrics.sh checks that each name rendered
 * is documented there).
 *
 * Threads: the event loop's (the registry itself is thread-safe).  Before
 * policyd_metrics_init, and after policyd_metrics_free, every call does
 * nothing.
 *
 * Per-tenant series (label tenant) only with metrics_per_tenant = yes,
 * for at most metrics_tenant_limit tenants per family (the rest counted
 * in postwarden_metrics_series_dropped_total).
 */
#ifndef POLICYD_METRICS_H
#define POLICYD_METRICS_H

#include "conf.h"
#include "redis_async.h"
#include "rule.h"

struct pw_metrics;
struct policyd_identity;

/* Registers the families; identity gives the Redis connection's state. */
void	policyd_metrics_init(const struct pw_conf *conf,
	    struct policyd_identity *identity);
/* A reload: metrics_per_tenant again. */
void	policyd_metrics_reconfigure(const struct pw_conf *conf);
void	policyd_metrics_free(void);
/* The registry (NULL before init): what GET /metrics renders. */
struct pw_metrics *policyd_metrics_registry(void);

/*
 * A policy answer: state is the request's protocol_state, tenant "" when
 * unknown, rule the decision's rule, action the reply sent to Postfix.
 */
void	policyd_metrics_decision(const char *state, const char *tenant,
	    enum pw_rule rule, const char *action);
/* A SASL login's answer: mech "PLAIN", "LOGIN" or NULL (not offered);
 * result "ok", "fail" or "tempfail". */
void	policyd_metrics_sasl(const char *mech, const char *result);
/* A one-click POST's result (docs/metrics.md lists them); tenant NULL
 * when the token was not read. */
void	policyd_metrics_unsub(const char *result, const char *tenant);
/* A connection of service ("policy", "sasl") accepted (+1) or closed (-1). */
void	policyd_metrics_conn(const char *service, int delta);
/* A key -> tenant lookup: "hit", "miss" (asked Redis) or "stale" (Redis
 * failed, the last answer used). */
void	policyd_metrics_identity_cache(const char *result);
/* An event that was not appended to the tenant's stream. */
void	policyd_metrics_event_dropped(void);
/* Count the command latencies and outages of a (new) connection. */
void	policyd_metrics_redis(struct pw_redis_async *ra);

#endif
