/*
 * redis.c -- synchronous Redis client (see redis.h for the contract).
 *
 * State per handle: the hiredis context (NULL when down), the number of
 * consecutive failed connection attempts, the earliest time of the next
 * attempt, and whether an outage has been logged.  A connection "proves"
 * itself with its first reply; one that dies before that counts as a
 * failed attempt, so a server that accepts but never answers is retried
 * with backoff, not on every call.
 *
 * Ownership: the handle owns its params copy and context; replies belong
 * to the caller.  Not thread-safe (one handle per thread).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"
#include "log.h"
#include "redis.h"
#include "xmalloc.h"

/* Most arguments pw_redis_command() takes; argv callers have no limit. */
#define PW_REDIS_VARARGS_MAX	64

struct pw_redis {
	struct pw_redis_params	*params;
	redisContext		*ctx;	/* NULL when not connected */
	bool			 proven; /* ctx has given a reply */
	unsigned		 failures; /* consecutive failed attempts */
	int64_t			 next_attempt_ms; /* no attempt before */
	bool			 outage; /* loss logged, no recovery yet */
};

static struct timeval
pw_redis_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* A reply arrived: the connection works; end any outage. */
static void
pw_redis_proven(struct pw_redis *r)
{
	if (r->proven)
		return;
	r->proven = true;
	r->failures = 0;
	r->next_attempt_ms = 0;
	pw_redis_log_up(&r->outage, r->params);
}

/*
 * Drop the context after an error.  A proven connection may be retried
 * at once; an unproven one is a failed attempt and backs off.
 */
static void
pw_redis_drop(struct pw_redis *r, const char *why, const char *detail)
{
	int64_t now = pw_clock_ms();

	pw_redis_log_down(&r->outage, r->params, why, detail);
	if (r->ctx != NULL) {
		redisFree(r->ctx);
		r->ctx = NULL;
	}
	if (r->proven) {
		r->failures = 0;
		r->next_attempt_ms = now;
	} else {
		r->failures++;
		r->next_attempt_ms = now +
		    pw_redis_backoff_ms(r->params, r->failures);
	}
	r->proven = false;
}

/* A static reason for a context error; errno_saved is errno after it. */
static const char *
pw_redis_ctx_why(const redisContext *c, int errno_saved)
{
	switch (c->err) {
	case REDIS_ERR_IO:
		if (errno_saved == EAGAIN || errno_saved == EWOULDBLOCK ||
		    errno_saved == ETIMEDOUT)
			return "redis: timeout";
		return "redis: I/O error";
	case REDIS_ERR_EOF:
		return "redis: connection lost";
	case REDIS_ERR_PROTOCOL:
		return "redis: protocol error";
	case REDIS_ERR_OOM:
		return "redis: out of memory";
	default:
		return "redis: connection error";
	}
}

struct pw_redis *
pw_redis_new(const struct pw_conf *conf, const char **why_r)
{
	struct pw_redis *r;
	struct pw_redis_params *params;

	if ((params = pw_redis_params_new(conf, why_r)) == NULL)
		return NULL;
	r = pw_xcalloc(1, sizeof(*r));
	r->params = params;
	return r;
}

void
pw_redis_free(struct pw_redis **rp)
{
	struct pw_redis *r = *rp;

	if (r == NULL)
		return;
	*rp = NULL;
	if (r->ctx != NULL)
		redisFree(r->ctx);
	pw_redis_params_free(&r->params);
	free(r);
}

/*
 * Send a set-up command on a fresh context.  0 when it answered anything
 * but an error, -1 with *why_r and *detail_r set (the caller drops the
 * context).
 */
static int
pw_redis_setup(struct pw_redis *r, int argc, const char **argv, bool auth,
    const char *fail_why, const char **why_r, const char **detail_r)
{
	redisReply *reply;
	int saved;

	errno = 0;
	reply = redisCommandArgv(r->ctx, argc, argv, NULL);
	saved = errno;
	if (reply == NULL) {
		*why_r = pw_redis_ctx_why(r->ctx, saved);
		*detail_r = r->ctx->errstr;
		return -1;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		/* Only the error's kind: never the text, never argv. */
		if ((*why_r = pw_redis_setup_error(auth,
		    pw_redis_reply_error_kind(reply), detail_r)) == NULL)
			*why_r = fail_why;
		freeReplyObject(reply);
		return -1;
	}
	freeReplyObject(reply);
	return 0;
}

int
pw_redis_connect(struct pw_redis *r, const char **why_r)
{
	const struct pw_redis_params *p = r->params;
	const struct pw_redis_endpoint *ep = &p->endpoint;
	const char *argv[3], *detail = NULL;
	char db[16];
	redisContext *c;

	if (r->ctx != NULL)
		return 0;
	if (pw_clock_ms() < r->next_attempt_ms) {
		*why_r = "redis: in reconnect backoff";
		return -1;
	}
	if (ep->is_unix)
		c = redisConnectUnixWithTimeout(ep->path,
		    pw_redis_tv(p->connect_timeout_ms));
	else
		c = redisConnectWithTimeout(ep->host, ep->port,
		    pw_redis_tv(p->connect_timeout_ms));
	r->ctx = c;
	r->proven = false;
	if (c == NULL || c->err != 0) {
		*why_r = "redis: cannot connect";
		pw_redis_drop(r, *why_r, c != NULL ? c->errstr : NULL);
		return -1;
	}
	if (redisSetTimeout(c, pw_redis_tv(p->command_timeout_ms)) !=
	    REDIS_OK) {
		*why_r = "redis: cannot set timeout";
		pw_redis_drop(r, *why_r, c->errstr);
		return -1;
	}
	if (p->password != NULL) {
		argv[0] = "AUTH";
		if (p->username != NULL) {
			argv[1] = p->username;
			argv[2] = p->password;
		} else {
			argv[1] = p->password;
		}
		if (pw_redis_setup(r, p->username != NULL ? 3 : 2, argv, true,
		    "redis: authentication failed", why_r, &detail) < 0)
			goto fail;
	}
	if (p->database != 0) {
		snprintf(db, sizeof(db), "%d", p->database);
		argv[0] = "SELECT";
		argv[1] = db;
		if (pw_redis_setup(r, 2, argv, false,
		    "redis: cannot select database",
		    why_r, &detail) < 0)
			goto fail;
	}
	/* Set-up replies prove the server answers. */
	if (p->password != NULL || p->database != 0)
		pw_redis_proven(r);
	return 0;
fail:
	/* A server that refuses our credentials is a failed attempt. */
	pw_redis_drop(r, *why_r, detail);
	return -1;
}

