/*
 * milter_http.c -- the HTTP thread of postwarden-milter (see
 * milter_http.h).
 *
 * Exports: milter_http_start, milter_http_reconfigure, milter_http_stop.
 *
 * Threads: one thread runs the event base, its evhttp and every handler;
 * main's thread talks to it through a pipe only ('r': reconfigure, 'q':
 * stop), so no libevent object is touched by two threads and libevent
 * needs no locking.  No handler blocks: /readyz reads what the
 * readiness checker's own asynchronous Redis connection on this loop
 * knows (milter_ready.c), so /healthz answering shows the thread alive.
 *
 * Ownership: the thread's objects (event base, evhttp, the listeners
 * and connections through it, the readiness checker) are made by start
 * and freed by the thread when it leaves its loop; the struct is freed
 * by stop after the join.
 *
 * Connections: the thread's descriptors are the milter's too (libmilter
 * accepts Postfix in the same process), so it holds at most
 * MILTER_HTTP_CONNS_MAX (http_max_connections, and never more than a
 * quarter of the open file limit) at once.  Each accepted connection's
 * bufferevent is made here (evhttp_set_bevcb) with one reference of
 * ours, and counted until evhttp lets it go (its callbacks cleared:
 * http/http_conns.c says why that tells); a sweep at each accept and
 * every MILTER_HTTP_SWEEP_MS while any is held drops those.  At the
 * bound, or on an accept() error (EMFILE), the listeners are disabled
 * (clients wait in the backlog) until the sweep finds room.  evhttp's
 * http_timeout is a read timeout that every byte resets, so the sweep
 * also frees (evhttp_connection_free, the bufferevent's cbarg while
 * evhttp holds it) a connection that has not delivered a whole request
 * within http_timeout of its accept or its last request, unless an
 * answer is still being written (handlers answer at once).
 *
 * Routing: by the path as sent: /healthz, /readyz, /metrics, GET and HEAD
 * only (405 otherwise); anything else 404.  Limits: lib/http_common.c,
 * applied again on reconfigure.
 *
 * Failures: a thread that cannot be made is a start-up error; a write to
 * the pipe that fails (impossible while the thread lives) is logged.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "clock.h"
#include "daemon.h"
#include "http_common.h"
#include "log.h"
#include "metrics.h"
#include "milter_events.h"
#include "milter_http.h"
#include "milter_metrics.h"
#include "milter_msg.h"
#include "milter_ready.h"
#include "runtime.h"
#include "xmalloc.h"

/* How often held connections are looked at, and a paused listener. */
#define MILTER_HTTP_SWEEP_MS	1000

/* A connection's bufferevent, one reference ours, until evhttp drops it. */
struct milter_http_conn {
	TAILQ_ENTRY(milter_http_conn)	 entry;
	struct bufferevent		*bev;
	long long			 since_ms;	/* accept, request */
};

TAILQ_HEAD(milter_http_conns, milter_http_conn);

struct milter_http {
	pthread_t		 tid;
	int			 ctl[2];	/* main writes [1], thread reads */
	struct event_base	*base;
	struct evhttp		*http;
	struct event		*ctl_ev;
	struct milter_ready	*ready;
	char			**unix_paths;	/* to remove at stop */
	size_t			 nunix;
	struct evconnlistener	**levs;		/* evhttp's, not owned */
	size_t			 nlevs;
	struct milter_http_conns held;
	size_t			 nheld;
	size_t			 max;		/* connections at once */
	long long		 timeout_ms;	/* http_timeout */
	bool			 paused;	/* listeners disabled */
	struct event		*sweep;
};

/* The accept error callback gets evhttp's argument: the one instance. */
static struct milter_http *milter_http_self;

/* http_max_connections, at most a quarter of the open file limit. */
static size_t
milter_http_max(const struct pw_conf *conf)
{
	struct rlimit rl;
	size_t max = (size_t)conf->http_max_connections;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 4 < max)
		max = rl.rlim_cur / 4 > 0 ? (size_t)(rl.rlim_cur / 4) : 1;
	return max;
}

