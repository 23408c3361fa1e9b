/*
 * test_redis_async.c -- lib/redis_async.c on a libevent loop, against a
 * private redis-server (redis_fixture.h).
 *
 * Every callback records how often it ran: "exactly once" is checked by
 * running the loop on well past the event and counting again.  Run under
 * the sanitizer build too: freeing with commands pending and freeing from
 * inside a callback must neither leak nor touch freed memory.
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

#include <event2/event.h>

#include "conf.h"
#include "redis_async.h"
#include "redis_fixture.h"

#define PASSWORD	PW_REDIS_FIXTURE_PASSWORD
#define WRONG_PASSWORD	PW_REDIS_FIXTURE_WRONG_PASSWORD

struct test_ctx {
	struct pw_redis_fixture	 f;
	struct event_base	*base;
};

/* What one callback saw. */
struct rec {
	int			 calls;
	const char		*why;
	int			 type;		/* -1: no reply */
	long long		 integer;
	char			 str[128];
	long long		 at_ms;
	struct pw_redis_async	**free_me; /* free the handle in cb */
};

static void
rec_cb(struct pw_redis_async *ra, const redisReply *reply, const char *why,
    void *arg)
{
	struct rec *rec = arg;

	rec->calls++;
	rec->why = why;
	rec->at_ms = pw_redis_fixture_now_ms();
	rec->type = reply != NULL ? reply->type : -1;
	rec->str[0] = '\0';
	if (reply != NULL) {
		rec->integer = reply->integer;
		if (reply->str != NULL)
			snprintf(rec->str, sizeof(rec->str), "%s", reply->str);
	}
	if (rec->free_me != NULL)
		pw_redis_async_free(rec->free_me);
}

