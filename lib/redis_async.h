/*
 * redis_async.h -- Redis client for one libevent event loop
 * (postwarden-policyd): hiredis async API, libevent adapter.
 *
 * Exports: struct pw_redis_async (opaque), pw_redis_async_*; shared
 * helpers (scripts, error kinds, backoff) are in redis_common.h.
 *
 * Threads: a handle belongs to the thread running its event_base; not
 * thread-safe.
 *
 * Connection: pw_redis_async_new() starts connecting at once.  AUTH (when
 * redis_password is set), SELECT (when redis_database is not 0) and a
 * PING are pipelined; the connection is "ready" when the PING answers,
 * and must get there within redis_connect_timeout.  Commands issued while
 * a connection is being set up are queued behind the set-up commands.
 * Commands issued while there is no connection FAIL FAST: the submit
 * function returns -1 with a reason and the callback is never called.
 * After a failed attempt, the next one is made by a timer after
 * pw_redis_backoff_ms(failures); after losing a ready connection, at
 * once.  An outage is logged once (warning), its end once (notice).
 *
 * Callbacks: a submit function that returns 0 guarantees exactly one
 * call of cb, always from the event loop (never from inside the submit
 * call) or from pw_redis_async_free().  reply is the reply (error replies
 * included; see pw_redis_reply_error_kind) and why NULL, or reply NULL
 * and why a static reason: "redis: timeout", "redis: connection lost",
 * "redis: authentication failed", "redis: closed", ...  The reply belongs
 * to hiredis and is valid only during the callback: copy what you keep,
 * never free it.  A callback may submit commands and may free the handle.
 *
 * Timeouts: each command must be answered within redis_command_timeout
 * (libevent timer; hiredis 0.14 async has none).  When one is not and no
 * reply at all has come since it was sent, the connection is stuck and
 * is dropped: that command and every other one pending on it fail with
 * "redis: timeout", each once.  When replies to earlier commands did
 * come meanwhile, Redis is only slow: that command alone fails, the
 * connection stays, and its late reply is read and dropped (replies stay
 * in order).  No late reply reaches a caller.  A timeout is an unknown
 * outcome: the command may have run.
 *
 * Freeing: pw_redis_async_free() with commands pending calls each of
 * their callbacks once with "redis: closed" before it returns; the
 * event_base must outlive the handle.
 *
 * Signals: the process must ignore SIGPIPE (hiredis 0.14 uses write(2)).
 *
 * Security: the password is never logged nor put in a reason string.
 */
#ifndef PW_REDIS_ASYNC_H
#define PW_REDIS_ASYNC_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "conf.h"
#include "redis_common.h"

struct pw_redis_async;

/* See "Callbacks" above. */
typedef void pw_redis_async_cb(struct pw_redis_async *ra,
    const redisReply *reply, const char *why, void *arg);

/*
 * A handle for conf's redis_* settings (copied) on base; starts
 * connecting.  NULL and a static reason if redis_server is bad.
 */
struct pw_redis_async *pw_redis_async_new(const struct pw_conf *conf,
	    struct event_base *base, const char **why_r);
/* Fail pending commands ("redis: closed"), disconnect, free, NULL *ra. */
void	pw_redis_async_free(struct pw_redis_async **ra);

/*
 * Queue a command (argv with lengths; argvlen NULL means strlen; the
 * arguments are copied).  0: cb will be called exactly once.  -1 and a
 * static reason: not sent, cb will not be called.
 */
int	pw_redis_async_command_argv(struct pw_redis_async *ra, int argc,
	    const char **argv, const size_t *argvlen, pw_redis_async_cb *cb,
	    void *arg, const char **why_r);

/*
 * Run an initialised script (which must outlive the command): EVALSHA
 * with nkeys keys then arguments from argv; on a NOSCRIPT error reply it
 * is sent once more with EVAL, within the same timeout.  Returns as
 * pw_redis_async_command_argv.
 */
int	pw_redis_async_evalsha(struct pw_redis_async *ra,
	    const struct pw_redis_script *script, int nkeys, int argc,
	    const char **argv, const size_t *argvlen, pw_redis_async_cb *cb,
	    void *arg, const char **why_r);

/* Whether the connection is set up and answering. */
bool	pw_redis_async_is_ready(const struct pw_redis_async *ra);
/* Number of commands whose callback has not been called yet. */
size_t	pw_redis_async_pending(const struct pw_redis_async *ra);
/* The configured key prefix ("pw:"). */
const char *pw_redis_async_key_prefix(const struct pw_redis_async *ra);

struct pw_metric;
struct pw_metric_series;
/*
 * Metrics (lib/metrics.h), NULL for none: latency, a histogram family
 * with the one label "result", observes every command from submit to
 * callback in seconds ("ok": a reply, "error": an error reply, "failed":
 * none: timeout, connection lost, closed); outages, a counter, counts
 * each outage once, when it is logged.
 */
void	pw_redis_async_set_metrics(struct pw_redis_async *ra,
	    struct pw_metric *latency, struct pw_metric_series *outages);

#endif
