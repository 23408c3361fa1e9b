/*
 * metrics.h -- a registry of Prometheus metrics (counters, gauges,
 * histograms) that any thread updates without a lock, rendered whole in
 * the Prometheus text exposition format 0.0.4.
 *
 * Exports: struct pw_metrics (a registry), struct pw_metric (a family:
 * one name, one type, fixed label names), struct pw_metric_series (one
 * child of a family: one tuple of label values, its values);
 * pw_metrics_new/_free, pw_metrics_add (and the shorthands
 * pw_metrics_counter/_gauge/_histogram/_gauge_fn/_counter_fn),
 * pw_metric_series/_series_v, pw_metric_inc/_add, pw_metric_set/
 * _gauge_add, pw_metric_observe, pw_metric_dropped, pw_metrics_render,
 * pw_metrics_add_process, pw_metrics_time, PW_METRICS_CONTENT_TYPE.
 *
 * Use:
 *
 *	struct pw_metrics *reg = pw_metrics_new();
 *	static const char *const lbl[] = { "rule", "action", NULL };
 *	struct pw_metric *dec = pw_metrics_counter(reg,
 *	    "postwarden_policy_decisions_total", "Policy answers.", lbl);
 *	static const double b[] = { .001, .01, .1, 1 };
 *	struct pw_metric *lat = pw_metrics_histogram(reg,
 *	    "postwarden_redis_command_duration_seconds", "...", NULL, b, 4);
 *	... start the threads ...
 *	pw_metric_inc(pw_metric_series(dec, "rate_limit", "defer"));
 *	pw_metric_observe(pw_metric_series(lat), 0.0042);
 *	... in the thread that serves GET /metrics ...
 *	pw_metrics_render(reg, &buf);	-- text for PW_METRICS_CONTENT_TYPE
 *
 * Registration (pw_metrics_add and its shorthands) happens at start,
 * before any other thread uses the registry: it is not thread-safe.  A
 * family has a name ([a-zA-Z_:][a-zA-Z0-9_:]*), a HELP text, a type, a
 * NULL-terminated list of label names (none: NULL), for a histogram its
 * upper bounds (finite, strictly increasing; +Inf is added), and a bound
 * on its series (max_series; 0 means PW_METRICS_MAX_SERIES, 1 is forced
 * for a family without labels).  A family without labels has its one
 * series made at registration.  Registering a name twice, a bad name, a
 * label "le" on a histogram or names starting "__" fail (NULL, *why_r).
 * The shorthands abort the process on such a programming error.
 *
 * Series: pw_metric_series(m, value, ...) takes exactly as many label
 * values as the family has label names (a macro ends the list with a NULL;
 * a list of another length is a drop) and returns the series for that
 * tuple, made on first use; pw_metric_series_v takes an array (a NULL
 * element counts as "").  Lookups and inserts use
 * an open-addressing table of atomic pointers (compare-and-swap), so no
 * thread ever waits on a lock; a caller on a hot path may keep the
 * returned pointer, which stays valid until pw_metrics_free.  When a
 * family already has max_series series, or a value is longer than
 * PW_METRICS_VALUE_MAX bytes, no series is made: the call returns NULL
 * and counts one drop (pw_metric_dropped; rendered as
 * postwarden_metrics_series_dropped_total{metric="NAME"}).  Every update
 * function accepts NULL (a dropped series, a family not registered
 * because metrics are off) and then does nothing; so does pw_metric_series
 * on a NULL family.
 *
 * Values: a counter is an unsigned 64-bit integer (pw_metric_inc,
 * pw_metric_add); a gauge is a double (pw_metric_set, pw_metric_gauge_add
 * with a negative delta to decrease); a histogram counts observations in
 * its buckets and adds them to its sum (pw_metric_observe; seconds or
 * bytes, Prometheus's base units).  All are C11 atomics, relaxed: a
 * render sees each value as it was at some instant, not all values at
 * one instant; a histogram's _count is the sum of its buckets as read, so
 * _count always equals the +Inf bucket.  A family registered with a
 * function (pw_metrics_gauge_fn, pw_metrics_counter_fn; no labels) has
 * its value asked for at render time, in the rendering thread.
 *
 * Rendering: pw_metrics_render appends the whole registry to a buf:
 * families in registration order, each with "# HELP" (backslash and
 * newline escaped) and "# TYPE" (counter, gauge, histogram), its series
 * in the order they were made, label values escaped (backslash, double
 * quote, newline), histogram series as NAME_bucket{...,le="B"} for each
 * bound and le="+Inf", NAME_sum and NAME_count; then the dropped-series
 * counter.  Label text is escaped once, when a series is made, so a
 * render is a run of copies and integer conversions (10,000 series in
 * well under a millisecond).  It may run in any thread, at the same time
 * as updates and inserts, and several renders may run at once.  Returns
 * -1 when the buffer's cap is reached (the buffer then holds a truncated
 * text: do not serve it).
 *
 * Memory: per series about 100 bytes + its label text (+ 8 bytes per
 * histogram bucket), and per family 3 to 5 pointers per unit of max_series
 * (its table and its order list), allocated at registration.  Nothing is
 * freed before pw_metrics_free, which must run when no other thread uses
 * the registry.
 *
 * Security: label values come from peers (tenant names, mechanisms):
 * they are escaped, bounded in length, and their number is bounded by
 * max_series; they are never logged here.
 */
