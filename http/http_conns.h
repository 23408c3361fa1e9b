/*
 * http_conns.h -- the connections evhttp holds for the HTTP service,
 * counted in the open file budget the services of postwarden-policyd
 * share (lib/fd_budget.h) and bounded by http_max_connections: at the
 * bound the http_listen endpoints stop accepting (the kernel backlog
 * holds the rest) until connections close (lib/listener.c,
 * PW_LISTENER_PAUSE); and a connection that takes longer than
 * http_timeout to deliver a whole request (slowloris) is closed.
 *
 * Threads: the event loop's only.
 */
#ifndef HTTP_CONNS_H
#define HTTP_CONNS_H

#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>

#include "http_tls.h"
#include "listener.h"

struct http_conns;

/*
 * Count connections in listener's count, bounded by max
 * (http_max_connections), and give each timeout_ms (http_timeout) to
 * deliver a whole request.  listener must outlive the result.
 */
struct http_conns *http_conns_new(struct event_base *base,
	    struct pw_listener *listener, size_t max, long long timeout_ms);
/*
 * Count the connections of http (evhttp_set_bevcb), speaking TLS with
 * tls when not NULL (it must outlive c).  Twice at most: plain and TLS.
 * http_conns_free comes after evhttp_free(http).
 */
void	http_conns_attach(struct http_conns *c, struct evhttp *http,
	    struct http_tls *tls);
/* A new http_max_connections and http_timeout (SIGHUP). */
void	http_conns_reconfigure(struct http_conns *c, size_t max,
	    long long timeout_ms);
/*
 * evhttp handed req to us (the gencb): its connection waits for the
 * answer, however long the handler takes, and gets http_timeout again
 * for its next request once the answer has left.
 */
void	http_conns_request(struct http_conns *c, struct evhttp_request *req);
/* Connections held now (for tests and /metrics). */
size_t	http_conns_count(const struct http_conns *c);
/* Close what is still held (after evhttp_free) and free c. */
void	http_conns_free(struct http_conns **c);

#endif
