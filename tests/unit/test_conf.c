/*
 * test_conf.c -- unit tests for lib/conf.c: syntax, types, bounds and the
 * file:line errors an admin sees.
 *
 * Each case is a configuration text and either the values it must give or
 * the exact error it must produce.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "log.h"

static struct pw_conf *
parse_ok(const char *text)
{
	struct pw_conf *conf = NULL;
	char err[PW_CONF_ERR_MAX] = "";

	if (pw_conf_parse("test.conf", text, strlen(text), &conf, err,
	    sizeof(err)) < 0)
		fail_msg("unexpected error: %s", err);
	return conf;
}

static void
expect_error(const char *text, const char *want)
{
	struct pw_conf *conf = NULL;
	char err[PW_CONF_ERR_MAX] = "";

	assert_int_equal(pw_conf_parse("test.conf", text, strlen(text), &conf,
	    err, sizeof(err)), -1);
	assert_null(conf);
	assert_string_equal(err, want);
}

static void
test_defaults(void **state)
{
	struct pw_conf *conf = parse_ok("");

	assert_string_equal(conf->user, "postwarden");
	assert_string_equal(conf->redis_server, "inet:127.0.0.1:6379");
	assert_string_equal(conf->redis_key_prefix, "pw:");
	assert_string_equal(conf->policyd_listen, "inet:127.0.0.1:10040");
	assert_int_equal(conf->socket_mode, 0660);
	assert_int_equal(conf->redis_command_timeout_ms, 250);
	assert_int_equal(conf->log_level, PW_LOG_INFO);
	pw_conf_release(&conf);
	assert_null(conf);
}

static void
test_values_comments_and_continuations(void **state)
{
	struct pw_conf *conf = parse_ok(
	    "# a comment\n"
	    "\n"
	    "redis_server = unix:/run/redis/redis.sock\n"
	    "policyd_listen = unix:/run/pw/p.sock,\n"
	    "    inet:127.0.0.1:10041\n"
	    "   # an indented comment does not end the setting\n"
	    "redis_command_timeout = 2s\r\n"
	    "redis_connect_timeout = 750ms\n"
	    "shutdown_timeout = 1m\n"
	    "socket_mode = 0600\n"
	    "log_level = debug\n"
	    "redis_database=3\n"
	    "redis_password = s3cret   \n");

	assert_string_equal(conf->redis_server, "unix:/run/redis/redis.sock");
	assert_string_equal(conf->policyd_listen,
	    "unix:/run/pw/p.sock, inet:127.0.0.1:10041");
	assert_int_equal(conf->redis_command_timeout_ms, 2000);
	assert_int_equal(conf->redis_connect_timeout_ms, 750);
	assert_int_equal(conf->shutdown_timeout_ms, 60000);
	assert_int_equal(conf->socket_mode, 0600);
	assert_int_equal(conf->log_level, PW_LOG_DEBUG);
	assert_int_equal(conf->redis_database, 3);
	assert_string_equal(conf->redis_password, "s3cret");
	pw_conf_release(&conf);
}

static void
test_errors_name_file_line_and_setting(void **state)
{
	expect_error("user = a\nbogus_setting = 1\n",
	    "test.conf:2: bogus_setting: unknown setting");
	expect_error("\n\nredis_database = -1\n",
	    "test.conf:3: redis_database: not a number in the allowed range");
	expect_error("redis_database = 12abc\n",
	    "test.conf:1: redis_database: not a number in the allowed range");
	expect_error("dkim_line_length_limit = 1\n",
	    "test.conf:1: dkim_line_length_limit: expected 0 (off) or 2 or "
	    "more");
	expect_error("redis_command_timeout = soon\n",
	    "test.conf:1: redis_command_timeout: not a time "
	    "(examples: 250ms, 10s, 5m, 1h, 1d)");
	expect_error("redis_command_timeout = 0\n",
	    "test.conf:1: redis_command_timeout: time outside the allowed "
	    "range");
	expect_error("socket_mode = 0999\n",
	    "test.conf:1: socket_mode: not an octal file mode (example: 0660)");
	expect_error("log_level = loud\n",
	    "test.conf:1: log_level: expected error, warning, notice, info "
	    "or debug");
	expect_error("milter_pid_file = run/milter.pid\n",
	    "test.conf:1: milter_pid_file: must be an absolute path");
	expect_error("redis_server = localhost:6379\n",
	    "test.conf:1: redis_server: expected unix:/path or "
	    "inet:host:port");
	expect_error("redis_server = inet:localhost:99999\n",
	    "test.conf:1: redis_server: port must be 1..65535");
	expect_error("redis_server =\n",
	    "test.conf:1: redis_server: a value is required");
	expect_error("policyd_listen = unix:/a.sock, unix:relative\n",
	    "test.conf:1: policyd_listen: unix socket path must be absolute");
	expect_error("redis_key_prefix = {pw}:\n",
	    "test.conf:1: redis_key_prefix: must be printable, without "
	    "spaces or braces");
	expect_error("user = a\nuser = b\n",
	    "test.conf:2: user: given twice (first on line 1)");
	expect_error("just words\n",
	    "test.conf:1: expected \"name = value\"");
	expect_error("= value\n",
	    "test.conf:1: missing setting name before \"=\"");
	expect_error("  indented = 1\n",
	    "test.conf:1: continuation line without a setting before it");
	expect_error("user name = x\n",
	    "test.conf:1: bad setting name: expected \"name = value\"");
}

static void
test_error_line_is_start_of_logical_line(void **state)
{
	expect_error("user = a\npolicyd_listen = unix:/a.sock,\n"
	    "   unix:relative\n",
	    "test.conf:2: policyd_listen: unix socket path must be absolute");
}

static void
test_nul_byte_rejected(void **state)
{
	static const char text[] = "user = a\0b\n";
	struct pw_conf *conf = NULL;
	char err[PW_CONF_ERR_MAX];

	assert_int_equal(pw_conf_parse("test.conf", text, sizeof(text) - 1,
	    &conf, err, sizeof(err)), -1);
	assert_string_equal(err, "test.conf:1: NUL byte in line");
}

static void
test_dump_redacts_secrets(void **state)
{
	struct pw_conf *conf = parse_ok("redis_password = hunter2\n"
	    "redis_database = 2\n");
	char *out = NULL;
	size_t outlen = 0;
	FILE *fp = open_memstream(&out, &outlen);

	pw_conf_dump(conf, fp, true);
	fclose(fp);
	assert_null(strstr(out, "hunter2"));
	assert_non_null(strstr(out, "redis_password = <redacted>\n"));
	assert_non_null(strstr(out, "redis_database = 2\n"));
	/* changed_only: defaults are not shown */
	assert_null(strstr(out, "user = "));
	free(out);
	pw_conf_release(&conf);
}

