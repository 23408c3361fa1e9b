/*
 * policyd_metrics.c -- the metrics of postwarden-policyd (see
 * policyd_metrics.h; every family is documented in docs/metrics.md).
 *
 * Threads: the event loop's.  State: one registry for the process and
 * the families in it, made by policyd_metrics_init and freed by
 * policyd_metrics_free; the series of a decision are kept in a small
 * table by (state, rule, action) so a decision costs no label hashing.
 *
 * Failures: none at run time (a series beyond its bound is a counted
 * drop in lib/metrics.c).
 *
 * Security: label values are our own names (rules, actions, results,
 * mechanisms), never peer text, except tenant names, which are validated
 * names and only appear with metrics_per_tenant = yes.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "policyd_identity.h"
#include "policyd_metrics.h"

enum { PM_STATE_RCPT, PM_STATE_EOM, PM_STATE_OTHER, PM_STATE_COUNT };
enum { PM_ACT_DUNNO, PM_ACT_DEFER, PM_ACT_REJECT, PM_ACT_OTHER,
    PM_ACT_COUNT };

static const char *const pm_state_names[PM_STATE_COUNT] = {
	"rcpt", "end_of_message", "other" };
static const char *const pm_act_names[PM_ACT_COUNT] = {
	"dunno", "defer", "reject", "other" };

static struct {
	struct pw_metrics	*reg;
	struct policyd_identity	*identity;
	bool			 per_tenant;
	struct pw_metric	*decisions, *fail_mode;
	struct pw_metric	*sasl, *unsub;
	struct pw_metric	*conn_accepted, *conn_open;
	struct pw_metric	*cache, *events_dropped;
	struct pw_metric	*redis_latency, *redis_outages;
	struct pw_metric	*t_requests, *t_refusals, *t_unsub;
	struct pw_metric_series	*dec[PM_STATE_COUNT][PW_RULE_COUNT]
				    [PM_ACT_COUNT];
} pm;

/* Buckets of Redis command latency, seconds. */
static const double pm_redis_buckets[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5 };

static double
pm_redis_up(void *arg)
{
	struct pw_redis_async *ra = policyd_identity_redis(arg);

	return ra != NULL && pw_redis_async_is_ready(ra) ? 1 : 0;
}

static double
pm_redis_pending(void *arg)
{
	struct pw_redis_async *ra = policyd_identity_redis(arg);

	return ra != NULL ? (double)pw_redis_async_pending(ra) : 0;
}

/* A per-tenant family: one label, at most limit tenants. */
static struct pw_metric *
pm_tenant_family(const char *name, const char *help, size_t limit)
{
	static const char *const l[] = { "tenant", NULL };
	struct pw_metric_def d = { .name = name, .help = help,
	    .type = PW_METRIC_COUNTER, .labels = l, .max_series = limit };
	struct pw_metric *m;
	const char *why;

	if ((m = pw_metrics_add(pm.reg, &d, &why)) == NULL)
		pw_log_fatal("metrics: %s: %s", name, why);
	return m;
}

void
policyd_metrics_init(const struct pw_conf *conf,
    struct policyd_identity *identity)
{
	static const char *const rule_action[] = { "state", "rule", "action",
	    NULL };
	static const char *const action[] = { "action", NULL };
	static const char *const mech_result[] = { "mechanism", "result",
	    NULL };
	static const char *const result[] = { "result", NULL };
	static const char *const service[] = { "service", NULL };
	size_t limit = (size_t)conf->metrics_tenant_limit;

	if (pm.reg != NULL)
		return;
	pm.reg = pw_metrics_new();
	pm.identity = identity;
	pm.per_tenant = conf->metrics_per_tenant;
	pw_metrics_add_process(pm.reg, "policyd");
	pm.decisions = pw_metrics_counter(pm.reg,
	    "postwarden_policy_decisions_total",
	    "Policy answers to Postfix, by protocol state, rule (as in events "
	    "and log lines; none: admitted) and action.", rule_action);
	pm.fail_mode = pw_metrics_counter(pm.reg,
	    "postwarden_policy_fail_mode_total",
	    "Policy answers made by policyd_fail_mode because Redis could not "
	    "answer, by action.", action);
	pm.sasl = pw_metrics_counter(pm.reg, "postwarden_sasl_logins_total",
	    "SMTP AUTH logins answered, by mechanism and result (tempfail: "
	    "the connection was dropped, Postfix answers 454).", mech_result);
	pm.unsub = pw_metrics_counter(pm.reg,
	    "postwarden_unsubscribes_total",
	    "One-click unsubscribe POSTs (RFC 8058), by result.", result);
	pm.conn_accepted = pw_metrics_counter(pm.reg,
	    "postwarden_connections_accepted_total",
	    "Connections accepted, by service.", service);
	pm.conn_open = pw_metrics_gauge(pm.reg, "postwarden_connections_open",
	    "Connections open now, by service.", service);
	pm.cache = pw_metrics_counter(pm.reg,
	    "postwarden_identity_cache_lookups_total",
	    "API key -> tenant lookups, by result (hit: fresh in the cache; "
	    "miss: asked Redis; stale: Redis failed, the last answer used).",
	    result);
	pm.events_dropped = pw_metrics_counter(pm.reg,
	    "postwarden_events_dropped_total",
	    "Events (refused, billed) not appended to their tenant's stream.",
	    NULL);
	pm.redis_latency = pw_metrics_histogram(pm.reg,
	    "postwarden_redis_command_duration_seconds",
	    "Redis commands from sent to answered, by result (ok, error: an "
	    "error reply, failed: no reply).", result, pm_redis_buckets,
	    sizeof(pm_redis_buckets) / sizeof(pm_redis_buckets[0]));
	pm.redis_outages = pw_metrics_counter(pm.reg,
	    "postwarden_redis_outages_total",
	    "Times the Redis connection was lost or could not be made (once "
	    "per outage).", NULL);
	(void)pw_metrics_gauge_fn(pm.reg, "postwarden_redis_up",
	    "1 when the Redis connection is set up and answering.",
	    pm_redis_up, identity);
	(void)pw_metrics_gauge_fn(pm.reg, "postwarden_redis_pending_commands",
	    "Redis commands sent and not yet answered.", pm_redis_pending,
	    identity);
	pm.t_requests = pm_tenant_family(
	    "postwarden_tenant_policy_requests_total",
	    "Policy answers at RCPT and END-OF-MESSAGE by tenant "
	    "(metrics_per_tenant).", limit);
	pm.t_refusals = pm_tenant_family(
	    "postwarden_tenant_policy_refusals_total",
	    "Policy refusals (4xx, 5xx) by tenant (metrics_per_tenant).",
	    limit);
	pm.t_unsub = pm_tenant_family("postwarden_tenant_unsubscribes_total",
	    "One-click unsubscribes recorded by tenant (metrics_per_tenant).",
	    limit);
	/* The series admins graph from the start, at zero. */
	(void)pw_metric_series(pm.unsub, "recorded");
	(void)pw_metric_series(pm.cache, "hit");
	(void)pw_metric_series(pm.cache, "miss");
	(void)pw_metric_series(pm.cache, "stale");
	policyd_metrics_redis(policyd_identity_redis(identity));
}

