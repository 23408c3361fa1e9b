/*
 * http_conns.c -- the connections evhttp holds, counted (see
 * http_conns.h).
 *
 * Exports: http_conns_new/reconfigure/count/free.
 *
 * Threads: the event loop's only.
 *
 * Ownership: evhttp owns its connections (plain, and TLS through
 * http_tls.c's bufferevent_openssl); this file holds one extra
 * reference on each connection's bufferevent (made here, in the bevcb,
 * with BEV_OPT_CLOSE_ON_FREE) from its accept until evhttp lets it go,
 * so that the pointer stays valid however evhttp ends the connection.
 *
 * How a connection is seen (evhttp 2.1 says nothing itself; libevent
 * 2.1.12's http.c and bufferevent.c, read for this):
 *   - evhttp_get_request_connection() calls the bevcb once per accepted
 *     socket, before it makes the evhttp_connection; the bufferevent made
 *     there is the connection's (evhttp_connection_base_bufferevent_new),
 *     its cbarg the evhttp_connection.  The bevcb is where a connection
 *     is counted (pw_listener_admit: at http_max_connections the
 *     listeners stop accepting).
 *   - right after evhttp_get_request returns (an event made active in
 *     the bevcb), the connection's close callback is set
 *     (evhttp_connection_set_closecb on that cbarg).  evhttp calls it
 *     exactly once for an incoming connection: in evhttp_connection_free
 *     (fd set and state "connected", which an incoming connection is
 *     until freed) or in evhttp_connection_reset_ (which then sets the
 *     fd to -1, so the free does not call it again).  There the count
 *     drops and the reference goes: evhttp's bufferevent_free follows,
 *     the bufferevent is finalised in the same loop pass and closes the
 *     socket (BEV_OPT_CLOSE_ON_FREE; evhttp's shutdown(SHUT_WR) comes
 *     before that, on the still open socket).
 *   - a connection freed before its close callback was set (evhttp
 *     failing to make its first request) is found by a sweep: evhttp
 *     sets an event callback on the bufferevent whenever it holds it,
 *     and bufferevent_free() and evhttp_connection_reset_ clear all
 *     three (bufferevent_getcb then gives NULLs).  The sweep runs at each
 *     new connection and every HTTP_CONNS_SWEEP_MS while anything is held
 *     or the service is in a burst at its bound (the other services may
 *     have freed descriptors; the burst's end is logged:
 *     pw_listener_tick).
 * So the count is the descriptors evhttp's connections hold, never fewer.
 *
 * Slow clients: evhttp's timeout (http_timeout) is a read timeout, reset
 * by every byte, so a request trickled a byte at a time would never end.
 * Here a connection gets http_timeout from its accept, or from the end
 * of its last answer, to deliver a whole request (http_conns_request,
 * called when evhttp hands one over; the answer's end:
 * evhttp_request_set_on_complete_cb); past it the sweep frees the
 * connection (evhttp_connection_free, as evhttp does itself on a read
 * error).  Only a connection with no request in our hands is freed that
 * way: evhttp would free such a request with it, under a handler
 * waiting for Redis.
 *
 * Failures: allocation failure exits.
 */
#include "config.h"

#include <stdlib.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/http.h>

#include "clock.h"
#include "http_conns.h"
#include "http_tls.h"
#include "log.h"
#include "policyd_metrics.h"
#include "xmalloc.h"

/* How often the fallback sweep runs while connections are held. */
#define HTTP_CONNS_SWEEP_MS	1000

struct http_conn {
	TAILQ_ENTRY(http_conn)	 entry;
	struct http_conns	*conns;
	struct bufferevent	*bev;		/* one reference ours */
	struct evhttp_connection *evcon;	/* once hooked */
	long long		 since_ms;	/* waiting for a request */
	bool			 busy;		/* a request in our hands */
};

TAILQ_HEAD(http_conn_list, http_conn);

/* An evhttp whose connections are counted here; TLS when tls is set. */
struct http_conns_door {
	struct http_conns	*conns;
	struct http_tls		*tls;		/* not owned */
};

struct http_conns {
	struct event_base	*base;
	struct http_conns_door	 doors[2];	/* plain, TLS */
	size_t			 ndoors;
	struct pw_listener	*listener;	/* the count; not owned */
	struct http_conn_list	 held;
	size_t			 n;
	size_t			 max;		/* http_max_connections */
	long long		 timeout_ms;	/* http_timeout */
	struct event		*hook;		/* after evhttp_get_request */
	struct event		*sweep;		/* the fallback */
};

/* Drop conn: count it out and let its bufferevent (and socket) go. */
static void
http_conns_drop(struct http_conns *c, struct http_conn *conn)
{
	TAILQ_REMOVE(&c->held, conn, entry);
	c->n--;
	policyd_metrics_conn("http", -1);
	bufferevent_decref(conn->bev);
	free(conn);
	pw_listener_gone(c->listener);
}

/* evhttp_connection_set_closecb: evhttp closes the connection. */
static void
http_conns_closed(struct evhttp_connection *evcon, void *arg)
{
	struct http_conn *conn = arg;

	evhttp_connection_set_closecb(evcon, NULL, NULL);
	http_conns_drop(conn->conns, conn);
}

/* Whether evhttp has let bev go (see the file top). */
static bool
http_conns_released(struct bufferevent *bev)
{
	bufferevent_data_cb rd, wr;
	bufferevent_event_cb ev;

	bufferevent_getcb(bev, &rd, &wr, &ev, NULL);
	return rd == NULL && wr == NULL && ev == NULL;
}

