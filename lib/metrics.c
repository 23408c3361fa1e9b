/*
 * metrics.c -- the Prometheus metrics registry of lib/metrics.h: families
 * registered at start, series found or made without a lock, values kept
 * in C11 atomics, the whole registry rendered in the text format 0.0.4.
 *
 * Threads: registration and pw_metrics_free are single-threaded (start,
 * exit).  Everything else may run in any number of threads at once.  A
 * family's series live in an open-addressing table of atomic pointers
 * (twice its max_series, rounded up to a power of two, so a probe always
 * ends) and, in the order they were made, in an array the renderer walks.
 * A new series is published by one compare-and-swap into the table; the
 * loser of a race for the same tuple frees its copy and uses the winner's.
 * The bound is kept by reserving a place (atomic add) before the insert
 * and giving it back on failure, so at most max_series series ever exist.
 * Series are never freed before the registry.
 *
 * Failures: an allocation failure exits (pw_xmalloc); a bound reached or
 * an over-long value is a drop, counted; a buffer cap reached ends the
 * render with -1.
 *
 * Security: label values may come from peers: escaped when the series is
 * made (backslash, double quote, newline), bounded in length and number.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "xmalloc.h"

struct pw_metric_series {
	const struct pw_metric	*family;
	uint32_t		 hash;
	char			*values;	/* the values, each NUL-ended */
	size_t			 values_len;	/* bytes of values, NULs too */
	char			*labels;	/* `a="x",b="y"`, escaped; "" */
	size_t			 labels_len;
	_Atomic uint64_t	 value;		/* counter; gauge: double bits */
	_Atomic uint64_t	 sum;		/* histogram: double bits */
	_Atomic uint64_t	 buckets[];	/* histogram: nbuckets + 1 */
};

struct pw_metric {
	struct pw_metric	*next;
	char			*name;
	size_t			 name_len;
	char			*help;		/* escaped */
	enum pw_metric_type	 type;
	size_t			 nlabels;
	char			**labels;	/* the label names */
	size_t			 nbuckets;
	double			*bounds;
	char			**le;		/* `le="0.005"`, then `le="+Inf"` */
	size_t			 max_series;
	size_t			 table_mask;
	_Atomic(struct pw_metric_series *) *table;
	_Atomic(struct pw_metric_series *) *order;
	_Atomic size_t		 reserved;	/* places taken, <= max_series */
	_Atomic size_t		 norder;	/* entries of order published */
	_Atomic uint64_t	 dropped;
	pw_metric_fn		 fn;
	void			*fn_arg;
};

struct pw_metrics {
	struct pw_metric	*first;
	struct pw_metric	**tail;
};

static const char pw_metrics_dropped_name[] =
    "postwarden_metrics_series_dropped_total";

struct pw_metrics *
pw_metrics_new(void)
{
	struct pw_metrics *reg;

	reg = pw_xcalloc(1, sizeof(*reg));
	reg->tail = &reg->first;
	return reg;
}

static void
pw_metrics_family_free(struct pw_metric *m)
{
	size_t i, n;

	n = atomic_load(&m->norder);
	for (i = 0; i < n; i++) {
		struct pw_metric_series *s = atomic_load(&m->order[i]);

		if (s == NULL)
			continue;
		free(s->values);
		free(s->labels);
		free(s);
	}
	if (m->le != NULL)
		for (i = 0; i <= m->nbuckets; i++)
			free(m->le[i]);
	free(m->le);
	for (i = 0; i < m->nlabels; i++)
		free(m->labels[i]);
	free(m->labels);
	free(m->bounds);
	free(m->table);
	free(m->order);
	free(m->name);
	free(m->help);
	free(m);
}

void
pw_metrics_free(struct pw_metrics **regp)
{
	struct pw_metric *m, *next;

	if (*regp == NULL)
		return;
	for (m = (*regp)->first; m != NULL; m = next) {
		next = m->next;
		pw_metrics_family_free(m);
	}
	free(*regp);
	*regp = NULL;
}