static void
run_for(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Run the loop until *calls >= want or ms pass; whether it got there. */
static bool
run_until_calls(struct event_base *base, const int *calls, int want, int ms)
{
	long long deadline = pw_redis_fixture_now_ms() + ms;

	while (*calls < want && pw_redis_fixture_now_ms() < deadline)
		run_for(base, 5);
	return *calls >= want;
}

static bool
run_until_ready(struct event_base *base, struct pw_redis_async *ra, int ms)
{
	long long deadline = pw_redis_fixture_now_ms() + ms;

	while (!pw_redis_async_is_ready(ra) &&
	    pw_redis_fixture_now_ms() < deadline)
		run_for(base, 5);
	return pw_redis_async_is_ready(ra);
}

static struct pw_redis_async *
new_client(struct test_ctx *t, const char *endpoint, const char *more)
{
	struct pw_conf *conf = pw_redis_fixture_conf(endpoint, more);
	struct pw_redis_async *ra;
	const char *why = NULL;

	assert_non_null(conf);
	ra = pw_redis_async_new(conf, t->base, &why);
	pw_conf_release(&conf);
	assert_non_null(ra);
	return ra;
}

/* Submit a command given as strings; must be accepted. */
static void
submit(struct pw_redis_async *ra, struct rec *rec, ...)
{
	const char *argv[16], *s, *why = NULL;
	va_list ap;
	int argc = 0;

	memset(rec, 0, sizeof(*rec));
	va_start(ap, rec);
	while ((s = va_arg(ap, const char *)) != NULL && argc < 16)
		argv[argc++] = s;
	va_end(ap);
	if (pw_redis_async_command_argv(ra, argc, argv, NULL, rec_cb, rec,
	    &why) < 0)
		fail_msg("%s refused: %s", argv[0], why);
}

/* Submit, run until answered, and check a string reply. */
static void
check_reply_str(struct test_ctx *t, struct pw_redis_async *ra,
    const char *want, ...)
{
	const char *argv[16], *s, *why = NULL;
	struct rec rec;
	va_list ap;
	int argc = 0;

	memset(&rec, 0, sizeof(rec));
	va_start(ap, want);
	while ((s = va_arg(ap, const char *)) != NULL && argc < 16)
		argv[argc++] = s;
	va_end(ap);
	if (pw_redis_async_command_argv(ra, argc, argv, NULL, rec_cb, &rec,
	    &why) < 0)
		fail_msg("%s refused: %s", argv[0], why);
	assert_true(run_until_calls(t->base, &rec.calls, 1, 5000));
	if (rec.type != REDIS_REPLY_STATUS && rec.type != REDIS_REPLY_STRING)
		fail_msg("%s: type %d why %s str %s", argv[0], rec.type,
		    rec.why != NULL ? rec.why : "-", rec.str);
	assert_string_equal(rec.str, want);
	assert_int_equal(rec.calls, 1);
}

/* --- setup -------------------------------------------------------- */

static int
setup_common(void **state, bool tcp, const char *const *extra, bool start)
{
	struct test_ctx *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	*state = t;
	if ((t->base = event_base_new()) == NULL ||
	    pw_redis_fixture_init(&t->f, tcp, extra) < 0 ||
	    (start && pw_redis_fixture_start(&t->f) < 0))
		return -1;
	return 0;
}

static int
setup_unix(void **state)
{
	return setup_common(state, false, NULL, true);
}

static int
setup_unstarted(void **state)
{
	return setup_common(state, false, NULL, false);
}

static int
setup_unstarted_tcp(void **state)
{
	return setup_common(state, true, NULL, false);
}

static int
setup_requirepass_tcp(void **state)
{
	static const char *const extra[] = { "--requirepass", PASSWORD, NULL };

	if (setup_common(state, true, extra, true) < 0)
		return -1;
	pw_redis_fixture_set_admin(&((struct test_ctx *)*state)->f, NULL,
	    PASSWORD);
	return 0;
}

static int
teardown(void **state)
{
	struct test_ctx *t = *state;

	if (t == NULL)
		return 0;
	pw_redis_fixture_stop(&t->f);
	if (t->base != NULL)
		event_base_free(t->base);
	free(t);
	*state = NULL;
	return 0;
}

/* --- tests -------------------------------------------------------- */

static void
test_async_command_and_evalsha(void **state)
{
	struct test_ctx *t = *state;
	struct pw_redis_async *ra = new_client(t, t->f.unix_endpoint, NULL);
	static struct pw_redis_script script = { "incr_plus",
	    "return redis.call('INCR', KEYS[1]) + tonumber(ARGV[1])", "" };
	char key[] = "counter", add[] = "100";
	const char *argv[] = { key, add };
	struct rec set, ev;
	redisReply *reply;
	const char *why = NULL;

	/* Issued while connecting: queued behind the set-up. */
	assert_false(pw_redis_async_is_ready(ra));
	submit(ra, &set, "SET", "k", "v", NULL);
	assert_int_equal(pw_redis_async_pending(ra), 1);
	assert_true(run_until_calls(t->base, &set.calls, 1, 5000));
	assert_int_equal(set.type, REDIS_REPLY_STATUS);
	assert_string_equal(set.str, "OK");
	assert_true(pw_redis_async_is_ready(ra));
	assert_int_equal(pw_redis_async_pending(ra), 0);
	check_reply_str(t, ra, "v", "GET", "k", NULL);

	/* EVALSHA of a flushed script: NOSCRIPT, then EVAL, run once. */
	assert_int_equal(pw_redis_script_init(&script, &why), 0);
	reply = pw_redis_fixture_cmd(&t->f, "SCRIPT", "FLUSH", NULL);
	assert_non_null(reply);
	freeReplyObject(reply);
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(pw_redis_async_evalsha(ra, &script, 1, 2, argv, NULL,
	    rec_cb, &ev, &why), 0);
	/* The arguments were copied: the retry must not see this. */
	memcpy(key, "garbage", sizeof(key));
	memcpy(add, "999", sizeof(add));
	assert_true(run_until_calls(t->base, &ev.calls, 1, 5000));
	assert_int_equal(ev.type, REDIS_REPLY_INTEGER);
	assert_int_equal(ev.integer, 101);
	reply = pw_redis_fixture_cmd(&t->f, "GET", "counter", NULL);
	assert_non_null(reply);
	assert_string_equal(reply->str, "1");
	freeReplyObject(reply);
	reply = pw_redis_fixture_cmd(&t->f, "SCRIPT", "EXISTS", script.sha,
	    NULL);
	assert_non_null(reply);
	assert_int_equal(reply->element[0]->integer, 1);
	freeReplyObject(reply);

	/* Cached now: EVALSHA straight away. */
	memcpy(key, "counter", sizeof(key));
	memcpy(add, "100", sizeof(add));
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(pw_redis_async_evalsha(ra, &script, 1, 2, argv, NULL,
	    rec_cb, &ev, &why), 0);
	assert_true(run_until_calls(t->base, &ev.calls, 1, 5000));
	assert_int_equal(ev.integer, 102);

	/* Error replies are replies. */
	submit(ra, &set, "NOSUCHCOMMAND", NULL);
	assert_true(run_until_calls(t->base, &set.calls, 1, 5000));
	assert_int_equal(set.type, REDIS_REPLY_ERROR);
	assert_null(set.why);

	run_for(t->base, 50);
	assert_int_equal(ev.calls, 1);
	pw_redis_async_free(&ra);
	assert_null(ra);
}

static void
test_async_auth_select_tcp(void **state)
{
	struct test_ctx *t = *state;
	struct pw_redis_async *ra;
	struct rec rec;
	redisReply *reply;
	char *logs;

	ra = new_client(t, t->f.inet_endpoint,
	    "redis_password = " PASSWORD "\n"
	    "redis_database = 2\n");
	check_reply_str(t, ra, "OK", "SET", "where", "two", NULL);
	pw_redis_async_free(&ra);
	reply = pw_redis_fixture_cmd_db(&t->f, 2, "GET", "where", NULL);
	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_STRING);
	assert_string_equal(reply->str, "two");
	freeReplyObject(reply);

	/* An ACL user: AUTH user password. */
	reply = pw_redis_fixture_cmd(&t->f, "ACL", "SETUSER", "postwarden",
	    "on", ">" PASSWORD, "~*", "&*", "+@all", NULL);
	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_STATUS);
	freeReplyObject(reply);
	ra = new_client(t, t->f.inet_endpoint,
	    "redis_username = postwarden\n"
	    "redis_password = " PASSWORD "\n");
	check_reply_str(t, ra, "postwarden", "ACL", "WHOAMI", NULL);
	pw_redis_async_free(&ra);

	/* A wrong password fails what was queued, and is told nowhere. */
	pw_redis_fixture_capture_start();
	ra = new_client(t, t->f.inet_endpoint,
	    "redis_password = " WRONG_PASSWORD "\n"
	    "redis_reconnect_delay = 1s\n");
	submit(ra, &rec, "PING", NULL);
	run_until_calls(t->base, &rec.calls, 1, 5000);
	pw_redis_async_free(&ra);
	logs = pw_redis_fixture_capture_stop();
	assert_int_equal(rec.calls, 1);
	assert_int_equal(rec.type, -1);
	assert_string_equal(rec.why, "redis: authentication failed");
	pw_redis_fixture_assert_no_secret(rec.why);
	assert_non_null(strstr(logs, "authentication failed"));
	pw_redis_fixture_assert_no_secret(logs);
	free(logs);
}

