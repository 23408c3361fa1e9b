/*
 * http_server.c -- listeners, limits and routing of the HTTP service
 * (see http_server.h).
 *
 * Exports: http_server_new/reconfigure/reload_tls/stop/free/redis/
 * keyring/reply/reply_405.
 *
 * Threads: the event loop's only.
 * Ownership: the server owns its evhttps, one for http_listen and one for
 * http_tls_listen (whose bufferevents speak TLS: http_tls.c), and
 * through them the listening descriptors and the connections; identity,
 * the keyring and the TLS context belong to main.
 *
 * Limits: evhttp refuses a request line and headers beyond
 * http_max_headers_size (the connection is closed) and a body beyond
 * http_max_body (413); http_timeout bounds how long a request may take
 * to arrive and an answer to leave (slowloris), and how long an idle
 * connection stays.  http_max_connections bounds the connections held,
 * counted in the open file budget of lib/fd_budget.h (http_conns.c; at
 * the bound the listeners pause, lib/listener.c), and gives each
 * http_timeout to deliver a whole request (a read timeout alone lets a
 * request trickled a byte at a time live for ever).
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
#include "http_conns.h"
#include "http_health.h"
#include "http_tls.h"
#include "http_metrics.h"
#include "http_server.h"
#include "http_unsub.h"
#include "listener.h"
#include "log.h"
#include "xmalloc.h"

struct http_server {
	struct event_base		*base;
	struct evhttp			*http;		/* http_listen */
	struct evhttp			*https;		/* http_tls_listen */
	struct http_tls			*tls;		/* NULL: no TLS */
	struct policyd_identity		*identity;	/* not owned */
	const struct pw_track_keyring	*keyring;	/* NULL: none */
	char				*unsub_path;	/* a copy */
	struct http_unsub_list		 pending;	/* unsubscribes */
	struct pw_listener		*listener;	/* http_listen */
	struct http_conns		*conns;		/* their count */
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

	http_conns_request(srv->conns, req);
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
	if (srv->https != NULL)
		pw_http_common_limits(srv->https, conf);
	if (srv->conns != NULL)
		http_conns_reconfigure(srv->conns,
		    (size_t)conf->http_max_connections, conf->http_timeout_ms);
}

int
http_server_reload_tls(struct http_server *srv, const struct pw_conf *conf)
{
	char err[HTTP_TLS_ERR_MAX];

	if (srv->tls == NULL || srv->https == NULL)
		return 0;
	if (http_tls_reload(srv->tls, conf->http_tls_cert_file,
	    conf->http_tls_key_file, conf->dkim_key_mode_check, err,
	    sizeof(err)) < 0) {
		pw_log_warnx("http: TLS certificate and key not reloaded, "
		    "keeping the old ones: %s", err);
		return -1;
	}
	pw_log_info("http: reloaded TLS certificate %s",
	    conf->http_tls_cert_file);
	return 0;
}

/* An evhttp routing to srv, with conf's limits; NULL on failure. */
static struct evhttp *
http_server_evhttp(struct http_server *srv, const struct pw_conf *conf)
{
	struct evhttp *http;

	if ((http = evhttp_new(srv->base)) == NULL)
		return NULL;
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(http, http_server_route, srv);
	pw_http_common_limits(http, conf);
	return http;
}

struct http_server *
http_server_new(struct event_base *base, struct pw_fd_budget *budget,
    struct policyd_identity *identity, const struct pw_track_keyring *keyring,
    const struct pw_conf *conf, struct pw_listener *listener, size_t nplain,
    struct http_tls *tls, char *err, size_t errsize)
{
	struct http_server *srv = pw_xcalloc(1, sizeof(*srv));
	size_t i;

	srv->base = base;
	srv->identity = identity;
	srv->keyring = keyring;
	srv->listener = listener;
	srv->tls = tls;
	TAILQ_INIT(&srv->pending);
	if ((srv->http = http_server_evhttp(srv, conf)) == NULL ||
	    (nplain < pw_listener_count(listener) &&
	    (srv->https = http_server_evhttp(srv, conf)) == NULL)) {
		snprintf(err, errsize, "http: evhttp_new failed");
		http_server_free(&srv);
		return NULL;
	}
	http_server_reconfigure(srv, conf);
	/* The evconnlisteners go to evhttp, which accepts and frees them. */
	if (pw_listener_start(listener, base, budget, "http: ",
	    PW_LISTENER_PAUSE, PW_LISTENER_NODELAY, NULL, NULL, err,
	    errsize) < 0) {
		http_server_free(&srv);
		return NULL;
	}
	srv->conns = http_conns_new(base, listener,
	    (size_t)conf->http_max_connections, conf->http_timeout_ms);
	http_conns_attach(srv->conns, srv->http, NULL);
	if (srv->https != NULL)
		http_conns_attach(srv->conns, srv->https, tls);
	for (i = 0; i < pw_listener_count(listener); i++)
		if (evhttp_bind_listener(i < nplain ? srv->http : srv->https,
		    pw_listener_lev(listener, i)) == NULL)
			pw_log_fatal("http: evhttp_bind_listener: out of "
			    "memory");
	return srv;
}

void
http_server_stop(struct http_server *srv)
{
	if (srv == NULL || srv->stopping)
		return;
	srv->stopping = true;
	/* Free the listeners now; connections go with the server. */
	http_unsub_orphan_all(&srv->pending);
	pw_listener_close(srv->listener);
	evhttp_free(srv->http);
	srv->http = NULL;
	if (srv->https != NULL)
		evhttp_free(srv->https);
	srv->https = NULL;
}

void
http_server_free(struct http_server **srvp)
{
	struct http_server *srv = *srvp;

	if (srv == NULL)
		return;
	*srvp = NULL;
	srv->stopping = true;
	http_unsub_orphan_all(&srv->pending);
	pw_listener_close(srv->listener);
	if (srv->http != NULL)
		evhttp_free(srv->http);
	if (srv->https != NULL)
		evhttp_free(srv->https);
	http_conns_free(&srv->conns);
	pw_listener_free(&srv->listener);
	free(srv->unsub_path);
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
