/*
 * milter_main.c -- postwarden-milter start-up, signals and shutdown.
 *
 * Start-up follows lib/daemon.h: load the runtime snapshot (as root), let
 * libmilter create its socket (after a stale-socket check of our own, as
 * libmilter would remove a live one too), give the socket its mode and
 * group, detach, write the pid file, drop privileges, run.
 *
 * Signals.  libmilter's own signal thread stops the milter on SIGHUP,
 * SIGTERM and SIGINT.  We want SIGHUP to reload, and SIGTERM to wait for
 * messages in flight.  So smfi_main() runs in a second thread, started
 * with those signals blocked (libmilter's threads inherit that mask), and
 * the main thread keeps them unblocked with handlers that write to a
 * self-pipe.  Linux delivers a process-directed signal to the main thread
 * whenever that thread can take it, which is always except in the
 * microseconds between one signal's arrival and its handler running; a
 * second SIGHUP inside that window reaches libmilter and stops the milter
 * (logged as an unexpected stop; the service manager restarts it).
 *
 * Shutdown: smfi_stop(), then wait (at most shutdown_timeout) until no
 * message is between MAIL FROM and end-of-message, then exit 0.
 *
 * Events (milter_events.h): the writer starts after the fork and the
 * privilege drop, before libmilter; a reload hands it the new
 * configuration (its queue stays); at shutdown it gets what is left of
 * shutdown_timeout after the messages in flight to flush its queue.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "daemon.h"
#include "log.h"
#include "milter.h"
#include "milter_events.h"
#include "milter_identity.h"
#include "milter_msg.h"
#include "milter_refund.h"
#include "milter_supp.h"
#include "redis_common.h"
#include "runtime.h"

static int milter_sigpipe[2] = { -1, -1 };

static void
milter_main_on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	/* A full pipe already holds a wake-up; losing this byte is fine. */
	if (write(milter_sigpipe[1], &c, 1) < 0) {
	}
	errno = saved;
}

/*
 * Turn "unix:/path" or Postfix-style "inet:host:port" into libmilter's
 * "unix:/path" / "inet:port@host"; the path part for unix sockets goes to
 * *path_r (NULL for inet).
 */
static int
milter_main_conn_spec(const char *endpoint, char *spec, size_t specsize,
    const char **path_r)
{
	const char *colon;
	int n;

	*path_r = NULL;
	if (strncmp(endpoint, "unix:", 5) == 0) {
		*path_r = endpoint + 5;
		n = snprintf(spec, specsize, "%s", endpoint);
	} else {
		colon = strrchr(endpoint + 5, ':');
		n = snprintf(spec, specsize, "inet%s:%s@%.*s",
		    strchr(endpoint + 5, ':') != colon ? "6" : "", colon + 1,
		    (int)(colon - (endpoint + 5)), endpoint + 5);
	}
	return n < 0 || (size_t)n >= specsize ? -1 : 0;
}

static void *
milter_main_run(void *arg)
{
	int *status = arg;

	*status = smfi_main();
	/* Wake the main thread: libmilter has stopped. */
	milter_main_on_signal(0);
	return NULL;
}

static void
milter_main_reload(const char *path)
{
	char err[PW_RUNTIME_ERR_MAX];
	struct pw_runtime *rt;

	if (pw_runtime_load(path, milter_runtime_load, &rt, err,
	    sizeof(err)) < 0) {
		pw_log_warnx("reload failed, keeping the running "
		    "configuration: %s", err);
		return;
	}
	pw_log_set_level(rt->conf->log_level);
	milter_events_reconfigure(milter_events_daemon, rt->conf);
	pw_runtime_publish(rt);
	pw_log_notice("reloaded configuration from %s", path);
}

/* Wait until no message is in flight or the timeout passes. */
static void
milter_main_drain(int timeout_ms)
{
	struct timespec start, now;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((n = milter_msg_in_flight()) > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000 >= timeout_ms) {
			pw_log_warnx("shutdown: %d message(s) still in flight "
			    "after %d ms; exiting anyway", n, timeout_ms);
			return;
		}
		(void)poll(NULL, 0, 10);
	}
}

