/*
 * http_health.c -- GET /healthz and GET /readyz (see http_health.h).
 *
 * Exports: http_health_live, http_health_ready.
 *
 * Readiness is read from what the daemon already knows, without a Redis
 * round trip per probe: the connection of lib/redis_async.c is "ready"
 * only while it is set up and answering (a lost connection, a stopped
 * Redis or a command left unanswered past redis_command_timeout drops
 * it), and the keyring is whatever main loaded at start.
 *
 * Security: the reasons name no path and no secret.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include "http_health.h"
#include "redis_async.h"

/* GET and HEAD only; 0, or -1 after answering 405. */
static int
http_health_method(struct evhttp_request *req)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);

	if (m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD)
		return 0;
	http_server_reply_405(req, "GET, HEAD");
	return -1;
}

void
http_health_live(struct http_server *srv, struct evhttp_request *req)
{
	(void)srv;
	if (http_health_method(req) == 0)
		http_server_reply(req, 200, "OK", "ok\n");
}

void
http_health_ready(struct http_server *srv, struct evhttp_request *req)
{
	struct pw_redis_async *ra = http_server_redis(srv);
	char body[256] = "";

	if (http_health_method(req) < 0)
		return;
	if (ra == NULL || !pw_redis_async_is_ready(ra))
		strcat(body, "redis: not connected\n");
	if (http_server_keyring(srv) == NULL)
		strcat(body, "tracking keyring: not loaded\n");
	if (*body == '\0')
		http_server_reply(req, 200, "OK", "ready\n");
	else
		http_server_reply(req, 503, "Service Unavailable", body);
}
