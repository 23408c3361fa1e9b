/*
 * redis_async.c -- Redis client for a libevent loop (see redis_async.h).
 *
 * Structure: the handle owns at most one hiredis async context (ac) at a
 * time, in state CONNECTING (set-up commands in flight) or READY, and a
 * list of pending commands.  Each pending command is a struct
 * pw_redis_async_cmd, the privdata of exactly one hiredis callback at a
 * time, with its own timeout timer.
 *
 * Exactly-once: a command is "completed" (unlinked, timer freed, cb and
 * ra cleared) right before its user callback is called, and nothing
 * calls a completed command's callback again.  Its memory is freed when
 * hiredis no longer refers to it (in_hiredis false): at completion, or
 * when hiredis finally calls back with the late reply or NULL.
 *
 * Teardown: a context we drop has ac->data cleared before redisAsyncFree,
 * so its connect/disconnect/set-up callbacks recognise it as stale and
 * do nothing; hiredis then calls every pending command back with NULL,
 * which completes it with ra->lost_why.  A context hiredis drops by itself
 * (EOF, I/O error, failed connect) is noticed by whichever of our
 * callbacks sees it first.  hiredis defers redisAsyncFree() made inside
 * one of its callbacks until the callback returns, so dropping from a
 * reply callback is safe.
 *
 * Re-entrancy: user callbacks may submit commands or free the handle.
 * Every entry point from the event loop holds ra->depth; a free inside
 * one only marks the handle dead, and the outermost entry point frees it
 * on the way out, so no function touches freed memory.
 *
 * Security: AUTH's argv holds the password; it goes to hiredis only.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "log.h"
#include "metrics.h"
#include "redis_async.h"
#include "xmalloc.h"

enum pw_redis_async_state {
	PW_REDIS_ASYNC_DOWN,		/* no context; reconnect timer */
	PW_REDIS_ASYNC_CONNECTING,	/* context, set-up in flight */
	PW_REDIS_ASYNC_READY,		/* set-up answered */
};

/* Set-up steps, passed to pw_redis_async_on_setup as privdata. */
enum pw_redis_async_step {
	PW_REDIS_STEP_AUTH = 1,
	PW_REDIS_STEP_SELECT,
	PW_REDIS_STEP_PING,
};

struct pw_redis_async_cmd {
	struct pw_redis_async	*ra;	/* NULL once completed */
	pw_redis_async_cb	*cb;
	void			*arg;
	struct event		*timer;	/* NULL once completed */
	bool			 in_hiredis; /* a hiredis callback to come */
	uint64_t		 replies_before; /* ra->replies when sent */
	double			 started; /* pw_metrics_time() when sent */
	/* In ra->pending until completed. */
	TAILQ_ENTRY(pw_redis_async_cmd) entry;

	/* EVALSHA only: a private copy of the command for the EVAL retry. */
	const struct pw_redis_script *script;
	bool			 retried;
	int			 argc;
	const char		**argv;
	size_t			*argvlen;
	char			*argbuf; /* the bytes argv points to */
};

TAILQ_HEAD(pw_redis_async_cmds, pw_redis_async_cmd);

struct pw_redis_async {
	struct pw_redis_params	*params;
	struct event_base	*base;
	redisAsyncContext	*ac;	/* NULL when DOWN */
	enum pw_redis_async_state state;
	struct pw_redis_async_cmds pending;
	size_t			 npending;
	struct event		*connect_timer;	/* set-up deadline */
	struct event		*reconnect_timer;
	unsigned		 failures; /* consecutive failed attempts */
	bool			 outage; /* loss logged, no recovery yet */
	const char		*lost_why; /* for commands of a dead ac */
	int			 depth;	/* entry points active */
	bool			 closing; /* pw_redis_async_free called */
	uint64_t		 replies; /* replies read, late ones too */
	struct pw_metric_series	*lat_ok, *lat_error, *lat_failed;
	struct pw_metric_series	*outages;
};

static void pw_redis_async_start(struct pw_redis_async *);

