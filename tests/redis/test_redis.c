/*
 * test_redis.c -- lib/redis_common.c and the synchronous client
 * lib/redis.c, against a private redis-server (redis_fixture.h).
 *
 * Each server test gets a fresh server in its setup and has it killed and
 * its directory removed in its teardown, which cmocka runs even when the
 * test fails.
 */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "redis.h"
#include "redis_fixture.h"

#define PASSWORD	PW_REDIS_FIXTURE_PASSWORD
#define WRONG_PASSWORD	PW_REDIS_FIXTURE_WRONG_PASSWORD

/* --- helpers ------------------------------------------------------ */

static struct pw_redis *
new_client(const char *endpoint, const char *more)
{
	struct pw_conf *conf = pw_redis_fixture_conf(endpoint, more);
	struct pw_redis *r;
	const char *why = NULL;

	assert_non_null(conf);
	r = pw_redis_new(conf, &why);
	pw_conf_release(&conf);
	assert_non_null(r);
	return r;
}

/* Run a command that must answer a status or bulk string equal to want. */
static void
check_reply_str(struct pw_redis *r, const char *want, ...)
{
	const char *argv[16], *s, *why = NULL;
	redisReply *reply;
	va_list ap;
	int argc = 0;

	va_start(ap, want);
	while ((s = va_arg(ap, const char *)) != NULL && argc < 16)
		argv[argc++] = s;
	va_end(ap);
	reply = pw_redis_command_argv(r, argc, argv, NULL, &why);
	if (reply == NULL)
		fail_msg("%s: no reply: %s", argv[0], why);
	if (reply->type != REDIS_REPLY_STATUS &&
	    reply->type != REDIS_REPLY_STRING)
		fail_msg("%s: reply type %d (%s)", argv[0], reply->type,
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "");
	assert_string_equal(reply->str, want);
	freeReplyObject(reply);
}

/* Setup/teardown: a server on a unix socket and one on TCP too. */
static int
setup_unix(void **state)
{
	return pw_redis_fixture_setup(state, false, NULL);
}

static int
setup_tcp(void **state)
{
	return pw_redis_fixture_setup(state, true, NULL);
}

static int
setup_requirepass(void **state)
{
	static const char *const extra[] = { "--requirepass", PASSWORD, NULL };

	if (pw_redis_fixture_setup(state, false, extra) < 0)
		return -1;
	pw_redis_fixture_set_admin(*state, NULL, PASSWORD);
	return 0;
}

static int
teardown_server(void **state)
{
	return pw_redis_fixture_teardown(state);
}

/* --- no server needed --------------------------------------------- */

static int
teardown_capture(void **state)
{
	pw_redis_fixture_capture_reset();
	return 0;
}

static void
test_endpoint_parse(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
		bool		 is_unix;
		const char	*where;		/* path or host */
		int		 port;
	} cases[] = {
		{ "unix:/run/redis/redis.sock", 0, true,
		    "/run/redis/redis.sock", 0 },
		{ "inet:127.0.0.1:6379", 0, false, "127.0.0.1", 6379 },
		{ "inet:redis.example:1", 0, false, "redis.example", 1 },
		{ "inet:[::1]:6380", 0, false, "::1", 6380 },
		{ "inet:[::1:6380", -1, false, NULL, 0 },
		{ "inet:[]:6380", -1, false, NULL, 0 },
		{ "inet:127.0.0.1:0", -1, false, NULL, 0 },
		{ "inet:127.0.0.1:65536", -1, false, NULL, 0 },
		{ "inet:127.0.0.1:0065535", -1, false, NULL, 0 },
		{ "inet:127.0.0.1:12a", -1, false, NULL, 0 },
		{ "inet:127.0.0.1:", -1, false, NULL, 0 },
		{ "inet::6379", -1, false, NULL, 0 },
		{ "inet:localhost", -1, false, NULL, 0 },
		{ "unix:relative.sock", -1, false, NULL, 0 },
		{ "tcp:127.0.0.1:6379", -1, false, NULL, 0 },
		{ "", -1, false, NULL, 0 },
	};
	struct pw_redis_endpoint ep;
	char longpath[300];
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		if (pw_redis_endpoint_parse(cases[i].in, &ep, &why) !=
		    cases[i].rc)
			fail_msg("%s: expected %d", cases[i].in, cases[i].rc);
		if (cases[i].rc < 0) {
			assert_non_null(why);
			continue;
		}
		assert_int_equal(ep.is_unix, cases[i].is_unix);
		assert_string_equal(ep.is_unix ? ep.path : ep.host,
		    cases[i].where);
		assert_int_equal(ep.port, cases[i].port);
	}
	/* Longer than sun_path: refused, not truncated. */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	memcpy(longpath, "unix:/", 6);
	assert_int_equal(pw_redis_endpoint_parse(longpath, &ep, &why), -1);
}