static void
test_async_timeout_once(void **state)
{
	struct test_ctx *t = *state;
	struct pw_redis_async *ra = new_client(t, t->f.unix_endpoint,
	    "redis_command_timeout = 200ms\n");
	struct rec sleep_rec, behind;
	long long t0, elapsed;

	assert_true(run_until_ready(t->base, ra, 5000));
	t0 = pw_redis_fixture_now_ms();
	submit(ra, &sleep_rec, "DEBUG", "SLEEP", "1", NULL);
	run_for(t->base, 100);
	submit(ra, &behind, "GET", "x", NULL);
	assert_true(run_until_calls(t->base, &sleep_rec.calls, 1, 3000));
	elapsed = sleep_rec.at_ms - t0;
	assert_int_equal(sleep_rec.type, -1);
	assert_string_equal(sleep_rec.why, "redis: timeout");
	if (elapsed < 150 || elapsed > 800)
		fail_msg("timeout after %lld ms, expected about 200", elapsed);
	/*
	 * The one queued behind it shares its fate, once, at the same time:
	 * the connection is dropped, not left to deliver late replies.
	 */
	assert_true(run_until_calls(t->base, &behind.calls, 1, 1000));
	assert_string_equal(behind.why, "redis: timeout");
	if (behind.at_ms - sleep_rec.at_ms > 50)
		fail_msg("second command failed %lld ms after the first",
		    behind.at_ms - sleep_rec.at_ms);
	assert_int_equal(pw_redis_async_pending(ra), 0);

	/* Well past the server's wake-up: no second call. */
	run_for(t->base, 1300);
	assert_int_equal(sleep_rec.calls, 1);
	assert_int_equal(behind.calls, 1);

	/* And it recovers. */
	assert_true(run_until_ready(t->base, ra, 5000));
	check_reply_str(t, ra, "PONG", "PING", NULL);
	pw_redis_async_free(&ra);
}

