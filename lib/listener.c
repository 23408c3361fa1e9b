/*
 * listener.c -- the listening side of one service of postwarden-policyd
 * (see listener.h): its endpoints, accept errors, and its connections in
 * the shared open file budget.
 *
 * Exports: pw_listener_open/add/count/start/lev/endpoint/admit/gone/recheck/
 * conns/close/free.
 *
 * Threads: the event loop's only; pw_listener_open in main before it.
 *
 * Ownership: the set owns its descriptors until pw_listener_start gives
 * them to evconnlisteners (LEV_OPT_CLOSE_ON_FREE), and those
 * evconnlisteners unless they were handed to a library (cb NULL).
 *
 * Failures: allocation failure exits; an accept() error pauses the
 * endpoint (see listener.h), logged each time.
 *
 * Security: unix socket files are removed at shutdown only when the
 * daemon user may; otherwise the next start replaces the stale socket
 * (pw_daemon_unix_prepare).  Nothing here reads from a peer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "listener.h"
#include "log.h"
#include "xmalloc.h"

struct pw_listener_ep {
	struct pw_listener	*set;
	struct evconnlistener	*lev;
	struct event		*retry;		/* after an accept error */
	int			 fd;		/* until a listener owns it */
	char			*endpoint;	/* as configured */
	char			*unix_path;	/* NULL for inet */
};

struct pw_listener {
	struct pw_listener_ep	*eps;
	size_t			 n;
	struct pw_listener	*next;		/* pw_listener_started */
	struct event_base	*base;
	struct pw_fd_budget	*fds;		/* shared; not owned */
	const char		*prefix;
	enum pw_listener_full	 full;
	int			 flags;
	pw_listener_accept_fn	*cb;		/* NULL: levs handed over */
	void			*arg;
	size_t			 nconns;	/* counted in fds->used */
	size_t			 max;		/* the setting, last seen */
	unsigned long		 refused;	/* in the current burst */
	int			 reserve_fd;	/* spare, PW_LISTENER_SHED */
	bool			 started;
	bool			 paused;	/* PAUSE: at the bound */
	unsigned long		 pauses;	/* PAUSE: in the burst */
	unsigned long		 pauses_seen;	/* at the last tick */
};

/*
 * Started sets: an accept error callback of an evconnlistener handed to
 * evhttp gets evhttp's argument, so the endpoint is found by its lev.
 */
static struct pw_listener *pw_listener_started;

/* pw_conf_list_foreach callback: listen on one endpoint. */
struct pw_listener_opening {
	struct pw_listener		*l;
	int				 mode;
	const struct pw_daemon_ids	*ids;
	char				*err;
	size_t				 errsize;
};

static int
pw_listener_open_one(const char *item, size_t len, void *arg)
{
	struct pw_listener_opening *o = arg;
	struct pw_listener_ep *ep;
	char *endpoint = pw_xstrndup(item, len);
	int fd;

	fd = pw_daemon_listen(endpoint, SOMAXCONN, o->mode, o->ids, o->err,
	    o->errsize);
	if (fd < 0) {
		free(endpoint);
		return -1;
	}
	o->l->eps = pw_xrealloc(o->l->eps, (o->l->n + 1) * sizeof(*ep));
	ep = &o->l->eps[o->l->n++];
	memset(ep, 0, sizeof(*ep));
	ep->set = o->l;
	ep->fd = fd;
	ep->endpoint = endpoint;
	if (strncmp(endpoint, "unix:", 5) == 0)
		ep->unix_path = pw_xstrdup(endpoint + 5);
	return 0;
}

int
pw_listener_add(struct pw_listener *l, const char *list, int mode,
    const struct pw_daemon_ids *ids, char *err, size_t errsize)
{
	struct pw_listener_opening o;

	o.l = l;
	o.mode = mode;
	o.ids = ids;
	o.err = err;
	o.errsize = errsize;
	return pw_conf_list_foreach(list, pw_listener_open_one, &o) != 0 ?
	    -1 : 0;
}

struct pw_listener *
pw_listener_open(const char *list, int mode, const struct pw_daemon_ids *ids,
    char *err, size_t errsize)
{
	struct pw_listener *l = pw_xcalloc(1, sizeof(*l));

	l->reserve_fd = -1;
	if (pw_listener_add(l, list, mode, ids, err, errsize) < 0) {
		pw_listener_free(&l);
		return NULL;
	}
	return l;
}

size_t
pw_listener_count(const struct pw_listener *l)
{
	return l->n;
}

struct evconnlistener *
pw_listener_lev(const struct pw_listener *l, size_t i)
{
	return i < l->n ? l->eps[i].lev : NULL;
}