static struct timeval
pw_redis_async_tv(int64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

static void
pw_redis_async_enter(struct pw_redis_async *ra)
{
	ra->depth++;
}

/* Leave an entry point; the outermost one frees a closed handle. */
static void
pw_redis_async_leave(struct pw_redis_async *ra)
{
	if (--ra->depth > 0 || !ra->closing)
		return;
	event_free(ra->connect_timer);
	event_free(ra->reconnect_timer);
	pw_redis_params_free(&ra->params);
	free(ra);
}

static void
pw_redis_async_cmd_free(struct pw_redis_async_cmd *cmd)
{
	free(cmd->argv);
	free(cmd->argvlen);
	free(cmd->argbuf);
	free(cmd);
}

/*
 * Complete a pending command and call its callback (exactly once).  The
 * caller holds ra->depth.  cmd must not be used afterwards.
 */
static void
pw_redis_async_complete(struct pw_redis_async_cmd *cmd,
    const redisReply *reply, const char *why)
{
	struct pw_redis_async *ra = cmd->ra;
	pw_redis_async_cb *cb = cmd->cb;
	void *arg = cmd->arg;

	TAILQ_REMOVE(&ra->pending, cmd, entry);
	ra->npending--;
	if (cmd->timer != NULL) {
		event_free(cmd->timer);
		cmd->timer = NULL;
	}
	cmd->ra = NULL;
	cmd->cb = NULL;
	if (ra->lat_ok != NULL)
		pw_metric_observe(reply == NULL ? ra->lat_failed :
		    reply->type == REDIS_REPLY_ERROR ? ra->lat_error :
		    ra->lat_ok, pw_metrics_time() - cmd->started);
	if (!cmd->in_hiredis)
		pw_redis_async_cmd_free(cmd);
	cb(ra, reply, why, arg);
}

/* Log an outage once (and count it). */
static void
pw_redis_async_log_down(struct pw_redis_async *ra, const char *why,
    const char *detail)
{
	if (!ra->outage)
		pw_metric_inc(ra->outages);
	pw_redis_log_down(&ra->outage, ra->params, why, detail);
}

/*
 * No connection now: count a failed attempt unless a ready connection
 * was lost, and set the reconnect timer.
 */
static void
pw_redis_async_schedule(struct pw_redis_async *ra, bool was_ready)
{
	struct timeval tv;

	ra->state = PW_REDIS_ASYNC_DOWN;
	evtimer_del(ra->connect_timer);
	if (was_ready)
		ra->failures = 0;
	else
		ra->failures++;
	if (ra->closing)
		return;
	tv = pw_redis_async_tv(pw_redis_backoff_ms(ra->params, ra->failures));
	evtimer_add(ra->reconnect_timer, &tv);
}

/*
 * The context ac is done for.  Nothing if it is not our current one
 * (stale, or already handled).  we_free: we must free it (hiredis is
 * not already doing so).  Pending commands fail with why.
 */
static void
pw_redis_async_down(struct pw_redis_async *ra, redisAsyncContext *ac,
    const char *why, const char *detail, bool we_free)
{
	bool was_ready;

	if (ac == NULL || ac->data != ra || ra->ac != ac)
		return;
	was_ready = ra->state == PW_REDIS_ASYNC_READY;
	ac->data = NULL;
	ra->ac = NULL;
	ra->lost_why = why;
	pw_redis_async_log_down(ra, why, detail);
	pw_redis_async_schedule(ra, was_ready);
	/* Calls back every pending command (now, or after this callback). */
	if (we_free)
		redisAsyncFree(ac);
}

/* hiredis: a command's reply, or NULL when its context goes away. */
static void
pw_redis_async_on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pw_redis_async_cmd *cmd = privdata;
	struct pw_redis_async *ra = cmd->ra, *live = ac->data;
	redisReply *reply = r;

	cmd->in_hiredis = false;
	/* The connection moves: a command that times out is only slow. */
	if (reply != NULL && live != NULL)
		live->replies++;
	if (ra == NULL) {
		/* Completed already (timeout, free): drop the late reply. */
		pw_redis_async_cmd_free(cmd);
		return;
	}
	pw_redis_async_enter(ra);
	if (reply == NULL) {
		pw_redis_async_down(ra, ac, "redis: connection lost",
		    ac->c.errstr, false);
		pw_redis_async_complete(cmd, NULL, ra->lost_why != NULL ?
		    ra->lost_why : "redis: connection lost");
	} else if (cmd->script != NULL && !cmd->retried &&
	    pw_redis_reply_error_kind(reply) == PW_REDIS_ERR_NOSCRIPT) {
		/* It did not run: send the body; EVAL also caches it. */
		cmd->retried = true;
		cmd->argv[0] = "EVAL";
		cmd->argvlen[0] = 4;
		cmd->argv[1] = cmd->script->body;
		cmd->argvlen[1] = strlen(cmd->script->body);
		pw_log_debug("redis %s: script %s not cached, sending it",
		    ra->params->server, cmd->script->name);
		if (ac->data == ra && redisAsyncCommandArgv(ac,
		    pw_redis_async_on_reply, cmd, cmd->argc, cmd->argv,
		    cmd->argvlen) == REDIS_OK)
			cmd->in_hiredis = true;
		else
			pw_redis_async_complete(cmd, NULL,
			    "redis: connection lost");
	} else {
		pw_redis_async_complete(cmd, reply, NULL);
	}
	pw_redis_async_leave(ra);
}