#ifndef PW_METRICS_H
#define PW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define PW_METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define PW_METRICS_MAX_SERIES	1000	/* default bound per family */
#define PW_METRICS_VALUE_MAX	256	/* longest label value, bytes */
#define PW_METRICS_LABELS_MAX	8	/* most label names per family */
#define PW_METRICS_BUCKETS_MAX	64	/* most bounds per histogram */

enum pw_metric_type {
	PW_METRIC_COUNTER,
	PW_METRIC_GAUGE,
	PW_METRIC_HISTOGRAM,
};

struct pw_metrics;
struct pw_metric;
struct pw_metric_series;

/* A value asked for at render time (a function family). */
typedef double (*pw_metric_fn)(void *arg);

struct pw_metric_def {
	const char		*name;
	const char		*help;
	enum pw_metric_type	 type;
	const char *const	*labels;	/* NULL-terminated; NULL: none */
	const double		*buckets;	/* histogram bounds, ascending */
	size_t			 nbuckets;
	size_t			 max_series;	/* 0: PW_METRICS_MAX_SERIES */
	pw_metric_fn		 fn;		/* counter/gauge without labels */
	void			*fn_arg;
};

/* A new empty registry (never NULL). */
struct pw_metrics *pw_metrics_new(void);
/* Frees the registry, its families and series; NULLs *reg. */
void	pw_metrics_free(struct pw_metrics **reg);

/*
 * Registers a family; returns it, or NULL with a static reason in *why_r
 * (why_r may be NULL).  reg NULL: returns NULL, no reason (metrics off).
 */
struct pw_metric *pw_metrics_add(struct pw_metrics *reg,
	    const struct pw_metric_def *def, const char **why_r);

/* Shorthands of pw_metrics_add; abort on a programming error. */
struct pw_metric *pw_metrics_counter(struct pw_metrics *reg,
	    const char *name, const char *help, const char *const *labels);
struct pw_metric *pw_metrics_gauge(struct pw_metrics *reg,
	    const char *name, const char *help, const char *const *labels);
struct pw_metric *pw_metrics_histogram(struct pw_metrics *reg,
	    const char *name, const char *help, const char *const *labels,
	    const double *buckets, size_t nbuckets);
struct pw_metric *pw_metrics_gauge_fn(struct pw_metrics *reg,
	    const char *name, const char *help, pw_metric_fn fn, void *arg);
struct pw_metric *pw_metrics_counter_fn(struct pw_metrics *reg,
	    const char *name, const char *help, pw_metric_fn fn, void *arg);

/*
 * The series of a tuple of label values (as many as the family's label
 * names), made on first use; NULL when m is NULL or the series is
 * dropped (bound reached, value too long).  Thread-safe, lock-free.
 */
struct pw_metric_series *pw_metric_series_v(struct pw_metric *m,
	    const char *const *values);
struct pw_metric_series *pw_metric_series_va(struct pw_metric *m, ...);
#define pw_metric_series(...) \
	pw_metric_series_va(__VA_ARGS__, (const char *)0)

/* Counter: add 1 / n.  Thread-safe; NULL does nothing. */
void	pw_metric_inc(struct pw_metric_series *s);
void	pw_metric_add(struct pw_metric_series *s, uint64_t n);
/* Gauge: set / add (negative: subtract).  Thread-safe; NULL: nothing. */
void	pw_metric_set(struct pw_metric_series *s, double v);
void	pw_metric_gauge_add(struct pw_metric_series *s, double delta);
/* Histogram: one observation.  Thread-safe; NULL does nothing. */
void	pw_metric_observe(struct pw_metric_series *s, double v);

/* Reading back (tests, `postwarden check`): a counter's or gauge's value,
 * a histogram's count; 0 for NULL. */
double	pw_metric_value(const struct pw_metric_series *s);
/* Series this family refused (bound reached, value too long). */
uint64_t pw_metric_dropped(const struct pw_metric *m);
/* Series this family has. */
size_t	pw_metric_count(const struct pw_metric *m);

/*
 * Appends the whole registry in the text format 0.0.4 to out.  Returns 0,
 * or -1 when out's cap was reached.  Thread-safe.
 */
int	pw_metrics_render(struct pw_metrics *reg, struct pw_buf *out);

/*
 * The process's families, the same in every daemon: gauges
 * process_start_time_seconds (now, seconds since the epoch) and
 * postwarden_build_info{daemon,version} (1).  Aborts if taken.
 */
void	pw_metrics_add_process(struct pw_metrics *reg, const char *daemon);

/* Seconds on the monotonic clock, for durations to observe. */
double	pw_metrics_time(void);

#endif
