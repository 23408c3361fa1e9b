/*
 * milter_ready.c -- the readiness verdict of postwarden-milter (see
 * milter_ready.h).
 *
 * Exports: milter_ready_new/free/reset/set_listening/check.
 *
 * Redis: the checker keeps an asynchronous connection of its own on the
 * HTTP thread's loop (lib/redis_async.c), made from the current
 * snapshot's redis_* settings, so a probe neither takes a handle mail
 * needs nor blocks the thread (/healthz keeps answering while Redis
 * hangs).  A timer sends a PING every second while the connection is up
 * and no PING is pending; lib/redis_async.c drops a connection whose
 * command is not answered within redis_command_timeout, reconnects with
 * its backoff, and logs an outage once.  "Ready" is that connection
 * being up, as for postwarden-policyd's /readyz (http/http_health.c).
 *
 * Threads: the listening flag is under a mutex (main sets it, the HTTP
 * thread reads it); the rest belongs to the HTTP thread.
 * Security: the reasons name no secret and no path.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "log.h"
#include "milter_ready.h"
#include "redis_async.h"
#include "runtime.h"
#include "xmalloc.h"

#define MILTER_READY_PING_MS	1000

struct milter_ready {
	struct event_base	*base;
	struct event		*timer;		/* PING every second */
	struct pw_redis_async	*redis;		/* NULL: bad redis_server */
	struct pw_runtime	*rt;		/* whose settings it has */
	bool			 ping_pending;
};

static pthread_mutex_t milter_ready_lock = PTHREAD_MUTEX_INITIALIZER;
static bool milter_ready_listening;
static char *milter_ready_unix_path;	/* NULL: inet */

/* pw_redis_async_cb of the PING: it answered, or the connection went. */
static void
milter_ready_pong(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	struct milter_ready *r = arg;

	(void)ra;
	(void)reply;
	(void)why;
	r->ping_pending = false;
}

/* The timer: one PING at a time while the connection is up. */
static void
milter_ready_tick(evutil_socket_t fd, short what, void *arg)
{
	const char *ping[] = { "PING" };
	struct milter_ready *r = arg;
	const char *why;

	(void)fd;
	(void)what;
	if (r->redis == NULL || r->ping_pending ||
	    !pw_redis_async_is_ready(r->redis))
		return;
	if (pw_redis_async_command_argv(r->redis, 1, ping, NULL,
	    milter_ready_pong, r, &why) == 0)
		r->ping_pending = true;
}

/* Whether a and b (either may be NULL) set up the same connection. */
static bool
milter_ready_same(const struct pw_runtime *a, const struct pw_runtime *b)
{
	return a != NULL && b != NULL &&
	    strcmp(a->conf->redis_server, b->conf->redis_server) == 0 &&
	    strcmp(a->conf->redis_username, b->conf->redis_username) == 0 &&
	    strcmp(a->conf->redis_password, b->conf->redis_password) == 0 &&
	    a->conf->redis_database == b->conf->redis_database &&
	    a->conf->redis_connect_timeout_ms ==
	    b->conf->redis_connect_timeout_ms &&
	    a->conf->redis_command_timeout_ms ==
	    b->conf->redis_command_timeout_ms &&
	    a->conf->redis_reconnect_delay_ms ==
	    b->conf->redis_reconnect_delay_ms &&
	    a->conf->redis_reconnect_max_delay_ms ==
	    b->conf->redis_reconnect_max_delay_ms;
}

/*
 * A connection for the current snapshot (none without one), unless the
 * one there has the same settings.
 */
static void
milter_ready_connect(struct milter_ready *r)
{
	struct pw_runtime *rt = pw_runtime_current();
	const char *why;

	if (r->rt != NULL && milter_ready_same(r->rt, rt)) {
		/* Hold the new snapshot, not the old one's keys and caches. */
		pw_runtime_release(&r->rt);
		r->rt = rt;
		return;
	}
	pw_redis_async_free(&r->redis);
	r->ping_pending = false;
	pw_runtime_release(&r->rt);
	r->rt = rt;
	if (rt != NULL && (r->redis = pw_redis_async_new(rt->conf, r->base,
	    &why)) == NULL)
		pw_log_warnx("http: readiness: %s", why);
}

struct milter_ready *
milter_ready_new(struct event_base *base)
{
	struct milter_ready *r = pw_xcalloc(1, sizeof(*r));
	struct timeval tv = { MILTER_READY_PING_MS / 1000,
	    (MILTER_READY_PING_MS % 1000) * 1000 };

	r->base = base;
	r->timer = event_new(base, -1, EV_PERSIST, milter_ready_tick, r);
	if (r->timer == NULL || event_add(r->timer, &tv) < 0)
		pw_log_fatal("http: readiness: cannot set up its timer");
	milter_ready_connect(r);
	return r;
}

void
milter_ready_free(struct milter_ready **rp)
{
	struct milter_ready *r = *rp;

	if (r == NULL)
		return;
	*rp = NULL;
	pw_redis_async_free(&r->redis);	/* the PING's callback runs */
	pw_runtime_release(&r->rt);
	event_free(r->timer);
	free(r);
}

void
milter_ready_reset(struct milter_ready *r)
{
	milter_ready_connect(r);
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
milter_ready_add(char *body, size_t size, const char *line)
{
	size_t len = strlen(body);

	if (len < size)
		(void)snprintf(body + len, size - len, "%s\n", line);
}

/* NULL when the milter socket listens, else why not. */
static const char *
milter_ready_socket(void)
{
	const char *why = NULL;
	struct stat st;

	pthread_mutex_lock(&milter_ready_lock);
	if (!milter_ready_listening)
		why = "milter socket: not listening";
	else if (milter_ready_unix_path != NULL &&
	    (stat(milter_ready_unix_path, &st) < 0 || !S_ISSOCK(st.st_mode)))
		why = "milter socket: gone from its path";
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
		milter_ready_add(body, size, "configuration: not loaded");
	pw_runtime_release(&rt);
	if (r->redis == NULL || !pw_redis_async_is_ready(r->redis))
		milter_ready_add(body, size, "redis: not connected");
	if ((why = milter_ready_socket()) != NULL)
		milter_ready_add(body, size, why);
	if (*body != '\0')
		return 0;
	(void)snprintf(body, size, "ready\n");
	return 1;
}
