/*
 * http_unsub.c -- RFC 8058 one-click unsubscribe (see http_unsub.h).
 *
 * Exports: http_unsub_route, http_unsub_orphan_all.
 *
 * The token is the rest of the path after http_unsubscribe_path "/",
 * checked by http_form.c (the token alphabet, so no percent-decoding,
 * "/" or ".." ever reaches lib/track.c; anything else is a malformed
 * token), as is the body.
 *
 * Lifetime: a POST waits for lua/unsubscribe.lua on the shared Redis
 * connection; it is on the server's pending list meanwhile.  When the
 * server goes first, the request is orphaned (evhttp frees it) and the
 * late callback only frees its context.  A client gone meanwhile is
 * evhttp's: the answer to a request whose connection closed frees it.
 *
 * Security: the token and the recipient are never logged nor echoed
 * (a token is the recipient's key to this); the log names the verdict
 * and the tenant only for verified tokens.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http_form.h"
#include "http_unsub.h"
#include "log.h"
#include "policyd_metrics.h"
#include "redis_async.h"
#include "track.h"
#include "unsub.h"
#include "xmalloc.h"

#define HTTP_UNSUB_RETRY_AFTER	"30"	/* seconds, with a 503 */

static const char http_unsub_page[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width\">"
    "<meta name=\"robots\" content=\"noindex\">"
    "<title>Unsubscribe</title></head>\n"
    "<body><form method=\"post\">"
    "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
    "<p>Stop receiving these messages?</p>"
    "<button type=\"submit\">Unsubscribe</button></form></body></html>\n";

/* 503 with Retry-After: try again later, nothing was written. */
static void
http_unsub_unavailable(struct evhttp_request *req)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Retry-After", HTTP_UNSUB_RETRY_AFTER);
	http_server_reply(req, 503, "Service Unavailable",
	    "unavailable; please try again later\n");
}

/*
 * Verify token: PW_TRACK_OK and *u, or after answering 400/404/503.
 */
static int
http_unsub_verify(struct http_server *srv, struct evhttp_request *req,
    const char *token, struct pw_track_unsub *u)
{
	const struct pw_track_keyring *kr = http_server_keyring(srv);
	enum pw_track_result r;
	size_t len = strlen(token);

	if (kr == NULL) {
		if (evhttp_request_get_command(req) == EVHTTP_REQ_POST)
			policyd_metrics_unsub("unavailable", NULL);
		http_unsub_unavailable(req);
		return -1;
	}
	if (!http_form_token(token, len))
		r = PW_TRACK_BAD_CHAR;
	else
		r = pw_track_unsub_verify(kr, token, len, u);
	if (r == PW_TRACK_OK)
		return 0;
	if (evhttp_request_get_command(req) == EVHTTP_REQ_POST)
		policyd_metrics_unsub(pw_track_result_forged(r) ?
		    "invalid_token" : "malformed_token", NULL);
	pw_log_notice("http: unsubscribe refused: %s token (%s)",
	    pw_track_result_forged(r) ? "forged or expired" : "malformed",
	    pw_track_result_text(r));
	if (pw_track_result_forged(r))
		http_server_reply(req, 404, "Not Found",
		    "this unsubscribe link is not valid (any more)\n");
	else
		http_server_reply(req, 400, "Bad Request",
		    "this unsubscribe link is not valid\n");
	return -1;
}

/* Whether the body says List-Unsubscribe=One-Click in a form. */
static bool
http_unsub_body_ok(struct evhttp_request *req)
{
	const char *ct = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *body;

	if (len == 0 ||
	    (body = (const char *)evbuffer_pullup(in, -1)) == NULL)
		return false;
	return http_form_one_click(ct, body, len);
}

/* lua/unsubscribe.lua answered (or not). */
static void
http_unsub_done(struct pw_redis_async *ra, const redisReply *reply,
    const char *why, void *arg)
{
	struct http_unsub_req *ur = arg;
	struct evhttp_request *req = ur->req;
	char ur_tenant[sizeof(ur->tenant)];

	(void)ra;
	if (req != NULL)
		TAILQ_REMOVE(http_server_unsub_pending(ur->srv), ur, entry);
	memcpy(ur_tenant, ur->tenant, sizeof(ur_tenant));
	free(ur);
	if (req == NULL)
		return;		/* the server went first */
	if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
		pw_log_warnx("http: unsubscribe not recorded: %s", why != NULL ?
		    why : reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "an unexpected reply");
		policyd_metrics_unsub("unavailable", NULL);
		http_unsub_unavailable(req);
	} else if (reply->integer == PW_UNSUB_NO_TENANT) {
		pw_log_notice("http: unsubscribe refused: the token's tenant "
		    "does not exist (any more)");
		policyd_metrics_unsub("unknown_tenant", NULL);
		http_server_reply(req, 404, "Not Found",
		    "this unsubscribe link is not valid (any more)\n");
	} else {
		policyd_metrics_unsub("recorded", ur_tenant);
		http_server_reply(req, 200, "OK", "unsubscribed\n");
	}
}