const char *
pw_listener_endpoint(const struct pw_listener_ep *ep)
{
	return ep->endpoint;
}

size_t
pw_listener_conns(const struct pw_listener *l)
{
	return l->nconns;
}

static void
pw_listener_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct pw_listener_ep *ep = arg;

	(void)lev;
	ep->set->cb(ep, fd, sa, salen, ep->set->arg);
}

static void
pw_listener_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pw_listener_ep *ep = arg;

	(void)fd;
	(void)what;
	if (ep->lev != NULL && !ep->set->paused)
		evconnlistener_enable(ep->lev);
}

/*
 * Out of descriptors: give up the spare one and accept and close, one
 * at a time, every connection waiting on ep, then take the spare again.
 * Returns false when there was no spare to give.
 */
static bool
pw_listener_shed(struct pw_listener_ep *ep)
{
	struct pw_listener *l = ep->set;
	int fd, lfd = evconnlistener_get_fd(ep->lev);

	if (l->reserve_fd < 0)
		return false;
	if (l->refused++ == 0)
		pw_log_warnx("%s%s: out of file descriptors (%d connections "
		    "open); refusing new connections", l->prefix,
		    ep->endpoint, (int)l->nconns);
	close(l->reserve_fd);
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		close(fd);
		l->refused++;
	}
	l->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return true;
}

/* The endpoint of lev among the started sets, or NULL. */
static struct pw_listener_ep *
pw_listener_find(struct evconnlistener *lev)
{
	struct pw_listener *l;
	size_t i;

	for (l = pw_listener_started; l != NULL; l = l->next)
		for (i = 0; i < l->n; i++)
			if (l->eps[i].lev == lev)
				return &l->eps[i];
	return NULL;
}

static void
pw_listener_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct pw_listener_ep *ep;
	struct timeval tv = { PW_LISTENER_RETRY_MS / 1000,
	    (PW_LISTENER_RETRY_MS % 1000) * 1000 };
	int err = EVUTIL_SOCKET_ERROR();

	(void)arg;	/* evhttp's, for a handed-over listener */
	if ((ep = pw_listener_find(lev)) == NULL) {
		evconnlistener_disable(lev);	/* cannot happen */
		return;
	}
	if ((err == EMFILE || err == ENFILE) &&
	    (ep->set->flags & PW_LISTENER_SHED) && pw_listener_shed(ep))
		return;
	pw_log_warnx("%s%s: accept: %s; pausing for %d ms", ep->set->prefix,
	    ep->endpoint, evutil_socket_error_to_string(err),
	    PW_LISTENER_RETRY_MS);
	evconnlistener_disable(lev);
	evtimer_add(ep->retry, &tv);
}

/* PW_LISTENER_NODELAY: a TCP endpoint's accepted sockets inherit it. */
static void
pw_listener_nodelay(struct pw_listener_ep *ep)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int on = 1;

	if (getsockname(ep->fd, (struct sockaddr *)&ss, &len) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return;
	if (setsockopt(ep->fd, IPPROTO_TCP, TCP_NODELAY, &on,
	    sizeof(on)) < 0)
		pw_log_warn("%s: TCP_NODELAY", ep->endpoint);
}

int
pw_listener_start(struct pw_listener *l, struct event_base *base,
    struct pw_fd_budget *budget, const char *prefix,
    enum pw_listener_full full, int flags, pw_listener_accept_fn *cb,
    void *arg, char *err, size_t errsize)
{
	struct pw_listener_ep *ep;
	size_t i;

	l->base = base;
	l->fds = budget;
	l->prefix = prefix;
	l->full = full;
	l->flags = flags;
	l->cb = cb;
	l->arg = arg;
	l->started = true;
	l->next = pw_listener_started;
	pw_listener_started = l;
	if (flags & PW_LISTENER_SHED)
		l->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < l->n; i++) {
		ep = &l->eps[i];
		if (flags & PW_LISTENER_NODELAY)
			pw_listener_nodelay(ep);
		/* Backlog 0: the socket is listening already. */
		ep->lev = evconnlistener_new(base, cb != NULL ?
		    pw_listener_accept_cb : NULL, ep,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, ep->fd);
		if (ep->lev != NULL)
			ep->fd = -1;	/* the listener's */
		ep->retry = evtimer_new(base, pw_listener_retry_cb, ep);
		if (ep->lev == NULL || ep->retry == NULL) {
			snprintf(err, errsize, "%s: cannot set up listener",
			    ep->endpoint);
			return -1;
		}
		evconnlistener_set_error_cb(ep->lev,
		    pw_listener_accept_error_cb);
	}
	return 0;
}