static void
http_conns_arm(struct http_conns *c)
{
	struct timeval tv = { HTTP_CONNS_SWEEP_MS / 1000,
	    (HTTP_CONNS_SWEEP_MS % 1000) * 1000 };

	if (!evtimer_pending(c->sweep, NULL))
		evtimer_add(c->sweep, &tv);
}

/* Drop what evhttp let go without telling; resume when there is room. */
static void
http_conns_sweep(struct http_conns *c)
{
	struct http_conn *conn, *next;
	long long now = pw_clock_ms();

	for (conn = TAILQ_FIRST(&c->held); conn != NULL; conn = next) {
		next = TAILQ_NEXT(conn, entry);
		if (http_conns_released(conn->bev))
			http_conns_drop(c, conn);
		else if (conn->evcon != NULL && !conn->busy &&
		    now - conn->since_ms > c->timeout_ms)
			/* Calls http_conns_closed: conn goes. */
			evhttp_connection_free(conn->evcon);
	}
	(void)pw_listener_recheck(c->listener, c->max);
}

static void
http_conns_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conns *c = arg;

	(void)fd;
	(void)what;
	http_conns_sweep(c);
	if (pw_listener_tick(c->listener, c->max) || c->n > 0)
		http_conns_arm(c);
}

/* Set the close callback of the connections made since the last run. */
static void
http_conns_hook_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conns *c = arg;
	struct http_conn *conn, *next;
	void *evcon;

	(void)fd;
	(void)what;
	for (conn = TAILQ_FIRST(&c->held); conn != NULL; conn = next) {
		next = TAILQ_NEXT(conn, entry);
		if (conn->evcon != NULL)
			continue;
		if (http_conns_released(conn->bev)) {
			http_conns_drop(c, conn);
			continue;
		}
		bufferevent_getcb(conn->bev, NULL, NULL, NULL, &evcon);
		conn->evcon = evcon;
		evhttp_connection_set_closecb(evcon, http_conns_closed, conn);
	}
}

/* evhttp_set_bevcb: a connection was accepted; its bufferevent. */
static struct bufferevent *
http_conns_bevcb(struct event_base *base, void *arg)
{
	struct http_conns_door *door = arg;
	struct http_conns *c = door->conns;
	struct http_conn *conn;
	struct bufferevent *bev;

	http_conns_sweep(c);
	if (door->tls != NULL)
		bev = http_tls_bufferevent(door->tls, base);
	else if ((bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		pw_log_fatal("http: bufferevent_socket_new: out of memory");
	bufferevent_incref(bev);
	conn = pw_xcalloc(1, sizeof(*conn));
	conn->conns = c;
	conn->bev = bev;
	conn->since_ms = pw_clock_ms();
	TAILQ_INSERT_TAIL(&c->held, conn, entry);
	c->n++;
	policyd_metrics_conn("http", 1);
	(void)pw_listener_admit(c->listener, NULL, c->max,
	    "http_max_connections");
	event_active(c->hook, EV_TIMEOUT, 0);
	http_conns_arm(c);
	return bev;
}

/* evhttp_request_set_on_complete_cb: the answer has left. */
static void
http_conns_answered(struct evhttp_request *req, void *arg)
{
	struct http_conn *conn = arg;

	(void)req;
	conn->busy = false;
	conn->since_ms = pw_clock_ms();
}

void
http_conns_request(struct http_conns *c, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	struct http_conn *conn;

	if (evcon == NULL)
		return;
	bev = evhttp_connection_get_bufferevent(evcon);
	TAILQ_FOREACH(conn, &c->held, entry)
		if (conn->bev == bev) {
			conn->busy = true;
			evhttp_request_set_on_complete_cb(req,
			    http_conns_answered, conn);
			return;
		}
}

struct http_conns *
http_conns_new(struct event_base *base, struct pw_listener *listener,
    size_t max, long long timeout_ms)
{
	struct http_conns *c = pw_xcalloc(1, sizeof(*c));

	c->base = base;
	c->listener = listener;
	c->max = max;
	c->timeout_ms = timeout_ms;
	TAILQ_INIT(&c->held);
	c->hook = event_new(base, -1, 0, http_conns_hook_cb, c);
	c->sweep = evtimer_new(base, http_conns_sweep_cb, c);
	if (c->hook == NULL || c->sweep == NULL)
		pw_log_fatal("http: event_new: out of memory");
	return c;
}

void
http_conns_attach(struct http_conns *c, struct evhttp *http,
    struct http_tls *tls)
{
	struct http_conns_door *door = &c->doors[c->ndoors++];

	door->conns = c;
	door->tls = tls;
	evhttp_set_bevcb(http, http_conns_bevcb, door);
}

void
http_conns_reconfigure(struct http_conns *c, size_t max,
    long long timeout_ms)
{
	c->max = max;
	c->timeout_ms = timeout_ms;
	(void)pw_listener_recheck(c->listener, max);
	http_conns_arm(c);
}

size_t
http_conns_count(const struct http_conns *c)
{
	return c->n;
}

void
http_conns_free(struct http_conns **cp)
{
	struct http_conns *c = *cp;
	struct http_conn *conn;

	if (c == NULL)
		return;
	*cp = NULL;
	while ((conn = TAILQ_FIRST(&c->held)) != NULL)
		http_conns_drop(c, conn);
	event_free(c->hook);
	event_free(c->sweep);
	free(c);
}