/* True when s is a valid metric name (label: a valid label name). */
static bool
pw_metrics_name_ok(const char *s, bool label)
{
	const char *p;

	if (s == NULL || *s == '\0')
		return false;
	if (label && s[0] == '_' && s[1] == '_')
		return false;
	for (p = s; *p != '\0'; p++) {
		char c = *p;
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || (!label && c == ':');

		if (!alpha && (p == s || c < '0' || c > '9'))
			return false;
	}
	return true;
}

/*
 * Appends src escaped for a label value (help: for a HELP line, where
 * double quotes stay) to out.
 */
static void
pw_metrics_escape(struct pw_buf *out, const char *src, size_t len, bool help)
{
	size_t i;

	for (i = 0; i < len; i++) {
		const char *rep = NULL;

		switch (src[i]) {
		case '\\': rep = "\\\\"; break;
		case '\n': rep = "\\n"; break;
		case '"': rep = help ? NULL : "\\\""; break;
		}
		if (rep != NULL)
			(void)pw_buf_puts(out, rep);
		else
			(void)pw_buf_append(out, &src[i], 1);
	}
}

/* Writes v the way Prometheus reads it (shortest text that reads back). */
static size_t
pw_metrics_fmt_double(char *dst, size_t size, double v)
{
	int n;

	if (isnan(v))
		n = snprintf(dst, size, "NaN");
	else if (isinf(v))
		n = snprintf(dst, size, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v)
		n = snprintf(dst, size, "%lld", (long long)(int64_t)v);
	else {
		n = snprintf(dst, size, "%.15g", v);
		if (strtod(dst, NULL) != v)
			n = snprintf(dst, size, "%.17g", v);
	}
	return n < 0 ? 0 : (size_t)n;
}

