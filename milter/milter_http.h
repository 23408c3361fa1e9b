/*
 * milter_http.h -- postwarden-milter's HTTP service (milter_http_listen):
 * GET /healthz, GET /readyz (milter_ready.c) and GET /metrics
 * (milter_metrics.c), served by one thread of its own running a libevent
 * event base with evhttp (libmilter's threads have no event loop), with
 * the limits of lib/http_common.h.
 *
 * Life: main opens the listening sockets as root (pw_daemon_listen),
 * starts the service after privileges are dropped, calls
 * milter_http_reconfigure after a reload has published its snapshot, and
 * milter_http_stop at the very end of shutdown.  Those three belong to
 * main's thread; the service thread does the rest.
 */
#ifndef PW_MILTER_HTTP_H
#define PW_MILTER_HTTP_H

#include <stddef.h>

#include "conf.h"

struct milter_http;

/*
 * Serve the listening descriptors fds[0..n) (owned from now on; the unix
 * socket paths of endpoints are removed at stop) with conf's limits, in
 * a new thread that does not take SIGHUP, SIGTERM or SIGINT.  NULL and a
 * message in err on failure (the descriptors are closed).
 */
struct milter_http *milter_http_start(const struct pw_conf *conf,
	    const int *fds, char *const *endpoints, size_t n, char *err,
	    size_t errsize);
/*
 * The current snapshot changed: the thread applies its limits and makes
 * its Redis handle again.  Returns at once.
 */
void	milter_http_reconfigure(struct milter_http *h);
/*
 * Stop the thread, close the listeners and the connections (answers not
 * yet sent are dropped), wait for the thread, free; NULL is fine.
 */
void	milter_http_stop(struct milter_http **hp);

#endif
