/*
 * redis.h -- synchronous Redis client for the milter threads and the CLI.
 *
 * Exports: struct pw_redis (opaque) and pw_redis_*; the shared helpers
 * (endpoint, backoff, error kinds, scripts) are in redis_common.h.
 *
 * Threads: a struct pw_redis is NOT thread-safe.  Give each thread its
 * own (hiredis contexts cannot be shared).  Different handles may be used
 * by different threads at the same time.
 *
 * Connection: lazy.  The first command (or pw_redis_connect) connects
 * within redis_connect_timeout, sends AUTH (AUTH password, or AUTH user
 * password when redis_username is set), SELECT when redis_database is not
 * 0, and sets redis_command_timeout as the socket timeout (again after
 * every reconnect).  After any I/O error, timeout or protocol error the
 * connection is dropped and the next call reconnects.  Reconnect attempts
 * are rate-limited: after n consecutive failed attempts the next one waits
 * pw_redis_backoff_ms(n) (reconnect_delay doubling up to
 * reconnect_max_delay); until then calls fail at once without touching
 * the network.  Losing a connection that had answered does not wait:
 * the next call tries at once; one that dies before its first reply is a
 * failed attempt.  A lost connection is logged once per outage
 * (warning) and its recovery once (notice); each handle logs for itself.
 *
 * Failures: functions that return a reply return NULL and a static reason
 * in *why_r when no reply could be had: "redis: in reconnect backoff",
 * "redis: cannot connect", "redis: authentication failed", "redis:
 * timeout", "redis: connection lost", ...  A timeout is an unknown
 * outcome: the command may have run.  Error replies (REDIS_REPLY_ERROR)
 * are replies, returned to the caller; classify them with
 * pw_redis_reply_error_kind().  The caller frees every reply returned
 * with freeReplyObject().
 *
 * Signals: hiredis 0.14 writes with write(2), so a peer that went away
 * raises SIGPIPE; the process must ignore SIGPIPE.
 *
 * Security: the password is never logged and never part of a reason
 * string; commands are always sent as argv with lengths.
 */
#ifndef PW_REDIS_H
#define PW_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "conf.h"
#include "redis_common.h"

struct pw_redis;

/*
 * A handle for conf's redis_* settings (copied: conf may be released).
 * Does not connect.  NULL and a static reason if redis_server is bad.
 */
struct pw_redis *pw_redis_new(const struct pw_conf *conf,
	    const char **why_r);
/* Disconnect, free, and set *r to NULL; NULL is fine. */
void	pw_redis_free(struct pw_redis **r);

/*
 * Connect now unless connected (subject to backoff).  0 when connected,
 * -1 and a static reason otherwise.
 */
int	pw_redis_connect(struct pw_redis *r, const char **why_r);
/* Drop the connection, if any; the next call reconnects at once. */
void	pw_redis_disconnect(struct pw_redis *r);
/* Whether a connection is up (as far as we know without asking). */
bool	pw_redis_is_connected(const struct pw_redis *r);
/* The configured key prefix ("pw:"). */
const char *pw_redis_key_prefix(const struct pw_redis *r);

/*
 * Send one command (argv with lengths; argvlen NULL means strlen) and
 * read its reply.  The reply, to be freed by the caller, or NULL and a
 * static reason.
 */
redisReply *pw_redis_command_argv(struct pw_redis *r, int argc,
	    const char **argv, const size_t *argvlen, const char **why_r);
/* The same with NUL-terminated string arguments ending with NULL. */
redisReply *pw_redis_command(struct pw_redis *r, const char **why_r, ...)
	    __attribute__((sentinel));

/* One command of a pipeline: argv with lengths (argvlen NULL: strlen). */
struct pw_redis_cmd {
	int		 argc;
	const char	**argv;
	const size_t	*argvlen;
};

/*
 * Send n commands in one write and read their n replies in order: one
 * round trip.  0 with replies[0..n-1] set (the caller frees each; error
 * replies are replies), or -1 and a static reason with none left (the
 * connection is dropped, as after any failure of a single command).
 */
int	pw_redis_pipeline(struct pw_redis *r, size_t n,
	    const struct pw_redis_cmd *cmds, redisReply **replies,
	    const char **why_r);

/*
 * Run an initialised script: EVALSHA sha nkeys argv...; the first nkeys
 * of argv are keys, the rest arguments.  On a NOSCRIPT error reply the
 * script is sent once with EVAL (which also caches it) in its place.  A
 * reply to free, or NULL and a static reason.
 */
redisReply *pw_redis_evalsha(struct pw_redis *r,
	    const struct pw_redis_script *script, int nkeys, int argc,
	    const char **argv, const size_t *argvlen, const char **why_r);

#endif