struct pw_metric *
pw_metrics_add(struct pw_metrics *reg, const struct pw_metric_def *def,
    const char **why_r)
{
	struct pw_metric *m;
	struct pw_buf help;
	size_t i, nlabels = 0, tsize;

	if (why_r != NULL)
		*why_r = NULL;
	if (reg == NULL)
		return NULL;
#define FAIL(w) do { if (why_r != NULL) *why_r = (w); return NULL; } while (0)
	if (!pw_metrics_name_ok(def->name, false))
		FAIL("bad metric name");
	if (strcmp(def->name, pw_metrics_dropped_name) == 0)
		FAIL("metric name taken");
	for (m = reg->first; m != NULL; m = m->next)
		if (strcmp(m->name, def->name) == 0)
			FAIL("metric name taken");
	if (def->type != PW_METRIC_COUNTER && def->type != PW_METRIC_GAUGE &&
	    def->type != PW_METRIC_HISTOGRAM)
		FAIL("bad metric type");
	if (def->labels != NULL)
		for (; def->labels[nlabels] != NULL; nlabels++) {
			const char *l = def->labels[nlabels];

			if (nlabels == PW_METRICS_LABELS_MAX)
				FAIL("too many label names");
			if (!pw_metrics_name_ok(l, true))
				FAIL("bad label name");
			if (def->type == PW_METRIC_HISTOGRAM &&
			    strcmp(l, "le") == 0)
				FAIL("label le on a histogram");
			for (i = 0; i < nlabels; i++)
				if (strcmp(def->labels[i], l) == 0)
					FAIL("label name twice");
		}
	if (def->type == PW_METRIC_HISTOGRAM) {
		if (def->nbuckets == 0 || def->buckets == NULL ||
		    def->nbuckets > PW_METRICS_BUCKETS_MAX)
			FAIL("histogram without buckets");
		for (i = 0; i < def->nbuckets; i++)
			if (!isfinite(def->buckets[i]) ||
			    (i > 0 && def->buckets[i] <= def->buckets[i - 1]))
				FAIL("histogram buckets not finite and "
				    "increasing");
		if (def->fn != NULL)
			FAIL("histogram with a function");
	} else if (def->nbuckets != 0)
		FAIL("buckets on a counter or gauge");
	if (def->fn != NULL && nlabels != 0)
		FAIL("function family with labels");
#undef FAIL

	m = pw_xcalloc(1, sizeof(*m));
	m->name = pw_xstrdup(def->name);
	m->name_len = strlen(m->name);
	pw_buf_init(&help, 4096);
	if (def->help != NULL)
		pw_metrics_escape(&help, def->help, strlen(def->help), true);
	m->help = pw_xstrdup(help.data);
	pw_buf_free(&help);
	m->type = def->type;
	m->nlabels = nlabels;
	m->labels = pw_xcalloc(nlabels + 1, sizeof(char *));
	for (i = 0; i < nlabels; i++)
		m->labels[i] = pw_xstrdup(def->labels[i]);
	m->fn = def->fn;
	m->fn_arg = def->fn_arg;
	if (def->type == PW_METRIC_HISTOGRAM) {
		char num[64];

		m->nbuckets = def->nbuckets;
		m->bounds = pw_xcalloc(m->nbuckets, sizeof(double));
		memcpy(m->bounds, def->buckets, m->nbuckets * sizeof(double));
		m->le = pw_xcalloc(m->nbuckets + 1, sizeof(char *));
		for (i = 0; i <= m->nbuckets; i++) {
			char text[96];

			if (i < m->nbuckets)
				pw_metrics_fmt_double(num, sizeof(num),
				    m->bounds[i]);
			else
				snprintf(num, sizeof(num), "+Inf");
			snprintf(text, sizeof(text), "le=\"%s\"", num);
			m->le[i] = pw_xstrdup(text);
		}
	}
	m->max_series = nlabels == 0 ? 1 :
	    def->max_series != 0 ? def->max_series : PW_METRICS_MAX_SERIES;
	for (tsize = 2; tsize < 2 * m->max_series; tsize *= 2)
		;
	m->table_mask = tsize - 1;
	m->table = pw_xcalloc(tsize, sizeof(*m->table));
	m->order = pw_xcalloc(m->max_series, sizeof(*m->order));
	for (i = 0; i < tsize; i++)
		atomic_init(&m->table[i], NULL);
	for (i = 0; i < m->max_series; i++)
		atomic_init(&m->order[i], NULL);
	atomic_init(&m->reserved, 0);
	atomic_init(&m->norder, 0);
	atomic_init(&m->dropped, 0);

	*reg->tail = m;
	reg->tail = &m->next;
	if (nlabels == 0 && m->fn == NULL)
		(void)pw_metric_series_v(m, NULL);
	return m;
}

static struct pw_metric *
pw_metrics_add_or_die(struct pw_metrics *reg, const struct pw_metric_def *def)
{
	struct pw_metric *m;
	const char *why;

	m = pw_metrics_add(reg, def, &why);
	if (m == NULL && reg != NULL) {
		pw_log_error("metrics: cannot register %s: %s",
		    def->name != NULL ? def->name : "(null)", why);
		abort();
	}
	return m;
}

struct pw_metric *
pw_metrics_counter(struct pw_metrics *reg, const char *name,
    const char *help, const char *const *labels)
{
	struct pw_metric_def d = { .name = name, .help = help,
	    .type = PW_METRIC_COUNTER, .labels = labels };

	return pw_metrics_add_or_die(reg, &d);
}

struct pw_metric *
pw_metrics_gauge(struct pw_metrics *reg, const char *name, const char *help,
    const char *const *labels)
{
	struct pw_metric_def d = { .name = name, .help = help,
	    .type = PW_METRIC_GAUGE, .labels = labels };

	return pw_metrics_add_or_die(reg, &d);
}