static void
milter_http_listen_all(struct milter_http *h, bool on)
{
	size_t i;

	if (h->paused == !on)
		return;
	h->paused = !on;
	for (i = 0; i < h->nlevs; i++)
		if (on)
			(void)evconnlistener_enable(h->levs[i]);
		else
			(void)evconnlistener_disable(h->levs[i]);
}

static void
milter_http_arm(struct milter_http *h)
{
	struct timeval tv = { MILTER_HTTP_SWEEP_MS / 1000,
	    (MILTER_HTTP_SWEEP_MS % 1000) * 1000 };

	if (!evtimer_pending(h->sweep, NULL))
		evtimer_add(h->sweep, &tv);
}

/* Drop what evhttp let go; listen again when there is room. */
static void
milter_http_sweep(struct milter_http *h)
{
	struct milter_http_conn *c, *next;
	bufferevent_data_cb rd, wr;
	bufferevent_event_cb ev;
	long long now = pw_clock_ms();
	void *evcon;

	for (c = TAILQ_FIRST(&h->held); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		bufferevent_getcb(c->bev, &rd, &wr, &ev, &evcon);
		if ((rd != NULL || wr != NULL || ev != NULL) &&
		    now - c->since_ms > h->timeout_ms &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
			/* Too slow: evhttp frees it, the callbacks go. */
			evhttp_connection_free(evcon);
			bufferevent_getcb(c->bev, &rd, &wr, &ev, NULL);
		}
		if (rd != NULL || wr != NULL || ev != NULL)
			continue;
		TAILQ_REMOVE(&h->held, c, entry);
		h->nheld--;
		bufferevent_decref(c->bev);	/* closes its socket */
		free(c);
	}
	if (h->paused && h->nheld < h->max)
		milter_http_listen_all(h, true);
}

static void
milter_http_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct milter_http *h = arg;

	(void)fd;
	(void)what;
	milter_http_sweep(h);
	if (h->nheld > 0 || h->paused)
		milter_http_arm(h);
}

/* evhttp_set_bevcb: a connection was accepted; its bufferevent. */
static struct bufferevent *
milter_http_bevcb(struct event_base *base, void *arg)
{
	struct milter_http *h = arg;
	struct milter_http_conn *c;
	struct bufferevent *bev;

	milter_http_sweep(h);
	if ((bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		pw_log_fatal("http: bufferevent_socket_new: out of memory");
	bufferevent_incref(bev);
	c = pw_xcalloc(1, sizeof(*c));
	c->bev = bev;
	c->since_ms = pw_clock_ms();
	TAILQ_INSERT_TAIL(&h->held, c, entry);
	if (++h->nheld >= h->max)
		milter_http_listen_all(h, false);
	milter_http_arm(h);
	return bev;
}

/* An accept() error (EMFILE...): pause rather than spin on it. */
static void
milter_http_accept_error(struct evconnlistener *lev, void *arg)
{
	struct milter_http *h = milter_http_self;
	int err = EVUTIL_SOCKET_ERROR();

	(void)lev;
	(void)arg;
	if (h == NULL)
		return;
	if (!h->paused)
		pw_log_warnx("http: accept: %s; not accepting for %d ms "
		    "(%zu connections held)", evutil_socket_error_to_string(err),
		    MILTER_HTTP_SWEEP_MS, h->nheld);
	milter_http_listen_all(h, false);
	milter_http_arm(h);
}

/* GET and HEAD only; 0, or -1 after answering 405. */
static int
milter_http_method(struct evhttp_request *req)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);

	if (m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD)
		return 0;
	pw_http_common_reply_405(req, "GET, HEAD");
	return -1;
}

static void
milter_http_ready(struct milter_http *h, struct evhttp_request *req)
{
	char body[512];

	if (milter_ready_check(h->ready, body, sizeof(body)))
		pw_http_common_reply(req, 200, "OK", NULL, body);
	else
		pw_http_common_reply(req, 503, "Service Unavailable", NULL,
		    body);
}

