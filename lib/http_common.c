/*
 * http_common.c -- the answers and limits both HTTP services share (see
 * http_common.h).
 *
 * Exports: pw_http_common_reply, pw_http_common_reply_405,
 * pw_http_common_limits.
 *
 * Threads: the caller's (the thread of the evhttp's event base).
 * Failures: an evbuffer that cannot be made is fatal (as pw_xmalloc).
 * Security: every answer says nosniff and no-store, and sets no cookie.
 */
#include "config.h"

#include <string.h>
#include <sys/time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http_common.h"
#include "log.h"

void
pw_http_common_reply(struct evhttp_request *req, int code, const char *reason,
    const char *content_type, const char *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evbuffer_new();

	if (out == NULL)
		pw_log_fatal("http: evbuffer_new failed");
	evhttp_add_header(h, "Content-Type", content_type != NULL ?
	    content_type : "text/plain; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evbuffer_add(out, body, strlen(body));
	evhttp_send_reply(req, code, reason, out);
	evbuffer_free(out);
}

void
pw_http_common_reply_405(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
	pw_http_common_reply(req, 405, "Method Not Allowed", NULL,
	    "method not allowed\n");
}

void
pw_http_common_limits(struct evhttp *http, const struct pw_conf *conf)
{
	struct timeval tv = { conf->http_timeout_ms / 1000,
	    (conf->http_timeout_ms % 1000) * 1000 };

	evhttp_set_max_headers_size(http,
	    (ev_ssize_t)conf->http_max_headers_size);
	evhttp_set_max_body_size(http, (ev_ssize_t)conf->http_max_body);
	evhttp_set_timeout_tv(http, &tv);
}