static void
test_queue_id_ok(void **state)
{
	(void)state;
	assert_true(pw_redis_queue_id_ok("937C3A846B5"));
	assert_true(pw_redis_queue_id_ok("4Nk3pX1vXqz1xyz"));
	assert_true(pw_redis_queue_id_ok("1234567890123456789012345678901"));
	assert_false(pw_redis_queue_id_ok("12345678901234567890123456789012"));
	assert_false(pw_redis_queue_id_ok(""));
	assert_false(pw_redis_queue_id_ok("937C3A846B5:x"));
	assert_false(pw_redis_queue_id_ok("a b"));
	assert_false(pw_redis_queue_id_ok("NOQUEUE\n"));
}

static void
test_backoff(void **state)
{
	struct pw_redis_params p;

	memset(&p, 0, sizeof(p));
	p.reconnect_delay_ms = 100;
	p.reconnect_max_delay_ms = 1000;
	assert_int_equal(pw_redis_backoff_ms(&p, 0), 0);
	assert_int_equal(pw_redis_backoff_ms(&p, 1), 100);
	assert_int_equal(pw_redis_backoff_ms(&p, 2), 200);
	assert_int_equal(pw_redis_backoff_ms(&p, 3), 400);
	assert_int_equal(pw_redis_backoff_ms(&p, 4), 800);
	assert_int_equal(pw_redis_backoff_ms(&p, 5), 1000);
	assert_int_equal(pw_redis_backoff_ms(&p, 60), 1000);
	assert_int_equal(pw_redis_backoff_ms(&p, 4000000000u), 1000);
	/* max below delay (not allowed by params_new, but harmless) */
	p.reconnect_max_delay_ms = 50;
	assert_int_equal(pw_redis_backoff_ms(&p, 1), 50);
}

static void
test_error_kind(void **state)
{
	static const struct {
		int			 type;
		const char		*str;
		enum pw_redis_error_kind kind;
	} cases[] = {
		{ REDIS_REPLY_ERROR, "NOSCRIPT No matching script.",
		    PW_REDIS_ERR_NOSCRIPT },
		{ REDIS_REPLY_ERROR, "LOADING Redis is loading the dataset",
		    PW_REDIS_ERR_LOADING },
		{ REDIS_REPLY_ERROR, "BUSY Redis is busy running a script.",
		    PW_REDIS_ERR_BUSY },
		{ REDIS_REPLY_ERROR, "BUSY", PW_REDIS_ERR_BUSY },
		{ REDIS_REPLY_ERROR, "BUSYKEY Target key name already exists.",
		    PW_REDIS_ERR_OTHER },
		{ REDIS_REPLY_ERROR, "READONLY You can't write against a "
		    "read only replica.", PW_REDIS_ERR_READONLY },
		{ REDIS_REPLY_ERROR, "OOM command not allowed",
		    PW_REDIS_ERR_OOM },
		{ REDIS_REPLY_ERROR, "NOAUTH Authentication required.",
		    PW_REDIS_ERR_NOAUTH },
		{ REDIS_REPLY_ERROR, "WRONGPASS invalid username-password",
		    PW_REDIS_ERR_NOAUTH },
		{ REDIS_REPLY_ERROR, "NOPERM this user has no permissions",
		    PW_REDIS_ERR_NOPERM },
		{ REDIS_REPLY_ERROR, "ERR unknown command",
		    PW_REDIS_ERR_OTHER },
		{ REDIS_REPLY_ERROR, "", PW_REDIS_ERR_OTHER },
		{ REDIS_REPLY_STATUS, "BUSY", PW_REDIS_ERR_NONE },
		{ REDIS_REPLY_STRING, "NOSCRIPT", PW_REDIS_ERR_NONE },
	};
	redisReply reply;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&reply, 0, sizeof(reply));
		reply.type = cases[i].type;
		reply.str = (char *)cases[i].str;
		reply.len = strlen(cases[i].str);
		if (pw_redis_reply_error_kind(&reply) != cases[i].kind)
			fail_msg("\"%s\": kind %d, expected %d", cases[i].str,
			    pw_redis_reply_error_kind(&reply), cases[i].kind);
	}
	assert_int_equal(pw_redis_reply_error_kind(NULL), PW_REDIS_ERR_NONE);
	assert_string_equal(pw_redis_error_kind_name(PW_REDIS_ERR_NOSCRIPT),
	    "NOSCRIPT");
}

