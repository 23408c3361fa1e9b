/*
 * policyd_conn.c -- one Postfix connection (see policyd_conn.h).
 *
 * Exports: policyd_conn_new/free/shutdown/answer.
 *
 * Threads: the event loop's only.
 *
 * Ownership: the server list holds every connection; a connection owns
 * its bufferevent (and socket), parser and queue.  A pending request is
 * owned by the queue until answered, or by whoever completes the decision
 * once orphaned.
 *
 * States: reading requests; paused (too many pending requests or reply
 * bytes the peer has not taken: reading stops, data waits in the input
 * buffer); closing (no more requests: after a malformed one, end of file,
 * or shutdown); it is freed once closing, nothing is pending and every
 * reply has been written.  Idle time is bounded both ways by
 * policyd_idle_timeout (bufferevent read/write timeouts); a read timeout
 * while decisions are pending is not idleness and is ignored.  Each byte
 * resets the idle timer, so a request is also bounded as a whole: the
 * deadline timer starts at its first byte and is not moved by later ones;
 * policyd_request_timeout after it, an incomplete request is logged and
 * the connection closed like one with malformed input.
 *
 * Failures: malformed input is logged with the peer text escaped and the
 * connection closed without an answer for it; earlier requests are still
 * answered.  Socket errors close at once.
 *
 * Security: input is bounded by the parser; output by
 * POLICYD_CONN_MAX_OUTPUT per connection (then reading pauses).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "log.h"
#include "policyd_conn.h"
#include "policyd_decide.h"
#include "policyd_metrics.h"
#include "policyd_server.h"
#include "xmalloc.h"

/* Escaped peer text quoted in a log line. */
#define POLICYD_CONN_LOG_MAX	128

static void policyd_conn_read_cb(struct bufferevent *, void *);
static void policyd_conn_write_cb(struct bufferevent *, void *);
static void policyd_conn_event_cb(struct bufferevent *, short, void *);
static void policyd_conn_settle(struct policyd_conn *);
static void policyd_conn_deadline_cb(evutil_socket_t, short, void *);

struct policyd_conn *
policyd_conn_new(struct policyd_server *srv, evutil_socket_t fd,
    const char *peer, unsigned long id, const struct pw_runtime *rt)
{
	struct policyd_conn *c = pw_xcalloc(1, sizeof(*c));
	struct policyd_proto_limits lim;
	struct timeval tv;

	c->srv = srv;
	c->id = id;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	TAILQ_INIT(&c->pending);
	lim.max_line = (size_t)rt->conf->policyd_max_line_length;
	lim.max_request = (size_t)rt->conf->policyd_max_request_size;
	lim.max_attrs = (size_t)rt->conf->policyd_max_attributes;
	policyd_proto_init(&c->parser, &lim);
	c->request_ms = rt->conf->policyd_request_timeout_ms;
	if ((c->deadline = evtimer_new(srv->base, policyd_conn_deadline_cb,
	    c)) == NULL)
		pw_log_fatal("evtimer_new: out of memory");

	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		pw_log_fatal("bufferevent_socket_new: out of memory");
	bufferevent_setcb(c->bev, policyd_conn_read_cb, policyd_conn_write_cb,
	    policyd_conn_event_cb, c);
	tv.tv_sec = rt->conf->policyd_idle_timeout_ms / 1000;
	tv.tv_usec = (rt->conf->policyd_idle_timeout_ms % 1000) * 1000;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->reading = true;
	pw_log_debug("connect from %s (connection %lu)", c->peer, c->id);
	policyd_metrics_conn("policy", 1);
	return c;
}

/* Free a pending request that nobody will answer through a queue. */
static void
policyd_conn_pending_free(struct policyd_pending *p)
{
	policyd_request_free(&p->req);
	pw_runtime_release(&p->rt);
	free(p->action);
	free(p);
}

void
policyd_conn_free(struct policyd_conn **cp)
{
	struct policyd_conn *c = *cp;
	struct policyd_pending *p;

	if (c == NULL)
		return;
	*cp = NULL;
	while ((p = TAILQ_FIRST(&c->pending)) != NULL) {
		TAILQ_REMOVE(&c->pending, p, entry);
		if (p->action != NULL) {
			policyd_conn_pending_free(p);
		} else {
			/* Its decision is running; it frees p when done. */
			p->conn = NULL;
		}
	}
	pw_log_debug("disconnect from %s (connection %lu)", c->peer, c->id);
	policyd_metrics_conn("policy", -1);
	event_free(c->deadline);
	policyd_decide_conn_gone(c);
	bufferevent_free(c->bev);
	policyd_proto_free(&c->parser);
	policyd_server_conn_gone(c->srv, c);
	free(c);
}

/* Stop reading requests; free once everything queued is answered. */
static void
policyd_conn_close_soon(struct policyd_conn *c)
{
	c->closing = true;
	event_del(c->deadline);
	if (c->reading) {
		bufferevent_disable(c->bev, EV_READ);
		c->reading = false;
	}
}

/* True when reading should pause: the peer is not keeping up. */
static bool
policyd_conn_full(const struct policyd_conn *c)
{
	return c->npending >= POLICYD_CONN_MAX_PENDING ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) >=
	    POLICYD_CONN_MAX_OUTPUT;
}

/* Log a malformed request with the line it broke on. */
static void
policyd_conn_malformed(struct policyd_conn *c, const char *why)
{
	char esc[POLICYD_CONN_LOG_MAX];
	const struct pw_buf *line = &c->parser.line;

	if (line->len > 0) {
		pw_log_escape(esc, sizeof(esc), line->data, line->len);
		pw_log_warnx("malformed request from %s: %s: \"%s\"", c->peer,
		    why, esc);
	} else {
		pw_log_warnx("malformed request from %s: %s", c->peer, why);
	}
}

