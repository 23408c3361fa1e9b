/*
 * test_milter_events.c -- the milter's event writer (milter/milter_events.c)
 * against a private redis-server (redis_fixture.h): events arrive in the
 * stream field by field, bytes intact; posting never waits while Redis
 * hangs, the queue bound drops and counts the rest; a queue outlives a
 * Redis restart and a reload; the flush at stop is bounded.
 *
 * Waits are polls of the writer's counters or of Redis against a
 * deadline, never a fixed sleep.  Log lines are read after the writer's
 * thread has been joined (milter_events_free), so all of them are there.
 */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "milter_events.h"
#include "redis_fixture.h"

#define WAIT_MS		10000
/* Generous: 150 posts take microseconds; a wait on Redis takes seconds. */
#define POST_FAST_MS	500

/* --- helpers ------------------------------------------------------ */

static struct milter_events *
start_writer(const struct pw_redis_fixture *f, const char *more)
{
	struct pw_conf *conf = pw_redis_fixture_conf(f->unix_endpoint, more);
	struct milter_events *w = NULL;
	const char *why = NULL;

	assert_non_null(conf);
	if (milter_events_start(conf, &w, &why) < 0)
		fail_msg("milter_events_start: %s", why);
	pw_conf_release(&conf);
	return w;
}

/* Post an event with a field n = i. */
static void
post_n(struct milter_events *w, int i)
{
	struct milter_event *ev = milter_event_new("accepted");

	assert_int_equal(milter_event_addf(ev, "n", "%d", i), 0);
	milter_events_post(w, &ev);
	assert_null(ev);
}

/*
 * Wait until the writer's counter `what' (a uint64_t of struct
 * milter_events_stats at offset off) reaches want; fail after WAIT_MS.
 */
static void
wait_stat(struct milter_events *w, size_t off, const char *what,
    uint64_t want, struct milter_events_stats *st)
{
	long long deadline = pw_redis_fixture_now_ms() + WAIT_MS;
	uint64_t got;

	for (;;) {
		milter_events_stats(w, st);
		memcpy(&got, (const char *)st + off, sizeof(got));
		if (got >= want)
			return;
		if (pw_redis_fixture_now_ms() > deadline)
			fail_msg("%s: %llu of %llu after %d ms (queued %llu, "
			    "written %llu, failures %llu)", what,
			    (unsigned long long)got, (unsigned long long)want,
			    WAIT_MS, (unsigned long long)st->queued,
			    (unsigned long long)st->written,
			    (unsigned long long)st->failures);
		pw_redis_fixture_nap(5);
	}
}

/* Wait until the writer has written exactly want events. */
static void
wait_written(struct milter_events *w, uint64_t want)
{
	struct milter_events_stats st;

	wait_stat(w, offsetof(struct milter_events_stats, written), "written",
	    want, &st);
	assert_int_equal(st.written, want);
}

/* Wait until at least want batches have failed. */
static void
wait_failures(struct milter_events *w, uint64_t want)
{
	struct milter_events_stats st;

	wait_stat(w, offsetof(struct milter_events_stats, failures),
	    "failed batches", want, &st);
}

static long long
xlen(struct pw_redis_fixture *f, const char *key)
{
	redisReply *reply = pw_redis_fixture_cmd(f, "XLEN", key, NULL);
	long long n;

	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_INTEGER);
	n = reply->integer;
	freeReplyObject(reply);
	return n;
}

/* The entries of a stream, oldest first (free the reply). */
static redisReply *
xrange(struct pw_redis_fixture *f, const char *key)
{
	redisReply *reply = pw_redis_fixture_cmd(f, "XRANGE", key, "-", "+",
	    NULL);

	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_ARRAY);
	return reply;
}

/* Check that the values of field n of the entries are from..to in order. */
static void
check_n(const redisReply *entries, size_t first, int from, int to)
{
	const redisReply *fields;
	char want[16];
	size_t i;
	int n;

	assert_int_equal(entries->elements - first, (size_t)(to - from + 1));
	for (i = first, n = from; n <= to; i++, n++) {
		fields = entries->element[i]->element[1];
		/* type, time, n */
		assert_int_equal(fields->elements, 6);
		assert_string_equal(fields->element[4]->str, "n");
		snprintf(want, sizeof(want), "%d", n);
		assert_string_equal(fields->element[5]->str, want);
	}
}

static int
setup_server(void **state)
{
	return pw_redis_fixture_setup(state, false, NULL);
}

static int
teardown_server(void **state)
{
	return pw_redis_fixture_teardown(state);
}

/* --- building events ---------------------------------------------- */

