/*
 * http_metrics.h -- GET /metrics of the HTTP service: the registry of
 * policyd/policyd_metrics.c in the Prometheus text format 0.0.4.
 *
 * Threads: the event loop's only.
 */
#ifndef HTTP_METRICS_H
#define HTTP_METRICS_H

#include <event2/http.h>

#include "http_server.h"

/* GET and HEAD: 200 and the text; others: 405. */
void	http_metrics_get(struct http_server *srv, struct evhttp_request *req);

#endif