struct pw_metric *
pw_metrics_histogram(struct pw_metrics *reg, const char *name,
    const char *help, const char *const *labels, const double *buckets,
    size_t nbuckets)
{
	struct pw_metric_def d = { .name = name, .help = help,
	    .type = PW_METRIC_HISTOGRAM, .labels = labels,
	    .buckets = buckets, .nbuckets = nbuckets };

	return pw_metrics_add_or_die(reg, &d);
}

struct pw_metric *
pw_metrics_gauge_fn(struct pw_metrics *reg, const char *name,
    const char *help, pw_metric_fn fn, void *arg)
{
	struct pw_metric_def d = { .name = name, .help = help,
	    .type = PW_METRIC_GAUGE, .fn = fn, .fn_arg = arg };

	return pw_metrics_add_or_die(reg, &d);
}

struct pw_metric *
pw_metrics_counter_fn(struct pw_metrics *reg, const char *name,
    const char *help, pw_metric_fn fn, void *arg)
{
	struct pw_metric_def d = { .name = name, .help = help,
	    .type = PW_METRIC_COUNTER, .fn = fn, .fn_arg = arg };

	return pw_metrics_add_or_die(reg, &d);
}

/* FNV-1a over the values, each with its NUL. */
static uint32_t
pw_metrics_hash(const char *values, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)values[i];
		h *= 16777619u;
	}
	return h;
}

/* A new, unpublished series for the packed values. */
static struct pw_metric_series *
pw_metrics_series_make(const struct pw_metric *m, const char *const *labels,
    const char *values, size_t values_len, uint32_t hash)
{
	struct pw_metric_series *s;
	struct pw_buf text;
	const char *v = values;
	size_t i, nb;

	nb = m->type == PW_METRIC_HISTOGRAM ? m->nbuckets + 1 : 0;
	s = pw_xcalloc(1, sizeof(*s) + nb * sizeof(s->buckets[0]));
	s->family = m;
	s->hash = hash;
	s->values = pw_xmalloc(values_len + 1);
	memcpy(s->values, values, values_len);
	s->values_len = values_len;
	pw_buf_init(&text, SIZE_MAX / 2);
	for (i = 0; i < m->nlabels; i++) {
		size_t vlen = strlen(v);

		(void)pw_buf_printf(&text, "%s%s=\"", i > 0 ? "," : "",
		    labels[i]);
		pw_metrics_escape(&text, v, vlen, false);
		(void)pw_buf_puts(&text, "\"");
		v += vlen + 1;
	}
	s->labels = pw_xstrdup(text.data);
	s->labels_len = text.len;
	pw_buf_free(&text);
	atomic_init(&s->value, 0);
	atomic_init(&s->sum, 0);
	for (i = 0; i < nb; i++)
		atomic_init(&s->buckets[i], 0);
	return s;
}

static struct pw_metric_series *
pw_metrics_lookup(struct pw_metric *m, const char *const *values)
{
	char packed[PW_METRICS_LABELS_MAX * (PW_METRICS_VALUE_MAX + 1)];
	struct pw_metric_series *s, *mine = NULL;
	size_t i, len = 0, slot;
	uint32_t hash;

	for (i = 0; i < m->nlabels; i++) {
		const char *v = values[i] != NULL ? values[i] : "";
		size_t vlen = strnlen(v, PW_METRICS_VALUE_MAX + 1);

		if (vlen > PW_METRICS_VALUE_MAX) {
			atomic_fetch_add_explicit(&m->dropped, 1,
			    memory_order_relaxed);
			return NULL;
		}
		memcpy(packed + len, v, vlen + 1);	/* @UNSAFE: bounded */
		len += vlen + 1;
	}
	hash = pw_metrics_hash(packed, len);
	slot = hash & m->table_mask;
	for (;;) {
		s = atomic_load_explicit(&m->table[slot],
		    memory_order_acquire);
		if (s == NULL) {
			if (mine == NULL) {
				size_t r;

				r = atomic_fetch_add_explicit(&m->reserved, 1,
				    memory_order_relaxed);
				if (r >= m->max_series) {
					atomic_fetch_sub_explicit(
					    &m->reserved, 1,
					    memory_order_relaxed);
					atomic_fetch_add_explicit(&m->dropped,
					    1, memory_order_relaxed);
					return NULL;
				}
				mine = pw_metrics_series_make(m,
				    (const char *const *)m->labels, packed,
				    len, hash);
			}
			if (atomic_compare_exchange_strong_explicit(
			    &m->table[slot], &s, mine,
			    memory_order_acq_rel, memory_order_acquire)) {
				size_t idx;

				idx = atomic_fetch_add_explicit(&m->norder, 1,
				    memory_order_relaxed);
				atomic_store_explicit(&m->order[idx], mine,
				    memory_order_release);
				return mine;
			}
			/* Lost the slot: s is the winner, compare below. */
		}
		if (s->hash == hash && s->values_len == len &&
		    memcmp(s->values, packed, len) == 0) {
			if (mine != NULL) {
				free(mine->values);
				free(mine->labels);
				free(mine);
				atomic_fetch_sub_explicit(&m->reserved, 1,
				    memory_order_relaxed);
			}
			return s;
		}
		slot = (slot + 1) & m->table_mask;
	}
}