static void
test_event_limits(void **state)
{
	struct milter_event *ev = milter_event_new("accepted");
	char *big = malloc(MILTER_EVENT_SIZE_MAX + 1);
	int i, ok = 0;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', MILTER_EVENT_SIZE_MAX + 1);
	/* Too big: refused whole. */
	assert_int_equal(milter_event_addn(ev, "metadata", big,
	    MILTER_EVENT_SIZE_MAX), -1);
	/* type and time are two fields already. */
	for (i = 0; i < MILTER_EVENT_FIELDS_MAX; i++)
		if (milter_event_add(ev, "f", "v") == 0)
			ok++;
	assert_int_equal(ok, MILTER_EVENT_FIELDS_MAX - 2);
	milter_event_free(&ev);
	assert_null(ev);
	milter_event_free(&ev);
	free(big);

	/* No writer: posting frees the event. */
	ev = milter_event_new("accepted");
	milter_events_post(NULL, &ev);
	assert_null(ev);
	assert_false(milter_events_enabled(NULL));
}

/* --- against Redis ------------------------------------------------- */

static void
test_fields_arrive(void **state)
{
	static const char tricky[] = "a\0b \"*\" %s%n\r\nMAXLEN";
	struct pw_redis_fixture *f = *state;
	struct milter_events *w = start_writer(f, "events_max_length = 1000\n");
	const redisReply *e, *fields;
	struct milter_event *ev;
	redisReply *reply;

	assert_true(milter_events_enabled(w));
	ev = milter_event_new("accepted");
	milter_event_add(ev, "tracking_id", "pw1abc");
	milter_event_add(ev, "tags", "a,b");
	milter_event_add(ev, "metadata", "{\"k\":\"v w\"}");
	milter_event_addn(ev, "route", tricky, sizeof(tricky) - 1);
	milter_event_add(ev, "empty", "");
	milter_events_post(w, &ev);
	post_n(w, 7);
	wait_written(w, 2);

	reply = xrange(f, "pw:events");
	assert_int_equal(reply->elements, 2);
	e = reply->element[0];
	fields = e->element[1];
	assert_int_equal(fields->elements, 14);
	assert_string_equal(fields->element[0]->str, "type");
	assert_string_equal(fields->element[1]->str, "accepted");
	assert_string_equal(fields->element[2]->str, "time");
	assert_true(strtoll(fields->element[3]->str, NULL, 10) > 1700000000);
	assert_string_equal(fields->element[4]->str, "tracking_id");
	assert_string_equal(fields->element[5]->str, "pw1abc");
	assert_string_equal(fields->element[7]->str, "a,b");
	assert_string_equal(fields->element[9]->str, "{\"k\":\"v w\"}");
	assert_string_equal(fields->element[10]->str, "route");
	assert_int_equal(fields->element[11]->len, sizeof(tricky) - 1);
	assert_memory_equal(fields->element[11]->str, tricky,
	    sizeof(tricky) - 1);
	assert_string_equal(fields->element[12]->str, "empty");
	assert_int_equal(fields->element[13]->len, 0);
	check_n(reply, 1, 7, 7);
	freeReplyObject(reply);
	milter_events_free(&w);
	assert_null(w);
}

static void
test_events_off(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct milter_events *w = start_writer(f, "events_max_length = 0\n");
	struct milter_events_stats st;
	int i;

	assert_false(milter_events_enabled(w));
	for (i = 0; i < 5; i++)
		post_n(w, i);
	milter_events_stats(w, &st);
	assert_int_equal(st.posted, 0);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.dropped, 0);
	milter_events_free(&w);
	assert_int_equal(xlen(f, "pw:events"), 0);
}

static void
test_hung_redis_bound(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct milter_events *w = start_writer(f,
	    "milter_event_queue_max = 100\n"
	    "redis_command_timeout = 8s\n"
	    "redis_reconnect_delay = 50ms\n"
	    "redis_reconnect_max_delay = 200ms\n");
	struct milter_events_stats st;
	long long t0, took;
	redisReply *reply;
	char *logs;
	int i;

	/* Connected, then Redis hangs. */
	post_n(w, -1);
	wait_written(w, 1);
	pw_redis_fixture_capture_start();
	pw_redis_fixture_signal(f, SIGSTOP);
	t0 = pw_redis_fixture_now_ms();
	for (i = 0; i < 150; i++)
		post_n(w, i);
	took = pw_redis_fixture_now_ms() - t0;
	milter_events_stats(w, &st);
	pw_redis_fixture_signal(f, SIGCONT);
	if (took > POST_FAST_MS)
		fail_msg("150 posts took %lld ms with Redis stopped", took);
	assert_int_equal(st.posted, 101);
	assert_int_equal(st.dropped, 50);
	assert_int_equal(st.queued, 100);

	/* Back (before the command timeout): the 100 arrive, in order. */
	wait_written(w, 101);
	milter_events_free(&w);
	logs = pw_redis_fixture_capture_stop();
	reply = xrange(f, "pw:events");
	check_n(reply, 1, 0, 99);
	freeReplyObject(reply);
	assert_int_equal(pw_redis_fixture_count(logs, "queue full"), 1);
	assert_int_equal(pw_redis_fixture_count(logs,
	    "dropped 50 events while Redis was unavailable"), 1);
	free(logs);
}

