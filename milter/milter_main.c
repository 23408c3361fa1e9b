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
 *
 * HTTP (milter_http.h, milter_http_listen): its sockets are opened as
 * root beside the milter socket; its thread starts after the privilege
 * drop, once libmilter runs; a reload hands it the new limits; at
 * shutdown /readyz says 503 from the signal on (the milter socket is
 * "not listening"), and the thread stops last, after the events.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmdline.h"
#include "daemon.h"
#include "log.h"
#include "milter.h"
#include "milter_events.h"
#include "milter_http.h"
#include "milter_identity.h"
#include "milter_metrics.h"
#include "milter_msg.h"
#include "milter_ready.h"
#include "milter_refund.h"
#include "milter_supp.h"
#include "redis_common.h"
#include "runtime.h"
#include "xmalloc.h"

static int milter_sigpipe[2] = { -1, -1 };
/* The HTTP service; NULL: milter_http_listen is empty. */
static struct milter_http *milter_main_http;

/* The milter_http_listen sockets, opened as root. */
struct milter_main_listen {
	const struct pw_conf		*conf;
	const struct pw_daemon_ids	*ids;
	int				*fds;
	char				**endpoints;
	size_t				 n;
	char				 err[PW_DAEMON_ERR_MAX];
};

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

/* pw_conf_list_foreach callback: listen on one HTTP endpoint. */
static int
milter_main_listen_one(const char *item, size_t len, void *arg)
{
	struct milter_main_listen *ls = arg;
	char *endpoint = pw_xstrndup(item, len);
	int fd;

	if (!pw_daemon_endpoint_local(endpoint))
		pw_log_warnx("milter_http_listen: %s is not a loopback "
		    "address: it is plain HTTP and shows the metrics to whoever "
		    "connects", endpoint);
	fd = pw_daemon_listen(endpoint, SOMAXCONN, ls->conf->socket_mode,
	    ls->ids, ls->err, sizeof(ls->err));
	if (fd < 0) {
		free(endpoint);
		return -1;
	}
	ls->fds = pw_xrealloc(ls->fds, (ls->n + 1) * sizeof(*ls->fds));
	ls->endpoints = pw_xrealloc(ls->endpoints,
	    (ls->n + 1) * sizeof(*ls->endpoints));
	ls->fds[ls->n] = fd;
	ls->endpoints[ls->n] = endpoint;
	ls->n++;
	return 0;
}

/* Free the list (the descriptors are the service's, or closed). */
static void
milter_main_listen_free(struct milter_main_listen *ls, bool close_fds)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		if (close_fds) {
			close(ls->fds[i]);
			if (strncmp(ls->endpoints[i], "unix:", 5) == 0)
				(void)unlink(ls->endpoints[i] + 5);
		}
		free(ls->endpoints[i]);
	}
	free(ls->endpoints);
	free(ls->fds);
	ls->endpoints = NULL;
	ls->fds = NULL;
	ls->n = 0;
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
	struct pw_runtime *rt, *old;

	if (pw_runtime_load(path, milter_runtime_load, &rt, err,
	    sizeof(err)) < 0) {
		pw_log_warnx("reload failed, keeping the running "
		    "configuration: %s", err);
		return;
	}
	pw_log_set_level(rt->conf->log_level);
	old = pw_runtime_current();
	if (old != NULL && strcmp(old->conf->milter_http_listen,
	    rt->conf->milter_http_listen) != 0)
		pw_log_warnx("reload: milter_http_listen changed from \"%s\" "
		    "to \"%s\"; it takes effect at the next start",
		    old->conf->milter_http_listen,
		    rt->conf->milter_http_listen);
	pw_runtime_release(&old);
	milter_events_reconfigure(milter_events_daemon, rt->conf);
	pw_runtime_publish(rt);
	milter_http_reconfigure(milter_main_http);
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
				milter_ready_set_listening(false, NULL);
				smfi_stop();
				break;
			case 0:
				/* smfi_main returned. */
				milter_ready_set_listening(false, NULL);
				pthread_join(tid, NULL);
				if (!stopping)
					pw_log_error("libmilter stopped "
					    "unexpectedly (status %d)",
					    *milter_status);
				rt = pw_runtime_current();
				timeout_ms = rt->conf->shutdown_timeout_ms;
				pw_runtime_release(&rt);
				start_ms = pw_clock_ms();
				milter_main_drain(timeout_ms);
				milter_events_stop(milter_events_daemon,
				    timeout_ms - (int)(pw_clock_ms() -
				    start_ms));
				milter_http_stop(&milter_main_http);
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
	struct milter_main_listen hls;
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
	memset(&hls, 0, sizeof(hls));

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
	hls.conf = conf;
	hls.ids = &ids;
	if (pw_conf_list_foreach(conf->milter_http_listen,
	    milter_main_listen_one, &hls) != 0) {
		milter_main_listen_free(&hls, true);
		if (path != NULL)
			(void)unlink(path);
		pw_log_fatal("milter_http_listen: %s", hls.err);
	}

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
	milter_metrics_init();	/* before any thread counts */
	if (milter_events_start(rt->conf, &milter_events_daemon, &why) < 0)
		pw_log_fatal("events: %s", why);
	if (milter_refund_init(&why) < 0)
		pw_log_fatal("refund script: %s", why);
	pw_runtime_publish(rt);
	rt = NULL;

	if (pw_daemon_thread(&tid, milter_main_run, &milter_status) != 0)
		pw_log_fatal("cannot start the milter thread");
	milter_ready_set_listening(true, path);
	if (hls.n > 0) {
		rt = pw_runtime_current();
		milter_main_http = milter_http_start(rt->conf, hls.fds,
		    hls.endpoints, hls.n, err, sizeof(err));
		if (milter_main_http == NULL)
			pw_log_fatal("milter_http_listen: %s", err);
		pw_log_notice("HTTP service on %s", rt->conf->milter_http_listen);
		pw_runtime_release(&rt);
		milter_main_listen_free(&hls, false);
	}
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
