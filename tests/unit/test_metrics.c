/*
 * test_metrics.c -- unit tests for lib/metrics.c: the exact text of each
 * type, escaping, registration errors, the series bound and its drop
 * counter, many threads updating and making series at once, and the
 * time to render 10,000 tenants' series (printed; bounded loosely so a
 * busy machine does not fail it).
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "metrics.h"

static const char *const lbl_rule_action[] = { "rule", "action", NULL };
static const char *const lbl_tenant[] = { "tenant", NULL };

/* Renders reg into a fresh string the caller frees. */
static char *
render(struct pw_metrics *reg)
{
	struct pw_buf b;
	char *s;

	pw_buf_init(&b, 64 * 1024 * 1024);
	assert_int_equal(pw_metrics_render(reg, &b), 0);
	s = strdup(b.data);
	pw_buf_free(&b);
	return s;
}

static void
test_counter_text(void **state)
{
	struct pw_metrics *reg = pw_metrics_new();
	struct pw_metric *c;
	char *t;

	(void)state;
	c = pw_metrics_counter(reg, "pw_requests_total", "Requests.", NULL);
	pw_metric_inc(pw_metric_series(c));
	pw_metric_add(pw_metric_series(c), 41);
	t = render(reg);
	assert_string_equal(t,
	    "# HELP pw_requests_total Requests.\n"
	    "# TYPE pw_requests_total counter\n"
	    "pw_requests_total 42\n");
	free(t);
	pw_metrics_free(&reg);
	assert_null(reg);
}

static void
test_labels_in_order_made(void **state)
{
	struct pw_metrics *reg = pw_metrics_new();
	struct pw_metric *c;
	struct pw_metric_series *s1, *s2;
	char *t;

	(void)state;
	c = pw_metrics_counter(reg, "d_total", "D.", lbl_rule_action);
	s1 = pw_metric_series(c, "rate_limit", "defer");
	s2 = pw_metric_series(c, "ok", "dunno");
	assert_non_null(s1);
	assert_ptr_not_equal(s1, s2);
	assert_ptr_equal(pw_metric_series(c, "rate_limit", "defer"), s1);
	pw_metric_inc(s1);
	pw_metric_inc(pw_metric_series(c, "ok", "dunno"));
	pw_metric_inc(pw_metric_series(c, "ok", "dunno"));
	assert_int_equal(pw_metric_count(c), 2);
	t = render(reg);
	assert_string_equal(t,
	    "# HELP d_total D.\n"
	    "# TYPE d_total counter\n"
	    "d_total{rule=\"rate_limit\",action=\"defer\"} 1\n"
	    "d_total{rule=\"ok\",action=\"dunno\"} 2\n"
	    "# HELP postwarden_metrics_series_dropped_total Series not made "
	    "because their metric had its most series or a label value was "
	    "too long.\n"
	    "# TYPE postwarden_metrics_series_dropped_total counter\n"
	    "postwarden_metrics_series_dropped_total{metric=\"d_total\"} 0\n");
	free(t);
	pw_metrics_free(&reg);
}

static void
test_gauge_text(void **state)
{
	struct pw_metrics *reg = pw_metrics_new();
	struct pw_metric *g;
	char *t;

	(void)state;
	g = pw_metrics_gauge(reg, "q", "Depth.", NULL);
	pw_metric_set(pw_metric_series(g), 5);
	pw_metric_gauge_add(pw_metric_series(g), -2);
	pw_metric_gauge_add(pw_metric_series(g), 0.5);
	assert_true(pw_metric_value(pw_metric_series(g)) == 3.5);
	t = render(reg);
	assert_string_equal(t, "# HELP q Depth.\n# TYPE q gauge\nq 3.5\n");
	free(t);
	pw_metric_set(pw_metric_series(g), 1.0 / 0.0);
	t = render(reg);
	assert_non_null(strstr(t, "\nq +Inf\n"));
	free(t);
	pw_metric_set(pw_metric_series(g), 1765000000);
	t = render(reg);
	assert_non_null(strstr(t, "\nq 1765000000\n"));
	free(t);
	pw_metrics_free(&reg);
}

static double
seven(void *arg)
{
	return *(double *)arg;
}

static void
test_function_family(void **state)
{
	struct pw_metrics *reg = pw_metrics_new();
	double v = 7;
	char *t;

	(void)state;
	assert_non_null(pw_metrics_gauge_fn(reg, "f", "F.", seven, &v));
	assert_non_null(pw_metrics_counter_fn(reg, "g_total", "G.", seven,
	    &v));
	v = 8;
	t = render(reg);
	assert_string_equal(t,
	    "# HELP f F.\n# TYPE f gauge\nf 8\n"
	    "# HELP g_total G.\n# TYPE g_total counter\ng_total 8\n");
	free(t);
	pw_metrics_free(&reg);
}