static void
test_script_sha_known_answer(void **state)
{
	struct pw_redis_script s = { "one", "return 1", "" };
	const char *why = NULL;

	assert_int_equal(pw_redis_script_init(&s, &why), 0);
	/* printf 'return 1' | sha1sum */
	assert_string_equal(s.sha, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

static void
test_bad_server_refused(void **state)
{
	struct pw_conf *conf = pw_redis_fixture_conf("unix:/x", NULL);
	const char *why = NULL;

	assert_non_null(conf);
	free(conf->redis_server);
	conf->redis_server = strdup("bogus");
	assert_null(pw_redis_new(conf, &why));
	assert_non_null(why);
	pw_conf_release(&conf);
}

/* No server at all: connect fails, then backoff fails fast. */
static void
test_no_server_backoff(void **state)
{
	struct pw_redis *r = new_client("unix:/nonexistent/pw-redis.sock",
	    "redis_reconnect_delay = 200ms\n"
	    "redis_reconnect_max_delay = 400ms\n");
	const char *why = NULL;
	long long t0;
	char *logs;

	pw_redis_fixture_capture_start();
	assert_null(pw_redis_command(r, &why, "PING", NULL));
	assert_string_equal(why, "redis: cannot connect");
	t0 = pw_redis_fixture_now_ms();
	assert_null(pw_redis_command(r, &why, "PING", NULL));
	assert_string_equal(why, "redis: in reconnect backoff");
	assert_int_equal(pw_redis_connect(r, &why), -1);
	assert_string_equal(why, "redis: in reconnect backoff");
	/* After the delay, a real attempt again. */
	while (pw_redis_fixture_now_ms() - t0 < 250)
		pw_redis_fixture_nap(10);
	assert_null(pw_redis_command(r, &why, "PING", NULL));
	assert_string_equal(why, "redis: cannot connect");
	/* Second failure: 400 ms now, so 250 ms later still backing off. */
	t0 = pw_redis_fixture_now_ms();
	while (pw_redis_fixture_now_ms() - t0 < 250)
		pw_redis_fixture_nap(10);
	assert_null(pw_redis_command(r, &why, "PING", NULL));
	assert_string_equal(why, "redis: in reconnect backoff");
	assert_false(pw_redis_is_connected(r));
	pw_redis_free(&r);
	assert_null(r);
	logs = pw_redis_fixture_capture_stop();
	/* One outage, one warning, whatever the number of calls. */
	assert_int_equal(pw_redis_fixture_count(logs, "warning: "), 1);
	free(logs);
}

/* --- with a server ------------------------------------------------ */

static void
test_unix_connect(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct pw_redis *r = new_client(f->unix_endpoint, NULL);
	redisReply *reply;
	const char *why = NULL;

	/* Lazy: nothing until the first command. */
	assert_false(pw_redis_is_connected(r));
	assert_string_equal(pw_redis_key_prefix(r), "pw:");
	check_reply_str(r, "OK", "SET", "greeting", "hello", NULL);
	assert_true(pw_redis_is_connected(r));
	check_reply_str(r, "hello", "GET", "greeting", NULL);

	/* Binary-safe argv with lengths. */
	{
		const char *argv[] = { "SET", "bin", "a\0b" };
		const size_t len[] = { 3, 3, 3 };

		reply = pw_redis_command_argv(r, 3, argv, len, &why);
		assert_non_null(reply);
		freeReplyObject(reply);
		reply = pw_redis_command(r, &why, "STRLEN", "bin", NULL);
		assert_non_null(reply);
		assert_int_equal(reply->type, REDIS_REPLY_INTEGER);
		assert_int_equal(reply->integer, 3);
		freeReplyObject(reply);
	}

	/* An error reply is a reply. */
	reply = pw_redis_command(r, &why, "NOSUCHCOMMAND", NULL);
	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_ERROR);
	assert_int_equal(pw_redis_reply_error_kind(reply), PW_REDIS_ERR_OTHER);
	freeReplyObject(reply);
	assert_true(pw_redis_is_connected(r));

	/* The key really is in the server. */
	reply = pw_redis_fixture_cmd(f, "GET", "greeting", NULL);
	assert_non_null(reply);
	assert_string_equal(reply->str, "hello");
	freeReplyObject(reply);
	pw_redis_free(&r);
}

static void
test_tcp_connect(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct pw_redis *r = new_client(f->inet_endpoint, NULL);
	redisReply *reply;
	const char *why = NULL;
	char want[32];

	check_reply_str(r, "PONG", "PING", NULL);
	/* It is TCP: the server sees our address and port. */
	reply = pw_redis_command(r, &why, "CLIENT", "INFO", NULL);
	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_STRING);
	snprintf(want, sizeof(want), "laddr=127.0.0.1:%d ", f->port);
	assert_non_null(strstr(reply->str, want));
	freeReplyObject(reply);
	pw_redis_free(&r);
}

