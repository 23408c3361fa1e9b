/*
 * policyd_server.c -- listeners, the connection list and shutdown (see
 * policyd_server.h).
 *
 * Exports: policyd_server_new/stop/free/conn_gone.
 *
 * Threads: the event loop's only.
 *
 * Ownership: the server owns its listeners (and their descriptors) and
 * every connection on its list.
 *
 * Connection limit: beyond policyd_max_connections, or beyond what the
 * open file limit leaves after POLICYD_SERVER_FD_RESERVE descriptors for
 * everything else (listeners, Redis, syslog, the event loop) and after the
 * SASL service's connections (one budget, lib/fd_budget.h; that service
 * is capped by auth_max_connections), a new connection is accepted and
 * closed at once, so Postfix sees an immediate
 * end of file (and retries or uses its default_action) instead of waiting
 * in the listen backlog until its own timeout.  The first refusal of a
 * burst is logged; the end of the burst is logged with the number refused.
 *
 * Access: a TCP peer whose address is not in policyd_allowed_clients
 * (loopback by default) is closed at once: a policy request bills mail.
 * The first refusal is logged, then at most one line (with the number
 * not logged) per POLICYD_SERVER_ACL_LOG_MS.  Unix sockets are guarded
 * by their mode instead.
 *
 * Failures: should accept() still fail with EMFILE or ENFILE, a spare
 * descriptor (held for this) is closed so that the waiting connections can
 * be accepted and closed at once, and taken again.  Other accept() errors
 * pause that listener for a second instead of spinning; allocation
 * failure exits.
 *
 * Security: unix socket files are removed at shutdown only when the
 * daemon user may; otherwise the next start replaces the stale socket
 * (pw_daemon_unix_prepare).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"
#include "policyd_conn.h"
#include "policyd_server.h"
#include "runtime.h"
#include "xmalloc.h"

/* How long a listener rests after accept() fails. */
#define POLICYD_SERVER_RETRY_MS	1000
/* Refused peers are logged at most once in this long. */
#define POLICYD_SERVER_ACL_LOG_MS	60000
/* Descriptors kept for what is not a connection (see the file top). */
#define POLICYD_SERVER_FD_RESERVE	32

/* Format a peer address as "[addr]:port", or "unix". */
static void
policyd_server_peer(const struct sockaddr *sa, int salen, char *buf,
    size_t bufsize)
{
	char host[48];

	if (sa == NULL || salen <= 0 || sa->sa_family == AF_UNIX) {
		snprintf(buf, bufsize, "unix");
		return;
	}
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		if (evutil_inet_ntop(AF_INET, &sin->sin_addr, host,
		    sizeof(host)) == NULL)
			snprintf(host, sizeof(host), "?");
		snprintf(buf, bufsize, "[%s]:%u", host, ntohs(sin->sin_port));
		return;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		if (evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, host,
		    sizeof(host)) == NULL)
			snprintf(host, sizeof(host), "?");
		snprintf(buf, bufsize, "[%s]:%u", host,
		    ntohs(sin6->sin6_port));
		return;
	}
	snprintf(buf, bufsize, "unknown");
}

/* pw_conf_list_foreach callback: add one network (checked at load). */
static int
policyd_server_acl_add(const char *item, size_t len, void *arg)
{
	struct policyd_server *srv = arg;
	struct pw_cidr net;

	if (pw_cidr_parse_mynetworks(item, len, &net) < 0)
		return 0;
	srv->acl = pw_xrealloc(srv->acl, (srv->nacl + 1) * sizeof(*srv->acl));
	srv->acl[srv->nacl++] = net;
	return 0;
}

/* Whether a TCP peer may connect under conf's policyd_allowed_clients. */
static bool
policyd_server_allowed(struct policyd_server *srv, struct pw_conf *conf,
    const struct sockaddr *sa)
{
	struct pw_cidr_addr a;
	size_t i;

	if (srv->acl_conf != conf) {
		pw_conf_release(&srv->acl_conf);
		srv->acl_conf = pw_conf_ref(conf);
		srv->nacl = 0;
		(void)pw_conf_list_foreach(conf->policyd_allowed_clients,
		    policyd_server_acl_add, srv);
	}
	if (pw_cidr_addr_from_sockaddr(sa, &a) < 0)
		return false;
	for (i = 0; i < srv->nacl; i++)
		if (pw_cidr_match(&srv->acl[i], &a))
			return true;
	return false;
}