/* Queue a complete request and start its decision. */
static void
policyd_conn_enqueue(struct policyd_conn *c, struct policyd_request *req)
{
	struct policyd_pending *p = pw_xcalloc(1, sizeof(*p));

	p->conn = c;
	p->req = req;
	if ((p->rt = pw_runtime_current()) == NULL)
		pw_log_fatal("no configuration published");
	TAILQ_INSERT_TAIL(&c->pending, p, entry);
	c->npending++;
	policyd_decide(p);
}

/*
 * Parse what the input buffer holds and queue the requests found, until
 * it is empty, the connection is full or closing.  May free c.
 */
static void
policyd_conn_process(struct policyd_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct policyd_request *req;
	struct evbuffer_iovec v;
	const char *why = NULL;
	size_t used;
	int ret;

	c->processing = true;
	while (!c->closing && !policyd_conn_full(c)) {
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			break;
		ret = policyd_proto_feed(&c->parser, v.iov_base, v.iov_len,
		    &used, &req, &why);
		if (ret < 0) {
			policyd_conn_malformed(c, why);
			evbuffer_drain(in, evbuffer_get_length(in));
			policyd_conn_close_soon(c);
			break;
		}
		evbuffer_drain(in, used);
		if (ret == 1) {
			event_del(c->deadline);
			policyd_conn_enqueue(c, req);
			if (c->stopping)
				policyd_conn_close_soon(c);
		}
	}
	/* The first byte of a request starts its deadline. */
	if (!c->closing && policyd_proto_busy(&c->parser) &&
	    !evtimer_pending(c->deadline, NULL)) {
		struct timeval tv = { c->request_ms / 1000,
		    (c->request_ms % 1000) * 1000 };

		evtimer_add(c->deadline, &tv);
	}
	c->processing = false;
	policyd_conn_settle(c);
}

/* A request was not complete within policyd_request_timeout. */
static void
policyd_conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct policyd_conn *c = arg;

	pw_log_warnx("request timeout: %s did not complete a request within "
	    "%d ms (policyd_request_timeout); closing connection %lu",
	    c->peer, c->request_ms, c->id);
	/* What came before is still answered; this request never is. */
	policyd_conn_close_soon(c);
	policyd_conn_settle(c);
}

/*
 * Bring reading in line with the state and free c when it is done: call
 * after anything that may have changed the queue or the output.
 */
static void
policyd_conn_settle(struct policyd_conn *c)
{
	struct evbuffer *in, *out;

	if (c->processing)
		return;
	out = bufferevent_get_output(c->bev);
	if (c->closing) {
		if (TAILQ_EMPTY(&c->pending) && evbuffer_get_length(out) == 0)
			policyd_conn_free(&c);
		return;
	}
	if (policyd_conn_full(c)) {
		if (c->reading) {
			bufferevent_disable(c->bev, EV_READ);
			c->reading = false;
		}
		return;
	}
	if (!c->reading) {
		bufferevent_enable(c->bev, EV_READ);
		c->reading = true;
		/* Data that arrived while paused raises no read event. */
		in = bufferevent_get_input(c->bev);
		if (evbuffer_get_length(in) > 0)
			policyd_conn_process(c);
	}
}

void
policyd_conn_answer(struct policyd_pending *p, const char *action)
{
	struct policyd_conn *c = p->conn;
	struct evbuffer *out;
	size_t i;

	if (c == NULL) {
		policyd_conn_pending_free(p);
		return;
	}
	p->action = pw_xstrdup(action);
	/* The reply is one line: never let a newline split it. */
	for (i = 0; p->action[i] != '\0'; i++)
		if (p->action[i] == '\n' || p->action[i] == '\r')
			p->action[i] = ' ';
	out = bufferevent_get_output(c->bev);
	while ((p = TAILQ_FIRST(&c->pending)) != NULL && p->action != NULL) {
		TAILQ_REMOVE(&c->pending, p, entry);
		c->npending--;
		evbuffer_add_printf(out, "action=%s\n\n", p->action);
		policyd_conn_pending_free(p);
	}
	policyd_conn_settle(c);
}

void
policyd_conn_shutdown(struct policyd_conn *c)
{
	c->stopping = true;
	/* A request half read is in flight: let it finish. */
	if (!policyd_proto_busy(&c->parser))
		policyd_conn_close_soon(c);
	policyd_conn_settle(c);
}

static void
policyd_conn_read_cb(struct bufferevent *bev, void *arg)
{
	policyd_conn_process(arg);
}

static void
policyd_conn_write_cb(struct bufferevent *bev, void *arg)
{
	/* The output buffer drained (low watermark 0). */
	policyd_conn_settle(arg);
}

static void
policyd_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct policyd_conn *c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		c->peer_gone = true;	/* Postfix closed it */
	if (what & BEV_EVENT_EOF) {
		if (policyd_proto_busy(&c->parser))
			pw_log_debug("%s: connection closed in mid-request",
			    c->peer);
		/* The peer may still read the answers it is owed. */
		c->reading = false;
		policyd_conn_close_soon(c);
		policyd_conn_settle(c);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    !TAILQ_EMPTY(&c->pending)) {
		/* Waiting for our own decision is not idleness. */
		bufferevent_enable(c->bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		pw_log_debug("%s: idle timeout (connection %lu)", c->peer,
		    c->id);
	else if (what & BEV_EVENT_ERROR)
		pw_log_debug("%s: connection error: %s", c->peer,
		    evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
	policyd_conn_free(&c);
}