/*
 * A slow Redis is not a stuck one: a command that times out while replies
 * to earlier ones keep coming fails alone, on a connection that stays.
 */
static void
test_async_timeout_slow_not_stuck(void **state)
{
	struct test_ctx *t = *state;
	struct pw_redis_async *ra = new_client(t, t->f.unix_endpoint,
	    "redis_command_timeout = 600ms\n");
	struct rec id0, first, slow, id1;
	long long t0;

	assert_true(run_until_ready(t->base, ra, 5000));
	submit(ra, &id0, "CLIENT", "ID", NULL);
	assert_true(run_until_calls(t->base, &id0.calls, 1, 5000));
	assert_int_equal(id0.type, REDIS_REPLY_INTEGER);

	/*
	 * The first is answered at about 300 ms.  The second, sent once the
	 * first is running (Redis answers a pipelined batch only when all of
	 * it has run), would be answered at about 800 ms, after its timeout
	 * (600 ms from being sent); the connection moved meanwhile.
	 */
	submit(ra, &first, "DEBUG", "SLEEP", "0.3", NULL);
	run_for(t->base, 50);
	t0 = pw_redis_fixture_now_ms();
	submit(ra, &slow, "DEBUG", "SLEEP", "0.5", NULL);
	assert_true(run_until_calls(t->base, &slow.calls, 1, 3000));
	assert_int_equal(first.calls, 1);
	if (first.type != REDIS_REPLY_STATUS)
		fail_msg("first: type %d why %s at %lld ms", first.type,
		    first.why != NULL ? first.why : "-", first.at_ms - t0);
	assert_int_equal(slow.type, -1);
	assert_string_equal(slow.why, "redis: timeout");
	if (slow.at_ms - t0 < 500 || slow.at_ms - t0 > 750)
		fail_msg("timeout after %lld ms, expected about 600",
		    slow.at_ms - t0);

	/* Its late reply is read and dropped; the same connection goes on. */
	submit(ra, &id1, "CLIENT", "ID", NULL);
	assert_true(run_until_calls(t->base, &id1.calls, 1, 3000));
	assert_int_equal(id1.type, REDIS_REPLY_INTEGER);
	assert_int_equal(id1.integer, id0.integer);
	assert_int_equal(slow.calls, 1);
	assert_int_equal(pw_redis_async_pending(ra), 0);
	pw_redis_async_free(&ra);
}

