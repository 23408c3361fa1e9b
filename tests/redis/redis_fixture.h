/*
 * redis_fixture.h -- a private redis-server for tests.
 *
 * Each fixture owns a temporary directory holding the unix socket and the
 * server's log, and optionally a TCP port on 127.0.0.1.  The server is a
 * child process (fork/exec of redis-server, or $PW_REDIS_SERVER) that is
 * SIGKILLed by pid and reaped at stop; it also gets SIGKILL if the test
 * process dies first (PR_SET_PDEATHSIG).  Readiness is polled (connect +
 * PING) against a deadline, never a fixed sleep.
 *
 * Also: a throw-away admin connection for checking what the code under
 * test did, a postwarden.conf built from text, and capture of stderr
 * (where lib/log.c writes before pw_log_open) to check log lines.
 *
 * Single-threaded test programs only.
 */
#ifndef PW_REDIS_FIXTURE_H
#define PW_REDIS_FIXTURE_H

#include <stdbool.h>
#include <sys/types.h>

#include <hiredis/hiredis.h>

#include "conf.h"

#define PW_REDIS_FIXTURE_ARGS	16

struct pw_redis_fixture {
	pid_t	 pid;			/* 0 when not running */
	char	 dir[128];		/* private temp directory */
	char	 sock[160];		/* <dir>/redis.sock */
	char	 log[160];		/* <dir>/redis.log */
	int	 port;			/* 127.0.0.1 port, 0: none */
	char	 unix_endpoint[200];	/* "unix:<sock>" */
	char	 inet_endpoint[64];	/* "inet:127.0.0.1:<port>" */
	char	*args[PW_REDIS_FIXTURE_ARGS]; /* extra server arguments */
	int	 nargs;
	char	*admin_user;		/* for the admin connection */
	char	*admin_password;
};

/*
 * Make the directory and choose the paths (and a free TCP port when tcp)
 * without starting anything; extra is NULL or a NULL-terminated list of
 * additional redis-server arguments.  0, or -1 with a message on stderr.
 */
int	pw_redis_fixture_init(struct pw_redis_fixture *f, bool tcp,
	    const char *const *extra);
/* Start the server and wait until it answers (10 s at most); 0 or -1. */
int	pw_redis_fixture_start(struct pw_redis_fixture *f);
/* SIGKILL the server and reap it; the directory stays.  Idempotent. */
void	pw_redis_fixture_kill(struct pw_redis_fixture *f);
/* Send a signal (SIGSTOP, SIGCONT) to the running server. */
void	pw_redis_fixture_signal(struct pw_redis_fixture *f, int sig);
/* Kill the server, remove the directory, free; safe on any state. */
void	pw_redis_fixture_stop(struct pw_redis_fixture *f);

/*
 * For cmocka: a new fixture, started (init's tcp and extra), as *state;
 * 0, or -1 with nothing left behind.  The teardown resumes a server a
 * failed test left stopped, stops it and frees the fixture.
 */
int	pw_redis_fixture_setup(void **state, bool tcp,
	    const char *const *extra);
int	pw_redis_fixture_teardown(void **state);

/* Credentials the admin connection uses (copied; NULL user: default). */
void	pw_redis_fixture_set_admin(struct pw_redis_fixture *f,
	    const char *user, const char *password);
/*
 * Run one command on a fresh admin connection (unix socket); the reply
 * to free, or NULL.  Arguments are strings ending with NULL.
 */
redisReply *pw_redis_fixture_cmd(struct pw_redis_fixture *f, ...)
	    __attribute__((sentinel));
/* The same, on database db (SELECT first). */
redisReply *pw_redis_fixture_cmd_db(struct pw_redis_fixture *f, int db,
	    ...) __attribute__((sentinel));

/* A configuration from "redis_server = endpoint" plus more lines. */
struct pw_conf *pw_redis_fixture_conf(const char *endpoint,
	    const char *more);

/* Send stderr to a file from now on. */
void	pw_redis_fixture_capture_start(void);
/* Restore stderr; what was written meanwhile (free it). */
char	*pw_redis_fixture_capture_stop(void);
/* Restore stderr and drop the capture if one is on (for teardowns). */
void	pw_redis_fixture_capture_reset(void);
/* How many times needle occurs in haystack. */
int	pw_redis_fixture_count(const char *haystack, const char *needle);

/*
 * The password the tests give a server that requires one, and a wrong
 * one; neither may appear in a log line or an error text.
 */
#define PW_REDIS_FIXTURE_PASSWORD	"s3cret-Passw0rd-xyzzy"
#define PW_REDIS_FIXTURE_WRONG_PASSWORD	"Wr0ng-pass-plugh"
/* Fail the test if s (NULL is fine) holds either password. */
void	pw_redis_fixture_assert_no_secret(const char *s);

/* Milliseconds on the monotonic clock. */
long long pw_redis_fixture_now_ms(void);
/* Wait ms milliseconds (for polling loops). */
void	pw_redis_fixture_nap(int ms);

#endif