struct pw_metric_series *
pw_metric_series_v(struct pw_metric *m, const char *const *values)
{
	static const char *const none[1] = { NULL };

	if (m == NULL || m->fn != NULL)
		return NULL;
	if (m->nlabels == 0) {
		struct pw_metric_series *s;

		s = atomic_load_explicit(&m->order[0], memory_order_acquire);
		if (s != NULL)
			return s;
		values = none;
	}
	return pw_metrics_lookup(m, values);
}

struct pw_metric_series *
pw_metric_series_va(struct pw_metric *m, ...)
{
	const char *values[PW_METRICS_LABELS_MAX + 1];
	size_t n = 0;
	va_list ap;

	if (m == NULL)
		return NULL;
	va_start(ap, m);
	for (;;) {
		const char *v = va_arg(ap, const char *);

		if (v == NULL)
			break;
		if (n == PW_METRICS_LABELS_MAX) {
			n++;
			break;
		}
		values[n++] = v;
	}
	va_end(ap);
	if (n != m->nlabels) {
		atomic_fetch_add_explicit(&m->dropped, 1,
		    memory_order_relaxed);
		return NULL;
	}
	return pw_metric_series_v(m, values);
}

void
pw_metric_inc(struct pw_metric_series *s)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->value, 1, memory_order_relaxed);
}

void
pw_metric_add(struct pw_metric_series *s, uint64_t n)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->value, n, memory_order_relaxed);
}

static uint64_t
pw_metrics_bits(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	return u;
}

