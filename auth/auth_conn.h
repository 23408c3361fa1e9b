/*
 * auth_conn.h -- one Postfix connection to the SASL service: the
 * handshake sent at once on connect (never waiting on Redis), then
 * client lines through auth_proto.c, mechanisms through auth_mech.c and
 * logins through auth_verify.c; answers carry the request id, so they
 * may leave in any order.
 *
 * A request (an AUTH id) lives until it is answered; one whose login is
 * being verified when the connection goes away is orphaned (conn NULL)
 * and freed when its answer comes.
 *
 * Threads: the event loop's only.
 */
#ifndef AUTH_CONN_H
#define AUTH_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "auth_mech.h"

/* Requests open at once on one connection (Postfix uses one). */
#define AUTH_CONN_MAX_REQUESTS	16
/* Reply bytes the peer has not taken before it is dropped. */
#define AUTH_CONN_MAX_OUTPUT	(64 * 1024)
#define AUTH_CONN_PEER_MAX	64

struct auth_server;
struct auth_conn;

struct auth_request {
	struct auth_conn	*conn;		/* NULL once orphaned */
	unsigned int		 id;
	bool			 verifying;	/* auth_verify has it */
	struct auth_mech	 mech;
	char			 rip[AUTH_CONN_PEER_MAX];
	TAILQ_ENTRY(auth_request) entry;
};

TAILQ_HEAD(auth_request_list, auth_request);

struct auth_conn {
	struct auth_server	*srv;
	struct bufferevent	*bev;
	unsigned long		 id;		/* CUID */
	char			 peer[AUTH_CONN_PEER_MAX];
	struct auth_request_list requests;
	size_t			 nrequests;
	bool			 version;	/* VERSION seen */
	bool			 in_read;	/* inside the read callback */
	bool			 drop;		/* closing: freed once written */
	TAILQ_ENTRY(auth_conn)	 entry;		/* server's list */
};

/* Take over an accepted socket and send the handshake. */
struct auth_conn *auth_conn_new(struct auth_server *srv, evutil_socket_t fd,
	    const char *peer, unsigned long id);
/* Close now; requests being verified are orphaned.  NULLs *conn. */
void	auth_conn_free(struct auth_conn **conn);

#endif
