/*
 * auth_server.c -- listeners and the connection list of the SASL
 * service (see auth_server.h).
 *
 * Exports: auth_server_new/stop/free/conn_gone.
 *
 * Threads: the event loop's only.
 * Ownership: the server owns its listeners (and descriptors) and every
 * connection on its list; the verifier belongs to main.
 *
 * Connection limit: beyond auth_max_connections, or beyond what the open
 * file limit leaves after policyd's reserve and the policy service's
 * connections (one budget, lib/fd_budget.h, so that neither service can
 * take the other's descriptors), a new connection is accepted and closed
 * at once: smtpd sees the end of file at once (and answers 454) instead
 * of waiting in the backlog for its timeout.  The first refusal of a
 * burst is logged; the end of the burst is logged with the number
 * refused.
 *
 * Access: the socket's mode and group (socket_mode, socket_group) say
 * who may connect to a unix socket; a TCP endpoint should be loopback
 * (main warns otherwise), since whoever connects can test secrets.
 *
 * Failures: an accept() error (EMFILE: out of descriptors) is logged and
 * pauses that listener for AUTH_SERVER_RETRY_MS instead of spinning on a
 * socket that stays readable; Postfix waits in the backlog meanwhile.
 * Allocation failure exits.
 *
 * Security: the COOKIE line carries 128 random bits per process, as
 * Dovecot's does; nothing in postwarden uses it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/rand.h>

#include "auth_server.h"
#include "conf.h"
#include "log.h"
#include "runtime.h"
#include "xmalloc.h"

/* How long a listener rests after accept() fails. */
#define AUTH_SERVER_RETRY_MS	1000

/* pw_conf_list_foreach callback: note a mechanism of auth_mechanisms. */
static int
auth_server_mech_add(const char *item, size_t len, void *arg)
{
	struct auth_server *srv = arg;
	const char *name;
	size_t i;

	if (len == 5 && strncasecmp(item, "PLAIN", 5) == 0)
		name = "PLAIN";
	else if (len == 5 && strncasecmp(item, "LOGIN", 5) == 0)
		name = "LOGIN";
	else
		return 0;	/* checked at load */
	for (i = 0; srv->mechs[i] != NULL; i++)
		if (strcmp(srv->mechs[i], name) == 0)
			return 0;
	if (i < 2)
		srv->mechs[i] = name;
	return 0;
}

static void
auth_server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct auth_listener *l = arg;
	struct auth_server *srv = l->srv;
	struct auth_conn *c;
	struct pw_runtime *rt;
	size_t limit, max;

	(void)lev;
	(void)sa;
	(void)salen;
	if (srv->stopping) {
		evutil_closesocket(fd);
		return;
	}
	if ((rt = pw_runtime_current()) == NULL)
		pw_log_fatal("no configuration published");
	max = (size_t)rt->conf->auth_max_connections;
	pw_runtime_release(&rt);
	limit = pw_fd_budget_limit(srv->fds, srv->nconns, max);
	if (srv->nconns >= limit) {
		if (srv->refused++ == 0)
			pw_log_warnx("sasl: %s: connection limit of %zu "
			    "reached (%s); refusing new connections",
			    l->endpoint, limit, limit < max ?
			    "open file limit" : "auth_max_connections");
		evutil_closesocket(fd);
		return;
	}
	c = auth_conn_new(srv, fd, l->endpoint, ++srv->next_id);
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
	srv->fds->used++;
}

static void
auth_server_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct auth_listener *l = arg;

	(void)fd;
	(void)what;
	if (l->lev != NULL)
		evconnlistener_enable(l->lev);
}

static void
auth_server_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct auth_listener *l = arg;
	struct timeval tv = { AUTH_SERVER_RETRY_MS / 1000,
	    (AUTH_SERVER_RETRY_MS % 1000) * 1000 };

	pw_log_warnx("sasl: %s: accept: %s; pausing for %d ms", l->endpoint,
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()),
	    AUTH_SERVER_RETRY_MS);
	evconnlistener_disable(lev);
	evtimer_add(l->retry, &tv);
}