static void
test_redis_restart(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct milter_events *w = start_writer(f,
	    "redis_command_timeout = 500ms\n"
	    "redis_reconnect_delay = 50ms\n"
	    "redis_reconnect_max_delay = 200ms\n");
	struct milter_events_stats st;
	redisReply *reply;
	char *logs;
	int i;

	post_n(w, -1);
	wait_written(w, 1);
	pw_redis_fixture_capture_start();
	pw_redis_fixture_kill(f);
	for (i = 0; i < 20; i++)
		post_n(w, i);
	/* Tried, failed, kept, tried again. */
	wait_failures(w, 2);
	milter_events_stats(w, &st);
	assert_int_equal(st.written, 1);
	assert_int_equal(st.queued, 20);

	/* A new, empty server on the same socket. */
	assert_int_equal(pw_redis_fixture_start(f), 0);
	wait_written(w, 21);
	milter_events_free(&w);
	logs = pw_redis_fixture_capture_stop();
	reply = xrange(f, "pw:events");
	check_n(reply, 0, 0, 19);
	freeReplyObject(reply);
	/* lib/redis: the outage once, its end once. */
	assert_int_equal(pw_redis_fixture_count(logs, "warning: redis "), 1);
	assert_int_equal(pw_redis_fixture_count(logs, "connection restored"),
	    1);
	assert_int_equal(pw_redis_fixture_count(logs, "dropped"), 0);
	free(logs);
}

static void
test_reconfigure_keeps_queue(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct milter_events *w = start_writer(f,
	    "redis_reconnect_delay = 50ms\n"
	    "redis_reconnect_max_delay = 200ms\n");
	struct pw_conf *conf;
	redisReply *reply;
	int i;

	pw_redis_fixture_kill(f);
	for (i = 0; i < 3; i++)
		post_n(w, i);
	wait_failures(w, 1);
	conf = pw_redis_fixture_conf(f->unix_endpoint,
	    "redis_key_prefix = alt:\n"
	    "redis_reconnect_delay = 50ms\n");
	assert_non_null(conf);
	milter_events_reconfigure(w, conf);
	pw_conf_release(&conf);
	assert_int_equal(pw_redis_fixture_start(f), 0);
	wait_written(w, 3);
	post_n(w, 3);
	wait_written(w, 4);
	milter_events_free(&w);
	reply = xrange(f, "alt:events");
	check_n(reply, 0, 0, 3);
	freeReplyObject(reply);
	assert_int_equal(xlen(f, "pw:events"), 0);
}

static void
test_stop_flushes(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct milter_events *w = start_writer(f, NULL);
	int i;

	for (i = 0; i < 300; i++)
		post_n(w, i);
	milter_events_stop(w, 10000);
	assert_int_equal(xlen(f, "pw:events"), 300);
	/* Stopped: further posts are discarded. */
	post_n(w, 300);
	assert_false(milter_events_enabled(w));
	milter_events_free(&w);
	assert_int_equal(xlen(f, "pw:events"), 300);
}

static void
test_stop_gives_up(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct milter_events *w = start_writer(f,
	    "redis_reconnect_delay = 50ms\n"
	    "redis_reconnect_max_delay = 100ms\n");
	long long t0, took;
	char *logs;
	int i;

	pw_redis_fixture_kill(f);
	pw_redis_fixture_capture_start();
	for (i = 0; i < 10; i++)
		post_n(w, i);
	t0 = pw_redis_fixture_now_ms();
	milter_events_stop(w, 300);
	took = pw_redis_fixture_now_ms() - t0;
	milter_events_free(&w);
	logs = pw_redis_fixture_capture_stop();
	if (took < 250 || took > 3000)
		fail_msg("stop took %lld ms, timeout 300 ms", took);
	assert_int_equal(pw_redis_fixture_count(logs,
	    "10 events not written at shutdown"), 1);
	free(logs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_limits),
		cmocka_unit_test_setup_teardown(test_fields_arrive,
		    setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_events_off,
		    setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_hung_redis_bound,
		    setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_redis_restart,
		    setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_reconfigure_keeps_queue,
		    setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_stop_flushes,
		    setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_stop_gives_up,
		    setup_server, teardown_server),
	};

	/* hiredis 0.14 writes with write(2): a dead peer means SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("milter_events", tests, NULL,
	    NULL);
}
