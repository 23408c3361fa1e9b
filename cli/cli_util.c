/*
 * cli_util.c -- Redis access for the postwarden commands: open the
 * configuration and the connection (struct cli_db), send commands and
 * scripts with clear errors, read replies (key names: lib/schema.h).
 *
 * Exports: cli_util_* and struct cli_db (cli.h).
 *
 * Ownership: a struct cli_db owns its configuration and Redis handle
 * (cli_util_close frees both); replies and strings returned belong to
 * the caller.
 *
 * Failures: every function that talks to Redis prints the reason itself
 * ("postwarden: redis unix:/run/redis.sock: redis: cannot connect") so
 * that a command only has to return CLI_EXIT_FAIL.  Error replies are
 * printed escaped and freed.
 *
 * Security: commands go out as argv with lengths; key names
 * (pw_schema_key_new) are made only from names checked by cli_parse.c
 * (lib/identity.c's rules); the Redis password is never printed
 * (lib/redis.c keeps it).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "xmalloc.h"

/* Most arguments cli_util_cmd() takes. */
#define CLI_UTIL_VARARGS_MAX	32
/*
 * The least time the command waits for a reply.  redis_command_timeout
 * is tuned for the daemons (a message must not wait); an admin command
 * sends batches of 1000 entries and may wait longer.
 */
#define CLI_UTIL_TIMEOUT_MIN_MS	5000

int
cli_util_open(const struct cli_opts *opts, bool json, struct cli_db *db)
{
	char err[PW_CONF_ERR_MAX];
	const char *why = NULL;

	memset(db, 0, sizeof(*db));
	db->json = json || opts->json;
	/* hiredis writes with write(2): a closed peer must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	/* The reason is printed by us; the Redis layer only adds noise. */
	pw_log_set_level(PW_LOG_ERROR);
	if (pw_conf_load(opts->conf_path, &db->conf, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	/* Ours alone (one reference), not yet published: may be changed. */
	if (db->conf->redis_command_timeout_ms < CLI_UTIL_TIMEOUT_MIN_MS)
		db->conf->redis_command_timeout_ms = CLI_UTIL_TIMEOUT_MIN_MS;
	if ((db->redis = pw_redis_new(db->conf, &why)) == NULL) {
		cli_error("%s: redis_server: %s", opts->conf_path, why);
		cli_util_close(db);
		return CLI_EXIT_FAIL;
	}
	db->prefix = pw_redis_key_prefix(db->redis);
	if (pw_redis_connect(db->redis, &why) < 0) {
		cli_error("redis %s: %s", db->conf->redis_server, why);
		cli_util_close(db);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

void
cli_util_close(struct cli_db *db)
{
	pw_redis_free(&db->redis);
	pw_conf_release(&db->conf);
	db->prefix = NULL;
}

/* Print an error reply (escaped) or the lack of a reply, return NULL. */
static redisReply *
cli_util_checked(struct cli_db *db, redisReply *reply, const char *why)
{
	char safe[256];

	if (reply == NULL) {
		cli_error("redis %s: %s%s", db->conf->redis_server, why,
		    strcmp(why, "redis: timeout") == 0 ? " (the command may "
		    "have run: check before running it again)" : "");
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		cli_error("redis %s: %s", db->conf->redis_server,
		    cli_out_safe(safe, sizeof(safe), reply->str, reply->len));
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

redisReply *
cli_util_cmdv(struct cli_db *db, int argc, const char **argv,
    const size_t *argvlen)
{
	const char *why = "redis: no reply";
	redisReply *reply;

	reply = pw_redis_command_argv(db->redis, argc, argv, argvlen, &why);
	return cli_util_checked(db, reply, why);
}

redisReply *
cli_util_cmd(struct cli_db *db, ...)
{
	const char *argv[CLI_UTIL_VARARGS_MAX];
	const char *s;
	va_list ap;
	int argc = 0;

	va_start(ap, db);
	while ((s = va_arg(ap, const char *)) != NULL &&
	    argc < CLI_UTIL_VARARGS_MAX)
		argv[argc++] = s;
	va_end(ap);
	return cli_util_cmdv(db, argc, argv, NULL);
}

/* Keys read per SCAN step. */
#define CLI_UTIL_SCAN_COUNT	"1000"

int
cli_util_scan(struct cli_db *db, const char *literal, const char *glob,
    int (*fn)(struct cli_db *db, const char *key, size_t len, void *arg),
    void *arg)
{
	char cursor[32] = "0", *pattern;
	size_t i, j, len = strlen(literal);
	redisReply *reply, *keys;
	int rc = 0;

	pattern = pw_xmalloc(2 * len + strlen(glob) + 1);
	for (i = 0, j = 0; i < len; i++) {
		if (strchr("*?[]\\", literal[i]) != NULL)
			pattern[j++] = '\\';
		pattern[j++] = literal[i];
	}
	strcpy(pattern + j, glob);
	do {
		reply = cli_util_cmd(db, "SCAN", cursor, "MATCH", pattern,
		    "COUNT", CLI_UTIL_SCAN_COUNT, NULL);
		if (reply == NULL) {
			rc = -1;
			break;
		}
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING ||
		    reply->element[1]->type != REDIS_REPLY_ARRAY) {
			cli_error("SCAN %s: unexpected reply", pattern);
			freeReplyObject(reply);
			rc = -1;
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s",
		    reply->element[0]->str);
		keys = reply->element[1];
		for (i = 0; rc == 0 && i < keys->elements; i++)
			if (keys->element[i]->type == REDIS_REPLY_STRING)
				rc = fn(db, keys->element[i]->str,
				    keys->element[i]->len, arg);
		freeReplyObject(reply);
	} while (rc == 0 && strcmp(cursor, "0") != 0);
	free(pattern);
	return rc;
}

redisReply *
cli_util_eval(struct cli_db *db, struct pw_redis_script *script, int nkeys,
    int argc, const char **argv, const size_t *argvlen)
{
	const char *why = "redis: no reply";
	redisReply *reply;

	if (script->sha[0] == '\0' && pw_redis_script_init(script, &why) < 0) {
		cli_error("script %s: %s", script->name, why);
		return NULL;
	}
	reply = pw_redis_evalsha(db->redis, script, nkeys, argc, argv,
	    argvlen, &why);
	return cli_util_checked(db, reply, why);
}

long long
cli_util_reply_int(const redisReply *reply)
{
	char *end;
	long long n;

	if (reply == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_INTEGER)
		return reply->integer;
	if (reply->type != REDIS_REPLY_STRING || reply->len == 0)
		return -1;
	errno = 0;
	n = strtoll(reply->str, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return n;
}

const char *
cli_util_hash_get(const redisReply *hash, const char *field)
{
	size_t i;

	if (hash == NULL || hash->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < hash->elements; i += 2) {
		if (hash->element[i]->type == REDIS_REPLY_STRING &&
		    hash->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(hash->element[i]->str, field) == 0)
			return hash->element[i + 1]->str;
	}
	return NULL;
}
