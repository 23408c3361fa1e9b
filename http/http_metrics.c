/*
 * http_metrics.c -- GET /metrics (see http_metrics.h).
 *
 * Exports: http_metrics_get.
 *
 * The whole registry is rendered into one capped buffer (lib/buf.h,
 * HTTP_METRICS_MAX) and handed to evhttp without a copy.  libevent
 * writes at most 16 KB per loop turn by default: 10,000 tenants' text
 * (600 KB) took 37 turns and 10-20 ms on a busy machine, so the
 * connection's bufferevent may write HTTP_METRICS_WRITE at once.  Every series is
 * bounded (lib/metrics.h: max_series per family; per-tenant families by
 * metrics_tenant_limit), so the text is too; a render that does not fit
 * anyway is a 500 and a warning, never a truncated text a scraper would
 * take for the truth.
 *
 * Security: the text holds counters and our own names, and tenant names
 * when metrics_per_tenant = yes: whoever reaches http_listen reads them
 * (keep it on loopback or behind a proxy).  No secret is ever a label.
 */
#include "config.h"

#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "buf.h"
#include "http_metrics.h"
#include "log.h"
#include "metrics.h"
#include "policyd_metrics.h"

/* Largest text served: 10,000 tenants take about 2 MB. */
#define HTTP_METRICS_MAX	(64 * 1024 * 1024)
/* Most bytes one write(2) of the answer may take. */
#define HTTP_METRICS_WRITE	(4 * 1024 * 1024)

/* evbuffer_add_reference's cleanup: the rendered text. */
static void
http_metrics_text_free(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}

void
http_metrics_get(struct http_server *srv, struct evhttp_request *req)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	struct evbuffer *out;
	struct pw_buf text;

	(void)srv;
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		http_server_reply_405(req, "GET, HEAD");
		return;
	}
	pw_buf_init(&text, HTTP_METRICS_MAX);
	if (pw_metrics_render(policyd_metrics_registry(), &text) < 0) {
		pw_log_warnx("http: /metrics: the text exceeds %d bytes",
		    HTTP_METRICS_MAX);
		pw_buf_free(&text);
		http_server_reply(req, 500, "Internal Server Error",
		    "metrics too large\n");
		return;
	}
	if ((out = evbuffer_new()) == NULL)
		pw_log_fatal("http: evbuffer_new failed");
	evhttp_add_header(h, "Content-Type", PW_METRICS_CONTENT_TYPE);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	/* The evbuffer owns the text from here (freed once sent). */
	if (evbuffer_add_reference(out, text.data, text.len,
	    http_metrics_text_free, NULL) < 0)
		pw_log_fatal("http: evbuffer_add_reference failed");
	if ((evcon = evhttp_request_get_connection(req)) != NULL &&
	    (bev = evhttp_connection_get_bufferevent(evcon)) != NULL)
		(void)bufferevent_set_max_single_write(bev,
		    HTTP_METRICS_WRITE);
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}