static void
milter_http_metrics(struct evhttp_request *req)
{
	struct milter_events_stats ev;
	char *text;

	if (milter_events_daemon != NULL)
		milter_events_stats(milter_events_daemon, &ev);
	text = milter_metrics_render(milter_events_daemon != NULL ? &ev :
	    NULL, milter_msg_in_flight());

	if (text == NULL) {
		pw_http_common_reply(req, 500, "Internal Server Error", NULL,
		    "metrics: the text passed its cap\n");
		return;
	}
	pw_http_common_reply(req, 200, "OK", PW_METRICS_CONTENT_TYPE, text);
	free(text);
}

/* evhttp_set_gencb: route by path. */
static void
milter_http_route(struct evhttp_request *req, void *arg)
{
	struct milter_http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon != NULL ?
	    evhttp_connection_get_bufferevent(evcon) : NULL;
	struct milter_http_conn *c;

	/* A whole request: the connection's time starts again. */
	TAILQ_FOREACH(c, &h->held, entry)
		if (c->bev == bev) {
			c->since_ms = pw_clock_ms();
			break;
		}
	if (path == NULL)
		pw_http_common_reply(req, 400, "Bad Request", NULL,
		    "bad request\n");
	else if (strcmp(path, "/healthz") != 0 &&
	    strcmp(path, "/readyz") != 0 && strcmp(path, "/metrics") != 0)
		pw_http_common_reply(req, 404, "Not Found", NULL,
		    "not found\n");
	else if (milter_http_method(req) < 0)
		;	/* answered */
	else if (strcmp(path, "/healthz") == 0)
		pw_http_common_reply(req, 200, "OK", NULL, "ok\n");
	else if (strcmp(path, "/readyz") == 0)
		milter_http_ready(h, req);
	else
		milter_http_metrics(req);
}

/* The current snapshot's limits; a new Redis handle for the next probe. */
static void
milter_http_apply(struct milter_http *h)
{
	struct pw_runtime *rt = pw_runtime_current();

	if (rt != NULL) {
		pw_http_common_limits(h->http, rt->conf);
		h->max = milter_http_max(rt->conf);
		h->timeout_ms = rt->conf->http_timeout_ms;
		if (h->nheld >= h->max)
			milter_http_listen_all(h, false);
		milter_http_arm(h);
	}
	pw_runtime_release(&rt);
	milter_ready_reset(h->ready);
}

/* The control pipe: 'r' reconfigure, 'q' (or a closed pipe) stop. */
static void
milter_http_ctl(evutil_socket_t fd, short what, void *arg)
{
	struct milter_http *h = arg;
	char c;
	ssize_t n;

	(void)what;
	while ((n = read(fd, &c, 1)) == 1) {
		if (c == 'r')
			milter_http_apply(h);
		else
			break;
	}
	if (n == 0 || (n == 1 && c != 'r') ||
	    (n < 0 && errno != EAGAIN && errno != EINTR))
		event_base_loopbreak(h->base);
}

static void *
milter_http_run(void *arg)
{
	struct milter_http *h = arg;

	struct milter_http_conn *c;

	if (event_base_dispatch(h->base) < 0)
		pw_log_error("http: event loop failed");
	evhttp_free(h->http);	/* listeners and connections */
	h->http = NULL;
	while ((c = TAILQ_FIRST(&h->held)) != NULL) {
		TAILQ_REMOVE(&h->held, c, entry);
		bufferevent_decref(c->bev);
		free(c);
	}
	event_free(h->sweep);
	milter_ready_free(&h->ready);
	event_free(h->ctl_ev);
	event_base_free(h->base);
	h->base = NULL;
	return NULL;
}

/* Free what start made before the thread ran; close fds[from..n). */
static void
milter_http_undo(struct milter_http *h, const int *fds, size_t from,
    size_t n)
{
	size_t i;

	for (i = from; i < n; i++)
		close(fds[i]);
	if (h->http != NULL)
		evhttp_free(h->http);
	milter_ready_free(&h->ready);
	if (h->ctl_ev != NULL)
		event_free(h->ctl_ev);
	if (h->sweep != NULL)
		event_free(h->sweep);
	if (h->base != NULL)
		event_base_free(h->base);
	if (h->ctl[0] >= 0)
		close(h->ctl[0]);
	if (h->ctl[1] >= 0)
		close(h->ctl[1]);
	for (i = 0; i < h->nunix; i++)
		free(h->unix_paths[i]);
	free(h->unix_paths);
	free(h->levs);
	free(h);
}

