/*
 * http_server.c -- listeners, limits and routing of the HTTP service
 * (see http_server.h).
 *
 * Exports: http_server_new/reconfigure/stop/free/redis/keyring/reply/
 * reply_405.
 *
 * Threads: the event loop's only.
 * Ownership: the server owns its evhttp (and through it the listening
 * descriptors and the connections); identity and the keyring belong to
 * main.
 *
 * Limits: evhttp refuses a request line and headers beyond
 * http_max_headers_size (the connection is closed) and a body beyond
 * http_max_body (413); http_timeout bounds how long a request may take
 * to arrive and an answer to leave (slowloris), and how long an idle
 * connection stays.  Not yet: a limit on the number of connections
 * counted in the open file budget of lib/fd_budget.h (budget is passed
 * for it).  evhttp 2.1 accepts by itself and tells nothing when a
 * connection closes (a bufferevent filter to count them loses answers:
 * its write callback runs before the socket has sent them), so the limit
 * needs connections accepted here and handed over, which 2.1 does not
 * export; see http/README.md.
 *
 * Routing: by the path of the URI as sent (not decoded): /healthz,
 * /readyz, /metrics, http_unsubscribe_path "/" TOKEN; HEAD is answered
 * as GET without the body (evhttp drops it).  Anything else: 404.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http_common.h"
#include "http_health.h"
#include "http_metrics.h"
#include "http_server.h"
#include "http_unsub.h"
#include "log.h"
#include "xmalloc.h"

struct http_server {
	struct event_base		*base;
	struct evhttp			*http;
	struct policyd_identity		*identity;	/* not owned */
	const struct pw_track_keyring	*keyring;	/* NULL: none */
	char				*unsub_path;	/* a copy */
	struct http_unsub_list		 pending;	/* unsubscribes */
	char				**unix_paths;	/* to remove */
	size_t				 nunix;
	bool				 stopping;
};

void
http_server_reply(struct evhttp_request *req, int code, const char *reason,
    const char *body)
{
	pw_http_common_reply(req, code, reason, NULL, body);
}

void
http_server_reply_405(struct evhttp_request *req, const char *allow)
{
	pw_http_common_reply_405(req, allow);
}

/* evhttp_set_gencb: route by path. */
static void
http_server_route(struct evhttp_request *req, void *arg)
{
	struct http_server *srv = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;

	if (path == NULL)
		http_server_reply(req, 400, "Bad Request", "bad request\n");
	else if (strcmp(path, "/healthz") == 0)
		http_health_live(srv, req);
	else if (strcmp(path, "/readyz") == 0)
		http_health_ready(srv, req);
	else if (strcmp(path, "/metrics") == 0)
		http_metrics_get(srv, req);
	else if (http_unsub_route(srv, req, path, srv->unsub_path))
		;	/* answered */
	else
		http_server_reply(req, 404, "Not Found", "not found\n");
}

void
http_server_reconfigure(struct http_server *srv, const struct pw_conf *conf)
{
	if (srv->http == NULL)
		return;		/* stopped */
	free(srv->unsub_path);
	srv->unsub_path = pw_xstrdup(conf->http_unsubscribe_path);
	pw_http_common_limits(srv->http, conf);
}

struct http_server *
http_server_new(struct event_base *base, struct pw_fd_budget *budget,
    struct policyd_identity *identity, const struct pw_track_keyring *keyring,
    const struct pw_conf *conf, const int *fds, char *const *endpoints,
    size_t n, char *err, size_t errsize)
{
	struct http_server *srv = pw_xcalloc(1, sizeof(*srv));
	size_t i, k;

	srv->base = base;
	(void)budget;
	srv->identity = identity;
	srv->keyring = keyring;
	TAILQ_INIT(&srv->pending);
	if ((srv->http = evhttp_new(base)) == NULL) {
		snprintf(err, errsize, "http: evhttp_new failed");
		for (k = 0; k < n; k++)
			close(fds[k]);
		free(srv);
		return NULL;
	}
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(srv->http, http_server_route, srv);
	http_server_reconfigure(srv, conf);
	for (i = 0; i < n; i++) {
		if (evhttp_accept_socket_with_handle(srv->http, fds[i]) ==
		    NULL) {
			snprintf(err, errsize, "http: %s: cannot set up "
			    "listener", endpoints[i]);
			for (k = i; k < n; k++)
				close(fds[k]);
			http_server_free(&srv);
			return NULL;
		}
		if (strncmp(endpoints[i], "unix:", 5) == 0) {
			srv->unix_paths = pw_xrealloc(srv->unix_paths,
			    (srv->nunix + 1) * sizeof(*srv->unix_paths));
			srv->unix_paths[srv->nunix++] =
			    pw_xstrdup(endpoints[i] + 5);
		}
	}
	return srv;
}

void
http_server_stop(struct http_server *srv)
{
	size_t i;

	if (srv == NULL || srv->stopping)
		return;
	srv->stopping = true;
	/* Free the listeners now; connections go with the server. */
	http_unsub_orphan_all(&srv->pending);
	evhttp_free(srv->http);
	srv->http = NULL;
	for (i = 0; i < srv->nunix; i++)
		(void)unlink(srv->unix_paths[i]);
}

void
http_server_free(struct http_server **srvp)
{
	struct http_server *srv = *srvp;
	size_t i;

	if (srv == NULL)
		return;
	*srvp = NULL;
	srv->stopping = true;
	http_unsub_orphan_all(&srv->pending);
	if (srv->http != NULL)
		evhttp_free(srv->http);
	free(srv->unsub_path);
	for (i = 0; i < srv->nunix; i++)
		free(srv->unix_paths[i]);
	free(srv->unix_paths);
	free(srv);
}

struct http_unsub_list *
http_server_unsub_pending(struct http_server *srv)
{
	return &srv->pending;
}

struct pw_redis_async *
http_server_redis(const struct http_server *srv)
{
	return policyd_identity_redis(srv->identity);
}

const struct pw_track_keyring *
http_server_keyring(const struct http_server *srv)
{
	return srv->keyring;
}
