/*
 * redis_common.h -- what the synchronous (redis.h) and the event-loop
 * (redis_async.h) Redis clients share: the connection parameters taken
 * from postwarden.conf, the endpoint syntax, the reconnect backoff, the
 * classification of error replies, and Lua script digests.
 *
 * Exports pw_redis_* names: this file is the common half of the "redis"
 * module, so its names carry the module prefix, not the file stem.
 *
 * Threads: everything here is reentrant; a struct pw_redis_params is
 * immutable once made and a struct pw_redis_script once initialised, so
 * both may be shared by threads.
 *
 * Security: params->password is a secret.  It is copied once, handed
 * only to AUTH, never logged and never put in an error string, and it is
 * wiped (OPENSSL_cleanse) when the params are freed.
 */
#ifndef PW_REDIS_COMMON_H
#define PW_REDIS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "conf.h"

/* sockaddr_un.sun_path is 108 bytes on Linux. */
#define PW_REDIS_PATH_MAX	108
#define PW_REDIS_HOST_MAX	255
#define PW_REDIS_SHA_HEX	40

/* Where Redis listens: "unix:/path" or "inet:host:port" ("[v6]:port"). */
struct pw_redis_endpoint {
	bool	 is_unix;
	char	 path[PW_REDIS_PATH_MAX];	/* when is_unix */
	char	 host[PW_REDIS_HOST_MAX + 1];	/* else: no brackets */
	int	 port;				/* else: 1..65535 */
};

/* A copy of the redis_* settings; see pw_redis_params_new(). */
struct pw_redis_params {
	struct pw_redis_endpoint endpoint;
	char	*server;		/* as configured, for log lines */
	char	*username;		/* NULL when not set */
	char	*password;		/* secret; NULL when not set */
	int	 database;
	int	 connect_timeout_ms;
	int	 command_timeout_ms;
	int	 reconnect_delay_ms;
	int	 reconnect_max_delay_ms;
	char	*key_prefix;
};

/* What kind of error reply Redis sent (the first word of its text). */
enum pw_redis_error_kind {
	PW_REDIS_ERR_NONE = 0,	/* not an error reply (or no reply) */
	PW_REDIS_ERR_OTHER,	/* ERR, WRONGTYPE, ...: a wrong command */
	PW_REDIS_ERR_NOSCRIPT,	/* EVALSHA of a script not cached */
	PW_REDIS_ERR_LOADING,	/* loading its data set: retry later */
	PW_REDIS_ERR_BUSY,	/* a script runs too long: retry later */
	PW_REDIS_ERR_READONLY,	/* a replica: misconfiguration */
	PW_REDIS_ERR_OOM,	/* maxmemory reached: writes refused */
	PW_REDIS_ERR_NOAUTH,	/* NOAUTH or WRONGPASS */
	PW_REDIS_ERR_NOPERM,	/* ACL forbids this command or key */
};

/*
 * A Lua script known by name; sha is filled in by pw_redis_script_init().
 * Usually a static object: { "quota", "return ...", "" }.
 */
struct pw_redis_script {
	const char	*name;		/* for log lines */
	const char	*body;		/* Lua source, NUL-terminated */
	char		 sha[PW_REDIS_SHA_HEX + 1]; /* lower-case hex */
};

/*
 * Parse "unix:/abs/path" or "inet:host:port" (host may be "[v6addr]").
 * 0 and *ep filled in, or -1 and a static reason.
 */
int	pw_redis_endpoint_parse(const char *s, struct pw_redis_endpoint *ep,
	    const char **why_r);

/*
 * Copy the redis_* settings of conf (which the caller may then release).
 * NULL and a static reason when redis_server does not parse.
 */
struct pw_redis_params *pw_redis_params_new(const struct pw_conf *conf,
	    const char **why_r);
/* Wipe the password, free, and set *params to NULL; NULL is fine. */
void	pw_redis_params_free(struct pw_redis_params **params);

/*
 * Delay before reconnect attempt number failures + 1, after failures
 * consecutive failed attempts: 0 for 0 failures, then reconnect_delay,
 * doubling each time, never more than reconnect_max_delay.
 */
int64_t	pw_redis_backoff_ms(const struct pw_redis_params *params,
	    unsigned failures);

/* Classify a reply: PW_REDIS_ERR_NONE unless it is an error reply. */
enum pw_redis_error_kind pw_redis_reply_error_kind(const redisReply *reply);
/* A short static name for a kind ("NOSCRIPT", "BUSY", ...). */
const char *pw_redis_error_kind_name(enum pw_redis_error_kind kind);
/*
 * A set-up command (AUTH when auth, else SELECT or PING) got an error of
 * this kind: the reason to log ("redis: authentication failed"), or NULL
 * to keep the caller's; *detail_r is what to add, never the server's
 * text.
 */
const char *pw_redis_setup_error(bool auth, enum pw_redis_error_kind kind,
	    const char **detail_r);

/*
 * Outage logging shared by both clients: the first failure of an outage
 * is logged once (warning: "redis SERVER: why: detail"), and its end once
 * (notice).  *outage remembers which; it belongs to the caller's handle.
 * why is a static reason ("redis: ..."), detail may be NULL; neither may
 * hold a secret.
 */
void	pw_redis_log_down(bool *outage, const struct pw_redis_params *params,
	    const char *why, const char *detail);
void	pw_redis_log_up(bool *outage, const struct pw_redis_params *params);

/* Compute script->sha from script->body.  0, or -1 and a static reason. */
int	pw_redis_script_init(struct pw_redis_script *script,
	    const char **why_r);

/*
 * The command EVALSHA <sha> <nkeys> argv... as both clients send it: ac
 * entries in av and avlen (allocated), the key count in nk.  argvlen may
 * be NULL (NUL-terminated arguments).  A client that gets NOSCRIPT may
 * make it EVAL <body> ... by changing the first two entries.
 */
struct pw_redis_evalsha_argv {
	const char	**av;
	size_t		 *avlen;
	int		  ac;
	char		  nk[16];
};
/* Fill e; 0, or -1 and a static reason (nothing to free then). */
int	pw_redis_evalsha_argv_make(struct pw_redis_evalsha_argv *e,
	    const struct pw_redis_script *script, int nkeys, int argc,
	    const char **argv, const size_t *argvlen, const char **why_r);
void	pw_redis_evalsha_argv_free(struct pw_redis_evalsha_argv *e);

/* Longest Postfix queue id that names a key (long ids are about 16). */
#define PW_REDIS_QUEUE_ID_MAX	31

/*
 * Whether a Postfix queue id may name a key (<prefix>{T}:billed:<id>):
 * 1 to PW_REDIS_QUEUE_ID_MAX letters and digits.  The policy daemon that
 * writes such a key and the milter that reads it must agree.
 */
bool	pw_redis_queue_id_ok(const char *qid);

#endif