/* hiredis: connect(2) finished; only failures matter (PING says ready). */
static void
pw_redis_async_on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct pw_redis_async *ra = ac->data;

	if (status == REDIS_OK || ra == NULL)
		return;
	pw_redis_async_enter(ra);
	/* hiredis frees ac after this returns. */
	pw_redis_async_down(ra, ac, "redis: cannot connect", ac->c.errstr,
	    false);
	pw_redis_async_leave(ra);
}

/* hiredis: a connected context went away (being freed by hiredis). */
static void
pw_redis_async_on_disconnect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct pw_redis_async *ra = ac->data;

	if (ra == NULL)
		return;
	pw_redis_async_enter(ra);
	pw_redis_async_down(ra, ac, "redis: connection lost",
	    status == REDIS_OK ? "closed" : ac->c.errstr, false);
	pw_redis_async_leave(ra);
}

/* hiredis: reply to AUTH, SELECT or the final PING of a set-up. */
static void
pw_redis_async_on_setup(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pw_redis_async *ra = ac->data;
	redisReply *reply = r;
	enum pw_redis_async_step step = (enum pw_redis_async_step)
	    (intptr_t)privdata;
	const char *why, *detail;

	if (ra == NULL)
		return;		/* stale context */
	pw_redis_async_enter(ra);
	if (reply == NULL) {
		pw_redis_async_down(ra, ac, "redis: connection lost",
		    ac->c.errstr, false);
	} else if (reply->type == REDIS_REPLY_ERROR) {
		/* Only the error's kind: never its text, never argv. */
		if ((why = pw_redis_setup_error(step == PW_REDIS_STEP_AUTH,
		    pw_redis_reply_error_kind(reply), &detail)) == NULL)
			why = step == PW_REDIS_STEP_SELECT ?
			    "redis: cannot select database" :
			    "redis: set-up failed";
		pw_redis_async_down(ra, ac, why, detail, true);
	} else if (step == PW_REDIS_STEP_PING && ra->ac == ac) {
		ra->state = PW_REDIS_ASYNC_READY;
		ra->failures = 0;
		evtimer_del(ra->connect_timer);
		pw_redis_log_up(&ra->outage, ra->params);
	}
	pw_redis_async_leave(ra);
}

/* Timer: set-up did not finish in time. */
static void
pw_redis_async_on_connect_timeout(evutil_socket_t fd, short what,
    void *arg)
{
	struct pw_redis_async *ra = arg;

	pw_redis_async_enter(ra);
	pw_redis_async_down(ra, ra->ac, "redis: connect timeout", NULL, true);
	pw_redis_async_leave(ra);
}

/* Timer: time for a reconnect attempt. */
static void
pw_redis_async_on_reconnect(evutil_socket_t fd, short what, void *arg)
{
	struct pw_redis_async *ra = arg;

	pw_redis_async_enter(ra);
	if (ra->ac == NULL && !ra->closing)
		pw_redis_async_start(ra);
	pw_redis_async_leave(ra);
}

/*
 * Timer: a command was not answered in time.  If no reply at all came
 * since it was sent, the connection is stuck: drop it.  If replies came
 * (to earlier commands), Redis is only slow: this command alone fails,
 * and its reply is dropped when it comes.
 */
static void
pw_redis_async_on_cmd_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pw_redis_async_cmd *cmd = arg;
	struct pw_redis_async *ra = cmd->ra;

	pw_redis_async_enter(ra);
	if (ra->ac != NULL && cmd->in_hiredis &&
	    ra->replies == cmd->replies_before) {
		/* Fails every pending command, this one included. */
		pw_redis_async_down(ra, ra->ac, "redis: timeout", NULL, true);
	} else {
		pw_redis_async_complete(cmd, NULL, "redis: timeout");
	}
	pw_redis_async_leave(ra);
}

