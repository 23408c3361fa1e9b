/*
 * http_server.h -- the HTTP service of postwarden-policyd (libevent's
 * evhttp): the http_listen sockets main() opened, the limits of
 * postwarden.conf(5) (http_max_headers_size, http_max_body,
 * http_timeout), and the routing of a request to its handler
 * (http_health.c, http_unsub.c).
 *
 * Threads: the event loop's only.
 */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>

#include "conf.h"
#include "fd_budget.h"
#include "http_tls.h"
#include "listener.h"
#include "policyd_identity.h"
#include "track_keyring.h"

struct http_server;
struct http_unsub_list;

/*
 * Serve listener's endpoints (opened by main; owned from now on, even on
 * failure): the first nplain (http_listen) in plain HTTP, the others
 * (http_tls_listen) with TLS through tls (owned by the caller; NULL when
 * there are none), with conf's limits, Redis through identity's
 * connection, and keyring (NULL: not loaded; /readyz says so); budget
 * (policyd's), identity, keyring and tls must outlive the server.  NULL
 * and a message in err on failure.
 */
struct http_server *http_server_new(struct event_base *base,
	    struct pw_fd_budget *budget,
	    struct policyd_identity *identity,
	    const struct pw_track_keyring *keyring,
	    const struct pw_conf *conf, struct pw_listener *listener,
	    size_t nplain, struct http_tls *tls, char *err, size_t errsize);
/*
 * SIGHUP: load conf's TLS certificate and key again; on failure keep the
 * old ones (logged, -1).
 */
int	http_server_reload_tls(struct http_server *srv,
	    const struct pw_conf *conf);
/* Apply the limits of a reloaded configuration. */
void	http_server_reconfigure(struct http_server *srv,
	    const struct pw_conf *conf);
/* Stop accepting; requests in flight are dropped with the server. */
void	http_server_stop(struct http_server *srv);
void	http_server_free(struct http_server **srv);

/* For the handlers: the Redis connection and the keyring (or NULL). */
struct pw_redis_async *http_server_redis(const struct http_server *srv);
const struct pw_track_keyring *http_server_keyring(
	    const struct http_server *srv);

/* For http_unsub.c: its POSTs waiting for Redis. */
struct http_unsub_list *http_server_unsub_pending(struct http_server *srv);

/*
 * Answer req with code and reason, and body as text/plain (utf-8),
 * never cached, with the headers every answer has (no cookies, no
 * redirect).
 */
void	http_server_reply(struct evhttp_request *req, int code,
	    const char *reason, const char *body);
/* 405 with an Allow header naming allow ("GET, HEAD"). */
void	http_server_reply_405(struct evhttp_request *req, const char *allow);

#endif