void
pw_redis_disconnect(struct pw_redis *r)
{
	if (r->ctx != NULL) {
		redisFree(r->ctx);
		r->ctx = NULL;
	}
	r->proven = false;
}

bool
pw_redis_is_connected(const struct pw_redis *r)
{
	return r->ctx != NULL;
}

const char *
pw_redis_key_prefix(const struct pw_redis *r)
{
	return r->params->key_prefix;
}

redisReply *
pw_redis_command_argv(struct pw_redis *r, int argc, const char **argv,
    const size_t *argvlen, const char **why_r)
{
	redisReply *reply;
	int saved;

	if (argc < 1) {
		*why_r = "redis: empty command";
		return NULL;
	}
	if (pw_redis_connect(r, why_r) < 0)
		return NULL;
	errno = 0;
	reply = redisCommandArgv(r->ctx, argc, argv, argvlen);
	saved = errno;
	if (reply == NULL) {
		*why_r = pw_redis_ctx_why(r->ctx, saved);
		pw_redis_drop(r, *why_r, r->ctx->errstr);
		return NULL;
	}
	pw_redis_proven(r);
	return reply;
}

int
pw_redis_pipeline(struct pw_redis *r, size_t n,
    const struct pw_redis_cmd *cmds, redisReply **replies,
    const char **why_r)
{
	void *rep;
	size_t i, k;
	int saved;

	for (i = 0; i < n; i++) {
		replies[i] = NULL;
		if (cmds[i].argc < 1) {
			*why_r = "redis: empty command";
			return -1;
		}
	}
	if (pw_redis_connect(r, why_r) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (redisAppendCommandArgv(r->ctx, cmds[i].argc, cmds[i].argv,
		    cmds[i].argvlen) != REDIS_OK) {
			/* Part of a command may be in the buffer: drop it. */
			*why_r = pw_redis_ctx_why(r->ctx, errno);
			pw_redis_drop(r, *why_r, r->ctx->errstr);
			return -1;
		}
	for (i = 0; i < n; i++) {
		errno = 0;
		rep = NULL;
		if (redisGetReply(r->ctx, &rep) != REDIS_OK || rep == NULL) {
			saved = errno;
			*why_r = pw_redis_ctx_why(r->ctx, saved);
			pw_redis_drop(r, *why_r, r->ctx != NULL ?
			    r->ctx->errstr : "");
			for (k = 0; k < i; k++) {
				freeReplyObject(replies[k]);
				replies[k] = NULL;
			}
			return -1;
		}
		replies[i] = rep;
	}
	pw_redis_proven(r);
	return 0;
}

redisReply *
pw_redis_command(struct pw_redis *r, const char **why_r, ...)
{
	const char *argv[PW_REDIS_VARARGS_MAX];
	const char *s;
	va_list ap;
	int argc = 0;

	va_start(ap, why_r);
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (argc == PW_REDIS_VARARGS_MAX) {
			va_end(ap);
			*why_r = "redis: too many arguments";
			return NULL;
		}
		argv[argc++] = s;
	}
	va_end(ap);
	return pw_redis_command_argv(r, argc, argv, NULL, why_r);
}

redisReply *
pw_redis_evalsha(struct pw_redis *r, const struct pw_redis_script *script,
    int nkeys, int argc, const char **argv, const size_t *argvlen,
    const char **why_r)
{
	struct pw_redis_evalsha_argv e;
	redisReply *reply;

	if (pw_redis_evalsha_argv_make(&e, script, nkeys, argc, argv, argvlen,
	    why_r) < 0)
		return NULL;
	reply = pw_redis_command_argv(r, e.ac, e.av, e.avlen, why_r);
	if (reply != NULL &&
	    pw_redis_reply_error_kind(reply) == PW_REDIS_ERR_NOSCRIPT) {
		/*
		 * NOSCRIPT means it did not run, so sending it again is safe.
		 * EVAL runs and caches it in one round trip, with no window
		 * for another SCRIPT FLUSH as SCRIPT LOAD + EVALSHA has.
		 */
		freeReplyObject(reply);
		pw_log_debug("redis %s: script %s not cached, sending it",
		    r->params->server, script->name);
		e.av[0] = "EVAL";
		e.avlen[0] = 4;
		e.av[1] = script->body;
		e.avlen[1] = strlen(script->body);
		reply = pw_redis_command_argv(r, e.ac, e.av, e.avlen, why_r);
	}
	pw_redis_evalsha_argv_free(&e);
	return reply;
}