void
policyd_metrics_reconfigure(const struct pw_conf *conf)
{
	pm.per_tenant = conf->metrics_per_tenant;
}

void
policyd_metrics_free(void)
{
	pw_metrics_free(&pm.reg);
	memset(&pm, 0, sizeof(pm));
}

struct pw_metrics *
policyd_metrics_registry(void)
{
	return pm.reg;
}

void
policyd_metrics_decision(const char *state, const char *tenant,
    enum pw_rule rule, const char *action)
{
	struct pw_metric_series **sp;
	int st, act;
	const char *rname;

	if (pm.reg == NULL || (unsigned)rule >= PW_RULE_COUNT)
		return;
	st = strcmp(state, "RCPT") == 0 ? PM_STATE_RCPT :
	    strcmp(state, "END-OF-MESSAGE") == 0 ? PM_STATE_EOM :
	    PM_STATE_OTHER;
	act = action[0] == '4' ? PM_ACT_DEFER : action[0] == '5' ?
	    PM_ACT_REJECT : strcmp(action, "DUNNO") == 0 ? PM_ACT_DUNNO :
	    PM_ACT_OTHER;
	sp = &pm.dec[st][rule][act];
	if (*sp == NULL) {
		rname = rule == PW_RULE_NONE ? "none" : pw_rule_event(rule);
		*sp = pw_metric_series(pm.decisions, pm_state_names[st], rname,
		    pm_act_names[act]);
	}
	pw_metric_inc(*sp);
	if (rule == PW_RULE_FAIL)
		pw_metric_inc(pw_metric_series(pm.fail_mode,
		    pm_act_names[act]));
	if (pm.per_tenant && tenant != NULL && tenant[0] != '\0' &&
	    st != PM_STATE_OTHER) {
		pw_metric_inc(pw_metric_series(pm.t_requests, tenant));
		if (act == PM_ACT_DEFER || act == PM_ACT_REJECT)
			pw_metric_inc(pw_metric_series(pm.t_refusals, tenant));
	}
}

void
policyd_metrics_sasl(const char *mech, const char *result)
{
	if (pm.reg != NULL)
		pw_metric_inc(pw_metric_series(pm.sasl,
		    mech != NULL ? mech : "other", result));
}

void
policyd_metrics_unsub(const char *result, const char *tenant)
{
	if (pm.reg == NULL)
		return;
	pw_metric_inc(pw_metric_series(pm.unsub, result));
	if (pm.per_tenant && tenant != NULL && tenant[0] != '\0' &&
	    strcmp(result, "recorded") == 0)
		pw_metric_inc(pw_metric_series(pm.t_unsub, tenant));
}

void
policyd_metrics_conn(const char *service, int delta)
{
	if (pm.reg == NULL)
		return;
	if (delta > 0)
		pw_metric_inc(pw_metric_series(pm.conn_accepted, service));
	pw_metric_gauge_add(pw_metric_series(pm.conn_open, service), delta);
}

void
policyd_metrics_identity_cache(const char *result)
{
	if (pm.reg != NULL)
		pw_metric_inc(pw_metric_series(pm.cache, result));
}

void
policyd_metrics_event_dropped(void)
{
	if (pm.reg != NULL)
		pw_metric_inc(pw_metric_series(pm.events_dropped));
}

void
policyd_metrics_redis(struct pw_redis_async *ra)
{
	if (pm.reg != NULL && ra != NULL)
		pw_redis_async_set_metrics(ra, pm.redis_latency,
		    pw_metric_series(pm.redis_outages));
}
