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
 * The endpoints, the count in the budget, the refusal logs and accept()
 * errors are lib/listener.c's (PW_LISTENER_REFUSE, PW_LISTENER_SHED):
 * should accept() still fail with EMFILE or ENFILE, a spare descriptor
 * (held for this) is closed so that the waiting connections can be
 * accepted and closed at once, and taken again.  Other accept() errors
 * pause that listener for a second instead of spinning; allocation
 * failure exits.
 */
#include "config.h"

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

#include "clock.h"
#include "listener.h"
#include "log.h"
#include "policyd_conn.h"
#include "policyd_server.h"
#include "runtime.h"
#include "xmalloc.h"

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
    const struct pw_listener_ep *ep, const char *peer)
{
	long long now = pw_clock_ms();

	if (srv->acl_log_ms != 0 && now < srv->acl_log_ms) {
		srv->acl_unlogged++;
		return;
	}
	if (srv->acl_unlogged > 0)
		pw_log_warnx("%s: refused connection from %s: not in "
		    "policyd_allowed_clients (and %lu more since the last "
		    "such line)", pw_listener_endpoint(ep), peer,
		    srv->acl_unlogged);
	else
		pw_log_warnx("%s: refused connection from %s: not in "
		    "policyd_allowed_clients", pw_listener_endpoint(ep), peer);
	srv->acl_unlogged = 0;
	srv->acl_log_ms = now + POLICYD_SERVER_ACL_LOG_MS;
}

static void
policyd_server_accept_cb(struct pw_listener_ep *ep, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct policyd_server *srv = arg;
	struct policyd_conn *c;
	struct pw_runtime *rt;
	char peer[POLICYD_CONN_PEER_MAX];

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
		policyd_server_acl_refused(srv, ep, peer);
		evutil_closesocket(fd);
		pw_runtime_release(&rt);
		return;
	}
	if (!pw_listener_admit(srv->listener, ep,
	    (size_t)rt->conf->policyd_max_connections,
	    "policyd_max_connections")) {
		evutil_closesocket(fd);
		pw_runtime_release(&rt);
		return;
	}
	policyd_server_peer(sa, salen, peer, sizeof(peer));
	c = policyd_conn_new(srv, fd, peer, ++srv->next_id, rt);
	pw_runtime_release(&rt);
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
}

struct policyd_server *
policyd_server_new(struct event_base *base, struct pw_fd_budget *budget,
    struct pw_listener *listener, char *err, size_t errsize)
{
	struct policyd_server *srv = pw_xcalloc(1, sizeof(*srv));

	srv->base = base;
	TAILQ_INIT(&srv->conns);
	srv->fds = budget;
	pw_fd_budget_init(srv->fds, POLICYD_SERVER_FD_RESERVE);
	srv->listener = listener;
	if (pw_listener_start(listener, base, budget, "", PW_LISTENER_REFUSE,
	    PW_LISTENER_SHED, policyd_server_accept_cb, srv, err,
	    errsize) < 0) {
		policyd_server_free(&srv);
		return NULL;
	}
	return srv;
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
	pw_listener_close(srv->listener);
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
    int auth_max_connections, int http_max_connections)
{
	size_t sum = (size_t)max_connections + (size_t)auth_max_connections +
	    (size_t)http_max_connections;

	if (sum <= srv->fds->cap || sum == srv->warned_sum)
		return;
	srv->warned_sum = sum;
	if (http_max_connections != 0)
		pw_log_warnx("policyd_max_connections = %d plus "
		    "auth_max_connections = %d plus http_max_connections = %d "
		    "is more than the open file limit allows; serving at most "
		    "%zu connections for all (raise LimitNOFILE or the hard "
		    "limit)", max_connections, auth_max_connections,
		    http_max_connections, srv->fds->cap);
	else if (auth_max_connections == 0)
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
	pw_listener_gone(srv->listener);
	if (srv->stopping && srv->nconns == 0)
		event_base_loopexit(srv->base, NULL);
}

void
policyd_server_free(struct policyd_server **srvp)
{
	struct policyd_server *srv = *srvp;
	struct policyd_conn *c;

	if (srv == NULL)
		return;
	*srvp = NULL;
	srv->stopping = true;
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		policyd_conn_free(&c);
	pw_listener_free(&srv->listener);
	pw_conf_release(&srv->acl_conf);
	free(srv->acl);
	if (srv->stop_timer != NULL)
		event_free(srv->stop_timer);
	free(srv);
}