/* PAUSE: every endpoint stops (stop) or starts again accepting. */
static void
pw_listener_pause(struct pw_listener *l, bool stop)
{
	size_t i;

	l->paused = stop;
	for (i = 0; i < l->n; i++) {
		if (l->eps[i].lev == NULL)
			continue;
		if (stop)
			evconnlistener_disable(l->eps[i].lev);
		else if (!evtimer_pending(l->eps[i].retry, NULL))
			evconnlistener_enable(l->eps[i].lev);
	}
}

bool
pw_listener_admit(struct pw_listener *l, struct pw_listener_ep *ep,
    size_t max, const char *setting)
{
	size_t limit = pw_fd_budget_limit(l->fds, l->nconns, max);

	l->max = max;
	if (l->full == PW_LISTENER_REFUSE && l->nconns >= limit) {
		if (l->refused++ == 0)
			pw_log_warnx("%s%s: connection limit of %zu reached "
			    "(%s); refusing new connections", l->prefix,
			    ep != NULL ? ep->endpoint : "?", limit,
			    limit < max ? "open file limit" : setting);
		return false;
	}
	l->nconns++;
	l->fds->used++;
	if (l->full == PW_LISTENER_PAUSE && !l->paused &&
	    l->nconns >= limit) {
		if (l->pauses++ == 0)
			pw_log_warnx("%s%s%sconnection limit of %zu reached "
			    "(%s); not accepting until connections close",
			    l->prefix, ep != NULL ? ep->endpoint : "",
			    ep != NULL ? ": " : "", limit, limit < max ?
			    "open file limit" : setting);
		pw_listener_pause(l, true);
	}
	return true;
}

bool
pw_listener_recheck(struct pw_listener *l, size_t max)
{
	l->max = max;
	if (l->paused && l->nconns < pw_fd_budget_limit(l->fds, l->nconns,
	    max))
		pw_listener_pause(l, false);
	return l->paused;
}

bool
pw_listener_tick(struct pw_listener *l, size_t max)
{
	if (pw_listener_recheck(l, max))
		return true;
	if (l->pauses == 0)
		return false;
	if (l->pauses != l->pauses_seen) {
		l->pauses_seen = l->pauses;
		return true;	/* paused since the last tick */
	}
	pw_log_notice("%saccepting connections again; paused %lu time%s at "
	    "the connection limit", l->prefix, l->pauses,
	    l->pauses == 1 ? "" : "s");
	l->pauses = l->pauses_seen = 0;
	return false;
}

void
pw_listener_gone(struct pw_listener *l)
{
	l->nconns--;
	l->fds->used--;
	if (l->full == PW_LISTENER_PAUSE) {
		(void)pw_listener_recheck(l, l->max);
		return;
	}
	if (l->refused > 0) {
		pw_log_notice("%saccepting connections again; %lu refused at "
		    "the connection limit", l->prefix, l->refused);
		l->refused = 0;
	}
}

void
pw_listener_close(struct pw_listener *l)
{
	struct pw_listener_ep *ep;
	size_t i;

	for (i = 0; i < l->n; i++) {
		ep = &l->eps[i];
		if (ep->retry != NULL)
			event_del(ep->retry);
		if (ep->lev == NULL)
			continue;
		if (l->cb != NULL)
			evconnlistener_free(ep->lev);
		ep->lev = NULL;
		if (ep->unix_path != NULL && unlink(ep->unix_path) < 0 &&
		    errno != ENOENT)
			pw_log_info("%s: socket not removed: %s; the next "
			    "start replaces it", ep->unix_path,
			    strerror(errno));
	}
}

void
pw_listener_free(struct pw_listener **lp)
{
	struct pw_listener *l = *lp, **pp;
	struct pw_listener_ep *ep;
	size_t i;

	if (l == NULL)
		return;
	*lp = NULL;
	for (pp = &pw_listener_started; *pp != NULL; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	for (i = 0; i < l->n; i++) {
		ep = &l->eps[i];
		if (ep->lev != NULL && l->cb != NULL)
			evconnlistener_free(ep->lev);
		if (ep->retry != NULL)
			event_free(ep->retry);
		if (ep->fd >= 0) {
			close(ep->fd);
			/* Never served: the socket file is this start's. */
			if (!l->started && ep->unix_path != NULL)
				(void)unlink(ep->unix_path);
		}
		free(ep->endpoint);
		free(ep->unix_path);
	}
	free(l->eps);
	if (l->reserve_fd >= 0)
		close(l->reserve_fd);
	free(l);
}