static void
test_histogram_text(void **state)
{
	static const double b[] = { 0.005, 0.1, 1 };
	static const char *const l[] = { "cmd", NULL };
	struct pw_metrics *reg = pw_metrics_new();
	struct pw_metric *h;
	struct pw_metric_series *s;
	char *t;

	(void)state;
	h = pw_metrics_histogram(reg, "lat_seconds", "Latency.", l, b, 3);
	s = pw_metric_series(h, "evalsha");
	pw_metric_observe(s, 0.001);
	pw_metric_observe(s, 0.005);	/* le is "less or equal" */
	pw_metric_observe(s, 0.5);
	pw_metric_observe(s, 2);
	assert_true(pw_metric_value(s) == 4);
	t = render(reg);
	assert_non_null(strstr(t,
	    "# HELP lat_seconds Latency.\n"
	    "# TYPE lat_seconds histogram\n"
	    "lat_seconds_bucket{cmd=\"evalsha\",le=\"0.005\"} 2\n"
	    "lat_seconds_bucket{cmd=\"evalsha\",le=\"0.1\"} 2\n"
	    "lat_seconds_bucket{cmd=\"evalsha\",le=\"1\"} 3\n"
	    "lat_seconds_bucket{cmd=\"evalsha\",le=\"+Inf\"} 4\n"
	    "lat_seconds_sum{cmd=\"evalsha\"} 2.50"));
	/* The sum in the shortest text that reads back as the double. */
	assert_non_null(strstr(t, "lat_seconds_sum{cmd=\"evalsha\"} "
	    "2.5060000000000002\n"
	    "lat_seconds_count{cmd=\"evalsha\"} 4\n"));
	free(t);
	pw_metrics_free(&reg);
}

static void
test_histogram_without_labels(void **state)
{
	static const double b[] = { 1 };
	struct pw_metrics *reg = pw_metrics_new();
	struct pw_metric *h;
	char *t;

	(void)state;
	h = pw_metrics_histogram(reg, "h", "H.", NULL, b, 1);
	t = render(reg);
	assert_string_equal(t,
	    "# HELP h H.\n# TYPE h histogram\n"
	    "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\n"
	    "h_sum 0\nh_count 0\n");
	free(t);
	pw_metric_observe(pw_metric_series(h), 3);
	t = render(reg);
	assert_non_null(strstr(t, "h_bucket{le=\"+Inf\"} 1\nh_sum 3\n"
	    "h_count 1\n"));
	free(t);
	pw_metrics_free(&reg);
}

static void
test_escaping(void **state)
{
	struct pw_metrics *reg = pw_metrics_new();
	struct pw_metric *c;
	char *t;

	(void)state;
	c = pw_metrics_counter(reg, "e_total", "A \\ and\na \"q\".",
	    lbl_tenant);
	pw_metric_inc(pw_metric_series(c, "a\"b\\c\nd"));
	t = render(reg);
	assert_non_null(strstr(t, "# HELP e_total A \\\\ and\\na \"q\".\n"));
	assert_non_null(strstr(t,
	    "e_total{tenant=\"a\\\"b\\\\c\\nd\"} 1\n"));
	free(t);
	pw_metrics_free(&reg);
}