static void
test_auth_requirepass(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct pw_redis *r;
	redisReply *reply;
	const char *why = NULL;
	char *logs;

	/* Without a password the server refuses commands... */
	r = new_client(f->unix_endpoint, NULL);
	reply = pw_redis_command(r, &why, "PING", NULL);
	assert_non_null(reply);
	assert_int_equal(pw_redis_reply_error_kind(reply), PW_REDIS_ERR_NOAUTH);
	freeReplyObject(reply);
	pw_redis_free(&r);

	/* ...with it, it answers. */
	r = new_client(f->unix_endpoint,
	    "redis_password = " PASSWORD "\n");
	check_reply_str(r, "PONG", "PING", NULL);
	check_reply_str(r, "default", "ACL", "WHOAMI", NULL);
	pw_redis_free(&r);

	/* A wrong one fails the connection, and is not told anywhere. */
	pw_redis_fixture_capture_start();
	r = new_client(f->unix_endpoint,
	    "redis_password = " WRONG_PASSWORD "\n");
	reply = pw_redis_command(r, &why, "PING", NULL);
	pw_redis_free(&r);
	logs = pw_redis_fixture_capture_stop();
	assert_null(reply);
	assert_string_equal(why, "redis: authentication failed");
	pw_redis_fixture_assert_no_secret(why);
	assert_non_null(strstr(logs, "authentication failed"));
	pw_redis_fixture_assert_no_secret(logs);
	free(logs);
}

static void
test_auth_acl_user(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct pw_redis *r;
	redisReply *reply;
	const char *why = NULL;
	char *logs;

	reply = pw_redis_fixture_cmd(f, "ACL", "SETUSER", "postwarden", "on",
	    ">" PASSWORD, "~*", "&*", "+@all", NULL);
	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_STATUS);
	freeReplyObject(reply);

	r = new_client(f->unix_endpoint,
	    "redis_username = postwarden\n"
	    "redis_password = " PASSWORD "\n");
	check_reply_str(r, "postwarden", "ACL", "WHOAMI", NULL);
	check_reply_str(r, "OK", "SET", "k", "v", NULL);
	pw_redis_free(&r);

	/* Right password, wrong user. */
	pw_redis_fixture_capture_start();
	r = new_client(f->unix_endpoint,
	    "redis_username = nobody\n"
	    "redis_password = " PASSWORD "\n");
	reply = pw_redis_command(r, &why, "PING", NULL);
	pw_redis_free(&r);
	logs = pw_redis_fixture_capture_stop();
	assert_null(reply);
	assert_string_equal(why, "redis: authentication failed");
	pw_redis_fixture_assert_no_secret(logs);
	free(logs);
}