/* Log a refused peer, at most once per POLICYD_SERVER_ACL_LOG_MS. */
static void
policyd_server_acl_refused(struct policyd_server *srv,
    const struct policyd_listener *l, const char *peer)
{
	struct timespec ts;
	long long now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (srv->acl_log_ms != 0 && now < srv->acl_log_ms) {
		srv->acl_unlogged++;
		return;
	}
	if (srv->acl_unlogged > 0)
		pw_log_warnx("%s: refused connection from %s: not in "
		    "policyd_allowed_clients (and %lu more since the last "
		    "such line)", l->endpoint, peer, srv->acl_unlogged);
	else
		pw_log_warnx("%s: refused connection from %s: not in "
		    "policyd_allowed_clients", l->endpoint, peer);
	srv->acl_unlogged = 0;
	srv->acl_log_ms = now + POLICYD_SERVER_ACL_LOG_MS;
}

/* The connections served at once: the setting, or what fds allow. */
static size_t
policyd_server_limit(const struct policyd_server *srv, int max_connections)
{
	return pw_fd_budget_limit(srv->fds, srv->nconns,
	    (size_t)max_connections);
}

static void
policyd_server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct policyd_listener *l = arg;
	struct policyd_server *srv = l->srv;
	struct policyd_conn *c;
	struct pw_runtime *rt;
	char peer[POLICYD_CONN_PEER_MAX];
	size_t limit;

	if (srv->stopping) {
		evutil_closesocket(fd);
		return;
	}
	if ((rt = pw_runtime_current()) == NULL)
		pw_log_fatal("no configuration published");
	if (sa != NULL && (sa->sa_family == AF_INET ||
	    sa->sa_family == AF_INET6) &&
	    !policyd_server_allowed(srv, rt->conf, sa)) {
		policyd_server_peer(sa, salen, peer, sizeof(peer));
		policyd_server_acl_refused(srv, l, peer);
		evutil_closesocket(fd);
		pw_runtime_release(&rt);
		return;
	}
	limit = policyd_server_limit(srv, rt->conf->policyd_max_connections);
	if (srv->nconns >= limit) {
		if (srv->refused++ == 0)
			pw_log_warnx("%s: connection limit of %zu reached "
			    "(%s); refusing new connections", l->endpoint,
			    limit, limit < (size_t)rt->conf->
			    policyd_max_connections ? "open file limit" :
			    "policyd_max_connections");
		evutil_closesocket(fd);
		pw_runtime_release(&rt);
		return;
	}
	policyd_server_peer(sa, salen, peer, sizeof(peer));
	c = policyd_conn_new(srv, fd, peer, ++srv->next_id, rt);
	pw_runtime_release(&rt);
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
	srv->fds->used++;
}

static void
policyd_server_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policyd_listener *l = arg;

	if (l->lev != NULL)
		evconnlistener_enable(l->lev);
}

/*
 * Out of descriptors: give up the spare one and accept and close, one
 * at a time, every connection waiting on lev, then take the spare again.
 * Returns false when there was no spare to give.
 */
static bool
policyd_server_shed(struct policyd_listener *l)
{
	struct policyd_server *srv = l->srv;
	int fd, lfd = evconnlistener_get_fd(l->lev);

	if (srv->reserve_fd < 0)
		return false;
	if (srv->refused++ == 0)
		pw_log_warnx("%s: out of file descriptors (%d connections "
		    "open); refusing new connections", l->endpoint,
		    (int)srv->nconns);
	close(srv->reserve_fd);
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		close(fd);
		srv->refused++;
	}
	srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return true;
}

static void
policyd_server_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct policyd_listener *l = arg;
	struct timeval tv = { POLICYD_SERVER_RETRY_MS / 1000,
	    (POLICYD_SERVER_RETRY_MS % 1000) * 1000 };
	int err = EVUTIL_SOCKET_ERROR();

	if ((err == EMFILE || err == ENFILE) && policyd_server_shed(l))
		return;
	pw_log_warnx("%s: accept: %s; pausing for %d ms", l->endpoint,
	    evutil_socket_error_to_string(err), POLICYD_SERVER_RETRY_MS);
	evconnlistener_disable(lev);
	evtimer_add(l->retry, &tv);
}

struct policyd_server *
policyd_server_new(struct event_base *base, struct pw_fd_budget *budget,
    const int *fds, char *const *endpoints, size_t n, char *err,
    size_t errsize)
{
	struct policyd_server *srv = pw_xcalloc(1, sizeof(*srv));
	struct policyd_listener *l;
	size_t i, k;

	srv->base = base;
	TAILQ_INIT(&srv->conns);
	srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->fds = budget;
	pw_fd_budget_init(srv->fds, POLICYD_SERVER_FD_RESERVE);
	srv->listeners = pw_xcalloc(n, sizeof(*srv->listeners));
	srv->nlisteners = n;
	for (i = 0; i < n; i++) {
		l = &srv->listeners[i];
		l->srv = srv;
		l->endpoint = pw_xstrdup(endpoints[i]);
		if (strncmp(l->endpoint, "unix:", 5) == 0)
			l->unix_path = pw_xstrdup(l->endpoint + 5);
		/* Backlog 0: the socket is listening already. */
		l->lev = evconnlistener_new(base, policyd_server_accept_cb, l,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fds[i]);
		l->retry = evtimer_new(base, policyd_server_retry_cb, l);
		if (l->retry == NULL || l->lev == NULL) {
			snprintf(err, errsize, "%s: cannot set up listener",
			    l->endpoint);
			/* Descriptors no listener took are still ours. */
			for (k = l->lev != NULL ? i + 1 : i; k < n; k++)
				close(fds[k]);
			policyd_server_free(&srv);
			return NULL;
		}
		evconnlistener_set_error_cb(l->lev,
		    policyd_server_accept_error_cb);
	}
	return srv;
}

