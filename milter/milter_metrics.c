/*
 * milter_metrics.c -- postwarden-milter's metrics (see milter_metrics.h
 * and docs/metrics.md).
 *
 * Exports: milter_metrics_init, _message, _signed, _sign_failed, _count,
 * _route, _cache, _identity_down, _fail_mode, _connection, _render.
 *
 * The registry (lib/metrics.h) is the process's, made once and never
 * freed (a callback still running at exit may count).  Series with fixed
 * labels are made at init and kept in arrays, so counting one is an
 * index and an atomic add; a pool or a rejection rule is looked up
 * (lock-free) on use, bounded by lib/metrics.c's max_series.
 *
 * The event writer's counters (milter_events.c), which the renderer
 * passes in, are brought in at render: the queue depth is set, and
 * written, dropped and failed batches are added as the difference since
 * the last render (one renderer at a time: the HTTP thread; a mutex
 * keeps a second one honest anyway).  This file calls only lib/.
 *
 * Security: no label carries a tenant, key, address or secret; pools and
 * rules come from the configuration and our own tables.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "metrics.h"
#include "milter_events.h"
#include "milter_metrics.h"
#include "xmalloc.h"

/* The most bytes of one /metrics text. */
#define MILTER_METRICS_TEXT_MAX	(4 * 1024 * 1024)
#define MILTER_METRICS_ALGS	2	/* enum pw_dkim_alg */

static struct pw_metrics *milter_metrics_reg;

static struct pw_metric *milter_metrics_messages;
static struct pw_metric_series *milter_metrics_outcome_s[
    MILTER_METRICS_OUTCOMES];
static struct pw_metric_series *milter_metrics_signed_s[
    MILTER_METRICS_ALGS];
static struct pw_metric *milter_metrics_sign_fail;
static struct pw_metric_series *milter_metrics_count_s[MILTER_METRICS_COUNTS];
static struct pw_metric *milter_metrics_routes;
static struct pw_metric_series *milter_metrics_cache_s[MILTER_METRICS_CACHES]
    [MILTER_METRICS_RESULTS];
static struct pw_metric_series *milter_metrics_redis_s[
    MILTER_METRICS_CACHES + 2];
static struct pw_metric_series *milter_metrics_fail_s[
    MILTER_METRICS_FAIL_MODES][2];
static struct pw_metric_series *milter_metrics_conn_open;
static struct pw_metric_series *milter_metrics_conn_total;
static struct pw_metric_series *milter_metrics_ev_written;
static struct pw_metric_series *milter_metrics_ev_dropped;
static struct pw_metric_series *milter_metrics_ev_depth;
static struct pw_metric_series *milter_metrics_in_flight;

/* Index of the identity and events operations in milter_metrics_redis_s. */
#define MILTER_METRICS_OP_IDENTITY	MILTER_METRICS_CACHES
#define MILTER_METRICS_OP_EVENTS	(MILTER_METRICS_CACHES + 1)

static const char *const milter_metrics_outcomes[] = {
	"accepted", "rejected", "tempfailed", "discarded"
};
static const char *const milter_metrics_algs[] = {
	"rsa-sha256", "ed25519-sha256"
};
static const char *const milter_metrics_caches[] = {
	"tenant", "domain", "dkim_keys"
};
static const char *const milter_metrics_results[] = {
	"hit", "miss", "stale", "unknown"
};
static const char *const milter_metrics_fail_settings[] = {
	"milter_identity_failure_mode", "dkim_failure_mode",
	"from_domain_unknown"
};

/* What the last render saw of the event writer. */
static pthread_mutex_t milter_metrics_render_lock = PTHREAD_MUTEX_INITIALIZER;
static struct milter_events_stats milter_metrics_ev_last;

/* The families of counts without labels, in enum order. */
static const struct {
	const char	*name;
	const char	*help;
} milter_metrics_counts[] = {
	{ "postwarden_milter_tracking_ids_total",
	    "Tracking id headers added to messages." },
	{ "postwarden_milter_unsubscribe_links_total",
	    "RFC 8058 List-Unsubscribe headers added to messages." },
	{ "postwarden_milter_verp_rewrites_total",
	    "Envelope senders rewritten to a VERP bounce address." },
};