struct milter_http *
milter_http_start(const struct pw_conf *conf, const int *fds,
    char *const *endpoints, size_t n, char *err, size_t errsize)
{
	struct milter_http *h = pw_xcalloc(1, sizeof(*h));
	struct evhttp_bound_socket *bound;
	struct evconnlistener *lev;
	size_t i;

	h->ctl[0] = h->ctl[1] = -1;
	TAILQ_INIT(&h->held);
	h->max = milter_http_max(conf);
	h->timeout_ms = conf->http_timeout_ms;
	if (pipe2(h->ctl, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    (h->base = event_base_new()) == NULL ||
	    (h->http = evhttp_new(h->base)) == NULL ||
	    (h->ctl_ev = event_new(h->base, h->ctl[0], EV_READ | EV_PERSIST,
	    milter_http_ctl, h)) == NULL || event_add(h->ctl_ev, NULL) < 0 ||
	    (h->sweep = evtimer_new(h->base, milter_http_sweep_cb, h)) ==
	    NULL) {
		snprintf(err, errsize, "http: cannot set up the event loop");
		milter_http_undo(h, fds, 0, n);
		return NULL;
	}
	h->ready = milter_ready_new(h->base);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(h->http, milter_http_route, h);
	evhttp_set_bevcb(h->http, milter_http_bevcb, h);
	pw_http_common_limits(h->http, conf);
	h->levs = pw_xcalloc(n + 1, sizeof(*h->levs));
	for (i = 0; i < n; i++) {
		if ((bound = evhttp_accept_socket_with_handle(h->http,
		    fds[i])) == NULL) {
			snprintf(err, errsize, "http: %s: cannot set up "
			    "listener", endpoints[i]);
			milter_http_undo(h, fds, i, n);
			return NULL;
		}
		lev = evhttp_bound_socket_get_listener(bound);
		evconnlistener_set_error_cb(lev, milter_http_accept_error);
		h->levs[h->nlevs++] = lev;
		if (strncmp(endpoints[i], "unix:", 5) == 0) {
			h->unix_paths = pw_xrealloc(h->unix_paths,
			    (h->nunix + 1) * sizeof(*h->unix_paths));
			h->unix_paths[h->nunix++] =
			    pw_xstrdup(endpoints[i] + 5);
		}
	}
	milter_http_self = h;
	if (pw_daemon_thread(&h->tid, milter_http_run, h) != 0) {
		milter_http_self = NULL;
		snprintf(err, errsize, "http: cannot start its thread");
		milter_http_undo(h, fds, n, n);
		return NULL;
	}
	return h;
}

/* Tell the thread c; logged if the pipe refuses (full: 'r' is pending). */
static void
milter_http_tell(struct milter_http *h, char c)
{
	if (write(h->ctl[1], &c, 1) != 1 && errno != EAGAIN)
		pw_log_warn("http: cannot reach the HTTP thread");
}

void
milter_http_reconfigure(struct milter_http *h)
{
	if (h != NULL)
		milter_http_tell(h, 'r');
}

void
milter_http_stop(struct milter_http **hp)
{
	struct milter_http *h = *hp;
	size_t i;

	if (h == NULL)
		return;
	*hp = NULL;
	/* Closing the write end stops the thread even if 'q' cannot fit. */
	milter_http_tell(h, 'q');
	close(h->ctl[1]);
	pthread_join(h->tid, NULL);
	milter_http_self = NULL;
	close(h->ctl[0]);
	for (i = 0; i < h->nunix; i++) {
		(void)unlink(h->unix_paths[i]);
		free(h->unix_paths[i]);
	}
	free(h->unix_paths);
	free(h->levs);
	free(h);
}
