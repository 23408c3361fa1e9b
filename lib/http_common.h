/*
 * http_common.h -- what the two HTTP services share (libevent's evhttp):
 * postwarden-policyd's (http/http_server.c) and postwarden-milter's
 * (milter/milter_http.c).  The plain answers every handler sends, and
 * the limits of postwarden.conf(5) on an evhttp (http_max_headers_size,
 * http_max_body, http_timeout: one set for both services).
 *
 * Exports: pw_http_common_reply, pw_http_common_reply_405,
 * pw_http_common_limits.
 *
 * Threads: the thread that runs the evhttp's event base.
 */
#ifndef PW_HTTP_COMMON_H
#define PW_HTTP_COMMON_H

#include <event2/http.h>

#include "conf.h"

/*
 * Answer req with code and reason, and body (NUL-terminated) as
 * content_type (NULL: "text/plain; charset=utf-8"), never cached, with
 * no cookie and no redirect.
 */
void	pw_http_common_reply(struct evhttp_request *req, int code,
	    const char *reason, const char *content_type, const char *body);
/* 405 with an Allow header naming allow ("GET, HEAD"). */
void	pw_http_common_reply_405(struct evhttp_request *req,
	    const char *allow);
/*
 * Apply conf's http_max_headers_size, http_max_body and http_timeout to
 * http: a request line and headers beyond the first close the
 * connection, a body beyond the second is 413, the third bounds how long
 * a request may take to arrive, an answer to leave and an idle
 * connection to stay (slowloris).
 */
void	pw_http_common_limits(struct evhttp *http, const struct pw_conf *conf);

#endif