/* Close the listeners; remove unix socket files when permitted. */
static void
policyd_server_close_listeners(struct policyd_server *srv)
{
	struct policyd_listener *l;
	size_t i;

	for (i = 0; i < srv->nlisteners; i++) {
		l = &srv->listeners[i];
		if (l->lev != NULL) {
			evconnlistener_free(l->lev);
			l->lev = NULL;
			if (l->unix_path != NULL && unlink(l->unix_path) < 0 &&
			    errno != ENOENT)
				pw_log_info("%s: socket not removed: %s; the "
				    "next start replaces it", l->unix_path,
				    strerror(errno));
		}
		if (l->retry != NULL)
			event_del(l->retry);
	}
}

static void
policyd_server_stop_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policyd_server *srv = arg;
	struct policyd_conn *c;

	pw_log_warnx("shutdown timeout: closing %zu connection%s with "
	    "requests in flight", srv->nconns, srv->nconns == 1 ? "" : "s");
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		policyd_conn_free(&c);
	event_base_loopexit(srv->base, NULL);
}

void
policyd_server_stop(struct policyd_server *srv, int timeout_ms)
{
	struct policyd_conn *c, *next;
	struct timeval tv;

	if (srv->stopping)
		return;
	srv->stopping = true;
	policyd_server_close_listeners(srv);
	/* policyd_conn_shutdown may free c: walk with a saved next. */
	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		policyd_conn_shutdown(c);
	}
	if (srv->nconns == 0) {
		event_base_loopexit(srv->base, NULL);
		return;
	}
	pw_log_info("waiting for %zu connection%s to finish", srv->nconns,
	    srv->nconns == 1 ? "" : "s");
	srv->stop_timer = evtimer_new(srv->base,
	    policyd_server_stop_timeout_cb, srv);
	if (srv->stop_timer == NULL)
		pw_log_fatal("evtimer_new: out of memory");
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(srv->stop_timer, &tv);
}

void
policyd_server_check_limit(struct policyd_server *srv, int max_connections,
    int auth_max_connections)
{
	size_t sum = (size_t)max_connections + (size_t)auth_max_connections;

	if (sum <= srv->fds->cap || sum == srv->warned_sum)
		return;
	srv->warned_sum = sum;
	if (auth_max_connections == 0)
		pw_log_warnx("policyd_max_connections = %d is more than the "
		    "open file limit allows; serving at most %zu connections "
		    "(raise LimitNOFILE or the hard limit)", max_connections,
		    srv->fds->cap);
	else
		pw_log_warnx("policyd_max_connections = %d plus "
		    "auth_max_connections = %d is more than the open file "
		    "limit allows; serving at most %zu connections for both "
		    "(raise LimitNOFILE or the hard limit)", max_connections,
		    auth_max_connections, srv->fds->cap);
}

void
policyd_server_conn_gone(struct policyd_server *srv, struct policyd_conn *c)
{
	TAILQ_REMOVE(&srv->conns, c, entry);
	srv->nconns--;
	srv->fds->used--;
	if (srv->refused > 0) {
		pw_log_notice("accepting connections again; %lu refused at "
		    "the connection limit", srv->refused);
		srv->refused = 0;
	}
	if (srv->stopping && srv->nconns == 0)
		event_base_loopexit(srv->base, NULL);
}

void
policyd_server_free(struct policyd_server **srvp)
{
	struct policyd_server *srv = *srvp;
	struct policyd_conn *c;
	size_t i;

	if (srv == NULL)
		return;
	*srvp = NULL;
	srv->stopping = true;
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		policyd_conn_free(&c);
	for (i = 0; i < srv->nlisteners; i++) {
		if (srv->listeners[i].lev != NULL)
			evconnlistener_free(srv->listeners[i].lev);
		if (srv->listeners[i].retry != NULL)
			event_free(srv->listeners[i].retry);
		free(srv->listeners[i].endpoint);
		free(srv->listeners[i].unix_path);
	}
	free(srv->listeners);
	pw_conf_release(&srv->acl_conf);
	free(srv->acl);
	if (srv->reserve_fd >= 0)
		close(srv->reserve_fd);
	if (srv->stop_timer != NULL)
		event_free(srv->stop_timer);
	free(srv);
}