static void
test_async_disconnect_pending(void **state)
{
	struct test_ctx *t = *state;
	struct pw_redis_async *ra = new_client(t, t->f.unix_endpoint,
	    "redis_command_timeout = 10s\n"
	    "redis_reconnect_delay = 100ms\n"
	    "redis_reconnect_max_delay = 400ms\n");
	struct rec blocked, b, c, refused;
	const char *why = NULL;
	const char *argv[] = { "PING" };
	char *logs;

	assert_true(run_until_ready(t->base, ra, 5000));
	submit(ra, &blocked, "BLPOP", "nothing", "0", NULL);
	submit(ra, &b, "GET", "b", NULL);
	submit(ra, &c, "GET", "c", NULL);
	run_for(t->base, 100);
	assert_int_equal(blocked.calls + b.calls + c.calls, 0);
	assert_int_equal(pw_redis_async_pending(ra), 3);

	pw_redis_fixture_capture_start();
	pw_redis_fixture_kill(&t->f);
	run_until_calls(t->base, &c.calls, 1, 3000);
	assert_int_equal(blocked.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.calls, 1);
	assert_string_equal(blocked.why, "redis: connection lost");
	assert_string_equal(b.why, "redis: connection lost");
	assert_int_equal(pw_redis_async_pending(ra), 0);

	/* While down: refused at once, callback never called. */
	memset(&refused, 0, sizeof(refused));
	assert_int_equal(pw_redis_async_command_argv(ra, 1, argv, NULL,
	    rec_cb, &refused, &why), -1);
	assert_string_equal(why, "redis: not connected");
	run_for(t->base, 300);

	/* Back: reconnects by itself. */
	assert_int_equal(pw_redis_fixture_start(&t->f), 0);
	assert_true(run_until_ready(t->base, ra, 5000));
	check_reply_str(t, ra, "PONG", "PING", NULL);
	logs = pw_redis_fixture_capture_stop();
	assert_int_equal(refused.calls, 0);
	assert_int_equal(blocked.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(pw_redis_fixture_count(logs, "warning: "), 1);
	assert_int_equal(pw_redis_fixture_count(logs, "connection restored"),
	    1);
	free(logs);
	pw_redis_async_free(&ra);
}

static void
test_async_free_pending(void **state)
{
	struct test_ctx *t = *state;
	struct pw_redis_async *ra = new_client(t, t->f.unix_endpoint, NULL);
	struct rec a, b, c;

	/* While connecting. */
	submit(ra, &a, "GET", "a", NULL);
	submit(ra, &b, "GET", "b", NULL);
	pw_redis_async_free(&ra);
	assert_null(ra);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_string_equal(a.why, "redis: closed");
	assert_string_equal(b.why, "redis: closed");

	/* Connected, with commands written and maybe answered. */
	ra = new_client(t, t->f.unix_endpoint, NULL);
	assert_true(run_until_ready(t->base, ra, 5000));
	submit(ra, &a, "DEBUG", "SLEEP", "0.1", NULL);
	submit(ra, &b, "GET", "b", NULL);
	submit(ra, &c, "GET", "c", NULL);
	event_base_loop(t->base, EVLOOP_NONBLOCK);
	pw_redis_async_free(&ra);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.calls, 1);
	assert_string_equal(c.why, "redis: closed");
	run_for(t->base, 300);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.calls, 1);
}

static void
test_async_free_in_callback(void **state)
{
	struct test_ctx *t = *state;
	struct pw_redis_async *ra = new_client(t, t->f.unix_endpoint, NULL);
	struct rec a, b, c;

	assert_true(run_until_ready(t->base, ra, 5000));
	submit(ra, &a, "PING", NULL);
	a.free_me = &ra;
	submit(ra, &b, "GET", "b", NULL);
	submit(ra, &c, "GET", "c", NULL);
	assert_true(run_until_calls(t->base, &a.calls, 1, 5000));
	assert_null(ra);
	assert_string_equal(a.str, "PONG");
	/* The others were failed by the free, once each. */
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.calls, 1);
	assert_string_equal(b.why, "redis: closed");
	run_for(t->base, 200);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.calls, 1);
}

static void
test_async_down_then_up(void **state)
{
	struct test_ctx *t = *state;
	struct pw_redis_async *ra;
	struct rec rec;
	const char *argv[] = { "PING" };
	const char *why = NULL;
	char *logs;

	/* No server yet: fail fast, no callback. */
	pw_redis_fixture_capture_start();
	ra = new_client(t, t->f.unix_endpoint,
	    "redis_reconnect_delay = 200ms\n"
	    "redis_reconnect_max_delay = 2s\n");
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(pw_redis_async_command_argv(ra, 1, argv, NULL,
	    rec_cb, &rec, &why), -1);
	assert_string_equal(why, "redis: not connected");
	/* Attempts at 0, 200, 600 ms; the next one at 1400. */
	run_for(t->base, 700);
	assert_int_equal(pw_redis_async_command_argv(ra, 1, argv, NULL,
	    rec_cb, &rec, &why), -1);
	assert_false(pw_redis_async_is_ready(ra));

	/* Up again, but in backoff: still refused, no attempt made. */
	assert_int_equal(pw_redis_fixture_start(&t->f), 0);
	assert_int_equal(pw_redis_async_command_argv(ra, 1, argv, NULL,
	    rec_cb, &rec, &why), -1);
	assert_string_equal(why, "redis: not connected");

	/* The reconnect timer finds it. */
	assert_true(run_until_ready(t->base, ra, 5000));
	check_reply_str(t, ra, "PONG", "PING", NULL);
	pw_redis_async_free(&ra);
	logs = pw_redis_fixture_capture_stop();
	assert_int_equal(rec.calls, 0);
	assert_int_equal(pw_redis_fixture_count(logs, "warning: "), 1);
	assert_int_equal(pw_redis_fixture_count(logs, "connection restored"),
	    1);
	free(logs);
}