static void
test_registration_errors(void **state)
{
	static const double up[] = { 1, 2 }, down[] = { 2, 1 };
	static const char *const le[] = { "le", NULL };
	static const char *const twice[] = { "a", "a", NULL };
	static const char *const under[] = { "__x", NULL };
	static const char *const bad[] = { "1x", NULL };
	static const struct {
		const char *name;
		struct pw_metric_def def;
	} cases[] = {
	    { "empty name", { .name = "", .type = PW_METRIC_COUNTER } },
	    { "name with a dash", { .name = "a-b",
		.type = PW_METRIC_COUNTER } },
	    { "name starting with a digit", { .name = "1a",
		.type = PW_METRIC_COUNTER } },
	    { "taken name", { .name = "taken", .type = PW_METRIC_GAUGE } },
	    { "the drop counter's name", {
		.name = "postwarden_metrics_series_dropped_total",
		.type = PW_METRIC_COUNTER } },
	    { "le on a histogram", { .name = "h1",
		.type = PW_METRIC_HISTOGRAM, .labels = le, .buckets = up,
		.nbuckets = 2 } },
	    { "label twice", { .name = "c1", .type = PW_METRIC_COUNTER,
		.labels = twice } },
	    { "reserved label", { .name = "c2", .type = PW_METRIC_COUNTER,
		.labels = under } },
	    { "bad label", { .name = "c3", .type = PW_METRIC_COUNTER,
		.labels = bad } },
	    { "buckets going down", { .name = "h2",
		.type = PW_METRIC_HISTOGRAM, .buckets = down,
		.nbuckets = 2 } },
	    { "histogram without buckets", { .name = "h3",
		.type = PW_METRIC_HISTOGRAM } },
	    { "buckets on a counter", { .name = "c4",
		.type = PW_METRIC_COUNTER, .buckets = up, .nbuckets = 2 } },
	    { "function with labels", { .name = "c5",
		.type = PW_METRIC_GAUGE, .labels = lbl_tenant, .fn = seven } },
	};
	struct pw_metrics *reg = pw_metrics_new();
	struct pw_metric_def ok = { .name = "taken", .type = PW_METRIC_COUNTER };
	const char *why;
	size_t i;

	(void)state;
	assert_non_null(pw_metrics_add(reg, &ok, &why));
	assert_null(why);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		if (pw_metrics_add(reg, &cases[i].def, &why) != NULL)
			fail_msg("%s: registered", cases[i].name);
		if (why == NULL)
			fail_msg("%s: no reason", cases[i].name);
	}
	pw_metrics_free(&reg);
	/* Metrics off: a NULL registry gives NULL families that do nothing. */
	assert_null(pw_metrics_add(NULL, &ok, &why));
	assert_null(why);
	assert_null(pw_metric_series((struct pw_metric *)NULL));
	pw_metric_inc(NULL);
	pw_metric_observe(NULL, 1);
	pw_metric_set(NULL, 1);
}

static void
test_bound_and_drops(void **state)
{
	struct pw_metrics *reg = pw_metrics_new();
	struct pw_metric_def d = { .name = "t_total",
	    .type = PW_METRIC_COUNTER, .labels = lbl_tenant, .max_series = 3 };
	struct pw_metric *c;
	char longv[PW_METRICS_VALUE_MAX + 2];
	char *t;

	(void)state;
	c = pw_metrics_add(reg, &d, NULL);
	assert_non_null(pw_metric_series(c, "a"));
	assert_non_null(pw_metric_series(c, "b"));
	assert_non_null(pw_metric_series(c, "c"));
	assert_null(pw_metric_series(c, "d"));
	assert_null(pw_metric_series(c, "e"));
	assert_non_null(pw_metric_series(c, "b"));	/* old ones stay */
	assert_int_equal(pw_metric_count(c), 3);
	assert_int_equal(pw_metric_dropped(c), 2);
	/* A wrong number of values and an over-long value are drops too. */
	assert_null(pw_metric_series(c, "a", "b"));
	assert_null(pw_metric_series(c));
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	assert_null(pw_metric_series(c, longv));
	longv[PW_METRICS_VALUE_MAX] = '\0';
	assert_int_equal(pw_metric_dropped(c), 5);
	t = render(reg);
	assert_non_null(strstr(t,
	    "postwarden_metrics_series_dropped_total{metric=\"t_total\"} 5\n"));
	free(t);
	pw_metrics_free(&reg);
}

static void
test_process_families(void **state)
{
	struct pw_metrics *reg = pw_metrics_new();
	char *t;

	(void)state;
	pw_metrics_add_process(reg, "milter");
	t = render(reg);
	assert_non_null(strstr(t, "# TYPE process_start_time_seconds gauge\n"
	    "process_start_time_seconds 1"));
	assert_non_null(strstr(t, "postwarden_build_info{daemon=\"milter\","
	    "version=\"" PACKAGE_VERSION "\"} 1\n"));
	free(t);
	pw_metrics_free(&reg);
}

static void
test_buffer_cap(void **state)
{
	struct pw_metrics *reg = pw_metrics_new();
	struct pw_buf b;

	(void)state;
	(void)pw_metrics_counter(reg, "a_total", "A.", NULL);
	pw_buf_init(&b, 40);
	assert_int_equal(pw_metrics_render(reg, &b), -1);
	pw_buf_free(&b);
	pw_metrics_free(&reg);
}

#define THREADS	4
#define ROUNDS	50000
#define TUPLES	64

struct worker {
	struct pw_metrics	*reg;
	struct pw_metric	*c;
	struct pw_metric	*h;
	struct pw_buf		 out;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	char v[16];
	int i;

	for (i = 0; i < ROUNDS; i++) {
		snprintf(v, sizeof(v), "t%d", i % TUPLES);
		pw_metric_inc(pw_metric_series(w->c, v, "x"));
		pw_metric_observe(pw_metric_series(w->h), 1);
		if (i % 10000 == 0) {	/* render while others write */
			pw_buf_reset(&w->out);
			(void)pw_metrics_render(w->reg, &w->out);
		}
	}
	return NULL;
}