/* Send a set-up command; -1 if hiredis refused it. */
static int
pw_redis_async_setup_cmd(struct pw_redis_async *ra,
    enum pw_redis_async_step step, int argc, const char **argv)
{
	return redisAsyncCommandArgv(ra->ac, pw_redis_async_on_setup,
	    (void *)(intptr_t)step, argc, argv, NULL) == REDIS_OK ? 0 : -1;
}

/* Open a context and pipeline AUTH, SELECT, PING. */
static void
pw_redis_async_start(struct pw_redis_async *ra)
{
	const struct pw_redis_params *p = ra->params;
	const struct pw_redis_endpoint *ep = &p->endpoint;
	redisAsyncContext *ac;
	const char *argv[3];
	struct timeval tv;
	char db[16];

	if (ep->is_unix)
		ac = redisAsyncConnectUnix(ep->path);
	else
		ac = redisAsyncConnect(ep->host, ep->port);
	if (ac == NULL || ac->err != 0) {
		pw_redis_async_log_down(ra, "redis: cannot connect",
		    ac != NULL ? ac->c.errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		pw_redis_async_schedule(ra, false);
		return;
	}
	ac->data = ra;
	ra->ac = ac;
	ra->state = PW_REDIS_ASYNC_CONNECTING;
	if (redisLibeventAttach(ac, ra->base) != REDIS_OK) {
		pw_redis_async_down(ra, ac,
		    "redis: cannot attach to event loop", NULL, true);
		return;
	}
	redisAsyncSetConnectCallback(ac, pw_redis_async_on_connect);
	redisAsyncSetDisconnectCallback(ac, pw_redis_async_on_disconnect);

	if (p->password != NULL) {
		argv[0] = "AUTH";
		argv[1] = p->username != NULL ? p->username : p->password;
		argv[2] = p->password;
		if (pw_redis_async_setup_cmd(ra, PW_REDIS_STEP_AUTH,
		    p->username != NULL ? 3 : 2, argv) < 0)
			goto fail;
	}
	if (p->database != 0) {
		snprintf(db, sizeof(db), "%d", p->database);
		argv[0] = "SELECT";
		argv[1] = db;
		if (pw_redis_async_setup_cmd(ra, PW_REDIS_STEP_SELECT, 2,
		    argv) < 0)
			goto fail;
	}
	argv[0] = "PING";
	if (pw_redis_async_setup_cmd(ra, PW_REDIS_STEP_PING, 1, argv) < 0)
		goto fail;
	tv = pw_redis_async_tv(p->connect_timeout_ms);
	evtimer_add(ra->connect_timer, &tv);
	return;
fail:
	pw_redis_async_down(ra, ac, "redis: cannot send set-up", NULL, true);
}

struct pw_redis_async *
pw_redis_async_new(const struct pw_conf *conf, struct event_base *base,
    const char **why_r)
{
	struct pw_redis_async *ra;
	struct pw_redis_params *params;

	if ((params = pw_redis_params_new(conf, why_r)) == NULL)
		return NULL;
	ra = pw_xcalloc(1, sizeof(*ra));
	ra->params = params;
	ra->base = base;
	TAILQ_INIT(&ra->pending);
	ra->connect_timer = evtimer_new(base,
	    pw_redis_async_on_connect_timeout, ra);
	ra->reconnect_timer = evtimer_new(base, pw_redis_async_on_reconnect,
	    ra);
	if (ra->connect_timer == NULL || ra->reconnect_timer == NULL)
		pw_log_fatal("redis: cannot create timers");
	pw_redis_async_start(ra);
	return ra;
}

void
pw_redis_async_free(struct pw_redis_async **rap)
{
	struct pw_redis_async *ra = *rap;
	struct pw_redis_async_cmd *cmd;
	redisAsyncContext *ac;

	if (ra == NULL)
		return;
	*rap = NULL;
	if (ra->closing)
		return;
	pw_redis_async_enter(ra);
	ra->closing = true;
	ra->lost_why = "redis: closed";
	evtimer_del(ra->reconnect_timer);
	evtimer_del(ra->connect_timer);
	if ((ac = ra->ac) != NULL) {
		ac->data = NULL;
		ra->ac = NULL;
		ra->state = PW_REDIS_ASYNC_DOWN;
		redisAsyncFree(ac);
	}
	/* Left when hiredis deferred the free (we are in its callback). */
	while ((cmd = TAILQ_FIRST(&ra->pending)) != NULL)
		pw_redis_async_complete(cmd, NULL, "redis: closed");
	pw_redis_async_leave(ra);
}

/* Queue a command; script != NULL: keep a copy for the EVAL retry. */
static int
pw_redis_async_submit(struct pw_redis_async *ra,
    const struct pw_redis_script *script, int argc, const char **argv,
    const size_t *argvlen, pw_redis_async_cb *cb, void *arg,
    const char **why_r)
{
	struct pw_redis_async_cmd *cmd;
	struct timeval tv;
	size_t total = 0;
	char *p;
	int i;

	if (ra->closing) {
		*why_r = "redis: closed";
		return -1;
	}
	if (ra->ac == NULL) {
		*why_r = "redis: not connected";
		return -1;
	}
	if (argc < 1 || cb == NULL) {
		*why_r = "redis: empty command";
		return -1;
	}
	cmd = pw_xcalloc(1, sizeof(*cmd));
	cmd->ra = ra;
	cmd->cb = cb;
	cmd->arg = arg;
	if (script != NULL) {
		/* argv points into script and the caller's argv: copy both. */
		cmd->script = script;
		cmd->argc = argc;
		cmd->argv = pw_xcalloc((size_t)argc, sizeof(*cmd->argv));
		cmd->argvlen = pw_xcalloc((size_t)argc, sizeof(*cmd->argvlen));
		for (i = 0; i < argc; i++) {
			cmd->argvlen[i] = argvlen != NULL ? argvlen[i] :
			    strlen(argv[i]);
			total += cmd->argvlen[i];
		}
		cmd->argbuf = p = pw_xmalloc(total);
		for (i = 0; i < argc; i++) {
			memcpy(p, argv[i], cmd->argvlen[i]);
			cmd->argv[i] = p;
			p += cmd->argvlen[i];
		}
		argv = cmd->argv;
		argvlen = cmd->argvlen;
	}
	if (redisAsyncCommandArgv(ra->ac, pw_redis_async_on_reply, cmd, argc,
	    argv, argvlen) != REDIS_OK) {
		pw_redis_async_cmd_free(cmd);
		*why_r = "redis: connection lost";
		return -1;
	}
	cmd->in_hiredis = true;
	cmd->replies_before = ra->replies;
	cmd->started = ra->lat_ok != NULL ? pw_metrics_time() : 0;
	cmd->timer = evtimer_new(ra->base, pw_redis_async_on_cmd_timeout, cmd);
	if (cmd->timer == NULL)
		pw_log_fatal("redis: cannot create timer");
	tv = pw_redis_async_tv(ra->params->command_timeout_ms);
	evtimer_add(cmd->timer, &tv);
	TAILQ_INSERT_TAIL(&ra->pending, cmd, entry);
	ra->npending++;
	return 0;
}

int
pw_redis_async_command_argv(struct pw_redis_async *ra, int argc,
    const char **argv, const size_t *argvlen, pw_redis_async_cb *cb,
    void *arg, const char **why_r)
{
	return pw_redis_async_submit(ra, NULL, argc, argv, argvlen, cb, arg,
	    why_r);
}

int
pw_redis_async_evalsha(struct pw_redis_async *ra,
    const struct pw_redis_script *script, int nkeys, int argc,
    const char **argv, const size_t *argvlen, pw_redis_async_cb *cb,
    void *arg, const char **why_r)
{
	struct pw_redis_evalsha_argv e;
	int rc;

	if (pw_redis_evalsha_argv_make(&e, script, nkeys, argc, argv, argvlen,
	    why_r) < 0)
		return -1;
	rc = pw_redis_async_submit(ra, script, e.ac, e.av, e.avlen, cb, arg,
	    why_r);
	pw_redis_evalsha_argv_free(&e);
	return rc;
}

bool
pw_redis_async_is_ready(const struct pw_redis_async *ra)
{
	return ra->state == PW_REDIS_ASYNC_READY;
}

size_t
pw_redis_async_pending(const struct pw_redis_async *ra)
{
	return ra->npending;
}

const char *
pw_redis_async_key_prefix(const struct pw_redis_async *ra)
{
	return ra->params->key_prefix;
}

void
pw_redis_async_set_metrics(struct pw_redis_async *ra,
    struct pw_metric *latency, struct pw_metric_series *outages)
{
	ra->lat_ok = pw_metric_series(latency, "ok");
	ra->lat_error = pw_metric_series(latency, "error");
	ra->lat_failed = pw_metric_series(latency, "failed");
	ra->outages = outages;
}