static void
test_select_db(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct pw_redis *r = new_client(f->unix_endpoint,
	    "redis_database = 3\n");
	redisReply *reply;

	check_reply_str(r, "OK", "SET", "where", "three", NULL);
	pw_redis_free(&r);

	reply = pw_redis_fixture_cmd_db(f, 3, "GET", "where", NULL);
	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_STRING);
	assert_string_equal(reply->str, "three");
	freeReplyObject(reply);
	reply = pw_redis_fixture_cmd(f, "EXISTS", "where", NULL);
	assert_non_null(reply);
	assert_int_equal(reply->integer, 0);
	freeReplyObject(reply);
}

static void
test_command_timeout(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct pw_redis *r = new_client(f->unix_endpoint,
	    "redis_command_timeout = 200ms\n"
	    "redis_reconnect_delay = 50ms\n");
	redisReply *reply;
	const char *why = NULL;
	long long t0, elapsed;
	bool ok = false;

	check_reply_str(r, "PONG", "PING", NULL);
	t0 = pw_redis_fixture_now_ms();
	reply = pw_redis_command(r, &why, "DEBUG", "SLEEP", "1", NULL);
	elapsed = pw_redis_fixture_now_ms() - t0;
	assert_null(reply);
	assert_string_equal(why, "redis: timeout");
	if (elapsed < 150 || elapsed > 800)
		fail_msg("timeout after %lld ms, expected about 200", elapsed);
	assert_false(pw_redis_is_connected(r));

	/* Recovery once the server is back (each try bounded). */
	t0 = pw_redis_fixture_now_ms();
	while (!ok && pw_redis_fixture_now_ms() - t0 < 5000) {
		reply = pw_redis_command(r, &why, "PING", NULL);
		if (reply != NULL) {
			ok = reply->type == REDIS_REPLY_STATUS &&
			    strcmp(reply->str, "PONG") == 0;
			freeReplyObject(reply);
		} else {
			pw_redis_fixture_nap(20);
		}
	}
	assert_true(ok);
	pw_redis_free(&r);
}

static void
test_server_restart(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct pw_redis *r = new_client(f->unix_endpoint,
	    "redis_reconnect_delay = 300ms\n"
	    "redis_reconnect_max_delay = 2s\n");
	redisReply *reply = NULL;
	const char *why = NULL, *why_lost;
	long long t_fail, t_ok = 0, t0;
	char *logs;

	check_reply_str(r, "OK", "SET", "before", "1", NULL);

	pw_redis_fixture_capture_start();
	pw_redis_fixture_kill(f);
	/* The loss is noticed by the next command. */
	reply = pw_redis_command(r, &why, "PING", NULL);
	assert_null(reply);
	why_lost = why;
	/* Then one attempt that fails, then backoff without a try. */
	reply = pw_redis_command(r, &why, "PING", NULL);
	t_fail = pw_redis_fixture_now_ms();
	assert_null(reply);
	assert_string_equal(why, "redis: cannot connect");
	t0 = pw_redis_fixture_now_ms();
	reply = pw_redis_command(r, &why, "PING", NULL);
	assert_null(reply);
	assert_string_equal(why, "redis: in reconnect backoff");
	assert_true(pw_redis_fixture_now_ms() - t0 < 50);

	/* Back on the same socket; still backing off, then recovered. */
	assert_int_equal(pw_redis_fixture_start(f), 0);
	while (pw_redis_fixture_now_ms() - t_fail < 5000) {
		reply = pw_redis_command(r, &why, "PING", NULL);
		if (reply != NULL) {
			t_ok = pw_redis_fixture_now_ms();
			break;
		}
		assert_string_equal(why, "redis: in reconnect backoff");
		pw_redis_fixture_nap(10);
	}
	logs = pw_redis_fixture_capture_stop();
	assert_non_null(reply);
	assert_string_equal(reply->str, "PONG");
	freeReplyObject(reply);
	if (t_ok - t_fail < 290)
		fail_msg("reconnected %lld ms after failing, backoff is 300",
		    t_ok - t_fail);
	assert_non_null(why_lost);
	/* A new, empty server (no persistence). */
	reply = pw_redis_command(r, &why, "EXISTS", "before", NULL);
	assert_non_null(reply);
	assert_int_equal(reply->integer, 0);
	freeReplyObject(reply);
	pw_redis_free(&r);

	/* Logged once per outage, however many calls failed. */
	assert_int_equal(pw_redis_fixture_count(logs, "warning: "), 1);
	assert_int_equal(pw_redis_fixture_count(logs, "connection restored"),
	    1);
	free(logs);
}

