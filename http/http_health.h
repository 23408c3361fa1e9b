/*
 * http_health.h -- GET /healthz and GET /readyz of the HTTP service
 * (probes of systemd, load balancers, Kubernetes).
 *
 * /healthz: 200 "ok" whenever the event loop answers (the process is
 * alive).  /readyz: 200 "ready" when the Redis connection is up and
 * answering and the tracking keyring is loaded, else 503 with the
 * reasons, a line each, in a plain body.  Other methods: 405.
 *
 * Threads: the event loop's only.
 */
#ifndef HTTP_HEALTH_H
#define HTTP_HEALTH_H

#include <event2/http.h>

#include "http_server.h"

void	http_health_live(struct http_server *srv, struct evhttp_request *req);
void	http_health_ready(struct http_server *srv,
	    struct evhttp_request *req);

#endif