static double
pw_metrics_double(uint64_t u)
{
	double v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

/* Adds delta to the double kept in *a (compare-and-swap loop). */
static void
pw_metrics_add_double(_Atomic uint64_t *a, double delta)
{
	uint64_t old, new;

	old = atomic_load_explicit(a, memory_order_relaxed);
	do
		new = pw_metrics_bits(pw_metrics_double(old) + delta);
	while (!atomic_compare_exchange_weak_explicit(a, &old, new,
	    memory_order_relaxed, memory_order_relaxed));
}

void
pw_metric_set(struct pw_metric_series *s, double v)
{
	if (s != NULL)
		atomic_store_explicit(&s->value, pw_metrics_bits(v),
		    memory_order_relaxed);
}

void
pw_metric_gauge_add(struct pw_metric_series *s, double delta)
{
	if (s != NULL)
		pw_metrics_add_double(&s->value, delta);
}

void
pw_metric_observe(struct pw_metric_series *s, double v)
{
	const struct pw_metric *m;
	size_t lo, hi;

	if (s == NULL || s->family->type != PW_METRIC_HISTOGRAM)
		return;
	m = s->family;
	/* The first bound >= v (binary search); nbuckets: +Inf. */
	lo = 0;
	hi = m->nbuckets;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v <= m->bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	if (isnan(v))
		lo = m->nbuckets;
	atomic_fetch_add_explicit(&s->buckets[lo], 1, memory_order_relaxed);
	pw_metrics_add_double(&s->sum, v);
}

double
pw_metric_value(const struct pw_metric_series *s)
{
	uint64_t u, n = 0;
	size_t i;

	if (s == NULL)
		return 0;
	switch (s->family->type) {
	case PW_METRIC_COUNTER:
		return (double)atomic_load_explicit(&s->value,
		    memory_order_relaxed);
	case PW_METRIC_GAUGE:
		u = atomic_load_explicit(&s->value, memory_order_relaxed);
		return pw_metrics_double(u);
	case PW_METRIC_HISTOGRAM:
		for (i = 0; i <= s->family->nbuckets; i++)
			n += atomic_load_explicit(&s->buckets[i],
			    memory_order_relaxed);
		return (double)n;
	}
	return 0;
}

uint64_t
pw_metric_dropped(const struct pw_metric *m)
{
	return m == NULL ? 0 :
	    atomic_load_explicit(&m->dropped, memory_order_relaxed);
}

size_t
pw_metric_count(const struct pw_metric *m)
{
	return m == NULL ? 0 :
	    atomic_load_explicit(&m->norder, memory_order_acquire);
}

/* Writes v in decimal at the end of dst; returns its length. */
static size_t
pw_metrics_fmt_u64(char *dst, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

/*
 * One sample line: NAME SUFFIX {LABELS[,EXTRA]} VALUE\n, assembled in a
 * stack line when it fits (one append), else piece by piece.
 */
static int
pw_metrics_line(struct pw_buf *out, const struct pw_metric *m,
    const char *suffix, const struct pw_metric_series *s, const char *extra,
    const char *value, size_t value_len)
{
	char line[512];
	size_t slen = suffix != NULL ? strlen(suffix) : 0;
	size_t elen = extra != NULL ? strlen(extra) : 0;
	size_t llen = s != NULL ? s->labels_len : 0;
	size_t need = m->name_len + slen + llen + elen + value_len + 5;
	size_t n = 0;

#define PUT(p, l) do { memcpy(line + n, (p), (l)); n += (l); } while (0)
	if (need <= sizeof(line)) {	/* @UNSAFE: need bounds every PUT */
		PUT(m->name, m->name_len);
		if (slen)
			PUT(suffix, slen);
		if (llen || elen) {
			line[n++] = '{';
			if (llen)
				PUT(s->labels, llen);
			if (llen && elen)
				line[n++] = ',';
			if (elen)
				PUT(extra, elen);
			line[n++] = '}';
		}
		line[n++] = ' ';
		PUT(value, value_len);
		line[n++] = '\n';
		return pw_buf_append(out, line, n);
	}
#undef PUT
	if (pw_buf_append(out, m->name, m->name_len) < 0 ||
	    (slen && pw_buf_append(out, suffix, slen) < 0))
		return -1;
	if (llen || elen) {
		if (pw_buf_append(out, "{", 1) < 0 ||
		    (llen && pw_buf_append(out, s->labels, llen) < 0) ||
		    (llen && elen && pw_buf_append(out, ",", 1) < 0) ||
		    (elen && pw_buf_append(out, extra, elen) < 0) ||
		    pw_buf_append(out, "}", 1) < 0)
			return -1;
	}
	if (pw_buf_append(out, " ", 1) < 0 ||
	    pw_buf_append(out, value, value_len) < 0 ||
	    pw_buf_append(out, "\n", 1) < 0)
		return -1;
	return 0;
}

static int
pw_metrics_render_series(struct pw_buf *out, const struct pw_metric *m,
    const struct pw_metric_series *s)
{
	char num[64];
	size_t n, i;
	uint64_t cum = 0;

	switch (m->type) {
	case PW_METRIC_COUNTER:
		n = pw_metrics_fmt_u64(num, atomic_load_explicit(&s->value,
		    memory_order_relaxed));
		return pw_metrics_line(out, m, NULL, s, NULL, num, n);
	case PW_METRIC_GAUGE:
		n = pw_metrics_fmt_double(num, sizeof(num),
		    pw_metric_value(s));
		return pw_metrics_line(out, m, NULL, s, NULL, num, n);
	case PW_METRIC_HISTOGRAM:
		for (i = 0; i <= m->nbuckets; i++) {
			cum += atomic_load_explicit(&s->buckets[i],
			    memory_order_relaxed);
			n = pw_metrics_fmt_u64(num, cum);
			if (pw_metrics_line(out, m, "_bucket", s, m->le[i],
			    num, n) < 0)
				return -1;
		}
		n = pw_metrics_fmt_double(num, sizeof(num),
		    pw_metrics_double(atomic_load_explicit(&s->sum,
		    memory_order_relaxed)));
		if (pw_metrics_line(out, m, "_sum", s, NULL, num, n) < 0)
			return -1;
		n = pw_metrics_fmt_u64(num, cum);
		return pw_metrics_line(out, m, "_count", s, NULL, num, n);
	}
	return 0;
}

static const char *const pw_metrics_type_names[] = {
	[PW_METRIC_COUNTER] = "counter",
	[PW_METRIC_GAUGE] = "gauge",
	[PW_METRIC_HISTOGRAM] = "histogram",
};

int
pw_metrics_render(struct pw_metrics *reg, struct pw_buf *out)
{
	const struct pw_metric *m;
	bool any_labels = false;
	size_t i, n;

	if (reg == NULL)
		return 0;
	for (m = reg->first; m != NULL; m = m->next) {
		if (pw_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n",
		    m->name, m->help, m->name,
		    pw_metrics_type_names[m->type]) < 0)
			return -1;
		if (m->fn != NULL) {
			char num[64];

			n = pw_metrics_fmt_double(num, sizeof(num),
			    m->fn(m->fn_arg));
			if (pw_metrics_line(out, m, NULL, NULL, NULL, num,
			    n) < 0)
				return -1;
			continue;
		}
		if (m->nlabels > 0)
			any_labels = true;
		n = atomic_load_explicit(&m->norder, memory_order_acquire);
		for (i = 0; i < n; i++) {
			const struct pw_metric_series *s;

			s = atomic_load_explicit(&m->order[i],
			    memory_order_acquire);
			if (s == NULL)	/* reserved, not yet published */
				continue;
			if (pw_metrics_render_series(out, m, s) < 0)
				return -1;
		}
	}
	if (!any_labels)
		return 0;
	if (pw_buf_printf(out, "# HELP %s Series not made because their "
	    "metric had its most series or a label value was too long.\n"
	    "# TYPE %s counter\n", pw_metrics_dropped_name,
	    pw_metrics_dropped_name) < 0)
		return -1;
	for (m = reg->first; m != NULL; m = m->next) {
		if (m->nlabels == 0)
			continue;
		if (pw_buf_printf(out, "%s{metric=\"%s\"} %llu\n",
		    pw_metrics_dropped_name, m->name,
		    (unsigned long long)atomic_load_explicit(&m->dropped,
		    memory_order_relaxed)) < 0)
			return -1;
	}
	return 0;
}

double
pw_metrics_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
pw_metrics_add_process(struct pw_metrics *reg, const char *daemon)
{
	static const char *const l[] = { "daemon", "version", NULL };
	struct pw_metric *m;

	m = pw_metrics_gauge(reg, "process_start_time_seconds",
	    "Start time of the process since the epoch, in seconds.", NULL);
	pw_metric_set(pw_metric_series(m), (double)time(NULL));
	m = pw_metrics_gauge(reg, "postwarden_build_info",
	    "Always 1; labels say which daemon and version.", l);
	pw_metric_set(pw_metric_series(m, daemon, PACKAGE_VERSION), 1);
}