static void
test_evalsha_noscript(void **state)
{
	struct pw_redis_fixture *f = *state;
	struct pw_redis *r = new_client(f->unix_endpoint, NULL);
	static struct pw_redis_script script = { "incr_plus",
	    "return redis.call('INCR', KEYS[1]) + tonumber(ARGV[1])", "" };
	const char *argv[] = { "counter", "100" };
	redisReply *reply;
	const char *why = NULL;

	assert_int_equal(pw_redis_script_init(&script, &why), 0);
	/* Our SHA1 is the server's. */
	reply = pw_redis_fixture_cmd(f, "SCRIPT", "LOAD", script.body, NULL);
	assert_non_null(reply);
	assert_string_equal(reply->str, script.sha);
	freeReplyObject(reply);

	/* Cached: plain EVALSHA. */
	reply = pw_redis_evalsha(r, &script, 1, 2, argv, NULL, &why);
	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_INTEGER);
	assert_int_equal(reply->integer, 101);
	freeReplyObject(reply);

	/* Flushed: NOSCRIPT, sent again, runs once. */
	reply = pw_redis_fixture_cmd(f, "SCRIPT", "FLUSH", NULL);
	assert_non_null(reply);
	freeReplyObject(reply);
	reply = pw_redis_evalsha(r, &script, 1, 2, argv, NULL, &why);
	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_INTEGER);
	assert_int_equal(reply->integer, 102);
	freeReplyObject(reply);
	reply = pw_redis_fixture_cmd(f, "SCRIPT", "EXISTS", script.sha, NULL);
	assert_non_null(reply);
	assert_int_equal(reply->element[0]->integer, 1);
	freeReplyObject(reply);
	reply = pw_redis_fixture_cmd(f, "GET", "counter", NULL);
	assert_non_null(reply);
	assert_string_equal(reply->str, "2");
	freeReplyObject(reply);

	/* Bad key counts are refused before sending. */
	assert_null(pw_redis_evalsha(r, &script, 3, 2, argv, NULL, &why));
	assert_null(pw_redis_evalsha(r, &script, -1, 2, argv, NULL, &why));
	pw_redis_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_parse),
		cmocka_unit_test(test_queue_id_ok),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_error_kind),
		cmocka_unit_test(test_script_sha_known_answer),
		cmocka_unit_test(test_bad_server_refused),
		cmocka_unit_test_teardown(test_no_server_backoff,
		    teardown_capture),
		cmocka_unit_test_setup_teardown(test_unix_connect,
		    setup_unix, teardown_server),
		cmocka_unit_test_setup_teardown(test_tcp_connect,
		    setup_tcp, teardown_server),
		cmocka_unit_test_setup_teardown(test_auth_requirepass,
		    setup_requirepass, teardown_server),
		cmocka_unit_test_setup_teardown(test_auth_acl_user,
		    setup_unix, teardown_server),
		cmocka_unit_test_setup_teardown(test_select_db,
		    setup_unix, teardown_server),
		cmocka_unit_test_setup_teardown(test_command_timeout,
		    setup_unix, teardown_server),
		cmocka_unit_test_setup_teardown(test_server_restart,
		    setup_unix, teardown_server),
		cmocka_unit_test_setup_teardown(test_evalsha_noscript,
		    setup_unix, teardown_server),
	};

	/* hiredis 0.14 writes with write(2): a dead peer means SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("redis", tests, NULL, NULL);
}