void
milter_metrics_init(void)
{
	static const char *const outcome_reason[] = { "outcome", "reason",
	    NULL };
	static const char *const algorithm[] = { "algorithm", NULL };
	static const char *const algorithm_reason[] = { "algorithm",
	    "reason", NULL };
	static const char *const pool[] = { "pool", NULL };
	static const char *const cache_result[] = { "cache", "result", NULL };
	static const char *const operation[] = { "operation", NULL };
	static const char *const setting_answer[] = { "setting", "answer",
	    NULL };

	struct pw_metrics *reg;
	struct pw_metric *m;
	size_t i, j;

	if (milter_metrics_reg != NULL)
		return;
	reg = pw_metrics_new();
	pw_metrics_add_process(reg, "milter");
	milter_metrics_messages = pw_metrics_counter(reg,
	    "postwarden_milter_messages_total",
	    "Messages by outcome at end of data; reason: the rule of a "
	    "rejection.", outcome_reason);
	for (i = 0; i < MILTER_METRICS_OUTCOMES; i++)
		if (i != MILTER_METRICS_REJECTED)
			milter_metrics_outcome_s[i] = pw_metric_series(
			    milter_metrics_messages,
			    milter_metrics_outcomes[i], "");
	m = pw_metrics_counter(reg, "postwarden_milter_signatures_total",
	    "DKIM signatures added, by algorithm.", algorithm);
	for (i = 0; i < MILTER_METRICS_ALGS; i++)
		milter_metrics_signed_s[i] = pw_metric_series(m,
		    milter_metrics_algs[i]);
	milter_metrics_sign_fail = pw_metrics_counter(reg,
	    "postwarden_milter_signature_failures_total",
	    "DKIM signatures that could not be made, by algorithm and "
	    "reason.", algorithm_reason);
	for (i = 0; i < MILTER_METRICS_COUNTS; i++) {
		m = pw_metrics_counter(reg, milter_metrics_counts[i].name,
		    milter_metrics_counts[i].help, NULL);
		milter_metrics_count_s[i] = pw_metric_series(m);
	}
	milter_metrics_routes = pw_metrics_counter(reg,
	    "postwarden_milter_routes_total",
	    "Route headers added, by egress pool.", pool);
	m = pw_metrics_counter(reg, "postwarden_milter_cache_lookups_total",
	    "Lookups in the milter's caches: hit (fresh, Redis not asked), "
	    "miss (Redis answered), stale (Redis did not answer, last answer "
	    "used), unknown (Redis did not answer, nothing cached).",
	    cache_result);
	for (i = 0; i < MILTER_METRICS_CACHES; i++)
		for (j = 0; j < MILTER_METRICS_RESULTS; j++)
			milter_metrics_cache_s[i][j] = pw_metric_series(m,
			    milter_metrics_caches[i],
			    milter_metrics_results[j]);
	m = pw_metrics_counter(reg, "postwarden_milter_redis_errors_total",
	    "Redis requests that got no answer, by operation (event batches "
	    "are sent again).", operation);
	for (i = 0; i < MILTER_METRICS_CACHES; i++)
		milter_metrics_redis_s[i] = pw_metric_series(m,
		    milter_metrics_caches[i]);
	milter_metrics_redis_s[MILTER_METRICS_OP_IDENTITY] =
	    pw_metric_series(m, "identity");
	milter_metrics_redis_s[MILTER_METRICS_OP_EVENTS] =
	    pw_metric_series(m, "events");
	m = pw_metrics_counter(reg, "postwarden_milter_fail_mode_answers_total",
	    "Messages a fail-mode setting decided because Redis or signing "
	    "failed, by setting and answer.", setting_answer);
	for (i = 0; i < MILTER_METRICS_FAIL_MODES; i++) {
		milter_metrics_fail_s[i][0] = i == MILTER_METRICS_FAIL_DOMAIN ?
		    NULL : pw_metric_series(m,
		    milter_metrics_fail_settings[i], "accept");
		milter_metrics_fail_s[i][1] = pw_metric_series(m,
		    milter_metrics_fail_settings[i], "tempfail");
	}
	m = pw_metrics_gauge(reg, "postwarden_milter_connections_open",
	    "SMTP connections Postfix has open with the milter.", NULL);
	milter_metrics_conn_open = pw_metric_series(m);
	m = pw_metrics_counter(reg, "postwarden_milter_connections_total",
	    "SMTP connections Postfix opened with the milter.", NULL);
	milter_metrics_conn_total = pw_metric_series(m);
	m = pw_metrics_counter(reg, "postwarden_milter_events_written_total",
	    "Events Redis acknowledged (milter_events.c).", NULL);
	milter_metrics_ev_written = pw_metric_series(m);
	m = pw_metrics_counter(reg, "postwarden_milter_events_dropped_total",
	    "Events dropped because the queue held milter_event_queue_max.",
	    NULL);
	milter_metrics_ev_dropped = pw_metric_series(m);
	m = pw_metrics_gauge(reg, "postwarden_milter_event_queue_depth",
	    "Events waiting to be written (a batch in flight included).",
	    NULL);
	milter_metrics_ev_depth = pw_metric_series(m);
	m = pw_metrics_gauge(reg, "postwarden_milter_messages_in_flight",
	    "Messages between MAIL FROM and their end (a shutdown waits for "
	    "them).", NULL);
	milter_metrics_in_flight = pw_metric_series(m);
	milter_metrics_reg = reg;
}