static int
milter_main_signals(void)
{
	struct sigaction sa;

	if (pipe2(milter_sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = milter_main_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGHUP, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/* Start smfi_main() in a thread whose signal mask hides ours from it. */
static int
milter_main_start_thread(pthread_t *tid, int *status)
{
	sigset_t set, old;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	ret = pthread_create(tid, NULL, milter_main_run, status);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/* Main thread loop: signals in, actions out.  Returns the exit status. */
static int
milter_main_loop(const char *conf_path, pthread_t tid, int *milter_status)
{
	struct pw_runtime *rt;
	unsigned char sig;
	struct pollfd pfd = { .fd = milter_sigpipe[0], .events = POLLIN };
	bool stopping = false;
	int64_t start_ms;
	int timeout_ms;

	for (;;) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			pw_log_warn("poll");
			break;
		}
		while (read(milter_sigpipe[0], &sig, 1) == 1) {
			switch (sig) {
			case SIGHUP:
				milter_main_reload(conf_path);
				break;
			case SIGTERM:
			case SIGINT:
				if (!stopping)
					pw_log_notice("stopping on signal %d",
					    sig);
				stopping = true;
				smfi_stop();
				break;
			case 0:
				/* smfi_main returned. */
				pthread_join(tid, NULL);
				if (!stopping)
					pw_log_error("libmilter stopped "
					    "unexpectedly (status %d)",
					    *milter_status);
				rt = pw_runtime_current();
				timeout_ms = rt->conf->shutdown_timeout_ms;
				pw_runtime_release(&rt);
				start_ms = pw_redis_now_ms();
				milter_main_drain(timeout_ms);
				milter_events_stop(milter_events_daemon,
				    timeout_ms - (int)(pw_redis_now_ms() -
				    start_ms));
				return stopping && *milter_status == MI_SUCCESS
				    ? 0 : 1;
			}
		}
	}
	return 1;
}

int
main(int argc, char **argv)
{
	struct pw_cmdline cmd;
	struct pw_daemon_ids ids;
	struct pw_runtime *rt;
	const struct pw_conf *conf;
	char err[PW_RUNTIME_ERR_MAX], spec[1024];
	const char *path, *why;
	pthread_t tid;
	int milter_status = MI_FAILURE, status;

	pw_cmdline_parse(argc, argv, MILTER_NAME,
	    "postwarden's milter: DKIM, tracking and routing for Postfix",
	    &cmd);
	pw_log_open(MILTER_NAME, true);
	if (pw_runtime_load(cmd.conf_path, milter_runtime_load, &rt, err,
	    sizeof(err)) < 0)
		pw_log_fatal("%s", err);
	conf = rt->conf;
	if (milter_main_conn_spec(conf->milter_socket, spec, sizeof(spec),
	    &path) < 0)
		pw_log_fatal("milter_socket: too long");
	if (pw_daemon_ids(conf->user, conf->group, conf->socket_group, &ids,
	    err, sizeof(err)) < 0)
		pw_log_fatal("%s: %s", cmd.conf_path, err);
	if (cmd.check_only) {
		pw_runtime_release(&rt);
		return 0;
	}
	pw_log_set_level(conf->log_level);

	/*
	 * Signals are caught before the socket listens: from then on a
	 * client (or a test) sees the milter up, and a SIGTERM must stop it
	 * cleanly, not kill it.  The self-pipe keeps the signal until the
	 * main loop reads it.
	 */
	if (milter_main_signals() < 0)
		pw_log_fatal("cannot set up signal handling: %s",
		    strerror(errno));
	if (path != NULL && pw_daemon_unix_prepare(path, err, sizeof(err)) < 0)
		pw_log_fatal("milter_socket: %s", err);
	if (smfi_register(milter_desc) != MI_SUCCESS)
		pw_log_fatal("smfi_register failed");
	if (smfi_setconn(spec) != MI_SUCCESS)
		pw_log_fatal("smfi_setconn %s failed", spec);
	if (smfi_settimeout(conf->milter_timeout_ms / 1000) != MI_SUCCESS)
		pw_log_fatal("smfi_settimeout failed");
	{
		/* The socket is born private; socket_own opens it up. */
		mode_t old = umask(0177);

		status = smfi_opensocket(false);
		umask(old);
	}
	if (status != MI_SUCCESS)
		pw_log_fatal("cannot create milter socket %s", spec);
	if (path != NULL && pw_daemon_socket_own(path, conf->socket_mode,
	    &ids, err, sizeof(err)) < 0)
		pw_log_fatal("milter_socket: %s", err);

	if (!cmd.foreground) {
		if (pw_daemon_detach(err, sizeof(err)) < 0)
			pw_log_fatal("%s", err);
		pw_log_open(MILTER_NAME, false);
	}
	if (pw_daemon_pidfile(conf->milter_pid_file, &ids, err,
	    sizeof(err)) < 0)
		pw_log_fatal("%s", err);
	if (pw_daemon_drop_privileges(&ids, err, sizeof(err)) < 0)
		pw_log_fatal("%s", err);
	if (milter_events_start(rt->conf, &milter_events_daemon, &why) < 0)
		pw_log_fatal("events: %s", why);
	if (milter_refund_init(&why) < 0)
		pw_log_fatal("refund script: %s", why);
	if (milter_supp_init(&why) < 0)
		pw_log_fatal("suppression script: %s", why);
	pw_runtime_publish(rt);
	rt = NULL;

	if (milter_main_start_thread(&tid, &milter_status) != 0)
		pw_log_fatal("cannot start the milter thread");
	pw_log_notice("started, listening on %s", spec);
	pw_daemon_ready();

	status = milter_main_loop(cmd.conf_path, tid, &milter_status);
	pw_daemon_pidfile_remove();
	if (path != NULL)
		(void)unlink(path);
	pw_runtime_publish(NULL);
	pw_log_notice("stopped");
	return status;
}