static void
test_threads(void **state)
{
	static const double b[] = { 0.5, 2 };
	struct pw_metrics *reg = pw_metrics_new();
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct pw_metric *c, *h;
	struct pw_buf out;
	double total = 0;
	int i;
	char v[16];

	(void)state;
	c = pw_metrics_counter(reg, "m_total", "M.", lbl_rule_action);
	h = pw_metrics_histogram(reg, "n", "N.", NULL, b, 2);
	pw_buf_init(&out, 64 * 1024 * 1024);
	for (i = 0; i < THREADS; i++) {
		w[i].reg = reg;
		w[i].c = c;
		w[i].h = h;
		pw_buf_init(&w[i].out, 1 << 20);
		assert_int_equal(pthread_create(&th[i], NULL, worker_run,
		    &w[i]), 0);
	}
	for (i = 0; i < 20; i++) {	/* renders during the updates */
		pw_buf_reset(&out);
		assert_int_equal(pw_metrics_render(reg, &out), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		pw_buf_free(&w[i].out);
	}
	assert_int_equal(pw_metric_count(c), TUPLES);
	assert_int_equal(pw_metric_dropped(c), 0);
	for (i = 0; i < TUPLES; i++) {
		snprintf(v, sizeof(v), "t%d", i);
		total += pw_metric_value(pw_metric_series(c, v, "x"));
	}
	assert_true(total == (double)THREADS * ROUNDS);
	assert_true(pw_metric_value(pw_metric_series(h)) ==
	    (double)THREADS * ROUNDS);
	pw_buf_reset(&out);
	assert_int_equal(pw_metrics_render(reg, &out), 0);
	assert_non_null(strstr(out.data, "n_sum 200000\nn_count 200000\n"));
	pw_buf_free(&out);
	pw_metrics_free(&reg);
}

/*
 * 10,000 tenants, each with a decisions counter (3 actions) and a request
 * counter: 40,000 series.  The figure is printed; the assertion is loose
 * (a shared, busy test machine), the target is under 10 ms.
 */
static void
test_render_10000_tenants(void **state)
{
	static const char *const ta[] = { "tenant", "action", NULL };
	static const char *const actions[] = { "dunno", "reject", "defer" };
	struct pw_metrics *reg = pw_metrics_new();
	struct pw_metric_def d1 = { .name = "postwarden_tenant_decisions_total",
	    .help = "Decisions per tenant.", .type = PW_METRIC_COUNTER,
	    .labels = ta, .max_series = 30000 };
	struct pw_metric_def d2 = { .name = "postwarden_tenant_requests_total",
	    .help = "Requests per tenant.", .type = PW_METRIC_COUNTER,
	    .labels = lbl_tenant, .max_series = 10000 };
	struct pw_metric *c1, *c2;
	struct pw_buf out;
	double t0, best = 1e9;
	char v[32];
	int i, j, round;

	(void)state;
	c1 = pw_metrics_add(reg, &d1, NULL);
	c2 = pw_metrics_add(reg, &d2, NULL);
	for (i = 0; i < 10000; i++) {
		snprintf(v, sizeof(v), "tenant-%05d", i);
		for (j = 0; j < 3; j++)
			pw_metric_add(pw_metric_series(c1, v, actions[j]),
			    (uint64_t)i * 1000 + j);
		pw_metric_add(pw_metric_series(c2, v), (uint64_t)i * 7919);
	}
	assert_int_equal(pw_metric_count(c1), 30000);
	pw_buf_init(&out, 64 * 1024 * 1024);
	for (round = 0; round < 10; round++) {
		pw_buf_reset(&out);
		t0 = pw_metrics_time();
		assert_int_equal(pw_metrics_render(reg, &out), 0);
		t0 = pw_metrics_time() - t0;
		if (t0 < best)
			best = t0;
	}
	print_message("render of 10,000 tenants (40,000 series, %zu bytes): "
	    "best of 10 %.3f ms\n", out.len, best * 1000);
	assert_true(best < 0.5);	/* catches a quadratic render, not noise */
	pw_buf_free(&out);
	pw_metrics_free(&reg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_text),
		cmocka_unit_test(test_labels_in_order_made),
		cmocka_unit_test(test_gauge_text),
		cmocka_unit_test(test_function_family),
		cmocka_unit_test(test_histogram_text),
		cmocka_unit_test(test_histogram_without_labels),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_registration_errors),
		cmocka_unit_test(test_bound_and_drops),
		cmocka_unit_test(test_process_families),
		cmocka_unit_test(test_buffer_cap),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_render_10000_tenants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
