/*
 * milter_ready.c -- the readiness verdict of postwarden-milter (see
 * milter_ready.h).
 *
 * Exports: milter_ready_new/free/reset/set_listening/check.
 *
 * Redis: the checker keeps a synchronous handle of its own (lib/redis.h)
 * made from the current snapshot's redis_* settings, so a probe neither
 * takes a handle mail needs nor waits for one; a PING per probe, bounded
 * by the handle's timeouts, within the reconnect backoff of lib/redis.c
 * (a Redis that comes back is seen after at most
 * redis_reconnect_max_delay).  The handle logs an outage once, as every
 * handle does.
 *
 * Threads: the listening flag is under a mutex (main sets it, the HTTP
 * thread reads it); the rest is the checking thread's.
 * Security: the reasons name no secret (lib/redis.h's are static texts).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "milter_ready.h"
#include "redis.h"
#include "runtime.h"
#include "xmalloc.h"

struct milter_ready {
	struct pw_redis	*redis;		/* NULL: make one at the next check */
};

static pthread_mutex_t milter_ready_lock = PTHREAD_MUTEX_INITIALIZER;
static bool milter_ready_listening;
static char *milter_ready_unix_path;	/* NULL: inet */

struct milter_ready *
milter_ready_new(void)
{
	return pw_xcalloc(1, sizeof(struct milter_ready));
}

void
milter_ready_free(struct milter_ready **rp)
{
	if (*rp == NULL)
		return;
	pw_redis_free(&(*rp)->redis);
	free(*rp);
	*rp = NULL;
}

void
milter_ready_reset(struct milter_ready *r)
{
	pw_redis_free(&r->redis);
}

void
milter_ready_set_listening(bool listening, const char *unix_path)
{
	pthread_mutex_lock(&milter_ready_lock);
	milter_ready_listening = listening;
	free(milter_ready_unix_path);
	milter_ready_unix_path = unix_path != NULL ? pw_xstrdup(unix_path) :
	    NULL;
	pthread_mutex_unlock(&milter_ready_lock);
}

/* Append a line to body (truncated to size, always terminated). */
static void
milter_ready_add(char *body, size_t size, const char *what, const char *why)
{
	size_t len = strlen(body);

	if (len < size)
		(void)snprintf(body + len, size - len, "%s: %s\n", what, why);
}

/* NULL when Redis answers a PING, else why not. */
static const char *
milter_ready_redis(struct milter_ready *r, const struct pw_conf *conf)
{
	redisReply *reply;
	const char *why = NULL;

	if (r->redis == NULL && (r->redis = pw_redis_new(conf, &why)) == NULL)
		return why;
	if ((reply = pw_redis_command(r->redis, &why, "PING", NULL)) == NULL)
		return why != NULL ? why : "no answer";
	if (reply->type != REDIS_REPLY_STATUS ||
	    strcmp(reply->str, "PONG") != 0)
		why = "PING refused";
	freeReplyObject(reply);
	return why;
}

/* NULL when the milter socket listens, else why not. */
static const char *
milter_ready_socket(void)
{
	const char *why = NULL;
	struct stat st;

	pthread_mutex_lock(&milter_ready_lock);
	if (!milter_ready_listening)
		why = "not listening";
	else if (milter_ready_unix_path != NULL &&
	    (stat(milter_ready_unix_path, &st) < 0 || !S_ISSOCK(st.st_mode)))
		why = "gone from its path";
	pthread_mutex_unlock(&milter_ready_lock);
	return why;
}

int
milter_ready_check(struct milter_ready *r, char *body, size_t size)
{
	struct pw_runtime *rt = pw_runtime_current();
	const char *why;

	*body = '\0';
	if (rt == NULL || rt->extra == NULL)
		milter_ready_add(body, size, "configuration", "not loaded");
	else if ((why = milter_ready_redis(r, rt->conf)) != NULL) {
		/* "redis: cannot connect" and the like: keep one "redis:". */
		milter_ready_add(body, size, "redis",
		    strncmp(why, "redis: ", 7) == 0 ? why + 7 : why);
	}
	pw_runtime_release(&rt);
	if ((why = milter_ready_socket()) != NULL)
		milter_ready_add(body, size, "milter socket", why);
	if (*body != '\0')
		return 0;
	(void)snprintf(body, size, "ready\n");
	return 1;
}