/* POST: check the body, verify, write. */
static void
http_unsub_post(struct http_server *srv, struct evhttp_request *req,
    const char *token)
{
	struct pw_redis_async *ra = http_server_redis(srv);
	struct pw_redis_script *script;
	struct http_unsub_req *ur;
	struct pw_track_unsub u;
	struct pw_unsub w;
	const char *why, *argv[4];

	if (!http_unsub_body_ok(req)) {
		policyd_metrics_unsub("bad_body", NULL);
		http_server_reply(req, 400, "Bad Request",
		    "expected the form List-Unsubscribe=One-Click\n");
		return;
	}
	if (http_unsub_verify(srv, req, token, &u) < 0)
		return;
	if ((script = pw_unsub_script(&why)) == NULL || ra == NULL) {
		pw_log_warnx("http: unsubscribe not recorded: %s",
		    script == NULL ? why : "no Redis connection");
		policyd_metrics_unsub("unavailable", NULL);
		http_unsub_unavailable(req);
		return;
	}
	if (pw_unsub_prepare(pw_redis_async_key_prefix(ra), &u, "one-click",
	    (int64_t)time(NULL), &w, &why) < 0) {
		pw_log_notice("http: unsubscribe refused: the token's "
		    "recipient cannot be suppressed: %s", why);
		policyd_metrics_unsub("bad_recipient", NULL);
		http_server_reply(req, 404, "Not Found",
		    "this unsubscribe link is not valid\n");
		return;
	}
	ur = pw_xcalloc(1, sizeof(*ur));
	ur->req = req;
	ur->srv = srv;
	snprintf(ur->tenant, sizeof(ur->tenant), "%s", u.tenant);
	argv[0] = w.tenant_key;
	argv[1] = w.supp_key;
	argv[2] = w.address;
	argv[3] = w.value;
	if (pw_redis_async_evalsha(ra, script, 2, 4, argv, NULL,
	    http_unsub_done, ur, &why) < 0) {
		pw_log_warnx("http: unsubscribe not recorded: %s", why);
		policyd_metrics_unsub("unavailable", NULL);
		free(ur);
		http_unsub_unavailable(req);
	} else {
		TAILQ_INSERT_TAIL(http_server_unsub_pending(srv), ur, entry);
	}
	pw_unsub_free(&w);
}

bool
http_unsub_route(struct http_server *srv, struct evhttp_request *req,
    const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *token;
	struct pw_track_unsub u;

	if (strncmp(path, prefix, n) != 0 || path[n] != '/')
		return false;
	token = path + n + 1;
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_POST:
		http_unsub_post(srv, req, token);
		break;
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		if (http_unsub_verify(srv, req, token, &u) == 0) {
			struct evbuffer *out = evbuffer_new();
			struct evkeyvalq *h =
			    evhttp_request_get_output_headers(req);

			if (out == NULL)
				pw_log_fatal("http: evbuffer_new failed");
			evhttp_add_header(h, "Content-Type",
			    "text/html; charset=utf-8");
			evhttp_add_header(h, "Cache-Control", "no-store");
			evhttp_add_header(h, "X-Content-Type-Options",
			    "nosniff");
			evhttp_add_header(h, "Referrer-Policy", "no-referrer");
			evbuffer_add(out, http_unsub_page,
			    sizeof(http_unsub_page) - 1);
			evhttp_send_reply(req, 200, "OK", out);
			evbuffer_free(out);
		}
		break;
	default:
		http_server_reply_405(req, "GET, HEAD, POST");
		break;
	}
	return true;
}

void
http_unsub_orphan_all(struct http_unsub_list *pending)
{
	struct http_unsub_req *ur;

	while ((ur = TAILQ_FIRST(pending)) != NULL) {
		TAILQ_REMOVE(pending, ur, entry);
		ur->req = NULL;
	}
}
