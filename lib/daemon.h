/*
 * daemon.h -- what turns a program into a well-behaved daemon.
 *
 * The order every postwarden daemon follows:
 *   1. load and check the configuration (as root, so key files can be read)
 *   2. pw_daemon_listen() each socket, or pw_daemon_unix_prepare() for a
 *      socket some library creates, then pw_daemon_socket_own()
 *   3. pw_daemon_detach() unless in foreground (the parent waits until
 *      the child calls pw_daemon_ready(), and exits with its status)
 *   4. pw_daemon_pidfile() -- locked for the life of the process
 *   5. pw_daemon_drop_privileges()
 *   6. pw_daemon_raise_nofile(), for a daemon with a socket per client
 *   7. pw_daemon_ready()
 *
 * Errors come back as -1 with a message in err; nothing here exits.
 */
#ifndef PW_DAEMON_H
#define PW_DAEMON_H

#include <stdbool.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#define PW_DAEMON_ERR_MAX	512

struct pw_daemon_ids {
	uid_t	uid;		/* the user to run as */
	gid_t	gid;		/* its group */
	gid_t	socket_gid;	/* group owning sockets, (gid_t)-1 to keep */
	bool	change;		/* false when not started as root */
};

/*
 * Resolve user, group (empty: the user's primary group) and socket group
 * (empty: leave sockets in the daemon's group).  When not running as root,
 * ids->change is false and nothing is switched later.
 */
int	pw_daemon_ids(const char *user, const char *group,
	    const char *socket_group, struct pw_daemon_ids *ids,
	    char *err, size_t errsize);

/*
 * Make a unix socket path free to bind: nothing there, or a stale socket
 * that no process accepts on (removed).  A live socket or a file that is
 * not a socket is an error and is left alone.
 */
int	pw_daemon_unix_prepare(const char *path, char *err, size_t errsize);

/*
 * Listen on "unix:/path" or "inet:host:port".  Unix sockets get mode and
 * ownership via pw_daemon_socket_own().  Returns a non-blocking, close-on-
 * exec listening descriptor, or -1.
 */
int	pw_daemon_listen(const char *endpoint, int backlog, int mode,
	    const struct pw_daemon_ids *ids, char *err, size_t errsize);

/*
 * Whether endpoint listens on this machine only: a unix socket, or an
 * inet host whose every address is loopback (127.0.0.0/8, ::1).  A
 * wildcard ("inet::port", 0.0.0.0, [::]) or any other address is not.
 */
bool	pw_daemon_endpoint_local(const char *endpoint);

/* chmod/chown a unix socket so that Postfix (socket group) can connect. */
int	pw_daemon_socket_own(const char *path, int mode,
	    const struct pw_daemon_ids *ids, char *err, size_t errsize);

/*
 * Fork into the background.  Returns 0 in the child; the parent does not
 * return: it waits for pw_daemon_ready() or the child's exit and exits 0
 * or 1 accordingly.
 */
int	pw_daemon_detach(char *err, size_t errsize);
/* Tell the waiting parent (if any) that start-up is complete. */
void	pw_daemon_ready(void);

/*
 * Create and lock the pid file (creating its directory, owned by the
 * daemon user, if missing).  A file locked by a running process is an
 * error naming its pid; a stale one is reused.  Empty path: no pid file.
 */
int	pw_daemon_pidfile(const char *path, const struct pw_daemon_ids *ids,
	    char *err, size_t errsize);
void	pw_daemon_pidfile_remove(void);

int	pw_daemon_drop_privileges(const struct pw_daemon_ids *ids, char *err,
	    size_t errsize);

/*
 * Raise the soft limit on open files to the hard limit (systemd starts
 * services with a soft limit of 1024 unless the unit sets LimitNOFILE).
 * *before_r and *after_r get the soft limit before and after; the two are
 * equal when there was nothing to raise or setrlimit failed (then -1 and
 * a message in err).
 */
int	pw_daemon_raise_nofile(unsigned long *before_r, unsigned long *after_r,
	    char *err, size_t errsize);

/*
 * Start fn(arg) in a thread of its own (*tid) with SIGHUP, SIGTERM and
 * SIGINT blocked in it, so that they reach the main thread, which
 * handles them; faults (SIGSEGV ...) stay unblocked for the sanitizers.
 * pthread_create()'s return.
 */
int	pw_daemon_thread(pthread_t *tid, void *(*fn)(void *), void *arg);

#endif
