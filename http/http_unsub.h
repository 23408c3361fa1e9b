/*
 * http_unsub.h -- RFC 8058 one-click unsubscribe at
 * http_unsubscribe_path/TOKEN (the links the milter puts in
 * List-Unsubscribe).
 *
 *   POST with the body List-Unsubscribe=One-Click (content type
 *        application/x-www-form-urlencoded or multipart/form-data):
 *        verify the token with the tracking keyring and suppress its
 *        recipient in its tenant's list as `postwarden unsubscribe`
 *        does (lib/unsub.h, lua/unsubscribe.lua); 200 and a short plain
 *        body, no redirect, no cookie; again: 200, nothing changes.
 *   GET, HEAD: a small HTML page whose button POSTs; never unsubscribes
 *        (link scanners fire GETs).
 *   Other methods: 405.
 *
 * A malformed token: 400; forged, expired, or of a tenant that does not
 * exist: 404; each logged once, nothing written.  Redis down or not
 * answering, or no keyring: 503 with Retry-After, nothing written.
 *
 * Threads: the event loop's only.
 */
#ifndef HTTP_UNSUB_H
#define HTTP_UNSUB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>

#include <event2/http.h>

#include "http_server.h"
#include "identity.h"

/* One POST waiting for Redis. */
struct http_unsub_req {
	struct evhttp_request		*req;	/* NULL: orphaned */
	struct http_server		*srv;
	char				 tenant[PW_IDENTITY_TENANT_MAX + 1];
	TAILQ_ENTRY(http_unsub_req)	 entry;
};
TAILQ_HEAD(http_unsub_list, http_unsub_req);

/*
 * Whether path is path_prefix "/" something: then answer req (token =
 * the rest) and return true.
 */
bool	http_unsub_route(struct http_server *srv, struct evhttp_request *req,
	    const char *path, const char *path_prefix);
/* Forget the requests of pending (the server is going): no answer. */
void	http_unsub_orphan_all(struct http_unsub_list *pending);

#endif