static void
test_load_missing_file(void **state)
{
	struct pw_conf *conf = NULL;
	char err[PW_CONF_ERR_MAX];

	assert_int_equal(pw_conf_load("/nonexistent/postwarden.conf", &conf,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/postwarden.conf: cannot open: "
	    "No such file or directory");
}

/* Pool names and the Feedback-ID sender id: lib/tenant_fields.c's rule. */
static void
test_pool_names(void **state)
{
	struct pw_conf *conf = parse_ok(
	    "milter_pools = a, b_c-1 pppppppppppppppppppppppppppppppp\n"
	    "milter_default_pool = pppppppppppppppppppppppppppppppp\n"
	    "milter_feedback_id_sender =\n");

	assert_string_equal(conf->milter_pools,
	    "a, b_c-1 pppppppppppppppppppppppppppppppp");
	assert_string_equal(conf->milter_feedback_id_sender, "");
	pw_conf_release(&conf);
	expect_error("milter_pools = a Asia\n",
	    "test.conf:1: milter_pools: a name is made of a-z, 0-9, \"-\" "
	    "and \"_\"");
	expect_error("milter_default_pool = "
	    "ppppppppppppppppppppppppppppppppp\n",
	    "test.conf:1: milter_default_pool: pool name longer than 32 "
	    "characters");
	expect_error("milter_default_pool =\n",
	    "test.conf:1: milter_default_pool: a value is required");
	/* Mail for a pool without a transport would defer (issue 11). */
	expect_error("milter_pools = a, b\nmilter_default_pool = c\n",
	    "test.conf:2: milter_default_pool: pool c is not in milter_pools");
	expect_error("# pools\nmilter_pools = a, b\n",
	    "test.conf:2: milter_default_pool: pool default is not in "
	    "milter_pools (the default; set milter_default_pool)");
	conf = parse_ok("milter_default_pool = b\nmilter_pools = a, b\n");
	pw_conf_release(&conf);
	conf = parse_ok("milter_default_pool = c\n");
	pw_conf_release(&conf);
	expect_error("milter_feedback_id_sender = pw:x\n",
	    "test.conf:1: milter_feedback_id_sender: a name is made of a-z, "
	    "0-9, \"-\" and \"_\"");
}

static int
collect(const char *item, size_t len, void *arg)
{
	char *out = arg;

	strncat(out, item, len);
	strcat(out, "|");
	return 0;
}

static void
test_list_foreach(void **state)
{
	char out[128] = "";

	assert_int_equal(pw_conf_list_foreach(" a, b  c,,d ", collect, out), 0);
	assert_string_equal(out, "a|b|c|d|");
}

/* Enumerated and yes/no settings: parsed once, errors name the values. */
static void
test_enum_and_bool(void **state)
{
	struct pw_conf *conf = parse_ok("");
	FILE *fp;
	char out[8192];
	size_t n;

	(void)state;
	assert_int_equal(conf->policyd_fail_mode, PW_CONF_FAIL_DEFER);
	assert_int_equal(conf->policyd_unknown_key, PW_CONF_UNKNOWN_REJECT);
	assert_int_equal(conf->dkim_failure_mode, PW_CONF_FAILURE_TEMPFAIL);
	assert_int_equal(conf->milter_identity_failure_mode,
	    PW_CONF_FAILURE_TEMPFAIL);
	assert_int_equal(conf->milter_control_errors, PW_CONF_CONTROL_REJECT);
	assert_true(conf->dkim_key_mode_check);
	assert_true(conf->tenant_domains_required);
	pw_conf_release(&conf);
	conf = parse_ok("tenant_domains_required = no\n");
	assert_false(conf->tenant_domains_required);
	pw_conf_release(&conf);

	conf = parse_ok("policyd_fail_mode = pass\npolicyd_unknown_key = pass\n"
	    "dkim_failure_mode = accept\nmilter_identity_failure_mode = "
	    "accept\nmilter_control_errors = ignore\n"
	    "dkim_key_mode_check = no\n");
	assert_int_equal(conf->policyd_fail_mode, PW_CONF_FAIL_PASS);
	assert_int_equal(conf->policyd_unknown_key, PW_CONF_UNKNOWN_PASS);
	assert_int_equal(conf->dkim_failure_mode, PW_CONF_FAILURE_ACCEPT);
	assert_int_equal(conf->milter_identity_failure_mode,
	    PW_CONF_FAILURE_ACCEPT);
	assert_int_equal(conf->milter_control_errors, PW_CONF_CONTROL_IGNORE);
	assert_false(conf->dkim_key_mode_check);
	assert_string_equal(pw_conf_enum_name("policyd_fail_mode",
	    conf->policyd_fail_mode), "pass");
	assert_string_equal(pw_conf_enum_name("policyd_fail_mode", 7), "?");
	assert_string_equal(pw_conf_enum_name("user", 0), "?");
	/* Printed as written. */
	fp = tmpfile();
	assert_non_null(fp);
	pw_conf_dump(conf, fp, true);
	rewind(fp);
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	fclose(fp);
	assert_string_equal(out, "policyd_fail_mode = pass\n"
	    "policyd_unknown_key = pass\ndkim_failure_mode = accept\n"
	    "dkim_key_mode_check = no\nmilter_control_errors = ignore\n"
	    "milter_identity_failure_mode = accept\n");
	pw_conf_release(&conf);

	expect_error("policyd_fail_mode = Pass\n",
	    "test.conf:1: policyd_fail_mode: expected defer or pass");
	expect_error("policyd_unknown_key = defer\n",
	    "test.conf:1: policyd_unknown_key: expected reject or pass");
	expect_error("milter_identity_failure_mode = reject\n",
	    "test.conf:1: milter_identity_failure_mode: expected tempfail or "
	    "accept");
	expect_error("milter_control_errors = yes\n",
	    "test.conf:1: milter_control_errors: expected reject or ignore");
	expect_error("dkim_key_mode_check = true\n",
	    "test.conf:1: dkim_key_mode_check: expected yes or no");
	expect_error("dkim_failure_mode =\n",
	    "test.conf:1: dkim_failure_mode: a value is required");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values_comments_and_continuations),
		cmocka_unit_test(test_errors_name_file_line_and_setting),
		cmocka_unit_test(test_error_line_is_start_of_logical_line),
		cmocka_unit_test(test_nul_byte_rejected),
		cmocka_unit_test(test_dump_redacts_secrets),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_pool_names),
		cmocka_unit_test(test_enum_and_bool),
		cmocka_unit_test(test_list_foreach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