struct auth_server *
auth_server_new(struct event_base *base, struct pw_fd_budget *budget,
    struct auth_verify *verify, const char *mechanisms, const int *fds, char *const *endpoints,
    size_t n, char *err, size_t errsize)
{
	struct auth_server *srv = pw_xcalloc(1, sizeof(*srv));
	unsigned char rnd[16];
	struct auth_listener *l;
	size_t i, k;

	srv->base = base;
	srv->verify = verify;
	srv->fds = budget;
	TAILQ_INIT(&srv->conns);
	(void)pw_conf_list_foreach(mechanisms, auth_server_mech_add, srv);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		snprintf(err, errsize, "sasl: RAND_bytes failed");
		for (k = 0; k < n; k++)
			close(fds[k]);
		free(srv);
		return NULL;
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(srv->cookie + 2 * i, 3, "%02x", rnd[i]);
	srv->listeners = pw_xcalloc(n, sizeof(*srv->listeners));
	srv->nlisteners = n;
	for (i = 0; i < n; i++) {
		l = &srv->listeners[i];
		l->srv = srv;
		l->endpoint = pw_xstrdup(endpoints[i]);
		if (strncmp(l->endpoint, "unix:", 5) == 0)
			l->unix_path = pw_xstrdup(l->endpoint + 5);
		l->lev = evconnlistener_new(base, auth_server_accept_cb, l,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fds[i]);
		l->retry = evtimer_new(base, auth_server_retry_cb, l);
		if (l->lev == NULL || l->retry == NULL) {
			snprintf(err, errsize, "%s: cannot set up listener",
			    l->endpoint);
			/* Descriptors no listener took are still ours. */
			for (k = l->lev != NULL ? i + 1 : i; k < n; k++)
				close(fds[k]);
			auth_server_free(&srv);
			return NULL;
		}
		evconnlistener_set_error_cb(l->lev,
		    auth_server_accept_error_cb);
	}
	return srv;
}

void
auth_server_stop(struct auth_server *srv)
{
	struct auth_conn *c;
	struct auth_listener *l;
	size_t i;

	if (srv == NULL || srv->stopping)
		return;
	srv->stopping = true;
	for (i = 0; i < srv->nlisteners; i++) {
		l = &srv->listeners[i];
		if (l->lev == NULL)
			continue;
		evconnlistener_free(l->lev);
		l->lev = NULL;
		if (l->retry != NULL)
			event_del(l->retry);
		if (l->unix_path != NULL && unlink(l->unix_path) < 0 &&
		    errno != ENOENT)
			pw_log_info("%s: socket not removed: %s; the next "
			    "start replaces it", l->unix_path,
			    strerror(errno));
	}
	/* Postfix keeps these open for good: close them now. */
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		auth_conn_free(&c);
}

void
auth_server_free(struct auth_server **srvp)
{
	struct auth_server *srv = *srvp;
	struct auth_conn *c;
	size_t i;

	if (srv == NULL)
		return;
	*srvp = NULL;
	srv->stopping = true;
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		auth_conn_free(&c);
	for (i = 0; i < srv->nlisteners; i++) {
		if (srv->listeners[i].lev != NULL)
			evconnlistener_free(srv->listeners[i].lev);
		if (srv->listeners[i].retry != NULL)
			event_free(srv->listeners[i].retry);
		free(srv->listeners[i].endpoint);
		free(srv->listeners[i].unix_path);
	}
	free(srv->listeners);
	free(srv);
}

void
auth_server_conn_gone(struct auth_server *srv, struct auth_conn *c)
{
	TAILQ_REMOVE(&srv->conns, c, entry);
	srv->nconns--;
	srv->fds->used--;
	if (srv->refused > 0) {
		pw_log_notice("sasl: accepting connections again; %lu refused "
		    "at the connection limit", srv->refused);
		srv->refused = 0;
	}
}