void
milter_metrics_message(enum milter_metrics_outcome o, const char *reason)
{
	if (o == MILTER_METRICS_REJECTED)
		pw_metric_inc(pw_metric_series(milter_metrics_messages,
		    "rejected", reason != NULL ? reason : ""));
	else if ((unsigned)o < MILTER_METRICS_OUTCOMES)
		pw_metric_inc(milter_metrics_outcome_s[o]);
}

void
milter_metrics_signed(enum pw_dkim_alg alg)
{
	if ((unsigned)alg < MILTER_METRICS_ALGS)
		pw_metric_inc(milter_metrics_signed_s[alg]);
}

void
milter_metrics_sign_failed(int alg, const char *reason)
{
	pw_metric_inc(pw_metric_series(milter_metrics_sign_fail,
	    alg >= 0 && alg < MILTER_METRICS_ALGS ? milter_metrics_algs[alg] :
	    "unknown", reason));
}

void
milter_metrics_count(enum milter_metrics_count c)
{
	if ((unsigned)c < MILTER_METRICS_COUNTS)
		pw_metric_inc(milter_metrics_count_s[c]);
}

void
milter_metrics_route(const char *pool)
{
	pw_metric_inc(pw_metric_series(milter_metrics_routes, pool));
}

void
milter_metrics_cache(enum milter_metrics_cache c, enum milter_metrics_result r)
{
	if ((unsigned)c >= MILTER_METRICS_CACHES ||
	    (unsigned)r >= MILTER_METRICS_RESULTS)
		return;
	pw_metric_inc(milter_metrics_cache_s[c][r]);
	if (r == MILTER_METRICS_STALE || r == MILTER_METRICS_UNKNOWN)
		pw_metric_inc(milter_metrics_redis_s[c]);
}

void
milter_metrics_identity_down(void)
{
	pw_metric_inc(milter_metrics_redis_s[MILTER_METRICS_OP_IDENTITY]);
}

void
milter_metrics_fail_mode(enum milter_metrics_fail_mode m, bool tempfail)
{
	if ((unsigned)m < MILTER_METRICS_FAIL_MODES)
		pw_metric_inc(milter_metrics_fail_s[m][tempfail ? 1 : 0]);
}

void
milter_metrics_connection(int delta)
{
	pw_metric_gauge_add(milter_metrics_conn_open, (double)delta);
	if (delta > 0)
		pw_metric_inc(milter_metrics_conn_total);
}

/* Bring the event writer's counters in (render lock held). */
static void
milter_metrics_events(const struct milter_events_stats *ev)
{
	struct milter_events_stats st;

	if (ev == NULL)
		return;
	st = *ev;
	pw_metric_set(milter_metrics_ev_depth, (double)st.queued);
	if (st.written > milter_metrics_ev_last.written)
		pw_metric_add(milter_metrics_ev_written,
		    st.written - milter_metrics_ev_last.written);
	if (st.dropped > milter_metrics_ev_last.dropped)
		pw_metric_add(milter_metrics_ev_dropped,
		    st.dropped - milter_metrics_ev_last.dropped);
	if (st.failures > milter_metrics_ev_last.failures)
		pw_metric_add(milter_metrics_redis_s[MILTER_METRICS_OP_EVENTS],
		    st.failures - milter_metrics_ev_last.failures);
	milter_metrics_ev_last = st;
}

char *
milter_metrics_render(const struct milter_events_stats *ev, int in_flight)
{
	struct pw_buf out;
	char *text = NULL;

	if (milter_metrics_reg == NULL)
		return pw_xstrdup("");
	pw_buf_init(&out, MILTER_METRICS_TEXT_MAX);
	pthread_mutex_lock(&milter_metrics_render_lock);
	milter_metrics_events(ev);
	pw_metric_set(milter_metrics_in_flight, (double)in_flight);
	if (pw_metrics_render(milter_metrics_reg, &out) == 0)
		text = pw_xstrndup(out.len > 0 ? out.data : "", out.len);
	pthread_mutex_unlock(&milter_metrics_render_lock);
	pw_buf_free(&out);
	return text;
}