static void
test_async_connect_timeout(void **state)
{
	struct test_ctx *t = *state;
	struct pw_redis_async *ra;
	struct rec rec, id1, id2;
	long long t0;

	/* A server that accepts (the kernel does) but never answers. */
	pw_redis_fixture_signal(&t->f, SIGSTOP);
	t0 = pw_redis_fixture_now_ms();
	ra = new_client(t, t->f.unix_endpoint,
	    "redis_connect_timeout = 300ms\n"
	    "redis_command_timeout = 5s\n"
	    "redis_reconnect_delay = 100ms\n");
	submit(ra, &rec, "GET", "x", NULL);
	assert_true(run_until_calls(t->base, &rec.calls, 1, 3000));
	assert_string_equal(rec.why, "redis: connect timeout");
	if (rec.at_ms - t0 < 250 || rec.at_ms - t0 > 1500)
		fail_msg("connect timeout after %lld ms, expected 300",
		    rec.at_ms - t0);
	assert_false(pw_redis_async_is_ready(ra));

	pw_redis_fixture_signal(&t->f, SIGCONT);
	assert_true(run_until_ready(t->base, ra, 5000));
	check_reply_str(t, ra, "PONG", "PING", NULL);
	/* Once ready, the set-up deadline no longer applies: same link. */
	submit(ra, &id1, "CLIENT", "ID", NULL);
	assert_true(run_until_calls(t->base, &id1.calls, 1, 5000));
	run_for(t->base, 500);
	submit(ra, &id2, "CLIENT", "ID", NULL);
	assert_true(run_until_calls(t->base, &id2.calls, 1, 5000));
	assert_int_equal(id1.type, REDIS_REPLY_INTEGER);
	assert_int_equal(id2.type, REDIS_REPLY_INTEGER);
	assert_int_equal(id1.integer, id2.integer);
	assert_int_equal(rec.calls, 1);
	pw_redis_async_free(&ra);
}

/* TCP, nobody listening: connect(2) fails in the loop or at once. */
static void
test_async_tcp_refused(void **state)
{
	struct test_ctx *t = *state;
	struct pw_redis_async *ra = new_client(t, t->f.inet_endpoint,
	    "redis_reconnect_delay = 100ms\n");
	const char *argv[] = { "PING" };
	const char *why = NULL;
	struct rec rec;

	memset(&rec, 0, sizeof(rec));
	if (pw_redis_async_command_argv(ra, 1, argv, NULL, rec_cb, &rec,
	    &why) == 0) {
		assert_true(run_until_calls(t->base, &rec.calls, 1, 3000));
		assert_int_equal(rec.type, -1);
		assert_string_equal(rec.why, "redis: cannot connect");
	} else {
		assert_string_equal(why, "redis: not connected");
	}
	run_for(t->base, 200);
	assert_true(rec.calls <= 1);
	assert_false(pw_redis_async_is_ready(ra));

	assert_int_equal(pw_redis_fixture_start(&t->f), 0);
	assert_true(run_until_ready(t->base, ra, 5000));
	check_reply_str(t, ra, "PONG", "PING", NULL);
	pw_redis_async_free(&ra);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_async_command_and_evalsha,
		    setup_unix, teardown),
		cmocka_unit_test_setup_teardown(test_async_auth_select_tcp,
		    setup_requirepass_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_async_timeout_once,
		    setup_unix, teardown),
		cmocka_unit_test_setup_teardown(test_async_timeout_slow_not_stuck,
		    setup_unix, teardown),
		cmocka_unit_test_setup_teardown(test_async_disconnect_pending,
		    setup_unix, teardown),
		cmocka_unit_test_setup_teardown(test_async_free_pending,
		    setup_unix, teardown),
		cmocka_unit_test_setup_teardown(test_async_free_in_callback,
		    setup_unix, teardown),
		cmocka_unit_test_setup_teardown(test_async_down_then_up,
		    setup_unstarted, teardown),
		cmocka_unit_test_setup_teardown(test_async_connect_timeout,
		    setup_unix, teardown),
		cmocka_unit_test_setup_teardown(test_async_tcp_refused,
		    setup_unstarted_tcp, teardown),
	};

	/* hiredis 0.14 writes with write(2): a dead peer means SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("redis_async", tests, NULL, NULL);
}
